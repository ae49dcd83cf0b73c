"""Flexibility: what each partner can give more of, or bend on, when things change."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from handlers.context import Context
from handlers.dates import show_moment
from handlers.describe import member_label
from handlers.errors import UserError
from handlers.parsing import MAX_NOTE, Args
from handlers.registry import Access, command
from handlers.reply import Audience, Item, Reply, Section
from storage.models import FlexDimension, Flexibility, Member, Role

DIMENSIONS = [d.value for d in FlexDimension]


# Built once, values bound at each execution (see queries.CHANNEL_CONTEXT).
OFFERS = (select(Flexibility)
          .where(Flexibility.partnership_id == bindparam("partnership_id"), Flexibility.withdrawn_at.is_(None))
          .order_by(Flexibility.dimension, Flexibility.created_at))
OFFERS_OF_A_KIND = OFFERS.where(Flexibility.dimension == bindparam("dimension"))


def offers(ctx: Context, dimension: FlexDimension | None = None) -> list[Flexibility]:
    """The partnership's offers standing, of one kind or every kind."""
    bound = {"partnership_id": ctx.require_partnership().id}
    if dimension is None:
        return list(ctx.session.scalars(OFFERS, bound))
    return list(ctx.session.scalars(OFFERS_OF_A_KIND, {**bound, "dimension": dimension}))


def offer_item(ctx: Context, f: Flexibility, with_dimension: bool = True) -> Item:
    prefix = f"{f.dimension.value}: " if with_dimension else ""
    return Item(f'#{f.number} {prefix}{member_label(f.member)}: "{f.text}" (since {show_moment(f.created_at, ctx.tz, ctx.now)})')


@command(
    "flex",
    usage='flex <time|money|priorities|resources> "what you can give"',
    examples=('flex money "Up to £500 from the events budget"', 'flex time "Two extra evenings a month"', "flex"),
    access=Access.READ,
    reads_alone=True,
    who="anyone in the workspace reads the offers; members and coordinators offer",
)
def flex(ctx: Context, args: Args) -> Reply:
    """Say how you can be flexible, so the partnership adapts fast when things change; alone, list every offer."""
    if not args.has_more():
        return Reply(title=f"Flexibility in {ctx.require_partnership().name}",
                     sections=[Section(None, [offer_item(ctx, f) for f in offers(ctx)],
                                       empty='No offers yet. Add yours: `flex time "..."`.')])
    dimension = FlexDimension(args.take_word("kind of flexibility", DIMENSIONS))
    text = args.take_text("offer", MAX_NOTE)
    args.finish()
    member = ctx.require_member()
    if member.role is Role.OBSERVER:
        raise UserError("Observers can read the partnership but not offer flexibility.",
                        "Type `flex` to see the offers; a coordinator can make you a member with "
                        f"`member role @{ctx.person.user_id} member`.")
    ensure_new_offer(ctx, member, dimension, text)
    offer = Flexibility(partnership_id=member.partnership_id, number=ctx.number(Flexibility), member_id=member.id,
                        dimension=dimension, text=text, created_at=ctx.now)
    ctx.session.add(offer)
    ctx.session.flush()
    ctx.record("flex", f'offered #{offer.number}, to flex on {dimension.value}: "{text}"', subject=offer)
    return Reply(text=f'{member_label(member)} can flex on {dimension.value}: "{text}" (#{offer.number})',
                 audience=Audience.CHANNEL)


def ensure_new_offer(ctx: Context, member: Member, dimension: FlexDimension, text: str) -> None:
    """Refuse an offer the member already has standing, so `flex` does not list the same give twice."""
    same = next((f for f in open_offers(ctx, member)
                 if f.dimension is dimension and f.text.casefold() == text.casefold()), None)
    if same is not None:
        raise UserError(f'You already offered that, as #{same.number} ({dimension.value}: "{same.text}"); nothing changed.',
                        f"Type `flex` to see the offers, or `flex withdraw {same.number}` if it no longer holds.")


@command("flex who", usage="flex who <time|money|priorities|resources>", examples=("flex who time",),
         access=Access.READ, changes=False)
def flex_who(ctx: Context, args: Args) -> Reply:
    """Who has offered flexibility of one kind."""
    dimension = FlexDimension(args.take_word("kind of flexibility", DIMENSIONS))
    args.finish()
    return Reply(title=f"Who can flex on {dimension.value}",
                 sections=[Section(None, [offer_item(ctx, f, False) for f in offers(ctx, dimension)],
                                   empty=f"Nobody has offered {dimension.value} yet.")])


@command("flex withdraw", usage="flex withdraw <number>", examples=("flex withdraw 3",))
def withdraw(ctx: Context, args: Args) -> Reply:
    """Withdraw one of your flexibility offers when it no longer holds; a coordinator may withdraw anyone's."""
    offer_id = args.take_id("offer")
    args.finish()
    ctx.require_member()
    offer = ctx.find_row(Flexibility, offer_id, "offer", "flex")
    if offer.withdrawn_at is not None:
        raise UserError(f"Offer #{offer_id} was already withdrawn.", "Type `flex` to list the open ones.")
    member = ctx.require_owner_or_coordinator(offer.member, f"Offer #{offer_id}", "flex")
    owner = offer.member.person.display_name
    withdraw_offer(ctx, offer, None if offer.member_id == member.id else f"withdrawn by {ctx.person.display_name}")
    whose = "" if offer.member_id == member.id else f" ({owner}'s)"
    return Reply(text=f"Withdrew offer #{offer.number}{whose}.", audience=Audience.CHANNEL)


def open_offers(ctx: Context, member: Member) -> list[Flexibility]:
    return list(ctx.session.scalars(select(Flexibility).where(Flexibility.member_id == member.id,
                                                              Flexibility.withdrawn_at.is_(None))
                                    .order_by(Flexibility.id)))


def withdraw_offer(ctx: Context, offer: Flexibility, reason: str | None) -> None:
    """Take an offer back, in the event log with why (someone else withdrew it, its maker left)."""
    offer.withdrawn_at = ctx.now
    ctx.record("flex-withdraw", f'withdrew offer #{offer.number} ({offer.dimension.value}: "{offer.text}")',
               subject=offer, reason=reason)
