"""Nudges: reminders and warnings the bot sends on its own, so coordinators need not chase.

What is due is derived from the partnership's state every sweep; nothing about it lives
in memory. Each nudge has a stable key (what it is about, and for which period), so the
ledger in storage/nudges.py records and sends it once. Here: what is due, to whom, in
what words, when a person may be bothered, whether a waiting nudge still holds (each
kind's check, handlers/recheck.py), and the chat commands to tune it all.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session, lazyload

from handlers import away, decisions, recurring, reviews, succession
from handlers.agreement import terms
from handlers.commitments import ensure_may_change, ensure_open, find_commitment
from handlers.context import Context, zone
from handlers.dates import days_overdue, due_day_in, show_at, show_day, zone_said
from handlers.describe import due_day, hours
from handlers.episodes import Figures, Tellings, Told, episodes
from handlers.errors import UserError
from handlers.judgements.load import (
    SPARE,
    Someone,
    Work,
    Workload,
    away_now,
    key_people,
    people,
    room,
    room_for,
    tally,
    work,
)
from handlers.meetings import poll
from handlers.parsing import Args
from handlers.recheck import (
    AFTER_END,
    CHECKS,
    NO_LONGER_DUE,
    OTHERWISE,
    Asked,
    Wait,
    about,
    day_in,
    gone,
    not_coordinating,
    not_theirs,
    rechecks,
)
from handlers.registry import Access, command
from handlers.reply import Audience, Item, Reply, Section, plural
from storage import derivation
from storage import nudges as ledger
from storage.models import (
    ChannelLink,
    Commitment,
    CommitmentStatus,
    Concern,
    ConcernStatus,
    Decision,
    DecisionStatus,
    Episode,
    FlexDimension,
    Flexibility,
    Member,
    Nudge,
    NudgeSettings,
    Partnership,
    Person,
    Priority,
    Review,
    Role,
    Snooze,
    Successor,
)
from storage.nudges import TOLD, DueNudge, Waiting, home_channels

log = logging.getLogger(__name__)
Row = TypeVar("Row")

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
# A partnership this young is still finding its feet: no "only one coordinator" warning.
SETTLING_IN = timedelta(days=14)
MAX_SNOOZE_DAYS = 60


@dataclass(frozen=True)
class Thresholds:
    """When nudges go out; each partnership's coordinators may change any of these."""

    due_soon_days: int = 2
    escalate_after_days: int = 3
    concern_stale_days: int = 14
    review_soon_days: int = 7
    end_soon_days: int = 30
    max_open: int = 6
    max_overdue: int = 2
    key_share: int = 50
    quiet_start: int = 21 * 60
    quiet_end: int = 8 * 60
    daily_cap: int = 3


DEFAULTS = Thresholds()
# name: (lowest, highest, what it means)
LIMITS: dict[str, tuple[int, int, str]] = {
    "due_soon_days": (0, 30, "days before a due date to remind its owner (0: no reminder)"),
    "escalate_after_days": (1, 60, "days overdue before coordinators hear of it"),
    "concern_stale_days": (1, 180, "days a concern may stay open before coordinators are reminded"),
    "review_soon_days": (0, 60, "days before a review to tell the channel"),
    "end_soon_days": (0, 180, "days before the end date to plan the wrap-up"),
    "max_open": (1, 100, "open commitments one person may hold before it counts as overload"),
    "max_overdue": (0, 100, "overdue commitments one person may hold before it counts as overload"),
    "key_share": (10, 100, "percent of the open commitments one person may hold before it is a risk"),
    "quiet_start": (0, 24 * 60 - 1, "when quiet hours begin, in each person's time zone (same as quiet_end: none)"),
    "quiet_end": (0, 24 * 60 - 1, "when quiet hours end"),
    "daily_cap": (1, 24, "messages a day the bot may send one person"),
}
CLOCK = ("quiet_start", "quiet_end")
_CLOCK = re.compile(r"(\d{1,2})(?::(\d{2}))?")


def thresholds(session: Session, partnership_id: int) -> Thresholds:
    return settings_of(session.get(NudgeSettings, partnership_id))


def settings_of(row: NudgeSettings | None) -> Thresholds:
    """A partnership's thresholds: its own where it set them, the defaults elsewhere."""
    if row is None:
        return DEFAULTS
    return replace(DEFAULTS, **{f.name: getattr(row, f.name) for f in fields(Thresholds)
                                if getattr(row, f.name) is not None})


def thresholds_for(session: Session, partnership_ids: Collection[int]) -> dict[int, Thresholds]:
    """Many partnerships' thresholds in one query (the sweep's planning)."""
    rows = {row.partnership_id: row for row in session.scalars(
        select(NudgeSettings).where(NudgeSettings.partnership_id.in_(partnership_ids)))} if partnership_ids else {}
    return {pid: settings_of(rows.get(pid)) for pid in partnership_ids}


def show_setting(name: str, value: int) -> str:
    return f"{value // 60:02d}:{value % 60:02d}" if name in CLOCK else str(value)


# When a person may be bothered.

def quiet(t: Thresholds, tz: ZoneInfo, now: datetime) -> bool:
    """Whether it is quiet hours for someone in zone `tz` (a window may span midnight)."""
    local = now.astimezone(tz)
    minute = local.hour * 60 + local.minute
    if t.quiet_start == t.quiet_end:
        return False
    if t.quiet_start < t.quiet_end:
        return t.quiet_start <= minute < t.quiet_end
    return minute >= t.quiet_start or minute < t.quiet_end


