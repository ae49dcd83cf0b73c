"""Load: each member's open work against the time they can give, so no volunteer burns out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.context import Context
from handlers.describe import hours, member_label
from handlers.parsing import Args
from handlers.registry import Access, command
from handlers.reply import Item, Reply, Section
from storage import queries
from storage.models import Commitment, CommitmentStatus, Member, Role

WEEK = timedelta(days=7)
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


M = TypeVar("M", bound=Capacity)


@dataclass
class Workload(Generic[M]):
    member: M
    open_count: int = 0
    overdue_count: int = 0
    open_hours: float = 0.0
    # Hours a week needed to finish every open commitment on time: each one's effort
    # spread over the weeks left before it is due (all of it, if due within a week).
    weekly_hours: float = 0.0

    @property
    def over_capacity(self) -> bool:
        capacity = self.member.capacity_hours
        return capacity is not None and self.weekly_hours > capacity


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
    return tally(queries.active_members(session, partnership_id), rows, now)


def tally(members: Iterable[M], open_commitments: Iterable[OpenWork], now: datetime) -> list[Workload[M]]:
    """Workloads from rows already loaded, so the nudge sweep can load every partnership at once."""
    loads = {m.id: Workload(m) for m in members if m.role is not Role.OBSERVER}
    for c in open_commitments:
        load = loads.get(c.owner_id)
        if load is None:
            continue
        load.open_count += 1
        load.overdue_count += c.due_at < now
        effort = c.effort_hours or 0.0
        load.open_hours += effort
        load.weekly_hours += effort / max(1.0, (c.due_at - now) / WEEK)

    def pressure(w: Workload[M]) -> tuple[float, float]:
        capacity = w.member.capacity_hours
        return (w.weekly_hours / capacity if capacity else 0.0, w.weekly_hours)

    return sorted(loads.values(), key=pressure, reverse=True)


def describe_load(w: Workload[Member]) -> str:
    m = w.member
    capacity = f"of {hours(m.capacity_hours)} capacity" if m.capacity_hours is not None else "(capacity not stated)"
    text = f"{member_label(m)}{' · volunteer' if m.volunteer else ''}: ~{hours(round(w.weekly_hours, 1))}/week {capacity}"
    text += f" · {w.open_count} open ({hours(round(w.open_hours, 1))})"
    if w.overdue_count:
        text += f", {w.overdue_count} overdue"
    if w.over_capacity:
        text = "OVER CAPACITY: " + text
    return text


@command("load", usage="load", access=Access.READ, changes=False)
def load(ctx: Context, args: Args) -> Reply:
    """Each member's open effort per week against their weekly capacity; flags anyone over it.

    A commitment's effort is spread over the weeks until it is due, so `~5h/week` means
    the hours a week needed to finish everything on time."""
    args.finish()
    partnership = ctx.require_partnership()
    loads = workloads(ctx.session, partnership.id, ctx.now)
    over = [w for w in loads if w.over_capacity]
    spare = [w for w in loads if w.member.capacity_hours and not w.over_capacity]
    reply = Reply(title=f"Load in {partnership.name}",
                  sections=[Section(None, [Item(describe_load(w)) for w in loads], empty="No members yet.")])
    if over:
        names = ", ".join(w.member.person.display_name for w in over)
        helpers = ", ".join(w.member.person.display_name for w in spare) or "nobody with capacity to spare"
        reply.text = f"Over capacity: {names}. Could someone take something on? Spare capacity: {helpers}."
    else:
        reply.text = "Nobody is over capacity."
    return reply
