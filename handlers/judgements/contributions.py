"""What each partner brings: its pledges, and what it delivered against them.

A partner is an organisation, or a person who speaks for none (as in give and take). A
pledge of time or money has an amount per period (`4h a month`, `£500 a year`) or once (`£500`);
premises, equipment and help in kind are described in words. Against a pledge counts what
the same partner delivered of the same kind (and currency) from the day it was pledged.
What was due by now is, for a pledge per period, its amount for each period since then, pro
rata (`£500 a year` pledged three months ago: £125 so far), and for one given once, all of
it. A new pledge of one kind replaces the partner's last; withdrawn pledges and deliveries
undone count for nothing. Amounts are decimals throughout: a penny is never rounded away.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.dates import show_day
from handlers.judgements.signoff import organisation_key
from storage.models import ContributionKind, Delivery, Member, Period, Pledge

SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
PERIOD_DAYS = {Period.WEEK: Decimal(7), Period.MONTH: Decimal("30.4375"), Period.YEAR: Decimal("365.25")}
PERIOD_SAID = {Period.WEEK: "a week", Period.MONTH: "a month", Period.YEAR: "a year"}
MEASURED = (ContributionKind.TIME, ContributionKind.MONEY)
CENT = Decimal("0.01")


def money(amount: Decimal, currency: str) -> str:
    """`£500`, `€1,200.50`: whole sums without pence."""
    shown = f"{amount:,.2f}".removesuffix(".00")
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{shown}" if symbol else f"{shown} {currency}"


def hours(amount: Decimal) -> str:
    """`4h`, `1.5h`."""
    return f"{amount.normalize():f}h"


def quantity(kind: ContributionKind, amount: Decimal | None, currency: str | None) -> str:
    """An amount as people read it: hours or money; words alone for the other kinds."""
    if amount is None:
        return ""
    return money(amount, currency or "") if kind is ContributionKind.MONEY else hours(amount)


def pledge_said(p: Pledge) -> str:
    """`4h a month`, `£500 a year`, `£500 once`, `the hall on Tuesdays`."""
    if p.amount is None or p.period is None:
        return p.text or p.kind.value
    amount = quantity(p.kind, p.amount, p.currency)
    if p.period is Period.ONCE:
        return f"{amount} in all" if p.kind is ContributionKind.TIME else f"{amount} once"
    return f"{amount} {PERIOD_SAID[p.period]}"


def partner_of(member: Member, organisation: str | None) -> tuple[str, str]:
    """The partner a pledge or delivery is for, as (key, name): its organisation as named
    then, or the member who speaks for none."""
    if organisation:
        return "org:" + organisation_key(organisation), organisation
    return f"person:{member.person_id}", member.person.display_name


def delivered_said(d: Delivery) -> str:
    """`£120: Printing the leaflets`."""
    return ": ".join(filter(None, [quantity(d.kind, d.amount, d.currency), d.text])) or d.kind.value


@dataclass(frozen=True)
class Promise:
    """One standing pledge and how it is kept."""

    pledge: Pledge
    # Time and money: the total delivered since it was pledged, and what was due by now.
    delivered: Decimal | None
    due: Decimal | None
    # Any kind: how many deliveries of that kind since it was pledged.
    deliveries: int

    def said(self, since: str) -> str:
        """`money: £500 a year (events budget), since Tue 1 Dec: £120 delivered of £125 due so far`."""
        p = self.pledge
        note = f" ({p.text})" if p.text and p.kind in MEASURED else ""
        return f"{p.kind.value}: {pledge_said(p)}{note}, since {since}: {self.kept()}"

    def kept(self) -> str:
        """`£120 delivered of £125 due so far`, `2h of 10h delivered`, `delivered twice`."""
        p = self.pledge
        if p.kind not in MEASURED or self.delivered is None or self.due is None:
            return "delivered " + {0: "nothing yet", 1: "once", 2: "twice"}.get(self.deliveries,
                                                                              f"{self.deliveries} times")
        delivered, due = quantity(p.kind, self.delivered, p.currency), quantity(p.kind, self.due, p.currency)
        if p.period is Period.ONCE:
            return f"{delivered} of {due} delivered"
        if not self.due:
            return f"{delivered} delivered so far"
        return f"{delivered} delivered of {due} due so far"

    @property
    def short(self) -> bool:
        """Behind: less delivered than was due by now."""
        return self.delivered is not None and self.due is not None and self.delivered < self.due


@dataclass
class Brought:
    """One partner's standing pledges and everything it delivered."""

    key: str
    partner: str
    promises: list[Promise] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)

    def totals(self) -> list[str]:
        """What it delivered in all, by kind and currency: `£620, 14h, premises 2 times`."""
        sums: dict[tuple[ContributionKind, str | None], Decimal] = {}
        counts: dict[ContributionKind, int] = {}
        for d in self.deliveries:
            if d.amount is not None:
                sums[(d.kind, d.currency)] = sums.get((d.kind, d.currency), Decimal(0)) + d.amount
            else:
                counts[d.kind] = counts.get(d.kind, 0) + 1
        said = [quantity(kind, amount, currency) for (kind, currency), amount in sorted(
            sums.items(), key=lambda item: (item[0][0].value, item[0][1] or ""))]
        said += [f"{kind.value} {n} time{'' if n == 1 else 's'}" for kind, n in sorted(counts.items())]
        return said


