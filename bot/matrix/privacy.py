"""Whether a Matrix room is private with one person: where the bot may say what is theirs alone.

A room is private with someone only while all three hold: its members, joined and invited,
are exactly the bot and that person; people who join later cannot read its history
(m.room.history_visibility `invited` or `joined`, not `shared` or `world_readable`); and it is
no partnership's room (a partnership's room is shared whoever is in it now: its members join
later and read back). Anything anonymous, a sign-in link, a reopen code or a nudge is said
only in such a room. When a message is answered, nio's copy of the room's state decides;
just before anything for one person is sent, the homeserver is asked again.

The bot's own direct rooms are made private (encrypted, history from the invitation on). A
direct chat someone starts with the bot (Element's "Start chat") is made so when the bot may:
Element gives the bot the power to, and a later joiner then reads nothing said before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nio import AsyncClient, RoomGetStateResponse, RoomPutStateResponse
from sqlalchemy.orm import Session, sessionmaker

from bot.matrix.people import server_of
from storage import queries

log = logging.getLogger(__name__)

PLATFORM = "matrix"
HISTORY = "m.room.history_visibility"
# Later joiners read nothing said before they were invited (or joined).
PRIVATE_HISTORY = frozenset({"invited", "joined"})
HISTORY_STATE = {"type": HISTORY, "state_key": "", "content": {"history_visibility": "invited"}}
PRESENT = ("join", "invite")


@dataclass(frozen=True)
class RoomState:
    """What decides whether a room is private: who is in it or invited, and who reads its history."""

    members: frozenset[str]
    history: str
    # Joined and invited, as the room's summary counts them (nio may not have every member's event).
    count: int

    def alone_with(self, bot: str, user: str) -> bool:
        return self.members == {bot, user} and self.count <= 2

    def private_with(self, bot: str, user: str) -> bool:
        return self.alone_with(bot, user) and self.history in PRIVATE_HISTORY


def cached(client: AsyncClient, room_id: str) -> RoomState | None:
    """The room as the last sync left it in nio's memory."""
    room = client.rooms.get(room_id)
    if room is None:
        return None
    members = frozenset(room.users) | frozenset(room.invited_users)
    return RoomState(members, room.history_visibility, max(room.member_count, len(members)))


def from_events(events: Iterable[dict[str, Any]]) -> RoomState:
    """The room as its current state events say."""
    members: set[str] = set()
    history = "shared"  # what the spec says an unset visibility means
    for event in events:
        content = event.get("content") or {}
        if event.get("type") == "m.room.member" and content.get("membership") in PRESENT:
            members.add(str(event.get("state_key")))
        elif event.get("type") == HISTORY:
            history = str(content.get("history_visibility") or "shared")
    return RoomState(frozenset(members), history, len(members))


async def fetched(client: AsyncClient, room_id: str) -> RoomState | None:
    """The room as the homeserver says it is now; None if it will not say (the bot is not in it)."""
    answer = await client.room_get_state(room_id)
    return from_events(answer.events) if isinstance(answer, RoomGetStateResponse) else None


def linked(sessions: sessionmaker[Session], bot: str, room_id: str) -> bool:
    """Whether the room is a partnership's room (linked by `setup` or `use`)."""
    with sessions() as session:
        return queries.channel_link(session, PLATFORM, server_of(bot), room_id) is not None


def private_now(client: AsyncClient, sessions: sessionmaker[Session], room_id: str, user: str) -> bool:
    """Whether, by the last sync, nobody but the bot and the person can read what is said here."""
    state = cached(client, room_id)
    return state is not None and state.private_with(client.user_id, user) and not linked(sessions, client.user_id, room_id)


async def confirmed(client: AsyncClient, sessions: sessionmaker[Session], room_id: str, user: str,
                    tighten: bool = False) -> bool:
    """Whether the homeserver says the room is private with the person right now. With `tighten`,
    a room that is theirs alone but whose history later joiners could read is made private first,
    if the bot may (what the bot says next is then unreadable to anyone invited later)."""
    state = await fetched(client, room_id)
    if state is None or not state.alone_with(client.user_id, user) or linked(sessions, client.user_id, room_id):
        return False
    return state.history in PRIVATE_HISTORY or (tighten and await hide_history(client, room_id))


async def hide_history(client: AsyncClient, room_id: str) -> bool:
    """Make what is said from now on unreadable to whoever is invited later; False if the bot may not."""
    answer = await client.room_put_state(room_id, HISTORY, HISTORY_STATE["content"])
    if not isinstance(answer, RoomPutStateResponse):
        log.info("could not make %s's history private: %s", room_id, getattr(answer, "message", answer))
        return False
    room = client.rooms.get(room_id)
    if room is not None:
        room.history_visibility = "invited"
    return True


async def on_joining_direct(client: AsyncClient, sessions: sessionmaker[Session], room_id: str, inviter: str) -> None:
    """A direct chat someone started with the bot alone: if its history is open to later joiners
    and the bot may close it, close it now, before anything is said there."""
    await confirmed(client, sessions, room_id, inviter, tighten=True)
