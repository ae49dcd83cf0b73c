"""Load: each member's open work against the time they can give, so no volunteer burns out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Generic, Protocol, TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from handlers.away import away_now
from handlers.context import Context
from handlers.dates import show_day
from handlers.describe import hours, member_label
from handlers.parsing import Args
from handlers.registry import Access, command
from handlers.reply import Item, Reply, Section
from storage import queries
from storage.models import Commitment, CommitmentStatus, Member, Overload, Role

WEEK = timedelta(days=7)
# "Spare capacity" means at least this many hours a week free.
SPARE = 1.0
# Key-person risk needs enough open work to be meaningful.
KEY_PERSON_MIN_OPEN = 4


class Capacity(Protocol):
    """What a workload needs of a member: a `Member`, or the nudge sweep's plain row of one."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> Role: ...

    @property
    def capacity_hours(self) -> float | None: ...


class OpenWork(Protocol):
    """What a workload needs of an open commitment."""

    @property
    def owner_id(self) -> int: ...

    @property
    def due_at(self) -> datetime: ...

    @property
    def effort_hours(self) -> float | None: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def starts_at(self) -> datetime | None: ...

    @property
    def left_hours(self) -> float | None: ...

    @property
    def progress_at(self) -> datetime | None: ...


def hours_left(c: OpenWork) -> float:
    """What is left to do: as its owner last said (`progress`, `left`), else all of its effort."""
    return c.left_hours if c.left_hours is not None else c.effort_hours or 0.0


def weekly_rate(c: OpenWork, now: datetime) -> float:
    """Hours a week a commitment needs: what is left, spread evenly from when the work can start
    (or when progress was last said) to its due date, at least a week.

    The spread is fixed until progress is said again, so ten hours due in three months read as
    0.8 h a week now and as the date comes near, not rising above everyone's capacity. Work
    past its date needs all that is left now; work not starting this week needs nothing yet."""
    left = hours_left(c)
    if not left:
        return 0.0
    if c.due_at <= now:
        return left
    base = max(c.starts_at or c.created_at, c.progress_at or c.created_at)
    if base > now + WEEK:
        return 0.0
    return left / max(1.0, (c.due_at - base) / WEEK)


M = TypeVar("M", bound=Capacity)


@dataclass
class Workload(Generic[M]):
    member: M
    open_count: int = 0
    overdue_count: int = 0
    # Hours left to do on their open commitments.
    open_hours: float = 0.0
    # Hours a week needed to finish every open commitment on time (`weekly_rate`).
    weekly_hours: float = 0.0
    # Away now (`away`): no capacity, and not counted as over it: their due work is flagged instead.
    away: bool = False

    @property
    def capacity(self) -> float | None:
        return 0.0 if self.away else self.member.capacity_hours

    @property
    def over_capacity(self) -> bool:
        capacity = self.capacity
        return not self.away and capacity is not None and self.weekly_hours > capacity

    @property
    def free(self) -> float:
        """Hours a week still free; none when capacity is not stated or they are away."""
        capacity = self.capacity
        return max(0.0, capacity - self.weekly_hours) if capacity is not None else 0.0

    def has_room(self, extra: float = 0.0) -> bool:
        """Spare capacity: at least an hour a week free, and room for `extra` more without going over."""
        return self.free >= max(SPARE, extra)


@dataclass(frozen=True)
class KeyPerson(Generic[M]):
    """A member holding a large share of the open work: if they were away, it would stall."""

    member: M
    held: int
    total: int

    @property
    def share(self) -> int:
        return round(100 * self.held / self.total)


def key_people(open_work: Sequence[OpenWork], doers: Sequence[M], key_share: int) -> list[KeyPerson[M]]:
    """Members holding at least `key_share` percent of the open commitments.

    Only meaningful with enough open work and more than one person to share it."""
    total = len(open_work)
    if total < KEY_PERSON_MIN_OPEN or len(doers) < 2:
        return []
    held = Counter(c.owner_id for c in open_work)
    found = [KeyPerson(m, held[m.id], total) for m in doers]
    return [k for k in found if k.share >= key_share]


def workloads(session: Session, partnership_id: int, now: datetime) -> list[Workload[Member]]:
    """Every active, non-observer member's workload, heaviest against capacity first."""
    rows = session.scalars(
        select(Commitment).where(Commitment.partnership_id == partnership_id,
                                 Commitment.status == CommitmentStatus.OPEN)
    )
    members = queries.active_members(session, partnership_id)
    return tally(members, rows, now, {m.id for m in members if away_now(m.person, now)})


def tally(members: Iterable[M], open_commitments: Iterable[OpenWork], now: datetime,
          away: Collection[int] = ()) -> list[Workload[M]]:
    """Workloads from rows already loaded, so the nudge sweep can load every partnership at once.

    `away` holds the ids of members away now."""
    loads = {m.id: Workload(m, away=m.id in away) for m in members if m.role is not Role.OBSERVER}
    for c in open_commitments:
        load = loads.get(c.owner_id)
        if load is None:
            continue
        load.open_count += 1
        load.overdue_count += c.due_at < now
        load.open_hours += hours_left(c)
        load.weekly_hours += weekly_rate(c, now)

    def pressure(w: Workload[M]) -> tuple[float, float]:
        capacity = w.capacity
        return (w.weekly_hours / capacity if capacity else 0.0, w.weekly_hours)

    return sorted(loads.values(), key=pressure, reverse=True)


