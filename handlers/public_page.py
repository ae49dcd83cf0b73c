"""The public page's contents: what is happening, why and when, for someone never in the chat.

Built from the same queries as `status` (open commitments, decisions being made, the next
review and end date) and the same framework as `agreement` and `goals` (its sign-off, each
goal's indicator and work), so the page and the chat never disagree. A decision's tally is
`decisions.tally` of the responses that counted when it closed. People appear by
organisation and sector; their names only when the coordinators turned names on. Nobody
who raised a concern is ever named here: only what was agreed. A partnership that has
ended says so, when, by whom and why, and promises no more dates than its closing tasks'.

With names off no person's name or id appears anywhere public: someone mentioned in a title,
a reason or an agreement (`@U024BE7LH`, `@bob:example.org`, a member's display name) reads
"someone". The page's, feed's and calendar's dates come only from what they show, by the
day, so nothing done privately (an anonymous concern raised, say) moves them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers import life
from handlers.agreement.overview import AgreementSummary, Framework, GoalSummary, framework
from handlers.commitments import open_commitments
from handlers.dates import show_at, zone_said
from handlers.decisions import (
    as_counted,
    closed_moment,
    closing,
    hidden,
    proposer_zone,
    tally,
)
from handlers.describe import due_day, lateness, left_said
from handlers.meetings.agenda import AGENDA_BEFORE, PublishedAgenda, published_agendas
from handlers.meetings.minutes import MinutesText, published_minutes
from handlers.meetings.record import in_draft_minutes, taken_at
from handlers.members import missing_sectors
from handlers.mentions import Mentions
from handlers.status import deciding
from storage import queries
from storage.models import (
    Commitment,
    CommitmentStatus,
    Concern,
    ConcernStatus,
    Decision,
    DecisionMode,
    DecisionResponse,
    DecisionStatus,
    Event,
    Meeting,
    MeetingStatus,
    Member,
    Partnership,
    Position,
    Publication,
    Review,
    Role,
)

AHEAD = timedelta(days=92)  # the timeline: the next three months
RECENT = timedelta(days=90)  # "recently done": the last three months
SETTLED_SHOWN = 10
FEED_SIZE = 30
NO_ORGANISATION = "Local volunteers"
# Actions whose event log lines change what the page shows about the partnership itself.
PAGE_ACTIONS = ("setup", "edit", "partnership-reopen")


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
    done: date | None = None  # done, or handed on
    handed_to: str | None = None
    number: int = 0
    # Days past its due day: still open and overdue, or done that much after it.
    late: int = 0
    progress: str | None = None  # `3h of 5h left`, once its owner said so
    note: str | None = None  # the done note, or why it was dropped

    @property
    def anchor(self) -> str:
        """Its place on the page, which the feed's entries link to."""
        return f"commitment-{self.number}"


@dataclass(frozen=True)
class Turnout:
    """How a settled decision was decided: its tally, who responded against who could, and the rule."""

    tally: str
    responded: int
    entitled: int
    quorum: int | None
    threshold: int | None
    # Why it failed, in words: a block, the vote, no quorum, or nobody responding; None when it passed.
    failed_by: str | None

    def said(self) -> str:
        """`6 yes, 1 no; 7 of 8 responded; quorum 60%`."""
        rule = "; ".join(f"{what} {value}%" for what, value in (("quorum", self.quorum), ("needs", self.threshold))
                         if value)
        return f"{self.tally}; {self.responded} of {self.entitled} responded" + (f"; {rule}" if rule else "")


@dataclass(frozen=True)
class Settled:
    """A decision made, with its outcome and the reasons people gave."""

    title: str
    outcome: str
    closed: date
    mode: str
    reasons: list[str]
    number: int = 0
    turnout: Turnout | None = None


@dataclass(frozen=True)
class Reviewed:
    """A review closed: what the partnership decided about itself."""

    closed: date
    kind: str
    outcome: str | None
    decision: str | None
    # The n-th review closed on its day: its place on the page is `review-2026-11-24`, `-2` for a second.
    nth: int = 1

    @property
    def anchor(self) -> str:
        """Its place on the page, which the feed links to: the first of a day keeps the day alone,
        as it always had, so links given before a second one closed that day still land on it."""
        return f"review-{self.closed.isoformat()}" + (f"-{self.nth}" if self.nth > 1 else "")


