"""Minutes that become the record: attendance, quorum, notes, decisions and actions of a meeting.

They say who attended and who sent apologies, by organisation,
whether the meeting was quorate, a note for each agenda item, the decisions taken in the room
(which join `decisions` and `history`, "taken at the meeting of ..."), the actions given
(each a commitment, linked back to the meeting), and what is carried to the next meeting.

A coordinator records them from the meeting's start; once approved they no longer change,
and they are published: as a Markdown file, and on the public page (`published_minutes`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from handlers.commitments import ensure_takes_work
from handlers.context import Context, zone
from handlers.dates import show_at
from handlers.describe import due_day, due_said, member_label
from handlers.errors import UserError
from handlers.judgements.signoff import organisation_key, organisations_of
from handlers.life import ensure_due_by_end, ensure_running
from handlers.meetings.agenda import carried_said, carried_where, carry_waiting, item_at, items_of
from handlers.meetings.poll import asked_meetings
from handlers.meetings.record import ensure_not_cancelled, ensure_open_minutes, find_meeting, meeting_day
from handlers.mentions import Mentions
from handlers.parsing import MAX_NOTE, MAX_TITLE, Args, check_text, quote
from handlers.recheck import Asked, about, rechecks
from handlers.registry import Access, command
from handlers.reply import Attachment, Audience, Item, Reply, Section, plural
from storage import queries
from storage.models import (
    AgendaItem,
    Attendance,
    Commitment,
    Decision,
    DecisionMode,
    DecisionStatus,
    Meeting,
    MeetingAttendee,
    MeetingOutcome,
    MeetingStatus,
    Member,
    Partnership,
    Role,
)
from storage.nudges import Waiting, tell

VERBS = ["note", "decided", "action", "carry", "share", "approve", "export"]
# The options each part of the minutes takes (attendance is typed with no word).
OPTIONS: dict[str | None, set[str]] = {None: {"present", "apologies"}, "decided": {"for", "against", "abstain", "interests"},
                                       "action": {"by"}}
MAX_COUNT = 999
# The parts that start something (a decision, an action, an item for a meeting to come): refused once the
# partnership has ended, while the minutes of a meeting held before can still be recorded and approved.
STARTS = ("decided", "action", "carry")


def only_reads(args: Args) -> bool:
    """`minutes 1` and `minutes 1 export` read; everything else records."""
    words = [t.text.lower() for t in args.words]
    return not args.options and not args.flags and (len(words) <= 1 or words[1:] == ["export"])


@dataclass(frozen=True)
class Quorum:
    present: int
    total: int
    needed: int  # percent

    @property
    def met(self) -> bool:
        return self.present > 0 and self.present * 100 >= self.needed * self.total

    def said(self) -> str:
        return (f"{'Quorate' if self.met else 'Not quorate'}: {self.present} of "
                f"{plural(self.total, 'partner organisation')} present (at least {self.needed}% needed)")


@dataclass(frozen=True)
class Minutes:
    """A meeting's minutes as the record holds them: the one reading the chat, the Markdown
    file and the public page all show."""

    meeting: Meeting
    present: list[Member]
    apologies: list[Member]
    quorum: Quorum
    items: list[AgendaItem]
    decisions: list[tuple[Decision, str | None]]
    actions: list[Commitment]

    @property
    def voting(self) -> list[Member]:
        """Those present who count for a decision and the quorum: observers follow without taking part."""
        return taking_part(self.present)


def taking_part(members: list[Member]) -> list[Member]:
    """Members who take part in decisions: all but observers."""
    return [x for x in members if x.role is not Role.OBSERVER]


def quorum_of(m: Meeting, present: list[Member], table: list[Member]) -> Quorum:
    """The meeting's rule: its share of the partner organisations at the `table` must have a
    member (not an observer) present; a partnership without organisations counts its members instead."""
    organisations = organisations_of(table)
    if organisations:
        here = {organisation_key(x.organisation) for x in taking_part(present) if x.organisation}
        here &= organisations.keys()
        return Quorum(len(here), len(organisations), m.quorum)
    return Quorum(len(taking_part(present)), len(taking_part(table)), m.quorum)


def at_the_table(session: Session, m: Meeting, present: list[Member]) -> list[Member]:
    """Who the quorum counts from: the members in when the meeting began (those who joined or
    left since change nothing, so approved minutes keep their figure), and anyone recorded present."""
    if m.starts_at is None:
        return queries.active_members(session, m.partnership_id)
    table = queries.members_at(session, m.partnership_id, m.starts_at)
    return table + [x for x in present if x not in table]


def minutes_of(session: Session, m: Meeting) -> Minutes:
    """A meeting's minutes, in five statements."""
    attendees = list(session.scalars(select(MeetingAttendee).where(MeetingAttendee.meeting_id == m.id)))
    present = sorted((a.member for a in attendees if a.attendance is Attendance.PRESENT), key=member_label)
    apologies = sorted((a.member for a in attendees if a.attendance is Attendance.APOLOGIES), key=member_label)
    table = at_the_table(session, m, present)
    decisions = [(d, interests) for d, interests in session.execute(select(Decision, MeetingOutcome.interests).join(
        MeetingOutcome, MeetingOutcome.decision_id == Decision.id).where(MeetingOutcome.meeting_id == m.id)
        .order_by(Decision.number))]
    actions = list(session.scalars(select(Commitment).join(MeetingOutcome, MeetingOutcome.commitment_id == Commitment.id)
                                   .where(MeetingOutcome.meeting_id == m.id).order_by(Commitment.number)))
    return Minutes(m, present, apologies, quorum_of(m, present, table), items_of(session, m), decisions, actions)


