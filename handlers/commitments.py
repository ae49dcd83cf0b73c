"""Commitments: who does what by when, the partnership's mechanism for delivery."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, bindparam, case, select, update
from sqlalchemy.orm import Session

from handlers import life, recurring
from handlers.agreement.goals import find_goal, goal_served, serve
from handlers.context import Context, zone
from handlers.dates import due_day_in, end_of_day, show_day, show_moment
from handlers.describe import (
    commitment_item,
    due_day,
    due_said,
    hours,
    labelled,
    late_said,
    left_said,
    member_label,
    owner_zone,
)
from handlers.errors import UserError
from handlers.judgements.balance import ACCEPTED
from handlers.judgements.load import taking_on, workloads
from handlers.parsing import MAX_NOTE, MAX_TITLE, Args, check_text, clipped, parse_hours, plain_name, quote, typed_again
from handlers.recheck import Asked, about, moment_in, not_theirs, rechecks, reopened, told_at
from handlers.registry import Access, command
from handlers.reply import Audience, Reply, Section, plural
from handlers.search import asks_about_load, mentions, search_words
from handlers.unanswered import back_to_giver, handover_key, tell_asked
from storage import queries
from storage.lines import LINES, CommitmentLine, line_of, lines
from storage.models import Commitment, CommitmentSeries, CommitmentStatus, Event, Handover, Member, Partnership, Role
from storage.nudges import Waiting, tell, withdraw

LIST_LIMIT = 50
PERCENT = re.compile(r"(\d{1,3})\s*%?")
# A `who` search is a few words; each is one more condition on the query.
MAX_SEARCH_WORDS = 10
MAX_SEARCH = 200
# Status is stored as text, and "done" < "dropped" < "open" alphabetically: rank open first.
OPEN_FIRST = case((Commitment.status == CommitmentStatus.OPEN, 0), else_=1)
# What an owner is told when someone else closed their commitment.
CLOSED = "closed"


# Built once, values bound at each execution (see queries.CHANNEL_CONTEXT).
OPEN_COMMITMENTS = (select(Commitment)
                    .where(Commitment.partnership_id == bindparam("partnership_id"),
                           Commitment.status == CommitmentStatus.OPEN)
                    .order_by(Commitment.due_at, Commitment.id))
OPEN_TITLES = OPEN_COMMITMENTS.with_only_columns(Commitment.id, Commitment.title)
# The same, as lists show them (storage/lines.py).
OPEN_LINES = (LINES.where(Commitment.partnership_id == bindparam("partnership_id"),
                          Commitment.status == CommitmentStatus.OPEN)
              .order_by(Commitment.due_at, Commitment.id))
OVERDUE_LINES = OPEN_LINES.where(Commitment.due_at < bindparam("now"))
# A person's open commitments in every partnership they are in now, each with the partnership's
# name and whether it is over (read-only): one statement for `mine`.
MINE = (LINES.add_columns(Partnership.name, Partnership.over(bindparam("now")))
        .join(Partnership, Partnership.id == Commitment.partnership_id)
        .where(Member.person_id == bindparam("person_id"), Member.left_at.is_(None),
               Commitment.status == CommitmentStatus.OPEN)
        .order_by(Commitment.due_at))


def open_commitments(session: Session, partnership_id: int) -> list[Commitment]:
    """A partnership's open commitments, soonest due first."""
    return list(session.scalars(OPEN_COMMITMENTS, {"partnership_id": partnership_id}))


def find_commitment(ctx: Context, commitment_id: int) -> Commitment:
    return ctx.find_row(Commitment, commitment_id, "commitment", "who")


def ensure_may_change(ctx: Context, c: Commitment) -> None:
    """Refuse anyone who may not change the commitment (`Context.may_change`), naming whose it is;
    whoever handed it over, while it waits for an answer, is told how to take it back first."""
    me = ctx.require_member()
    if ctx.may_change(c):
        return
    name = c.owner.person.display_name
    if c.handover_from_id == me.id:
        raise UserError(f"#{c.number} {c.title} is handed to {name}, who has not answered yet.",
                        f"To take it back first: `reassign {c.number} @{ctx.person.user_id}`.")
    raise UserError(f"#{c.number} is {name}'s commitment; only they or a coordinator can change it.",
                    f"Ask {name} or a coordinator; `mine` lists your own.")


def awaits_my_answer(ctx: Context, c: Commitment) -> bool:
    """Whether `c` was handed to the acting member, who has not answered yet."""
    me = ctx.member
    return c.handover_from_id is not None and me is not None and c.owner_id == me.id


def ensure_answered(ctx: Context, c: Commitment) -> None:
    """Refuse whoever was asked to take `c` on and has not answered: ending it or sending it out
    of the partnership would leave the handover unanswered and its giver without it. A
    coordinator asked may end it all the same, as they may any work."""
    if not awaits_my_answer(ctx, c) or ctx.is_coordinator():
        return
    giver = ctx.session.get_one(Member, c.handover_from_id)
    raise UserError(f"#{c.number} {c.title} was handed to you by {giver.person.display_name} and waits for your answer.",
                    f'Take it on first with `accept {c.number}`, or give it back: `decline {c.number} "why"`.')