@dataclass(frozen=True)
class Agreement:
    """A concern negotiated to a resolution: what the tension was and what was agreed."""

    concern: str
    agreed: str
    resolved: date
    number: int = 0


@dataclass(frozen=True)
class Moment:
    """One date on the timeline."""

    day: date
    what: str
    kind: str  # due, decision, decision-closed (past closing, its outcome to come), meeting, review, end
    anchor: str = ""  # its item's place on the page, if it has one
    at: str = ""  # the time on that day, with its zone, for what happens at a time (a proposal's close)


@dataclass(frozen=True)
class Ending:
    """How the partnership ended: wound up (when, by whom, why), or past its end date."""

    day: date
    wound_up: bool
    by: str | None = None  # who wound it up: by name only when names are on, else their organisation
    why: str | None = None


@dataclass(frozen=True)
class Change:
    """One entry of the feed of changes; `key` names what changed, so it stays the same entry."""

    key: str
    at: datetime
    title: str
    text: str

    @property
    def anchor(self) -> str:
        """Where on the page its item is: each item's id is its change's key."""
        return "ended" if self.key.startswith("wound-up") else self.key


@dataclass
class PublicPage:
    partnership: Partnership
    names: bool
    today: date
    tz: ZoneInfo
    # The newest change the page shows, by the day (midnight in `tz`): nothing finer is told.
    updated: datetime
    # The partnership's own words, as `Mentions` lets them be read.
    name: str = ""
    purpose: str | None = None
    goals: str | None = None
    terms: str | None = None
    # How people named in the partnership's texts read here (the calendar reads them the same way).
    words: Mentions = field(default_factory=lambda: Mentions([], False))
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
    handed_on: list[Work] = field(default_factory=list)
    recently_done: list[Work] = field(default_factory=list)
    dropped: list[Work] = field(default_factory=list)
    # How many whole days each open concern has waited since it was (re)opened, counted as `health`,
    # the dashboard and the stale nudge count, longest first: never what it is about or who raised it.
    concern_ages: list[int] = field(default_factory=list)
    reviews: list[Reviewed] = field(default_factory=list)
    agreement: AgreementSummary | None = None
    shared_goals: list[GoalSummary] = field(default_factory=list)
    # Meetings in the next three months, the agendas of those in the next few days, and the
    # latest approved minutes.
    meetings: list[Moment] = field(default_factory=list)
    agendas: list[PublishedAgenda] = field(default_factory=list)
    minutes: list[MinutesText] = field(default_factory=list)
    # Set once it has ended: its open work is then its closing tasks, and nothing else is ahead.
    ending: Ending | None = None

    @property
    def agenda_anchors(self) -> set[str]:
        """The meetings whose agenda the page shows, to link them from the timeline."""
        return {f"meeting-{a.number}" for a in self.agendas}

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


def at_the_table(ever: list[Member], p: Partnership, now: datetime) -> list[Member]:
    """Who takes part now; once it has ended, who took part when it ended, so the record does
    not read "Nobody has joined yet" after the members leave a wound-up partnership."""
    if not p.over(now):
        return [m for m in ever if m.active]
    end = min(t for t in (p.closed_at, p.ends_at) if t is not None)
    return [m for m in ever if m.joined_at <= end and (m.left_at is None or m.left_at >= end)]


def work(c: Commitment, tz: ZoneInfo, now: datetime, words: Mentions) -> Work:
    due = due_day(c)
    still_open = c.status is CommitmentStatus.OPEN
    progress = None
    if still_open and c.left_hours is not None:
        progress = left_said(c.left_hours, c.effort_hours)
    note = c.done_note if c.status is CommitmentStatus.DONE else c.drop_reason
    return Work(words(c.title), organisation(c.owner), due, c.due_at < now,
                c.owner.person.display_name if words.names else None,
                c.closed_at.astimezone(tz).date() if c.closed_at else None, words(c.handed_to) if c.handed_to else None,
                c.number, lateness(c, now), progress, words(note) if note else None)