def due_by(p: Pledge, today: date) -> Decimal | None:
    """What a pledge of time or money asked for by `today`: all of it once, pro rata per period."""
    if p.amount is None or p.period is None:
        return None
    if p.period is Period.ONCE:
        return p.amount
    days = Decimal(max(0, (today - p.created_at.date()).days))
    return (p.amount * days / PERIOD_DAYS[p.period]).quantize(CENT, ROUND_HALF_UP)


def not_counted(p: Pledge, d: Delivery, today: date) -> str | None:
    """Why a delivery of a pledge's kind does not count towards it (None when it does): one rule for
    the pledge's figures and for what `delivered` says of the delivery."""
    if p.kind is ContributionKind.MONEY and d.currency != p.currency:
        return f"it is in {d.currency} and the pledge in {p.currency}"
    if d.delivered_on < p.created_at.date():
        return (f"it was given on {show_day(d.delivered_on, today)}, before the pledge was made on "
                f"{show_day(p.created_at.date(), today)}")
    return None


def promise(p: Pledge, deliveries: Iterable[Delivery], today: date) -> Promise:
    """How one pledge is kept by the deliveries of its partner."""
    matching = [d for d in deliveries if d.kind is p.kind and not_counted(p, d, today) is None]
    delivered = sum((d.amount for d in matching if d.amount is not None), Decimal(0)) if p.kind in MEASURED else None
    return Promise(p, delivered, due_by(p, today), len(matching))


def brought(pledges: Iterable[Pledge], deliveries: Iterable[Delivery], today: date) -> list[Brought]:
    """Every partner's standing pledges, each with how it is kept, and its deliveries; by partner name."""
    partners: dict[str, Brought] = {}
    given = [d for d in deliveries if d.undone_at is None]
    for d in given:
        key, name = partner_of(d.member, d.organisation)
        partners.setdefault(key, Brought(key, name)).deliveries.append(d)
    for p in pledges:
        if p.ended_at is not None:
            continue
        key, name = partner_of(p.member, p.organisation)
        row = partners.setdefault(key, Brought(key, name))
        row.promises.append(promise(p, row.deliveries, today))
    for row in partners.values():
        row.promises.sort(key=lambda promise: list(ContributionKind).index(promise.pledge.kind))
    return sorted(partners.values(), key=lambda b: b.partner.casefold())


def brought_in(session: Session, partnership_id: int, today: date) -> list[Brought]:
    """A partnership's pledges and deliveries, in two statements."""
    pledges = session.scalars(select(Pledge).where(Pledge.partnership_id == partnership_id, Pledge.ended_at.is_(None))
                              .order_by(Pledge.created_at, Pledge.id))
    deliveries = session.scalars(select(Delivery).where(Delivery.partnership_id == partnership_id,
                                                        Delivery.undone_at.is_(None))
                                 .order_by(Delivery.delivered_on, Delivery.id))
    return brought(list(pledges), list(deliveries), today)