def answer_handover(ctx: Context, c: Commitment, said: str) -> None:
    """Record the answer to the handover of `c` still waiting for one, if any."""
    ctx.session.execute(update(Handover).where(Handover.commitment_id == c.id, Handover.answer.is_(None))
                        .values(answer=said, answered_at=ctx.now))


def take_on(ctx: Context, c: Commitment, how: str = "") -> str:
    """The acting member takes on `c`, handed to them and waiting for their answer: a conditional
    update, so a giver taking it back at the same moment leaves one of them refused. `how` says
    they did so by working on it (`done`, `progress`, `edit`): what the reply says of it."""
    me = ctx.require_member()
    giver = ctx.session.get_one(Member, c.handover_from_id)
    change(ctx, c, still_open(), Commitment.owner_id == me.id, Commitment.handover_from_id == c.handover_from_id,
           handover_from_id=None, handover_at=None)
    answer_handover(ctx, c, ACCEPTED)
    withdraw(ctx.session, c.partnership_id, handover_key(c), f"{me.person.display_name} accepted #{c.number} first",
             ctx.now)
    ctx.record("accept", f"accepted #{c.number} {c.title}{how}", subject=c)
    return f"{me.person.display_name} accepts #{c.number} (handed over by {giver.person.display_name}){how}."


def taken_on_in_passing(ctx: Context, c: Commitment, how: str) -> str:
    """Whoever was asked to take `c` on and works on it instead of answering has said yes: their
    accept is recorded, and the reply says so (empty when nothing waited for their answer)."""
    return take_on(ctx, c, f" by {how}") + " " if awaits_my_answer(ctx, c) else ""


def ensure_open(ctx: Context, c: Commitment) -> None:
    """Refuse to change a finished commitment, saying who finished it and when: the answer
    the second of two people clicking Mark done at once needs."""
    if c.status is CommitmentStatus.OPEN:
        return
    closed = closing(ctx, c)
    if closed is not None and closed.action == "missed":  # nobody dropped it: the sweep closed it
        raise UserError(f"#{c.number} was missed: its day, {show_day(due_day(c), ctx.now.astimezone(ctx.tz).date())}, "
                        "passed without `done`.", f'To take it up again: `reopen {c.number} "why"`.')
    how = ("marked done" if c.status is CommitmentStatus.DONE else f"handed on to {c.handed_to}" if c.handed_to
           else "dropped")
    by = f" by {closed.actor.display_name}" if closed is not None and closed.actor is not None else ""
    when = f" ({show_moment(c.closed_at, ctx.tz, ctx.now)})" if c.closed_at else ""
    raise UserError(f"#{c.number} was already {how}{by}{when}.", f"Type `history commitment {c.number}` to see what happened.")


def closing(ctx: Context, c: Commitment) -> Event | None:
    """The event that closed a commitment: who closed it and how, a missed occurrence's by nobody."""
    return queries.last_event(ctx.session, c, ("done", "drop", "hand-on", "missed"))


def listing(ctx: Context, title: str, rows: list[CommitmentLine], empty: str, with_owner: bool = True) -> Reply:
    tz, live = ctx.tz, not ctx.over
    items = [commitment_item(c, tz, ctx.now, with_owner, buttons=ctx.may_change(c), live=live) for c in rows[:LIST_LIMIT]]
    reply = Reply(title=title, sections=[Section(None, items, empty=empty)])
    if len(rows) > LIST_LIMIT:
        reply.text = f"Showing the first {LIST_LIMIT} of {len(rows)}."
    return reply


def change(ctx: Context, c: Commitment, *still: ColumnElement[bool], **values: object) -> None:
    """Write `values` only if the commitment is still as it was read (`still`): a conditional
    update, so of two people acting at once (or one click arriving twice) one wins and the
    other is told, and nothing is done twice."""
    result = ctx.session.execute(
        update(Commitment).where(Commitment.id == c.id, *still).values(**values)
        .execution_options(synchronize_session="fetch"))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        ctx.session.refresh(c)
        raise UserError(f"#{c.number} {c.title} was changed by someone else just now (it is {c.status.value}), "
                        "so nothing was changed.", f"Type `history commitment {c.number}` to see what happened.")


def take_reason(args: Args, why: str) -> str:
    """The reason a change needs, the last thing typed; `why` says how to give it."""
    if not args.has_more():
        raise UserError(why)
    reason = args.take_text("reason", MAX_NOTE)
    args.finish()
    return reason


def still_open() -> ColumnElement[bool]:
    return Commitment.status == CommitmentStatus.OPEN


def tell_owner(ctx: Context, c: Commitment, kind: str, key: str, text: str) -> None:
    """The owner hears, once (`key`, ending with them), when someone else changed or closed their
    commitment: they may be at it still. Whoever did it is not told what they did."""
    if c.owner.person_id != ctx.person.id:
        tell(ctx.session, key, c.partnership_id, kind, text, ctx.now, person_id=c.owner.person_id)


