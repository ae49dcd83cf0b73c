"""The agenda builds itself: drafted from what is open in the record, ordered and trimmed by coordinators.

Members add items. The draft reads the record in a fixed number of statements whatever its size (see
`draft`), taking the few most pressing of each kind, so a large partnership's agenda is
as quick to make as a small one's and never longer than a meeting can take.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from handlers.context import Context
from handlers.dates import show_day
from handlers.decisions import proposer_zone
from handlers.describe import due_day
from handlers.errors import UserError
from handlers.judgements.indicators import indicators_of
from handlers.judgements.signoff import standing_of
from handlers.meetings.record import ensure_not_cancelled, ensure_open_minutes, find_meeting, state, to_come
from handlers.mentions import Mentions
from handlers.parsing import MAX_TITLE, Args
from handlers.registry import Access, command
from handlers.reply import Audience, Item, Reply, Section, plural
from storage import queries
from storage.models import (
    AgendaItem,
    Commitment,
    CommitmentStatus,
    Concern,
    ConcernStatus,
    Decision,
    DecisionStatus,
    Meeting,
    MeetingStatus,
    Partnership,
    Severity,
)

MAX_ITEMS = 40
# The most of each kind a draft takes: the agenda stays a meeting's worth, however much is open.
EACH = 5
# Proposals closing this long after the meeting are still worth discussing at it.
CLOSING_SOON = timedelta(days=7)
# The agenda goes to the partnership's channel, and onto its public page, this long before the meeting.
AGENDA_BEFORE = timedelta(days=5)
_NAMED = re.compile(r"(.*?#\d+)")


@dataclass(frozen=True)
class Drafted:
    title: str
    source: str


def draft(session: Session, p: Partnership, m: Meeting, now: datetime, tz: ZoneInfo) -> list[Drafted]:
    """What the record says the meeting should discuss, most pressing first, in a fixed number
    of statements: concerns open longest or most severe, proposals closing soon, overdue work,
    goals off track, a review due and agreement changes unsigned (`carry_waiting` adds what was carried).
    A concern is open since it was raised or reopened (`Concern.open_since`), on that day in `tz`,
    the zone of whoever drafts it; goals and the review are judged on the meeting's day in `tz`."""
    when = m.starts_at or m.closes_at
    today = when.astimezone(tz).date()
    items: list[Drafted] = []
    severity = case({Severity.HIGH: 0, Severity.MEDIUM: 1}, value=Concern.severity, else_=2)
    for k in session.scalars(select(Concern).where(Concern.partnership_id == p.id, Concern.status == ConcernStatus.OPEN)
                             .order_by(severity, Concern.open_since, Concern.id).limit(EACH)):
        items.append(Drafted(f"Concern #{k.number} ({k.severity.value}): {k.title}, open since "
                             f"{show_day(k.open_since.astimezone(tz).date(), today)}", "concern"))
    for d in session.scalars(select(Decision).where(Decision.partnership_id == p.id,
                                                    Decision.status == DecisionStatus.OPEN,
                                                    Decision.closes_at <= when + CLOSING_SOON)
                             .order_by(Decision.closes_at, Decision.id).limit(EACH)):
        closes = d.closes_at.astimezone(proposer_zone(d)).date()
        items.append(Drafted(f"Proposal #{d.number}: {d.title}, closing {show_day(closes, today)}",
                             "proposal"))
    for c in session.scalars(select(Commitment).where(Commitment.partnership_id == p.id,
                                                      Commitment.status == CommitmentStatus.OPEN,
                                                      Commitment.due_at < now)
                             .order_by(Commitment.due_at, Commitment.id).limit(EACH)):
        items.append(Drafted(f"Overdue: #{c.number} {c.title} ({c.owner.person.display_name}), due "
                             f"{show_day(due_day(c), today)}", "overdue"))
    off_track = [i for i in indicators_of(session, p.id, now, today) if i.on_track is False]
    items += [Drafted(f"Goal #{i.goal.number} off track: {i.goal.title}", "goal") for i in off_track[:EACH]]
    if p.next_review_on is not None and p.next_review_on <= today:
        items.append(Drafted(f"The partnership's review, due {show_day(p.next_review_on, today)}", "review"))
    sign_off = standing_of(session, p.id)
    if sign_off.version is not None and sign_off.waiting:
        items.append(Drafted(f"Agreement version {sign_off.version.number}: still to sign: "
                             f"{', '.join(sign_off.waiting)}", "agreement"))
    return items[:MAX_ITEMS]


def subject(title: str) -> str:
    """What an item is about: the record it names (`Concern #3`, `Overdue: #7`), or its whole title."""
    found = _NAMED.match(title.removeprefix("Carried: "))
    return found[1] if found else title.removeprefix("Carried: ")


