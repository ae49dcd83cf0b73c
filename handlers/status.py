"""Status: what is happening, why, and when to expect it, for anyone affected.

Transparency is how a partnership keeps the trust of the people it serves: observers as
well as members can see the work under way, the reasons behind recent changes, and the
dates ahead, in one short reply.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers import life
from handlers.commitments import open_commitments
from handlers.context import Context
from handlers.dates import show_at, show_day
from handlers.decisions import PAUSED, closed_unsettled, closing
from handlers.describe import due_day, due_said, member_label
from handlers.history import event_line, events
from handlers.parsing import Args
from handlers.registry import Access, command
from handlers.reply import Item, Reply, Section, plural
from storage import queries
from storage.models import (
    Commitment,
    Concern,
    ConcernStatus,
    Decision,
    DecisionStatus,
    Event,
    Partnership,
    Priority,
    Review,
    Risk,
)

SOON = timedelta(days=7)
RECENT = 5
# Overdue work named in full; the rest counted, for `overdue` to list.
NAMED = 3
# The event log's changes that say why things are as they are (priorities have their own section).
WHY = ("decision-close", "decision-withdraw", "review-close", "resolve", "reopen", "drop", "hand-on", "edit",
       "commitment-reopen", "decline", "partnership-reopen")
# Closing tasks listed by name when a partnership has ended; the rest counted, for `who` to list.
CLOSING_NAMED = 10


def at(moment: datetime, ctx: Context) -> str:
    """`Fri 27 Nov 17:00`, in the reader's zone: a decision closes at a time, not on a day."""
    return show_at(moment, ctx.tz, ctx.now)


def happening(ctx: Context, p: Partnership, open_work: list[Commitment], deciding: list[Decision]) -> list[Item]:
    overdue = [c for c in open_work if c.due_at < ctx.now]
    soon = sum(ctx.now <= c.due_at <= ctx.now + SOON for c in open_work)
    concerns = ctx.session.scalar(select(func.count()).select_from(Concern).where(
        Concern.partnership_id == p.id, Concern.status == ConcernStatus.OPEN)) or 0
    items = [Item(f"{plural(len(open_work), 'open commitment')}: {len(overdue)} overdue, {soon} due in the next 7 days")]
    if overdue:
        items.append(Item(overdue_line(ctx, overdue)))
    items.append(Item(plural(concerns, "open concern") + (" (`concerns` lists them)" if concerns else "")))
    items += [Item(f'Decision #{d.number} "{d.title}" {closed_unsettled(d, p, ctx.tz, ctx.now)}') if closing(d, ctx.now)
              else Item(f'Deciding #{d.number} "{d.title}" by {d.mode.value}, closes {at(d.closes_at, ctx)}')
              for d in deciding]
    review = ctx.session.scalar(select(Review).where(Review.partnership_id == p.id, Review.closed_at.is_(None)))
    if review is not None:
        rated = Counter(a.member_id for a in review.answers)
        partly = sum(n < len(Risk) for n in rated.values())
        items.append(Item(f"A {review.kind.value} review is open since {at(review.opened_at, ctx)}: "
                          f"{plural(len(rated), 'member')} answered so far"
                          + (f", {partly} of them in part (`review` says what is missing)" if partly else "")))
    return items


def overdue_line(ctx: Context, overdue: list[Commitment]) -> str:
    """`Overdue: #1 Deliver leaflets (Bob, due Fri 27 Nov); ...`: the first few by name, then how many more."""
    today = ctx.now.astimezone(ctx.tz).date()
    named = "; ".join(f"#{c.number} {c.title} ({c.owner.person.display_name}, "
                      f"due {show_day(due_day(c), today)})" for c in overdue[:NAMED])
    more = len(overdue) - NAMED
    return f"Overdue: {named}" + (f" and {more} more (`overdue` lists them)" if more > 0 else "")


def priorities(ctx: Context, p: Partnership) -> list[Item]:
    """The partners' current priorities, latest first: what each is working towards."""
    rows = ctx.session.scalars(select(Priority).where(Priority.partnership_id == p.id, Priority.replaced_at.is_(None))
                               .order_by(Priority.set_at.desc(), Priority.id.desc()).limit(RECENT)).all()
    return [Item(f'{member_label(pr.member)}, since {at(pr.set_at, ctx)}: "{pr.text}"') for pr in rows]


def reasons(ctx: Context, p: Partnership) -> list[Item]:
    """The latest changes that carry a reason: decisions with their outcome, resolutions, new goals."""
    logged = ctx.session.scalars(events(p.id).where(Event.action.in_(WHY)).limit(RECENT)).all()
    return [Item(event_line(e, ctx.tz, ctx.now)) for e in logged]


