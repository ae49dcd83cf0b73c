"""Health: the latest review's six-risk answers and the warning signs read from the state.

A partnership fails for a handful of reasons (the six risks) that show in its state long
before anyone says so: a sector missing, a volunteer over capacity, a concern left to
fester. Each signal names what was found, why it matters and what to type next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.context import Context
from handlers.dates import show_day
from handlers.describe import due_said, hours, member_label
from handlers.judgements.balance import Balance, balances
from handlers.judgements.indicators import Indicator, indicators_of, set_on
from handlers.judgements.load import (
    Workload,
    carried,
    key_people,
    risk_options,
    risk_said,
    room_for,
    tally,
    weekly,
)
from handlers.judgements.signoff import standing_of
from handlers.life import standing
from handlers.members import missing_sectors
from handlers.nudges import thresholds
from handlers.parsing import Args
from handlers.registry import Access, command
from handlers.reply import Item, Reply, Section, plural
from handlers.reviews import RiskScore, answers_to, open_review, score_line, scores
from handlers.succession import gaps, large_open, named
from storage import queries
from storage.models import (
    Commitment,
    CommitmentStatus,
    Concern,
    ConcernStatus,
    Decision,
    DecisionResponse,
    DecisionStatus,
    Flexibility,
    Member,
    Partnership,
    Position,
    Priority,
    Review,
    ReviewAnswer,
    Role,
)

# A core that can still meet round one table and decide together; past a dozen, people
# stop speaking up and decisions drift to whoever is loudest.
MANAGEABLE_CORE = 12
# Below three, one absence stops the work and two sectors at most can be at the table.
TOO_FEW = 3
SHOWN = 5
# How long a blocked proposal stays a warning sign: long enough to negotiate a new one.
BLOCK_NEWS = timedelta(days=30)


@dataclass(frozen=True)
class Signal:
    """One warning sign: what was found, why it matters, and what to type next."""

    name: str
    found: str
    why: str
    todo: str


@dataclass
class Health:
    """One partnership's health report; chat and the Markdown export each render it."""

    partnership: Partnership
    today: date
    signals: list[Signal] = field(default_factory=list)
    balances: list[Balance] = field(default_factory=list)
    # The latest review anyone answered, described, and its scores per risk.
    review: str = "Review answers"
    scores: list[RiskScore] = field(default_factory=list)


def listed(texts: list[str]) -> str:
    """The first few of a list, and how many more."""
    shown = "; ".join(texts[:SHOWN])
    return shown + (f"; and {len(texts) - SHOWN} more" if len(texts) > SHOWN else "")


def later(today: date, days: int) -> str:
    """An ISO date some days on, for a command people can paste as it is."""
    return (today + timedelta(days=days)).isoformat()


