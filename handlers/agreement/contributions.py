"""Contributions: what each partner pledges to bring, and what it delivers.

A member pledges and records for their own organisation: time, money, premises, equipment
or help in kind. Money is a decimal with its currency (`£500`, `€1,200.50`, `300 USD`), time
is hours (`4h`, `90m`), each per period (`a week`, `a month`, `a year`) or once. What was
delivered is giving in give and take; how each pledge is kept is worked out in
handlers/judgements/contributions.py. Flexibility offers (`flex`) stay what they are: what a
partner could give more of when things change.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from handlers.context import Context
from handlers.dates import show_day, show_moment
from handlers.errors import UserError
from handlers.judgements.contributions import (
    MEASURED,
    Brought,
    brought_in,
    delivered_said,
    not_counted,
    partner_of,
    pledge_said,
    quantity,
)
from handlers.parsing import MAX_NOTE, MAX_TITLE, Args, check_text, clipped
from handlers.registry import Access, command
from handlers.reply import Audience, Item, Reply, Section
from storage import queries
from storage.models import ContributionKind, Delivery, Member, Period, Pledge, Role

KINDS = tuple(k.value for k in ContributionKind)
CURRENCIES = {"£": "GBP", "€": "EUR", "$": "USD", "gbp": "GBP", "eur": "EUR", "usd": "USD"}
MAX_MONEY = Decimal(1_000_000_000)
MAX_HOURS = Decimal(10_000)
_SIGN = r"£|€|\$|gbp|eur|usd"
# Any number of digits: one too large is refused by its range (MAX_MONEY, MAX_HOURS), which the refusal names.
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?"
_MONEY = re.compile(rf"(?:(?P<before>{_SIGN})\s*(?P<amount>{_NUMBER})|(?P<number>{_NUMBER})\s*(?P<after>{_SIGN}))")
_TIME = re.compile(r"(?P<amount>\d+(?:\.\d{1,2})?)\s*(?P<unit>h|hrs?|hours?|m|mins?|minutes?)?")
_PERIOD = re.compile(r"\s*(?:(?:an?|per|each|every|/)\s*(?P<per>week|wk|month|mo|mth|year|yr|annum)"
                     r"|(?P<ly>weekly|monthly|yearly|annually)|(?P<once>once|one-off|in all|in total))$")
PERIODS = {"week": Period.WEEK, "wk": Period.WEEK, "weekly": Period.WEEK, "month": Period.MONTH, "mo": Period.MONTH,
           "mth": Period.MONTH, "monthly": Period.MONTH, "year": Period.YEAR, "yr": Period.YEAR,
           "annum": Period.YEAR, "yearly": Period.YEAR, "annually": Period.YEAR}
MONEY_HINT = 'Write money with its currency, like `money:£120`, `money:"€500 a year"` or `money:"300 USD"`.'
TIME_HINT = 'Write time in hours, like `time:6h` or `time:"4h a month"`.'


def period_of(text: str) -> tuple[str, Period | None]:
    """The text without its period (`4h a month` -> `4h`, month); None when none is said."""
    found = _PERIOD.search(text)
    if found is None:
        return text, None
    period = Period.ONCE if found["once"] else PERIODS[found["per"] or found["ly"]]
    return text[:found.start()].strip(), period


def measure(kind: ContributionKind, raw: str) -> tuple[Decimal, str | None, Period | None]:
    """An amount of time (hours) or money (with its currency), and the period said with it."""
    text, period = period_of(" ".join(raw.lower().split()))
    shown = clipped(raw, 40)
    if kind is ContributionKind.MONEY:
        found = _MONEY.fullmatch(text)
        if found is None:
            raise UserError(f"`{shown}` isn't an amount of money with its currency.", MONEY_HINT)
        amount = Decimal((found["amount"] or found["number"]).replace(",", ""))
        currency = CURRENCIES[(found["before"] or found["after"]).lower()]
        if not 0 < amount <= MAX_MONEY:
            raise UserError(f"`{shown}` isn't an amount from 0.01 to {MAX_MONEY:,}.", MONEY_HINT)
        return amount, currency, period
    found = _TIME.fullmatch(text)
    if found is None:
        raise UserError(f"`{shown}` isn't a number of hours.", TIME_HINT)
    amount = Decimal(found["amount"])
    if found["unit"] and found["unit"].startswith("m"):
        amount = (amount / 60).quantize(Decimal("0.01"))
    if not 0 < amount <= MAX_HOURS:
        raise UserError(f"`{shown}` isn't a number of hours from 0.01 to {MAX_HOURS:,}.", TIME_HINT)
    return amount, None, period


def partner_name(member: Member) -> str:
    return partner_of(member, member.organisation)[1]


def standing_pledges(ctx: Context) -> list[Pledge]:
    return list(ctx.session.scalars(select(Pledge).where(Pledge.partnership_id == ctx.require_partnership().id,
                                                         Pledge.ended_at.is_(None)).order_by(Pledge.number)))


def ensure_same_partner(ctx: Context, member: Member, row: Pledge | Delivery, noun: str, listing: str) -> None:
    """A partner's record is changed by its own members (or a coordinator), never by another partner."""
    mine = partner_of(member, member.organisation)[0] == partner_of(row.member, row.organisation)[0]
    if not mine and member.role is not Role.COORDINATOR:
        owner = partner_of(row.member, row.organisation)[1]
        raise UserError(f"{noun.capitalize()} #{row.number} is {owner}'s; only its members or a coordinator can "
                        "change it.", f"Type `{listing}` to see whose each one is.")