W = TypeVar("W", bound=OpenWork)


def room_for(loads: Iterable[Workload[M]], work: Iterable[W], now: datetime,
             besides: Collection[int] = ()) -> tuple[W, M] | None:
    """A piece of `work` and someone it would not overload (spare capacity after taking it), or None.

    The heaviest piece that fits goes to whoever has most free, so a suggestion never moves
    the overload from one person to another."""
    helpers = sorted((w for w in loads if w.member.id not in besides and not w.away), key=lambda w: -w.free)
    for c in sorted(work, key=lambda c: -weekly_rate(c, now)):
        rate = weekly_rate(c, now)
        for w in helpers:
            if w.member.id != c.owner_id and w.has_room() and w.free - rate >= 0:
                return c, w.member
    return None


def episodes(session: Session, partnership_id: int, known: Iterable[Overload], heavy: Sequence[Workload[M]],
             now: datetime) -> dict[int, datetime]:
    """When each overloaded member was last told of their overload episode, updating the record.

    An episode starts when someone goes over and ends when they are no longer; within it the
    warning is repeated only when it is worse (an hour a week more, or more open or overdue
    work) or a week has passed. Each write is conditional on the row as read (`known`, loaded
    by the caller for every partnership at once), so sweeps racing each other tell once; the
    time told keys the nudge, so its ledger row is one."""
    rows = {o.member_id: o for o in known}
    told: dict[int, datetime] = {}
    for w in heavy:
        level = {"weekly_hours": round(w.weekly_hours, 2), "open_count": w.open_count, "overdue_count": w.overdue_count}
        row = rows.get(w.member.id)
        if row is not None and not (w.weekly_hours >= row.weekly_hours + SPARE or w.open_count > row.open_count
                                    or w.overdue_count > row.overdue_count or now - row.told_at >= WEEK):
            told[w.member.id] = row.told_at
            continue
        with session.begin_nested():
            if row is None:
                dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
                session.execute(dialect.insert(Overload).on_conflict_do_nothing(index_elements=["member_id"]),
                                [{"member_id": w.member.id, "partnership_id": partnership_id, "started_at": now,
                                  "told_at": now, **level}])
            else:
                session.execute(update(Overload).where(Overload.member_id == row.member_id,
                                                       Overload.told_at == row.told_at).values(told_at=now, **level))
            # Whoever won, the row now says when this episode was last told.
            told[w.member.id] = session.scalars(select(Overload.told_at).where(Overload.member_id == w.member.id)).one()
    ended = [member_id for member_id in rows if member_id not in told]
    if ended:
        with session.begin_nested():
            session.execute(delete(Overload).where(Overload.member_id.in_(ended)))
    return told


def describe_load(w: Workload[Member], today: date) -> str:
    m = w.member
    if w.away:
        capacity = f"· away until {show_day(m.person.away_until, today)}, so no capacity" if m.person.away_until else ""
    elif m.capacity_hours is not None:
        capacity = f"of {hours(m.capacity_hours)} capacity"
    else:
        capacity = "(capacity not stated)"
    text = f"{member_label(m)}{' · volunteer' if m.volunteer else ''}: ~{hours(round(w.weekly_hours, 1))}/week {capacity}"
    text += f" · {w.open_count} open ({hours(round(w.open_hours, 1))} left)"
    if w.overdue_count:
        text += f", {w.overdue_count} overdue"
    if w.over_capacity:
        text = "OVER CAPACITY: " + text
    return text


def room(loads: Iterable[Workload[Member]], extra: float = 0.0, besides: Collection[int] = ()) -> str:
    """Who has spare capacity (and room for `extra` hours a week), with what they have free."""
    found = [f"{w.member.person.display_name} (~{hours(round(w.free, 1))}/week free)" for w in loads
             if w.member.id not in besides and w.has_room(extra)]
    return ", ".join(found) or "nobody with an hour a week to spare"


@command("load", usage="load", access=Access.READ, changes=False)
def load(ctx: Context, args: Args) -> Reply:
    """Each member's open effort per week against their weekly capacity; flags anyone over it.

    What is left of a commitment is spread from when the work can start (`from:`, or when
    progress was last said) to its due date, so `~5h/week` means the hours a week needed to
    finish everything on time. Spare capacity is at least an hour a week free."""
    args.finish()
    partnership = ctx.require_partnership()
    loads = workloads(ctx.session, partnership.id, ctx.now)
    over = [w for w in loads if w.over_capacity]
    today = ctx.now.astimezone(ctx.tz).date()
    reply = Reply(title=f"Load in {partnership.name}",
                  sections=[Section(None, [Item(describe_load(w, today)) for w in loads], empty="No members yet.")])
    spare = room(loads)
    if over:
        names = ", ".join(w.member.person.display_name for w in over)
        reply.text = f"Over capacity: {names}. Could someone take something on? Spare capacity: {spare}."
    else:
        reply.text = f"Nobody is over capacity. Spare capacity: {spare}."
    return reply
