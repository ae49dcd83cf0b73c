"""The Matrix bot: logs in, follows the homeserver's sync, and wires everything in one place.

Each sync is handled in full (invitations, then every room's new messages) before its
`next_batch` is saved, so a restart or a lost connection resumes exactly where the bot
stopped. The very first start has no saved token: it syncs once and answers nothing, so a
room's history is never replayed. While the homeserver cannot be reached the bot waits,
doubling the pause (with jitter) up to a minute, and carries on from the saved token.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from nio import (
    AsyncClient,
    Event,
    MegolmEvent,
    RoomInfo,
    RoomMemberEvent,
    RoomMessagesResponse,
    RoomMessageText,
    SyncError,
    SyncResponse,
)
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.matrix import account, crypto, once, polls
from bot.matrix.chat import PLATFORM, MatrixChat
from bot.matrix.delivery import Delivery, on_loop, pause, standalone
from bot.matrix.invites import answer_invite
from bot.matrix.people import server_of
from bot.matrix.undecryptable import GIVE_UP, Undecryptable

log = logging.getLogger(__name__)

__all__ = ["PLATFORM", "MatrixBot", "delivery"]

SYNC_TIMEOUT_MS = 30_000
MAX_PAUSE = 60.0
# Up to this many messages per room arrive with a sync; more are fetched page by page.
SYNC_FILTER = {"room": {"timeline": {"limit": 50}, "ephemeral": {"types": []}}, "presence": {"types": []}}
# What `partnerbot tick` reads to send into encrypted rooms: their state, no history.
QUIET_FILTER = {"room": {"timeline": {"limit": 1}, "ephemeral": {"types": []}}, "presence": {"types": []}}
MISSED_PAGES = 20
PRUNE_EVERY = 3600.0


class SyncFailed(Exception):
    def __init__(self, response: SyncError) -> None:
        super().__init__(f"sync failed: {response.message} ({response.status_code})")
        self.code = response.status_code


def new_client(settings: Settings, sync_timeout_ms: int = SYNC_TIMEOUT_MS, keys: bool = True) -> AsyncClient:
    return crypto.new_client(settings, request_timeout=sync_timeout_ms / 1000 + 30, keys=keys)


def after_joining(events: Sequence[Event], me: str) -> list[Event]:
    """The events after the bot joined the room, if it joined in this stretch: what was said
    before it arrived is history, not a question for it."""
    for at in range(len(events) - 1, -1, -1):
        event = events[at]
        if (isinstance(event, RoomMemberEvent) and event.state_key == me and event.membership == "join"
                and event.prev_membership != "join"):
            return list(events[at + 1:])
    return list(events)


class MatrixBot:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], sync_timeout_ms: int = SYNC_TIMEOUT_MS,
                 max_pause: float = MAX_PAUSE, give_up: float = GIVE_UP) -> None:
        self.settings = settings
        self.sessions = sessions
        self.sync_timeout_ms = sync_timeout_ms
        self.max_pause = max_pause
        self.client = new_client(settings, sync_timeout_ms)
        self.user_id = self.client.user
        self.chat = MatrixChat(self.client, sessions, server_of(self.user_id), settings.matrix_prefix, settings.timezone,
                               verified=settings.matrix_verified_devices)
        self.undecryptable = Undecryptable(settings.matrix_prefix, give_up, settings.matrix_verified_devices)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.delivery = Delivery(sessions, on_loop(lambda: self.loop, self.client), settings.matrix_prefix,
                                 settings.matrix_verified_devices)
        self._pruned = 0.0

    async def run(self) -> None:
        """Follow the homeserver until cancelled; refused credentials raise account.LoginFailed."""
        failures = 0
        logged_in, since, full_state = False, None, False
        try:
            while True:
                try:
                    if not logged_in:
                        await account.log_in(self.client, self.settings, self.sessions)
                        log.warning("Matrix: device %s, key %s (compare it when verifying the bot)",
                                    self.client.device_id, crypto.fingerprint(self.client))
                        logged_in, self.loop = True, asyncio.get_running_loop()
                        since = account.sync_token(self.sessions, self.user_id)
                        full_state = since is not None  # the room state this process has not seen
                    since = await self.step(since, full_state)
                    full_state, failures = False, 0
                    self.prune()
                except account.LoginFailed:
                    raise
                except Exception as failure:
                    failures += 1
                    if isinstance(failure, SyncFailed) and failure.code == "M_UNKNOWN_TOKEN":
                        logged_in = False
                    wait = pause(failures, self.max_pause)
                    log.warning("Matrix: %s; trying again in %.1fs", failure or type(failure).__name__, wait)
                    await asyncio.sleep(wait)
        finally:
            self.loop = None
            await self.client.close()

    async def step(self, since: str | None, full_state: bool) -> str:
        """One sync, handled in full; returns the token to sync from next."""
        await crypto.upkeep(self.client)
        response = await self.client.sync(timeout=0 if since is None else self.sync_timeout_ms, since=since,
                                          full_state=full_state or None, sync_filter=SYNC_FILTER)
        if not isinstance(response, SyncResponse):
            raise SyncFailed(response)
        await crypto.upkeep(self.client)  # devices that changed are known before anything is answered
        for room_id, invite in response.rooms.invite.items():
            await answer_invite(self.client, self.sessions, room_id, invite, self.settings.matrix_allowed_servers)
        if since is not None:  # the first sync of all is history: nothing in it is answered
            # Rooms side by side, each in its own order: a slow room holds up no other.
            await asyncio.gather(*(self.room(room_id, room, since) for room_id, room in response.rooms.join.items()))
            for room_id, event in await self.undecryptable.retry(self.client):
                await self.event(room_id, event)
        account.save(self.sessions, self.user_id, next_batch=response.next_batch)
        return response.next_batch

    async def room(self, room_id: str, info: RoomInfo, since: str) -> None:
        events = list(info.timeline.events)
        if info.timeline.limited and info.timeline.prev_batch:
            events = await self.missed(room_id, info.timeline.prev_batch, since) + events
        for event in after_joining(events, self.user_id):
            await self.event(room_id, event)

    async def event(self, room_id: str, event: Event) -> None:
        """One new event in a room: a message (decrypted if it was encrypted), a poll answer or
        reaction, or an encrypted message whose key has not come yet."""
        if isinstance(event, RoomMessageText):
            await self.chat.answer(room_id, event)
        elif polls.is_response(event):
            await self.chat.respond(room_id, event)
        elif isinstance(event, MegolmEvent):
            await self.undecryptable.hold(self.client, room_id, event)

    async def missed(self, room_id: str, start: str, since: str) -> list[Event]:
        """Messages a sync left out (more than its limit since `since`), oldest first."""
        older: list[Event] = []
        for _ in range(MISSED_PAGES):
            page = await self.client.room_messages(room_id, start=start, end=since, limit=100)
            if not isinstance(page, RoomMessagesResponse) or not page.chunk:
                break
            older += page.chunk
            if not page.end or page.end == start:
                break
            start = page.end
        return older[::-1]

    def prune(self) -> None:
        if time.monotonic() - self._pruned >= PRUNE_EVERY:
            self._pruned = time.monotonic()
            once.forget_old(self.sessions)


def delivery(settings: Settings, sessions: sessionmaker[Session]) -> Delivery:
    """A Delivery with a connection of its own, for `partnerbot tick`."""

    async def connect() -> AsyncClient:
        client = new_client(settings)
        await account.log_in(client, settings, sessions)
        # Learn the rooms, their members and which are encrypted; answer nothing, save no token.
        synced = await client.sync(timeout=0, full_state=True, sync_filter=QUIET_FILTER)
        if not isinstance(synced, SyncResponse):
            await client.close()
            raise SyncFailed(synced)
        await crypto.upkeep(client)
        return client

    return Delivery(sessions, standalone(connect), settings.matrix_prefix, settings.matrix_verified_devices)
