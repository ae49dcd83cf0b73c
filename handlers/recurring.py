"""Recurring work: `every:tuesday`, `every:"2 weeks"`, `every:month`, until a last date.

A series keeps one open occurrence at a time. The next is made when one is done, or by
the nudge sweep when its day passes without `done` (that one is closed as missed, so it
stays in the history as its own record). Making it is exactly once: the occurrence is
closed by a conditional update only one caller can win, and (series, due date) is unique.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handlers.context import Context, zone
from handlers.dates import date_hint, due_day_in, end_of_day, show_day
from handlers.errors import UserError
from handlers.parsing import Args
from handlers.unanswered import back_to_giver, tell_asked
from storage import numbering, queries
from storage.models import (
    Commitment,
    CommitmentGoal,
    CommitmentSeries,
    CommitmentStatus,
    Partnership,
    Snooze,
    Successor,
)

log = logging.getLogger(__name__)

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EVERY = re.compile(r"(?:(\d{1,2})\s*)?(week|weeks|weekly|fortnight|month|months|monthly)")
MISSED = "Its day passed without `done`."
EVERY_HINT = "Write it like `every:tuesday`, `every:week`, `every:\"2 weeks\"` or `every:month`."


@dataclass(frozen=True)
class Rule:
    """How often: `weekday:1` (every Tuesday), `weeks:2`, `months:1`."""

    code: str

    @property
    def unit(self) -> str:
        return self.code.partition(":")[0]

    @property
    def count(self) -> int:
        return int(self.code.partition(":")[2])

    @property
    def said(self) -> str:
        if self.unit == "weekday":
            return DAYS[self.count].capitalize()
        noun = "week" if self.unit == "weeks" else "month"
        return noun if self.count == 1 else f"{self.count} {noun}s"

    def after(self, day: date) -> date:
        """The next occurrence's day after one on `day`."""
        if self.unit == "months":
            return day + relativedelta(months=self.count)
        return day + timedelta(weeks=1 if self.unit == "weekday" else self.count)

    def first(self, today: date) -> date:
        """The first occurrence when no `by:` is given: the next such weekday (today included), else one period on."""
        if self.unit == "weekday":
            return today + timedelta(days=(self.count - today.weekday()) % 7)
        return self.after(today)


def parse_rule(text: str) -> Rule:
    word = " ".join(text.lower().split())
    for n, day in enumerate(DAYS):
        if word in (day, day[:3], day + "s"):
            return Rule(f"weekday:{n}")
    match = _EVERY.fullmatch(word.replace("every ", ""))
    if match is None:
        raise UserError(f"`every:{text[:30]}` isn't a repeat I know. {EVERY_HINT}")
    count = int(match[1] or 1)
    if match[2] == "fortnight":
        return Rule(f"weeks:{2 * count}")
    if count < 1 or count > (12 if match[2].startswith("month") else 52):
        raise UserError(f"`every:{text[:30]}` is too far apart. {EVERY_HINT}")
    return Rule(f"{'months' if match[2].startswith('month') else 'weeks'}:{count}")


def rule_from(args: Args) -> Rule | None:
    """The `every:` option, taking a following `weeks`/`months` word (`every:2 weeks`) along."""
    text = args.options.get("every")
    if text is None:
        return None
    if text.isdigit() and args.words and not args.words[0].quoted and args.words[0].text.lower().rstrip("s") in (
            "week", "month"):
        text += " " + args.words.pop(0).text
    return parse_rule(text)


def until_from(text: str | None, ctx: Context, due_at: datetime, theirs: ZoneInfo) -> date | None:
    """The series' last day (`until:`), refused before its first occurrence's day (on the owner's
    calendar, `theirs`)."""
    if text is None:
        return None
    day = ctx.day(text)
    first = due_day_in(due_at, theirs)
    if day < first:
        today = ctx.now.astimezone(ctx.tz).date()
        raise UserError(f"until:{show_day(day, today)} is before the first occurrence ({show_day(first, today)}). "
                        f"{date_hint(today)}")
    return day


def until_said(series: CommitmentSeries | None, today: date) -> str:
    return f" until {show_day(series.until, today)}" if series is not None and series.until else ""


def later(session: Session, c: Commitment) -> Commitment | None:
    """The latest occurrence of `c`'s series when it was made after `c`: `c` is then a past
    occurrence, whose next already exists."""
    if c.series_id is None:
        return None
    return session.scalar(select(Commitment).where(Commitment.series_id == c.series_id, Commitment.id > c.id)
                          .order_by(Commitment.id.desc()).limit(1))


def next_day(session: Session, c: Commitment, series: CommitmentSeries, now: datetime) -> date | None:
    """The day of the occurrence after `c`, still to come, by the rule's day however `c` was moved;
    None once that is after the series' last day, or after its partnership's end date: work due
    once the partnership is over would be a promise nobody could keep in it."""
    day = coming_day(c, series, now)
    return None if last_day(session, c, series, day) else day


def coming_day(c: Commitment, series: CommitmentSeries, now: datetime) -> date:
    """The rule's next day after `c` that is still to come, whatever the series' last day."""
    rule = Rule(series.rule)
    tz = zone(c.owner.person.timezone)
    day = rule.after(c.scheduled_on or due_day_in(c.due_at, tz))
    while end_of_day(day, tz) <= now:  # the sweep was away a while: the next still to come
        day = rule.after(day)
    return day


