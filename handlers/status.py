"""Status: what is happening, why, and when to expect it, for anyone affected.

Transparency is how a partnership keeps the trust of the people it serves: observers as
well as members can see the work under way, the reasons behind recent changes, and the
dates ahead, in one short reply.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.commitments import open_commitments
from handlers.context import Context
from handlers.dates import show_day, show_due
from handlers.history import event_line, events
from handlers.parsing import Args
from handlers.registry import Access, command
from handlers.reply import Item, Reply, Section, plural
from storage.models import Commitment, Concern, ConcernStatus, Decision, DecisionStatus, Event, Partnership, Review

SOON = timedelta(days=7)
RECENT = 5
# The event log's changes that say why things are as they are.
WHY = ("decision-close", "decision-withdraw", "review-close", "resolve", "reopen", "drop", "priority", "edit",
       "commitment-reopen", "decline", "partnership-reopen")


def at(moment: datetime, ctx: Context) -> str:
    """`Fri 27 Nov 17:00`, in the reader's zone: a decision closes at a time, not on a day."""
    local = moment.astimezone(ctx.tz)
    return f"{show_day(local.date(), ctx.now.astimezone(ctx.tz).date())} {local:%H:%M}"


def happening(ctx: Context, p: Partnership, open_work: list[Commitment], deciding: list[Decision]) -> list[Item]:
    overdue = sum(c.due_at < ctx.now for c in open_work)
    soon = sum(ctx.now <= c.due_at <= ctx.now + SOON for c in open_work)
    concerns = ctx.session.scalar(select(func.count()).select_from(Concern).where(
        Concern.partnership_id == p.id, Concern.status == ConcernStatus.OPEN)) or 0
    items = [Item(f"{plural(len(open_work), 'open commitment')}: {overdue} overdue, {soon} due in the next 7 days"),
             Item(plural(concerns, "open concern") + (" (`concerns` lists them)" if concerns else ""))]
    items += [Item(f'Deciding #{d.id} "{d.title}" by {d.mode.value}, closes {at(d.closes_at, ctx)}') for d in deciding]
    review = ctx.session.scalar(select(Review).where(Review.partnership_id == p.id, Review.closed_at.is_(None)))
    if review is not None:
        answered = len({a.member_id for a in review.answers})
        items.append(Item(f"A {review.kind.value} review is open since {at(review.opened_at, ctx)}: "
                          f"{plural(answered, 'member')} answered so far"))
    return items


def reasons(ctx: Context, p: Partnership) -> list[Item]:
    """The latest changes that carry a reason: decisions with their outcome, resolutions, new goals."""
    logged = ctx.session.scalars(events(p.id).where(Event.action.in_(WHY)).limit(RECENT)).all()
    return [Item(event_line(e, ctx.tz, ctx.now)) for e in logged]


def dates(ctx: Context, p: Partnership, open_work: list[Commitment], deciding: list[Decision]) -> list[Item]:
    today = ctx.now.astimezone(ctx.tz).date()
    items = [Item(f"#{c.id} {c.title} ({c.owner.person.display_name}): due {show_due(c.due_at, ctx.tz, ctx.now)}")
             for c in [c for c in open_work if c.due_at >= ctx.now][:3]]
    items += [Item(f'Decision #{d.id} "{d.title}" closes {at(d.closes_at, ctx)}') for d in deciding[:3]]
    if p.next_review_on:
        items.append(Item(f"Next review: {show_day(p.next_review_on, today)}"))
    if p.end_date:
        items.append(Item(f"Ends: {show_day(p.end_date, today)}"))
    return items


def deciding(session: Session, partnership_id: int) -> list[Decision]:
    """Proposals still open, closing soonest first: the status, the public page and the dashboard share it."""
    return list(session.scalars(select(Decision).where(
        Decision.partnership_id == partnership_id, Decision.status == DecisionStatus.OPEN)
        .order_by(Decision.closes_at)).unique())


@command("status", usage="status", access=Access.READ, changes=False)
def status(ctx: Context, args: Args) -> Reply:
    """What is happening here, why (recent decisions and reasons), and when (due dates, review, end)."""
    args.finish()
    p = ctx.require_partnership()
    open_work = list(ctx.session.scalars(open_commitments(p.id)))
    proposals = deciding(ctx.session, p.id)
    return Reply(title=f"Status of {p.name}", text=p.purpose, sections=[
        Section("What is happening", happening(ctx, p, open_work, proposals)),
        Section("Why: recent decisions and reasons", reasons(ctx, p), empty="No decisions or reasons recorded yet."),
        Section("When", dates(ctx, p, open_work, proposals), empty="No dates ahead."),
    ])
