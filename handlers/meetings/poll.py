"""Finding a time for a meeting: a poll of candidate slots, then its time, moved or cancelled as need be.

A coordinator proposes candidate slots, members answer each yes, if need be or no, and the
best slot becomes the meeting (a coordinator's choice, or the sweep's when the poll closes).
Moving or cancelling it updates every calendar that took it.

Slot times are typed in the typist's zone and kept in UTC; each reader sees them in theirs.
Members who have not answered are reminded once before the poll closes, and everyone the
day before the meeting, through the nudge ledger, each re-checked as it is sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from handlers.context import Context, zone
from handlers.dates import show_at, show_due
from handlers.decisions import percent
from handlers.describe import member_label
from handlers.email import announcements
from handlers.errors import UserError
from handlers.life import standing
from handlers.meetings.agenda import AGENDA_BEFORE, agenda_said, agenda_sent, items_of_all, since, uncarry, write_draft
from handlers.meetings.calendar import calendar_domain, invitation
from handlers.meetings.record import (
    ensure_not_cancelled,
    ensure_open_minutes,
    find_meeting,
    logged,
    minuted,
    state,
    to_come,
)
from handlers.parsing import MAX_TITLE, Args, check_text
from handlers.recheck import Asked, about, rechecks
from handlers.registry import Access, command
from handlers.reply import Action, Audience, Item, Reply, Section, plural
from storage import queries
from storage.models import (
    Meeting,
    MeetingAnswer,
    MeetingSlot,
    MeetingStatus,
    Member,
    Partnership,
    Role,
    SlotAnswer,
)
from storage.nudges import DueNudge, Waiting, home_channels

MAX_SLOTS = 20
# Members who have not answered hear of it this long before the poll closes, and everyone
# this long before the meeting.
REMIND_BEFORE = timedelta(hours=24)
# A time the sweep settled is announced if its announcement is still owed this long after.
ANNOUNCE_WITHIN = timedelta(days=3)
RECENT = timedelta(days=60)
# The share of partner organisations that must be present, unless the proposal says otherwise.
DEFAULT_QUORUM = 50
SAID = {SlotAnswer.YES: "yes", SlotAnswer.MAYBE: "if need be", SlotAnswer.NO: "no"}
_SLOT = re.compile(r"(.+?)[ T]+(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?", re.IGNORECASE)
UTC_ZONE = zone("UTC")
SLOT_HINT = 'Write each slot as a date and a time, like `slots:"2027-01-12 18:00, 2027-01-13 18:00"`.'


@dataclass
class Tally:
    """Who can come at one slot, from the answers of the members in now."""

    slot: MeetingSlot
    answers: dict[SlotAnswer, list[Member]] = field(default_factory=lambda: {a: [] for a in SlotAnswer})

    def rank(self) -> tuple[int, int, datetime]:
        """Most yes first, then most if need be, then the earliest."""
        return -len(self.answers[SlotAnswer.YES]), -len(self.answers[SlotAnswer.MAYBE]), self.slot.starts_at


def settleable(ranked: list[Tally], now: datetime) -> list[Tally]:
    """The slots a poll can still be settled on, best first: still to come, and someone can come
    (or nobody has answered: the poll's own first choice stands)."""
    return [t for t in ranked if t.slot.starts_at > now
            and (t.answers[SlotAnswer.YES] + t.answers[SlotAnswer.MAYBE] or not t.answers[SlotAnswer.NO])]


def unsettled(m: Meeting) -> str:
    """What a coordinator does with a poll no slot of which can be taken."""
    return (f'give it a time: `meeting move {m.number} to:"thursday 18:00"`, or call it off: '
            f'`meeting cancel {m.number} "why"`')


def tallies(slots: Sequence[MeetingSlot], answers: Iterable[MeetingAnswer], members: Iterable[Member]) -> list[Tally]:
    """Each slot's answers by members now in, best slot first: the one count the poll, the
    meeting's page and the sweep all use."""
    here = {m.id: m for m in members}
    by_slot = {s.id: Tally(s) for s in slots}
    for a in answers:
        if a.member_id in here and a.slot_id in by_slot:
            by_slot[a.slot_id].answers[a.answer].append(here[a.member_id])
    return sorted(by_slot.values(), key=Tally.rank)


def by_organisation(members: Iterable[Member], note: str = "") -> list[str]:
    """`Town Council: Alice, Dev`: who, grouped under their organisation."""
    groups: dict[str, list[str]] = {}
    for m in sorted(members, key=lambda m: (m.organisation or "~", m.person.display_name)):
        groups.setdefault(m.organisation or "No organisation", []).append(m.person.display_name + note)
    return [f"{org}: {', '.join(names)}" for org, names in groups.items()]


def slots_of(session: Session, meeting_ids: Iterable[int]) -> list[MeetingSlot]:
    return list(session.scalars(select(MeetingSlot).where(MeetingSlot.meeting_id.in_(list(meeting_ids)))
                                .order_by(MeetingSlot.meeting_id, MeetingSlot.position)))


def answers_of(session: Session, meeting_ids: Iterable[int]) -> list[MeetingAnswer]:
    return list(session.scalars(select(MeetingAnswer).where(MeetingAnswer.meeting_id.in_(list(meeting_ids)))))


def voters(members: Iterable[Member]) -> list[Member]:
    """Who a meeting's poll and reminders are for: members in now, not observers."""
    return [m for m in members if m.active and m.role is not Role.OBSERVER]


def tally_of(session: Session, m: Meeting) -> list[Tally]:
    return tallies(slots_of(session, [m.id]), answers_of(session, [m.id]),
                   voters(queries.active_members(session, m.partnership_id)))


def read_slot(ctx: Context, text: str, option: str = "slots") -> datetime:
    """One slot as typed (`2027-01-12 18:00`, `friday 6pm`) in the typist's zone, as UTC; a
    refusal shows how to write it in the option it was typed in (`slots:`, `to:`)."""
    hint = SLOT_HINT if option == "slots" else f'Write it as a date and a time, like `{option}:"2027-01-12 18:00"`.'
    found = _SLOT.fullmatch(text.strip())
    if not found:
        raise UserError(f"`{text.strip()[:40]}` needs a time as well as a day.", hint)
    hour, minute, half = int(found[2]), int(found[3] or 0), (found[4] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            raise UserError(f"`{text.strip()[:40]}` has no such hour.", hint)
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise UserError(f"`{text.strip()[:40]}` has no such time of day.", hint)
    moment = datetime.combine(ctx.day(found[1]), time(hour, minute), tzinfo=ctx.tz).astimezone(UTC)
    if moment <= ctx.now:
        raise UserError(f"{show_at(moment, ctx.tz, ctx.now)} is already past.", "Give a time still to come. " + hint)
    return moment


def read_slots(ctx: Context, text: str) -> list[datetime]:
    parts = [part for part in re.split(r"[,;]", text) if part.strip()]
    if not parts:
        raise UserError("Say when it could be.", SLOT_HINT)
    if len(parts) > MAX_SLOTS:
        raise UserError(f"That is {len(parts)} slots; a meeting's poll takes at most {MAX_SLOTS}.",
                        "Offer the likeliest ones first: " + SLOT_HINT)
    moments = [read_slot(ctx, part) for part in parts]
    if len(set(moments)) < len(moments):
        raise UserError("The same time is given twice.", "Give each slot once. " + SLOT_HINT)
    return moments


def positions(value: str, count: int, what: str) -> set[int]:
    """`1,3` as slot numbers, each between 1 and `count`."""
    found: set[int] = set()
    for part in value.split(","):
        part = part.strip().lstrip("#")
        if not part.isdigit() or not 1 <= int(part) <= count:
            raise UserError(f"`{what}:{value[:40]}` names a slot that isn't there: slots go from 1 to {count}.",
                            "Name slots by their numbers, like `yes:1,3 maybe:2`.")
        found.add(int(part))
    return found


@command("meeting propose", usage='meeting propose "title" slots:"<date> <time>, ..." [closes:<date>] [place:"..."]',
         examples=('meeting propose "Steering group" slots:"monday 18:00, tuesday 18:00" place:"Town hall"',),
         access=Access.COORDINATOR, options=("slots", "closes", "place", "quorum"))
def propose(ctx: Context, args: Args) -> Reply:
    """Find a time for a meeting: members answer each candidate slot, and the best is taken.

    slots: up to 20 times, in your time zone. closes: the day answers stop (by default a day
    before the first slot). place: where it is. quorum:50% is the share of partner
    organisations that must be present. Its agenda is drafted from the record at once."""
    p = ctx.require_partnership()
    title = args.take_text("meeting title", MAX_TITLE)
    args.finish()
    if "slots" not in args.options:
        raise UserError("Say when it could be.", SLOT_HINT)
    moments = read_slots(ctx, args.options["slots"])
    first = min(moments)
    if "closes" in args.options:
        closes = min(ctx.due(args.options["closes"]), first)
    else:
        closes = max(first - REMIND_BEFORE, ctx.now + (first - ctx.now) / 2)
    place = check_text(args.options["place"], "place", MAX_TITLE) if "place" in args.options else None
    quorum = percent(args.options["quorum"], "quorum", 1) if "quorum" in args.options else DEFAULT_QUORUM
    m = Meeting(partnership_id=p.id, number=ctx.number(Meeting), title=title, place=place, closes_at=closes,
                quorum=quorum, created_by_id=ctx.person.id, created_at=ctx.now, sequence=0,
                status=MeetingStatus.POLLING)
    ctx.session.add(m)
    ctx.session.flush()
    ctx.session.add_all(MeetingSlot(partnership_id=p.id, meeting_id=m.id, position=n, starts_at=at)
                        for n, at in enumerate(moments, 1))
    drafted = write_draft(ctx.session, p, m, ctx.now, ctx.tz)
    ctx.record("meeting-propose", f"proposed meeting {m.number} {title}, with {plural(len(moments), 'slot')}",
               subject=m)
    slots = [Item(f"{n}. {show_at(at, ctx.tz, ctx.now)}") for n, at in enumerate(moments, 1)]
    return announcements.by_mail(ctx, Reply(
        title=f"Meeting {m.number}: {title}" + (f", at {place}" if place else ""),
        text=f"When can you come? Answers close {show_due(closes, ctx.tz, ctx.now)}. Answer each slot, "
             f"like `meeting answer {m.number} yes:1 maybe:2` (slots you don't name are a no). "
             f"Its agenda has {plural(drafted, 'item')} from the record: `agenda {m.number}`.",
        sections=[Section(f"Slots ({ctx.tz.key} time; `meeting {m.number}` shows them in yours)", slots)],
        actions=[Action("See the poll", f"meeting {m.number}", primary=True)], audience=Audience.CHANNEL),
        announcements.POLL, m)


@command("meeting answer", usage="meeting answer <meeting> yes:<slots> [maybe:<slots>]",
         examples=("meeting answer 1 yes:1,3 maybe:2", "meeting answer 1 maybe:1", "meeting answer 1 no"),
         options=("yes", "maybe", "no"))
def answer(ctx: Context, args: Args) -> Reply:
    """Say which slots you can come to: yes, maybe (if need be); slots you don't name are a no.
    A word alone answers every slot (`meeting answer 1 no`: none of them suits you). Answering
    again replaces your earlier answers."""
    member = ctx.require_member()
    m = find_meeting(ctx, args.take_id("meeting"))
    alone = args.words[0].text.lower() if len(args.words) == 1 and not args.words[0].quoted else ""
    every = SlotAnswer(alone) if alone in set(SlotAnswer) and not args.options else None
    if every is not None:
        args.words.clear()
    args.finish()
    ensure_not_cancelled(m)
    if m.status is not MeetingStatus.POLLING or m.closes_at <= ctx.now:
        raise UserError(f"Meeting {m.number}'s poll has closed" + (f": it is {state(m, ctx.tz, ctx.now)}."
                                                                   if m.starts_at else "."),
                        f"Type `meeting {m.number}` to see it.")
    slots = slots_of(ctx.session, [m.id])
    picked = {a: positions(args.options[a.value], len(slots), a.value) for a in SlotAnswer if a.value in args.options}
    if every is not None:
        picked = {every: {s.position for s in slots}}
    if not picked:
        raise UserError("Say which slots you can come to.", f"Type `meeting answer {m.number} yes:1 maybe:2`.")
    twice = set.intersection(*picked.values()) if len(picked) > 1 else set()
    if twice:
        raise UserError(f"Slot {min(twice)} is given two answers.",
                        f"Give each slot one, like `meeting answer {m.number} yes:1 maybe:2`.")
    chosen = {n: a for a, ns in picked.items() for n in ns}
    ctx.session.execute(delete(MeetingAnswer).where(MeetingAnswer.meeting_id == m.id,
                                                    MeetingAnswer.member_id == member.id))
    ctx.session.add_all(MeetingAnswer(partnership_id=m.partnership_id, meeting_id=m.id, slot_id=s.id,
                                      member_id=member.id, answer=chosen.get(s.position, SlotAnswer.NO),
                                      answered_at=ctx.now) for s in slots)
    said = "; ".join(f"{SAID[a]} {', '.join(str(s.position) for s in slots if chosen.get(s.position, SlotAnswer.NO) is a)}"
                     for a in SlotAnswer if any(chosen.get(s.position, SlotAnswer.NO) is a for s in slots))
    ctx.record("meeting-answer", f"answered the poll of meeting {m.number}: {said}", subject=m)
    return Reply(text=f"Your answers for meeting {m.number} ({m.title}): {said}. Answer again to change them.")


def tally_item(t: Tally, tz_ctx: Context) -> Item:
    yes, maybe = t.answers[SlotAnswer.YES], t.answers[SlotAnswer.MAYBE]
    can = by_organisation(yes) + by_organisation(maybe, " (if need be)")
    return Item(f"{t.slot.position}. {show_at(t.slot.starts_at, tz_ctx.tz, tz_ctx.now)} — {len(yes)} yes, "
                f"{len(maybe)} if need be" + (f" · can come: {'; '.join(can)}" if can else ""))


def answer_action(m: Meeting, ranked: list[Tally], member: Member) -> Action:
    """Answering, filled in with the reader's answers so far (the first slot if none): a form
    to edit and send where the platform has them (the quotes make it one), a hint elsewhere."""
    mine = {a: ",".join(str(t.slot.position) for t in sorted(ranked, key=lambda t: t.slot.position)
                        if member in t.answers[a]) for a in (SlotAnswer.YES, SlotAnswer.MAYBE)}
    said = " ".join(f'{a.value}:"{mine[a]}"' for a in mine if mine[a]) or 'yes:"1"'
    return Action("Answer...", f"meeting answer {m.number} {said}", primary=True)


@command("meeting", usage="meeting <number>", examples=("meeting 1",), access=Access.READ, changes=False)
def meeting(ctx: Context, args: Args) -> Reply:
    """A meeting: its poll with the best slots and who can come, by organisation; or its time,
    place and agenda once scheduled."""
    m = find_meeting(ctx, args.take_id("meeting"))
    args.finish()
    title = f"Meeting {m.number}: {m.title}"
    if m.status is MeetingStatus.POLLING:
        ranked = tally_of(ctx.session, m)
        members = voters(queries.active_members(ctx.session, m.partnership_id))
        answered = {a.id for t in ranked for answers in t.answers.values() for a in answers}
        waiting = [Item(member_label(x)) for x in members if x.id not in answered]
        best = next(iter(settleable(ranked, ctx.now)), None)
        orgs = {x.organisation for x in members if x.organisation}
        lines = [state(m, ctx.tz, ctx.now)]
        stuck = best is None and (m.closes_at <= ctx.now or all(t.slot.starts_at <= ctx.now for t in ranked))
        if stuck:
            lines.append("No slot still to come suits anyone: a coordinator can " + unsettled(m))
        if best is not None:
            coming = {x.organisation for x in best.answers[SlotAnswer.YES] + best.answers[SlotAnswer.MAYBE]
                      if x.organisation}
            missing = sorted(orgs - coming)
            lines.append(f"Best so far: slot {best.slot.position}" + (f"; no one from {', '.join(missing)} can come then"
                                                                       if missing else ", every organisation can come"))
        reply = Reply(title=title, text=". ".join(lines) + ".", fields=[("Place", m.place)] if m.place else [],
                      sections=[Section("Slots, best first", [tally_item(t, ctx) for t in ranked]),
                                Section("Not answered yet", waiting, empty="Everyone has answered.")])
        if ctx.member is not None and ctx.member.role is not Role.OBSERVER and m.closes_at > ctx.now:
            reply.actions = [answer_action(m, ranked, ctx.member)]
        if ctx.is_coordinator() and best is not None:
            reply.actions.append(Action("Schedule the best", f"meeting schedule {m.number} slot:{best.slot.position}"))
        elif ctx.is_coordinator() and stuck:
            reply.actions.append(Action("Give it a time", f'meeting move {m.number} to:"thursday 18:00"'))
        return reply
    fields = [("When", state(m, ctx.tz, ctx.now)), ("Agenda", agenda_said(ctx.session, m))]
    if m.status is MeetingStatus.SCHEDULED:
        fields.append(("Calendar", f"`meeting invite {m.number}` gives a file your calendar takes"))
    if m.starts_at is not None and m.starts_at <= ctx.now and m.status is MeetingStatus.SCHEDULED:
        fields.append(("Minutes", minutes_state(m, bool(minuted(ctx.session, [m.id])))))
    return Reply(title=title, fields=fields)


def ahead_heading(ctx: Context, p: Partnership, heading: str, listed: list[Item]) -> str:
    """`Coming up`, or how to call them off once the partnership has ended (by its end date: a
    wind-up calls them off itself)."""
    over = standing(ctx, p) if listed else None
    return heading if over is None else (f"{heading}, though {p.name} {over}: call each off with "
                                         '`meeting cancel <number> "why"`')


def minutes_state(m: Meeting, taken: bool) -> str:
    """How a held meeting's minutes stand; with none taken it may not have been held, so say how to record either."""
    if not taken:
        return f'none yet · `minutes {m.number}`, or `meeting cancel {m.number} "why"` if it was not held'
    return ("approved" if m.approved_at else "in draft") + f" · `minutes {m.number}`"


@command("meetings", usage="meetings", access=Access.READ, changes=False)
def meetings(ctx: Context, args: Args) -> Reply:
    """Meetings finding a time, coming up, and held lately."""
    args.finish()
    p = ctx.require_partnership()
    rows = list(ctx.session.scalars(
        select(Meeting).where(Meeting.partnership_id == p.id, Meeting.status != MeetingStatus.CANCELLED,
                              (Meeting.starts_at.is_(None)) | (Meeting.starts_at >= ctx.now - RECENT))
        .order_by(Meeting.starts_at, Meeting.closes_at, Meeting.id)))
    polling = [Item(f"{m.number}. {m.title} · {state(m, ctx.tz, ctx.now)}") for m in rows
               if m.status is MeetingStatus.POLLING]
    coming = [Item(f"{m.number}. {m.title} · {state(m, ctx.tz, ctx.now)}") for m in rows
              if m.starts_at is not None and m.starts_at >= ctx.now]
    past = [m for m in reversed(rows) if m.starts_at is not None and m.starts_at < ctx.now]
    taken = minuted(ctx.session, [m.id for m in past])
    held = [Item(f"{m.number}. {m.title} · {state(m, ctx.tz, ctx.now)} · minutes {minutes_state(m, m.id in taken)}")
            for m in past]
    return Reply(title=f"Meetings of {p.name}", sections=[
        Section(ahead_heading(ctx, p, "Finding a time", polling), polling,
                empty='None. A coordinator proposes one: `meeting propose "Steering group" slots:"monday 18:00"`.'),
        Section(ahead_heading(ctx, p, "Coming up", coming), coming, empty="None scheduled."),
        Section("Held lately", held, empty="None in the last 60 days.")])


def settle_time(session: Session, m: Meeting, slot: MeetingSlot, now: datetime, by: int | None) -> None:
    """Give a polling meeting its time, logged; the caller holds the meeting's row locked."""
    m.status, m.starts_at, m.scheduled_at, m.scheduled_by_id = MeetingStatus.SCHEDULED, slot.starts_at, now, by
    session.flush()
    queries.record_event(session, m.partnership_id, by, "meeting-schedule",
                         f"scheduled meeting {m.number} {m.title} for {logged(m)} (slot {slot.position})", now, subject=m)


@command("meeting schedule", usage="meeting schedule <meeting> slot:<number>", examples=("meeting schedule 1 slot:2",),
         access=Access.COORDINATOR, options=("slot",))
def schedule(ctx: Context, args: Args) -> Reply:
    """Settle a meeting's time on one of its slots (else the best is taken when the poll closes).
    The slot's bare number (`meeting schedule 1 2`) is taken too, as people type it."""
    m = find_meeting(ctx, args.take_id("meeting"))
    typed = args.take_word("slot") if "slot" not in args.options and args.has_more() else None
    args.finish()
    ensure_not_cancelled(m)
    if m.status is not MeetingStatus.POLLING:
        raise UserError(f"Meeting {m.number} is already scheduled: {state(m, ctx.tz, ctx.now)}.",
                        f'To change its time, type `meeting move {m.number} to:"<date> <time>"`.')
    slots = slots_of(ctx.session, [m.id])
    value = args.options.get("slot", typed)
    if value is None:
        raise UserError("Say which slot.", f"Type `meeting schedule {m.number} slot:1`; `meeting {m.number}` ranks them.")
    chosen = positions(value, len(slots), "slot")
    if len(chosen) > 1:
        raise UserError("A meeting is held at one slot.", f"Type `meeting schedule {m.number} slot:{min(chosen)}`.")
    n = chosen.pop()
    slot = slots[n - 1]
    if slot.starts_at <= ctx.now:
        raise UserError(f"Slot {n} is already past.",
                        f'Choose another, or give it a time: `meeting move {m.number} to:"thursday 18:00"`.')
    settle_time(ctx.session, m, slot, ctx.now, ctx.person.id)
    return announce(ctx, m)


def announce(ctx: Context, m: Meeting, moved: str = "") -> Reply:
    """The meeting's time told to the channel, with the invitation a calendar takes."""
    p = ctx.require_partnership()
    return Reply(title=f"Meeting {m.number}: {m.title}{moved}", text=f"{state(m, ctx.tz, ctx.now)}. "
                 f"The agenda: `agenda {m.number}`. The attached file adds it to your calendar "
                 f"(`meeting invite {m.number}` gives it again).",
                 attachments=[invitation(m, p, calendar_domain(p), ctx.now)], audience=Audience.CHANNEL)


@command("meeting move", usage='meeting move <meeting> to:"<date> <time>" [place:"..."]',
         examples=('meeting move 1 to:"thursday 18:00"', 'meeting move 1 place:"The library"'),
         access=Access.COORDINATOR, options=("to", "place"))
def move(ctx: Context, args: Args) -> Reply:
    """Move a meeting to another time or place; calendars that took it are updated. A poll
    none of whose slots suits any more is given its time this way."""
    m = find_meeting(ctx, args.take_id("meeting"))
    args.finish()
    ensure_not_cancelled(m)
    ensure_open_minutes(m)
    if not {"to", "place"} & set(args.options):
        raise UserError("Say where to move it.", f'Type `meeting move {m.number} to:"thursday 18:00"`.')
    if m.starts_at is not None and m.starts_at <= ctx.now:
        raise UserError(f"Meeting {m.number} has already started.", f"Record what happened: `minutes {m.number}`.")
    polling = m.status is MeetingStatus.POLLING
    if polling and "to" not in args.options:
        raise UserError(f"Meeting {m.number} has no time yet to keep.",
                        f'Give it one: `meeting move {m.number} to:"thursday 18:00"`.')
    if "to" in args.options:
        m.starts_at = read_slot(ctx, args.options["to"], "to")
    if "place" in args.options:
        m.place = check_text(args.options["place"], "place", MAX_TITLE)
    if polling:
        m.status, m.scheduled_at, m.scheduled_by_id = MeetingStatus.SCHEDULED, ctx.now, ctx.person.id
    else:
        m.sequence += 1
    ctx.record("meeting-schedule" if polling else "meeting-move",
               f"{'scheduled' if polling else 'moved'} meeting {m.number} {m.title} "
               f"{'for' if polling else 'to'} {logged(m)}", subject=m)
    return announce(ctx, m, "" if polling else " has moved")


@command("meeting cancel", usage='meeting cancel <meeting> "why"', examples=('meeting cancel 1 "The hall flooded"',),
         access=Access.COORDINATOR, after_end=True)
def cancel(ctx: Context, args: Args) -> Reply:
    """Call a meeting off; calendars that took it drop it, and items carried to it go on to the
    next. A meeting whose time has passed with no minutes taken is recorded as not held. It
    works once the partnership has ended too, so none is left coming up."""
    m = find_meeting(ctx, args.take_id("meeting"))
    why = args.take_text("why it is cancelled")
    args.finish()
    queries.lock(ctx.session, Meeting, m.id)  # the sweep may be settling its poll
    ensure_not_cancelled(m)
    ensure_open_minutes(m)
    held = m.starts_at is not None and m.starts_at <= ctx.now
    if held and minuted(ctx.session, [m.id]):
        raise UserError(f"Meeting {m.number} has taken place: its minutes are being recorded.",
                        f"Record what happened: `minutes {m.number}`.")
    moved, target = call_off(ctx.session, m, ctx.now, ctx.person.id, why,
                             f"recorded that meeting {m.number} {m.title} did not take place" if held else "")
    onward = ""
    if moved:
        onward = (f" Carried to it: {plural(moved, 'item')}, now "
                  + (f"on meeting {target.number}'s agenda." if target else "waiting for the next meeting proposed."))
    reply = Reply(title=f"Meeting {m.number} ({m.title}) {'did not take place' if held else 'is cancelled'}",
                  text=why + ("" if why.endswith((".", "!", "?")) else ".") + onward, audience=Audience.CHANNEL)
    if m.starts_at is not None:
        p = ctx.require_partnership()
        reply.attachments = [invitation(m, p, calendar_domain(p), ctx.now)]
    return reply


def call_off(session: Session, m: Meeting, now: datetime, by: int, why: str, summary: str = "") -> tuple[int, Meeting | None]:
    """Cancel a meeting, logged, its items carried on to the next (how many, and where); the
    caller holds its row locked."""
    m.status, m.cancelled_at = MeetingStatus.CANCELLED, now
    m.sequence += 1
    queries.record_event(session, m.partnership_id, by, "meeting-cancel",
                         summary or f"cancelled meeting {m.number} {m.title}", now, subject=m, reason=why)
    return uncarry(session, m, now)


def call_off_ahead(session: Session, partnership_id: int, now: datetime, by: int, why: str) -> list[Meeting]:
    """Cancel every meeting still to come, as a wind-up does, so none stays listed or in calendars."""
    ahead = list(session.scalars(queries.for_change(
        select(Meeting).where(Meeting.partnership_id == partnership_id, to_come(now)).order_by(Meeting.number),
        Meeting)))
    for m in ahead:
        call_off(session, m, now, by, why)
    return ahead


@command("meeting invite", usage="meeting invite <meeting>", examples=("meeting invite 1",), access=Access.READ,
         changes=False)
def invite(ctx: Context, args: Args) -> Reply:
    """The meeting as a calendar file (iCalendar), to add it to your calendar."""
    m = find_meeting(ctx, args.take_id("meeting"))
    args.finish()
    if m.starts_at is None:
        raise UserError(f"Meeting {m.number} has no time yet.", f"Type `meeting {m.number}` to see its poll.")
    p = ctx.require_partnership()
    return Reply(text=f"Meeting {m.number}: {state(m, ctx.tz, ctx.now)}.",
                 attachments=[invitation(m, p, calendar_domain(p), ctx.now)])


# The sweep: polls closing, reminders, and the day before, for every partnership in a fixed number of statements.

def nudges(session: Session, now: datetime) -> list[DueNudge]:
    """Settle polls past closing on their best slot (else tell the coordinators); remind members who have not answered a
    poll closing within a day, and everyone of a meeting the next day; send the agenda to the
    partnership's channel five days before."""
    live = select(Partnership.id).where(~Partnership.over(now))
    polls = list(session.scalars(select(Meeting).where(Meeting.status == MeetingStatus.POLLING,
                                                       Meeting.partnership_id.in_(live))))
    ahead = list(session.scalars(select(Meeting).where(Meeting.status == MeetingStatus.SCHEDULED,
                                                       Meeting.starts_at > now, Meeting.starts_at <= now + AGENDA_BEFORE,
                                                       Meeting.partnership_id.in_(live))))
    soon = [m for m in ahead if m.starts_at is not None and m.starts_at <= now + REMIND_BEFORE]
    people: dict[int, list[Member]] = {}
    for x in session.scalars(select(Member).where(Member.partnership_id.in_({m.partnership_id for m in polls + soon}),
                                                  Member.left_at.is_(None), Member.role != Role.OBSERVER)):
        people.setdefault(x.partnership_id, []).append(x)
    slots: dict[int, list[MeetingSlot]] = {}
    for s in slots_of(session, [m.id for m in polls]):
        slots.setdefault(s.meeting_id, []).append(s)
    answers: dict[int, list[MeetingAnswer]] = {}
    for a in answers_of(session, [m.id for m in polls]):
        answers.setdefault(a.meeting_id, []).append(a)
    due: list[DueNudge] = []
    for m in polls:
        if m.closes_at <= now:
            best = settleable(tallies(slots.get(m.id, []), answers.get(m.id, []), people.get(m.partnership_id, [])), now)
            if not best:  # a time nobody can make is no meeting: the coordinators decide
                due += [DueNudge(f"meeting-unsettled:mt{m.id}:p{x.person_id}", m.partnership_id, "meeting-unsettled",
                                 f"Meeting {m.number} ({m.title}): its poll has closed, and no slot still to come "
                                 f"suits anyone. A coordinator can {unsettled(m)}.", person_id=x.person_id)
                        for x in people.get(m.partnership_id, []) if x.role is Role.COORDINATOR]
                continue
            locked = queries.lock(session, Meeting, m.id)
            if locked is not None and locked.status is MeetingStatus.POLLING:
                settle_time(session, locked, best[0].slot, now, None)
        elif m.closes_at - REMIND_BEFORE <= now and m.closes_at - m.created_at > REMIND_BEFORE:
            answered = {a.member_id for a in answers.get(m.id, [])}
            due += [DueNudge(f"meeting-answer:mt{m.id}:p{x.person_id}", m.partnership_id, "meeting-answer",
                             f"Meeting {m.number} ({m.title}): answers close "
                             f"{show_due(m.closes_at, zone(x.person.timezone), now)} and you haven't said when you can "
                             f"come. Type `meeting {m.number}` to see the slots, then `meeting answer {m.number} yes:1`.",
                             person_id=x.person_id) for x in people.get(m.partnership_id, []) if x.id not in answered]
    for m in soon:
        assert m.starts_at is not None
        due += [DueNudge(f"meeting-tomorrow:mt{m.id}:{m.starts_at:%Y-%m-%dT%H%M}:p{x.person_id}", m.partnership_id,
                         "meeting-tomorrow", f"Meeting {m.number} ({m.title}) is {state(m, zone(x.person.timezone), now)}. "
                         f"The agenda: `agenda {m.number}`; for your calendar: `meeting invite {m.number}`.",
                         person_id=x.person_id) for x in people.get(m.partnership_id, [])]
    settled = list(session.scalars(select(Meeting).where(
        Meeting.status == MeetingStatus.SCHEDULED, Meeting.scheduled_by_id.is_(None), Meeting.sequence == 0,
        Meeting.scheduled_at >= now - ANNOUNCE_WITHIN, Meeting.partnership_id.in_(live))))
    homes = home_channels(session, {m.partnership_id for m in settled + ahead})
    items = items_of_all(session, [m.id for m in ahead])
    said = since(session, [a for listed in items.values() for a in listed], now)
    due += [DueNudge(f"meeting-agenda:mt{m.id}:{m.starts_at:%Y-%m-%dT%H%M}", m.partnership_id, "meeting-agenda",
                     agenda_sent(m, items.get(m.id, []), now, said), channel=homes[m.partnership_id])
            for m in ahead if m.partnership_id in homes]
    due += [DueNudge(f"meeting-scheduled:mt{m.id}", m.partnership_id, "meeting-scheduled",
                     f"Meeting {m.number} ({m.title}): the poll has closed, and the best slot is {state(m, UTC_ZONE, now)} "
                     f"(UTC). Type `meeting {m.number}` for it in your time, `meeting invite {m.number}` for your calendar.",
                     channel=homes[m.partnership_id]) for m in settled if m.partnership_id in homes]
    return due


def asked_meetings(asked: Asked) -> dict[int, tuple[Meeting, set[int]]]:
    """The meetings the nudges name, and who has answered each one's poll."""
    ids = asked.named("mt")
    found = {m.id: (m, set[int]()) for m in asked.session.scalars(select(Meeting).where(Meeting.id.in_(ids)))}
    for a in answers_of(asked.session, list(found)):
        found[a.meeting_id][1].add(a.member_id)
    return found


@rechecks("meeting-answer", "meeting-tomorrow", "meeting-agenda", "meeting-scheduled", "meeting-unsettled")
def meeting_holds(asked: Asked, row: Waiting) -> str | None:
    """A poll reminder: the poll still open and its recipient still without an answer. The day
    before, and the agenda sent ahead: the meeting still at the time they name. An announcement:
    still scheduled. A poll no slot of which can be taken: still without a time."""
    m, answered = asked.read(asked_meetings).get(about(row.key, "mt") or 0, (None, set()))
    if m is None:
        return "the meeting is gone"
    if m.status is MeetingStatus.CANCELLED:
        return f"meeting {m.number} was cancelled"
    if row.kind == "meeting-unsettled":
        return None if m.status is MeetingStatus.POLLING else f"meeting {m.number} has a time now"
    if row.kind == "meeting-answer":
        if m.status is not MeetingStatus.POLLING or m.closes_at <= asked.now:
            return f"meeting {m.number}'s poll has closed"
        member = asked.recipient(row)
        if member is not None and member.id in answered:
            return f"{member.person.display_name} has answered meeting {m.number}'s poll"
        return None
    if row.kind in ("meeting-tomorrow", "meeting-agenda"):
        if m.starts_at is None or f"{m.starts_at:%Y-%m-%dT%H%M}" not in row.key:
            return f"meeting {m.number} has moved"
        return None if m.starts_at > asked.now else f"meeting {m.number} has started"
    return None if m.sequence == 0 else f"meeting {m.number} has moved since"