def tell_changed(ctx: Context, c: Commitment, what: str, event: Event) -> None:
    """The owner hears what someone else changed in their open commitment."""
    ctx.session.flush()
    tell_owner(ctx, c, "changed", f"told:changed:e{event.id}:c{c.id}:p{c.owner.person_id}",
               f"{ctx.person.display_name} changed your commitment #{c.number} {c.title}: {what}.")


@rechecks("changed", after_end=True)
def still_theirs_to_hear(asked: Asked, row: Waiting) -> str | None:
    """The changed work still open and still its recipient's."""
    if about(row.key, "c") is None:  # told before the key named the work: nothing to ask
        return None
    c, why = asked.open_commitment(row)
    return why if c is None else not_theirs(c, row.person_id)


def tell_closed(ctx: Context, c: Commitment, how: str, reopens: bool = True) -> None:
    """The owner hears that someone else closed their commitment just now (`how`: `dropped ("why")`),
    and, when `reopens`, how to open it again if they are still at it. Keyed by the close, so a
    later one is told afresh and this one goes only while it stands (`still_closed_as_told`)."""
    hint = (f' If it should go on, `reopen commitment {c.number} "why"{ctx.naming_for(c.owner.person_id)}` '
            "opens it again." if reopens else "")
    tell_owner(ctx, c, CLOSED, told_at(f"told:{CLOSED}:", c, ctx.now, c.owner.person_id),
               f"{ctx.person.display_name} closed your commitment #{c.number} {c.title}: {how}. "
               f"Nothing more waits for you on it.{hint}")


@rechecks(CLOSED, after_end=True)
def still_closed_as_told(asked: Asked, row: Waiting) -> str | None:
    """The work still closed by the close its owner is told of: not reopened since, nor reopened
    and closed again (that close, if by someone else, is told of itself)."""
    c = asked.commitment(row)
    if (why := reopened(c)) or c is None:
        return why
    return None if c.closed_at == moment_in(row.key) else f"#{c.number} {c.title} was reopened and closed again since"


@command(
    "commit",
    usage='commit "What" by:<date>',
    examples=('commit "Deliver 500 leaflets" by:friday effort:3h',
              'commit @bob "Book the hall" by:"end of next month" from:monday',
              'commit "Open the warm space" every:tuesday until:"in 3 months" effort:2h',
              'commit "Count Saturday footfall" by:saturday goal:1'),
    options=("by", "effort", "from", "every", "until", "goal"),
    flags=("again",),
)
def commit(ctx: Context, args: Args) -> Reply:
    """Log who does what by when: yourself, or (coordinators) someone else with @name.

    by: takes a date (`2026-12-01`, `friday`, `in 2 weeks`), read in your time zone.
    effort: is the hours it will take (`3h`, `90m`); it counts towards `load`, spread from
    when the work can start (from:, default today) to the due date.
    every: makes it recurring (`every:tuesday`, `every:month`, `every:"2 weeks"`), until: a
    last date; one occurrence is open at a time, the next made when it is done or its day passes.
    goal: names the shared goal it serves (`goal:1`; `goals` lists them).
    The reply warns when its owner is away on its due date, goes over capacity, or could not
    give its effort in time, and names who has room; a due date after the partnership's end
    date is refused, with one by its end to type instead, and so is an `until:` after it (a series
    runs to the end date without one). Work logged for someone else is theirs to
    `accept`, or to `decline` back to you until they act on it. A title like an open commitment's is
    asked about first; `again` at the end logs it anyway."""
    me = ctx.require_member()
    owner = ctx.find_member(args.take_mention()) if args.peek_mention() else me
    title = args.take_text("commitment")
    rule = recurring.rule_from(args)
    args.finish()
    if "by" not in args.options and rule is None:
        raise UserError("Say by when, like `by:friday` or `by:2026-12-01`.")
    if owner.id != me.id and me.role is not Role.COORDINATOR:
        raise UserError(
            "Only coordinators can log a commitment for someone else.",
            f'Ask {owner.person.display_name} to type `commit "{title[:40]}" by:{args.options.get("by", "friday")}`.',
        )
    ensure_takes_work(owner)
    if rule is None and "until" in args.options:
        raise UserError("`until:` is for recurring work; say how often with `every:`, like `every:tuesday`.")
    effort = parse_hours(args.options["effort"], "effort") if "effort" in args.options else None
    goal = find_goal(ctx, args.options["goal"]) if "goal" in args.options else None
    today = ctx.now.astimezone(ctx.tz).date()
    # The day typed, read as its typist writes dates, is a day on the owner's calendar.
    theirs = zone(owner.timezone)
    if "by" in args.options:
        due_at = ctx.due(args.options["by"], owner)
    else:
        assert rule is not None
        due_at = end_of_day(rule.first(today), theirs)
    mention = f"@{owner.person.user_id} " if owner.id != me.id else ""
    # What was typed, for a refusal to give back: the repeat as it reads (`every:"2 weeks"`).
    head, typed = f"commit {mention}{quote(title)}", {**args.options, **({"every": rule.said} if rule else {})}
    life.ensure_due_by_end(ctx, due_day_in(due_at, theirs), head, typed, args.flags)
    starts_at = start_from(ctx, args.options.get("from"), due_at, theirs)
    until = recurring.until_from(args.options.get("until"), ctx, due_at, theirs) if rule is not None else None
    if until is not None:
        life.ensure_until_by_end(ctx, until, head, typed, args.flags)
    # Asked last, once everything typed is known good: its answer says to type the same again.
    if "again" not in args.flags:
        ensure_new(ctx, owner, title, head, typed)
    series = None
    if rule is not None:
        series = CommitmentSeries(partnership_id=owner.partnership_id, rule=rule.code, until=until, created_at=ctx.now)
        ctx.session.add(series)
    c = Commitment(
        partnership_id=owner.partnership_id,
        number=ctx.number(Commitment),
        owner_id=owner.id,
        title=title,
        due_at=due_at,
        effort_hours=effort,
        created_by_id=ctx.person.id,
        created_at=ctx.now,
        starts_at=starts_at,
        series=series,
    )
    ctx.session.add(c)
    ctx.session.flush()
    serves = ""
    if goal is not None:
        serve(ctx, c, goal)
        serves = f", serving goal #{goal.number} {goal.title}"
    every = f" (every {rule.said}{recurring.until_said(series, today)})" if rule and series else ""
    did = f"committed to #{c.number} {title}" if owner.id == me.id else f"assigned #{c.number} {title} to {member_label(owner)}"
    ctx.record("commit", did + every + serves, subject=c)
    item = commitment_item(line_of(c), ctx.tz, ctx.now)
    # Logged for someone else: theirs to take on or turn down.
    asked = (f"{owner.person.display_name} can take it on with `accept {c.number}`, or turn it down: "
             f'`decline {c.number} "why"`.' if owner.id != me.id else "")
    warning = taking_on(workloads(ctx.session, c.partnership_id, ctx.now), c, ctx.now, today)
    return Reply(title="New commitment", text="\n".join(filter(None, [item.text + recurring.until_said(series, today)
                                                                      + (f"\nServes goal #{goal.number} {goal.title}."
                                                                         if goal else ""), asked, warning])),
                 actions=list(item.actions), audience=Audience.CHANNEL)


