"""Load: each member's open work against the time they can give, so no volunteer burns out.

One model, computed here and nowhere else, that a coordinator can check by hand:

- What is left of a commitment is what its owner last said (`progress`, `left`), else all
  of its effort. Saying how far along it is can only lower the figures.
- It is spread evenly over the days from its start (today, or its `from:` day if later) up
  to its due day. A week's load is the share that falls in that week's seven days, so work
  due within seven days counts in full this week, 9 hours due in 14 days is 4.5 hours a
  week, and work that cannot start before next week adds nothing to this one.
- Overdue work is not spread over weeks to come: it is counted as overdue, with its hours.
- A week's capacity is the member's weekly hours less a seventh for each day away in it.
  Someone away when a week starts is not flagged over capacity in it (their due work is
  flagged for cover instead), and has no room to offer.
- A commitment is at risk when more is left than its owner could give before its due day
  at their weekly pace (a full-time week when they stated none), counting at least a week
  as the load does, less days away: a signal apart from weekly overload, naming the hours
  and the date.
- A recurring job counts its open occurrence; the next counts once it is made.
- Work handed over counts against whoever handed it until the person asked accepts it (it
  is still theirs in practice, and the other has not agreed to it), then against its new owner.
- In a wound-up or ended partnership nobody is flagged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Generic, NamedTuple, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, bindparam, func, select
from sqlalchemy.orm import Session

from handlers.context import zone
from handlers.dates import due_day_in, show_day
from handlers.describe import due_day, hours, labelled
from handlers.reply import plural
from storage.models import Commitment, CommitmentStatus, Member, Partnership, Person, Role
from storage.queries import plain_rows

DAY = timedelta(days=1)
WEEK_DAYS = 7
# "Spare capacity" means at least this many hours a week free.
SPARE = 1.0
# What a member who stated no capacity could give at most, for the at-risk arithmetic.
FULL_TIME = 40.0
# Key-person risk needs enough open work to be meaningful.
KEY_PERSON_MIN_OPEN = 4


class Away(Protocol):
    """What time away needs of a person: a `Person`, a `Member`, or the nudge sweep's plain row."""

    @property
    def timezone(self) -> str: ...

    @property
    def away_from(self) -> date | None: ...

    @property
    def away_until(self) -> date | None: ...


class Who(Away, Protocol):
    """What a workload needs of a member: a `Member`, or the nudge sweep's plain row of one."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> Role: ...

    @property
    def capacity_hours(self) -> float | None: ...

    @property
    def display_name(self) -> str: ...


class OpenWork(Protocol):
    """What a workload needs of an open commitment."""

    @property
    def id(self) -> int: ...

    @property
    def number(self) -> int: ...

    @property
    def title(self) -> str: ...

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
    def handover_from_id(self) -> int | None: ...


M = TypeVar("M", bound=Who)
W = TypeVar("W", bound=OpenWork)


# Time away, in each person's own zone.

def local_today(person: Away, now: datetime) -> date:
    return now.astimezone(zone(person.timezone)).date()


def away_on(person: Away, day: date) -> bool:
    return (person.away_from is not None and person.away_until is not None
            and person.away_from <= day <= person.away_until)


def away_now(person: Away, now: datetime) -> bool:
    """Whether today, in the person's own zone, falls in their away window."""
    return away_on(person, local_today(person, now))


def days_present(person: Away, first: date, last: date) -> int:
    """The days from `first` up to (not including) `last` the person is not away."""
    days = max(0, (last - first).days)
    if person.away_from is None or person.away_until is None:
        return days
    away = (min(last, person.away_until + DAY) - max(first, person.away_from)).days
    return days - max(0, away)


def window(person: Away, today: date) -> str:
    """`Sun 20 Dec – Sun 3 Jan 2027`."""
    assert person.away_from is not None and person.away_until is not None
    return f"{show_day(person.away_from, today)} – {show_day(person.away_until, today)}"


# One commitment.

def carrier(c: OpenWork, members: Collection[int], accepted: Collection[int] = ()) -> int:
    """Whose load an open commitment counts in: its owner's, but while a handover of it waits
    for an answer still the giver's, who has it in practice until the person asked agrees
    (unless the giver is no longer among `members`, having left or become an observer).
    `accepted` names work to count as accepted: what `reassign` warns of is the load once it is."""
    giver = c.handover_from_id
    return giver if giver is not None and giver in members and c.id not in accepted else c.owner_id