def write_draft(session: Session, p: Partnership, m: Meeting, now: datetime, tz: ZoneInfo) -> int:
    """Put the draft (its days in `tz`), and any carried item waiting for a meeting, on a new
    meeting's agenda; returns how many items it has."""
    drafted = draft(session, p, m, now, tz)
    session.add_all(AgendaItem(partnership_id=p.id, meeting_id=m.id, position=n, title=d.title[:MAX_TITLE],
                               source=d.source) for n, d in enumerate(drafted, 1))
    carry_waiting(session, p.id, now)
    return len(items_of(session, m))


def next_meeting(session: Session, partnership_id: int, now: datetime) -> Meeting | None:
    """The meeting to be held next: the soonest still to come (a poll counts from its closing)."""
    return session.scalar(select(Meeting).where(Meeting.partnership_id == partnership_id, to_come(now))
        .order_by(func.coalesce(Meeting.starts_at, Meeting.closes_at), Meeting.id).limit(1))


def carry_waiting(session: Session, partnership_id: int, now: datetime) -> Meeting | None:
    """Put every carried item still waiting on the agenda of the next meeting to be held, so none
    is lost between meetings; returns that meeting, None while none is to come (they wait).
    Its callers are commands, which hold the partnership's lock, so an item goes once."""
    target = next_meeting(session, partnership_id, now)
    if target is None:
        return None
    waiting = list(session.scalars(select(AgendaItem).where(
        AgendaItem.partnership_id == partnership_id, AgendaItem.carried.is_(True), AgendaItem.carried_to.is_(None))
        .order_by(AgendaItem.meeting_id, AgendaItem.position)))
    there = items_of(session, target)
    # What the record raises again anyway (a concern still open) is not carried twice.
    on = {subject(a.title) for a in there}
    position = max((a.position for a in there), default=0)
    for a in waiting:
        a.carried_to = target.number
        if subject(a.title) in on:
            continue
        on.add(subject(a.title))
        position += 1
        session.add(AgendaItem(partnership_id=partnership_id, meeting_id=target.id, position=position,
                               title=(a.title if a.source == "carried" else f"Carried: {a.title}")[:MAX_TITLE],
                               source="carried"))
    session.flush()
    return target


def uncarry(session: Session, m: Meeting, now: datetime) -> tuple[int, Meeting | None]:
    """A meeting called off passes the items carried to it on to the next one to be held: how
    many, and to which (None: they wait for the next proposed)."""
    moved = session.execute(update(AgendaItem).where(AgendaItem.partnership_id == m.partnership_id,
                                                     AgendaItem.carried_to == m.number)
                            .values(carried_to=None).execution_options(synchronize_session="fetch"))
    return moved.rowcount, carry_waiting(session, m.partnership_id, now)  # type: ignore[attr-defined]


def carried_where(a: AgendaItem) -> str:
    """Where a carried item went: `meeting 3`, or `the next meeting proposed` while it waits."""
    return f"meeting {a.carried_to}" if a.carried_to else "the next meeting proposed"


def carried_said(a: AgendaItem) -> str:
    """` (carried to meeting 3)`, after a carried item's line; nothing for one not carried."""
    return f" (carried to {carried_where(a)})" if a.carried else ""


def items_of(session: Session, m: Meeting) -> list[AgendaItem]:
    return items_of_all(session, [m.id]).get(m.id, [])


def items_of_all(session: Session, meeting_ids: list[int]) -> dict[int, list[AgendaItem]]:
    """These meetings' agendas, in order, in one statement."""
    found: dict[int, list[AgendaItem]] = {}
    for a in session.scalars(select(AgendaItem).where(AgendaItem.meeting_id.in_(meeting_ids))
                             .order_by(AgendaItem.meeting_id, AgendaItem.position, AgendaItem.id)):
        found.setdefault(a.meeting_id, []).append(a)
    return found


_RECORD = re.compile(r"(?:Carried: )?(?:(Concern|Proposal) #(\d+)|Overdue: #(\d+))")


