"""One person, several accounts: someone on Slack and on Matrix (or in two workspaces) links
the two (`link me`), and from then on is one person, one member of each partnership, with one
load, one vote and one set of commitments.

Linking points the second account's row at the first (`Person.account_of_id`) and moves what
the second account held onto the first: its memberships, and where both accounts were members
of one partnership, that membership's live record (commitments, open votes, flexibility,
pledges...). What the database keeps read-only (a settled decision and the responses to it)
stays with the old membership, which is kept as a former one, so history reads as it was.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import Column, Table, UniqueConstraint, and_, delete, exists, select, update
from sqlalchemy.orm import Session

from storage.models import (
    Base,
    Decision,
    DecisionResponse,
    DecisionStatus,
    EmailAddress,
    Event,
    Member,
    Partnership,
    Person,
    Priority,
    Proxy,
    Role,
)
from storage.queries import SUBJECT_KINDS

# Tables whose rows name a member twice: a row between the two accounts' memberships would
# come to name one member twice (a proxy to oneself, a handover to oneself) and stays as it was.
PAIRED = {Proxy.__tablename__: ("giver_id", "holder_id"), "handovers": ("from_member_id", "to_member_id")}
# What a kind of row is called in the reply that counts the duplicates set aside.
CALLED = {DecisionResponse.__tablename__: "response to an open proposal", "meeting_answers": "meeting poll answer",
          "meeting_attendees": "meeting attendance", "review_answers": "review answer", "episodes": "warning state"}


def accounts(session: Session, person_id: int) -> list[Person]:
    """The person's own account first, then those linked to it, oldest link first."""
    return list(session.scalars(select(Person).where((Person.id == person_id) | (Person.account_of_id == person_id))
                                .order_by(Person.account_of_id.is_not(None), Person.id)))


def link(session: Session, keep: Person, other: Person, now: datetime) -> Counter[str]:
    """Make `other` (and any account linked to it) an account of `keep`, moving its
    memberships and their live record onto `keep`'s; returns the duplicates set aside, by kind.

    Both rows must be locked by the caller, and neither be an account of someone else."""
    set_aside: Counter[str] = Counter()
    theirs = list(session.scalars(select(Member).where(Member.person_id == other.id)))
    for member in theirs:
        mine = session.scalar(select(Member).where(Member.partnership_id == member.partnership_id,
                                                   Member.person_id == keep.id))
        if mine is None:
            member.person_id = keep.id
        else:
            set_aside += merge(session, mine, member, now)
    if session.get(EmailAddress, keep.id) is None:  # their mail settings, if only the other account had any
        session.execute(update(EmailAddress).where(EmailAddress.person_id == other.id).values(person_id=keep.id))
    session.execute(update(Person).where(Person.account_of_id == other.id).values(account_of_id=keep.id))
    other.account_of_id = keep.id
    session.flush()
    return set_aside


def observer_clashes(session: Session, keep: Person, other: Person) -> list[Partnership]:
    """The partnerships where a coordinator made one account an observer while the other is a
    member there: linking would undo the coordinator's word or give an observer work."""
    mine, theirs = (select(Member).where(Member.person_id == p.id, Member.left_at.is_(None)).subquery()
                    for p in (keep, other))
    observer = (mine.c.role == Role.OBSERVER) & mine.c.role_imposed & (theirs.c.role == Role.MEMBER)
    reverse = (theirs.c.role == Role.OBSERVER) & theirs.c.role_imposed & (mine.c.role == Role.MEMBER)
    return list(session.scalars(select(Partnership).join(mine, mine.c.partnership_id == Partnership.id)
                                .join(theirs, theirs.c.partnership_id == Partnership.id)
                                .where(observer | reverse).order_by(Partnership.name)))


def merge(session: Session, keep: Member, other: Member, now: datetime) -> Counter[str]:
    """Fold one partnership's second membership into the first: the first takes the higher
    role, unless a coordinator made either an observer, and stays (or becomes) active; the
    second keeps only what cannot move, as a former member."""
    if other.left_at is None:  # let in on the other account: in on this one
        keep.left_at, keep.removed = None, False
    if other.role is Role.COORDINATOR:  # trusted on that account by name: on this one too
        keep.role, keep.role_imposed = Role.COORDINATOR, False
    elif keep.role is Role.OBSERVER and other.role is Role.MEMBER:  # never an imposed observer (observer_clashes)
        keep.role = Role.MEMBER
    elif keep.role is Role.OBSERVER:
        keep.role_imposed = keep.role_imposed or other.role_imposed
    for field in ("organisation", "sector", "capacity_hours", "perspective"):
        if getattr(keep, field) is None:
            setattr(keep, field, getattr(other, field))
    keep.volunteer = keep.volunteer or other.volunteer
    session.flush()
    if session.scalar(select(Priority.id).where(Priority.member_id == keep.id, Priority.replaced_at.is_(None))):
        session.execute(update(Priority).where(Priority.member_id == other.id, Priority.replaced_at.is_(None))
                        .values(replaced_at=now))  # one current priority: the kept account's
    set_aside: Counter[str] = Counter()
    columns = member_columns()
    for table, column in columns:
        set_aside[CALLED.get(table.name, table.name)] += repoint(session, table, column, keep.id, other.id)
    if any(session.scalar(select(exists().where(column == other.id))) for _, column in columns):
        if other.left_at is None:  # kept as a former member, for the history it still holds
            session.execute(update(Member).where(Member.id == other.id).values(left_at=now))
    else:  # nothing left on it: the log's lines about it are about the one member now
        session.execute(update(Event).where(Event.partnership_id == keep.partnership_id,
                                            Event.subject_kind == SUBJECT_KINDS[Member], Event.subject_id == other.id)
                        .values(subject_id=keep.id))
        session.execute(delete(Member).where(Member.id == other.id))
    session.expire_all()
    return +set_aside


def member_columns() -> list[tuple[Table, Column[int]]]:
    """Every column, in every table, that names a member."""
    return [(table, fk.parent) for table in Base.metadata.sorted_tables for fk in table.foreign_keys
            if fk.column.table.name == Member.__tablename__ and fk.column.name == "id"]


def repoint(session: Session, table: Table, column: Column[int], keep: int, other: int) -> int:
    """Move the rows naming `other` in `column` to `keep`; returns how many were set aside as
    duplicates of rows `keep` already has (a second vote on one proposal, say)."""
    moving = [column == other]
    if table.name in (Decision.__tablename__, DecisionResponse.__tablename__):  # settled ones never change
        decision = table.c.id if table.name == Decision.__tablename__ else table.c.decision_id
        moving.append(decision.in_(select(Decision.id).where(Decision.status == DecisionStatus.OPEN)))
    if pair := PAIRED.get(table.name):
        partner = table.c[pair[1] if column.name == pair[0] else pair[0]]
        moving.append(partner != keep)
    set_aside = 0
    for unique in unique_column_sets(table):
        if column.name not in unique:
            continue
        twin = table.alias("twin")
        same = [twin.c[name] == table.c[name] for name in unique if name != column.name]
        duplicate = exists().where(twin.c[column.name] == keep, *same)
        set_aside += session.execute(delete(table).where(*moving, duplicate)).rowcount or 0
    session.execute(update(table).where(and_(*moving)).values({column.name: keep}))
    return set_aside


def unique_column_sets(table: Table) -> list[list[str]]:
    """The column sets a table holds unique, from its constraints and unique indexes."""
    sets = [[c.name for c in constraint.columns] for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint)]
    return sets + [[c.name for c in index.columns] for index in table.indexes if index.unique]