def turnout(d: Decision, counted: list[DecisionResponse], entitled: int) -> Turnout:
    """The tally of the responses that counted (by `decisions.tally`, as the chat gives it), turnout
    against the rule, and why it failed."""
    positions = [r.position for r in counted]
    share = 100 * len(counted) / entitled if entitled else 0
    failed_by = None
    if d.status is DecisionStatus.FAILED:
        yes, no = positions.count(Position.YES), positions.count(Position.NO)
        if not counted:
            failed_by = "nobody responded"
        elif d.quorum is not None and share < d.quorum:
            failed_by = f"no quorum: {round(share)}% responded, it needed {d.quorum}%"
        elif d.mode is DecisionMode.RANKED:
            failed_by = "no option was chosen"
        elif Position.BLOCK in positions:
            failed_by = f"blocked ({positions.count(Position.BLOCK)} block)"
        elif d.mode is DecisionMode.VOTE:
            failed_by = "the vote went against it" if not d.threshold or not yes + no else \
                f"the vote: yes was {round(100 * yes / (yes + no))}%, it needed {d.threshold}%"
        else:
            failed_by = "no consensus"
    return Turnout(tally(positions), len(counted), entitled, d.quorum, d.threshold, failed_by)


def ending_of(session: Session, p: Partnership, words: Mentions, tz: ZoneInfo, now: datetime) -> Ending | None:
    """How it ended, for the public: who wound it up by name only when names are on."""
    if p.closed_at is None:
        return Ending(p.end_date, False) if p.end_date is not None and life.ended(p, now) else None
    review = life.wind_up_review(session, p)
    member = queries.membership(session, p.id, review.closed_by_id) if review and review.closed_by_id else None
    by = None
    if member is not None:
        by = (f"{member.person.display_name} ({organisation(member)})" if words.names
              else f"a coordinator from {member.organisation}" if member.organisation else "a coordinator")
    return Ending(p.closed_at.astimezone(tz).date(), True, by, words(review.decision) if review and review.decision
                  else None)


def ending_text(page: PublicPage) -> str:
    """`Wound up on 24 November 2026 by a coordinator from Town Council. Why: ...`, for the feed."""
    e = page.ending
    assert e is not None
    said = f"Wound up on {e.day:%-d %B %Y}" + (f" by {e.by}" if e.by else "") + "."
    if e.why:
        said += f" Why: {e.why}"
    closing = [w for ws in page.open_work.values() for w in ws]
    if closing:
        said += "\nClosing tasks: " + "; ".join(f"{w.title} ({w.organisation}, by {w.due:%-d %B})" for w in closing)
    return said


def reasons(responses: list[DecisionResponse], words: Mentions) -> list[str]:
    """Why it went the way it did: each reason given with a response that counted, by whom only when names are on."""
    given = []
    for r in responses:
        if r.reason:
            who = f"{r.member.person.display_name} ({organisation(r.member)})" if words.names else organisation(r.member)
            if r.cast_by is not None:  # a proxy's response says so, as in the chat
                who = f"{r.cast_by.display_name} for {who}" if words.names else f"{who}, by proxy"
            given.append(f"{r.position.value.capitalize()} from {who}: {words(r.reason)}")
    return given


def time_said(moment: datetime, tz: ZoneInfo) -> str:
    """`23:59 PST`: a time on a day shown beside it, with its zone, so nobody reads it in theirs."""
    local = moment.astimezone(tz)
    return f"{local:%H:%M} {zone_said(local)}"


def day_of(moment: datetime, tz: ZoneInfo) -> datetime:
    """A public timestamp: the day only (midnight in the page's zone, the zone its other dates are
    in), so it cannot be matched to a message and is never the day before or after the page's own."""
    return datetime.combine(moment.astimezone(tz).date(), time(), tz)


