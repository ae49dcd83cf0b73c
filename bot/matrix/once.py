"""Answering each Matrix message once, however often it is handed over.

The saved sync token already stops a restart from reading old messages again; this covers
the gaps around it: a crash after answering but before the token was saved, or two bot
processes following the same account. A command's event id is written into `matrix_events`
in the command's own transaction (a `Mark`, passed to `handlers.handle` as its `once`), whose
primary key lets exactly one through: a crash before the commit leaves neither the change nor
the id, so the message is answered when it is read again; after the commit, never again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.anonymity import anonymised, start_of_day
from storage.database import transaction
from storage.models import MatrixEvent

# Far longer than a bot stays down; events older than this are never handed over again.
KEEP = timedelta(days=30)


@dataclass(frozen=True)
class Mark:
    """One message's event id, written with the change it made; a `handlers.dispatch.Once`."""

    event_id: str
    room_id: str
    anonymous: bool = False

    def discreet(self) -> Mark:
        return replace(self, anonymous=True)

    def __call__(self, session: Session) -> None:
        event_id, room_id, received = self.event_id, self.room_id, datetime.now(UTC)
        if self.anonymous:
            # Read again, the message still finds its row; nothing else can match it.
            event_id, room_id, received = anonymised(event_id), "", start_of_day(received)
        session.add(MatrixEvent(event_id=event_id, room_id=room_id, received_at=received))
        session.flush()


def first_time(sessions: sessionmaker[Session], event_id: str, room_id: str) -> bool:
    """Mark a message handled without running it (refused before any command ran); False if it
    was marked before, so it is refused once however often it is handed over."""
    try:
        with transaction(sessions) as session:
            Mark(event_id, room_id)(session)
    except IntegrityError:
        return False
    return True


def forget_old(sessions: sessionmaker[Session], now: datetime | None = None) -> int:
    """Drop marks older than KEEP; returns how many went."""
    with transaction(sessions) as session:
        gone = session.execute(delete(MatrixEvent).where(MatrixEvent.received_at < (now or datetime.now(UTC)) - KEEP))
        return int(getattr(gone, "rowcount", 0) or 0)