def hours_left(c: OpenWork) -> float:
    """What is left to do: as its owner last said (`progress`, `left`), else all of its effort."""
    return c.left_hours if c.left_hours is not None else c.effort_hours or 0.0


def spread(c: OpenWork, today: date, tz: ZoneInfo, due: date | None = None) -> tuple[date, date]:
    """The days what is left falls on: from its start (today at the earliest) up to its due
    day (`due`, when the caller has it), and at least one day."""
    start = max(today, (c.starts_at or c.created_at).astimezone(tz).date())
    return start, max(due or due_day_in(c.due_at, tz), start + DAY)


def share(c: OpenWork, first: date, last: date, today: date, tz: ZoneInfo) -> float:
    """The hours of an open, not overdue commitment that fall on the days `first` to `last`."""
    return spread_share(hours_left(c), *spread(c, today, tz), first, last)


def spread_share(left: float, start: date, end: date, first: date, last: date) -> float:
    """The part of `left` hours, spread evenly over the days `start` to `end`, falling on `first` to `last`."""
    overlap = (min(end, last) - max(start, first)).days
    return left * overlap / (end - start).days if overlap > 0 else 0.0


def weekly(c: OpenWork, who: Away, now: datetime) -> float:
    """Hours a commitment needs in the seven days from today, read in `who`'s zone (its owner,
    or whoever would take it on); overdue work needs nothing of weeks to come."""
    if c.due_at < now:
        return 0.0
    tz = zone(who.timezone)
    today = now.astimezone(tz).date()
    return round(share(c, today, today + WEEK_DAYS * DAY, today, tz), 1)


@dataclass(frozen=True)
class Risk(Generic[W]):
    """A commitment needing more than its owner could give before it is due."""

    work: W
    left: float
    due: date
    # The days left to work on it (up to its due day), and of the days it is spread over (at
    # least a week, as in the weekly load) those the owner is not away.
    days: int
    present: int
    # Hours a week the owner gives: their stated capacity, or a full-time week.
    pace: float
    stated: bool

    @property
    def can_give(self) -> float:
        return round(self.pace * self.present / WEEK_DAYS, 1)

    @property
    def unsaid(self) -> bool:
        """Nothing said of its progress: all of its effort is counted as left."""
        return self.work.left_hours is None


def at_risk(c: W, owner: Who, now: datetime) -> Risk[W] | None:
    """The risk `c` runs in `owner`'s hands, or None when they could give what is left in time.

    What they could give is their weekly pace over the days it is spread across, at least a
    week as in the weekly load, less the days they are away: so work that alone takes them
    over capacity is at risk, and so is work whose weeks are lost to time away."""
    if c.due_at < now:
        return None
    tz = zone(owner.timezone)
    due = due_day_in(c.due_at, tz)
    return risk_of(c, owner, hours_left(c), *spread(c, now.astimezone(tz).date(), tz, due), due)


def risk_of(c: W, owner: Who, left: float, start: date, end: date, due: date) -> Risk[W] | None:
    """`at_risk` for work whose spread is already worked out (the tally's inner loop)."""
    left = round(left, 1)
    if not left:
        return None
    pace = owner.capacity_hours if owner.capacity_hours is not None else FULL_TIME
    present = days_present(owner, start, max(end, start + WEEK_DAYS * DAY))
    if left <= round(pace * present / WEEK_DAYS, 1):  # what `can_give` says, before making a Risk
        return None
    return Risk(c, left, due, (end - start).days, present, pace, owner.capacity_hours is not None)


# A member's workload.