@command(
    "pledge",
    usage='pledge time:"4h a month" money:"£500 a year" premises:"..." equipment:"..." in-kind:"..." note:"..."',
    examples=('pledge time:"4h a month" money:"£500 a year" note:"From the events budget"',
              'pledge premises:"The hall on Tuesday evenings" equipment:"A gazebo and 20 chairs"'),
    options=(*KINDS, "note"),
)
def pledge(ctx: Context, args: Args) -> Reply:
    """Pledge what your organisation brings: time, money, premises, equipment or help in kind.

    time: is hours and money: a sum with its currency, each `a week`, `a month`, `a year`
    or once (`£500`); the others are described in words. A new pledge of one kind replaces
    your organisation's last (kept in the record). Record what you give with `delivered`."""
    args.finish()
    kinds = [ContributionKind(k) for k in KINDS if k in args.options]
    if not kinds:
        raise UserError("Say what you pledge: " + ", ".join(f"`{k}:`" for k in KINDS) + ".",
                        'Type `pledge time:"4h a month"` or `pledge money:"£500 a year"`.')
    member = ctx.require_member()
    note = check_text(args.options["note"], "note", MAX_NOTE) if "note" in args.options else None
    key, name = partner_of(member, member.organisation)
    earlier = [p for p in standing_pledges(ctx) if partner_of(p.member, p.organisation)[0] == key]
    made: list[str] = []
    for kind in kinds:
        raw = args.options[kind.value]
        if kind in MEASURED:
            amount, currency, period = measure(kind, raw)
            text, period = note, period or Period.ONCE
        else:
            amount = currency = period = None
            text = check_text(raw, f"{kind.value} pledge", MAX_TITLE) + (f" ({note})" if note else "")
        new = Pledge(partnership_id=member.partnership_id, number=ctx.number(Pledge), member_id=member.id,
                     organisation=member.organisation, kind=kind, amount=amount, currency=currency, period=period,
                     text=text, created_at=ctx.now)
        ctx.session.add(new)
        ctx.session.flush()
        replaced = [p for p in earlier if p.kind is kind]
        for p in replaced:
            p.ended_at = ctx.now
        instead = f" (replacing #{', #'.join(str(p.number) for p in replaced)})" if replaced else ""
        ctx.record("pledge", f"pledged for {name}: {kind.value} {pledge_said(new)}{instead}", subject=new,
                   reason=note if kind in MEASURED else None)
        made.append(f"#{new.number} {kind.value}: {pledge_said(new)}{instead}")
    text = f"{name} pledges " + "; ".join(made) + "."
    if note and any(k in MEASURED for k in kinds):
        text += f" Note: {note.rstrip('.')}."
    return Reply(text=text + " Record what it gives with `delivered`.", audience=Audience.CHANNEL)


