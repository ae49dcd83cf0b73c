"""Messages the bot cannot decrypt yet: ask for their keys, answer once they come, or say so.

A message can arrive before its room key (the sender's client shares it to-device, and the two
travel separately), or its key may never have been sent to the bot's device. The bot asks the
sender's device for the key, tries the message again after every sync, and answers it as soon
as it decrypts. If the key has not come after GIVE_UP seconds it says so once in the room,
mentioning the sender, so nobody waits for an answer that cannot come. Waiting messages are
kept in memory: after a restart the one-time notice is all that may be lost, not an answer
given twice (answers are recorded by event id, bot/matrix/once.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from nio import AsyncClient, EncryptionError, Event, LocalProtocolError, MegolmEvent

from bot.matrix.delivery import send
from bot.matrix.render import notice, replying
from handlers.reply import Reply

log = logging.getLogger(__name__)

GIVE_UP = 300.0
NEVER_CAME = ("I couldn't read {sender}'s message: my device never received its keys, so I can't answer it. "
              "Please send it again; if this keeps happening, an administrator can check the bot's "
              "trust policy (the README's *Encrypted rooms*).")


@dataclass
class Waiting:
    room_id: str
    event: MegolmEvent
    since: float


class Undecryptable:
    """Encrypted messages waiting for their keys, by event id."""

    def __init__(self, prefix: str, give_up: float = GIVE_UP, verified: frozenset[str] = frozenset(),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.prefix = prefix
        self.verified = verified
        self.give_up = give_up
        self.clock = clock
        self.waiting: dict[str, Waiting] = {}

    async def hold(self, client: AsyncClient, room_id: str, event: MegolmEvent) -> None:
        """Keep the message and ask the sender's device for its key."""
        if event.event_id in self.waiting:
            return
        event.room_id = room_id
        self.waiting[event.event_id] = Waiting(room_id, event, self.clock())
        log.info("cannot decrypt %s from %s in %s yet; asking their device %s for the key",
                 event.event_id, event.sender, room_id, event.device_id)
        try:
            await client.to_device(event.as_key_request(event.sender, client.device_id, device_id=event.device_id))
        except LocalProtocolError as refused:
            log.info("no key request for %s: %s", event.event_id, refused)

    async def retry(self, client: AsyncClient) -> list[tuple[str, Event]]:
        """The waiting messages that decrypt now, oldest first; those that waited too long are
        given up, with a word in their room."""
        ready: list[tuple[str, Event]] = []
        for event_id, waiting in list(self.waiting.items()):
            try:
                decrypted = client.decrypt_event(waiting.event)
            except EncryptionError:
                decrypted = None
            if decrypted is not None and not isinstance(decrypted, MegolmEvent):
                del self.waiting[event_id]
                ready.append((waiting.room_id, decrypted))
            elif self.clock() - waiting.since >= self.give_up:
                del self.waiting[event_id]
                log.warning("gave up on %s from %s in %s: its key never came", event_id, waiting.event.sender,
                            waiting.room_id)
                said = notice(Reply(text=NEVER_CAME.format(sender=waiting.event.sender), error=True), self.prefix)
                await send(client, waiting.room_id, replying(said, event_id, waiting.event.sender, {}), verified=self.verified)
        return ready