def same_title(title: str) -> str:
    """A title as two people would call it the same: case, spacing and end punctuation aside."""
    return " ".join(title.casefold().split()).rstrip(".!?")


def ensure_new(ctx: Context, owner: Member, title: str, head: str, typed: dict[str, str]) -> None:
    """Ask before logging a second commitment named like an open one, saying exactly what logs it
    anyway: the command (`head`, its options `typed`) with `again`."""
    key = same_title(title)
    # Titles alone are read: only a twin, when there is one, is loaded whole.
    titles = queries.plain_rows(ctx.session, OPEN_TITLES, {"partnership_id": owner.partnership_id})
    twin_id = next((found for found, other in titles if same_title(other) == key), None)
    if twin_id is None:
        return
    twin = ctx.session.get_one(Commitment, twin_id)
    raise UserError(
        f"#{twin.number} {twin.title} is already open ({twin.owner.person.display_name}'s, due "
        f"{show_day(due_day(twin), ctx.now.astimezone(ctx.tz).date())}). "
        "Is this the same one? Nothing was logged.",
        f"If it is another, add `again`: `{typed_again(head, typed)}`.")


def start_from(ctx: Context, text: str | None, due_at: datetime, theirs: ZoneInfo) -> datetime | None:
    """When the work can start (`from:`), the start of that day on the owner's calendar (`theirs`,
    the zone its due day is in); refused after the due day."""
    if text is None:
        return None
    day = ctx.day(text)
    due = due_day_in(due_at, theirs)
    if day > due:
        today = ctx.now.astimezone(ctx.tz).date()
        # A start that works: today when the work is not yet due (on the typist's calendar), else the due day.
        works = "today" if today <= due else due.isoformat()
        raise UserError(f"from:{show_day(day, today)} is after the due date ({show_day(due, today)}).",
                        f"Give a start on or before the due date, like `from:{works}`.")
    return datetime.combine(day, time(0), tzinfo=theirs).astimezone(UTC)


@command("done", usage='done <number> ["note"]', examples=("done 12", 'done 12 "800 delivered, 200 left at the library"'),
         after_end=True)