def nothing_pledged(ctx: Context) -> str:
    """What an empty list of pledges says: how to pledge, while the partnership runs (a wound-up one takes none)."""
    return "Nothing pledged." if ctx.over else 'Nothing pledged yet: `pledge time:"4h a month" money:"£500 a year"`.'


@command("pledges", usage="pledges", access=Access.READ, changes=False)
def pledges(ctx: Context, args: Args) -> Reply:
    """What each partner pledged and delivered: each pledge with what was delivered against what was due by now."""
    args.finish()
    p = ctx.require_partnership()
    today = ctx.now.astimezone(ctx.tz).date()
    rows = brought_in(ctx.session, p.id, today)
    sections = [Section(b.partner, partner_lines(ctx, b)) for b in rows]
    known = {b.key for b in rows}
    silent = sorted({name for key, name in (partner_of(m, m.organisation)
                                            for m in queries.active_members(ctx.session, p.id)
                                            if m.role is not Role.OBSERVER) if key not in known}, key=str.casefold)
    if silent:
        sections.append(Section("Nothing pledged or delivered yet", [Item(name) for name in silent]))
    return Reply(title=f"What each partner brings to {p.name}", sections=sections or [
        Section(None, [], empty=nothing_pledged(ctx))])


def partner_lines(ctx: Context, b: Brought) -> list[Item]:
    lines = [Item(f"#{x.pledge.number} {x.said(show_moment(x.pledge.created_at, ctx.tz, ctx.now))}")
             for x in b.promises]
    if b.deliveries:
        latest = b.deliveries[-1]
        lines.append(Item(f"Delivered in all: {', '.join(b.totals())}; latest #{latest.number} "
                          f"{delivered_said(latest)} ({show_day(latest.delivered_on, ctx.now.astimezone(ctx.tz).date())})"))
    return lines


@command("pledge withdraw", usage="pledge withdraw <number>", examples=("pledge withdraw 2",))
def withdraw(ctx: Context, args: Args) -> Reply:
    """Withdraw a pledge that no longer holds: your organisation's, or any (coordinators)."""
    number = args.take_id("pledge")
    args.finish()
    member = ctx.require_member()
    row = ctx.find_row(Pledge, number, "pledge", "pledges")
    if row.ended_at is not None:
        raise UserError(f"Pledge #{number} no longer stands: it was withdrawn or replaced "
                        f"{show_moment(row.ended_at, ctx.tz, ctx.now)}.", "Type `pledges` to see the standing ones.")
    ensure_same_partner(ctx, member, row, "pledge", "pledges")
    row.ended_at = ctx.now
    name = partner_of(row.member, row.organisation)[1]
    ctx.record("pledge-withdraw", f"withdrew pledge #{number} of {name} ({row.kind.value}: {pledge_said(row)})",
               subject=row)
    return Reply(text=f"Withdrew pledge #{number} of {name} ({row.kind.value}: {pledge_said(row)}).",
                 audience=Audience.CHANNEL)


