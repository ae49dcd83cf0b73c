"""Status: what is happening, why, and when to expect it, for anyone affected.

Transparency is how a partnership keeps the trust of the people it serves: observers as
well as members can see the work under way, the reasons behind recent changes, and the
dates ahead, in one short reply.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select

from handlers.commitments import open_commitments
from handlers.context import Context
from handlers.dates import show_day, show_due
from handlers.history import event_line, events
from handlers.parsing import Args
from handlers.registry import Access, command
from handlers.reply import Item, Reply, Section, plural
from storage.models import Concern, ConcernStatus, Event

SOON = timedelta(days=7)
RECENT = 5
# Changes whose reason is worth telling even when none was typed: a partner's new goal,
# the partnership's own settings.
TELLING = ("priority", "edit")


@command("status", usage="status", access=Access.READ)
def status(ctx: Context, args: Args) -> Reply:
    """What is happening here, why (recent decisions and reasons), and when (due dates, review, end)."""
    args.finish()
    p = ctx.require_partnership()
    today = ctx.now.astimezone(ctx.tz).date()
    open_work = ctx.session.scalars(open_commitments(p.id)).all()
    overdue = sum(c.due_at < ctx.now for c in open_work)
    soon = [c for c in open_work if ctx.now <= c.due_at <= ctx.now + SOON]
    concerns = ctx.session.scalar(select(func.count()).select_from(Concern).where(
        Concern.partnership_id == p.id, Concern.status == ConcernStatus.OPEN)) or 0
    what = [Item(f"{plural(len(open_work), 'open commitment')}: {overdue} overdue, {len(soon)} due in the next 7 days"),
            Item(f"{plural(concerns, 'open concern')}" + (" (`concerns` lists them)" if concerns else ""))]
    why_rows = ctx.session.scalars(events(p.id).where(or_(Event.reason.is_not(None), Event.action.in_(TELLING)))
                                   .limit(RECENT)).all()
    why = [Item(event_line(e, ctx.tz, ctx.now)) for e in why_rows]
    when = [Item(f"#{c.id} {c.title} ({c.owner.person.display_name}): due {show_due(c.due_at, ctx.tz, ctx.now)}")
            for c in [c for c in open_work if c.due_at >= ctx.now][:3]]
    if p.next_review_on:
        when.append(Item(f"Next review: {show_day(p.next_review_on, today)}"))
    if p.end_date:
        when.append(Item(f"Ends: {show_day(p.end_date, today)}"))
    return Reply(title=f"Status of {p.name}", text=p.purpose, sections=[
        Section("What is happening", what),
        Section("Why: recent decisions and reasons", why, empty="No decisions or reasons recorded yet."),
        Section("When", when, empty="No dates ahead."),
    ])
