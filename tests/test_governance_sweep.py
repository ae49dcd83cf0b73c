"""The governance nudges read every partnership at once: the number of queries a sweep
spends on them does not grow with the number of partnerships."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from handlers import decisions, reviews, succession
from storage.models import Partnership
from storage.nudges import DueNudge
from tests.conftest import START, Chat


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def busy_partnership(chat: Chat, n: int) -> None:
    """A partnership with a proposal about to close, an open review and large unsucceeded work."""
    chat.channel = f"room{n}"
    chat.ok("alice", f'setup "Partnership {n}" kind:task-force')
    for who in ("bob", "carol"):
        chat.ok(who, "join org:Org sector:private")
    chat.ok("bob", 'commit "Run the market" by:2027-03-01 effort:10h')
    chat.ok("alice", 'propose "Adopt the plan" closes:2026-12-20')
    chat.ok("alice", "review start")


def governance_nudges(sessions: sessionmaker[Session], chat: Chat) -> tuple[int, list[DueNudge]]:
    engine = sessions.kw["bind"]
    with counting(engine) as statements, sessions() as session:
        due = [*decisions.nudges(session, chat.now), *reviews.nudges(session, chat.now),
               *succession.nudges(session, chat.now, session.scalars(select(Partnership.id)).all())]
        session.rollback()
    return len(statements), due


def test_queries_do_not_grow_with_partnerships(chat: Chat) -> None:
    later = START + timedelta(days=25)  # the proposals close within a day; past settling in
    busy_partnership(chat, 1)
    chat.now = later
    one, due_one = governance_nudges(chat.sessions, chat)
    chat.now = START
    for n in range(2, 6):
        busy_partnership(chat, n)
    chat.now = later
    five, due_five = governance_nudges(chat.sessions, chat)
    assert len(due_five) == 5 * len(due_one) > 0
    assert five == one, f"{one} queries for one partnership, {five} for five"
