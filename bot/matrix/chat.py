"""Running a command for a Matrix user: the one path from a room message to handlers and back.

A message is a command when it starts with the prefix (`!partner commit ...`) or a mention of
the bot, or, in the bot's direct room with the sender, always. The sender is looked up for
their name and zone, `handlers.handle` decides (in a worker thread, so the connection keeps
flowing) and writes the event id with the change, so the message is answered once; the reply
is sent as a notice threaded onto the message. Something said anonymously, a sign-in link and
a reopen code are said only where nobody else reads, now or later (bot/matrix/privacy.py):
asked anywhere else, they go to the person's private room, checked again just before sending.
With MATRIX_VERIFIED_DEVICES set, only commands its devices sent encrypted are obeyed; any
other gets a notice saying why. Poll answers and reactions to a proposal take the same path
as the command they stand for (bot/matrix/polls.py).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace

from nio import AsyncClient, Event, RoomMessageText, RoomRedactResponse
from sqlalchemy.orm import Session, sessionmaker

from bot.matrix import crypto, once, polls, privacy
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
SENT_APART = "I've sent that to you in a direct message, as it is for you only."
# Under a refusal sent to the person's private room, for something they said elsewhere.
SAY_IT_HERE = ("Send it here: only you and I are in this room, and nobody invited later can read what was said "
               "before.")
# The same, when the room it was typed in was the person's direct room, closed just now.
CLOSED_NOW = "This room's history is now unreadable to anyone invited later{taken}: send it again here."
# With MATRIX_VERIFIED_DEVICES, for a command from anything but a listed device.
OBEYED = "this bot takes commands only from devices its administrator has verified (MATRIX_VERIFIED_DEVICES)"
UNLISTED = (f"I did nothing: {OBEYED}, and this message came from a device that is not one of them. Send it from a "
            "verified device, or ask the administrator to add this device's key.")
UNENCRYPTED = (f"I did nothing: this message came unencrypted, so nothing shows which device sent it, and {OBEYED}. "
               "Send it from your verified device{where}.")


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
        if (doubt := self.distrust(room_id, event)) is not None:
            await self.refuse(room_id, event, event.event_id, doubt)
            return
        private = privacy.private_now(self.client, self.sessions, room_id, event.sender)
        reply = await self.run(room_id, event.sender, event.event_id, text, private, direct)
        if reply is None:
            return  # answered before: read again after a restart, or by a second bot process
        if reply.secret:
            await self.answer_secretly(room_id, event, reply, private)
            return
        if reply.discreet:
            await self.answer_discreetly(room_id, event, reply, private)
            return
        content = polls.marked(notice(reply, self.prefix), reply)
        announced = room_id
        if reply.channel is not None and reply.channel != room_id and not reply.error:
            announced = reply.channel
            await self.send(announced, content)
            await self.answer_apart(room_id, event, reply, private)
        else:
            await self.send(room_id, replying(content, event.event_id, event.sender, event.source))
        proposal = polls.proposal_of(reply)
        if proposal is not None and proposal.mode == "vote" and canonical(text.split()[0].lower()) == "propose":
            await self.send(announced, polls.poll(reply.title or text, proposal), polls.POLL_START)

    async def respond(self, room_id: str, event: Event) -> None:
        """A poll answer or a 👍/👎 on a proposal, counted once as the command it stands for and
        acknowledged with a reply to the proposal, so the person sees it was counted."""
        if event.sender == self.client.user_id:
            return
        response = await polls.read(self.client, room_id, event)
        if response is None:
            return
        if (doubt := self.distrust(room_id, event)) is not None:
            await self.refuse(room_id, event, response.target, doubt)
            return
        if response.stale:
            await self.send(room_id, replying(notice(refusal(), self.prefix), response.target, event.sender, {}))
            return
        reply = await self.run(room_id, event.sender, event.event_id, response.command,
                               privacy.private_now(self.client, self.sessions, room_id, event.sender))
        if reply is None:
            return
        if response.hint and not reply.error:
            reply.text = "\n".join(part for part in (reply.text, response.hint) if part)
        await self.send(room_id, replying(notice(reply, self.prefix), response.target, event.sender, {}))

    async def run(self, room_id: str, sender: str, event_id: str, text: str, private: bool,
                  direct: bool = False) -> Reply | None:
        """The command's reply, run as the sender; None if this event was answered before."""
        profile = await self.people.profile(self.client, sender)
        actor = Actor(PLATFORM, self.workspace, person_id(sender), room_id,
                      display_name=profile.display_name if profile else None,
                      timezone=(profile.timezone if profile else None) or self.default_timezone,
                      mentions=mentioned(text), private=private, place="room", direct=direct)
        # Too long to be a command: refused for its length before any lookup is made.
        directory = await self.people.directory(self.client, text) if len(text) <= MAX_INPUT else None
        return await asyncio.to_thread(handle, text, actor, self.sessions, directory=directory,
                                       once=once.Mark(event_id, room_id))

    async def send(self, room_id: str, content: Content, kind: str = "m.room.message") -> str:
        return await send(self.client, room_id, content, kind=kind, verified=self.verified)

    def distrust(self, room_id: str, event: Event) -> str | None:
        """Why a command is not obeyed under MATRIX_VERIFIED_DEVICES (None: it is, or there is no
        list): it did not come encrypted by one of the listed devices."""
        if not self.verified or crypto.sent_by_verified_device(self.client, room_id, event, self.verified):
            return None
        if getattr(event, "decrypted", False):
            return UNLISTED
        room = self.client.rooms.get(room_id)
        return UNENCRYPTED.format(where="" if room is not None and room.encrypted else ", in an encrypted room")

    async def refuse(self, room_id: str, event: Event, target: str, why: str) -> None:
        """Say why a command was not obeyed, once, in a notice on it; the sending device, though
        not listed, is given the key to this one notice, so its owner reads why."""
        if not once.first_time(self.sessions, event.event_id, room_id):
            return
        log.warning("Matrix: not obeying %s from %s in %s: %s", event.event_id, event.sender, room_id,
                    "unlisted device" if getattr(event, "decrypted", False) else "not encrypted")
        content = replying(notice(Reply(text=why, error=True), self.prefix), target, event.sender,
                           event.source if target == event.event_id else {})
        await send(self.client, room_id, content, verified=self.verified,
                   also=crypto.sending_device(self.client, event))

    async def private_room(self, user: str, here: str | None) -> str:
        """Where to say something for this person alone: `here` (where they asked), if the
        homeserver says just now that it is private with them, else their direct room (made or
        checked just now). Raises SendFailed when no such room can be had."""
        if here is not None and await privacy.confirmed(self.client, self.sessions, here, user):
            return here
        return await direct_room(self.client, self.sessions, user)

    async def answer_secretly(self, room_id: str, event: RoomMessageText, reply: Reply, private: bool) -> None:
        """A reply only its asker may read (a sign-in link): in their private room alone; where
        they asked, if that room is it, else a pointer there."""
        content = notice(reply, self.prefix)
        try:
            where = await self.private_room(event.sender, room_id if private else None)
        except SendFailed:
            log.warning("could not find a private room for %s", event.sender, exc_info=True)
            where = None
        if where == room_id:
            await self.send(room_id, replying(content, event.event_id, event.sender, event.source))
            return
        if where is not None:
            await self.send(where, content)
        said = Reply(text=SENT_APART) if where is not None else \
            Reply(text="I couldn't open a direct message with you, so I have not sent it. Try again.", error=True)
        await self.send(room_id, replying(notice(said, self.prefix), event.event_id, event.sender, event.source))

    async def answer_apart(self, room_id: str, event: RoomMessageText, reply: Reply, private: bool) -> None:
        """The asker's own copy of an announcement that went to its partnership's room (`reply.channel`)
        from a direct message or another partnership's room: where they asked, if only they read it
        there, else in their private room, so the other partnership's room reads nothing of it."""
        try:
            where = await self.private_room(event.sender, room_id if private else None)
        except SendFailed:
            log.warning("could not tell %s privately", event.sender, exc_info=True)
            return
        content = notice(replace(reply, channel=None), self.prefix)
        await self.send(where, replying(content, event.event_id, event.sender, event.source) if where == room_id else content)

    async def answer_discreetly(self, room_id: str, event: RoomMessageText, reply: Reply, private: bool) -> None:
        """Something said anonymously. Asked where others read it, now or later: the message is
        taken down (when the bot may) and the answer goes to the person's private room. Asked in
        private: answered there, with any words for the asker alone (`private_note`), and
        announced in the partnership's room on its own, as no reply to the message and with no
        mention of anyone. Nothing is said in the room where it was asked unless that room is
        still private with the person when the answer goes."""
        content = notice(reply, self.prefix)
        taken_down = not private and await self.take_down(room_id, event)
        try:
            where = await self.private_room(event.sender, room_id if private else None)
        except SendFailed:
            log.warning("could not answer %s privately", event.sender, exc_info=True)
            return
        if private and where == room_id:
            await self.send(room_id, replying(content, event.event_id, event.sender, event.source))
        elif private or not reply.error:
            await self.send(where, content)
        else:  # refused, as typed where others read it: say where to send it instead
            instead = SAY_IT_HERE if where != room_id else CLOSED_NOW.format(
                taken=", and I have taken your message down" if taken_down else "")
            await self.send(where, notice(Reply(text=f"{reply.text}\n{instead}", error=True), self.prefix))
        if reply.private_note:  # for the asker alone: only ever in their private room
            await self.send(where, notice(Reply(text=reply.private_note), self.prefix))
        if reply.channel:
            await self.send(reply.channel, content)

    async def take_down(self, room_id: str, event: RoomMessageText) -> bool:
        """Redact an anonymous command typed where others read it, if the bot has the power to;
        whether it is gone."""
        room = self.client.rooms.get(room_id)
        if room is None or not room.power_levels.can_user_redact(self.client.user_id):
            return False
        redacted = await self.client.room_redact(room_id, event.event_id, reason=TAKEN_DOWN)
        if not isinstance(redacted, RoomRedactResponse):
            log.warning("could not take down an anonymous command in %s: %s", room_id, redacted)
            return False
        return True