def done(ctx: Context, args: Args) -> Reply:
    """Mark a commitment done, with a note if you like; a recurring one makes its next occurrence.

    Marked by a coordinator while it waits for the answer of someone it was handed to, it is
    done as the work of whoever handed it over, and the one asked is told it no longer waits."""
    c = find_commitment(ctx, args.take_id("commitment"))
    # Only a quoted note: `done 1 2` is a slip, not a note saying "2".
    note = args.take_text("note", MAX_NOTE) if args.words and args.words[0].quoted else None
    args.finish()
    ensure_may_change(ctx, c)
    ensure_open(ctx, c)
    taken = taken_on_in_passing(ctx, c, "marking it done")
    # Marked done by someone else while it waits for the answer of the one asked, who never said
    # yes: it is its giver's, the last who accepted it, as for a drop.
    still, back, unanswered = back_to_giver(ctx.session, c, ctx.now)
    # Credited to the organisation its owner (once closed) speaks for now, read in the same statement.
    owner = back.get("owner_id", Commitment.owner_id)
    change(ctx, c, still_open(), *still, status=CommitmentStatus.DONE, closed_at=ctx.now, done_note=note,
           delivered_for=select(Member.organisation).where(Member.id == owner).scalar_subquery(), **back)
    if back:  # back with its giver: the owner read before is not the owner now
        ctx.session.refresh(c, ["owner"])
    noted = f' ("{note}")' if note else ""
    tell_asked(ctx.session, c, unanswered, f"was marked done by {ctx.person.display_name}{noted}", ctx.now,
               ctx.person.id)
    lateness = late_said(c)
    ctx.record("done", f"marked #{c.number} {c.title} done{lateness}", subject=c, reason=note)
    tell_closed(ctx, c, f"marked done{noted}")
    stays = (f" {unanswered.asked.person.display_name} had not answered yet, so it stays with "
             f"{unanswered.giver.person.display_name}, who handed it over." if unanswered else "")
    text = f"{taken}Done: #{c.number} {c.title}, by {member_label(c.owner)}{lateness}.{stays} Thank you!"
    if note:
        text += f"\nNote: {note}"
    return Reply(text=text + next_said(ctx, c), audience=Audience.CHANNEL)


def next_said(ctx: Context, c: Commitment, skipped: bool = False) -> str:
    """Make a recurring commitment's next occurrence, now that `c` is closed; what to tell of it
    (for one `skipped`, dropped alone, how to stop the series instead)."""
    following = recurring.next_occurrence(ctx.session, c, ctx.now)
    if following is None:
        return recurring.ended_said(ctx.session, c, ctx.now)
    stop = f' To stop the series instead: `drop {following.number} "why" series`.' if skipped else ""
    return f"\nNext: #{following.number} {following.title}, due {due_said(following, ctx.now)}.{stop}"


@command("drop", usage='drop <number> "reason" [series]',
         examples=('drop 12 "The venue cancelled the fair"', 'drop 14 "The hall is closed this week"',
                   'drop 14 "The warm space closes for the summer" series'),
         flags=("series",), after_end=True)
def drop(ctx: Context, args: Args) -> Reply:
    """Drop a commitment that will not happen, saying why, so everyone can see.

    A recurring one skips to its next occurrence; add `series` to stop the series with it.
    Dropped by someone else, its owner is told (`tell_closed`)."""
    c = find_commitment(ctx, args.take_id("commitment"))
    reason = args.take_text("reason for dropping it", MAX_NOTE)
    args.finish()
    ensure_may_change(ctx, c)
    ensure_open(ctx, c)
    ensure_answered(ctx, c)
    whole = "series" in args.flags
    if whole and c.series_id is None:
        raise UserError(f"#{c.number} {c.title} doesn't repeat, so there is no series to stop.",
                        f"Drop it alone: `drop {c.number} {quote(reason[:60])}`.")
    still, back, unanswered = back_to_giver(ctx.session, c, ctx.now)
    change(ctx, c, still_open(), *still, status=CommitmentStatus.DROPPED, closed_at=ctx.now, drop_reason=reason,
           **back)
    if back:  # back with its giver: the owner read before is not the owner now
        ctx.session.refresh(c, ["owner"])
    tell_asked(ctx.session, c, unanswered, f'was dropped by {ctx.person.display_name} ("{reason}")', ctx.now,
               ctx.person.id)
    ended = f" and its series (every {recurring.Rule(c.series.rule).said})" if whole and c.series else ""
    ctx.record("drop", f"dropped #{c.number} {c.title}{ended}", subject=c, reason=reason)
    tell_closed(ctx, c, f'dropped{ended} ("{reason}")')
    text = f"Dropped #{c.number} {c.title}{ended}: {reason}"
    if not whole:
        text += next_said(ctx, c, skipped=True)
    return Reply(text=text, audience=Audience.CHANNEL)


