"""Goals and their indicators: how far each has come towards its target, whether its trend
reaches the target in time, and the work serving it.

- **Progress** is how far the latest reading has moved from the baseline towards the target,
  as a share: 1,250 on the way from 1,200 to 1,320 is 42%. A target below its baseline (bags
  of litter down from 40 to 10) counts the same way, downwards.
- **The trend** is the straight line fitted by least squares through the readings, the
  baseline counting as a reading on the day the goal was set (`set_on`: one day, in its setter's zone,
  for every reader and surface); with one reading, the line
  from the baseline to it. Followed to the goal's date it says where the measure would be:
  "at this pace 1,290 by Tue 31 Aug 2027, short of 1,320". Past the date, the last reading
  says whether it was reached.
- **One reading a day**: a second figure for a day replaces the first, and the trend counts each
  day once.
- **Stale**: nothing read for a quarter (92 days), counting from the goal's setting.
- **Work**: the commitments serving it, open (some overdue) and done; dropped work is not counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.context import zone
from handlers.dates import show_day
from storage.models import Commitment, CommitmentGoal, CommitmentStatus, Goal, GoalReading

STALE_DAYS = 92


def figure(value: Decimal, places: int = 2) -> str:
    """`1,320`, `12.5`: a measure as people write it, to at most `places` decimals."""
    rounded = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP).normalize()
    if rounded == rounded.to_integral_value():
        return f"{int(rounded):,}"
    return f"{rounded:,f}"


def in_unit(shown: str, unit: str | None) -> str:
    """A figure as written with its unit: `60%`, `500 hours`; without one, as it is."""
    return shown if unit is None else f"{shown}{unit}" if unit == "%" else f"{shown} {unit}"


def places_of(*values: Decimal) -> int:
    """How many decimals the goal's own figures are written with, so a trend reads like them."""
    return max(max(0, -v.normalize().as_tuple().exponent) for v in values)  # type: ignore[operator]


def set_on(goal: Goal) -> date:
    """The one day the goal was set, its baseline's day: in the zone of whoever set it, so the trend,
    staleness and the "before it was set" check agree for every reader whatever their own zone."""
    return goal.created_at.astimezone(zone(goal.created_by.timezone)).date()


@dataclass(frozen=True)
class Work:
    """The commitments serving one goal."""

    open: int = 0
    overdue: int = 0
    done: int = 0

    def said(self) -> str:
        """`2 open (1 overdue), 3 done`."""
        late = f" ({self.overdue} overdue)" if self.overdue else ""
        return f"{self.open} open{late}, {self.done} done"