def public_page(session: Session, p: Partnership, pub: Publication, now: datetime, tz: ZoneInfo) -> PublicPage:
    """Everything the public page and its feeds show, in a fixed number of queries."""
    today = now.astimezone(tz).date()
    names = pub.names
    ever = queries.members_ever(session, p.id)
    words = Mentions(ever, names)
    page = PublicPage(p, names, today, tz, day_of(p.created_at, tz), name=words(p.name),
                      purpose=p.purpose and words(p.purpose), goals=p.goals and words(p.goals),
                      terms=p.terms and words(p.terms), words=words)
    page.ending = ending_of(session, p, words, tz, now)
    people = at_the_table(ever, p, now)
    page.participants = participants(people, names)
    page.missing_sectors = [s.value for s in missing_sectors(people)]

    open_work = open_commitments(session, p.id)
    for c in open_work:
        page.open_work.setdefault(organisation(c.owner), []).append(work(c, tz, now, words))
    page.overdue = sum(c.due_at < now for c in open_work)
    month_start = datetime.combine(today.replace(day=1), datetime.min.time(), tz)
    done = list(session.scalars(select(Commitment).where(
        Commitment.partnership_id == p.id, Commitment.status == CommitmentStatus.DONE,
        Commitment.closed_at >= min(month_start, now - RECENT)).order_by(Commitment.closed_at.desc())))
    page.recently_done = [work(c, tz, now, words) for c in done]
    page.done_this_month = [w for w, c in zip(page.recently_done, done, strict=True) if c.closed_at >= month_start]
    changes = [Change(f"commitment-{c.number}", c.created_at, f"New commitment: {words(c.title)}",
                      f"{organisation(c.owner)} will do this by {due_day(c):%-d %B %Y}"
                      + (", as a closing task of the ended partnership." if page.ending else "."))
               for c in open_work]
    changes += [Change(f"commitment-{c.number}-done", c.closed_at or now, f"Done: {words(c.title)}",
                       f"{organisation(c.owner)} has done this." + (f" {words(c.done_note)}" if c.done_note else ""))
                for c in done]
    handed = list(session.scalars(select(Commitment).where(
        Commitment.partnership_id == p.id, Commitment.handed_to.is_not(None))
        .order_by(Commitment.closed_at.desc()).limit(SETTLED_SHOWN)))
    page.handed_on = [work(c, tz, now, words) for c in handed]
    changes += [Change(f"commitment-{c.number}-handed-on", c.closed_at or now, f"Handed on: {words(c.title)}",
                       f"{organisation(c.owner)} handed this on to {words(c.handed_to or '')}."
                       + (f" {words(c.drop_reason)}" if c.drop_reason else "")) for c in handed]
    dropped = list(session.scalars(select(Commitment).where(
        Commitment.partnership_id == p.id, Commitment.status == CommitmentStatus.DROPPED,
        Commitment.handed_to.is_(None)).order_by(Commitment.closed_at.desc()).limit(SETTLED_SHOWN)))
    page.dropped = [work(c, tz, now, words) for c in dropped]
    changes += [Change(f"commitment-{c.number}-dropped", c.closed_at or now, f"Dropped: {words(c.title)}",
                       f"{organisation(c.owner)} dropped this." + (f" Why: {words(c.drop_reason)}" if c.drop_reason else ""))
                for c in dropped]

    # An ended partnership decides nothing more: its open proposals wait for it to reopen.
    open_decisions = [] if page.ending else deciding(session, p.id)
    page.being_decided = [Moment(d.closes_at.astimezone(proposer_zone(d)).date(), words(d.title),
                                 "decision-closed" if closing(d, now) else "decision", f"decision-{d.number}-proposed",
                                 time_said(d.closes_at, proposer_zone(d)))
                          for d in open_decisions]
    changes += [Change(f"decision-{d.number}-proposed", d.created_at, f"Proposed: {words(d.title)}",
                       f"To be decided by {d.mode.value}; it closes at "
                       f"{show_at(d.closes_at, proposer_zone(d), now, shared=True)}.")
                for d in open_decisions]
    settled = list(session.scalars(select(Decision).where(
        Decision.partnership_id == p.id, Decision.status.in_((DecisionStatus.PASSED, DecisionStatus.FAILED)),
        ~in_draft_minutes()).order_by(Decision.closed_at.desc()).limit(SETTLED_SHOWN)).unique())
    counts = as_counted(session, p, settled, now, ever)
    in_room = taken_at(session, [d.id for d in settled])

    def grounds(d: Decision) -> tuple[list[str], Turnout | None]:
        """The reasons given and the turnout; one taken at a meeting was counted in the room, so
        its minutes' count says it, not the chat's responses (it has none)."""
        if d.id in in_room:
            return [words((d.outcome or "").splitlines()[0])], None
        count = counts[d.id]
        return reasons(count.counted, words), (
            None if hidden(d) else  # the one gate every surface showing responses asks
            turnout(d, count.counted, count.entitled))

    page.decisions = [Settled(words(d.title), d.status.value, closed_moment(d).astimezone(tz).date(), d.mode.value,
                              said, d.number, counted) for d in settled for said, counted in [grounds(d)]]
    changes += [Change(f"decision-{s.number}", d.closed_at or now, f"Decided: {s.title} ({s.outcome})",
                       "\n".join([f"By {s.mode}: {s.turnout.said()}." if s.turnout else f"By {s.mode}.",
                                   *([f"Why it failed: {s.turnout.failed_by}."] if s.turnout and s.turnout.failed_by
                                     else []), *s.reasons]))
                for d, s in zip(settled, page.decisions, strict=True)]
    page.concern_ages = sorted((Concern.days_open(at, now) for at in session.scalars(
        select(Concern.open_since).where(Concern.partnership_id == p.id, Concern.status == ConcernStatus.OPEN))),
        reverse=True)
    page.reviews = reviewed(session, p, words, tz)
    changes += [Change(r.anchor, datetime.combine(r.closed, time(), tz), f"Reviewed: {r.outcome or 'no outcome'}",
                       r.decision or "The partnership reviewed how it works.") for r in page.reviews]
    meetings(session, p, page, now, changes)
    page.agreement, page.shared_goals = in_public(framework(session, p.id, now, tz, people=False), words)
    resolved = list(session.scalars(select(Concern).where(
        Concern.partnership_id == p.id, Concern.status == ConcernStatus.RESOLVED)
        .order_by(Concern.resolved_at.desc()).limit(SETTLED_SHOWN)).unique())
    page.agreements = [Agreement(words(c.title), words(c.resolution or ""),
                                 (c.resolved_at or now).astimezone(tz).date(), c.number) for c in resolved]
    changes += [Change(f"concern-{c.number}", c.resolved_at or now, f"Agreed: {words(c.title)}",
                       words(c.resolution or "")) for c in resolved]
    if page.ending and page.ending.wound_up and p.closed_at is not None:
        changes.append(Change(f"wound-up-{p.closed_at:%Y%m%d}", p.closed_at, f"Wound up: {words(p.name)}",
                              ending_text(page)))
    # Newest first by the day, then by what they are: no order finer than the day is told.
    coarse = [Change(c.key, day_of(c.at, tz), c.title, c.text) for c in changes]
    page.changes = sorted(coarse, key=lambda c: (c.at, c.key), reverse=True)[:FEED_SIZE]
    page.timeline = timeline(page, p, today)
    shown = [c.at for c in changes] + [d.created_at for d in open_decisions] + [
        m.left_at or m.joined_at for m in ever if m.role is not Role.OBSERVER]
    if page.agreement:
        shown += [page.agreement.changed_at, *(x.at for x in page.agreement.signed)]
    shown += [datetime.combine(r.on, time(), tz) for g in page.shared_goals for r in g.readings]
    page.updated = max(day_of(t, tz) for t in [page.updated, *shown, *page_changed(session, p, pub)])
    return page


