"""Time away: a person on holiday gets no nudges, has no capacity, and their due work is covered.

`away 2026-12-20 2027-01-03` (or `away until:2027-01-03`) marks the days, in the person's
own zone, in every partnership they are in. While the window lasts, nudges to them wait,
`load` counts no capacity for them, and the work due in it is flagged, as soon as the
window is set, to its named successor and the coordinators, so someone can step in.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from handlers.context import Context, zone
from handlers.dates import date_hint, due_day_in, period, show_day
from handlers.describe import due_day, member_label
from handlers.errors import UserError
from handlers.judgements.load import away_now, window
from handlers.parsing import Args, naming
from handlers.recheck import Asked, rechecks
from handlers.registry import command
from handlers.reply import Audience, Reply
from storage.models import Commitment, CommitmentStatus, Member, Partnership, Person, Role, Successor
from storage.nudges import DueNudge, Waiting

MAX_DAYS = 366
# Zones run a day either side of UTC: the window is read in each person's own.
DAY = timedelta(days=1)
OFF = ("off", "back", "none", "cancel")


def example(today: date) -> str:
    """`away <first> <last>` with a fortnight's dates a few weeks ahead: an example to copy that is not already past."""
    first = today + timedelta(days=14)
    return f"away {first.isoformat()} {(first + timedelta(days=13)).isoformat()}"


@command("away", usage="away <first day> <last day>",
         examples=('away monday "in 3 weeks"', 'away until:"in 2 weeks"', "away next week", "away next month",
                   "away off", "away"),
         options=("until",), reads_alone=True)
def away(ctx: Context, args: Args) -> Reply:
    """Say when you are away: no nudges then, no capacity counted, and your due work is flagged to cover.

    Two dates (first and last day away), `until:` a last day from today, or a span in words
    (`next week`, `the weekend`, `next month`: see dates.period); `away off` when plans
    change; `away` alone shows it. It holds in every partnership you are in."""
    member = ctx.require_member()
    person = ctx.person
    today = ctx.now.astimezone(ctx.tz).date()
    if not args.has_more() and "until" not in args.options:
        args.finish()
        if person.away_until is None or person.away_until < today:
            return Reply(text=f"You're not marked away. Going on holiday? `{example(today)}`.")
        return Reply(text=f"You're away {window(person, today)}. `away off` if plans change.")
    if args.words and not args.words[0].quoted and args.words[0].text.lower() in OFF:
        args.words.pop(0)
        args.finish()
        if person.away_until is None or person.away_until < today:
            raise UserError("You're not marked away.", f"Type `{example(today)}` to mark days away.")
        shown = window(person, today)
        set_window(ctx, person, None, None)
        ctx.record("away", f"is no longer away {shown}")
        return Reply(text=f"Welcome back: {person.display_name} is no longer marked away ({shown}).",
                     audience=Audience.CHANNEL)
    if "until" in args.options:
        first = ctx.day(args.words.pop(0).text) if args.words else today
        last = ctx.day(args.options["until"])
    elif (span := period(" ".join(t.text for t in args.words), today)) is not None:
        args.words.clear()
        first, last = span
    else:
        first = ctx.day(args.take_word("first day away"))
        if not args.has_more():
            raise UserError(f"Say the last day away too, like `{example(today)}`, or "
                            f"`away until:{example(today).split()[-1]}`.")
        last = ctx.day(args.take_word("last day away"))
    args.finish()
    if last < today:  # first: swapping the days (below) would not help a last day already past
        raise UserError(f"{show_day(last, today)} has passed. {date_hint(today)}")
    if last < first:
        raise UserError(f"The last day ({show_day(last, today)}) is before the first ({show_day(first, today)}).",
                        f"Type the first day, then the last: `away {last.isoformat()} {first.isoformat()}`.")
    if (last - first).days > MAX_DAYS:
        raise UserError(f"That is more than {MAX_DAYS} days away; for a longer break, a coordinator can make you "
                        f"an observer (`member role @{ctx.person.user_id} observer`).")
    first = max(first, today)
    earlier = window(person, today) if person.away_until is not None and person.away_until >= today else None
    set_window(ctx, person, first, last)
    shown = window(person, today)
    inside = due_while_away(ctx, first, last)
    ctx.record("away", f"is away {shown}")
    text = f"{person.display_name} is away {shown}: no nudges to them then, and no capacity counted."
    if earlier is not None and earlier != shown:
        text += f" (Only one time away is kept: this replaces {earlier}.)"
    if inside:
        here = member.partnership_id
        soonest, its = inside[0]
        text += (" Due while away: " + "; ".join(f"#{c.number} {c.title}" + (f" ({name})" if c.partnership_id != here else "")
                                                 for c, name in inside[:10])
                 + ". Its successor, if named, and the coordinators are told, so someone can step in"
                 f" (`successor {soonest.number} @name{naming(its) if soonest.partnership_id != here else ''}` names one).")
    return Reply(text=text, audience=Audience.CHANNEL)


def due_while_away(ctx: Context, first: date, last: date) -> list[tuple[Commitment, str]]:
    """The acting person's open work due from `first` to `last`, with its partnership's name: in
    every running partnership they are in, as the days away hold in each."""
    rows = ctx.session.execute(
        select(Commitment, Partnership.name).join(Member, Member.id == Commitment.owner_id)
        .join(Partnership, Partnership.id == Commitment.partnership_id)
        .where(Member.person_id == ctx.person.id, Member.left_at.is_(None), Commitment.status == CommitmentStatus.OPEN,
               ~Partnership.over(ctx.now))
        .order_by(Commitment.due_at, Commitment.id)).all()
    return [(c, name) for c, name in rows if first <= due_day(c) <= last]


