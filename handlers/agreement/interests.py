"""Declarations of interest: what a member has at stake that could conflict with a decision.

Declared in general (`interest "I own the cafe on the square"`), an interest is listed with
the agreement for anyone to read. Declared in a proposal (`interest 4 "..."`), it is listed
with that decision too; where the partnership sets `partnership edit interests:exclude`, the
member is then not counted on it, and its outcome says so.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.context import Context
from handlers.dates import show_moment
from handlers.decisions import has_closed
from handlers.describe import member_label
from handlers.errors import UserError
from handlers.parsing import ID, Args
from handlers.registry import Access, command
from handlers.reply import Audience, Item, Reply, Section
from storage.models import Decision, Interest

MAX_INTEREST = 500


def interest_item(ctx: Context, i: Interest) -> Item:
    """`#2 Bob (Chamber of Trade), in proposal #4 Pedestrianise the square: "I own the cafe" (Tue 24 Nov)`."""
    on = f", in proposal #{i.decision.number} {i.decision.title}" if i.decision is not None else ""
    return Item(f'#{i.number} {member_label(i.member)}{on}: "{i.text}" ({show_moment(i.created_at, ctx.tz, ctx.now)})')


def standing_interests(session: Session, partnership_id: int) -> list[Interest]:
    """The interests declared and not withdrawn, in the order they were declared."""
    return list(session.scalars(select(Interest).where(Interest.partnership_id == partnership_id,
                                                       Interest.withdrawn_at.is_(None)).order_by(Interest.number)))


def proposal_number(args: Args) -> int | None:
    """A proposal's number, when the first word is one (`interest 4 "..."`); quoted text is never a number."""
    if args.words and not args.words[0].quoted and ID.fullmatch(args.words[0].text.strip()):
        return args.take_id("proposal")
    return None


@command("interest", usage='interest [proposal number] "what you have at stake"',
         examples=('interest "I own the cafe on the square"',
                   'interest 4 "My cafe is on the square this would pedestrianise"'))
def declare(ctx: Context, args: Args) -> Reply:
    """Declare an interest that could conflict with the partnership's decisions, in general or in one proposal.

    Interests are listed with the agreement (`agreement`, `interests`). Declared in a
    proposal, it is listed with the decision; where the partnership sets
    `partnership edit interests:exclude`, you are then not counted on it."""
    number = proposal_number(args)
    text = args.take_text("interest", MAX_INTEREST)
    args.finish()
    member = ctx.require_member()
    p = ctx.require_partnership()
    d = ctx.find_row(Decision, number, "decision", "decisions") if number is not None else None
    if d is not None and has_closed(d, ctx.now):
        raise UserError(f"Proposal #{d.number} {d.title} is settled, so an interest in it changes nothing now.",
                        f'Declare it in general: `interest "{text[:40]}"`.')
    same = Interest.decision_id == d.id if d is not None else Interest.decision_id.is_(None)
    mine = ctx.session.scalars(select(Interest).where(Interest.member_id == member.id, Interest.withdrawn_at.is_(None),
                                                      same))
    if any(i.text == text for i in mine):
        raise UserError("You already declared that interest; nothing changed.", "Type `interests` to see them.")
    interest = Interest(partnership_id=p.id, number=ctx.number(Interest), member_id=member.id,
                        decision_id=d.id if d else None, text=text, created_at=ctx.now)
    ctx.session.add(interest)
    ctx.session.flush()
    on = f" in proposal #{d.number} {d.title}" if d else ""
    ctx.record("interest", f'declared an interest{on}: "{text}"', subject=interest)
    said = f'{member_label(member)} declares an interest{on}: "{text}" (#{interest.number}).'
    if d is not None:
        said += (f" The partnership leaves out those who declare an interest, so {ctx.person.display_name} is not "
                 f"counted on #{d.number}." if p.interests_excluded else
                 " The partnership still counts them on it (`partnership edit interests:exclude` leaves them out).")
    return Reply(text=said, audience=Audience.CHANNEL)


@command("interests", usage="interests", access=Access.READ, changes=False)
def listing(ctx: Context, args: Args) -> Reply:
    """Every interest declared and not withdrawn: in general, and in proposals."""
    args.finish()
    p = ctx.require_partnership()
    rows = standing_interests(ctx.session, p.id)
    counted = ("members who declare an interest in a proposal are not counted on it" if p.interests_excluded else
               "members who declare an interest in a proposal are still counted on it "
               "(`partnership edit interests:exclude` leaves them out)")
    return Reply(title=f"Interests declared in {p.name}", text=f"In {p.name}, {counted}.", sections=[
        Section("In general", [interest_item(ctx, i) for i in rows if i.decision is None],
                empty='None. Declare yours: `interest "I own the cafe on the square"`.'),
        Section("In proposals", [interest_item(ctx, i) for i in rows if i.decision is not None], empty="None."),
    ])


@command("interest withdraw", usage="interest withdraw <number>", examples=("interest withdraw 2",))
def withdraw(ctx: Context, args: Args) -> Reply:
    """Withdraw an interest you declared, when it no longer holds; a coordinator may withdraw anyone's."""
    number = args.take_id("interest")
    args.finish()
    ctx.require_member()
    interest = ctx.find_row(Interest, number, "interest", "interests")
    if interest.withdrawn_at is not None:
        raise UserError(f"Interest #{number} was already withdrawn.", "Type `interests` to see the standing ones.")
    member = ctx.require_owner_or_coordinator(interest.member, f"Interest #{number}", "interests")
    d = interest.decision
    if d is not None and has_closed(d, ctx.now):
        # Its outcome was counted with the interest standing: withdrawn now, the public page would count it otherwise.
        raise UserError(f"Interest #{number} was declared in proposal #{d.number} {d.title}, which has closed, so it "
                        "stays on the record with it.", f"Type `decision {d.number}` to see the outcome.")
    interest.withdrawn_at = ctx.now
    ctx.record("interest-withdraw", f'withdrew interest #{number} ("{interest.text}")', subject=interest)
    whose = "" if interest.member_id == member.id else f" ({interest.member.display_name}'s)"
    return Reply(text=f"Withdrew interest #{number}{whose}.", audience=Audience.CHANNEL)
