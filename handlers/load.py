"""Load: each member's open work against the time they can give, so no volunteer burns out."""

from __future__ import annotations

from datetime import date

from handlers.context import Context
from handlers.describe import member_label
from handlers.errors import UserError
from handlers.judgements.load import (
    Someone,
    Workload,
    called,
    describe_load,
    risk_options,
    risk_said,
    room,
    workloads,
)
from handlers.life import standing, today_of
from handlers.parsing import Args
from handlers.registry import Access, command
from handlers.reply import Item, Reply, Section
from storage.models import Member


@command("load", usage="load [@name]", examples=("load", "load @bob"), access=Access.READ, changes=False)
def load(ctx: Context, args: Args) -> Reply:
    """Each member's hours a week of open work against their weekly capacity; flags anyone over it,
    and work at risk of missing its date.

    What is left of a commitment (all its effort until `progress` or `left` says otherwise) is
    spread evenly over the days from its start to its due date, so `~5h/week` means the hours
    needed in the next seven days: work due within them counts in full. Overdue work is
    counted apart, with its hours. Work handed over counts against whoever handed it until it
    is accepted. Spare capacity is at least an hour a week free. `load @bob`
    shows one member's line and work at risk, from the same figures."""
    partnership = ctx.require_partnership()
    mention = args.take_mention("whose load") if args.peek_mention() else None
    args.finish()
    loads = workloads(ctx.session, partnership.id, ctx.now)
    today = today_of(ctx)
    if mention is not None:
        return load_of(ctx, ctx.find_member(mention), loads, today)
    reply = Reply(title=f"Load in {partnership.name}",
                  sections=[Section(None, [Item(describe_load(w, today)) for w in loads], empty="No members yet.")])
    reply.sections += at_risk(loads, today)
    if loads and not loads[0].live:
        ended = standing(ctx, partnership) or "has ended"
        reply.text = f"{partnership.name} {ended}: nobody is flagged over capacity or at risk."
        return reply
    over = [w for w in loads if w.over_capacity]
    spare = room(loads)
    if over:
        names = ", ".join(called(loads)[w.member.id] for w in over)
        reply.text = f"Over capacity: {names}. Could someone take something on? Spare capacity: {spare}."
    else:
        reply.text = f"Nobody is over capacity. Spare capacity: {spare}."
    return reply


def at_risk(loads: list[Workload[Someone]], today: date) -> list[Section]:
    """The work at risk of missing its date in these workloads, soonest first: a section, or none."""
    risks = sorted(((r, w.member) for w in loads for r in w.risks), key=lambda found: found[0].work.due_at)
    names = called(loads)
    return [Section("At risk", [Item(f"{risk_said(r, names[m.id], today)}. {risk_options(r)}.")
                                for r, m in risks])] if risks else []


def load_of(ctx: Context, member: Member, loads: list[Workload[Someone]], today: date) -> Reply:
    """One member's line of `load`, their work at risk, and who has room if they are over."""
    shown = next((w for w in loads if w.member.id == member.id), None)
    if shown is None:
        raise UserError(f"{member_label(member)} is an observer, so carries no load.", "Type `load` to see everyone's.")
    reply = Reply(title=f"Load of {member_label(member)}", sections=[Section(None, [Item(describe_load(shown, today))]),
                                                                    *at_risk([shown], today)])
    if shown.over_capacity and shown.live:
        reply.text = f"Over capacity: could someone take something on? Spare capacity: {room(loads)}."
    return reply
