"""Running a command for a Matrix user: the one path from a room message to handlers and back.

A message is a command when it starts with the prefix (`!partner commit ...`) or a mention of
the bot, or, in the bot's direct room with the sender, always. The sender is looked up for
their name and zone, `handlers.handle` decides (in a worker thread, so the connection keeps
flowing) and writes the event id with the change, so the message is answered once; the reply
is sent as a notice threaded onto the message. Something said anonymously is answered only
where nobody else reads (see `answer_discreetly`), and a room counts as private only while
nobody but the bot and the sender is in it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from nio import AsyncClient, RoomMessageText, RoomRedactResponse
from sqlalchemy.orm import Session, sessionmaker

from bot.matrix import once
from bot.matrix.delivery import SendFailed, direct_room, known_room, send
from bot.matrix.people import People, mentioned, message_text, person_id
from bot.matrix.render import notice, replying
from handlers import Actor, Reply, handle
from handlers.parsing import MAX_INPUT

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

    async def answer(self, room_id: str, event: RoomMessageText) -> None:
        """Run the message's command, if it has one, and reply to it, once."""
        if event.sender == self.client.user_id or is_edit(event):
            return
        direct = known_room(self.sessions, self.client.user_id, event.sender) == room_id
        text = addressed(message_text(event.source.get("content") or {}), self.prefix, self.client.user_id, direct)
        if text is None:
            return
        profile = await self.people.profile(self.client, event.sender)
        private = self.alone_with(room_id, event.sender)
        actor = Actor(PLATFORM, self.workspace, person_id(event.sender), room_id,
                      display_name=profile.display_name if profile else None,
                      timezone=(profile.timezone if profile else None) or self.default_timezone,
                      mentions=mentioned(text), private=private)
        # Too long to be a command: refused for its length before any lookup is made.
        directory = await self.people.directory(self.client, text) if len(text) <= MAX_INPUT else None
        reply = await asyncio.to_thread(handle, text, actor, self.sessions, directory=directory,
                                        once=once.Mark(event.event_id, room_id))
        if reply is None:
            return  # answered before: read again after a restart, or by a second bot process
        if reply.discreet:
            await self.answer_discreetly(room_id, event, reply, private)
            return
        await send(self.client, room_id, replying(notice(reply, self.prefix), event.event_id, event.sender, event.source))

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
        answered there, and announced in the partnership's room on its own, as no reply to
        the message and with no mention of anyone."""
        content = notice(reply, self.prefix)
        if not private:
            room = self.client.rooms.get(room_id)
            if room is not None and room.power_levels.can_user_redact(self.client.user_id):
                redacted = await self.client.room_redact(room_id, event.event_id, reason=TAKEN_DOWN)
                if not isinstance(redacted, RoomRedactResponse):
                    log.warning("could not take down an anonymous command in %s: %s", room_id, redacted)
            try:
                await send(self.client, await direct_room(self.client, self.sessions, event.sender), content)
            except SendFailed:
                log.warning("could not answer %s privately", event.sender, exc_info=True)
            return
        await send(self.client, room_id, replying(content, event.event_id, event.sender, event.source))
        if reply.channel:
            await send(self.client, reply.channel, content)
