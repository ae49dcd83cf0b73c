"""Which partnerships a sweep must derive again: the ones whose state changed since they were
last derived, and the ones a moment has come for (a due date, a local midnight).

Every partnership counts its changes (`Partnership.changes`). A session hook bumps the count of
each partnership whose watched rows (the ones the derivation reads, named by `watch`) a flush
or a bulk `update()`/`delete()` touches, in the same transaction as the change: so every
change, by a command, a web page or a sweep, is seen however it was made. A sweep reads the
counts first, derives the partnerships whose count moved or whose `derive_after` has come,
and records the count it read with the next moment the answer could change of itself.
A change committed while it derived leaves the count ahead of the one recorded, so the next
sweep derives that partnership again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Delete, Update, bindparam, event, func, or_, select, update
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from storage.models import Commitment, Member, Partnership, Person, Snooze

# Watched models with a partnership_id of their own; `Person` and `Snooze` reach theirs through
# members and commitments.
_watched: set[type] = set()
_partnerships = Partnership.__table__


def watch(*models: type) -> None:
    """Count a change to any row of `models` as a change of its partnership's derivation."""
    _watched.update(models)


def _owner(model: type) -> Any:
    """How a row of `model` names the partnerships it belongs to, as a column to select."""
    if model is Partnership:
        return Partnership.id
    if model is Person:
        return Member.partnership_id
    if model is Snooze:
        return Commitment.partnership_id
    return model.partnership_id  # type: ignore[attr-defined]


def _bump(session: Session, ids: Collection[int] = (), people: Collection[int] = (),
          commitments: Collection[int] = ()) -> None:
    """Count one change in each partnership named, directly or through its people or commitments;
    once a transaction (or savepoint) is enough, as the count is read after it commits: a command
    flushing three times adds one statement, not three."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    counted = session.info.get("counted")
    if counted is None or counted[0] is not transaction:
        counted = session.info["counted"] = (transaction, set())
    ids, people, commitments = ({i for i in named if (kind, i) not in counted[1]}
                                for kind, named in (("p", ids), ("person", people), ("c", commitments)))
    counted[1].update([*(("p", i) for i in ids), *(("person", i) for i in people), *(("c", i) for i in commitments)])
    found = [_partnerships.c.id.in_(ids)] if ids else []
    if people:
        found.append(_partnerships.c.id.in_(select(Member.partnership_id).where(Member.person_id.in_(people))))
    if commitments:
        found.append(_partnerships.c.id.in_(select(Commitment.partnership_id).where(Commitment.id.in_(commitments))))
    if found:
        session.connection().execute(
            update(_partnerships).where(or_(*found)).values(changes=_partnerships.c.changes + 1))


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, context: UOWTransaction) -> None:
    """Rows added, changed or deleted by this flush (the lists still hold them here)."""
    ids: set[int] = set()
    people: set[int] = set()
    commitments: set[int] = set()
    for row in (*session.new, *session.dirty, *session.deleted):
        kind = type(row)
        if kind not in _watched:
            continue
        if kind is Person:
            people.add(row.id)
        elif kind is Snooze:
            commitments.add(row.commitment_id)
        elif kind is Partnership:
            ids.add(row.id)
        else:
            ids.add(row.partnership_id)  # type: ignore[attr-defined]
    _bump(session, ids - {None}, people - {None}, commitments - {None})  # type: ignore[operator]


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> None:
    """A bulk `update()` or `delete()` of watched rows: count a change in their partnerships,
    chosen by the statement's own condition, before it runs (a delete leaves nothing after)."""
    statement = state.statement
    if not isinstance(statement, Update | Delete) or state.bind_mapper is None:
        return
    model = state.bind_mapper.class_
    # The mapper may be one its condition names (a response's decision), not the table it changes.
    if model not in _watched or getattr(statement.table, "name", None) != state.bind_mapper.local_table.name:
        return
    rows = select(_owner(model))
    if model is Person:
        rows = rows.join(Person, Person.id == Member.person_id)
    elif model is Snooze:
        rows = rows.join(Snooze, Snooze.commitment_id == Commitment.id)
    if statement.whereclause is not None:
        rows = rows.where(statement.whereclause)
    state.session.connection().execute(
        update(_partnerships).where(_partnerships.c.id.in_(rows)).values(changes=_partnerships.c.changes + 1))


