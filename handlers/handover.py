"""Handing work over: `reassign`, then the new owner's `accept` or `decline`.

The new owner is told at once (a direct message with Accept / Decline, or a nudge in the
console) and the work is theirs meanwhile. A decline, with its reason, returns it to whoever
had it (or, if they have gone, a coordinator), and the coordinators hear of it. Handing
someone more than they can carry is allowed, but the reply says so and names who has room
(the same warning `commit @name` gives). Each handover is kept (`Handover`), for give and take.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import update

from handlers.commitments import (
    change,
    ensure_may_change,
    ensure_open,
    ensure_takes_work,
    find_commitment,
    still_open,
    take_reason,
)
from handlers.context import Context, zone
from handlers.dates import same_day_in, show_day
from handlers.describe import due_day, due_said, hours, member_label, owner_zone
from handlers.errors import UserError
from handlers.judgements.balance import ACCEPTED
from handlers.judgements.load import taking_on, workloads
from handlers.parsing import Args
from handlers.recheck import Asked, about, holder, not_theirs, rechecks
from handlers.registry import command
from handlers.reply import Audience, Reply
from storage import queries
from storage.models import Commitment, Handover, Member, Role
from storage.nudges import Waiting, tell, withdraw


def handover_key(c: Commitment) -> str:
    """What every nudge asking someone to accept `c` starts with; the moment and the person follow."""
    return f"told:handover:c{c.id}:"


@rechecks("handover")
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
    handed = re.fullmatch(r"told:handover:c\d+:(.+):p\d+", row.key)
    if handed and c.handover_at != datetime.fromisoformat(handed[1]):
        return f"#{c.number} was handed over again since"
    return None


@rechecks("decline")
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


@command("reassign", usage="reassign <number> @name", examples=("reassign 12 @carol",), after_end=True)
def reassign(ctx: Context, args: Args) -> Reply:
    """Hand a commitment to another member: your own, or anyone's if you coordinate.

    They are told at once and asked to `accept` or `decline` it; a coordinator who takes work
    over themselves has said yes by typing it, so it is theirs at once, with no question."""
    c = find_commitment(ctx, args.take_id("commitment"))
    new_owner = ctx.find_member(args.take_mention("who takes it over"))
    args.finish()
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
    taken = new_owner.person_id == ctx.person.id  # a coordinator taking it over: nobody to ask
    change(ctx, c, still_open(), Commitment.owner_id == old.id,
           Commitment.handover_from_id == c.handover_from_id, owner_id=new_owner.id,
           due_at=same_day_in(c.due_at, zone(old.timezone), zone(new_owner.timezone)),
           handover_from_id=None if taken else origin.id, handover_at=None if taken else ctx.now)
    ctx.session.refresh(c, ["owner"])
    answer(ctx, c, "passed on")
    ctx.session.add(Handover(partnership_id=c.partnership_id, commitment_id=c.id, from_member_id=origin.id,
                             to_member_id=new_owner.id, handed_at=ctx.now,
                             answer=ACCEPTED if taken else None, answered_at=ctx.now if taken else None))
    ctx.record("reassign", f"handed #{c.number} {c.title} from {member_label(old)} to {member_label(new_owner)}", subject=c)
    withdraw(ctx.session, c.partnership_id, handover_key(c),
             f"#{c.number} was handed on again, to {new_owner.person.display_name}", ctx.now)
    if taken:
        text = f"#{c.number} {c.title} passes from {origin.person.display_name} to {member_label(new_owner)}, who takes it on."
    else:
        text = ask_to_accept(ctx, c, new_owner, origin)
    ctx.session.flush()
    warning = taking_on(workloads(ctx.session, c.partnership_id, ctx.now), c, ctx.now,
                        ctx.now.astimezone(ctx.tz).date(), besides={old.id})
    return Reply(text=f"{text} {warning}".strip(), audience=Audience.CHANNEL)


def ask_to_accept(ctx: Context, c: Commitment, new_owner: Member, origin: Member) -> str:
    """Ask the new owner of `c` to accept it or decline it (it goes back to `origin`); what the channel is told."""
    effort = f", {hours(c.effort_hours)}" if c.effort_hours else ""
    # The day alone, no "(in 2 days)": the message may wait for quiet hours, or their return.
    due = show_day(due_day(c), ctx.now.astimezone(owner_zone(c)).date())
    within = ctx.naming_for(new_owner.person_id)
    tell(ctx.session, f"{handover_key(c)}{ctx.now.isoformat()}:p{new_owner.person_id}", c.partnership_id, "handover",
         f"{ctx.person.display_name} handed you #{c.number} {c.title}, due {due}{effort}. "
         f'Will you take it on? `accept {c.number}{within}`, or `decline {c.number} "why"{within}`.', ctx.now,
         person_id=new_owner.person_id,
         actions=(("Accept", f"accept {c.number}{within}"), ("Decline", f'decline {c.number} "..."{within}')))
    return (f"#{c.number} {c.title} passes from {origin.person.display_name} to {member_label(new_owner)}; "
            f"{new_owner.person.display_name} is asked to accept it.")


def answer(ctx: Context, c: Commitment, said: str) -> None:
    """Record the answer to the handover of `c` still waiting for one, if any."""
    ctx.session.execute(update(Handover).where(Handover.commitment_id == c.id, Handover.answer.is_(None))
                        .values(answer=said, answered_at=ctx.now))


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
    """Take on a commitment handed to you."""
    c = find_commitment(ctx, args.take_id("commitment"))
    args.finish()
    me = pending_handover(ctx, c)
    change(ctx, c, still_open(), Commitment.owner_id == me.id, Commitment.handover_from_id == c.handover_from_id,
           handover_from_id=None, handover_at=None)
    answer(ctx, c, ACCEPTED)
    withdraw(ctx.session, c.partnership_id, handover_key(c), f"{me.person.display_name} accepted #{c.number} first", ctx.now)
    ctx.record("accept", f"accepted #{c.number} {c.title}", subject=c)
    return Reply(text=f"{me.person.display_name} takes on #{c.number} {c.title}, due "
                      f"{due_said(c, ctx.now)}. Thank you!", audience=Audience.CHANNEL)


def decline(ctx: Context, args: Args) -> Reply:
    """Turn down a commitment handed to you, saying why; it goes back, and the coordinators hear of it:
    `decline <number> "why"`, see handlers/decline.py."""
    c = find_commitment(ctx, args.take_id("commitment"))
    reason = take_reason(args, f'Say why, so the coordinators can find someone else: `decline {c.number} "why"`.')
    me = pending_handover(ctx, c)
    before = ctx.session.get(Member, c.handover_from_id)
    back = before if before is not None and before.active and before.role is not Role.OBSERVER else None
    leads = queries.coordinators(ctx.session, c.partnership_id)
    if back is None:
        back = next((m for m in leads if m.id != me.id), None)
    if back is None:
        raise UserError(f"There is nobody to give #{c.number} back to: the partnership has "
                        f"{'no other coordinator' if leads else 'no coordinator now'}.",
                        f"Keep it, or drop it: `drop {c.number} \"why\"`.")
    change(ctx, c, still_open(), Commitment.owner_id == me.id, Commitment.handover_from_id == c.handover_from_id,
           owner_id=back.id, due_at=same_day_in(c.due_at, zone(me.timezone), zone(back.timezone)),
           handover_from_id=None, handover_at=None)
    ctx.session.refresh(c, ["owner"])
    answer(ctx, c, "declined")
    withdraw(ctx.session, c.partnership_id, handover_key(c), f"{me.person.display_name} declined #{c.number} first", ctx.now)
    event = ctx.record("decline", f"declined #{c.number} {c.title}; it is back with {member_label(back)}",
                       subject=c, reason=reason)
    ctx.session.flush()
    told = {m.person_id: m for m in [*leads, back] if m.id != me.id}
    for person_id in told:
        tell(ctx.session, f"told:decline:e{event.id}:c{c.id}:m{back.id}:p{person_id}", c.partnership_id, "decline",
             f'{me.person.display_name} declined #{c.number} {c.title}: "{reason}". It is back with '
             f"{'you' if person_id == back.person_id else back.person.display_name}; "
             f"hand it on with `reassign {c.number} @name{ctx.naming_for(person_id)}`.", ctx.now, person_id=person_id)
    return Reply(text=f"{me.person.display_name} declined #{c.number} {c.title} ({reason}); it is back with "
                      f"{back.person.display_name}, and the coordinators are told.", audience=Audience.CHANNEL)

