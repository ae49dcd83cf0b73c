"""Drafting a meeting's agenda from the record: statements and time, for the partnership with
the most open work, in process.

The draft reads concerns, proposals, overdue work, goals, sign-off and carried items in a
fixed number of statements (handlers/meetings/agenda.py `draft`): the count printed here
must stay the same at every N, however much the partnership holds.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from handlers.meetings.agenda import draft
from storage.database import session_factory
from storage.models import Commitment, CommitmentStatus, Meeting, Partnership

DRAFTS = 50


@dataclass
class Drafting:
    open_work: int
    items: int
    statements: int
    p50: float


def agenda_draft(engine: Engine, measure: Callable[[], AbstractContextManager[Callable[[], int]]]) -> Drafting:
    """Draft an agenda (not saved) for a meeting a week away of the partnership with the most open work."""
    now = datetime.now(UTC)
    with session_factory(engine)() as session:
        busiest, open_work = session.execute(
            select(Commitment.partnership_id, func.count()).where(Commitment.status == CommitmentStatus.OPEN)
            .group_by(Commitment.partnership_id).order_by(func.count().desc()).limit(1)).one()
        p = session.get(Partnership, busiest)
        assert p is not None
        meeting = Meeting(id=0, partnership_id=p.id, number=0, title="Bench", closes_at=now + timedelta(days=5),
                          starts_at=now + timedelta(days=7), created_at=now)
        draft(session, p, meeting, now)  # warm
        with measure() as seen:
            items = len(draft(session, p, meeting, now))
            statements = seen()
        times = []
        for _ in range(DRAFTS):
            started = time.perf_counter()
            draft(session, p, meeting, now)
            times.append(1000 * (time.perf_counter() - started))
    return Drafting(open_work, items, statements, statistics.median(times))


def rows(found: Iterator[tuple[str, int, Drafting]]) -> list[str]:
    lines = ["| db | N | open commitments there | agenda items | statements per draft | draft p50 |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {db} | {n} | {d.open_work} | {d.items} | {d.statements} | {d.p50:.1f} ms |" for db, n, d in found]
    return lines