class Checker:
    """Reads one partnership's state once and derives each warning sign from it."""

    def __init__(self, session: Session, p: Partnership, now: datetime, tz: ZoneInfo,
                 reader: Member | None = None, weeks: int = 1) -> None:
        self.session, self.p, self.now, self.tz, self.reader = session, p, now, tz, reader
        self.today = now.astimezone(tz).date()
        self.t = thresholds(session, p.id)
        self.members = queries.active_members(session, p.id)
        self.doers = [m for m in self.members if m.role is not Role.OBSERVER]
        self.open = list(session.scalars(
            select(Commitment).where(Commitment.partnership_id == p.id, Commitment.status == CommitmentStatus.OPEN)
            .order_by(Commitment.due_at, Commitment.id)))
        # Every load figure in the report (and the dashboard's chart) from this one tally.
        self.loads = tally(self.members, self.open, now, weeks, live=not p.over(now))

    def health(self) -> Health:
        given = balances(self.session, self.p.id)
        if self.p.over(self.now):
            # Wound up or ended: only its closing tasks and open concerns can still be settled
            # (handlers/life.py), so only signs about them are given; the others would advise
            # commands it refuses (`member add`, `successor`...).
            found = [self.overdue(), self.stale_concerns()]
        else:
            goals = indicators_of(self.session, self.p.id, self.now, self.today)
            found = [self.sectors(), self.size(), self.over_capacity(), self.at_risk(), self.no_successor(),
                     self.key_person(), self.overdue(), self.stale_concerns(), self.unstated(), self.review_overdue(),
                     self.blocked(), self.give_and_take(given), self.unserved(goals), self.unread(goals),
                     self.off_track(goals), self.unsigned()]
        report = Health(self.p, self.today, [s for s in found if s is not None], given)
        self.latest_answers(report)
        return report

    def latest_answers(self, report: Health) -> None:
        """The most recent review anyone answered, averaged per risk, weakest first."""
        review = self.session.scalar(
            select(Review).where(Review.partnership_id == self.p.id,
                                 select(ReviewAnswer.id).where(ReviewAnswer.review_id == Review.id).exists())
            .order_by(Review.opened_at.desc(), Review.id.desc()).limit(1))
        if review is None:
            return
        state = "open" if review.closed_at is None else "closed"
        opened = show_day(review.opened_at.astimezone(self.tz).date(), self.today)
        report.review = f"Latest review answers ({state}, opened {opened}; lowest first)"
        report.scores = scores(answers_to(self.session, [review.id]))

    def mention(self, member: Member) -> str:
        return f"@{member.person.user_id}"

    def sectors(self) -> Signal | None:
        missing = missing_sectors(self.members)
        if not missing:
            return None
        return Signal(
            "Sectors missing", "Nobody here represents the " + ", ".join(s.value for s in missing) + " sector"
            + ("s" if len(missing) > 1 else "") + ".",
            "Plans made without a sector tend to fail it, and it will not feel bound by them (the wrong people involved).",
            f"Invite someone from it: `member add @name sector:{missing[0].value}`.")

    def size(self) -> Signal | None:
        count = len(self.doers)
        if count > MANAGEABLE_CORE:
            return Signal(
                "Too many at the table", f"{count} members take part; a core that decides together is "
                f"{MANAGEABLE_CORE} at most.",
                "A manageable number of key participants is what makes a partnership work; a crowd cannot negotiate.",
                'Agree a core group and let a task force carry a theme: `setup "Market Task Force" kind:task-force`; '
                "those who only follow can be observers: `member role @name observer`.")
        if count < TOO_FEW:
            missing = missing_sectors(self.members)
            sector = f" sector:{missing[0].value}" if missing else ""
            return Signal(
                "Too few at the table", f"Only {plural(count, 'member')} take{'s' if count == 1 else ''} part.",
                "With so few, one absence stops the work and the partnership cannot speak for the town.",
                f"Bring in more partners: `member add @name{sector}`.")
        return None

    def hand_on(self, loads: list[Workload[Member]], holder: Member, besides: set[int], verb: str) -> str:
        """What to do with some of `holder`'s work: to someone it would not overload, as a command
        only when the reader may run it (the holder or a coordinator)."""
        fit = room_for(loads, self.open, holder.id, self.now, besides=besides)
        leads = ", ".join(m.person.display_name for m in self.members if m.role is Role.COORDINATOR) or "a coordinator"
        if fit is None:
            heaviest = max(carried(loads, self.open, holder.id), key=lambda c: weekly(c, holder, self.now))
            if self.may_change(holder):
                return (f"Nobody has room for it without going over: move a date (`edit {heaviest.number} by:...`) "
                        "or find someone new to take part.")
            return (f"Nobody has room for it without going over; {holder.person.display_name} or a coordinator "
                    f"({leads}) could move a date.")
        c, helper = fit
        if self.may_change(holder):
            return f"{verb}: `reassign {c.number} {self.mention(helper)}` ({helper.person.display_name} has room)."
        return (f"#{c.number} {c.title} would fit {helper.person.display_name}'s spare time: ask {holder.person.display_name} "
                f"or a coordinator ({leads}) to hand it on.")

    def may_change(self, holder: Member) -> bool:
        r = self.reader
        return r is not None and r.active and (r.role is Role.COORDINATOR or r.id == holder.id)

    def over_capacity(self) -> Signal | None:
        over = [w for w in self.loads if w.over_capacity]
        if not over:
            return None
        over.sort(key=lambda w: not w.member.volunteer)
        texts = [f"{member_label(w.member)}{' · volunteer' if w.member.volunteer else ''}: "
                 f"~{hours(w.weekly_hours)}/week against {hours(w.capacity or 0)}" for w in over]
        return Signal(
            "Over capacity", listed(texts) + ".",
            "Volunteers who carry more than they can give burn out, and the partnership loses them.",
            self.hand_on(self.loads, over[0].member, {w.member.id for w in over}, "Hand something on")
            + " `load` shows who has spare capacity.")

    def at_risk(self) -> Signal | None:
        """Work needing more than its owner could give before its date: a date, not a week, at stake."""
        risks = sorted(((r, w.member) for w in self.loads for r in w.risks), key=lambda found: found[0].work.due_at)
        if not risks:
            return None
        first, holder = risks[0]
        todo = risk_options(first) if self.may_change(holder) else (
            f"{holder.display_name} or a coordinator can say how far along it is, move its date, hand it on or drop it")
        return Signal(
            "Work at risk", listed([risk_said(r, m.display_name, self.today) for r, m in risks]) + ".",
            "Work that cannot be done by its date lets down whoever counts on it; said early, there is time to "
            "move the date or share it out (not enough time).",
            todo + ".")

    def no_successor(self) -> Signal | None:
        """The coordinator role, and large commitments, with nobody able to step in."""
        missing = gaps(named(self.session, [self.p.id]), large_open(self.session, [self.p.id]))
        if not missing.coordinator and not missing.commitments:
            return None
        texts = []
        if missing.coordinator:
            texts.append("Nobody is named to step in as coordinator (now: "
                         + ", ".join(m.person.display_name for m in self.members if m.role is Role.COORDINATOR) + ")")
        texts += [f"#{c.number} {c.title} ({c.owner.person.display_name}, {hours(c.effort_hours or 0)}) has no successor"
                  for c in missing.commitments]
        if missing.coordinator:
            role, helper = "coordinator", next((m for m in self.doers if m.role is not Role.COORDINATOR), None)
        else:
            first = missing.commitments[0]
            role, helper = str(first.id), next((m for m in self.doers if m.id != first.owner_id), None)
        todo = f"`successor {role} {self.mention(helper) if helper else '@name'}`"
        return Signal(
            "No successor named", listed(texts) + ".",
            "A partnership must not rely on particular individuals: someone ready to step in keeps it going when "
            "a key person leaves or burns out.",
            f"Name who steps in: {todo}.")

    def key_person(self) -> Signal | None:
        keys = key_people(self.open, self.doers, self.t.key_share)
        if not keys:
            return None
        k = keys[0]
        return Signal(
            "One person carrying too much",
            listed([f"{member_label(x.member)} holds {x.held} of the {x.total} open commitments ({x.share}%)"
                    for x in keys]) + ".",
            "A partnership must not rely too much on one person: if they were away, the work would stall.",
            self.hand_on(self.loads, k.member, {x.member.id for x in keys}, "Share it out"))

    def overdue(self) -> Signal | None:
        late = [c for c in self.open if c.due_at < self.now]
        if not late:
            return None
        texts = [f"#{c.number} {c.title}, held by {c.owner.person.display_name}, due {due_said(c, self.now)}"
                 for c in late]
        first = late[0]
        return Signal(
            "Overdue commitments", listed(texts) + ".",
            "Who does what by when is the partnership's means of delivery and accountability; slipped dates erode trust.",
            f"If it is done, `done {first.number}`; if it needs other hands, `reassign {first.number} @name`; "
            f'if it will not happen, `drop {first.number} "why"`.')

    def stale_concerns(self) -> Signal | None:
        limit = self.t.concern_stale_days
        stale = [c for c in self.session.scalars(
            select(Concern).where(Concern.partnership_id == self.p.id, Concern.status == ConcernStatus.OPEN,
                                  Concern.open_since <= self.now - timedelta(days=limit))
            .order_by(Concern.open_since)).unique()]
        if not stale:
            return None
        texts = [f"#{c.number} {c.title} ({c.severity.value}, open {plural(Concern.days_open(c.open_since, self.now), 'day')})"
                 for c in stale]
        first = stale[0]
        return Signal(
            "Concerns open too long", f"Open more than {limit} days: " + listed(texts) + ".",
            "Every problem should be negotiated as soon as it arises; left alone, tension hardens into mistrust.",
            f'Talk it through: `concerns {first.number}`, then `resolve {first.number} "what was agreed"`.')

    def unstated(self) -> Signal | None:
        stated = set(self.session.scalars(select(Priority.member_id).where(Priority.partnership_id == self.p.id)))
        flexed = set(self.session.scalars(select(Flexibility.member_id).where(Flexibility.partnership_id == self.p.id)))
        texts = []
        for m in self.doers:
            gaps = [what for what, said in (("no priority", m.id in stated), ("no flexibility", m.id in flexed))
                    if not said]
            if gaps:
                texts.append(f"{member_label(m)}: {' and '.join(gaps)}")
        if not texts:
            return None
        return Signal(
            "Priorities or flexibility never stated", listed(texts) + ".",
            "Partners who state their priorities and flexibility from the outset can be held to them, and the "
            "partnership adapts faster when things change.",
            'Ask them to type `priority "what matters most to us"` and `flex time "what we can give"`.')

    def review_overdue(self) -> Signal | None:
        due = self.p.next_review_on
        if due is None or due >= self.today or open_review(self.session, self.p.id) is not None:
            return None
        return Signal(
            "Review overdue", f"The review was due {show_day(due, self.today)} "
            f"({plural((self.today - due).days, 'day')} ago).",
            "A sustained partnership needs regular review, or it drifts towards the wrong goal or an unreachable one.",
            "Start it: `review start`.")

    def blocked(self) -> Signal | None:
        """Proposals that failed on a block lately: the blocker's reason needs negotiating."""
        blocks = list(self.session.scalars(
            select(DecisionResponse).join(DecisionResponse.decision)
            .where(Decision.partnership_id == self.p.id, Decision.status == DecisionStatus.FAILED,
                   Decision.closed_at >= self.now - BLOCK_NEWS, DecisionResponse.position == Position.BLOCK)
            .order_by(Decision.closed_at.desc(), DecisionResponse.id)))
        if not blocks:
            return None
        texts = [f'#{b.decision.number} "{b.decision.title}" failed: {member_label(b.member)} blocked it '
                 f'because "{b.reason}"' for b in blocks]
        first = blocks[0]
        return Signal(
            "Blocked proposal", listed(texts) + ".",
            "A block is a partner saying it cannot live with the proposal; negotiated now, it becomes a better "
            "proposal, left alone it becomes a split.",
            f"Talk with {first.member.person.display_name} about their reason, then propose a revised version: "
            f'`propose "{first.decision.title[:60]} (revised)" mode:consensus closes:{later(self.today, 7)}`.')

    def give_and_take(self, given: list[Balance]) -> Signal | None:
        takers = [b for b in given if b.out_of_balance]
        if not takers:
            return None
        return Signal(
            "Give and take out of balance", listed([b.describe() for b in takers]) + ".",
            "Partners share power and responsibility: each must give as well as take, or trust wears thin.",
            f"Talk with {takers[0].partner} about what it could take on in return: "
            f'`commit "what we will do" by:{later(self.today, 14)}`.')

    def unserved(self, goals: list[Indicator]) -> Signal | None:
        """Goals still to reach that no open commitment serves."""
        idle = [i for i in goals if not i.reached and not i.over and not i.work.open]
        if not idle:
            return None
        first = idle[0].goal
        return Signal(
            "Goals no work serves", listed([f"#{i.goal.number} {i.goal.title} ({i.work.done} done, none open)"
                                            for i in idle]) + ".",
            "A goal nobody is working towards will not be reached: the partnership drifts from its sense of "
            "direction, and partners stop believing in it.",
            f'Agree who does what towards it: `commit "What" by:{later(self.today, 14)} goal:{first.number}`; '
            f"`edit 12 goal:{first.number}` links work already logged.")

    def unread(self, goals: list[Indicator]) -> Signal | None:
        """Indicators nobody has read for a quarter."""
        stale = [i for i in goals if i.stale]
        if not stale:
            return None

        def last(i: Indicator) -> str:
            if i.latest is None:
                return f"never read since it was set {show_day(set_on(i.goal), self.today)}"
            return f"last read {show_day(i.latest.taken_on, self.today)}"

        first = stale[0].goal
        return Signal(
            "Indicators not updated for a quarter",
            listed([f"#{i.goal.number} {i.goal.title} ({i.goal.measure}): {last(i)}" for i in stale]) + ".",
            "Without readings nobody can tell whether the work moves the measure, or whether the goal is still "
            "the right one (working towards the wrong goal).",
            f'Take a reading: `reading {first.number} <value> "where it came from"`.')

    def off_track(self, goals: list[Indicator]) -> Signal | None:
        """Goals whose trend will not reach the target by its date, or whose date passed short of it. The
        date suggested is half a year past the goal's own (or today), never one that brings it nearer."""
        behind = [i for i in goals if i.on_track is False]
        if not behind:
            return None
        first = behind[0].goal
        return Signal(
            "Goals off track", listed([f"#{i.goal.number} {i.goal.title}: {i.pace()}" for i in behind]) + ".",
            "A goal its trend will not reach in time is one that cannot reasonably be achieved as things stand; "
            "said early, there is time to put more in, or to agree a goal that can be reached.",
            f'Add work towards it (`commit "What" by:{later(self.today, 14)} goal:{first.number}`), or a coordinator '
            f"moves its target or date (`goal edit {first.number} by:{later(max(first.due_on, self.today), 180)}`) "
            f"or drops it "
            f'(`goal drop {first.number} "why"`).')

    def unsigned(self) -> Signal | None:
        """An agreement that is not in force: the organisations that have yet to sign its current version."""
        s = standing_of(self.session, self.p.id)
        if s.version is None or s.in_force or not s.waiting:
            return None
        since = show_day(s.asked.astimezone(self.tz).date(), self.today) if s.asked else "its writing"
        return Signal(
            "Agreement not in force", f"{listed(s.waiting)} {'has' if len(s.waiting) == 1 else 'have'} yet to sign "
            f"version {s.version.number}, asked since {since}.",
            "An agreement every partner has signed is the partnership's framework of reference and its means of "
            "accountability; until then, nobody can be held to it.",
            f"Ask one member of each to type `agreement sign {s.version.number}`.")