def dates(ctx: Context, p: Partnership, open_work: list[Commitment], deciding: list[Decision]) -> list[Item]:
    today = ctx.now.astimezone(ctx.tz).date()
    items = [Item(f"#{c.number} {c.title} ({c.owner.person.display_name}): due {due_said(c, ctx.now)}")
             for c in [c for c in open_work if c.due_at >= ctx.now][:3]]
    items += [Item(f'Decision #{d.number} "{d.title}" closes {at(d.closes_at, ctx)}')
              for d in [d for d in deciding if not closing(d, ctx.now)][:3]]
    if p.next_review_on and p.next_review_on < today:
        items.append(Item(f"Review overdue since {show_day(p.next_review_on, today)}"))
    elif p.next_review_on:
        items.append(Item(f"Next review: {show_day(p.next_review_on, today)}"))
    if p.end_date:
        items.append(Item(f"Ends: {show_day(p.end_date, today)}"))
    return items


def deciding(session: Session, partnership_id: int) -> list[Decision]:
    """Proposals not yet settled, closing soonest first (those past closing are `closing`): the
    status, the public page and the dashboard share it."""
    return list(session.scalars(select(Decision).where(
        Decision.partnership_id == partnership_id, Decision.status == DecisionStatus.OPEN)
        .order_by(Decision.closes_at)).unique())


def what_is_left(ctx: Context, p: Partnership, open_work: list[Commitment], deciding: list[Decision]) -> list[Item]:
    """What is left of a partnership that has ended: its closing tasks, and what waits for a reopening."""
    overdue = sum(c.due_at < ctx.now for c in open_work)
    items = [Item(f"{plural(len(open_work), 'closing task')} left" + (f", {overdue} overdue" if overdue else "")
                  + (f": their owners finish them (`done {open_work[0].number}`), drop or hand them on"
                     if open_work else ": nothing is still to do"))]
    concerns = ctx.session.scalar(select(func.count()).select_from(Concern).where(
        Concern.partnership_id == p.id, Concern.status == ConcernStatus.OPEN)) or 0
    if concerns:
        items.append(Item(f"{plural(concerns, 'open concern')} (`concerns` lists them), kept as they were"))
    items += [Item(f'Proposal #{d.number} "{d.title}" {closed_unsettled(d, p, ctx.tz, ctx.now)}') if closing(d, ctx.now)
              else Item(f'Proposal #{d.number} "{d.title}" is {PAUSED}') for d in deciding]
    return items


def closing_dates(ctx: Context, open_work: list[Commitment]) -> list[Item]:
    """The only dates an ended partnership still has: its closing tasks' (no review, no decision, no end)."""
    items = [Item(f"Closing task #{c.number} {c.title} ({c.owner.person.display_name}): due "
                  f"{due_said(c, ctx.now)}") for c in open_work[:CLOSING_NAMED]]
    if len(open_work) > CLOSING_NAMED:
        items.append(Item(f"and {len(open_work) - CLOSING_NAMED} more closing tasks (`who` lists them)"))
    return items


@command("status", usage="status", access=Access.READ, changes=False)
def status(ctx: Context, args: Args) -> Reply:
    """What is happening here, why (recent decisions and reasons, the partners' priorities), and when
    (due dates, review, end); for a partnership that has ended, how and why it ended and its closing tasks."""
    args.finish()
    p = ctx.require_partnership()
    open_work = open_commitments(ctx.session, p.id)
    proposals = deciding(ctx.session, p.id)
    ended = life.standing(ctx, p, why=True)
    sections = [
        Section("What is happening", what_is_left(ctx, p, open_work, proposals) if ended
                else happening(ctx, p, open_work, proposals)),
        Section("Why: recent decisions and reasons", reasons(ctx, p), empty="No decisions or reasons recorded yet."),
    ]
    stated = priorities(ctx, p)
    if stated:
        sections.append(Section("Partners' priorities", stated))
    sections.append(Section("When", closing_dates(ctx, open_work) if ended else dates(ctx, p, open_work, proposals),
                            empty=f"No dates ahead: {p.name} has ended." if ended else "No dates ahead."))
    said = [p.purpose] if p.purpose else []
    if ended:
        settle = ', or settle what it left open with `partnership wind-up "why"`.' \
            if p.closed_at is None and open_work and queries.coordinators(ctx.session, p.id) else "."
        said.insert(0, f"{p.name} {ended}. Nothing new starts in it; {life.reopening(ctx, p)}{settle}")
    return Reply(title=f"Status of {p.name}", text="\n".join(said) or None, sections=sections)