def being_minuted(ctx: Context, m: Meeting) -> None:
    """Minutes are taken of a meeting with a time, from its start, until they are approved."""
    ensure_not_cancelled(m)
    ensure_open_minutes(m)
    if m.status is not MeetingStatus.SCHEDULED or m.starts_at is None:
        raise UserError(f"Meeting {m.number} has no time yet.", f"Type `meeting {m.number}` to see its poll.")
    if m.starts_at > ctx.now:
        raise UserError(f"Meeting {m.number} starts {show_at(m.starts_at, ctx.tz, ctx.now)}; minutes are taken "
                        "from its start.", f"Type `agenda {m.number}` to prepare it.")


def people(ctx: Context, m: Meeting, value: str) -> list[Member]:
    """The members named, as they were when the meeting began (one who has left since was there),
    else as they are now (one who joined as it began)."""
    assert m.starts_at is not None
    names = [part.strip().removeprefix("@") for part in value.split(",") if part.strip().removeprefix("@")]
    table = queries.members_at(ctx.session, m.partnership_id, m.starts_at)
    now = queries.active_members(ctx.session, m.partnership_id)
    return [ctx.one_of(name, table if ctx.matching(name, table) else now, UserError(
        f"@{name[:60]} was not a member of {ctx.require_partnership().name} when meeting {m.number} began, "
        "nor is now.", "Type `members` to see who is.")) for name in names]


def count(value: str | None, what: str) -> int:
    if value is None:
        return 0
    if not value.isdigit() or int(value) > MAX_COUNT:
        raise UserError(f"`{what}:{value[:20]}` isn't a count of people.", f"Write it like `{what}:5`.")
    return int(value)


@command("minutes", usage="minutes <meeting> [present:@a,@b apologies:@c | note <item> \"...\" | decided \"...\" "
                          "for:5 against:1 abstain:0 | action @name \"...\" by:<date> | carry <item> | share | approve | export]",
         examples=("minutes 1", "minutes 1 present:@alice,@bob apologies:@carol", 'minutes 1 note 2 "Agreed to ask the council"',
                   'minutes 1 decided "Move the fair to June" for:5 against:1 abstain:0',
                   'minutes 1 action @bob "Book the hall" by:friday', "minutes 1 carry 3", "minutes 1 share", "minutes 1 approve",
                   "minutes 1 export"),
         access=Access.READ, options=("present", "apologies", "for", "against", "abstain", "interests", "by"),
         reads_when=only_reads, who="anyone in the workspace reads them; coordinators record, share and approve them",
         after_end=True)
