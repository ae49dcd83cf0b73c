"""Matrix users as people: their ids, their display names, and mentions in what they type.

Handlers write a person as `@` + user id and read a mention as the word after `@`, so a
person's user id here is their Matrix id without its sigil (`alice:example.org`): then
`@alice:example.org` reads and shows as the real Matrix id. Element's mention pills (links to
https://matrix.to/#/@bob:example.org) become that same `@bob:example.org`, and every Matrix
id in a message is a mention: it names that account, never a look-alike display name.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import unquote

from aiohttp import ClientError
from nio import AsyncClient, ProfileGetResponse

from handlers.context import Directory, Profile
from handlers.parsing import plain_name

log = logging.getLogger(__name__)

TTL = 3600.0
FAILED_TTL = 300.0
LOOKUP_TIMEOUT = 5.0
# Profiles looked up for one message; a command names one or two people.
MAX_LOOKUPS = 5
HTML = "org.matrix.custom.html"
# A Matrix user id as typed: @localpart:server (the server may carry a port).
MXID = re.compile(r"@[a-z0-9._=/+-]+:[A-Za-z0-9.-]+(?::\d{1,5})?")
_PILL = re.compile(r"^(?:https://matrix\.to/#/|matrix:u/)(@?[^/?#]+)")
# Element's profile time zone (MSC4175), under its stable and unstable names.
TZ_FIELDS = ("m.tz", "us.cloke.msc4175.tz")


def server_of(user: str) -> str:
    """The homeserver part of a Matrix id: `example.org` for @alice:example.org."""
    return user.partition(":")[2].lower()


def person_id(mxid: str) -> str:
    return mxid.removeprefix("@")


def mxid(user_id: str) -> str:
    return "@" + user_id.removeprefix("@")


class _Text(HTMLParser):
    """An HTML message body as the words typed: pills as user ids, quoted replies dropped."""

    BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0  # inside <mx-reply> (a reply's quote) or a pill's label
        self.pills: list[bool] = []  # for each open <a>, whether it is a pill

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            pill = _PILL.match(dict(attrs).get("href") or "")
            user = mxid(unquote(pill[1])) if pill else ""
            self.pills.append(bool(MXID.fullmatch(user)))
            if self.pills[-1]:
                if not self.skipping:
                    self.parts.append(user)
                self.skipping += 1
        elif tag == "mx-reply":
            self.skipping += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if (tag == "a" and self.pills and self.pills.pop()) or tag == "mx-reply":
            self.skipping = max(0, self.skipping - 1)

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def message_text(content: dict[str, object]) -> str:
    """The words of a message: from its HTML when it has some (so pills keep their ids),
    else its plain body without a quoted reply's `> ` lines."""
    formatted = content.get("formatted_body")
    if content.get("format") == HTML and isinstance(formatted, str):
        parser = _Text()
        parser.feed(formatted)
        parser.close()
        return "".join(parser.parts).strip()
    body = content.get("body")
    if not isinstance(body, str):
        return ""
    lines = body.split("\n")
    while lines and lines[0].startswith(">"):
        lines.pop(0)
    return "\n".join(lines).strip()


def profile_of(response: ProfileGetResponse, user: str) -> Profile:
    extra = response.other_info or {}
    zone = next((extra[f] for f in TZ_FIELDS if isinstance(extra.get(f), str)), None)
    return Profile(display_name=plain_name(response.displayname or "") or user, timezone=zone)


def mentioned(text: str) -> frozenset[str]:
    """The Matrix ids in a message (pills become ids too), as person ids: each names exactly
    that account, never someone whose display name happens to read the same."""
    return frozenset(person_id(user) for user in MXID.findall(text))


class People:
    """A per-process cache of profiles, by Matrix id; a failed lookup is remembered too (for
    a shorter while), so a name that cannot be found is not asked for again and again."""

    def __init__(self, ttl: float = TTL, clock: Callable[[], float] = time.monotonic,
                 failed_ttl: float = FAILED_TTL, timeout: float = LOOKUP_TIMEOUT) -> None:
        self.ttl = ttl
        self.failed_ttl = failed_ttl
        self.timeout = timeout
        self.clock = clock
        self._cache: dict[str, tuple[float, Profile | None]] = {}

    async def profile(self, client: AsyncClient, user: str) -> Profile | None:
        cached = self._cache.get(user)
        if cached is not None and self.clock() - cached[0] < (self.ttl if cached[1] else self.failed_ttl):
            return cached[1]
        try:
            response = await asyncio.wait_for(client.get_profile(user), self.timeout)
        except (TimeoutError, ClientError) as failure:
            response = failure
        if not isinstance(response, ProfileGetResponse):
            log.info("no profile for %s: %s", user, getattr(response, "message", response))
            found = cached[1] if cached else None
        else:
            found = profile_of(response, user)
        self._cache[user] = (self.clock(), found)
        return found

    async def directory(self, client: AsyncClient, text: str) -> Directory:
        """Profiles of the first few people the text mentions, fetched now and together, so
        handlers (which run in a worker thread) can name someone they meet for the first
        time without waiting. A message naming thousands costs a handful of lookups."""
        users = list(dict.fromkeys(MXID.findall(text)))[:MAX_LOOKUPS]
        profiles = await asyncio.gather(*(self.profile(client, user) for user in users))
        found = dict(zip(users, profiles, strict=True))
        return lambda user_id: found.get(mxid(user_id))