def since(session: Session, items: list[AgendaItem], now: datetime) -> dict[int, str]:
    """What became, since the agenda was drafted, of the concern, proposal or overdue work an
    item names, when it is no longer so (`resolved since`), by item id: an agenda read or sent
    later says so rather than call a settled thing open. Three statements at most."""
    if not items:
        return {}
    named: dict[str, dict[int, list[int]]] = {"Concern": {}, "Proposal": {}, "Overdue": {}}
    for a in items:
        found = _RECORD.match(a.title)
        if found:
            kind, number = (found[1], found[2]) if found[1] else ("Overdue", found[3])
            named[kind].setdefault(int(number), []).append(a.id)
    partnership_id = items[0].partnership_id
    said: dict[int, str] = {}

    def settle(rows: Iterable[tuple[int, str | None]], numbers: dict[int, list[int]]) -> None:
        for number, what in rows:
            if what:
                said.update((item_id, what) for item_id in numbers[number])

    if named["Concern"]:
        settle(((n, None if status is ConcernStatus.OPEN else "resolved since") for n, status in session.execute(
            select(Concern.number, Concern.status).where(Concern.partnership_id == partnership_id,
                                                         Concern.number.in_(named["Concern"])))), named["Concern"])
    if named["Proposal"]:
        settle(((n, None if status is DecisionStatus.OPEN else f"{status.value} since") for n, status in session.execute(
            select(Decision.number, Decision.status).where(Decision.partnership_id == partnership_id,
                                                           Decision.number.in_(named["Proposal"])))), named["Proposal"])
    if named["Overdue"]:
        settle(((n, f"{FINISHED.get(status, status.value)} since" if status is not CommitmentStatus.OPEN
                 else "no longer overdue: its date moved" if due_at >= now else None)
                for n, status, due_at in session.execute(
                    select(Commitment.number, Commitment.status, Commitment.due_at).where(
                        Commitment.partnership_id == partnership_id, Commitment.number.in_(named["Overdue"])))),
               named["Overdue"])
    return said


# How a commitment no longer open is said on an agenda that named it overdue.
FINISHED = {CommitmentStatus.DONE: "done", CommitmentStatus.DROPPED: "dropped"}


def titled(a: AgendaItem, said: dict[int, str]) -> str:
    """An item's title, with what became of what it names since it was drafted."""
    return f"{a.title} ({said[a.id]})" if a.id in said else a.title


def agenda_sent(m: Meeting, items: list[AgendaItem], now: datetime, said: dict[int, str]) -> str:
    """The agenda as the bot sends it ahead of the meeting, each item as things stand (`since`)."""
    listed = "\n".join(f"{a.position}. {titled(a, said)}" for a in items) or "Nothing on it yet."
    return (f"The agenda of meeting {m.number} ({m.title}), {state(m, UTC, now)} (UTC):\n{listed}\n"
            f'Add an item: `agenda add {m.number} "What to discuss"`.')


@dataclass(frozen=True)
class PublishedAgenda:
    """A meeting's agenda as the public page shows it, the set number of days ahead."""

    number: int
    title: str
    starts_at: datetime
    place: str | None
    items: list[str]


def published_agendas(session: Session, p: Partnership, now: datetime, names: bool = False,
                      words: Callable[[str], str] | None = None,
                      scheduled: list[Meeting] | None = None) -> list[PublishedAgenda]:
    """The agendas of the meetings in the next five days, for the partnership's public page
    (which calls this only while the page is published, passing its own `words` and the
    meetings `scheduled` ahead it has read, if they reach five days); without `names`, any
    name written in them reads "someone"."""
    words = words or Mentions(queries.members_ever(session, p.id), names)
    if scheduled is None:
        scheduled = list(session.scalars(select(Meeting).where(
            Meeting.partnership_id == p.id, Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at > now,
            Meeting.starts_at <= now + AGENDA_BEFORE).order_by(Meeting.starts_at)))
    ahead = [m for m in scheduled if m.starts_at is not None and now < m.starts_at <= now + AGENDA_BEFORE]
    items = items_of_all(session, [m.id for m in ahead])
    said = since(session, [a for listed in items.values() for a in listed], now)
    return [PublishedAgenda(m.number, words(m.title), m.starts_at, words(m.place) if m.place else None,
                            [words(titled(a, said)) for a in items.get(m.id, [])]) for m in ahead if m.starts_at is not None]


def item_at(session: Session, m: Meeting, position: int) -> AgendaItem:
    found = session.scalar(select(AgendaItem).where(AgendaItem.meeting_id == m.id, AgendaItem.position == position))
    if found is None:
        raise UserError(f"Meeting {m.number}'s agenda has no item {position}.",
                        f"Type `agenda {m.number}` to see its items with their numbers.")
    return found


def changeable(ctx: Context, args: Args) -> Meeting:
    """The meeting whose agenda a command changes: not cancelled, its minutes not approved."""
    m = find_meeting(ctx, args.take_id("meeting"))
    ensure_not_cancelled(m)
    ensure_open_minutes(m)
    return m


def item_line(a: AgendaItem, said: dict[int, str]) -> Item:
    line = f"{a.position}. {titled(a, said)}{carried_said(a)}"
    return Item(line + (f"\n     Minuted: {a.note}" if a.note else ""))