def minutes(ctx: Context, args: Args) -> Reply:
    """A meeting's minutes: read them, or (coordinators) record attendance, notes, decisions,
    actions and carried items, then approve them.

    present:/apologies: list members; `note 2 "..."` minutes agenda item 2; `decided "..."
    for:5 against:1 abstain:0 interests:"..."` records a decision (a quorate meeting only);
    `action @bob "..." by:friday` gives a commitment; `carry 3` takes item 3 to the next
    meeting; `share` sends the draft to those who attended or sent apologies; `approve` makes
    them the record; `export` gives them as Markdown. Once the partnership has ended, the
    minutes of a meeting held before can still be recorded and approved, without decisions,
    actions or carried items."""
    m = find_meeting(ctx, args.take_id("meeting"))
    verb = args.take_word("part of the minutes", VERBS) if args.words else None
    extra = sorted(set(args.options) - OPTIONS.get(verb, set()))
    if extra:
        raise UserError(f"`{extra[0]}:` doesn't go with `minutes {m.number}{' ' + verb if verb else ''}`.",
                        "Type `help minutes` to see what each part takes.")
    if verb == "export" or (verb is None and not args.options):
        args.finish()
        return read(ctx, m, verb == "export")
    ctx.require_coordinator()
    if verb in STARTS:
        ensure_running(ctx)
    being_minuted(ctx, m)
    if verb is None:
        return attendance(ctx, m, args)
    return {"note": note, "decided": decided, "action": action, "carry": carry, "share": share,
            "approve": approve}[verb](ctx, m, args)


def read(ctx: Context, m: Meeting, export: bool) -> Reply:
    p = ctx.require_partnership()
    minuted = minutes_of(ctx.session, m)
    if export:
        text = markdown(in_words(minuted, p, ctx.tz, ctx.now, names=True))
        return Reply(text=f"The minutes of meeting {m.number}, as Markdown.",
                     attachments=[Attachment(f"minutes-{m.number}.md", "text/markdown", text.encode())])
    status = (f"approved {show_at(m.approved_at, ctx.tz, ctx.now)}" if m.approved_at else "draft")
    fields = [("When", show_at(m.starts_at, ctx.tz, ctx.now) if m.starts_at else "no time yet"),
              ("Present", ", ".join(member_label(x) for x in minuted.present) or "not recorded"),
              ("Apologies", ", ".join(member_label(x) for x in minuted.apologies) or "none recorded"),
              ("Quorum", minuted.quorum.said())]
    notes = [Item(f"{a.position}. {a.title}: {a.note or 'no note'}{carried_said(a)}")
             for a in minuted.items if a.note or a.carried]
    return Reply(title=f"Minutes of meeting {m.number}: {m.title} ({status})", fields=fields, sections=[
        Section("Items", notes, empty=f'No notes yet: `minutes {m.number} note 1 "..."`.'),
        Section("Decisions", [Item(decision_said(d, i)) for d, i in minuted.decisions], empty="None taken."),
        Section("Actions", [Item(f"#{c.number} {c.title} · {member_label(c.owner)} · due "
                                 f"{due_said(c, ctx.now)} · {c.status.value}") for c in minuted.actions],
                empty="None given.")],
        more=f"minutes {m.number} export")


def decision_said(d: Decision, interests: str | None) -> str:
    return f"#{d.number} {d.title}: {d.status.value}. {(d.outcome or '').splitlines()[0]}" + (
        f" Interests declared: {interests}." if interests else "")


def attendance(ctx: Context, m: Meeting, args: Args) -> Reply:
    args.finish()
    if not {"present", "apologies"} & set(args.options):
        raise UserError("Say what to record.", f"Type `minutes {m.number} present:@alice,@bob apologies:@carol`, "
                                               f"or `help minutes`.")
    present = people(ctx, m, args.options.get("present", ""))
    apologies = people(ctx, m, args.options.get("apologies", ""))
    both = {x.id for x in present} & {x.id for x in apologies}
    if both:
        raise UserError("Someone is both present and sending apologies.",
                        f"Name each person once: `minutes {m.number} present:@alice apologies:@carol`.")
    named = [*present, *apologies]
    ctx.session.execute(delete(MeetingAttendee).where(MeetingAttendee.meeting_id == m.id,
                                                      MeetingAttendee.member_id.in_([x.id for x in named])))
    ctx.session.add_all(MeetingAttendee(partnership_id=m.partnership_id, meeting_id=m.id, member_id=x.id,
                                        attendance=Attendance.PRESENT if x in present else Attendance.APOLOGIES)
                        for x in named)
    ctx.session.flush()
    minuted = minutes_of(ctx.session, m)
    ensure_decisions_stand(minuted)
    ctx.record("minutes", f"recorded attendance at meeting {m.number}: {len(minuted.present)} present, "
                          f"{len(minuted.apologies)} apologies", subject=m)
    return Reply(text=f"Meeting {m.number}: present {', '.join(member_label(x) for x in minuted.present) or 'nobody'}; "
                      f"apologies {', '.join(member_label(x) for x in minuted.apologies) or 'none'}. "
                      f"{minuted.quorum.said()}.")