@command(
    "edit",
    usage="edit <number> by:<date> effort:<hours> title:\"...\" from:<date> goal:<number>",
    examples=('edit 12 by:"next friday" effort:4h title:"Deliver 800 leaflets"', "edit 12 from:monday",
              "edit 12 goal:1"),
    options=("by", "effort", "title", "from", "goal"),
    after_end=True,
)
def edit(ctx: Context, args: Args) -> Reply:
    """Correct a commitment's due date, effort, title, start or goal (its owner or a coordinator).

    goal:1 links it to the shared goal it serves, goal:none unlinks it. Each change is kept
    in the history with its old and new value; the owner hears when someone else made it.
    A due date moves no later than the partnership's end date while it runs. Typed as `edit`
    with a number; `partnership edit` changes the partnership."""
    c = find_commitment(ctx, args.take_id("commitment"))
    args.finish()
    if not args.options:
        raise UserError(f"Say what to change, like `edit {c.number} by:friday`, `effort:4h` or `title:\"...\"`.")
    ensure_may_change(ctx, c)
    ensure_open(ctx, c)
    today = ctx.now.astimezone(ctx.tz).date()
    values: dict[str, object] = {}
    said: list[str] = []
    if "title" in args.options:
        title = check_text(args.options["title"], "title", MAX_TITLE)
        if title != c.title:
            values["title"] = title
            said.append(f'title "{c.title}" → "{title}"')
    due_at, theirs = c.due_at, owner_zone(c)
    if "by" in args.options:
        due_at = ctx.due(args.options["by"], c.owner)
        if due_at != c.due_at:
            life.ensure_due_by_end(ctx, due_day_in(due_at, theirs), f"edit {c.number}", args.options)
            values["due_at"] = due_at
            if c.series_id is not None and c.scheduled_on is None:  # the next keeps the rule's day
                values["scheduled_on"] = due_day(c)
            said.append(f"due {show_day(due_day(c), today)} → {show_day(due_day_in(due_at, theirs), today)}")
    if "effort" in args.options:
        effort = parse_hours(args.options["effort"], "effort")
        if effort != c.effort_hours:
            values["effort_hours"] = effort
            # What was said to be left no longer holds against a new estimate.
            values["left_hours"] = values["progress_at"] = None
            said.append(f"effort {hours(c.effort_hours) if c.effort_hours is not None else 'none'} → {hours(effort)}")
    if "from" in args.options:
        starts_at = start_from(ctx, args.options["from"], due_at, theirs)
        if starts_at != c.starts_at:
            values["starts_at"] = starts_at
            said.append(f"from {show_day(c.starts.astimezone(ctx.tz).date(), today)} → "
                        f"{show_day(starts_at.astimezone(ctx.tz).date(), today) if starts_at else 'when logged'}")
    elif "due_at" in values and c.starts_at is not None and c.starts_at > due_at:
        raise UserError(f"#{c.number} can only start {show_day(c.starts_at.astimezone(ctx.tz).date(), today)}, "
                        "after that due date.", f"Move its start too: `edit {c.number} by:... from:...`.")
    if "goal" in args.options:
        goal = None if args.options["goal"].strip().lower() == "none" else find_goal(ctx, args.options["goal"])
        served = goal_served(ctx.session, c)
        if (goal and goal.id) != (served and served.id):
            serve(ctx, c, goal)
            said.append(f"goal {f'#{served.number}' if served else 'none'} → {f'#{goal.number}' if goal else 'none'}")
    if not said:
        raise UserError(f"#{c.number} already reads like that; nothing to change.")
    taken = taken_on_in_passing(ctx, c, "changing it")
    # Conditional on every field as it was read, so two corrections at once cannot both land.
    read = [still_open(), Commitment.title == c.title, Commitment.due_at == c.due_at,
            Commitment.owner_id == c.owner_id]
    read.append(Commitment.effort_hours.is_(None) if c.effort_hours is None else Commitment.effort_hours == c.effort_hours)
    read.append(Commitment.starts_at.is_(None) if c.starts_at is None else Commitment.starts_at == c.starts_at)
    if values:  # a goal alone is its link's row, written under the commitment's lock
        change(ctx, c, *read, **values)
    what = "; ".join(said)
    event = ctx.record("commitment-edit", f"changed #{c.number} {c.title}: {what}", subject=c)
    tell_changed(ctx, c, what, event)
    alone = (f" Only this occurrence moves: the series still repeats every {recurring.Rule(c.series.rule).said}"
             f"{recurring.until_said(c.series, today)}." if "due_at" in values and c.series else "")
    return Reply(text=f"{taken}Changed #{c.number} {c.title}: {what}.{alone}", audience=Audience.CHANNEL)


@command("reopen commitment", usage='reopen commitment <number> "why"',
         examples=('reopen commitment 12 "Marked done by mistake"',), after_end=True)
