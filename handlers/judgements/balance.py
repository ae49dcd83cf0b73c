"""Give and take: what each partner gives the partnership and what it asks of the others.

A partner is an organisation, or a person who speaks for none. It **gives** the work its
members delivered (commitments marked done) and the other partners' work its members took
on (a handover they accepted, or did): its flexibility put to use. It **asks** when another
partner takes on its members' work (a handover from one of them, accepted or done). Work
taken on and then dropped counts for neither. A contribution it delivered (`delivered`: hours,
money, premises, equipment, help in kind) is giving too; a pledge is promised, not yet given.
Each piece counts for the partner its member spoke for at the time: when the work was done,
handed over, or given. Who typed a command does not matter: a coordinator logging agreed work for others neither
gives nor asks, and raising a concern is negotiation, not taking. Open work is promised,
not yet given; a declined handover gave nothing and asked nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from handlers.describe import hours
from handlers.judgements.contributions import partner_of, quantity
from handlers.reply import plural
from storage.models import Commitment, CommitmentStatus, ContributionKind, Delivery, Handover, Member, Role

# A partner "asks more than it gives" when its asks are at least this many...
MIN_ASKS = 2
# ...and more than this many times what it gives.
RATIO = 2
ACCEPTED = "accepted"
# The give-and-take table's columns, the same wherever it is shown (the dashboard, health.md):
# the two figures the chart draws, then what each counts.
HEAD = ("Partner", "Gives", "Delivered", "Hours delivered", "Took on from others", "Hours taken on", "Contributions",
        "Asks: handed to others", "Hours handed")


@dataclass
class Balance:
    """What one partner gives and asks, in commitments and their hours of effort."""

    partner: str
    delivered: int = 0
    delivered_hours: float = 0.0
    took_on: int = 0
    took_on_hours: float = 0.0
    handed_on: int = 0
    handed_on_hours: float = 0.0
    # Contributions delivered (`delivered`): hours and money summed by kind and currency,
    # premises, equipment and help in kind counted.
    contributed: int = 0
    contributed_sums: dict[tuple[ContributionKind, str | None], Decimal] = field(default_factory=dict)

    @property
    def gives(self) -> int:
        return self.delivered + self.took_on + self.contributed

    @property
    def asks(self) -> int:
        return self.handed_on

    @property
    def out_of_balance(self) -> bool:
        return self.asks >= MIN_ASKS and self.asks > RATIO * self.gives

    def contributions(self) -> str:
        """`£120, 6h, premises 1`: what its contributions came to, by kind and currency."""
        return ", ".join(quantity(kind, amount, currency) if kind in (ContributionKind.TIME, ContributionKind.MONEY)
                         else f"{kind.value} {int(amount)}"
                         for (kind, currency), amount in sorted(self.contributed_sums.items(),
                                                                key=lambda item: (item[0][0].value, item[0][1] or "")))

    def cells(self) -> list[str]:
        """The partner's row under `HEAD`, so every table of give and take shows the chart's figures alike."""
        return [self.partner, str(self.gives), str(self.delivered), hours(round(self.delivered_hours, 1)),
                str(self.took_on), hours(round(self.took_on_hours, 1)),
                f"{self.contributed} ({self.contributions()})" if self.contributed else "0",
                str(self.asks), hours(round(self.handed_on_hours, 1))]

    def describe(self) -> str:
        """`Chamber of Trade: gave 2 (delivered 1, 3h; took on 1 from others, 2h), asked 5 (handed 5 to others, 9h)`;
        contributions delivered, when there are any, as `; contributed 2: £120, 6h`."""
        contributed = f"; contributed {self.contributed}: {self.contributions()}" if self.contributed else ""
        return (f"{self.partner}: gave {self.gives} (delivered {self.delivered}, {hours(round(self.delivered_hours, 1))}; "
                f"took on {self.took_on} from others, {hours(round(self.took_on_hours, 1))}{contributed}), "
                f"asked {self.asks} "
                f"({plural(self.handed_on, 'commitment')} handed to others, {hours(round(self.handed_on_hours, 1))})")


def balances(session: Session, partnership_id: int) -> list[Balance]:
    """Every partner's give and take, the furthest out of balance first.

    Each piece is credited to the partner its member spoke for at the time, as recorded with it
    (done work when it was done, a handover when it was handed, a contribution when it was
    given): a member who changes organisation leaves what they did for the old one with it."""
    everyone = {m.id: m for m in session.scalars(select(Member).where(Member.partnership_id == partnership_id))}
    table: dict[str, Balance] = {}

    def row_of(member: Member, organisation: str | None) -> Balance:
        """The partner's row: the organisation as named then, or the person who spoke for none;
        the row keeps the name it was first written with."""
        key, name = partner_of(member, organisation)
        return table.setdefault(key, Balance(name))

    for m in everyone.values():
        if m.active and m.role is not Role.OBSERVER:
            row_of(m, m.organisation)  # every partner at the table has a row, even with nothing yet
    # Plain rows: a commitment object would join in its owner and person, for years of history.
    for owner_id, organisation, effort in session.execute(
            select(Commitment.owner_id, Commitment.delivered_for, Commitment.effort_hours).where(
                Commitment.partnership_id == partnership_id, Commitment.status == CommitmentStatus.DONE)):
        row = row_of(everyone[owner_id], organisation)
        row.delivered += 1
        row.delivered_hours += effort or 0.0
    # Accepted, or done by whoever it was handed to without a word; work then dropped gave nothing.
    taken = and_(Commitment.status != CommitmentStatus.DROPPED,
                 or_(Handover.answer == ACCEPTED,
                     and_(Handover.answer.is_(None), Commitment.status == CommitmentStatus.DONE,
                          Commitment.owner_id == Handover.to_member_id)))
    for giver_id, giver_for, taker_id, taker_for, effort in session.execute(
            select(Handover.from_member_id, Handover.from_organisation, Handover.to_member_id,
                   Handover.to_organisation, Commitment.effort_hours)
            .join(Commitment, Commitment.id == Handover.commitment_id)
            .where(Handover.partnership_id == partnership_id, taken)):
        giver, taker = row_of(everyone[giver_id], giver_for), row_of(everyone[taker_id], taker_for)
        if giver is taker:
            continue  # within one organisation: neither gives to nor asks of another
        taker.took_on += 1
        taker.took_on_hours += effort or 0.0
        giver.handed_on += 1
        giver.handed_on_hours += effort or 0.0
    for member_id, organisation, kind, amount, currency in session.execute(
            select(Delivery.member_id, Delivery.organisation, Delivery.kind, Delivery.amount, Delivery.currency)
            .where(Delivery.partnership_id == partnership_id, Delivery.undone_at.is_(None))):
        row = row_of(everyone[member_id], organisation)
        row.contributed += 1
        row.contributed_sums[(kind, currency)] = row.contributed_sums.get((kind, currency), Decimal(0)) + (amount or 1)
    return sorted(table.values(), key=lambda b: (b.gives - RATIO * b.asks, b.partner))