@dataclass(frozen=True)
class Due:
    """A partnership to derive, with the count of changes its derivation sees, and whether it
    changed since its last derivation (or was never derived), rather than only reached a moment."""

    id: int
    changes: int
    changed: bool = True
    failures: int = 0  # derivations of it that failed in a row


# Partnerships derived in one sweep at most. At a zone's midnight nearly every partnership is
# due at once (32.7 s in one transaction at N = 10,000); a sweep takes this many, and the next
# sweep, at once, the next chunk. At N = 10,000 a sweep deriving 250 took 0.7-0.9 s (500:
# 1.4-1.5 s; 1,000: 2.6 s), so each stays well under 2 s; a sweep's own cost (the batched
# kinds, the plan) makes the whole wave slower than one sweep (26 s in 40 against 14 s), but
# no sweep holds the derive lock for long (BENCHMARKS.md, "Sweeps at scale").
CHUNK = 250

# A partnership whose derivation failed (a bad row, a bug) is tried again after this, doubled
# with each failure in a row up to `RETRY_AT_MOST`, and after every partnership that derives:
# retried first, as a changed one, a few such would take every chunk and starve the rest.
RETRY_AFTER = timedelta(minutes=5)
RETRY_AT_MOST = timedelta(hours=1)


def due(session: Session, now: datetime, limit: int | None = None) -> tuple[list[Due], int, int]:
    """The running partnerships to derive at `now` (at most `limit` of them), how many more are
    due and left for a later sweep, and how many are running. Read before anything the
    derivation reads, so a change committed later counts as after it. Derived again too: one
    never derived, and one last derived at a later moment than `now` (a clock set back, or a
    sweeper behind another). The changed ones come first (they show what people just did),
    then the ones whose moment came longest ago, then the ones whose last derivation failed,
    once their wait is over; the rest keep their count and moment."""
    p = Partnership
    rows = session.execute(select(p.id, p.changes, p.derived, p.derived_at, p.derive_after, p.derive_failures)
                           .where(~p.over(now)).order_by(p.id)).all()
    stale = []
    for pid, changes, derived, derived_at, after, failures in rows:
        if failures and after is not None and after > now:
            continue  # waiting to be tried again (`failed`)
        changed = derived != changes or derived_at is None or derived_at > now
        if changed or (after is not None and after <= now):
            # Changed first, then the moment that came longest ago first; by id within one moment.
            stale.append((failures > 0, not changed, now if changed else after, Due(pid, changes, changed, failures)))
    stale.sort(key=lambda row: row[:3])
    taken = stale if limit is None else stale[:limit]
    return [d for *_, d in taken], len(stale) - len(taken), len(rows)


def mark(session: Session, derived: Iterable[tuple[Due, datetime | None]], now: datetime) -> None:
    """Record each partnership as derived at `now` with the count of changes it saw, and the
    next moment its derivation could change with nothing changed (None: none ahead)."""
    _record(session, [{"pid": d.id, "seen": d.changes, "at": now, "after": after} for d, after in derived],
            derived=bindparam("seen"), derived_at=bindparam("at"), derive_after=bindparam("after"), derive_failures=0)


def failed(session: Session, partnerships: Iterable[Due], now: datetime) -> None:
    """Record each partnership's derivation as failed once more, and when to try it again:
    `RETRY_AFTER`, doubled for each failure in a row, at most `RETRY_AT_MOST`. Its count of
    changes stays ahead of the one derived, so it is derived in full when tried."""
    _record(session, [{"pid": d.id, "failures": d.failures + 1,
                       "after": now + min(RETRY_AFTER * 2 ** min(d.failures, 16), RETRY_AT_MOST)}
                      for d in partnerships],
            derive_failures=bindparam("failures"), derive_after=bindparam("after"))


def _record(session: Session, rows: list[dict[str, Any]], **values: Any) -> None:
    """Set `values` on each partnership of `rows` (named by "pid"), in one executemany."""
    if rows:
        session.connection().execute(
            update(_partnerships).where(_partnerships.c.id == bindparam("pid")).values(**values), rows)


def underived(session: Session, now: datetime) -> int:
    """How many running partnerships' last derivation failed: their nudges wait on it."""
    p = Partnership
    return session.scalar(select(func.count()).where(p.derive_failures > 0, ~p.over(now))) or 0