def check(session: Session, partnership: Partnership, now: datetime, tz: ZoneInfo,
          reader: Member | None = None) -> Health:
    """The health report of one partnership at one moment, with dates in the reader's zone and
    commands the reader may run."""
    return Checker(session, partnership, now, tz, reader).health()


def signal_items(signal: Signal) -> list[Item]:
    return [Item(signal.found), Item(f"Why it matters: {signal.why}"), Item(f"What to do: {signal.todo}")]


@command("health", usage="health", access=Access.READ, changes=False)
def health(ctx: Context, args: Args) -> Reply:
    """The health check: the latest review's answers and the warning signs, each with what to do next."""
    args.finish()
    report = check(ctx.session, ctx.require_partnership(), ctx.now, ctx.tz, ctx.member)
    reply = Reply(title=f"Health of {report.partnership.name}")
    if report.scores:
        reply.sections.append(Section(report.review, [Item(score_line(s)) for s in report.scores]))
    if report.signals:
        reply.text = f"{plural(len(report.signals), 'warning sign')}, each with what to do next."
        reply.sections += [Section(s.name, signal_items(s)) for s in report.signals]
    else:
        reply.text = "Healthy: no warning signs in the partnership's state."
    if (state := standing(ctx, report.partnership)) is not None:
        reply.text = (f"{report.partnership.name} {state}: only what can still be settled, its closing tasks and "
                      f"open concerns, is checked. " + reply.text.replace("Healthy: no", "No"))
    return reply