def last_day(session: Session, c: Commitment, series: CommitmentSeries, day: date) -> tuple[str, date] | None:
    """What `day` falls after, ending the series (`its last day`, with that day); None when it does not.
    The partnership is the one its callers already hold (`next_occurrence`, `ended_said`, the locked
    one in `roll_on`), so asking the session for it sends no statement."""
    partnership = session.get(Partnership, c.partnership_id)
    ends = partnership.end_date if partnership is not None else None
    if series.until is not None and day > series.until:
        return "its last day", series.until
    if ends is not None and day > ends:
        return "the partnership's end date", ends
    return None


def ended_said(session: Session, c: Commitment, now: datetime) -> str:
    """Why closing `c`, an occurrence, made no next one, for whoever closed it; empty when it does
    not repeat or its next is already made."""
    series = c.series
    if series is None:
        return ""
    partnership = session.get(Partnership, c.partnership_id)
    if partnership is not None and partnership.over(now):
        return f"\nIt was the last occurrence: {partnership.name} is over, so nothing new starts in it."
    after = last_day(session, c, series, coming_day(c, series, now))
    if after is None:
        return ""
    today = now.astimezone(zone(c.owner.person.timezone)).date()
    return f"\nIt was the last occurrence: the next would fall after {after[0]}, {show_day(after[1], today)}."


def next_occurrence(session: Session, c: Commitment, now: datetime) -> Commitment | None:
    """Make the occurrence after `c` (just closed by its caller's conditional update), or None
    when the series has ended or someone else made it already. The caller holds the
    partnership's lock, under which its next number is given. A wound-up or ended partnership
    starts no new work: a closing task that recurs ends with its last occurrence."""
    series = c.series
    if series is None:
        return None
    partnership = session.get(Partnership, c.partnership_id)
    if partnership is not None and partnership.over(now):
        return None
    day = next_day(session, c, series, now)
    if day is None:
        return None
    tz = zone(c.owner.person.timezone)
    following = Commitment(partnership_id=c.partnership_id, number=numbering.next_number(session, Commitment, c.partnership_id),
                           owner_id=c.owner_id, title=c.title, due_at=end_of_day(day, tz), effort_hours=c.effort_hours,
                           created_by_id=None,
                           created_at=now, series_id=series.id)
    goal_id = session.scalar(select(CommitmentGoal.goal_id).where(CommitmentGoal.commitment_id == c.id))
    held = session.scalar(select(Snooze).where(Snooze.commitment_id == c.id, Snooze.until > now))
    stand_in = session.scalar(select(Successor).where(Successor.commitment_id == c.id))
    try:
        with session.begin_nested():
            session.add(following)
            session.flush()
            if goal_id is not None:  # the next occurrence serves the goal this one did
                session.add(CommitmentGoal(commitment_id=following.id, partnership_id=c.partnership_id, goal_id=goal_id))
            if held is not None:  # a snooze holds back reminders about the work, not about one week of it
                session.add(Snooze(commitment_id=following.id, until=held.until, by_id=held.by_id,
                                   created_at=held.created_at))
            if stand_in is not None:  # who is ready to step in on the work, not on one week of it
                session.add(Successor(partnership_id=c.partnership_id, commitment_id=following.id,
                                      successor_id=stand_in.successor_id, named_by_id=stand_in.named_by_id,
                                      named_at=stand_in.named_at))
    except IntegrityError:
        log.info("occurrence of series %s due %s was made by someone else", series.id, day)
        return None
    return following


def roll_on(session: Session, now: datetime) -> int:
    """Close recurring occurrences whose day has passed and make their next; the sweep calls this.

    Returns how many it rolled on. Each close is conditional, so sweeps racing each other
    (or a `done`) roll an occurrence on once."""
    rolled = 0
    # A wound-up or ended partnership takes on no new work: its series wait for it to reopen.
    live = select(Partnership.id).where(~Partnership.over(now))
    passed = session.scalars(select(Commitment).where(Commitment.series_id.is_not(None),
                                                      Commitment.status == CommitmentStatus.OPEN,
                                                      Commitment.due_at < now, Commitment.partnership_id.in_(live))
                           # in partnership order, so two sweeps take partnerships' locks in one order
                           .order_by(Commitment.partnership_id, Commitment.id))
    for c in list(passed):
        # Locked before the commitment, as a command locks them, so a sweep and a `done` never deadlock.
        queries.lock(session, Partnership, c.partnership_id)
        still, back, unanswered = back_to_giver(session, c, now)  # missed before the one asked said yes: the giver's
        won = session.execute(update(Commitment).where(Commitment.id == c.id, Commitment.status == CommitmentStatus.OPEN,
                                                       *still)
                              .values(status=CommitmentStatus.DROPPED, closed_at=now, drop_reason=MISSED, **back)
                              .execution_options(synchronize_session="fetch"))
        if won.rowcount != 1:  # type: ignore[attr-defined]
            continue
        session.refresh(c, ["owner"])
        if unanswered is not None:  # its day (the giver's calendar now, as it was the one asked's), from theirs
            day = due_day_in(c.due_at, zone(unanswered.giver.timezone))
            missed = show_day(day, now.astimezone(zone(unanswered.asked.timezone)).date())
            tell_asked(session, c, unanswered, f"was missed: its day, {missed}, passed", now)
        following = next_occurrence(session, c, now)
        if following is not None:
            tz = zone(c.owner.person.timezone)
            due = show_day(due_day_in(following.due_at, tz), now.astimezone(tz).date())
            then = f"; next #{following.number}, due {due}"
        else:  # said only when so: an occurrence already made for that day goes on
            then = "; the series has ended" if c.series is None or next_day(session, c, c.series, now) is None else ""
        queries.record_event(session, c.partnership_id, None, "missed", f"marked #{c.number} {c.title} missed{then}", now,
                             subject=c, reason=MISSED)
        rolled += 1
    return rolled
