"""Running a command for a Matrix user: the one path from a room message to handlers and back.

A message is a command when it starts with the prefix (`!partner commit ...`) or a mention of
the bot, or, in the bot's direct room with the sender, always. The sender is looked up for
their name and zone, `handlers.handle` decides (in a worker thread, so the connection keeps
flowing) and writes the event id with the change, so the message is answered once; the reply
is sent as a notice threaded onto the message. Poll answers and reactions to a proposal take
the same path as the command they stand for (bot/matrix/polls.py).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from nio import AsyncClient, Event, RoomMessageText
from sqlalchemy.orm import Session, sessionmaker

from bot.matrix import once, polls
from bot.matrix.delivery import known_room, send
from bot.matrix.people import People, message_text, person_id
from bot.matrix.render import Content, notice, replying
from handlers import Actor, handle
from handlers.registry import canonical
from handlers.reply import Reply

PLATFORM = "matrix"


def addressed(text: str, prefix: str, bot: str, direct: bool) -> str | None:
    """The command in a message, or None when the message is not for the bot."""
    stripped = text.strip()
    for lead in (prefix, bot):
        if stripped.lower().startswith(lead.lower()):
            rest = stripped[len(lead):]
            if not rest or rest[0].isspace() or rest[0] in ":,":
                return rest.lstrip(":, \t\n") or "help"
    return stripped if direct and stripped else None


def is_edit(event: RoomMessageText) -> bool:
    """An edit (`* ...`) of an earlier message: the original was the command."""
    relates = (event.source.get("content") or {}).get("m.relates_to") or {}
    return relates.get("rel_type") == "m.replace"


@dataclass
class MatrixChat:
    client: AsyncClient
    sessions: sessionmaker[Session]
    workspace: str
    prefix: str
    default_timezone: str = "UTC"
    people: People = field(default_factory=People)
    # Whom room keys go to, when the bot is told (MATRIX_VERIFIED_DEVICES); empty: every member's devices.
    verified: frozenset[str] = frozenset()

    async def answer(self, room_id: str, event: RoomMessageText) -> None:
        """Run the message's command, if it has one, and reply to it, once."""
        if event.sender == self.client.user_id or is_edit(event):
            return
        direct = known_room(self.sessions, self.client.user_id, event.sender) == room_id
        text = addressed(message_text(event.source.get("content") or {}), self.prefix, self.client.user_id, direct)
        if text is None:
            return
        reply = await self.run(room_id, event.sender, event.event_id, text)
        if reply is None:
            return  # answered before: read again after a restart, or by a second bot process
        content = polls.marked(notice(reply, self.prefix), reply)
        await self.send(room_id, replying(content, event.event_id, event.sender, event.source))
        proposal = polls.proposal_of(reply)
        if proposal is not None and proposal.mode == "vote" and canonical(text.split()[0].lower()) == "propose":
            await self.send(room_id, polls.poll(reply.title or text, proposal), polls.POLL_START)

    async def respond(self, room_id: str, event: Event) -> None:
        """A poll answer or a 👍/👎 on a proposal, counted once as the command it stands for and
        acknowledged with a reply to the proposal, so the person sees it was counted."""
        if event.sender == self.client.user_id:
            return
        response = await polls.read(self.client, room_id, event)
        if response is None:
            return
        reply = await self.run(room_id, event.sender, event.event_id, response.command)
        if reply is None:
            return
        if response.hint and not reply.error:
            reply.text = "\n".join(part for part in (reply.text, response.hint) if part)
        await self.send(room_id, replying(notice(reply, self.prefix), response.target, event.sender, {}))

    async def run(self, room_id: str, sender: str, event_id: str, text: str) -> Reply | None:
        """The command's reply, run as the sender; None if this event was answered before."""
        profile = await self.people.profile(self.client, sender)
        actor = Actor(PLATFORM, self.workspace, person_id(sender), room_id,
                      display_name=profile.display_name if profile else None,
                      timezone=(profile.timezone if profile else None) or self.default_timezone)
        directory = await self.people.directory(self.client, text)
        return await asyncio.to_thread(handle, text, actor, self.sessions, directory=directory,
                                       once=once.Mark(event_id, room_id))

    async def send(self, room_id: str, content: Content, kind: str = "m.room.message") -> str:
        return await send(self.client, room_id, content, kind=kind, verified=self.verified)
