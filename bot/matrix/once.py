"""Answering each Matrix message once, however often it is handed over.

The saved sync token already stops a restart from reading old messages again; this covers
the gaps around it: a crash after answering but before the token was saved, or two bot
processes following the same account. Before a command runs, its event id is inserted into
`matrix_events`, whose primary key lets exactly one claim through.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage.database import transaction
from storage.models import MatrixEvent

# Far longer than a bot stays down; events older than this are never handed over again.
KEEP = timedelta(days=30)


def claim(sessions: sessionmaker[Session], event_id: str, room_id: str, now: datetime | None = None) -> bool:
    """True the first time an event is claimed; False once anyone has claimed it."""
    try:
        with transaction(sessions) as session:
            session.add(MatrixEvent(event_id=event_id, room_id=room_id, received_at=now or datetime.now(UTC)))
    except IntegrityError:
        return False
    return True


def forget_old(sessions: sessionmaker[Session], now: datetime | None = None) -> int:
    """Drop claims older than KEEP; returns how many went."""
    with transaction(sessions) as session:
        gone = session.execute(delete(MatrixEvent).where(MatrixEvent.received_at < (now or datetime.now(UTC)) - KEEP))
        return int(getattr(gone, "rowcount", 0) or 0)
