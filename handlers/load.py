"""Load: each member's open work against the time they can give, so no volunteer burns out."""

from __future__ import annotations

from handlers.context import Context
from handlers.judgements.load import describe_load, risk_options, risk_said, room, workloads
from handlers.life import standing
from handlers.parsing import Args
from handlers.registry import Access, command
from handlers.reply import Item, Reply, Section


@command("load", usage="load", access=Access.READ, changes=False)
def load(ctx: Context, args: Args) -> Reply:
    """Each member's hours a week of open work against their weekly capacity; flags anyone over it,
    and work at risk of missing its date.

    What is left of a commitment (all its effort until `progress` or `left` says otherwise) is
    spread evenly over the days from its start to its due date, so `~5h/week` means the hours
    needed in the next seven days: work due within them counts in full. Overdue work is
    counted apart, with its hours. Spare capacity is at least an hour a week free."""
    args.finish()
    partnership = ctx.require_partnership()
    loads = workloads(ctx.session, partnership.id, ctx.now)
    today = ctx.now.astimezone(ctx.tz).date()
    reply = Reply(title=f"Load in {partnership.name}",
                  sections=[Section(None, [Item(describe_load(w, today)) for w in loads], empty="No members yet.")])
    risks = [(r, w.member) for w in loads for r in w.risks]
    if risks:
        reply.sections.append(Section("At risk", [
            Item(f"{risk_said(r, m.display_name, today)}. {risk_options(r)}.")
            for r, m in sorted(risks, key=lambda found: found[0].work.due_at)]))
    if loads and not loads[0].live:
        ended = standing(ctx, partnership) or "has ended"
        reply.text = f"{partnership.name} {ended}: nobody is flagged over capacity or at risk."
        return reply
    over = [w for w in loads if w.over_capacity]
    spare = room(loads)
    if over:
        names = ", ".join(w.member.display_name for w in over)
        reply.text = f"Over capacity: {names}. Could someone take something on? Spare capacity: {spare}."
    else:
        reply.text = f"Nobody is over capacity. Spare capacity: {spare}."
    return reply
