"""The public page's contents: what is happening, why and when, for someone never in the chat.

Built from the same queries as `status` (open commitments, decisions being made, the next
review and end date), so the page and the chat never disagree. People appear by
organisation and sector; their names only when the coordinators turned names on. Nobody
who raised a concern is ever named here: only what was agreed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.commitments import open_commitments
from handlers.decisions import closing, responses_to
from handlers.members import missing_sectors
from handlers.publishing import last_change
from handlers.status import deciding
from storage import queries
from storage.models import (
    Commitment,
    CommitmentStatus,
    Concern,
    ConcernStatus,
    Decision,
    DecisionResponse,
    DecisionStatus,
    Member,
    Partnership,
    Role,
)

AHEAD = timedelta(days=92)  # the timeline: the next three months
SETTLED_SHOWN = 10
FEED_SIZE = 30
NO_ORGANISATION = "Local volunteers"


@dataclass(frozen=True)
class Participant:
    """An organisation at the table: its sector, how many of its people take part, and who."""

    organisation: str
    sectors: list[str]
    people: int
    names: list[str]


@dataclass(frozen=True)
class Work:
    title: str
    organisation: str
    due: date
    overdue: bool = False
    owner: str | None = None  # only when names are on
    done: date | None = None


@dataclass(frozen=True)
class Settled:
    """A decision made, with its outcome and the reasons people gave."""

    title: str
    outcome: str
    closed: date
    mode: str
    reasons: list[str]


@dataclass(frozen=True)
class Agreement:
    """A concern negotiated to a resolution: what the tension was and what was agreed."""

    concern: str
    agreed: str
    resolved: date


@dataclass(frozen=True)
class Moment:
    """One date on the timeline."""

    day: date
    what: str
    kind: str  # due, decision, decision-closed (past closing, its outcome to come), review, end


@dataclass(frozen=True)
class Change:
    """One entry of the feed of changes; `key` names what changed, so it stays the same entry."""

    key: str
    at: datetime
    title: str
    text: str


@dataclass
class PublicPage:
    partnership: Partnership
    names: bool
    today: date
    tz: ZoneInfo
    updated: datetime | None
    participants: list[Participant] = field(default_factory=list)
    missing_sectors: list[str] = field(default_factory=list)
    open_work: dict[str, list[Work]] = field(default_factory=dict)
    overdue: int = 0
    done_this_month: list[Work] = field(default_factory=list)
    being_decided: list[Moment] = field(default_factory=list)
    decisions: list[Settled] = field(default_factory=list)
    agreements: list[Agreement] = field(default_factory=list)
    timeline: list[Moment] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def open_count(self) -> int:
        return sum(len(w) for w in self.open_work.values())


def organisation(m: Member) -> str:
    return m.organisation or NO_ORGANISATION


def participants(people: list[Member], names: bool) -> list[Participant]:
    """Organisations taking part (observers only follow), largest first."""
    groups: dict[str, list[Member]] = defaultdict(list)
    for m in people:
        if m.role is not Role.OBSERVER:
            groups[organisation(m)].append(m)
    found = [Participant(org, sorted({m.sector.value for m in ms if m.sector}), len(ms),
                         sorted(m.person.display_name for m in ms) if names else [])
             for org, ms in groups.items()]
    return sorted(found, key=lambda p: (-p.people, p.organisation.casefold()))


def work(c: Commitment, tz: ZoneInfo, now: datetime, names: bool) -> Work:
    return Work(c.title, organisation(c.owner), c.due_at.astimezone(tz).date(), c.due_at < now,
                c.owner.person.display_name if names else None,
                c.closed_at.astimezone(tz).date() if c.closed_at else None)


def reasons(responses: list[DecisionResponse], names: bool) -> list[str]:
    """Why it went the way it did: each reason given, by whom only when names are on."""
    given = []
    for r in responses:
        if r.reason:
            who = f"{r.member.person.display_name} ({organisation(r.member)})" if names else organisation(r.member)
            given.append(f"{r.position.value.capitalize()} from {who}: {r.reason}")
    return given


def public_page(session: Session, p: Partnership, names: bool, now: datetime, tz: ZoneInfo) -> PublicPage:
    """Everything the public page and its feeds show, in a fixed number of queries."""
    today = now.astimezone(tz).date()
    page = PublicPage(p, names, today, tz, last_change(session, p.id))
    people = queries.active_members(session, p.id)
    page.participants = participants(people, names)
    page.missing_sectors = [s.value for s in missing_sectors([m for m in people if m.role is not Role.OBSERVER])]

    open_work = list(session.scalars(open_commitments(p.id)))
    for c in open_work:
        page.open_work.setdefault(organisation(c.owner), []).append(work(c, tz, now, names))
    page.overdue = sum(c.due_at < now for c in open_work)
    month_start = datetime.combine(today.replace(day=1), datetime.min.time(), tz)
    done = session.scalars(select(Commitment).where(
        Commitment.partnership_id == p.id, Commitment.status == CommitmentStatus.DONE,
        Commitment.closed_at >= month_start).order_by(Commitment.closed_at.desc()))
    done = list(done)
    page.done_this_month = [work(c, tz, now, names) for c in done]
    changes = [Change(f"commitment-{c.id}", c.created_at, f"New commitment: {c.title}",
                      f"{organisation(c.owner)} will do this by {c.due_at.astimezone(tz).date():%-d %B %Y}.")
               for c in open_work]
    changes += [Change(f"commitment-{c.id}-done", c.closed_at or now, f"Done: {c.title}",
                       f"{organisation(c.owner)} has done this.") for c in done]

    open_decisions = deciding(session, p.id)
    page.being_decided = [Moment(d.closes_at.astimezone(tz).date(), d.title,
                                 "decision-closed" if closing(d, now) else "decision") for d in open_decisions]
    settled = list(session.scalars(select(Decision).where(
        Decision.partnership_id == p.id, Decision.status.in_((DecisionStatus.PASSED, DecisionStatus.FAILED)))
        .order_by(Decision.closed_at.desc()).limit(SETTLED_SHOWN)).unique())
    by_decision: dict[int, list[DecisionResponse]] = defaultdict(list)
    for r in responses_to(session, [d.id for d in settled]):
        by_decision[r.decision_id].append(r)
    page.decisions = [Settled(d.title, d.status.value, (d.closed_at or now).astimezone(tz).date(), d.mode.value,
                              reasons(by_decision[d.id], names)) for d in settled]
    changes += [Change(f"decision-{d.id}", d.closed_at or now, f"Decided: {d.title} ({d.status.value})",
                       "\n".join(reasons(by_decision[d.id], names)) or f"By {d.mode.value}.") for d in settled]
    resolved = list(session.scalars(select(Concern).where(
        Concern.partnership_id == p.id, Concern.status == ConcernStatus.RESOLVED)
        .order_by(Concern.resolved_at.desc()).limit(SETTLED_SHOWN)).unique())
    page.agreements = [Agreement(c.title, c.resolution or "", (c.resolved_at or now).astimezone(tz).date())
                       for c in resolved]
    changes += [Change(f"concern-{c.id}", c.resolved_at or now, f"Agreed: {c.title}", c.resolution or "")
                for c in resolved]
    page.changes = sorted(changes, key=lambda c: c.at, reverse=True)[:FEED_SIZE]
    page.timeline = timeline(page, p, today)
    return page


def timeline(page: PublicPage, p: Partnership, today: date) -> list[Moment]:
    """The next three months: due dates, decisions closing, the next review and the end date."""
    until = today + AHEAD
    moments = [Moment(w.due, f"Due: {w.title} ({w.organisation})", "due")
               for ws in page.open_work.values() for w in ws if today <= w.due <= until]
    moments += [Moment(m.day, f"Decision closes: {m.what}", "decision") for m in page.being_decided
                if m.kind == "decision" and m.day <= until]
    if p.next_review_on and today <= p.next_review_on <= until:
        moments.append(Moment(p.next_review_on, "The partnership's review", "review"))
    if p.end_date and today <= p.end_date <= until:
        moments.append(Moment(p.end_date, "The partnership's planned end", "end"))
    return sorted(moments, key=lambda m: (m.day, m.kind, m.what))
