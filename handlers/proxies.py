"""Proxy votes: a member who cannot take part names another to respond for them.

On one proposal (`proxy 4 @bob`) or on every proposal until a day (`proxy @bob until:2027-03-01`).
The proxy responds with `vote 4 yes for:@gwen` (see `decisions.respond`); everyone sees it as
"Bob for Gwen". Gwen can still respond herself before it closes, which replaces it. Only a
member's own word makes a proxy, so a proxy cannot pass it on: there are no chains.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select

from handlers.context import Context
from handlers.dates import show_day
from handlers.decisions import ensure_open, find_decision, has_closed, options_of, uncounted
from handlers.describe import member_label, sentence
from handlers.errors import UserError
from handlers.parsing import ID, Args
from handlers.registry import Access, command
from handlers.reply import Audience, Item, Reply, Section
from storage import queries
from storage.models import Decision, DecisionMode, DecisionResponse, DecisionStatus, Member, Proxy, Role


def scope(p: Proxy, today: date) -> str:
    """`on #4 Pedestrianise the square`, or `on every proposal until Mon 1 Mar`."""
    if p.decision_id is not None:
        d = p.decision
        return f"on #{d.number} {d.title}"
    return f"on every proposal until {show_day(p.until, today)}" if p.until else ""


@command("proxy", usage="proxy [proposal number] @name [until:<date>]",
         examples=("proxy 4 @bob", 'proxy @bob until:"in 3 weeks"'), options=("until",))
def give(ctx: Context, args: Args) -> Reply:
    """Name a member to respond for you on one proposal, or on every proposal until a day.

    They respond with `vote 4 yes for:@you` (or `agree 4 for:@you`), shown to all as theirs
    for you. You can still respond yourself before it closes, which replaces theirs; a new
    proxy replaces the old one; `proxy withdraw 4` (or `proxy withdraw`) takes it back."""
    number = args.take_id("proposal") if args.words and ID.fullmatch(args.words[0].text.strip()) \
        and not args.words[0].quoted else None
    mention = args.take_mention("who may respond for you")
    until = ctx.day(args.options["until"]) if "until" in args.options else None
    args.finish()
    giver = ctx.require_member()
    today = ctx.now.astimezone(ctx.tz).date()
    if (number is None) == (until is None):
        raise UserError("Say which proposal, or until when: one or the other.",
                        f"Type `proxy 4 @{mention[:30]}` or `proxy @{mention[:30]} until:\"in 2 weeks\"`.")
    if until is not None and until < today:
        raise UserError(f"{show_day(until, today)} is past.", f'Type `proxy @{mention[:30]} until:"in 2 weeks"`.')
    holder = ctx.find_member(mention)
    if holder.id == giver.id:
        raise UserError("You respond for yourself; name someone else.", "Type `proxy 4 @name`.")
    if holder.role is Role.OBSERVER:
        raise UserError(f"{holder.person.display_name} is an observer, who cannot respond to proposals.",
                        "Name a member: `members` lists them.")
    d = find_decision(ctx, number) if number is not None else None
    if d is not None:
        ensure_open(ctx, d)
        if why := uncounted(ctx.session, d, giver):
            raise UserError(f"You are not counted on #{d.number} (you {why}), so nobody can respond for you on it.",
                            f"Type `decision {d.number}` to see who is.")
    queries.lock(ctx.session, Member, giver.id)  # two proxies given at once: one replaces the other, in turn
    replaced = [p for p in mine(ctx, giver) if p.decision_id == (d.id if d else None)]
    for p in replaced:
        p.withdrawn_at = ctx.now
    # Naming the same member again keeps what they cast.
    taken = sum(take_back(ctx, p) for p in replaced if p.holder_id != holder.id)
    proxy = Proxy(partnership_id=giver.partnership_id, giver_id=giver.id, holder_id=holder.id,
                  decision_id=d.id if d else None, until=until, created_at=ctx.now)
    ctx.session.add(proxy)
    ctx.session.flush()
    ctx.session.refresh(proxy)
    where = scope(proxy, today)
    ctx.record("proxy", f"named {holder.person.display_name} to respond for them {where}"
               + (f", replacing {replaced[0].holder.person.display_name}{taken_said(taken)}" if replaced else ""),
               subject=d)
    on = d if d is not None else next_open(ctx)
    how = (f"responds with `{first_response(on)} for:@{giver.person.user_id}`" if on is not None
           else f"adds `for:@{giver.person.user_id}` to a response")
    said = (sentence(f"{member_label(giver)} names {member_label(holder)} to respond for them {where}") + " "
            f"{holder.person.display_name} {how}; "
            f"{giver.person.display_name} can still respond themselves before it closes, which replaces it.")
    if replaced:
        said += f" (This replaces {replaced[0].holder.person.display_name}{taken_said(taken)}.)"
    return Reply(text=said, audience=Audience.CHANNEL)


def first_response(d: Decision) -> str:
    """How to respond to `d`, as the proxy would type it before `for:`."""
    if d.mode is DecisionMode.RANKED:
        return f"rank {d.number} {', '.join(options_of(d))}"
    return f"agree {d.number}" if d.mode is DecisionMode.CONSENSUS else f"vote {d.number} yes"


def next_open(ctx: Context) -> Decision | None:
    """The open proposal closing soonest, for an example that works; None when none is open."""
    return ctx.session.scalar(select(Decision).where(
        Decision.partnership_id == ctx.require_partnership().id, Decision.status == DecisionStatus.OPEN,
        Decision.closes_at > ctx.now).order_by(Decision.closes_at, Decision.id).limit(1))


def mine(ctx: Context, giver: Member) -> list[Proxy]:
    return list(ctx.session.scalars(select(Proxy).where(Proxy.giver_id == giver.id, Proxy.withdrawn_at.is_(None))))


@command("proxy withdraw", usage="proxy withdraw [proposal number]", examples=("proxy withdraw 4", "proxy withdraw"))
def withdraw(ctx: Context, args: Args) -> Reply:
    """Take back a proxy you gave: on one proposal, or (without a number) your dated one.

    What they already responded for you on a proposal still open is taken back with it."""
    number = args.take_id("proposal") if args.has_more() else None
    args.finish()
    giver = ctx.require_member()
    d = find_decision(ctx, number) if number is not None else None
    if d is not None:
        ensure_open(ctx, d)  # it was counted as it closed, with what the proxy cast: withdrawing now would change nothing
    queries.lock(ctx.session, Member, giver.id)
    found = [p for p in mine(ctx, giver) if p.decision_id == (d.id if d else None)]
    if not found:
        on = f"on #{d.number}" if d else "until a day"
        raise UserError(f"You have no proxy {on} to withdraw.", "Type `proxies` to see the proxies standing.")
    [proxy] = found
    proxy.withdrawn_at = ctx.now
    taken = take_back(ctx, proxy)
    today = ctx.now.astimezone(ctx.tz).date()
    where = scope(proxy, today)
    ctx.record("proxy-withdraw", f"withdrew {proxy.holder.person.display_name}'s proxy {where}{taken_said(taken)}",
               subject=d)
    return Reply(text=f"{member_label(giver)} withdrew {proxy.holder.person.display_name}'s proxy {where}"
                      f"{taken_said(taken)}.", audience=Audience.CHANNEL)


def take_back(ctx: Context, proxy: Proxy) -> int:
    """Delete what an ended proxy (withdrawn or replaced) cast on proposals still open, so nothing
    it allowed outlives it; how many responses went. A dated proxy's responses on a proposal
    with a proxy of its own stay: that one allowed them."""
    open_ids = select(Decision.id).where(Decision.partnership_id == proxy.partnership_id,
                                         Decision.status == DecisionStatus.OPEN, Decision.closes_at > ctx.now)
    if proxy.decision_id is not None:
        open_ids = open_ids.where(Decision.id == proxy.decision_id)
    else:
        open_ids = open_ids.where(Decision.id.not_in(select(Proxy.decision_id).where(
            Proxy.giver_id == proxy.giver_id, Proxy.decision_id.is_not(None), Proxy.withdrawn_at.is_(None))))
    # Only what the proxy cast and the giver has not since replaced: a conditional delete.
    return ctx.session.execute(delete(DecisionResponse).where(
        DecisionResponse.member_id == proxy.giver_id, DecisionResponse.cast_by_id == proxy.holder.person_id,
        DecisionResponse.decision_id.in_(open_ids)).execution_options(synchronize_session=False)).rowcount


def taken_said(taken: int) -> str:
    """`; the 2 responses they gave on open proposals are taken back`, or nothing."""
    if taken == 1:
        return "; the response they gave is taken back"
    return f"; the {taken} responses they gave on open proposals are taken back" if taken else ""


def takes_part(m: Member) -> bool:
    """Still in, and not only observing: a proxy from or to anyone else stands for nothing."""
    return m.active and m.role is not Role.OBSERVER


@command("proxies", usage="proxies", access=Access.READ, changes=False)
def listing(ctx: Context, args: Args) -> Reply:
    """Who may respond for whom: every proxy standing, on one proposal or until a day."""
    args.finish()
    p = ctx.require_partnership()
    today = ctx.now.astimezone(ctx.tz).date()
    rows = ctx.session.scalars(select(Proxy).where(Proxy.partnership_id == p.id, Proxy.withdrawn_at.is_(None))
                               .order_by(Proxy.id))
    items = [Item(f"{member_label(r.holder)} for {member_label(r.giver)} {scope(r, today)}") for r in rows
             if (r.until is None or r.until >= today) and takes_part(r.giver) and takes_part(r.holder)
             and (r.decision is None or not has_closed(r.decision, ctx.now))]
    on = next_open(ctx)
    one = f"`proxy {on.number} @name` or " if on is not None else ""
    return Reply(title=f"Proxies in {p.name}", sections=[Section(None, items, empty=(
        f"None. Name someone to respond for you: {one}`proxy @name until:\"in 2 weeks\"`."))])