def reviewed(session: Session, p: Partnership, words: Mentions, tz: ZoneInfo) -> list[Reviewed]:
    """The latest reviews closed, newest first, each numbered within its day in `tz` (`Reviewed.nth`)
    counting those of that day no longer shown, so a review keeps its anchor as newer ones push it down."""
    reviews = list(session.scalars(select(Review).where(Review.partnership_id == p.id, Review.closed_at.is_not(None))
                                   .order_by(Review.closed_at.desc(), Review.id.desc()).limit(SETTLED_SHOWN)))
    if not reviews:
        return []
    oldest = reviews[-1]
    closed = cast(datetime, oldest.closed_at)
    # Those closed earlier on the oldest shown one's day, cut off by the limit.
    before = session.scalar(select(func.count()).select_from(Review).where(
        Review.partnership_id == p.id,
        Review.closed_at >= datetime.combine(closed.astimezone(tz).date(), time(), tz),
        (Review.closed_at < closed) | ((Review.closed_at == closed) & (Review.id < oldest.id)))) or 0
    seen: Counter[date] = Counter({closed.astimezone(tz).date(): before})
    shown: list[Reviewed] = []
    for r in reversed(reviews):
        day = cast(datetime, r.closed_at).astimezone(tz).date()
        seen[day] += 1
        shown.append(Reviewed(day, r.kind.value, r.outcome.value.replace("-", " ") if r.outcome else None,
                              words(r.decision) if r.decision else None, seen[day]))
    return shown[::-1]


