"""Slack users as people: display names and time zones from users.info, asked once.

Each Slack user is a person of their workspace (team id); the first time partnerbot meets
someone, their Slack name and time zone become theirs. Someone already in the database is
not looked up again (a command finds them there first): a new Slack name arrives as a
`user_change` event (`rename`), and their zone is theirs to change with `tz`. Lookups are
cached for an hour.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from handlers.context import Directory, Profile, Unmet
from handlers.parsing import plain_name
from storage.models import Person

log = logging.getLogger(__name__)

PLATFORM = "slack"

TTL = 3600.0
FAILED_TTL = 300.0
# `<@U123|name>` or `<@U123>` as Slack escapes mentions in a slash command's text.
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>")
_SPECIAL = re.compile(r"<!([a-z]+)(?:\^[^|>]*)?(?:\|[^>]*)?>")


def normalise(text: str) -> str:
    """Slack's markup as plain command text: mentions become `@U123` (what handlers match
    members by), channels `#name`, links their address, and &amp; &lt; &gt; their characters."""
    text = _USER.sub(lambda m: "@" + m[1], text)
    text = _CHANNEL.sub(lambda m: "#" + (m[2] or m[1]), text)
    text = _LINK.sub(lambda m: m[1], text)
    text = _SPECIAL.sub(lambda m: "@" + m[1], text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mentioned(text: str) -> frozenset[str]:
    """The user ids Slack itself marked as mentions (`<@U123|bob>`) in a command's text."""
    return frozenset(_USER.findall(text))


def profile_of(user: dict) -> Profile:
    """The name people know someone by in Slack, and their zone."""
    profile = user.get("profile") or {}
    name = (profile.get("display_name") or profile.get("real_name") or user.get("real_name")
            or user.get("name") or user.get("id") or "someone")
    return Profile(display_name=plain_name(name) or user.get("id") or "someone", timezone=user.get("tz") or None)


class People:
    """A per-process cache of users.info answers, keyed by workspace and user id; a failed
    lookup is remembered too (for a shorter while), so it is not repeated for every click."""

    def __init__(self, ttl: float = TTL, clock: Callable[[], float] = time.monotonic,
                 failed_ttl: float = FAILED_TTL) -> None:
        self.ttl = ttl
        self.failed_ttl = failed_ttl
        self.clock = clock
        self._cache: dict[tuple[str, str], tuple[float, Profile | None]] = {}
        self._lock = threading.Lock()

    def fresh(self, entry: tuple[float, Profile | None]) -> bool:
        """Whether a cached answer still stands: an hour for a name, five minutes for none."""
        return self.clock() - entry[0] < (self.ttl if entry[1] else self.failed_ttl)

    def cached(self, workspace: str, user_id: str) -> tuple[Profile | None] | None:
        """What Slack last said of this user, while it is fresh (a 1-tuple: its answer may be
        that it knows nobody by that id); None when Slack must be asked."""
        with self._lock:
            cached = self._cache.get((workspace, user_id))
        return (cached[1],) if cached is not None and self.fresh(cached) else None

    def profile(self, client: WebClient, workspace: str, user_id: str) -> Profile | None:
        key = (workspace, user_id)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and self.fresh(cached):
            return cached[1]
        try:
            response = client.users_info(user=user_id)
        except SlackClientError as failure:
            reason = failure.response.get("error") if isinstance(failure, SlackApiError) and failure.response else failure
            log.warning("users.info %s failed: %s", user_id, reason)
            found = cached[1] if cached else None
            with self._lock:
                self._cache[key] = (self.clock(), found)
            return found
        found = profile_of(response.get("user") or {"id": user_id})
        with self._lock:
            self._cache[key] = (self.clock(), found)
        return found

    def rename(self, sessions: sessionmaker[Session], workspace: str, user: dict) -> None:
        """A user changed their Slack profile (a `user_change` event): the person takes their
        new name. Someone partnerbot has never met is not added."""
        user_id = user.get("id")
        if not isinstance(user_id, str) or not user_id:
            return
        profile = profile_of(user)
        with self._lock:
            cached = self._cache.get((workspace, user_id))
            self._cache[(workspace, user_id)] = (self.clock(), profile)
        if cached is not None and cached[1] is not None and cached[1].display_name == profile.display_name:
            return  # a new status or photo, not a new name: Slack sends user_change for those too
        with sessions.begin() as session:
            session.execute(update(Person).where(
                Person.platform == PLATFORM, Person.workspace == workspace, Person.user_id == user_id,
                Person.display_name != profile.display_name).values(display_name=profile.display_name))

    def directory(self, client: WebClient, workspace: str, typing: str, fallback_name: str | None = None) -> Directory:
        """What handlers call to name someone they meet for the first time. The person typing
        is not looked up from inside the command (see `Unmet`): they are on every request,
        and were met before nearly always. Someone they mention (`member add @U123`) is
        asked about there and then. Where Slack knows nobody by that id, the name the
        request came with (`fallback_name`) stands in."""
        def look_up(user_id: str) -> Profile | None:
            if user_id != typing:
                return self.profile(client, workspace, user_id)
            fresh = self.cached(workspace, user_id)
            if fresh is None:
                raise Unmet(user_id)
            return fresh[0] or (Profile(fallback_name) if fallback_name else None)
        return look_up