@dataclass
class Workload(Generic[M]):
    """One member's load, week by week from today (week 0 is the seven days from today)."""

    member: M
    # Hours needed in each week, and what they can give in it (None: capacity not stated).
    weeks: list[float]
    capacities: list[float | None]
    # Days in each week they are not away, and whether they are away on its first day (week 0: today).
    present: list[int]
    away_at: list[bool]
    # False in a wound-up or ended partnership: nobody is flagged there.
    live: bool = True
    open_count: int = 0
    # Open work with no effort given and no hours left said: counted as no hours, so said apart.
    unestimated_count: int = 0
    overdue_count: int = 0
    # Hours left on all their open work, and on the overdue part of it.
    open_hours: float = 0.0
    overdue_hours: float = 0.0
    # Of the open work, what they handed over and the person asked has not yet accepted.
    waiting_count: int = 0
    # Work handed to them, waiting for their answer, and its hours this week: not yet theirs,
    # nor free time either.
    asked_count: int = 0
    asked_hours: float = 0.0
    risks: list[Risk[OpenWork]] = field(default_factory=list)

    @property
    def weekly_hours(self) -> float:
        return self.weeks[0]

    @property
    def capacity(self) -> float | None:
        """What they can give this week, days away taken out."""
        return self.capacities[0]

    @property
    def away(self) -> bool:
        return self.away_at[0]

    def over_in(self, week: int) -> bool:
        capacity = self.capacities[week]
        return self.live and not self.away_at[week] and capacity is not None and self.weeks[week] > capacity

    @property
    def over_capacity(self) -> bool:
        return self.over_in(0)

    @property
    def free(self) -> float:
        """Hours this week still free, less work waiting for their answer (so nobody is offered
        twice); none when capacity is not stated, they are away, or it is over."""
        capacity = self.capacity
        if capacity is None or self.away or not self.live:
            return 0.0
        return round(max(0.0, capacity - self.weekly_hours - self.asked_hours), 1)

    def has_room(self, extra: float = 0.0) -> bool:
        """Spare capacity: at least an hour a week free, and room for `extra` more without going over."""
        return self.free >= max(SPARE, extra)


def tally(members: Iterable[M], open_commitments: Iterable[OpenWork], now: datetime, weeks: int = 1,
          live: bool = True, accepted: Collection[int] = ()) -> list[Workload[M]]:
    """Every non-observer member's workload from rows already loaded (the nudge sweep loads every
    partnership's at once), heaviest against capacity first; `weeks` says how many to work out.
    Each commitment counts against its `carrier` (`accepted`: handovers counted as accepted)."""
    loads: dict[int, Workload[M]] = {}
    days: dict[int, tuple[ZoneInfo, date]] = {}
    for m in members:
        if m.role is Role.OBSERVER:
            continue
        tz = zone(m.timezone)
        today = now.astimezone(tz).date()
        starts = [today + k * WEEK_DAYS * DAY for k in range(weeks)]
        capacity = m.capacity_hours
        present = [days_present(m, s, s + WEEK_DAYS * DAY) for s in starts]
        loads[m.id] = Workload(
            m, [0.0] * weeks, [None if capacity is None else round(capacity * d / WEEK_DAYS, 1) for d in present],
            present, [away_on(m, s) for s in starts], live)
        days[m.id] = tz, today
    for c in open_commitments:
        holder = carrier(c, loads, accepted)
        asked = loads.get(c.owner_id) if holder != c.owner_id else None
        if asked is not None:
            asked.asked_count += 1
            tz, today = days[c.owner_id]
            if c.due_at >= now:
                asked.asked_hours += spread_share(hours_left(c), *spread(c, today, tz), today, today + WEEK_DAYS * DAY)
        load = loads.get(holder)
        if load is None:
            continue
        tz, today = days[holder]
        left = hours_left(c)
        load.open_count += 1
        load.waiting_count += holder != c.owner_id
        load.open_hours += left
        load.unestimated_count += c.effort_hours is None and c.left_hours is None
        if c.due_at < now:
            load.overdue_count += 1
            load.overdue_hours += left
            continue
        # Its owner's due day, whoever carries it meanwhile: the day `who` and the risk both say.
        due = due_day_in(c.due_at, days[c.owner_id][0] if c.owner_id in days else tz)
        start, end = spread(c, today, tz, due)
        for k in range(weeks):
            first = today + k * WEEK_DAYS * DAY
            load.weeks[k] += spread_share(left, start, end, first, first + WEEK_DAYS * DAY)
        risk = risk_of(c, load.member, left, start, end, due) if live else None
        if risk is not None:
            load.risks.append(risk)
    for load in loads.values():
        load.weeks = [round(h, 1) for h in load.weeks]
        load.open_hours, load.overdue_hours = round(load.open_hours, 1), round(load.overdue_hours, 1)
        load.asked_hours = round(load.asked_hours, 1)

    def pressure(w: Workload[M]) -> tuple[float, float]:
        capacity = w.capacity
        return (w.weekly_hours / capacity if capacity else 0.0, w.weekly_hours)

    return sorted(loads.values(), key=pressure, reverse=True)