def quiet_ends(t: Thresholds, tz: ZoneInfo, now: datetime) -> datetime:
    """When quiet hours under way at `now` end for someone in zone `tz`: the next quiet_end, their time."""
    local = now.astimezone(tz)
    end = datetime.combine(local.date(), time(t.quiet_end // 60, t.quiet_end % 60), tzinfo=tz)
    return end if end > now else end + DAY


def back_from_away(person: Person, tz: ZoneInfo) -> datetime:
    """The start of the day after someone's time away, in their zone `tz`."""
    assert person.away_until is not None
    return datetime.combine(person.away_until + DAY, time(0), tzinfo=tz)


def day_start(tz: ZoneInfo, now: datetime) -> datetime:
    """The start of the person's own day, for their daily cap."""
    local = now.astimezone(tz)
    return datetime.combine(local.date(), time(0), tzinfo=tz)


# What is due.

@dataclass
class Derived:
    """What a sweep's derivation covered, so the waiting nudges it did not derive again are
    known to be no longer due (`settle`), and what to record of it (`storage.derivation.mark`)."""

    # Partnerships whose `Deriver` kinds were all derived just now, with the next moment each could change.
    partnerships: list[tuple[derivation.Due, datetime | None]] = field(default_factory=list)
    # Whether every batched kind was derived (across all partnerships).
    whole: bool = True
    # Wound-up or ended partnerships: they owe nothing.
    ended: list[int] = field(default_factory=list)
    # Whether the warnings told were recorded: if not, the partnerships are derived again next sweep.
    told: bool = True
    # Partnerships due but left for the next sweep: one sweep derives `derivation.CHUNK` at most.
    left: int = 0
    # Partnerships whose derivation failed: tried again later (`derivation.failed`).
    failed: list[derivation.Due] = field(default_factory=list)

    def scope(self) -> ColumnElement[bool]:
        """The waiting nudges this derivation answers for: a `Deriver` kind of a partnership
        derived, a batched kind anywhere (when all were derived), anything of an ended partnership."""
        derived = [d.id for d, _ in self.partnerships]
        return or_(and_(Nudge.partnership_id.in_(derived), Nudge.kind.in_(KINDS)) if derived else false(),
                   Nudge.kind.not_in(KINDS) if self.whole else false(),
                   Nudge.partnership_id.in_(self.ended) if self.ended else false())

    def marks(self) -> list[tuple[derivation.Due, datetime | None]]:
        """What to record as derived; nothing when the warnings told could not be recorded."""
        return self.partnerships if self.told else []


def derive(session: Session, now: datetime) -> tuple[list[DueNudge], Derived]:
    """Every nudge the state says is owed at `now` in the partnerships due for derivation
    (changed since their last, or a moment come that could change them: `storage.derivation`;
    a chunk of them at most, so a zone's midnight is spread over several sweeps), the batched
    kinds across all, and what was derived.

    The state is read in a fixed number of queries (`State.load`), of those partnerships
    only; the rest is arithmetic. A partnership whose derivation fails is logged and left
    out, so one bad row cannot stop every other partnership's nudges (and its pending ones
    are kept, not dropped); it is tried again after a wait, behind the others (`derivation.failed`).
    """
    try:
        with session.begin_nested():
            recurring.roll_on(session, now)
    except Exception:
        log.exception("could not roll recurring commitments on")
    stale, left, running = derivation.due(session, now, derivation.CHUNK)
    ids = [d.id for d in stale]
    # Most of them (a small network's first sweep): read every row, not a long list of ids.
    state = State.load(session, now, ids if 2 * len(ids) < running else None)
    due, whole = batched(session, now)
    try:
        with session.begin_nested():
            due += succession.nudges(session, now, ids)
    except Exception:  # none of them wholly derived: all derived again next sweep
        log.exception("could not derive succession")
        stale = []
    derived = Derived(whole=whole, left=left)
    tellings = Tellings()
    partnerships = {p.id: p for p in state.partnerships}
    for d in stale:
        if d.id not in partnerships:  # wound up since `due` read it: it owes nothing now
            continue
        try:
            deriver = Deriver(state, partnerships[d.id], now)
            due += deriver.all()
            tellings.merge(deriver.tellings)
            derived.partnerships.append((d, deriver.next_change()))
        except Exception:
            log.exception("could not derive nudges for partnership %s", d.id)
            derived.failed.append(d)
    try:
        with session.begin_nested():
            tellings.write(session)
    except Exception:  # told again next sweep, rather than no nudges at all
        log.exception("could not record the warnings told")
        derived.told = False
    # A wound-up or ended partnership owes nothing: its pending nudges go unsent.
    derived.ended = list(session.scalars(select(Partnership.id).where(Partnership.over(now))))
    # Nobody is nudged on holiday; what is still true is derived again when they are back.
    gone = away.away_people(session, now)
    return [d for d in due if d.person_id not in gone], derived


# Derived for every partnership at once, each in a fixed number of queries. (Succession's are
# derived with the `Deriver`'s kinds, for the partnerships due for derivation alone.)
BATCHED = (decisions.nudges, reviews.nudges, away.nudges, terms.nudges, poll.nudges)


def batched(session: Session, now: datetime) -> tuple[list[DueNudge], bool]:
    """The nudges derived across all partnerships, and whether every kind was; one that
    fails is logged and skipped."""
    due: list[DueNudge] = []
    whole = True
    for derive_all in BATCHED:
        try:
            with session.begin_nested():
                due += derive_all(session, now)
        except Exception:
            log.exception("could not derive %s", derive_all.__module__)
            whole = False
    return due, whole


# Whether waiting nudges still hold.

@dataclass(frozen=True)
class Verdict:
    """Why a waiting nudge no longer holds; `wait` when it may again and should wait instead
    (a handover to someone who went away is theirs on return)."""

    reason: str
    wait: bool = False


def still_true(session: Session, rows: Sequence[Waiting], now: datetime) -> dict[int, Verdict]:
    """Ask again, at `now`, whether each waiting nudge holds; returns the ones that don't.

    Every nudge needs its partnership still running (but for what a command told about a
    closing task, `AFTER_END`) and its person still a member and not away; then its kind's own
    check (handlers/recheck.py) has its say. A derived nudge to someone away is cancelled (the
    sweep derives it again, if still true, on their return); one a command told them waits for them.
    """
    asked = Asked(session, now, rows)
    verdicts: dict[int, Verdict] = {}
    for row in rows:
        p = asked.partnership(row)
        if p is None or (p.over(now) and not (row.key.startswith(TOLD) and row.kind in AFTER_END)):
            verdicts[row.id] = Verdict(f"{p.name} was wound up" if p is not None and p.closed_at else
                                       f"{p.name} has ended" if p is not None else "the partnership is gone")
            continue
        if row.person_id is not None:
            m = asked.recipient(row)
            if why := gone(m, p):
                verdicts[row.id] = Verdict(why)
                continue
            assert m is not None
            if away.away_now(m.person, now):
                verdicts[row.id] = Verdict(f"{m.person.display_name} is away until {m.person.away_until}",
                                           wait=row.key.startswith(TOLD))
                continue
        check = CHECKS.get(row.kind)
        if check is not None and (why := check(asked, row)):
            verdicts[row.id] = Verdict(why, wait=isinstance(why, Wait))
    return verdicts


def settle(session: Session, due: Collection[DueNudge], derived: Derived,
           now: datetime) -> list[tuple[Waiting, str]]:
    """Cancel the waiting nudges that no longer hold, and return them with why.

    A derived nudge the sweep did not derive again is no longer due: its check says why
    where it can. A nudge a command told is asked its kind's check. A derived nudge the
    sweep did derive again holds by that very derivation, so it is left alone here (asked
    again just before it is sent).
    """
    rows = ledger.unsettled(session, now, derived.scope(), {d.key for d in due})
    verdicts = still_true(session, rows, now)
    reasons: dict[int, str] = {}
    for row in rows:
        verdict = verdicts.get(row.id)
        if not row.key.startswith(TOLD):
            reasons[row.id] = verdict.reason if verdict else OTHERWISE.get(row.kind, NO_LONGER_DUE)
        elif verdict is not None and not verdict.wait:
            reasons[row.id] = verdict.reason
    cancelled = ledger.cancel(session, reasons, now)
    return [(row, reasons[row.id]) for row in rows if row.id in cancelled]


def grouped(rows: Iterable[Row], key: Callable[[Row], int]) -> dict[int, list[Row]]:
    """Rows by partnership, in the order the query gave them."""
    groups: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


@dataclass
class State:
    """Every row the sweep reads, by partnership id, loaded once for all partnerships.

    Rows that point at a member (a commitment's owner, an offer's maker) find it among
    `everyone` by id, instead of joining it again on every row.
    """

    partnerships: list[Partnership]
    settings: dict[int, Thresholds]
    channels: dict[int, str]
    everyone: list[Someone]
    members: dict[int, list[Someone]]
    open: dict[int, list[Work]]
    snoozes: dict[int, Snooze]
    time_offers: dict[int, list[Flexibility]]
    concerns: dict[int, list[Concern]]
    proposals: dict[int, list[Decision]]  # open, soonest closing first (for the digest)
    done: dict[int, list[Work]]
    priorities: dict[int, list[Priority]]
    episodes: dict[int, list[Episode]]
    # Partnerships holding a review now: theirs is under way, not overdue.
    reviewing: set[int]

    by_id: dict[int, Someone] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {m.id: m for m in self.everyone}

    def owner(self, c: Work) -> Someone:
        return self.by_id[c.owner_id]

    @classmethod
    def load(cls, session: Session, now: datetime, only: Collection[int] | None = None) -> State:
        """The rows of the partnerships `only` names (every running one when None)."""
        if only is not None and not only:  # nothing changed and no moment has come: no queries at all
            return cls([], {}, {}, [], {}, {}, {}, {}, {}, {}, {}, {}, {}, set())
        since = now - WEEK

        def of(column: ColumnElement[int]) -> ColumnElement[bool]:
            return true() if only is None else column.in_(only)

        everyone = people(session, of(Member.partnership_id))
        return cls(
            partnerships=list(session.scalars(select(Partnership).where(~Partnership.over(now),
                                                                        of(Partnership.id))
                                              .order_by(Partnership.id))),
            settings=defaultdict(lambda: DEFAULTS, {row.partnership_id: settings_of(row) for row in session.scalars(
                select(NudgeSettings).where(of(NudgeSettings.partnership_id)))}),
            channels=home_channels(session, only),
            everyone=everyone,
            members=grouped((m for m in everyone if m.active), lambda m: m.partnership_id),
            open=grouped(work(session, Commitment.status == CommitmentStatus.OPEN, of(Commitment.partnership_id),
                              order=(Commitment.due_at, Commitment.id)), lambda c: c.partnership_id),
            snoozes={s.commitment_id: s for s in session.scalars(
                select(Snooze).join(Commitment, Commitment.id == Snooze.commitment_id)
                .where(Commitment.status == CommitmentStatus.OPEN, of(Commitment.partnership_id), Snooze.until > now))},
            time_offers=grouped(session.scalars(
                select(Flexibility).where(Flexibility.dimension == FlexDimension.TIME, Flexibility.withdrawn_at.is_(None),
                                          of(Flexibility.partnership_id))
                .options(lazyload(Flexibility.member))), lambda f: f.partnership_id),
            concerns=grouped(session.scalars(
                select(Concern).where(Concern.status == ConcernStatus.OPEN, of(Concern.partnership_id))
                .options(lazyload(Concern.raised_by)).order_by(Concern.id)), lambda c: c.partnership_id),
            proposals=grouped(session.scalars(
                select(Decision).where(Decision.status == DecisionStatus.OPEN, Decision.closes_at > now,
                                       of(Decision.partnership_id)).order_by(Decision.closes_at, Decision.id)),
                lambda d: d.partnership_id),
            done=grouped(work(session, Commitment.status == CommitmentStatus.DONE, Commitment.closed_at >= since,
                              of(Commitment.partnership_id), order=(Commitment.closed_at,)), lambda c: c.partnership_id),
            priorities=grouped(session.scalars(
                select(Priority).where(Priority.set_at >= since, of(Priority.partnership_id))
                .options(lazyload(Priority.member)).order_by(Priority.set_at)), lambda pr: pr.partnership_id),
            episodes=grouped(session.scalars(select(Episode).where(of(Episode.partnership_id))),
                             lambda e: e.partnership_id),
            reviewing=set(session.scalars(select(Review.partnership_id).where(Review.closed_at.is_(None),
                                                                              of(Review.partnership_id)))),
        )


# Every row `State.load` reads: a change to any counts as a change of its partnership's derivation.
# (Episodes are left out: only the derivation itself writes them.)
# And what succession's nudges read besides (the successors named).
derivation.watch(Partnership, Member, Person, Commitment, Snooze, Flexibility, Concern, Decision, Priority, Review,
                 NudgeSettings, ChannelLink, Successor)
# The kinds derived for the partnerships due for derivation alone (`Deriver`'s, and succession's);
# every other derived kind is `BATCHED`.
KINDS = ("due-soon", "overdue", "escalation", "progress-ask", "review-soon", "review-overdue", "ending",
         "overload-note", "overload", "concern-stale", "key-person", "sole-coordinator", "digest", "succession")


class Deriver:
    """The nudges one partnership owes at one moment, from the loaded state."""

    def __init__(self, state: State, p: Partnership, now: datetime) -> None:
        self.state, self.p, self.now = state, p, now
        self.tellings = Tellings()  # the sweep writes them once this partnership is derived
        self.t = state.settings[p.id]
        self.members = state.members.get(p.id, [])
        self.coordinators = [m for m in self.members if m.role is Role.COORDINATOR]
        self.doers = [m for m in self.members if m.role is not Role.OBSERVER]
        self.today = now.date()
        iso = now.isocalendar()
        self.week = f"{iso.year}-W{iso.week:02d}"
        self.channel = state.channels.get(p.id)
        self.open = state.open.get(p.id, [])
        self.snoozes = state.snoozes

    def all(self) -> list[DueNudge]:
        return [*self.commitments(), *self.progress_asks(), *self.reviews(), *self.ending(), *self.overload(),
                *self.stale_concerns(), *self.key_people(), *self.digest()]

    def next_change(self) -> datetime | None:
        """The next moment at which `all` could give other nudges, or other words, with nothing
        changed; the sweep derives the partnership again then (None: no such moment ahead).

        Dates turn at midnight: UTC's for reviews, the end date and the digest's week, each
        member's own for their load (spread over their days), time away and the days the words
        name. Each open commitment has its moments (a day after it is logged, its reminder,
        the week before it is due, due, escalated, and each day it is overdue after that), so
        has a snooze's end, a concern's each day open, and a young partnership's settling in.
        Succession's nudges are derived with these: they ask again each month (UTC)."""
        now, t = self.now, self.t
        month = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        moments = [day_start(UTC, now) + DAY, (month + 32 * DAY).replace(day=1),
                   self.p.created_at + SETTLING_IN, self.p.created_at + succession.SETTLING_IN]
        moments += [day_start(zone(tz), now) + DAY for tz in {m.timezone for m in self.members}]
        for c in self.open:
            moments += [c.created_at + DAY, c.due_at - t.due_soon_days * DAY, c.due_at - WEEK, c.due_at,
                        c.due_at + t.escalate_after_days * DAY]
            if (s := self.snoozes.get(c.id)) is not None:
                moments.append(s.until)
        for k in self.state.concerns.get(self.p.id, []):
            since = k.open_since
            moments.append(since + (Concern.days_open(since, now) + 1) * DAY)
        return min((m for m in moments if m > now), default=None)

    @cached_property
    def loads(self) -> list[Workload[Someone]]:
        """The partnership's workloads: the tally `load` and `health` make, from the sweep's rows."""
        return tally(self.members, self.open, self.now)

    def told(self, kind: str, current: dict[int, Figures], worse: Callable[[Figures, Figures], bool],
             paused: Collection[int] = ()) -> dict[int, Told]:
        """The latest telling of each member's episode of a warning (handlers/episodes.py)."""
        return episodes(self.p.id, kind, self.state.episodes.get(self.p.id, []), current, worse, self.now,
                        self.tellings, paused)

    def since(self, told: Told, member: Someone) -> str | None:
        """The day a warning told again was last told (in `member`'s zone), or None on its first telling."""
        if told.previous is None or told.previous_at is None:
            return None
        return show_day(told.previous_at.astimezone(zone(member.timezone)).date(), self.today)

    def to_person(self, member: Someone, kind: str, key: str, text: str) -> DueNudge:
        return DueNudge(f"{key}:p{member.person_id}", self.p.id, kind, text, person_id=member.person_id)

    def to_coordinators(self, kind: str, key: str, text: str, besides: int | None = None) -> Iterator[DueNudge]:
        for m in self.coordinators:
            if m.id != besides:
                yield self.to_person(m, kind, key, text)

    def to_channel(self, kind: str, key: str, text: str) -> Iterator[DueNudge]:
        if self.channel is not None:
            yield DueNudge(key, self.p.id, kind, text, channel=self.channel)

    def commitments(self) -> Iterator[DueNudge]:
        """Due soon and overdue to the owner; long overdue to the coordinators."""
        t, now = self.t, self.now
        for c in self.open:
            owner, snooze = self.state.owner(c), self.snoozes.get(c.id)
            due_day = self.due_day(c)
            # The owner's day, not the due moment's UTC date: a zone change or a handover keeps the day.
            key = f"c{c.id}:{self.owner_day(c):%Y-%m-%d}"
            if snooze is None and owner.active:
                # Just logged with a near date: its owner knows, so no reminder in the first day.
                if now < c.due_at <= now + t.due_soon_days * DAY and now - c.created_at >= DAY:
                    yield self.to_person(owner, "due-soon", f"due-soon:{key}",
                                         f"#{c.number} {c.title} is due {due_day}. Type `done {c.number}` when it is, "
                                         f"or `snooze {c.number} 2` to hear about it later.")
                elif c.due_at <= now:
                    yield self.to_person(owner, "overdue", f"overdue:{key}",
                                         f"#{c.number} {c.title} was due {due_day}. If it is done, type `done {c.number}`; "
                                         f"if it needs more time or another pair of hands, say so in the channel "
                                         f"(or `snooze {c.number} 3`).")
            # A coordinator's snooze means a coordinator already knows; an owner's does not stop this.
            if c.due_at + t.escalate_after_days * DAY <= now and not (snooze and self.by_coordinator(snooze)):
                late = days_overdue(c.due_at, zone(owner.timezone), now)
                yield from self.to_coordinators(
                    "escalation", f"escalation:{key}",
                    f"#{c.number} {c.title}, held by {owner.label}, is {plural(late, 'day')} overdue. A word with "
                    f"{owner.display_name} may help; or `reassign {c.number} @name`, or "
                    f'`drop {c.number} "reason"`.', besides=owner.id)

    def owner_day(self, c: Work) -> date:
        """The day a commitment is due on its owner's calendar: the due moment is the end of their day."""
        return due_day_in(c.due_at, zone(self.state.owner(c).timezone))

    def due_day(self, c: Work) -> str:
        """The day a commitment is due, as its owner set it, in words."""
        return show_day(self.owner_day(c), self.now.astimezone(zone(self.state.owner(c).timezone)).date())

    def closing(self, d: Decision) -> str:
        """When a proposal closes, as its proposer set it and the chat says it, with the zone."""
        proposer = self.state.by_id.get(d.proposer_id)
        tz = zone(proposer.timezone if proposer else "UTC")
        return f"{show_at(d.closes_at, tz, self.now)} {zone_said(d.closes_at.astimezone(tz))}"

    def by_coordinator(self, snooze: Snooze) -> bool:
        return any(m.person_id == snooze.by_id for m in self.coordinators)

    def reviews(self) -> Iterator[DueNudge]:
        """A sustained partnership's review: the channel hears it is coming, coordinators that it
        is late (unless it is under way)."""
        p, review = self.p, self.p.next_review_on
        if p.review_cadence is None or review is None:
            return
        when = show_day(review, self.today)
        if self.today <= review <= self.today + timedelta(days=self.t.review_soon_days):
            yield from self.to_channel(
                "review-soon", f"review-soon:p{p.id}:{review}",
                f"{p.name}'s {p.review_cadence.value} review is due {when}. Worth thinking about before then: "
                f"are the goals still right and reachable, are the right people here, is there enough time and money?")
        elif review < self.today and p.id not in self.state.reviewing:
            yield from self.to_coordinators(
                "review-overdue", f"review-overdue:p{p.id}:{review}",
                f"{p.name}'s review was due {when}. Open it with `review start`; closing it with "
                f"`review close` sets the next date (or `partnership edit review:{p.review_cadence.value}`).")

    def ending(self) -> Iterator[DueNudge]:
        """A partnership with an end date nearing it: time to plan the wrap-up."""
        p, end = self.p, self.p.end_date
        if end is None or not self.today <= end <= self.today + timedelta(days=self.t.end_soon_days):
            return
        left = (end - self.today).days
        yield from self.to_channel(
            "ending", f"ending:p{p.id}:{end}",
            f"{p.name} ends {show_day(end, self.today)} ({plural(left, 'day')} from now). Time to plan the wrap-up: "
            + (f"finish or hand over the {plural(len(self.open), 'open commitment')}, and " if self.open else "")
            + "agree what carries on, and who with. A coordinator opens the wrap-up review with `review start`. "
            "After its end date it is read-only, unless a coordinator gives it a new one.")

    def overload(self) -> Iterator[DueNudge]:
        """Someone carrying too much: a kind note to them, and who could help to the coordinators.

        Once per episode, and again only when it is worse, saying what changed (`episodes`); time
        away pauses an episode, it does not end it."""
        loads = self.loads
        heavy = {w.member.id: reasons for w in loads if not w.away and (reasons := self.overload_reasons(w))}
        told = self.told("overload", {w.member.id: {"weekly": w.weekly_hours, "left": w.open_hours, "open": w.open_count,
                                                    "overdue": w.overdue_count} for w in loads if w.member.id in heavy},
                         heavier, paused={w.member.id for w in loads if w.away})
        if not heavy:
            return
        spare = room(loads, besides=heavy) if any(w.member.id not in heavy and w.has_room() for w in loads) else ""
        offered = [self.state.by_id[f.member_id] for f in self.state.time_offers.get(self.p.id, [])]
        flexible = sorted({m.display_name for m in offered
                           if m.id not in heavy and m.active and not away_now(m, self.now)})
        for w in loads:
            if w.member.id not in heavy:
                continue
            reasons, m = heavy[w.member.id], w.member
            key = f"m{m.id}:{told[m.id].at:%Y%m%dT%H%M%S}"
            day, before = self.since(told[m.id], m), told[m.id].previous
            since = f" Since the note of {day}: {changes(before, w)}." if day and before else ""
            # A handover that fits: their own work (they may reassign it) to someone it would not overload.
            fit = room_for(loads, self.open, m.id, self.now, besides=heavy)
            hand_on = (f" #{fit[0].number} {fit[0].title} would fit {fit[1].display_name}'s spare time: "
                       f"`reassign {fit[0].number} @{fit[1].user_id}`.") if fit else ""
            yield self.to_person(
                m, "overload-note", f"overload-note:{key}",
                f"You're carrying a lot in {self.p.name} just now ({reasons}).{since} That says how much you give, "
                f"not that you're falling short. If something could wait or pass to someone else, say so in the "
                f"channel or to a coordinator; `mine` lists it all.{hand_on}")
            helpers = "; ".join(filter(None, [
                f"spare capacity: {spare}" if spare else "",
                f"offered more time: {', '.join(flexible)}" if flexible else "",
            ])) or "nobody has spare capacity or has offered more time yet"
            yield from self.to_coordinators(
                "overload", f"overload:{key}",
                f"{m.label}{', a volunteer,' if m.volunteer else ''} has more than they can carry ({reasons}).{since} "
                f"Could someone take something on? Who could help: {helpers}.{hand_on}", besides=m.id)

    def overload_reasons(self, w: Workload[Someone]) -> str:
        reasons = []
        if w.over_capacity:
            reasons.append(f"~{hours(w.weekly_hours)}/week against {hours(w.capacity or 0)} capacity")
        if w.open_count > self.t.max_open:
            reasons.append(plural(w.open_count, "open commitment"))
        if w.overdue_count > self.t.max_overdue:
            reasons.append(f"{w.overdue_count} overdue")
        return ", ".join(reasons)

    def stale_concerns(self) -> Iterator[DueNudge]:
        """A concern open too long: once per stale period since it was raised or last reopened,
        to the coordinators (the weeks it stood resolved are not time it was left alone)."""
        period = self.t.concern_stale_days
        for c in self.state.concerns.get(self.p.id, []):
            days = Concern.days_open(c.open_since, self.now)
            if days >= period:
                # A reopening starts the periods again, under keys of its own.
                again = f":r{c.reopened_at:%Y%m%dT%H%M%S}" if c.reopened_at is not None else ""
                yield from self.to_coordinators(
                    "concern-stale", f"concern-stale:k{c.id}{again}:{days // period}",
                    f"Concern #{c.number} {c.title} ({c.severity.value}) has been open {plural(days, 'day')}"
                    f"{' since it was reopened' if again else ''}. Left alone, concerns "
                    f"wear down trust: `concerns {c.number}` shows the discussion, "
                    f'`resolve {c.number} "what was agreed"` closes it.')

    def key_people(self) -> Iterator[DueNudge]:
        """Too much resting on one person: a large share of the work, or a lone coordinator.

        Once per episode, again only when they hold more, saying what it was (`episodes`):
        a turning month repeats nothing."""
        p, total = self.p, len(self.open)
        keys = key_people(self.open, self.doers, self.t.key_share)
        told = self.told("key-person", {k.member.id: {"held": k.held, "total": k.total} for k in keys}, holds_more)
        for k in keys:
            last = told[k.member.id]
            day, before = self.since(last, k.member), last.previous
            since = f" On {day} it was {before['held']:g} of {before['total']:g}." if day and before else ""
            yield from self.to_coordinators(
                "key-person", f"key-person:m{k.member.id}:{last.at:%Y%m%dT%H%M%S}",
                f"{k.member.label} holds {k.held} of the {total} open commitments in {p.name} ({k.share}%).{since} "
                f"If they were away, the work would stall: could others take some on, or shadow them?")
        alone = self.coordinators[0] if (len(self.coordinators) == 1 and len(self.doers) >= 3
                                         and self.now - p.created_at >= SETTLING_IN) else None
        sole = self.told("sole-coordinator", {alone.id: {}} if alone else {}, lambda before, now: False)
        if alone is not None:
            yield from self.to_coordinators(
                "sole-coordinator", f"sole-coordinator:m{alone.id}:{sole[alone.id].at:%Y%m%dT%H%M%S}",
                f"You are the only coordinator of {p.name}. If you were away, nobody could resolve concerns or "
                f"change settings: name a second with `member role @name coordinator`.")

    def progress_asks(self) -> Iterator[DueNudge]:
        """Work its owner has said nothing of, where a judgement hangs on it (`asks_progress`):
        the owner is asked once how far along it is, rather than guessed at."""
        loads = {w.member.id: w for w in self.loads}
        for c in self.open:
            w = loads.get(c.owner_id)
            # A handover waiting for an answer is not yet in their load: nothing hangs on it there.
            if w is None or c.handover_from_id is not None or c.id in self.snoozes or not asks_progress(c, w, self.now):
                continue
            owner = w.member
            hangs = ("more than you could give by then" if any(r.work is c for r in w.risks)
                     else "over your capacity this week")
            yield self.to_person(
                owner, "progress-ask", f"progress-ask:c{c.id}:p{owner.person_id}",
                f"How far along is #{c.number} {c.title}, due {self.due_day(c)}? Nothing is said of it yet, so `load` "
                f"counts all {hours(c.effort_hours or 0)} as still to do, {hangs}. Say it with `progress {c.number} 50%` "
                f"(or `left {c.number} 3h`); `done {c.number}` if it is finished.")

    def digest(self) -> Iterator[DueNudge]:
        """The week in the channel: done, due, overdue (apart, counted once), open concerns, changed priorities, next review."""
        p, now = self.p, self.now
        week_start = datetime.combine(now.date() - timedelta(days=now.weekday()), time(0), tzinfo=now.tzinfo)
        if self.channel is None or p.created_at >= week_start:
            return
        done = self.state.done.get(p.id, [])
        overdue = [c for c in self.open if c.due_at < now]
        coming = [c for c in self.open if now <= c.due_at <= now + WEEK]
        concerns = sorted(self.state.concerns.get(p.id, []), key=lambda c: c.created_at)
        changed = self.state.priorities.get(p.id, [])
        lines = [f"The week in {p.name}:"]
        lines.append(f"Done ({len(done)}): " + ("; ".join(f"#{c.number} {c.title} ({self.state.owner(c).display_name})"
                                                          for c in done[:10]) or "nothing marked done"))
        lines.append(f"Due in the next 7 days ({len(coming)}): " + ("; ".join(
            f"#{c.number} {c.title} ({self.state.owner(c).display_name}, {self.due_day(c)})"
            for c in coming[:10]) or "nothing"))
        if overdue:
            lines.append(f"Overdue ({len(overdue)}): " + "; ".join(
                f"#{c.number} {c.title} ({self.state.owner(c).display_name}, due {self.due_day(c)})" for c in overdue[:10]))
        lines.append(f"Open concerns ({len(concerns)}): " + ("; ".join(f"#{c.number} {c.title}" for c in concerns[:10])
                                                           or "none"))
        if proposals := self.state.proposals.get(p.id, []):
            lines.append(f"Proposals awaiting responses ({len(proposals)}): " + "; ".join(
                f"#{d.number} {d.title} (closes {self.closing(d)}; `decision {d.number}`)" for d in proposals[:10]))
        if changed:
            lines.append("Priorities stated or changed: " + "; ".join(
                f'{self.state.by_id[pr.member_id].display_name}: "{pr.text}"' for pr in changed[:10]))
        if p.next_review_on:
            lines.append(self.review_line(p.next_review_on))
        yield from self.to_channel("digest", f"digest:p{p.id}:{self.week}", "\n".join(lines))

    def review_line(self, review: date) -> str:
        """The digest's word on the review: coming, under way, or overdue (as `status` says it)."""
        when = show_day(review, self.today)
        if review >= self.today:
            return f"Next review: {when}"
        if self.p.id in self.state.reviewing:
            return f"Review under way (it was due {when})"
        return f"Review overdue since {when}: a coordinator opens it with `review start`"


# Whether each kind derived above still holds: asked of a waiting nudge at every sweep, and
# just before it is sent. Each asks only what its derivation asked.

def coordinators(asked: Asked) -> dict[int, set[int]]:
    """The people coordinating each partnership the nudges are in."""
    found: dict[int, set[int]] = defaultdict(set)
    for partnership_id, person_id in asked.session.execute(
            select(Member.partnership_id, Member.person_id).where(
                Member.partnership_id.in_({row.partnership_id for row in asked.rows}), Member.left_at.is_(None),
                Member.role == Role.COORDINATOR)):
        found[partnership_id].add(person_id)
    return found


def moved(c: Commitment, row: Waiting) -> str | None:
    """Why a nudge about the due day in its key (its owner's day) no longer holds: the day moved."""
    if day_in(row.key) in (None, due_day(c)):
        return None
    return f"#{c.number} is now due {due_day(c).isoformat()}"  # its owner's day, as every reader sees it


@rechecks("due-soon", "overdue")
def reminder_holds(asked: Asked, row: Waiting) -> str | None:
    """A reminder to the owner: the work still open, still theirs, due on the day it was for,
    not snoozed, and (for "due soon") not yet past its time."""
    c, why = asked.open_commitment(row)
    if c is None:
        return why
    if s := asked.snooze(c):
        return f"#{c.number} is snoozed until {s.until.date().isoformat()}"
    late = row.kind == "due-soon" and c.due_at <= asked.now
    return not_theirs(c, row.person_id) or moved(c, row) or (f"#{c.number} is overdue now" if late else None)


@rechecks("escalation")
def escalation_holds(asked: Asked, row: Waiting) -> str | None:
    """Long-overdue work, to a coordinator other than its owner: still open, due on the same
    day, and no coordinator has snoozed it."""
    c, why = asked.open_commitment(row)
    if c is None:
        return why
    snoozed = asked.snooze(c)
    if snoozed is not None and snoozed.by_id in asked.read(coordinators).get(row.partnership_id, set()):
        return f"a coordinator snoozed #{c.number}"
    if c.owner.person_id == row.person_id:
        return f"#{c.number} is {c.owner.person.display_name}'s own now"
    return moved(c, row) or not_coordinating(asked.recipient(row))


@rechecks("review-soon", "review-overdue")
def review_holds(asked: Asked, row: Waiting) -> str | None:
    """The review still due on the day the nudge names: coming (the channel), or past and not
    under way (the coordinators)."""
    p, day, today = asked.partnership(row), day_in(row.key), asked.now.date()
    assert p is not None
    if p.review_cadence is None or p.next_review_on is None:
        return "no review is scheduled now"
    if p.next_review_on != day:
        return f"the review is now due {p.next_review_on.isoformat()}"
    if row.kind == "review-soon":
        return "the review's day has passed" if day < today else None
    if p.id in asked.read(reviewing):
        return "the review is under way"
    return not_coordinating(asked.recipient(row))


def reviewing(asked: Asked) -> set[int]:
    return set(asked.session.scalars(select(Review.partnership_id).where(
        Review.partnership_id.in_({row.partnership_id for row in asked.rows}), Review.closed_at.is_(None))))


@rechecks("ending")
def ending_holds(asked: Asked, row: Waiting) -> str | None:
    """The end date still the one the nudge names."""
    p = asked.partnership(row)
    assert p is not None
    if p.end_date != day_in(row.key):
        return f"{p.name} now ends {p.end_date.isoformat()}" if p.end_date else f"{p.name} has no end date now"
    return None


@rechecks("overload-note", "overload", otherwise="no longer carrying more than they can")
@rechecks("key-person", otherwise="no longer holding that large a share")
def someone_still_here(asked: Asked, row: Waiting) -> str | None:
    """Whether they still carry too much is the derivation's question, asked again by the
    sweep that sends it; here, that the member it is about is still here and not away."""
    m = asked.member(about(row.key, "m"))
    if why := gone(m, asked.partnership(row)):
        return why
    assert m is not None
    if away.away_now(m.person, asked.now):
        return f"{m.person.display_name} is away until {m.person.away_until}"
    return None if row.kind == "overload-note" else not_coordinating(asked.recipient(row))


def concerns(asked: Asked) -> dict[int, Concern]:
    """The concerns the nudges name (one query)."""
    ids = asked.named("k")
    return {c.id: c for c in asked.session.scalars(
        select(Concern).where(Concern.id.in_(ids)).options(lazyload(Concern.raised_by)))} if ids else {}


@rechecks("concern-stale")
def concern_open(asked: Asked, row: Waiting) -> str | None:
    """The concern still open."""
    concern = asked.read(concerns).get(about(row.key, "k") or 0)
    if concern is None:
        return "the concern is gone"
    if concern.status is not ConcernStatus.OPEN:
        return f"concern #{concern.number} was {concern.status.value}"
    return not_coordinating(asked.recipient(row))


@rechecks("sole-coordinator")
def still_alone(asked: Asked, row: Waiting) -> str | None:
    """Still the partnership's only coordinator."""
    others = asked.read(coordinators).get(row.partnership_id, set()) - {row.person_id}
    return f"{plural(len(others), 'other coordinator')} now" if others else not_coordinating(asked.recipient(row))


@rechecks("digest", otherwise="a newer digest replaces it")
def the_week_as_it_was(asked: Asked, row: Waiting) -> None:
    """A digest is true of its week; a waiting one is reworded by each sweep, so nothing to ask."""
    return None


def heavier(before: Figures, now: Figures) -> bool:
    """An overload worth telling again: an hour or more of work added, or more open or overdue
    work. Days passing with nothing changed are not news, though the week's figure may rise."""
    return (now["left"] >= before.get("left", now["left"]) + SPARE or now["open"] > before["open"]
            or now["overdue"] > before["overdue"])


def holds_more(before: Figures, now: Figures) -> bool:
    """A key person worth telling of again: more commitments held, and no smaller a share."""
    return now["held"] > before["held"] and now["held"] * before["total"] >= before["held"] * now["total"]


def changes(before: Figures, w: Workload[Someone]) -> str:
    """`1 → 2 open (12h → 14h left), ~12h → ~14h a week`: what changed in an overload since it was last told."""
    said = []
    if before["open"] != w.open_count:
        said.append(f"{before['open']:g} → {w.open_count} open")
    if "left" in before and before["left"] != w.open_hours:
        said.append(f"{hours(before['left'])} → {hours(w.open_hours)} left")
    if before["overdue"] != w.overdue_count:
        said.append(f"{before['overdue']:g} → {w.overdue_count} overdue")
    if before["weekly"] != w.weekly_hours:
        said.append(f"~{hours(before['weekly'])} → ~{hours(w.weekly_hours)} a week")
    return ", ".join(said) or "no change in the figures"


def asks_progress(c: Work, w: Workload[Someone], now: datetime) -> bool:
    """Whether to ask the owner how far along `c` is, rather than count all of it as left: it has
    an effort and nothing said of it, was logged a day ago or more, is not yet due, its owner
    is here, and a judgement hangs on it: it is at risk, or it falls due within the week (so
    counts in full in it) while they are over capacity."""
    return (bool(c.effort_hours) and c.left_hours is None and now - c.created_at >= DAY and c.due_at >= now
            and not w.away and (any(r.work is c for r in w.risks) or (w.over_capacity and c.due_at <= now + WEEK)))


@rechecks("progress-ask")
def progress_still_unknown(asked: Asked, row: Waiting) -> str | None:
    """Asking an owner how far along they are: the work still open, still theirs, and still
    nothing said of its progress."""
    c, why = asked.open_commitment(row)
    if c is None:
        return why
    if c.left_hours is not None:
        return f"progress on #{c.number} has been said since"
    return not_theirs(c, row.person_id)


# Chat commands.

@command("snooze", usage="snooze <number> <days or date>",
         examples=("snooze 12 3", "snooze 12 monday", "snooze 12 off"))
def snooze(ctx: Context, args: Args) -> Reply:
    """Hold back reminders about a commitment for some days or until a date; `off` to hear them again.

    Its owner or a coordinator can snooze it. When a coordinator snoozes an overdue
    commitment, the coordinators are not reminded of it either."""
    c = find_commitment(ctx, args.take_id("commitment"))
    if not args.has_more():
        raise UserError(f"Say for how long: a number of days (`snooze {c.number} 3`) or a date (`snooze {c.number} monday`).")
    when = args.take_text("days or date", 60)
    args.finish()
    ensure_may_change(ctx, c)
    ensure_open(ctx, c)
    current = ctx.session.get(Snooze, c.id)
    if when.lower() in ("off", "0", "none"):
        if current is None or current.until <= ctx.now:
            raise UserError(f"#{c.number} isn't snoozed.")
        ctx.session.delete(current)
        ctx.record("snooze", f"turned reminders back on for #{c.number} {c.title}", subject=c)
        return Reply(text=f"Reminders about #{c.number} {c.title} are back on.")
    today = ctx.now.astimezone(ctx.tz).date()
    if when.isdigit():
        days = int(when)
        until = ctx.now + days * DAY
    else:
        day = ctx.day(when)
        days = (day - today).days
        until = datetime.combine(day, time(0), tzinfo=ctx.tz)
        if days < 1:
            raise UserError(f"{show_day(day, today)} {'has passed' if days < 0 else 'is today'}: "
                            "snooze until a day still to come.",
                            f"Type `snooze {c.number} tomorrow`, `snooze {c.number} monday` or a number of days.")
    if days < 1:
        raise UserError(f"Snooze for at least a day, up to {MAX_SNOOZE_DAYS}.", f"Type `snooze {c.number} 3`.")
    if days > MAX_SNOOZE_DAYS:
        raise UserError(f"Snooze for at most {MAX_SNOOZE_DAYS} days; if it won't happen, `drop {c.number} \"reason\"`.")
    if current is None:
        ctx.session.add(Snooze(commitment_id=c.id, until=until, by_id=ctx.person.id, created_at=ctx.now))
    else:
        current.until, current.by_id, current.created_at = until, ctx.person.id, ctx.now
    shown = show_day(until.astimezone(ctx.tz).date(), today)
    ctx.record("snooze", f"held reminders about #{c.number} {c.title} until {shown}", subject=c)
    # Recurring work's next occurrences made before then are held back too (recurring.next_occurrence).
    also = ", nor about its next occurrences made before then" if c.series_id is not None else ""
    return Reply(text=f"No reminders about #{c.number} {c.title} until {shown}{also}. `snooze {c.number} off` to undo.")


@command("nudge settings", usage="nudge settings", access=Access.READ, aliases=("nudges",), changes=False)
def settings(ctx: Context, args: Args) -> Reply:
    """When this partnership's nudges go out: reminders, warnings, quiet hours and the daily cap."""
    args.finish()
    partnership = ctx.require_partnership()
    t = thresholds(ctx.session, partnership.id)
    items = []
    for name, (_, _, meaning) in LIMITS.items():
        value, default = getattr(t, name), getattr(DEFAULTS, name)
        note = "" if value == default else f" (default {show_setting(name, default)})"
        items.append(Item(f"{name}: {show_setting(name, value)}{note} — {meaning}"))
    return Reply(title=f"Nudge settings for {partnership.name}", sections=[Section(None, items)],
                 text="Coordinators change them with `nudge set name:value`, or `name:default` to reset one.")


@command("nudge set", usage="nudge set <name>:<value>", access=Access.COORDINATOR, options=tuple(LIMITS),
         examples=("nudge set due_soon_days:3 daily_cap:2", "nudge set quiet_start:22:00 quiet_end:07:30",
                   "nudge set max_open:default"))
def set_thresholds(ctx: Context, args: Args) -> Reply:
    """Change when this partnership's nudges go out (coordinators); `nudge settings` lists the names."""
    unknown = [t.text.partition(":")[0] for t in args.words if ":" in t.text]
    if unknown:
        raise UserError(f"`{unknown[0][:30]}` isn't a nudge setting. Settings: {', '.join(LIMITS)}.")
    args.finish()
    if not args.options:
        raise UserError("Say what to change, like `nudge set due_soon_days:3`.", "Type `nudge settings` to see the names.")
    partnership = ctx.require_partnership()
    row = ctx.session.get(NudgeSettings, partnership.id)
    if row is None:
        row = NudgeSettings(partnership_id=partnership.id, updated_at=ctx.now)
        ctx.session.add(row)
    changes = []
    for name, raw in args.options.items():
        value = None if raw.lower() == "default" else parse_setting(name, raw)
        setattr(row, name, value)
        changes.append(f"{name}: {show_setting(name, getattr(DEFAULTS, name) if value is None else value)}")
    row.updated_at = ctx.now
    ctx.record("nudge-set", "changed nudge settings: " + ", ".join(changes))
    return Reply(text=f"Nudges in {partnership.name}: " + ", ".join(changes) + ".", audience=Audience.CHANNEL)


def parse_setting(name: str, raw: str) -> int:
    low, high, _ = LIMITS[name]
    if name in CLOCK:
        match = _CLOCK.fullmatch(raw.strip())
        if not match or int(match[1]) > 23 or int(match[2] or 0) > 59:
            raise UserError(f"`{raw[:20]}` isn't a time of day for {name}; write it like `21:00` or `7`.")
        return int(match[1]) * 60 + int(match[2] or 0)
    text = raw.strip().removesuffix("%")
    if not text.isdigit() or not low <= int(text) <= high:
        raise UserError(f"{name} must be a whole number from {low} to {high}, not `{raw[:20]}`.")
    return int(text)