def reopen(ctx: Context, args: Args) -> Reply:
    """Undo `done` or `drop`: the commitment is open again (its owner or a coordinator), with the reason kept.

    Once the partnership is over, only a closing task settled since can be reopened: a slip in
    settling it is undone, and nothing closed before the end starts again."""
    c = find_commitment(ctx, args.take_id("commitment"))
    reason = take_reason(args, f"Say why it is reopened, so everyone can see: `reopen commitment {c.number} \"why\"`.")
    ensure_may_change(ctx, c)
    end = life.ended_at(ctx.require_partnership(), ctx.now)
    if end is not None and (c.closed_at is None or c.closed_at <= end):
        life.ensure_running(ctx)
    if c.status is CommitmentStatus.OPEN:
        raise UserError(f"#{c.number} {c.title} is already open.", f"Type `who {c.title.split()[0]}` to see it.")
    ensure_owner_holds_work(ctx, c)
    closed = closing(ctx, c)
    was = (f"handed on to {c.handed_to}" if c.handed_to else "missed" if closed is not None and closed.action == "missed"
           else c.status.value)
    # A past occurrence reopened leaves its series, which already goes on with a later one: its
    # series keeps one open occurrence, and closing this one makes none.
    current = recurring.later(ctx.session, c)
    leaves = {"series_id": None} if current is not None else {}
    # What was left of it when it closed (often nothing) no longer says: its effort counts in
    # full again until someone reports progress.
    change(ctx, c, Commitment.status == c.status, status=CommitmentStatus.OPEN, closed_at=None, drop_reason=None,
           done_note=None, handed_to=None, left_hours=None, progress_at=None, **leaves)
    ctx.record("commitment-reopen", f"reopened #{c.number} {c.title}, which was {was}", subject=c, reason=reason)
    apart = (f"\nIt no longer repeats: its series goes on with #{current.number}, so closing this one makes no "
             "new occurrence." if current is not None else "")
    return Reply(text=f"#{c.number} {c.title} is open again (it was {was}): {reason}. "
                      f"Due {due_said(c, ctx.now)}; `edit {c.number} by:...` to move the date.{apart}",
                 audience=Audience.CHANNEL)


def ensure_takes_work(owner: Member) -> None:
    """Refuse new work for an observer: no load would count it, and they could not close it."""
    if owner.role is Role.OBSERVER:
        raise UserError(f"{owner.person.display_name} is an observer; make them a member first.",
                        f"A coordinator types `member role @{owner.person.user_id} member`.")


def ensure_owner_holds_work(ctx: Context, c: Commitment) -> None:
    """Refuse to reopen work in the name of someone who can no longer hold it: a member who has
    left (nobody would keep that promise) or an observer (no load would count it, and they could
    not close it)."""
    owner = c.owner
    if owner.active and owner.role is not Role.OBSERVER:
        return
    name = owner.person.display_name
    now = f"has left {ctx.require_partnership().name}" if not owner.active else "is an observer now"
    hint = f"Log it afresh for someone here: `commit @name {quote(c.title)} by:friday`"
    if owner.active:
        hint += ", or have a coordinator make them a member again: `member role @name member`"
    raise UserError(f"#{c.number} {c.title} was {name}'s, who {now}, so it can't be open in their name again.", hint + ".")


@command("progress", usage="progress <number> <percent>", examples=("progress 12 60%",), after_end=True)
def progress(ctx: Context, args: Args) -> Reply:
    """Say how far along a commitment is, as a percent of its effort; `load` then counts only what is left."""
    c = find_commitment(ctx, args.take_id("commitment"))
    if not args.has_more():
        raise UserError(f"Say how far along, like `progress {c.number} 60%`.")
    raw = args.take_word("percent")
    args.finish()
    match = PERCENT.fullmatch(raw.strip())
    if not match or int(match[1]) > 100:
        raise UserError(f"`{raw[:20]}` isn't a percent from 0 to 100; write it like `progress {c.number} 60%`.")
    ensure_may_change(ctx, c)
    ensure_open(ctx, c)
    if not c.effort_hours:
        raise UserError(f"#{c.number} has no effort to take a percent of.",
                        f"Say the hours left instead, `left {c.number} 2h`, or set its effort: `edit {c.number} effort:5h`.")
    percent = int(match[1])
    return record_left(ctx, c, round(c.effort_hours * (100 - percent) / 100, 2))


@command("left", usage="left <number> <hours>", examples=("left 12 2h",), after_end=True)
def left(ctx: Context, args: Args) -> Reply:
    """Say how many hours of a commitment are left; `load` then counts only those."""
    c = find_commitment(ctx, args.take_id("commitment"))
    if not args.has_more():
        raise UserError(f"Say how many hours are left, like `left {c.number} 2h`.")
    remaining = parse_hours(args.take_word("hours"), "hours left")
    args.finish()
    ensure_may_change(ctx, c)
    ensure_open(ctx, c)
    return record_left(ctx, c, remaining)


def record_left(ctx: Context, c: Commitment, remaining: float) -> Reply:
    taken = taken_on_in_passing(ctx, c, "reporting progress on it")
    read = Commitment.left_hours.is_(None) if c.left_hours is None else Commitment.left_hours == c.left_hours
    change(ctx, c, still_open(), read, left_hours=remaining, progress_at=ctx.now)
    said = left_said(remaining, c.effort_hours)
    ctx.record("progress", f"updated #{c.number} {c.title}: {said}", subject=c)
    hint = (f" All done? `done {c.number}`." if remaining == 0 else
            f" If the whole job is bigger than first thought: `edit {c.number} effort:{hours(remaining)}`."
            if c.effort_hours and remaining > c.effort_hours else "")
    return Reply(text=f"{taken}#{c.number} {c.title}: {said}, due {due_said(c, ctx.now)}.{hint}")


@command("who", usage="who [words or @name]", examples=("who leaflets", "who is doing the leaflets?", "who @bob", "who"),
         access=Access.READ, aliases=("who's", "whos"), changes=False)