@dataclass(frozen=True)
class Indicator:
    """One goal's indicator, read at `today`: its counted readings, oldest first."""

    goal: Goal
    readings: list[GoalReading]
    today: date
    work: Work = field(default_factory=Work)

    @property
    def rising(self) -> bool:
        return self.goal.target > self.goal.baseline

    @property
    def latest(self) -> GoalReading | None:
        return self.readings[-1] if self.readings else None

    @property
    def current(self) -> Decimal:
        latest = self.latest
        return latest.value if latest is not None else self.goal.baseline

    @property
    def progress(self) -> Decimal:
        """The share of the way from baseline to target covered, 0 to 1 (beyond either end when overshot)."""
        g = self.goal
        return (self.current - g.baseline) / (g.target - g.baseline)

    @property
    def percent(self) -> int:
        return int((self.progress * 100).quantize(Decimal(1), ROUND_HALF_UP))

    @property
    def reached(self) -> bool:
        target = self.goal.target
        return self.current >= target if self.rising else self.current <= target

    @property
    def places(self) -> int:
        return places_of(self.goal.baseline, self.goal.target)

    @property
    def target(self) -> str:
        """`1,320`, `500 hours`, `60%`: the target in the goal's unit, which says what every figure counts."""
        return in_unit(figure(self.goal.target, self.places), self.goal.unit)

    @cached_property
    def projected(self) -> Decimal | None:
        """Where the trend puts the measure on the goal's date; None without a trend (no reading,
        or every reading on the day the goal was set). Worked out once per indicator."""
        points = [(set_on(self.goal), self.goal.baseline), *((r.taken_on, r.value) for r in self.readings)]
        xs = [Decimal((day - points[0][0]).days) for day, _ in points]
        ys = [value for _, value in points]
        mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
        spread = sum((x - mean_x) ** 2 for x in xs)
        if not self.readings or spread == 0:
            return None
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
        at = Decimal((self.goal.due_on - points[0][0]).days)
        return mean_y + slope * (at - mean_x)

    @property
    def over(self) -> bool:
        """Its date has passed."""
        return self.goal.due_on < self.today

    @property
    def on_track(self) -> bool | None:
        """Whether it will reach (or has reached) its target in time; None when there is no telling yet."""
        if self.reached:
            return True
        if self.over:
            return False
        projected = self.projected
        if projected is None:
            return None
        # As precise as the goal's own figures: a trend shown as reaching its target reaches it.
        projected = projected.quantize(Decimal(1).scaleb(-self.places), ROUND_HALF_UP)
        return projected >= self.goal.target if self.rising else projected <= self.goal.target

    def pace(self) -> str | None:
        """The trend in words: `at this pace 1,290 by Tue 31 Aug 2027, short of 1,320`; None without one."""
        by, target = show_day(self.goal.due_on, self.today), self.target
        if self.reached:
            return f"reached: {figure(self.current, self.places)} against a target of {target}"
        if self.over:
            return f"{by} has passed at {figure(self.current, self.places)}, short of {target}"
        projected = self.projected
        if projected is None:
            return None
        shown = figure(projected, self.places)
        if self.on_track:
            return f"at this pace {shown} by {by}, reaching {target}"
        return f"at this pace {shown} by {by}, short of {target}"

    @property
    def stale(self) -> bool:
        """Nothing read for a quarter, while the goal is still being worked towards."""
        last = self.latest.taken_on if self.latest is not None else set_on(self.goal)
        return not self.over and not self.reached and (self.today - last).days > STALE_DAYS

    def said(self) -> str:
        """`1,250 now, from 1,200 towards 1,320 by Tue 31 Aug 2027: 42% of the way (read Sun 3 May)`."""
        g, latest, places = self.goal, self.latest, self.places
        towards = f"towards {self.target} by {show_day(g.due_on, self.today)}"
        if latest is None:
            return f"at its baseline of {figure(g.baseline, places)}, {towards}: no reading yet"
        return (f"{figure(self.current, places)} now, from {figure(g.baseline, places)} {towards}: {self.percent}% of "
                f"the way (read {show_day(latest.taken_on, self.today)})")


def indicators(goals: Iterable[Goal], readings: Iterable[GoalReading], work: dict[int, Work],
               today: date) -> list[Indicator]:
    """Each goal's indicator from its counted readings (undone ones left out), by goal number: one a
    day, the one entered last, so a day read twice (as `reading` once allowed) weighs in the trend once."""
    by_day: dict[tuple[int, date], GoalReading] = {}
    for r in sorted(readings, key=lambda r: (r.taken_on, r.id)):
        if r.undone_at is None:
            by_day[r.goal_id, r.taken_on] = r
    by_goal: dict[int, list[GoalReading]] = {}
    for (goal_id, _), r in by_day.items():
        by_goal.setdefault(goal_id, []).append(r)
    return [Indicator(g, by_goal.get(g.id, []), today, work.get(g.id, Work()))
            for g in sorted(goals, key=lambda g: g.number)]


def tally_work(rows: Iterable[tuple[int, CommitmentStatus, datetime]], now: datetime) -> dict[int, Work]:
    """The work serving each goal, from (goal id, status, due) of the commitments linked to goals."""
    counts: dict[int, list[int]] = {}
    for goal_id, status, due_at in rows:
        row = counts.setdefault(goal_id, [0, 0, 0])
        if status is CommitmentStatus.OPEN:
            row[0] += 1
            row[1] += due_at < now
        elif status is CommitmentStatus.DONE:
            row[2] += 1
    return {goal_id: Work(*row) for goal_id, row in counts.items()}


def work_by_goal(session: Session, partnership_id: int, now: datetime) -> dict[int, Work]:
    """The work serving each goal of a partnership, in one statement."""
    return tally_work(session.execute(
        select(CommitmentGoal.goal_id, Commitment.status, Commitment.due_at)
        .join(Commitment, Commitment.id == CommitmentGoal.commitment_id)
        .where(CommitmentGoal.partnership_id == partnership_id)), now)


def indicators_of(session: Session, partnership_id: int, now: datetime, today: date,
                  with_dropped: bool = False) -> list[Indicator]:
    """A partnership's goals with their indicators and work, in three statements."""
    query = select(Goal).where(Goal.partnership_id == partnership_id)
    if not with_dropped:
        query = query.where(Goal.dropped_at.is_(None))
    goals = list(session.scalars(query))
    readings = session.scalars(select(GoalReading).where(GoalReading.partnership_id == partnership_id,
                                                         GoalReading.undone_at.is_(None)))
    return indicators(goals, readings, work_by_goal(session, partnership_id, now), today)