class Someone(NamedTuple):
    """A member as a workload reads one: plain values, not a `Member` with its `Person`.

    The sweep reads every membership in the network (14,000 at N = 1,000 in the benchmark),
    and `load` or `commit` a partnership's: building two ORM objects for each cost more than
    the queries.
    """

    id: int
    partnership_id: int
    person_id: int
    role: Role
    organisation: str | None
    volunteer: bool
    capacity_hours: float | None
    left_at: datetime | None
    display_name: str
    timezone: str
    away_from: date | None
    away_until: date | None
    user_id: str

    @property
    def active(self) -> bool:
        return self.left_at is None

    @property
    def label(self) -> str:
        return labelled(self.display_name, self.organisation)


class Work(NamedTuple):
    """A commitment as a workload reads one (and the sweep the week's done), plain like `Someone`."""

    id: int
    partnership_id: int
    number: int
    owner_id: int
    title: str
    due_at: datetime
    created_at: datetime
    effort_hours: float | None
    starts_at: datetime | None
    left_hours: float | None
    progress_at: datetime | None
    handover_from_id: int | None


WORK = select(Commitment.id, Commitment.partnership_id, Commitment.number, Commitment.owner_id, Commitment.title,
              Commitment.due_at, Commitment.created_at, Commitment.effort_hours, Commitment.starts_at,
              Commitment.left_hours, Commitment.progress_at, Commitment.handover_from_id)
SOMEONE = (select(Member.id, Member.partnership_id, Member.person_id, Member.role, Member.organisation,
                  Member.volunteer, Member.capacity_hours, Member.left_at, Person.display_name, Person.timezone,
                  Person.away_from, Person.away_until, Person.user_id)
           .join(Member.person).order_by(Member.partnership_id, func.lower(Person.display_name)))
# One partnership's, as `workloads` reads them on every `load` and `commit`: built once, the
# partnership bound at each execution (see queries.CHANNEL_CONTEXT).
MEMBERS_NOW = SOMEONE.where(Member.partnership_id == bindparam("partnership_id"), Member.left_at.is_(None))
OPEN_WORK = (WORK.where(Commitment.partnership_id == bindparam("partnership_id"),
                        Commitment.status == CommitmentStatus.OPEN)
             .order_by(Commitment.due_at, Commitment.id))


def work(session: Session, *where: ColumnElement[bool], order: Iterable[ColumnElement[object]]) -> list[Work]:
    """The commitments matching `where`, as plain rows."""
    return [Work._make(row) for row in plain_rows(session, WORK.where(*where).order_by(*order))]


def people(session: Session, *where: ColumnElement[bool]) -> list[Someone]:
    """The memberships matching `where`, as plain rows, by partnership and then by name."""
    return [Someone._make(row) for row in plain_rows(session, SOMEONE.where(*where))]


def workloads(session: Session, partnership_id: int, now: datetime, weeks: int = 1,
              accepted: Collection[int] = ()) -> list[Workload[Someone]]:
    """Every active, non-observer member's workload in one partnership, heaviest against capacity
    first, from the same plain rows the nudge sweep reads (`accepted`: see `tally`)."""
    p = session.get(Partnership, partnership_id)
    assert p is not None
    members = members_now(session, partnership_id)
    open_work = [Work._make(row) for row in plain_rows(session, OPEN_WORK, {"partnership_id": partnership_id})]
    return tally(members, open_work, now, weeks, live=not p.over(now), accepted=accepted)


def members_now(session: Session, partnership_id: int) -> list[Someone]:
    """A partnership's active members, as plain rows, by name."""
    return [Someone._make(row) for row in plain_rows(session, MEMBERS_NOW, {"partnership_id": partnership_id})]


# Who could help.