def ensure_decisions_stand(minuted: Minutes) -> None:
    """Refuse minutes that would record decisions taken by a meeting that was not quorate: an
    attendance corrected after a decision was recorded, or approval once the table has changed.
    A decision recorded by mistake is withdrawn from the draft first (`decisions.withdraw`)."""
    standing = [d for d, _ in minuted.decisions if d.status is not DecisionStatus.WITHDRAWN]
    if minuted.quorum.met or not standing:
        return
    m, first = minuted.meeting, standing[0]
    numbers = ", ".join(f"#{d.number}" for d in standing)
    raise UserError(f"Meeting {m.number}'s minutes record {plural(len(standing), 'decision')} ({numbers}), which a "
                    f"meeting that was not quorate could not take ({minuted.quorum.said()}).",
                    f'If that is who was there, withdraw it from the minutes first: `withdraw {first.number} "not quorate"`.')


def note(ctx: Context, m: Meeting, args: Args) -> Reply:
    item = item_at(ctx.session, m, args.take_id("agenda item"))
    text = args.take_text("note", MAX_NOTE)
    args.finish()
    item.note = text
    ctx.record("minutes", f"minuted item {item.position} ({item.title}) of meeting {m.number}", subject=m, reason=text)
    return Reply(text=f"Minuted item {item.position} of meeting {m.number} ({item.title}): {text}")


def decided(ctx: Context, m: Meeting, args: Args) -> Reply:
    title = args.take_text("what was decided", MAX_TITLE)
    args.finish()
    minuted = minutes_of(ctx.session, m)
    if not minuted.quorum.met:
        raise UserError(f"Meeting {m.number} was not quorate ({minuted.quorum.said()}), so it could take no decision.",
                        f'Put it to the partnership instead: `propose "{title[:40]}" mode:vote`, or record who '
                        f"was there: `minutes {m.number} present:@name`.")
    votes = {k: count(args.options.get(k), k) for k in ("for", "against", "abstain")}
    if not sum(votes.values()):
        raise UserError("Say how the meeting voted.",
                        f'Type `minutes {m.number} decided "{title[:40]}" for:3 against:0 abstain:0`.')
    if sum(votes.values()) > len(minuted.voting):
        watching = len(minuted.present) - len(minuted.voting)
        raise UserError(f"That is {sum(votes.values())} votes, from the {len(minuted.voting)} present"
                        + (f" who vote ({plural(watching, 'observer')} not counted)." if watching else "."),
                        f"Record who was there first: `minutes {m.number} present:@alice,@bob`.")
    interests = check_text(args.options["interests"], "interests", MAX_NOTE) if "interests" in args.options else None
    assert m.starts_at is not None
    held = meeting_day(m, ctx.tz, ctx.now)
    passed = votes["for"] > votes["against"]
    counted = f"{votes['for']} for, {votes['against']} against, {votes['abstain']} abstaining"
    d = Decision(partnership_id=m.partnership_id, number=ctx.number(Decision), proposer_id=ctx.require_member().id,
                 title=title, details=f"Taken at the meeting of {held} (meeting {m.number}, {m.title}).",
                 mode=DecisionMode.VOTE, closes_at=m.starts_at, created_at=m.starts_at, closed_at=m.starts_at,
                 status=DecisionStatus.PASSED if passed else DecisionStatus.FAILED, closed_by_id=ctx.person.id,
                 outcome="\n".join(filter(None, [f"Taken at the meeting of {held}: {counted}.",
                                                 f"Interests declared: {interests}" if interests else None])))
    ctx.session.add(d)
    ctx.session.flush()
    ctx.session.add(MeetingOutcome(partnership_id=m.partnership_id, meeting_id=m.id, decision_id=d.id,
                                   interests=interests, created_at=ctx.now))
    ctx.record("meeting-decision", f"recorded decision #{d.number} {title}, taken at the meeting of {held}: "
                                   f"{d.status.value} ({counted})", subject=d, reason=interests)
    return Reply(text=f"Decision #{d.number} {title}: {d.status.value.upper()}, taken at the meeting of {held} "
                      f"({counted}).", audience=Audience.CHANNEL)


