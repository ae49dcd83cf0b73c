"""The framework at a glance, as plain data for pages: the agreement and its sign-off, each goal
with its indicator and its work, what each partner pledged and delivered, and the interests
declared.

`framework` reads it all in a fixed number of statements, however many goals, readings,
organisations or pledges there are, and computes every figure with the same judgements the
chat commands use (handlers/judgements/), so a page and `agreement`, `goals` or `pledges`
never disagree. People are named alongside their organisation; a public page shows names
only when its partnership turned them on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.agreement.interests import standing_interests
from handlers.agreement.terms import SECTIONS
from handlers.describe import days_late, due_day
from handlers.judgements.contributions import brought_in, delivered_said, pledge_said
from handlers.judgements.indicators import Indicator, indicators, tally_work
from handlers.judgements.signoff import standing_of
from storage.models import Commitment, CommitmentGoal, CommitmentStatus, Goal, GoalReading


@dataclass(frozen=True)
class Signed:
    organisation: str
    person: str
    at: datetime


@dataclass(frozen=True)
class AgreementSummary:
    """The current version: its sections (heading, text) and its sign-off."""

    version: int
    changed_at: datetime
    changed_by: str
    why: str | None
    sections: list[tuple[str, str]]
    in_force: bool
    in_force_since: datetime | None
    signed: list[Signed]
    waiting: list[str]


@dataclass(frozen=True)
class GoalWork:
    """A commitment serving a goal: open (`overdue` when late) or done (`days_late` when after its date)."""

    number: int
    title: str
    organisation: str | None
    person: str
    status: str
    due: date
    overdue: bool
    done_on: date | None
    days_late: int


@dataclass(frozen=True)
class Reading:
    on: date
    value: Decimal
    note: str | None


@dataclass(frozen=True)
class GoalSummary:
    """A goal with its indicator: where it stands, the trend in words, and the work under it."""

    number: int
    title: str
    measure: str
    baseline: Decimal
    target: Decimal
    # The target in the goal's unit (`500 hours`), which says what each figure of the goal counts.
    target_said: str
    current: Decimal
    due_on: date
    # The share of the way from baseline to target, clipped to 0..1 for a progress bar.
    progress: Decimal
    percent: int
    said: str
    pace: str | None
    on_track: bool | None
    stale: bool
    work_said: str
    open: int
    overdue: int
    done: int
    work: list[GoalWork]
    readings: list[Reading]


@dataclass(frozen=True)
class PledgeSummary:
    kind: str
    pledged: str
    kept: str
    short: bool


@dataclass(frozen=True)
class PartnerSummary:
    """One partner's standing pledges, how each is kept, and what it delivered in all."""

    partner: str
    pledges: list[PledgeSummary]
    delivered: list[str]
    latest: str | None


@dataclass(frozen=True)
class InterestSummary:
    person: str
    organisation: str | None
    text: str
    proposal: str | None
    declared: datetime


@dataclass(frozen=True)
class Framework:
    agreement: AgreementSummary | None
    goals: list[GoalSummary]
    partners: list[PartnerSummary]
    interests: list[InterestSummary]


def framework(session: Session, partnership_id: int, now: datetime, tz: ZoneInfo, *, people: bool = True) -> Framework:
    """Everything a page shows of the framework, dates in `tz`, in ten statements whatever the numbers.
    Without `people`, no pledges or interests (the public page shows neither), in fewer statements."""
    today = now.astimezone(tz).date()
    s = standing_of(session, partnership_id)
    summary = None
    if s.version is not None:
        v = s.version
        summary = AgreementSummary(v.number, v.created_at, v.changed_by.display_name, v.why,
                                   [(heading, text) for key, heading in SECTIONS.items() if (text := getattr(v, key))],
                                   s.in_force, s.since, [Signed(x.organisation, x.by, x.at) for x in s.signed], s.waiting)
    goals = list(session.scalars(select(Goal).where(Goal.partnership_id == partnership_id, Goal.dropped_at.is_(None))))
    readings = list(session.scalars(select(GoalReading).where(GoalReading.partnership_id == partnership_id,
                                                              GoalReading.undone_at.is_(None))))
    work: dict[int, list[Commitment]] = {}
    for c, goal_id in session.execute(
            select(Commitment, CommitmentGoal.goal_id).join(CommitmentGoal, CommitmentGoal.commitment_id == Commitment.id)
            .where(CommitmentGoal.partnership_id == partnership_id, Commitment.status != CommitmentStatus.DROPPED)
            .order_by(Commitment.due_at, Commitment.id)).unique():
        work.setdefault(goal_id, []).append(c)
    counts = tally_work(((goal_id, c.status, c.due_at) for goal_id, cs in work.items() for c in cs), now)
    goal_summaries = [goal_summary(i, work.get(i.goal.id, []), now, tz) for i in indicators(goals, readings, counts, today)]
    if not people:
        return Framework(summary, goal_summaries, [], [])
    partners = [PartnerSummary(b.partner, [PledgeSummary(x.pledge.kind.value, pledge_said(x.pledge), x.kept(), x.short)
                                           for x in b.promises],
                               b.totals(), delivered_said(b.deliveries[-1]) if b.deliveries else None)
                for b in brought_in(session, partnership_id, today)]
    interests = [InterestSummary(i.member.display_name, i.member.organisation, i.text,
                                 f"#{i.decision.number} {i.decision.title}" if i.decision else None, i.created_at)
                 for i in standing_interests(session, partnership_id)]
    return Framework(summary, goal_summaries, partners, interests)


def goal_summary(i: Indicator, work: list[Commitment], now: datetime, tz: ZoneInfo) -> GoalSummary:
    g = i.goal
    items = [GoalWork(c.number, c.title, c.owner.organisation, c.owner.person.display_name, c.status.value,
                      due_day(c), c.status is CommitmentStatus.OPEN and c.due_at < now,
                      c.closed_at.astimezone(tz).date() if c.status is CommitmentStatus.DONE and c.closed_at else None,
                      days_late(c)) for c in work]
    return GoalSummary(g.number, g.title, g.measure, g.baseline, g.target, i.target, i.current, g.due_on,
                       min(Decimal(1), max(Decimal(0), i.progress)), i.percent, i.said(), i.pace(), i.on_track, i.stale,
                       i.work.said(), i.work.open, i.work.overdue, i.work.done, items,
                       [Reading(r.taken_on, r.value, r.note) for r in i.readings])