def carried(loads: Iterable[Workload[M]], work: Iterable[W], holder: int) -> list[W]:
    """The pieces of `work` counted in `holder`'s load (see `carrier`)."""
    members = {w.member.id for w in loads}
    return [c for c in work if carrier(c, members) == holder]


def room_for(loads: Iterable[Workload[M]], work: Iterable[W], holder: int, now: datetime,
             besides: Collection[int] = ()) -> tuple[W, M] | None:
    """A piece of `holder`'s share of `work` (the partnership's open work) and someone it would
    not overload (spare capacity after taking it), or None when nothing fits.

    Only work they can hand on (none already waiting for an answer) and, while they are over
    capacity, only work that counts this week: handing on work that needs nothing of them this
    week (not yet started, or far off) would leave them exactly as overloaded. The heaviest
    piece this week that fits goes to whoever has most free, so a suggestion never moves the
    overload from one person to another."""
    loads = list(loads)
    mine = next((w for w in loads if w.member.id == holder), None)
    if mine is None:
        return None
    pieces = [(weekly(c, mine.member, now), c) for c in work if c.owner_id == holder and c.handover_from_id is None]
    if mine.over_capacity:
        pieces = [(hours, c) for hours, c in pieces if hours > 0]
    helpers = sorted((w for w in loads if w.member.id not in besides and w.member.id != holder and w.has_room()),
                     key=lambda w: -w.free)
    for _, c in sorted(pieces, key=lambda piece: -piece[0]):
        for w in helpers:
            if w.free >= weekly(c, w.member, now):
                return c, w.member
    return None


def called(loads: Iterable[Workload[Someone]]) -> dict[int, str]:
    """Each member's name, with their organisation where another member goes by it too: two
    people called carol read as two, not as one both over capacity and with time to spare."""
    members = [w.member for w in loads]
    shared = Counter(m.display_name.casefold() for m in members)
    return {m.id: m.label if shared[m.display_name.casefold()] > 1 else m.display_name for m in members}


def room(loads: Iterable[Workload[Someone]], extra: float = 0.0, besides: Collection[int] = ()) -> str:
    """Who has spare capacity (and room for `extra` hours a week), with what they have free;
    with nobody, how much nobody has, so someone with an hour free is not told they have none."""
    loads = list(loads)
    names = called(loads)
    found = [f"{names[w.member.id]} (~{hours(w.free)}/week free)" for w in loads
             if w.member.id not in besides and w.has_room(extra)]
    needed = "an hour a week" if extra <= SPARE else f"~{hours(round(extra, 1))}/week"
    return ", ".join(found) or f"nobody with {needed} to spare"


# Key people.

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
    """Members holding at least `key_share` percent of the open commitments (each its `carrier`'s).

    Only meaningful with enough open work and more than one person to share it."""
    total = len(open_work)
    if total < KEY_PERSON_MIN_OPEN or len(doers) < 2:
        return []
    members = {m.id for m in doers}
    held = Counter(carrier(c, members) for c in open_work)
    found = [KeyPerson(m, held[m.id], total) for m in doers]
    return [k for k in found if k.share >= key_share]


# How the figures are said, the same on every surface.

def describe_load(w: Workload[Someone], today: date) -> str:
    """`Bob (Chamber of Trade) · volunteer: ~5h/week of 4h capacity · 2 open (7h left), 1 overdue (2h)`;
    work with no effort given is named apart (`3 open (7h left; 1 not estimated)`), since its
    hours, counted as none, would make the load look lighter than it is."""
    m = w.member
    if w.away:
        capacity = f"· away until {show_day(m.away_until, today)}, so no capacity" if m.away_until else ""
    elif w.capacity is None:
        capacity = "(capacity not stated)"
    elif w.present[0] < WEEK_DAYS:
        capacity = (f"of {hours(w.capacity)} capacity this week ({hours(m.capacity_hours or 0)} a week, "
                    f"away {plural(WEEK_DAYS - w.present[0], 'day')} of 7)")
    else:
        capacity = f"of {hours(w.capacity)} capacity"
    text = f"{m.label}{' · volunteer' if m.volunteer else ''}: ~{hours(w.weekly_hours)}/week {capacity}"
    unestimated = f"; {w.unestimated_count} not estimated" if w.unestimated_count else ""
    waiting = f"; {w.waiting_count} handed over, not yet accepted" if w.waiting_count else ""
    text += f" · {w.open_count} open ({hours(w.open_hours)} left{unestimated}{waiting})"
    if w.overdue_count:
        text += f", {w.overdue_count} overdue ({hours(w.overdue_hours)})"
    if w.asked_count:
        text += f" · {w.asked_count} handed to them, not yet accepted (~{hours(w.asked_hours)} this week)"
    if w.over_capacity:
        text = "OVER CAPACITY: " + text
    return text