def action(ctx: Context, m: Meeting, args: Args) -> Reply:
    owner = ctx.find_member(args.take_mention("who does it"))
    title = args.take_text("action", MAX_TITLE)
    args.finish()
    ensure_takes_work(owner)
    if "by" not in args.options:
        raise UserError("Say by when.", f'Type `minutes {m.number} action @{owner.person.user_id} "{title[:40]}" by:friday`.')
    due = ctx.due(args.options["by"], owner)
    ensure_due_by_end(ctx, due.astimezone(zone(owner.timezone)).date(),
                      f"minutes {m.number} action @{owner.person.user_id} {quote(title)}", args.options)
    c = Commitment(partnership_id=m.partnership_id, number=ctx.number(Commitment), owner_id=owner.id, title=title,
                   due_at=due, created_by_id=ctx.person.id, created_at=ctx.now)
    ctx.session.add(c)
    ctx.session.flush()
    ctx.session.add(MeetingOutcome(partnership_id=m.partnership_id, meeting_id=m.id, commitment_id=c.id,
                                   created_at=ctx.now))
    held = meeting_day(m, ctx.tz, ctx.now)
    ctx.record("commit", f"gave {owner.person.display_name} #{c.number} {title}, an action from the meeting of {held} "
                         f"(meeting {m.number})", subject=c)
    return Reply(text=f"Action from meeting {m.number}: #{c.number} {title}, for {member_label(owner)}, due "
                      f"{due_said(c, ctx.now)}.", audience=Audience.CHANNEL)


def carry(ctx: Context, m: Meeting, args: Args) -> Reply:
    """Carry an item to the next meeting still to be held, saying which; with none to come, it waits."""
    item = item_at(ctx.session, m, args.take_id("agenda item"))
    args.finish()
    if item.carried:
        raise UserError(f"Item {item.position} ({item.title}) is already carried to {carried_where(item)}.",
                        f"Type `agenda {item.carried_to}` to see it there." if item.carried_to
                        else 'It goes on the next meeting proposed: `meeting propose "Title" slots:"..."`.')
    item.carried = True
    target = carry_waiting(ctx.session, m.partnership_id, ctx.now)
    goes = (f"goes on the agenda of meeting {target.number} ({target.title}): `agenda {target.number}`" if target else
            'waits for the next meeting: none is to come yet, and the next proposed takes it')
    ctx.record("minutes", f"carried item {item.position} ({item.title}) of meeting {m.number} to "
                          + (f"meeting {target.number}" if target else "the next meeting proposed"), subject=m)
    return Reply(text=f"Item {item.position} ({item.title}) {goes}.")


def share(ctx: Context, m: Meeting, args: Args) -> Reply:
    """Send the draft to those who attended or sent apologies, to read before it is approved."""
    args.finish()
    minuted = minutes_of(ctx.session, m)
    came = [x for x in minuted.present if x.person_id != ctx.person.id]
    sorry = [x for x in minuted.apologies if x.person_id != ctx.person.id]
    readers = came + sorry
    if not readers:
        raise UserError(f"Meeting {m.number}'s minutes name nobody else to share them with.",
                        f"Record attendance first: `minutes {m.number} present:@alice,@bob`.")
    # Those who sent apologies were not there: counted apart, not as attendees.
    sent_to = " and ".join(filter(None, [plural(len(came), "attendee") if came else "",
                                         f"{len(sorry)} who sent apologies" if sorry else ""]))
    event = ctx.record("minutes", f"shared the draft minutes of meeting {m.number} with {sent_to}", subject=m)
    ctx.session.flush()
    for x in readers:
        tell(ctx.session, f"told:minutes-draft:mt{m.id}:e{event.id}:p{x.person_id}", m.partnership_id, "minutes-draft",
             f"The draft minutes of meeting {m.number} ({m.title}) are ready: type `minutes {m.number}` to read them, "
             f"and tell {ctx.person.display_name} of anything to correct before they are approved.", ctx.now,
             person_id=x.person_id)
    return Reply(text=f"Shared the draft minutes of meeting {m.number} with "
                      f"{', '.join(member_label(x) for x in readers)}.")


@rechecks("minutes-draft", otherwise="the minutes were approved meanwhile")
def draft_unapproved(asked: Asked, row: Waiting) -> str | None:
    """A draft shared: still a draft (approved, it is the record, announced as such)."""
    m, _ = asked.read(asked_meetings).get(about(row.key, "mt") or 0, (None, set()))
    if m is None:
        return "the meeting is gone"
    return f"the minutes of meeting {m.number} were approved meanwhile" if m.approved_at else None