def who(ctx: Context, args: Args) -> Reply:
    """Who is responsible for what: open commitments matching your words, or all of them by person.

    Asked as people ask (`who is responsible for the leaflets?`), it looks for the leaflets;
    asked of a person (`who @bob`), it lists theirs, as `commitments @bob` does."""
    partnership = ctx.require_partnership()
    if args.peek_mention() and len(args.words) == 1:
        return commitments_of(ctx, args)
    typed = [t.text for t in args.words]
    if len(typed) > MAX_SEARCH_WORDS or sum(map(len, typed)) > MAX_SEARCH:
        raise UserError(f"That search is {plural(len(typed), 'word')} long; search by a few words "
                        f"(up to {MAX_SEARCH_WORDS}), like `who leaflets`.")
    words = search_words(args.words)
    args.words.clear()
    if not words:
        by_owner: dict[int, list[CommitmentLine]] = {}
        for c in lines(ctx.session, OPEN_LINES, {"partnership_id": partnership.id}):
            by_owner.setdefault(c.owner_id, []).append(c)
        tz, live = ctx.tz, not ctx.over
        sections = [Section(labelled(cs[0].owner_name, cs[0].owner_organisation),
                            [commitment_item(c, tz, ctx.now, False, buttons=ctx.may_change(c), live=live) for c in cs])
                    for cs in by_owner.values()]
        return Reply(title=f"Who does what in {partnership.name}", sections=sections or [
            Section(None, [], empty="No open commitments." + (' Log one: `commit "What" by:friday`.' if live else ""))],
            more="narrow it down by a word of the title, like `who leaflets`, or by person: `commitments @name`")
    query = LINES.where(Commitment.partnership_id == partnership.id)
    for word in words:
        query = query.where(mentions(Commitment.title, word))
    rows = lines(ctx.session, query.order_by(OPEN_FIRST, Commitment.due_at).limit(LIST_LIMIT + 1))
    if not rows and len(words) == 1 and ctx.matching(words[0], queries.members_ever(ctx.session, partnership.id)):
        return commitments_named(ctx, words[0])  # `who carol`, asked of a person as `who @carol` is
    phrase = " ".join(words)
    shown = clipped(phrase, 60)
    elsewhere = "`load` shows who has room or too much on" if asks_about_load(words) else "Type `who` to see them all"
    return listing(ctx, f"Who: {shown}", rows, f"No commitment mentions \"{shown}\". {elsewhere}.")


@command("mine", usage="mine", access=Access.ANYONE, changes=False)
def mine(ctx: Context, args: Args) -> Reply:
    """Your open commitments in every partnership you are in here, soonest first."""
    args.finish()
    found = queries.plain_rows(ctx.session, MINE, {"person_id": ctx.person.id, "now": ctx.now})
    # By partnership id, name and whether it is over: two of someone's partnerships may share a name.
    grouped: dict[tuple[int, str, bool], list[CommitmentLine]] = {}
    for *line, name, over in found:
        c = CommitmentLine._make(line)
        grouped.setdefault((c.partnership_id, name, over), []).append(c)
    sections = [Section(name, [commitment_item(c, ctx.tz, ctx.now, False, name, live=not over) for c in cs])
                for (_, name, over), cs in grouped.items()]
    return Reply(title="Your commitments", sections=sections or [
        Section(None, [], empty="You have no open commitments.")])


@command("commitments", usage="commitments @name", examples=("commitments @bob",), access=Access.READ, changes=False)
def commitments_of(ctx: Context, args: Args) -> Reply:
    """One member's commitments: open ones first, then what they finished lately; for a former
    member, what they did while they were in."""
    mention = args.take_mention("whose commitments")
    args.finish()
    return commitments_named(ctx, mention)


def commitments_named(ctx: Context, mention: str) -> Reply:
    """The commitments of the member a mention (or a plain name) names."""
    partnership = ctx.require_partnership()
    member = ctx.one_of(mention, queries.members_ever(ctx.session, partnership.id), UserError(
        f"@{plain_name(mention, 60)} isn't a member of {partnership.name}, and never was.",
        "Type `members` to see who is."))
    rows = lines(ctx.session, LINES.where(Commitment.owner_id == member.id)
                 .order_by(OPEN_FIRST, Commitment.closed_at.desc(), Commitment.due_at).limit(LIST_LIMIT + 1))
    former = "" if member.active else f", who left on {show_moment(member.left_at, ctx.tz, ctx.now)}"
    return listing(ctx, f"Commitments of {member_label(member)}{former}", rows,
                   f"{member.person.display_name} has no commitments" + (" yet." if member.active else "."),
                   with_owner=False)


@command("overdue", usage="overdue", access=Access.READ, changes=False)
def overdue(ctx: Context, args: Args) -> Reply:
    """Open commitments past their due date, most overdue first."""
    args.finish()
    partnership = ctx.require_partnership()
    rows = lines(ctx.session, OVERDUE_LINES, {"partnership_id": partnership.id, "now": ctx.now})
    return listing(ctx, f"Overdue in {partnership.name}", rows, "Nothing is overdue.")
