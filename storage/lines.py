"""Commitments as a list shows them: one plain row each, its owner's name and organisation and
its series' rule joined in.

A listing reads dozens of commitments and changes none, and building an ORM object for each,
its owner and the owner's person was most of what `who` cost (BENCHMARKS.md). A command that
changes a commitment reads it as an object; a list reads these.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session

from storage.models import Commitment, CommitmentSeries, CommitmentStatus, Member, Person
from storage.queries import plain_rows


class CommitmentLine(NamedTuple):
    id: int
    partnership_id: int
    number: int
    owner_id: int
    title: str
    status: CommitmentStatus
    due_at: datetime
    closed_at: datetime | None
    done_note: str | None
    handed_to: str | None
    drop_reason: str | None
    effort_hours: float | None
    left_hours: float | None
    handover_from_id: int | None
    owner_name: str
    owner_organisation: str | None
    owner_timezone: str  # its due date is a day on its owner's calendar
    rule: str | None  # a recurring commitment's series rule (handlers/recurring.Rule), else None


# A line's fields but its last four (the owner's and the series', joined in) are the
# commitment's own columns of the same names.
OWN = CommitmentLine._fields[:-4]
# Done work is credited to the organisation its owner spoke for when it was done
# (`delivered_for`), as give and take credits it: a member who rejoins for another does not
# take it with them. Other work shows the owner's organisation now.
CREDITED = case((Commitment.status == CommitmentStatus.DONE, Commitment.delivered_for), else_=Member.organisation)
# Add a where clause and an order (and bind values at execution) for each listing.
LINES: Select[Any] = (
    select(*(getattr(Commitment, name) for name in OWN), Person.display_name, CREDITED, Person.timezone,
           CommitmentSeries.rule)
    .join(Member, Member.id == Commitment.owner_id)
    .join(Person, Person.id == Member.person_id)
    .outerjoin(CommitmentSeries, CommitmentSeries.id == Commitment.series_id)
)


def lines(session: Session, statement: Select[Any], values: dict[str, Any] | None = None) -> list[CommitmentLine]:
    """The commitments a statement built on `LINES` reads."""
    return [CommitmentLine._make(row) for row in plain_rows(session, statement, values)]


def line_of(c: Commitment) -> CommitmentLine:
    """A commitment already held as an object (one just logged, say), as a list shows it."""
    credited = c.delivered_for if c.status is CommitmentStatus.DONE else c.owner.organisation
    return CommitmentLine(*(getattr(c, name) for name in OWN), c.owner.person.display_name, credited,
                          c.owner_timezone, c.series.rule if c.series else None)