@command("agenda", usage="agenda <meeting>", examples=("agenda 1",), access=Access.READ, changes=False)
def agenda(ctx: Context, args: Args) -> Reply:
    """A meeting's agenda: drafted from the record when it was proposed, with members' items."""
    m = find_meeting(ctx, args.take_id("meeting"))
    args.finish()
    items = items_of(ctx.session, m)
    said = since(ctx.session, items, ctx.now)
    return Reply(title=f"Agenda of meeting {m.number}: {m.title}", text=state(m, ctx.tz, ctx.now),
                 sections=[Section(None, [item_line(a, said) for a in items],
                                   empty=f'Nothing on it yet. Add an item: `agenda add {m.number} "What to discuss"`.')],
                 more=f"agenda {m.number}")


@command("agenda add", usage='agenda add <meeting> "item"', examples=('agenda add 1 "Christmas lights budget"',))
def agenda_add(ctx: Context, args: Args) -> Reply:
    """Add an item to a meeting's agenda, at the end; coordinators order it."""
    m = changeable(ctx, args)
    title = args.take_text("agenda item", MAX_TITLE)
    args.finish()
    count = len(items_of(ctx.session, m))
    if count >= MAX_ITEMS:
        raise UserError(f"Meeting {m.number}'s agenda already has {MAX_ITEMS} items, as many as a meeting can take.",
                        f"A coordinator can drop one first: `agenda drop {m.number} <item>`.")
    ctx.session.add(AgendaItem(partnership_id=m.partnership_id, meeting_id=m.id, position=count + 1, title=title,
                               source="member", added_by_id=ctx.person.id))
    ctx.record("agenda-add", f"added {title} to the agenda of meeting {m.number}", subject=m)
    return Reply(text=f"Added to meeting {m.number}'s agenda as item {count + 1}: {title}.",
                 audience=Audience.CHANNEL)


@command("agenda move", usage="agenda move <meeting> <item> to:<place>", examples=("agenda move 1 4 to:1",),
         access=Access.COORDINATOR, options=("to",))
def agenda_move(ctx: Context, args: Args) -> Reply:
    """Move an agenda item to another place; the items between shift along."""
    m = changeable(ctx, args)
    a = item_at(ctx.session, m, args.take_id("agenda item"))
    args.finish()
    if "to" not in args.options:
        raise UserError("Say where to move it, like `to:1`.", f"Type `agenda move {m.number} {a.position} to:1`.")
    count = len(items_of(ctx.session, m))
    place = args.options["to"].lstrip("#")
    if not place.isdigit() or not 1 <= int(place) <= count:
        # The end of the agenda, the likeliest meant by a place past it, unless the item is there already.
        raise UserError(f"`to:` is a place from 1 to {count} on meeting {m.number}'s agenda.",
                        f"Type `agenda move {m.number} {a.position} to:{count if a.position != count else 1}`.")
    old, new = a.position, int(place)
    shift = (AgendaItem.position - 1) if new > old else (AgendaItem.position + 1)
    low, high = min(old, new), max(old, new)
    ctx.session.execute(update(AgendaItem).where(AgendaItem.meeting_id == m.id, AgendaItem.id != a.id,
                                                 AgendaItem.position.between(low, high))
                        .values(position=shift).execution_options(synchronize_session="fetch"))
    a.position = new
    ctx.record("agenda-move", f"moved {a.title} from {old} to {new} on the agenda of meeting {m.number}", subject=m)
    return Reply(text=f"Moved {a.title} to item {new} of meeting {m.number}'s agenda.")


@command("agenda drop", usage="agenda drop <meeting> <item>", examples=("agenda drop 1 3",), access=Access.COORDINATOR)
def agenda_drop(ctx: Context, args: Args) -> Reply:
    """Take an item off a meeting's agenda; the items after it move up."""
    m = changeable(ctx, args)
    a = item_at(ctx.session, m, args.take_id("agenda item"))
    args.finish()
    if a.note is not None:
        raise UserError(f"Item {a.position} is already minuted, so it stays on the record.",
                        f"Type `minutes {m.number}` to read the minutes.")
    ctx.session.delete(a)
    ctx.session.flush()
    ctx.session.execute(update(AgendaItem).where(AgendaItem.meeting_id == m.id, AgendaItem.position > a.position)
                        .values(position=AgendaItem.position - 1).execution_options(synchronize_session="fetch"))
    ctx.record("agenda-drop", f"took {a.title} off the agenda of meeting {m.number}", subject=m)
    left = plural(len(items_of(ctx.session, m)), "item")
    return Reply(text=f"Took {a.title} off meeting {m.number}'s agenda; {left} left.")


def agenda_said(session: Session, m: Meeting) -> str:
    """How many items, for the meeting's own page: `6 items`."""
    return plural(len(items_of(session, m)), "item") + f" · `agenda {m.number}`"