def meetings(session: Session, p: Partnership, page: PublicPage, now: datetime, changes: list[Change]) -> None:
    """The meetings ahead (none once it has ended), the agendas published before them, and the
    approved minutes, with their entries in the feed."""
    tz, words = page.tz, page.words
    if not page.ending:
        ahead = list(session.scalars(select(Meeting).where(
            Meeting.partnership_id == p.id, Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at > now,
            Meeting.starts_at <= now + AHEAD).order_by(Meeting.starts_at)))
        page.meetings = [Moment(m.starts_at.astimezone(tz).date(), f"Meeting: {words(m.title)}"
                                + (f", {words(m.place)}" if m.place else ""), "meeting", f"meeting-{m.number}")
                         for m in ahead if m.starts_at is not None]
        page.agendas = published_agendas(session, p, now, page.names, words, scheduled=ahead)  # AHEAD reaches past 5 days
    page.minutes = published_minutes(session, p, now, page.names, words, tz)
    changes += [Change(f"meeting-{a.number}", a.starts_at - AGENDA_BEFORE, f"Agenda: {a.title}",
                       f"Meeting on {show_at(a.starts_at, tz, now, shared=True)}"
                       + (f", {a.place}" if a.place else "") + ". " + "; ".join(a.items)) for a in page.agendas]
    changes += [Change(f"minutes-{m.number}", m.approved_at or now, f"Minutes: {m.title}",
                       "\n".join([f"Present: {m.present}.", *m.decisions, *m.actions]))
                for m in page.minutes]


def in_public(seen: Framework, words: Mentions) -> tuple[AgreementSummary | None, list[GoalSummary]]:
    """The agreement and the goals as the public reads them: people's names only when names are on,
    and mentions in their texts as `words` reads them."""
    agreement = seen.agreement and replace(
        seen.agreement, changed_by="", why=seen.agreement.why and words(seen.agreement.why),
        sections=[(heading, words(text)) for heading, text in seen.agreement.sections],
        signed=[replace(x, person=x.person if words.names else "") for x in seen.agreement.signed])
    goals = [replace(g, title=words(g.title), measure=words(g.measure),
                     work=[replace(w, title=words(w.title), organisation=w.organisation or NO_ORGANISATION,
                                   person=w.person if words.names else "") for w in g.work],
                     readings=[replace(r, note=r.note and words(r.note)) for r in g.readings]) for g in seen.goals]
    return agreement, goals


def page_changed(session: Session, p: Partnership, pub: Publication) -> list[datetime]:
    """When the page itself last changed: published, names switched, the partnership's own
    words edited, reopened or wound up."""
    edited = session.scalar(select(func.max(Event.created_at)).where(
        Event.partnership_id == p.id, Event.action.in_(PAGE_ACTIONS)))
    return [t for t in (pub.updated_at, edited, p.closed_at) if t is not None]


def timeline(page: PublicPage, p: Partnership, today: date) -> list[Moment]:
    """The next three months: due dates, decisions closing, the next review and the end date;
    once it has ended, only its closing tasks' due dates."""
    until = today + AHEAD
    if page.ending:
        return sorted((Moment(w.due, f"Closing task due: {w.title} ({w.organisation})", "closing")
                       for ws in page.open_work.values() for w in ws if today <= w.due <= until),
                      key=lambda m: (m.day, m.what))
    moments = [Moment(w.due, f"{w.title} ({w.organisation})", "due")
               for ws in page.open_work.values() for w in ws if today <= w.due <= until]
    moments += [Moment(m.day, f"Decision closes: {m.what}", "decision") for m in page.being_decided
                if m.kind == "decision" and m.day <= until]
    moments += page.meetings
    if p.next_review_on and today <= p.next_review_on <= until:
        moments.append(Moment(p.next_review_on, "The partnership's review", "review"))
    if p.end_date and today <= p.end_date <= until:
        moments.append(Moment(p.end_date, "The partnership's planned end", "end"))
    return sorted(moments, key=lambda m: (m.day, m.kind, m.what))