def approve(ctx: Context, m: Meeting, args: Args) -> Reply:
    args.finish()
    minuted = minutes_of(ctx.session, m)
    if not minuted.present:
        raise UserError(f"Meeting {m.number}'s minutes say nobody was there.",
                        f"Record attendance first: `minutes {m.number} present:@alice,@bob`.")
    ensure_decisions_stand(minuted)
    m.approved_at, m.approved_by_id = ctx.now, ctx.person.id
    ctx.record("minutes-approve", f"approved the minutes of meeting {m.number} {m.title}", subject=m)
    p = ctx.require_partnership()
    text = markdown(in_words(minuted, p, ctx.tz, ctx.now, names=True))
    return Reply(text=f"The minutes of meeting {m.number} ({m.title}) are approved: they are the record now, and "
                      "published with the partnership's page.",
                 attachments=[Attachment(f"minutes-{m.number}.md", "text/markdown", text.encode())],
                 audience=Audience.CHANNEL)


@dataclass(frozen=True)
class MinutesText:
    """Minutes in words for one reader: the Markdown file and the public page both render these,
    so the two never disagree."""

    number: int
    title: str
    heading: str
    held: datetime | None
    approved_at: datetime | None
    when: str | None
    present: str
    apologies: str
    quorum: str
    status: str
    items: list[tuple[str, str | None]]  # each agenda item's line and its note
    decisions: list[str]
    actions: list[str]


def in_words(minuted: Minutes, p: Partnership, tz: ZoneInfo, now: datetime, names: bool,
             words: Callable[[str], str] = str) -> MinutesText:
    """The minutes as a reader may see them; without `names`, people show as their organisation,
    and `words` reads every text as the reader may see it (the public page's `Mentions`). They go
    to readers anywhere (a file passed on, the public page), so their times say their year and zone."""
    m = minuted.meeting

    def who(x: Member) -> str:
        return member_label(x) if names else (x.organisation or "A local volunteer")

    def people_said(members: list[Member]) -> str:
        return ", ".join(sorted({who(x) for x in members})) or "none recorded"

    return MinutesText(
        m.number, words(m.title), f"{words(p.name)}: minutes of meeting {m.number}, {words(m.title)}", m.starts_at,
        m.approved_at,
        show_at(m.starts_at, tz, now, shared=True) + (f", {words(m.place)}" if m.place else "") if m.starts_at else None,
        people_said(minuted.present), people_said(minuted.apologies), minuted.quorum.said(),
        f"approved {show_at(m.approved_at, tz, now, shared=True)}" if m.approved_at else "draft",
        [(f"{a.position}. {words(a.title)}{carried_said(a)}",
          words(a.note) if a.note else None) for a in minuted.items],
        [words(decision_said(d, i)) for d, i in minuted.decisions],
        [f"#{c.number} {words(c.title)}: {who(c.owner)}, due {due_day(c):%-d %b %Y}"
         for c in minuted.actions])


def markdown(said: MinutesText) -> str:
    """The minutes as a Markdown file."""
    lines = [f"# {said.heading}", ""]
    if said.when:
        lines.append(f"- When: {said.when}")
    lines += [f"- Present: {said.present}", f"- Apologies: {said.apologies}", f"- {said.quorum}",
              f"- Status: {said.status}", "", "## Agenda", ""]
    for item, note in said.items:
        lines.append(item)
        if note:
            lines.append(f"   - {note}")
    lines += ["", "## Decisions", ""] + ([f"- {d}" for d in said.decisions] or ["- None taken."])
    lines += ["", "## Actions", ""] + ([f"- {a}" for a in said.actions] or ["- None given."])
    return "\n".join(lines) + "\n"


# The public page shows the latest approved minutes; older ones stay in each meeting's file.
MINUTES_SHOWN = 3
UTC_ZONE = ZoneInfo("UTC")


def published_minutes(session: Session, p: Partnership, now: datetime, names: bool = False,
                      words: Callable[[str], str] | None = None, tz: ZoneInfo = UTC_ZONE) -> list[MinutesText]:
    """The partnership's latest approved minutes, newest first, for its public page (which calls
    this only while the page is published, passing its own `words`); without `names`, people
    show as their organisations and any name written in the texts reads "someone"."""
    words = words or Mentions(queries.members_ever(session, p.id), names)
    held = session.scalars(select(Meeting).where(Meeting.partnership_id == p.id, Meeting.approved_at.is_not(None),
                                                 Meeting.starts_at.is_not(None))
                           .order_by(Meeting.starts_at.desc()).limit(MINUTES_SHOWN))
    return [in_words(minutes_of(session, m), p, tz, now, names, words) for m in held]
