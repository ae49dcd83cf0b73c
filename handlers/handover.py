"""Handing work over: `reassign`, then the new owner's `accept` or `decline`.

The new owner is told at once (a direct message with Accept / Decline, or a nudge in the
console) and the work is theirs meanwhile. Until they answer, whoever handed it over may take
it back by naming themselves in `reassign`; working on it (`done`, `progress`, `edit`) accepts it. A
decline, with its reason, returns it to whoever had it (or, if they have gone, a
coordinator), and the coordinators hear of it. Work someone else logged for you (`commit
@name`, a meeting's action) can be declined the same way until you take it on or act on it.
Handing someone more than they can carry is allowed, but the reply says so and names who has
room (the same warning `commit @name` gives). Each handover is kept (`Handover`), for give
and take.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from handlers.commitments import (
    answer_handover,
    change,
    ensure_may_change,
    ensure_open,
    ensure_takes_work,
    find_commitment,
    handover_key,
    still_open,
    take_on,
    take_reason,
)
from handlers.context import Context, zone
from handlers.dates import same_day_in, show_day
from handlers.describe import due_day, due_said, hours, member_label, owner_zone
from handlers.errors import UserError
from handlers.judgements.balance import ACCEPTED
from handlers.judgements.load import taking_on, workloads
from handlers.parsing import Args
from handlers.recheck import Asked, about, holder, moment_in, not_theirs, rechecks
from handlers.registry import command
from handlers.reply import Audience, Reply
from handlers.unanswered import TAKEN_BACK, note_after, question_key, question_reached
from storage import queries
from storage.models import Commitment, CommitmentStatus, Event, Handover, Member, Person, Role
from storage.nudges import Waiting, tell, withdraw

# The answer a handover gets when whoever handed it over takes it back before it is answered.
WITHDRAWN = "withdrawn"


@rechecks("handover", after_end=True)
def handover_waits(asked: Asked, row: Waiting) -> str | None:
    """The handover still waiting for its recipient's answer: the work open, handed to them, by
    this handover and not a later one."""
    c, why = asked.open_commitment(row)
    if c is None:
        return why
    if why := not_theirs(c, row.person_id):
        return why
    if c.handover_from_id is None:
        return f"{c.owner.person.display_name} has accepted #{c.number}"
    handed = moment_in(row.key)
    if handed and c.handover_at != handed:
        return f"#{c.number} was handed over again since"
    return None


@rechecks("decline", after_end=True)
def still_back(asked: Asked, row: Waiting) -> str | None:
    """The declined work still open and with whoever it went back to, not handed on since."""
    if about(row.key, "c") is None:  # told before the key named the work: nothing to ask
        return None
    c, why = asked.open_commitment(row)
    if c is None:
        return why
    if c.owner_id != about(row.key, "m") or c.handover_from_id is not None:
        return holder(c)
    return None


@rechecks("taken-back", after_end=True)
def still_unasked(asked: Asked, row: Waiting) -> str | None:
    """The work taken back still open and not handed to its recipient again since (then a new
    question waits for them, and "nothing waits" would be wrong), and the question it follows
    sent: one still being delivered when it was taken back may yet be cancelled unseen."""
    c, why = asked.open_commitment(row)
    if c is None:
        return why
    return holder(c) if c.owner.person_id == row.person_id else question_reached(asked, row, c)


@command("reassign", usage="reassign <number> @name", examples=("reassign 12 @carol",), after_end=True)
def reassign(ctx: Context, args: Args) -> Reply:
    """Hand a commitment to another member: your own, or anyone's if you coordinate.

    They are told at once and asked to `accept` or `decline` it; a coordinator who takes work
    over themselves has said yes by typing it, so it is theirs at once, with no question.
    Until they answer, whoever handed it over may take it back by naming themselves
    (`reassign 12 @bob`, typed by Bob), or hand it to someone else instead."""
    c = find_commitment(ctx, args.take_id("commitment"))
    new_owner = ctx.find_member(args.take_mention("who takes it over"))
    args.finish()
    me = ctx.require_member()
    giver = c.handover_from_id is not None and c.handover_from_id == me.id  # still theirs to take back
    if not giver:
        ensure_not_accepted(ctx, c, me)
        ensure_may_change(ctx, c)
    ensure_open(ctx, c)
    if new_owner.id == c.owner_id:
        whose = "yours" if new_owner.person_id == ctx.person.id else f"{new_owner.person.display_name}'s"
        raise UserError(f"#{c.number} is already {whose}.", f"Name who takes it over: `reassign {c.number} @name`.")
    ensure_takes_work(new_owner)
    old = c.owner
    # Whose work it was: the last to accept it, when it is still waiting on someone's answer. A
    # decline returns it there: never to someone who was asked and did not answer.
    origin = ctx.session.get(Member, c.handover_from_id) if c.handover_from_id is not None else old
    assert origin is not None  # a foreign key: members are never deleted
    if new_owner.id == origin.id:
        return take_back(ctx, c, origin)
    taken = new_owner.person_id == ctx.person.id  # a coordinator taking it over: nobody to ask
    handed_at = c.handover_at  # when the one asked, if any, was: the question that no longer stands
    change(ctx, c, still_open(), Commitment.owner_id == old.id,
           Commitment.handover_from_id == c.handover_from_id, owner_id=new_owner.id,
           due_at=same_day_in(c.due_at, zone(old.timezone), zone(new_owner.timezone)),
           handover_from_id=None if taken else origin.id, handover_at=None if taken else ctx.now)
    ctx.session.refresh(c, ["owner"])
    answer_handover(ctx, c, "passed on")
    ctx.session.add(Handover(partnership_id=c.partnership_id, commitment_id=c.id, from_member_id=origin.id,
                             to_member_id=new_owner.id, from_organisation=origin.organisation,
                             to_organisation=new_owner.organisation, handed_at=ctx.now,
                             answer=ACCEPTED if taken else None, answered_at=ctx.now if taken else None))
    ctx.record("reassign", f"handed #{c.number} {c.title} from {member_label(old)} to {member_label(new_owner)}",
               subject=c)
    withdraw(ctx.session, c.partnership_id, handover_key(c),
             f"#{c.number} was handed on again, to {new_owner.person.display_name}", ctx.now)
    if old.id != origin.id:  # asked and not answered: the question to them no longer stands
        unask(ctx, c, old, handed_at, f"was handed to {new_owner.person.display_name} instead")
    if taken:
        text = f"#{c.number} {c.title} passes from {origin.person.display_name} to {member_label(new_owner)}, who takes it on."
    else:
        text = ask_to_accept(ctx, c, new_owner, origin)
    ctx.session.flush()
    warning = taking_on(workloads(ctx.session, c.partnership_id, ctx.now, accepted={c.id}), c, ctx.now,
                        ctx.now.astimezone(ctx.tz).date(), besides={old.id})
    return Reply(text=f"{text} {warning}".strip(), audience=Audience.CHANNEL)


def ensure_not_accepted(ctx: Context, c: Commitment, me: Member) -> None:
    """Refuse the one who handed `c` over once its new owner has accepted it (the answer a giver
    taking it back at the moment of the accept needs): it is theirs to hand back now."""
    if ctx.may_change(c):
        return
    accepted = ctx.session.scalar(select(Handover.id).where(
        Handover.commitment_id == c.id, Handover.from_member_id == me.id, Handover.to_member_id == c.owner_id,
        Handover.answer == ACCEPTED).limit(1))
    if accepted is not None:
        name = c.owner.person.display_name
        raise UserError(f"{name} has accepted #{c.number} {c.title}, so it is theirs now and nothing was changed.",
                        f"Ask {name} to hand it back: they type `reassign {c.number} @{ctx.person.user_id}`.")


def take_back(ctx: Context, c: Commitment, origin: Member) -> Reply:
    """Return `c` to whoever handed it over, before the one asked has answered: the handover is
    withdrawn, a conditional update, so an accept at the same moment leaves one of them refused."""
    asked, handed_at = c.owner, c.handover_at
    change(ctx, c, still_open(), Commitment.owner_id == asked.id, Commitment.handover_from_id == origin.id,
           owner_id=origin.id, due_at=same_day_in(c.due_at, zone(asked.timezone), zone(origin.timezone)),
           handover_from_id=None, handover_at=None)
    ctx.session.refresh(c, ["owner"])
    answer_handover(ctx, c, WITHDRAWN)
    name = asked.person.display_name
    # The question itself goes, if it has not gone out yet; if it has, they hear it no longer stands.
    withdraw(ctx.session, c.partnership_id, handover_key(c), f"#{c.number} was taken back", ctx.now)
    ctx.record("reassign", f"took #{c.number} {c.title} back from {member_label(asked)}, who had not answered, "
                           f"to {member_label(origin)}", subject=c)
    unask(ctx, c, asked, handed_at, f"is back with {origin.person.display_name}, who handed it to you")
    return Reply(text=f"#{c.number} {c.title} is back with {origin.person.display_name}; {name} had not answered, "
                      "and is no longer asked to take it on.", audience=Audience.CHANNEL)


def unask(ctx: Context, c: Commitment, asked: Member, handed_at: datetime | None, now: str) -> None:
    """Tell whoever was asked at `handed_at` to take `c` on, if the question reached them or is
    being delivered, that it no longer stands (`now`: where the work is instead), after it
    (`still_unasked` waits for it); one not claimed yet was withdrawn unseen. Nothing when no
    question names the handover (`handed_at` None)."""
    if handed_at is None:
        return
    note = note_after(ctx.session, c, question_key(c, handed_at, asked.person_id), TAKEN_BACK)
    if note is None:
        return
    tell(ctx.session, note, c.partnership_id, "taken-back",
         f"#{c.number} {c.title} {now}: nothing waits for your answer now.", ctx.now, person_id=asked.person_id)


def ask_to_accept(ctx: Context, c: Commitment, new_owner: Member, origin: Member) -> str:
    """Ask the new owner of `c` to accept it or decline it (it goes back to `origin`); what the channel is told."""
    effort = f", {hours(c.effort_hours)}" if c.effort_hours else ""
    # The day alone, no "(in 2 days)": the message may wait for quiet hours, or their return.
    due = show_day(due_day(c), ctx.now.astimezone(owner_zone(c)).date())
    within = ctx.naming_for(new_owner.person_id)
    tell(ctx.session, question_key(c, ctx.now, new_owner.person_id), c.partnership_id, "handover",
         f"{ctx.person.display_name} handed you #{c.number} {c.title}, due {due}{effort}. "
         f'Will you take it on? `accept {c.number}{within}`, or `decline {c.number} "why"{within}`.', ctx.now,
         person_id=new_owner.person_id,
         actions=(("Accept", f"accept {c.number}{within}"), ("Decline", f'decline {c.number} "..."{within}')))
    return (f"#{c.number} {c.title} passes from {origin.person.display_name} to {member_label(new_owner)}; "
            f"{new_owner.person.display_name} is asked to accept it.")


def logged_for_them(ctx: Context, c: Commitment, me: Member) -> bool:
    """Whether `c` is work someone else logged for `me` (`commit @name`, a meeting's action) that
    they have not taken on: no handover brought it to them, and the record shows nothing they
    did to it (`accept`, `progress`, `edit`, `snooze`...). Such work is theirs to decline."""
    if (c.owner_id != me.id or c.handover_from_id is not None or c.status is not CommitmentStatus.OPEN
            or c.created_by_id is None or c.created_by_id == me.person_id):
        return False
    acted = select(Event.id).where(*queries.about(c), Event.actor_id == me.person_id).exists()
    handed = select(Handover.id).where(Handover.commitment_id == c.id, Handover.to_member_id == me.id).exists()
    return not ctx.session.scalar(select(or_(acted, handed)))


def pending_handover(ctx: Context, c: Commitment) -> Member:
    """The member answering a handover: it must be waiting, and theirs."""
    me = ctx.require_member()
    if c.handover_from_id is None or c.owner_id != me.id:
        if c.owner_id != me.id and c.handover_from_id is not None:
            raise UserError(f"#{c.number} {c.title} was handed to {c.owner.person.display_name}, not to you; "
                            "only they can accept or decline it.", "Type `mine` to see what is yours.")
        if c.owner_id != me.id:  # nobody is asked: a decline handed it back, or it never moved
            raise UserError(f"#{c.number} {c.title} is {c.owner.person.display_name}'s, and nothing waits for "
                            "your answer.", f"To take it on, ask {c.owner.person.display_name} or a coordinator to "
                            f"`reassign {c.number} @{ctx.person.user_id}`; `mine` shows what is yours.")
        raise UserError(f"#{c.number} {c.title} is yours already; nothing waits for an answer.",
                        f'To hand it on: `reassign {c.number} @name`; if it will not happen: `drop {c.number} "why"`.')
    ensure_open(ctx, c)
    return me


@command("accept", usage="accept <number>", examples=("accept 12",), after_end=True)
def accept(ctx: Context, args: Args) -> Reply:
    """Take on a commitment handed to you, or one someone else logged for you.

    Once taken on, work logged for you is yours to finish, drop or hand on, no longer to decline."""
    c = find_commitment(ctx, args.take_id("commitment"))
    args.finish()
    me = ctx.require_member()
    if logged_for_them(ctx, c, me):
        logger = ctx.session.get(Person, c.created_by_id)
        by = f", which {logger.display_name} logged for them" if logger is not None else ""
        ctx.record("accept", f"accepted #{c.number} {c.title}{by}", subject=c)
    else:
        pending_handover(ctx, c)
        take_on(ctx, c)
    return Reply(text=f"{me.person.display_name} takes on #{c.number} {c.title}, due "
                      f"{due_said(c, ctx.now)}. Thank you!", audience=Audience.CHANNEL)


def decline(ctx: Context, args: Args) -> Reply:
    """Turn down a commitment handed to you, or logged for you by someone else, saying why; it goes
    back, and the coordinators hear of it: `decline <number> "why"`, see handlers/decline.py."""
    c = find_commitment(ctx, args.take_id("commitment"))
    reason = take_reason(args, f'Say why, so the coordinators can find someone else: `decline {c.number} "why"`.')
    me = ctx.require_member()
    logged = logged_for_them(ctx, c, me)
    if not logged:
        pending_handover(ctx, c)
    # Back to whoever logged it, or whose it was before the handover.
    before = (queries.membership(ctx.session, c.partnership_id, c.created_by_id) if logged and c.created_by_id
              else ctx.session.get(Member, c.handover_from_id))
    back = before if before is not None and before.active and before.role is not Role.OBSERVER else None
    leads = queries.coordinators(ctx.session, c.partnership_id)
    if back is None:
        back = next((m for m in leads if m.id != me.id), None)
    if back is None:
        raise UserError(f"There is nobody to give #{c.number} back to: the partnership has "
                        f"{'no other coordinator' if leads else 'no coordinator now'}.",
                        f"Take it on to settle it: `accept {c.number}`, then `done {c.number}` or "
                        f"`drop {c.number} \"why\"`.")
    logger = ctx.session.get(Person, c.created_by_id) if logged and c.created_by_id else None
    change(ctx, c, still_open(), Commitment.owner_id == me.id, Commitment.handover_from_id == c.handover_from_id,
           owner_id=back.id, due_at=same_day_in(c.due_at, zone(me.timezone), zone(back.timezone)),
           handover_from_id=None, handover_at=None)
    ctx.session.refresh(c, ["owner"])
    if not logged:
        answer_handover(ctx, c, "declined")
        withdraw(ctx.session, c.partnership_id, handover_key(c), f"{me.person.display_name} declined #{c.number} first",
                 ctx.now)
    what = f"#{c.number} {c.title}" + (f", which {logger.display_name} logged for them" if logger is not None else "")
    event = ctx.record("decline", f"declined {what}; it is back with {member_label(back)}", subject=c, reason=reason)
    ctx.session.flush()
    told = {m.person_id: m for m in [*leads, back] if m.id != me.id}
    for person_id in told:
        tell(ctx.session, f"told:decline:e{event.id}:c{c.id}:m{back.id}:p{person_id}", c.partnership_id, "decline",
             f'{me.person.display_name} declined {what}: "{reason}". It is back with '
             f"{'you' if person_id == back.person_id else back.person.display_name}; "
             f"hand it on with `reassign {c.number} @name{ctx.naming_for(person_id)}`.", ctx.now, person_id=person_id)
    return Reply(text=f"{me.person.display_name} declined {what} ({reason}); it is back with "
                      f"{back.person.display_name}, and the coordinators are told.", audience=Audience.CHANNEL)
