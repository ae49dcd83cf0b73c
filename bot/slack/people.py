"""Slack users as people: display names and time zones from users.info, asked once.

Each Slack user is a person of their workspace (team id); the first time partnerbot meets
someone, their Slack name and time zone become theirs. Someone already in the database is
not looked up again (`People.known`): a new Slack name arrives as a `user_change` event
(`rename`), and their zone is theirs to change with `tz`. Lookups are cached for an hour.
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
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from handlers.context import Directory, Profile
from handlers.parsing import plain_name
from storage import queries
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
    lookup is remembered too (for a shorter while), so it is not repeated for every click.
    It also remembers who is already a person in the database, and so needs no lookup."""

    def __init__(self, ttl: float = TTL, clock: Callable[[], float] = time.monotonic,
                 failed_ttl: float = FAILED_TTL) -> None:
        self.ttl = ttl
        self.failed_ttl = failed_ttl
        self.clock = clock
        self._cache: dict[tuple[str, str], tuple[float, Profile | None]] = {}
        self._known: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def known(self, sessions: sessionmaker[Session], workspace: str, user_id: str) -> bool:
        """Whether this user is a person in the database already. The workspace's people are
        read once per process, so a request costs no query; someone not among them is looked
        for again (another process may have met them since). People are never deleted."""
        with self._lock:
            people = self._known.get(workspace)
        try:
            if people is None:
                with sessions() as session:
                    people = set(queries.user_ids(session, PLATFORM, workspace))
                with self._lock:
                    people = self._known.setdefault(workspace, people)
            elif user_id not in people:
                with sessions() as session:
                    if queries.find_person(session, PLATFORM, workspace, user_id) is not None:
                        people.add(user_id)
        except SQLAlchemyError:  # the database is away: the command will meet it, and say so
            log.info("could not tell whether %s is known; asking Slack", user_id, exc_info=True)
            return False
        return user_id in people

    def profile(self, client: WebClient, workspace: str, user_id: str) -> Profile | None:
        key = (workspace, user_id)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and self.clock() - cached[0] < (self.ttl if cached[1] else self.failed_ttl):
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

    def directory(self, client: WebClient, workspace: str) -> Directory:
        """What handlers call to name someone they meet for the first time (`member add @U123`)."""
        return lambda user_id: self.profile(client, workspace, user_id)