def risk_said(r: Risk[W], name: str, today: date, progress: bool = True) -> str:
    """`#4 Paint the signs needs 12h before Fri 27 Nov, more than Bob's 4h a week`, or over more
    than a week `...: at 4h a week, Bob can give about 8h in the 14 days left`; with `progress`,
    whether its owner has said nothing of how far along it is."""
    c = r.work
    pace = f"{name}'s {hours(r.pace)} a week" if r.stated else f"a full-time week ({hours(r.pace)})"
    text = f"#{c.number} {c.title} needs {hours(r.left)} before {show_day(r.due, today)}"
    span = max(r.days, WEEK_DAYS)
    if r.days <= WEEK_DAYS:
        text += f", more than {pace}" if r.present == span else (
            f", more than the {hours(r.can_give)} of {pace} left after {plural(span - r.present, 'day')} away")
    else:
        text += (f": at {hours(r.pace)} a week{'' if r.stated else ' (full-time)'}, {name} can give about "
                 f"{hours(r.can_give)} in the {plural(r.days, 'day')} left")
        if r.present < span:
            text += f", {span - r.present} of them away"
    return text + (" (nothing said of its progress yet)" if progress and r.unsaid else "")


def risk_options(r: Risk[W]) -> str:
    """What its owner or a coordinator can do about a risk."""
    n = r.work.number
    return (f"`progress {n} 50%` if it is further along, `edit {n} by:...` for more time, "
            f"`reassign {n} @name` to share it, or `drop {n} \"why\"`")


def taking_on(loads: Sequence[Workload[Someone]], c: Commitment, now: datetime, today: date,
              besides: Collection[int] = ()) -> str:
    """What to say when `c` is given to its owner (`commit @name`, `reassign`): that they are away
    on its due day, that it takes them over capacity, or that it needs more than they could give
    before it is due, each with their figures and who has room; empty when none holds. `loads`
    already count `c` as theirs (a handover still waiting for their answer as accepted)."""
    w = next(x for x in loads if x.member.id == c.owner_id)
    m = w.member
    name = m.display_name
    due = due_day(c)  # m is its owner
    extra = weekly(c, m, now)
    notes, warned = [], False
    if away_on(m, due):
        notes.append(f"Note: {name} is away {window(m, today)}, when #{c.number} is due ({show_day(due, today)}).")
        warned = True
    elif w.away and m.away_until is not None:
        notes.append(f"Note: {name} is away until {show_day(m.away_until, today)}, and hears of it on return.")
    if w.over_capacity and extra:
        figures = f"~{hours(w.weekly_hours)}/week against {hours(w.capacity or 0)}"
        already = round(w.weekly_hours - extra, 1) > (w.capacity or 0)
        if c.handover_from_id is not None:  # asked, not yet theirs: what accepting it would do
            notes.append(f"{name} is already over capacity; accepting this would make it {figures}." if already
                         else f"Accepting it would take {name} over capacity: {figures}.")
        else:
            notes.append(f"{name} was already over capacity; with this, {figures}." if already
                         else f"This takes {name} over capacity: {figures}.")
        warned = True
    risk = at_risk(c, m, now) if w.live else None
    if risk is not None:
        question = f"Is {hours(c.effort_hours)} right? " if c.effort_hours and risk.unsaid else ""
        notes.append(f"{question}{risk_said(risk, name, today, progress=False)}. "
                     f"To change it: `edit {c.number} effort:...` or `edit {c.number} by:...`.")
        warned = True
    if warned:
        notes.append(f"Room: {room(loads, extra, besides={c.owner_id, *besides})}.")
    return " ".join(notes)
