"""Running a command for a Matrix user: the one path from a room message to handlers and back.

A message is a command when it starts with the prefix (`!partner commit ...`) or a mention of
the bot, or, in the bot's direct room with the sender, always. The sender is looked up for
their name and zone, `handlers.handle` decides (in a worker thread, so the connection keeps
flowing) and writes the event id with the change, so the message is answered once; the reply
is sent as a notice threaded onto the message. Something said anonymously is answered only
where nobody else reads (see `answer_discreetly`), and a room counts as private only while
nobody but the bot and the sender is in it. Poll answers and reactions to a proposal take the
same path as the command they stand for (bot/matrix/polls.py).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from nio import AsyncClient, Event, RoomMessageText, RoomRedactResponse
from sqlalchemy.orm import Session, sessionmaker

from bot.matrix import once, polls
from bot.matrix.delivery import SendFailed, direct_room, known_room, send
from bot.matrix.people import People, mentioned, message_text, person_id
from bot.matrix.render import Content, notice, replying
from handlers import Actor, Reply, handle
from handlers.parsing import MAX_INPUT
from handlers.registry import canonical
from handlers.stale import refusal

log = logging.getLogger(__name__)

PLATFORM = "matrix"
TAKEN_DOWN = "Anonymous concerns are raised in a direct message with the bot, where nobody sees who wrote them."


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
        private = self.alone_with(room_id, event.sender)
        reply = await self.run(room_id, event.sender, event.event_id, text, private)
        if reply is None:
            return  # answered before: read again after a restart, or by a second bot process
        if reply.secret and not private:  # others in the room would see it: send it to the person alone
            await send(self.client, await direct_room(self.client, self.sessions, event.sender), notice(reply, self.prefix))
            reply = Reply(text="I've sent that to you in a direct message, as it is for you only.")
        if reply.discreet:
            await self.answer_discreetly(room_id, event, reply, private)
            return
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
        if response.stale:
            await self.send(room_id, replying(notice(refusal(), self.prefix), response.target, event.sender, {}))
            return
        reply = await self.run(room_id, event.sender, event.event_id, response.command,
                               self.alone_with(room_id, event.sender))
        if reply is None:
            return
        if response.hint and not reply.error:
            reply.text = "\n".join(part for part in (reply.text, response.hint) if part)
        await self.send(room_id, replying(notice(reply, self.prefix), response.target, event.sender, {}))

    async def run(self, room_id: str, sender: str, event_id: str, text: str, private: bool) -> Reply | None:
        """The command's reply, run as the sender; None if this event was answered before."""
        profile = await self.people.profile(self.client, sender)
        actor = Actor(PLATFORM, self.workspace, person_id(sender), room_id,
                      display_name=profile.display_name if profile else None,
                      timezone=(profile.timezone if profile else None) or self.default_timezone,
                      mentions=mentioned(text), private=private, place="room")
        # Too long to be a command: refused for its length before any lookup is made.
        directory = await self.people.directory(self.client, text) if len(text) <= MAX_INPUT else None
        return await asyncio.to_thread(handle, text, actor, self.sessions, directory=directory,
                                       once=once.Mark(event_id, room_id))

    async def send(self, room_id: str, content: Content, kind: str = "m.room.message") -> str:
        return await send(self.client, room_id, content, kind=kind, verified=self.verified)

    def alone_with(self, room_id: str, user: str) -> bool:
        """Whether nobody but the bot and this person is in (or invited to) the room."""
        room = self.client.rooms.get(room_id)
        if room is None:
            return False
        present = set(room.users) | set(room.invited_users)
        return present <= {self.client.user_id, user} and room.member_count <= 2

    async def answer_discreetly(self, room_id: str, event: RoomMessageText, reply: Reply, private: bool) -> None:
        """Something said anonymously. Asked where others see it: the message is taken down
        (when the bot may) and the answer goes to the person's direct room. Asked in private:
        answered there, with any words for the asker alone (`private_note`), and announced in
        the partnership's room on its own, as no reply to the message and with no mention of anyone."""
        content = notice(reply, self.prefix)
        if not private:
            room = self.client.rooms.get(room_id)
            if room is not None and room.power_levels.can_user_redact(self.client.user_id):
                redacted = await self.client.room_redact(room_id, event.event_id, reason=TAKEN_DOWN)
                if not isinstance(redacted, RoomRedactResponse):
                    log.warning("could not take down an anonymous command in %s: %s", room_id, redacted)
            try:
                await self.send(await direct_room(self.client, self.sessions, event.sender), content)
            except SendFailed:
                log.warning("could not answer %s privately", event.sender, exc_info=True)
            return
        await self.send(room_id, replying(content, event.event_id, event.sender, event.source))
        if reply.private_note:  # this room is theirs alone: the words for them go here, never to the channel
            await self.send(room_id, notice(Reply(text=reply.private_note), self.prefix))
        if reply.channel:
            await self.send(reply.channel, content)
