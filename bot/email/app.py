"""Email in `partnerbot run` (and `partnerbot tick`): the outbox sent, followers' weeks mailed,
the mailbox read.

The sender wakes as soon as a command queues a mail (a confirmation code goes at once) and
every minute besides; each time it queues the followers whose week is up, then drains the
outbox. The mailbox is read in a thread of its own (bot/email/inbox.py). Nudges reach the
outbox through each chat platform's sweep (bot/email/delivery.py).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.email.inbox import Inbox
from bot.email.sender import Drained, Sender
from bot.email.servers import Refused
from handlers.context import zone
from handlers.email import following
from storage import nudges
from storage.database import database_now, transaction

log = logging.getLogger(__name__)

WAKE_SECONDS = 60.0


@dataclass
class Tick:
    """What one round of email did: followers' mails queued, the outbox drained, mails taken in."""

    weekly: int
    drained: Drained | None
    received: int

    def summary(self) -> str:
        sent = self.drained.summary() if self.drained else "No SMTP_URL: nothing sent."
        return f"{sent} {self.weekly} weekly mails to followers queued; {self.received} mails taken in."


class MailService:
    """Everything email does on its own, from the settings."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.sender = Sender(settings, sessions) if settings.smtp_url else None
        self.inbox = Inbox(settings.imap_url, sessions) if settings.imap_url else None
        self.wake = threading.Event()

    def send(self, now: datetime | None = None) -> tuple[int, Drained | None]:
        """Queue the followers whose week is up, then send the outbox."""
        moment = now or database_now(self.sessions)
        with transaction(self.sessions) as session:
            weekly = following.weekly(session, moment, zone(self.settings.timezone))
        if self.sender is None:
            return weekly, None
        drained = self.sender.drain(now)
        with transaction(self.sessions) as session:
            nudges.swept(session, "mail-out", moment)
        return weekly, drained

    def tick(self, now: datetime | None = None) -> Tick:
        """One round of everything, for `partnerbot tick`: read the mailbox once, then send (the
        answers to what was read among it)."""
        received = len(self.inbox.poll(now=now)) if self.inbox is not None else 0
        weekly, drained = self.send(now)
        return Tick(weekly, drained, received)

    def start(self, stop: threading.Event) -> list[threading.Thread]:
        """The sender and the mailbox reader, each in a daemon thread, until `stop` is set."""
        nudges.on_told(self.sessions, self.wake.set)
        threads = [threading.Thread(target=self.keep_sending, args=(stop,), name="mail-sender", daemon=True)]
        if self.inbox is not None:
            threads.append(threading.Thread(target=self.inbox.watch, args=(stop,), name="mail-inbox", daemon=True))
        for thread in threads:
            thread.start()
        return threads

    def keep_sending(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.wake.clear()  # a mail queued while sending sets it again: the next round starts at once
            try:
                self.send()
            except Refused as refused:
                log.error("email: %s", refused)
                return
            except Exception:  # the database away, say: the next round picks up where this left off
                log.exception("sending mail failed")
            self.wake.wait(WAKE_SECONDS)