@command(
    "delivered",
    usage='delivered <kind>:<amount> "what it was for" [on:<date>]',
    examples=('delivered money:£120 "Printing the leaflets"', 'delivered time:6h "Stewarding the fair" on:yesterday',
              'delivered premises:"The hall for the fair"'),
    options=(*KINDS, "on"),
)
def delivered(ctx: Context, args: Args) -> Reply:
    """Record a contribution your organisation delivered: time, money, premises, equipment or help in kind.

    One kind at a time; time: in hours, money: with its currency. on: is the day it was
    given (default today). It counts as giving in give and take, and against your pledge."""
    kinds = [ContributionKind(k) for k in KINDS if k in args.options]
    what = args.optional_text("what it was for", MAX_TITLE)
    args.finish()
    if len(kinds) != 1:
        raise UserError("Say what was delivered, one kind at a time." if kinds else
                        "Say what was delivered: " + ", ".join(f"`{k}:`" for k in KINDS) + ".",
                        'Type `delivered money:£120 "Printing the leaflets"` or `delivered time:6h "Stewarding"`.')
    kind = kinds[0]
    member = ctx.require_member()
    today = ctx.now.astimezone(ctx.tz).date()
    on = ctx.day(args.options["on"]) if "on" in args.options else today
    if on > today:
        raise UserError(f"{show_day(on, today)} is still to come; record a contribution once it is given.",
                        f"Give the day it was given, like `on:yesterday` or `on:{(today - timedelta(days=3)).isoformat()}`.")
    raw = args.options[kind.value]
    if kind in MEASURED:
        amount, currency, period = measure(kind, raw)
        if period is not None:
            raise UserError("A delivery is what was given, once: it has no period.",
                            f"Type `delivered {kind.value}:{quantity(kind, amount, currency)}` for what was given.")
        text = what
    else:
        amount = currency = None
        text = check_text(raw, kind.value, MAX_TITLE) + (f": {what}" if what else "")
    row = Delivery(partnership_id=member.partnership_id, number=ctx.number(Delivery), member_id=member.id,
                   organisation=member.organisation, kind=kind, amount=amount, currency=currency, text=text,
                   delivered_on=on, created_at=ctx.now)
    ctx.session.add(row)
    ctx.session.flush()
    name = partner_name(member)
    ctx.record("delivered", f"recorded #{row.number} delivered for {name}: {kind.value} {delivered_said(row)}",
               subject=row)
    said = f"{name} delivered {kind.value} {delivered_said(row)} (#{row.number}, {show_day(on, today)})."
    mine = next((b for b in brought_in(ctx.session, member.partnership_id, today)
                 if b.key == partner_of(member, member.organisation)[0]), None)
    kept = next((x for x in mine.promises if x.pledge.kind is kind), None) if mine else None
    if kept is not None and (why := not_counted(kept.pledge, row, today)) is not None:
        said += (f" It does not count towards its pledge #{kept.pledge.number} ({kept.pledge.kind.value}: "
                 f"{pledge_said(kept.pledge)}): {why}.")
    elif kept is not None:
        said += f" Against its pledge #{kept.pledge.number}: {kept.said(show_moment(kept.pledge.created_at, ctx.tz, ctx.now))}."
    return Reply(text=said, audience=Audience.CHANNEL)


@command("delivered undo", usage='delivered undo <number> ["why"]', examples=('delivered undo 3 "Entered twice"',))
def undo(ctx: Context, args: Args) -> Reply:
    """Undo a contribution recorded by mistake: your organisation's, or any (coordinators); the record keeps it."""
    number = args.take_id("delivery")
    reason = args.optional_text("reason", MAX_NOTE)
    args.finish()
    member = ctx.require_member()
    row = ctx.find_row(Delivery, number, "delivery", "pledges")
    if row.undone_at is not None:
        raise UserError(f"Delivery #{number} was already undone {show_moment(row.undone_at, ctx.tz, ctx.now)}.",
                        "Type `history about:contributions` to see it.")
    ensure_same_partner(ctx, member, row, "delivery", "pledges")
    row.undone_at = ctx.now
    name = partner_of(row.member, row.organisation)[1]
    ctx.record("delivered-undo", f"undid #{number}, delivered for {name}: {row.kind.value} {delivered_said(row)}",
               subject=row, reason=reason)
    return Reply(text=f"Undid #{number}: {name}'s {row.kind.value} {delivered_said(row)} no longer counts."
                      + (f" Why: {reason}" if reason else ""), audience=Audience.CHANNEL)
