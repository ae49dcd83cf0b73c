"""Sending into Matrix: replies, and the scheduler's nudges in a direct room per person.

A person's nudges go to the direct room the bot shares with them, made on first need (an
invitation marked `is_direct`, so Element lists it under People) and kept in the database
for every later nudge. Before each, the homeserver is asked whether that room is still
private with them (bot/matrix/privacy.py); if not (someone else was invited, its history
was opened), a new one is made. Digests go to the partnership's room. `Delivery` is the
scheduler's protocol (bot/scheduler.py): it runs in the scheduler's thread and hands each
send to the event loop of the bot's connection, or, for `partnerbot tick`, to a connection
of its own.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar
from uuid import uuid4

from aiohttp import ClientError
from nio import (
    AsyncClient,
    LocalProtocolError,
    OlmTrustError,
    RoomCreateResponse,
    RoomPreset,
    RoomSendResponse,
    SendRetryError,
)
from nio.crypto import OlmDevice
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.matrix import crypto, privacy
from bot.matrix.people import mxid
from bot.matrix.render import Content, notice
from handlers.reply import Reply
from storage.database import transaction
from storage.models import MatrixDirectRoom

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = Callable[[AsyncClient], Awaitable[T]]
# Runs a job with a logged-in client and returns its result, from the scheduler's thread.
Runner = Callable[[Job[str]], str]


class SendFailed(Exception):
    """The homeserver refused a message; the scheduler tries the nudge again later."""


def pause(failures: int, cap: float, base: float = 1.0) -> float:
    """Seconds to wait after the n-th failure in a row: doubling up to `cap`, with jitter so
    bots that lost the homeserver together do not all come back at the same instant."""
    return min(cap, base * 2 ** max(0, failures - 1)) * random.uniform(0.5, 1.0)


async def send(client: AsyncClient, room_id: str, content: Content, attempts: int = 4, cap: float = 8.0,
               kind: str = "m.room.message", verified: frozenset[str] = frozenset(),
               also: OlmDevice | None = None) -> str:
    """Post one message (encrypted in an encrypted room), retrying while the homeserver cannot be
    reached; returns its event id. With MATRIX_VERIFIED_DEVICES (`verified`), its key goes to the
    listed devices only, and to `also` (a refusal for the one device it refuses) under a room
    key made for this message alone.

    Every try carries the same transaction id, so a retry after a lost answer is one message."""
    txn, attempt = uuid4().hex, 0
    async with crypto.turn(client, room_id):
        if also is not None:
            client.invalidate_outbound_session(room_id)
        try:
            while True:
                attempt += 1
                crypto.apply_trust(client, room_id, verified, also)
                try:
                    response = await client.room_send(room_id, kind, content, tx_id=txn, ignore_unverified_devices=True)
                except (ClientError, TimeoutError) as failure:
                    if attempt >= attempts:
                        raise SendFailed(f"sending to {room_id} failed: {failure!r}") from failure
                    await asyncio.sleep(pause(attempt, cap))
                    continue
                except (LocalProtocolError, SendRetryError, OlmTrustError) as failure:
                    raise SendFailed(f"could not encrypt for {room_id}: {failure}") from failure
                if not isinstance(response, RoomSendResponse):
                    raise SendFailed(f"sending to {room_id} failed: {getattr(response, 'message', response)}")
                return response.event_id
        finally:
            if also is not None:  # that room key was for this message: the next one goes to the list alone
                client.invalidate_outbound_session(room_id)
                crypto.apply_trust(client, room_id, verified)


def known_room(sessions: sessionmaker[Session], bot: str, user: str) -> str | None:
    with sessions() as session:
        return session.scalar(select(MatrixDirectRoom.room_id).where(
            MatrixDirectRoom.bot_user_id == bot, MatrixDirectRoom.user_id == user))


def remember_room(sessions: sessionmaker[Session], bot: str, user: str, room_id: str) -> None:
    """This room is now the bot's direct room with the person (replacing any earlier one)."""
    with transaction(sessions) as session:
        session.execute(delete(MatrixDirectRoom).where(MatrixDirectRoom.bot_user_id == bot,
                                                       MatrixDirectRoom.user_id == user))
        session.add(MatrixDirectRoom(bot_user_id=bot, user_id=user, room_id=room_id, created_at=datetime.now(UTC)))


async def direct_room(client: AsyncClient, sessions: sessionmaker[Session], user: str) -> str:
    """The room for what is for one person alone: the known direct room while the homeserver says
    it is private with them (its history closed first, if that is all it lacks and the bot may),
    else a new one, encrypted as Element makes them, whose key reaches the person's devices before
    they have joined, and whose history nobody invited later can read."""
    room_id = known_room(sessions, client.user_id, user)
    if room_id is not None and await privacy.confirmed(client, sessions, room_id, user, tighten=True):
        return room_id
    created = await client.room_create(is_direct=True, invite=[user], preset=RoomPreset.trusted_private_chat,
                                       initial_state=[crypto.ENCRYPTION_STATE, privacy.HISTORY_STATE])
    if not isinstance(created, RoomCreateResponse):
        raise SendFailed(f"could not open a direct room with {user}: {getattr(created, 'message', created)}")
    crypto.adopt(client, created.room_id, user)
    remember_room(sessions, client.user_id, user, created.room_id)
    return created.room_id


class Delivery:
    """What the scheduler sends nudges with: `send_to_person`, `send_to_channel`."""

    def __init__(self, sessions: sessionmaker[Session], run: Runner, prefix: str,
                 verified: frozenset[str] = frozenset()) -> None:
        self.sessions = sessions
        self.run = run
        self.prefix = prefix
        self.verified = verified

    def send_to_person(self, workspace: str, user_id: str, *, reply: Reply,
                       partnership_channel: str | None = None) -> str:
        """A direct message; returns its event id. Raises when it did not go."""
        content = notice(reply, self.prefix)

        async def job(client: AsyncClient) -> str:
            return await send(client, await direct_room(client, self.sessions, mxid(user_id)), content,
                              verified=self.verified)

        return self.run(job)

    def send_to_channel(self, workspace: str, channel: str, *, reply: Reply) -> str:
        """A message in a partnership's room (a digest); returns its event id."""
        content = notice(reply, self.prefix)
        return self.run(lambda client: send(client, channel, content, verified=self.verified))


def on_loop(loop: Callable[[], asyncio.AbstractEventLoop | None], client: AsyncClient, timeout: float = 120) -> Runner:
    """A runner handing jobs to a running bot's loop (the loop is None until it is connected)."""

    def run(job: Job[str]) -> str:
        running = loop()
        if running is None:
            raise SendFailed("the Matrix connection is not up yet")
        return asyncio.run_coroutine_threadsafe(job(client), running).result(timeout)

    return run


def standalone(connect: Callable[[], Awaitable[AsyncClient]]) -> Runner:
    """A runner that opens a connection of its own for each job (`partnerbot tick`)."""

    async def once(job: Job[str]) -> str:
        client = await connect()
        try:
            return await job(client)
        finally:
            await client.close()

    return lambda job: asyncio.run(once(job))