def set_window(ctx: Context, person: Person, first: date | None, last: date | None) -> None:
    """Conditional on the window as read, so two changes at once cannot both land."""
    result = ctx.session.execute(
        update(Person).where(Person.id == person.id,
                             Person.away_from.is_(None) if person.away_from is None else Person.away_from == person.away_from,
                             Person.away_until.is_(None) if person.away_until is None
                             else Person.away_until == person.away_until)
        .values(away_from=first, away_until=last).execution_options(synchronize_session="fetch"))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise UserError("Your days away were changed somewhere else just now, so nothing was changed.",
                        "Type `away` to see them, then try again.")


# The sweep: work due while its owner is away, for every partnership in a fixed number of queries.

def nudges(session: Session, now: datetime) -> list[DueNudge]:
    """To the coordinators and each commitment's named successor: open work due in its owner's away window."""
    today = now.date()
    rows = session.execute(
        select(Commitment, Member, Person).join(Member, Member.id == Commitment.owner_id)
        .join(Person, Person.id == Member.person_id).join(Partnership, Partnership.id == Commitment.partnership_id)
        .where(Commitment.status == CommitmentStatus.OPEN, Member.left_at.is_(None), ~Partnership.over(now),
               Person.away_until >= today - DAY)
        .order_by(Commitment.due_at)).all()
    flagged = [(c, m, p) for c, m, p in rows if away_on(p, c.due_at)]
    if not flagged:
        return []
    partnership_ids = {c.partnership_id for c, _, _ in flagged}
    leads: dict[int, list[Member]] = {}
    for lead in session.scalars(select(Member).where(Member.partnership_id.in_(partnership_ids), Member.left_at.is_(None),
                                                     Member.role == Role.COORDINATOR)):
        leads.setdefault(lead.partnership_id, []).append(lead)
    stand_ins = {s.commitment_id: s.successor for s in session.scalars(
        select(Successor).where(Successor.commitment_id.in_([c.id for c, _, _ in flagged])))}
    due: list[DueNudge] = []
    for c, m, p in flagged:
        local = zone(p.timezone)
        when = window(p, now.astimezone(local).date())
        day = show_day(due_day(c), now.astimezone(local).date())
        stand_in = stand_ins.get(c.id)
        named = stand_in is not None and stand_in.active and stand_in.role is not Role.OBSERVER and stand_in.id != m.id
        away_too = named and stand_in is not None and away_on(stand_in.person, c.due_at)
        able = named and not away_too
        key = f"away-due:c{c.id}:{p.away_from}:{p.away_until}"
        for lead in leads.get(c.partnership_id, []):
            if lead.id == m.id:
                continue
            helper = f"@{stand_in.person.user_id}" if able and stand_in else "@name"
            due.append(DueNudge(
                f"{key}:p{lead.person_id}", c.partnership_id, "away",
                f"{member_label(m)} is away {when}, and #{c.number} {c.title} is due {day}, while they are. "
                + (f"{stand_in.person.display_name} is named to step in. " if able and stand_in else "")
                + (f"{stand_in.person.display_name}, named to step in, is away then too. " if away_too and stand_in
                   else "")
                + f"Hand it on with `reassign {c.number} {helper}`, or move the date: `edit {c.number} by:...`.",
                person_id=lead.person_id))
        if able and stand_in is not None and stand_in.role is not Role.COORDINATOR:
            due.append(DueNudge(
                f"{key}:p{stand_in.person_id}", c.partnership_id, "away",
                f"{m.person.display_name} is away {when}, and #{c.number} {c.title} is due {day}. You are named to step "
                f"in on it: a coordinator can hand it to you, or say in the channel if you cannot.",
                person_id=stand_in.person_id))
    return due


@rechecks("away")
def still_away_when_due(asked: Asked, row: Waiting) -> str | None:
    """The work still open and with the same owner, away for the same days, due within them."""
    c, why = asked.open_commitment(row)
    if c is None:
        return why
    owner = c.owner.person
    window_in_key = re.search(r":(\d{4}-\d{2}-\d{2}):(\d{4}-\d{2}-\d{2})(?=:|$)", row.key)
    if window_in_key is None or (str(owner.away_from), str(owner.away_until)) != window_in_key.groups():
        return f"{owner.display_name}'s time away changed"
    if not away_on(owner, c.due_at):
        return f"#{c.number} is no longer due while {owner.display_name} is away"
    if c.owner.person_id == row.person_id:
        return f"#{c.number} is {owner.display_name}'s own now"
    return None


def away_on(person: Person, due_at: datetime) -> bool:
    """Away on the day `due_at` falls on, in their own zone: not there to do work due then."""
    return (person.away_from is not None and person.away_until is not None
            and person.away_from <= due_day_in(due_at, zone(person.timezone)) <= person.away_until)


def away_people(session: Session, now: datetime) -> set[int]:
    """The ids of people away now: nudges to them wait."""
    rows = session.scalars(select(Person).where(Person.away_from <= now.date() + DAY,
                                                Person.away_until >= now.date() - DAY))
    return {p.id for p in rows if away_now(p, now)}
