"""A partnership's life: running, wound up by a review, or past its end date.

Once wound up or ended it is read-only: the dispatcher refuses every command that would
change it (`ensure_live`), so no command needs a check of its own, and the sweeps nudge
nobody about it (`Partnership.over`). What was still open then are its closing tasks: the
commands that finish, drop, hand on or pass one on still work (`after_end`), so nobody is
stuck holding a promise, and one settled by mistake can be reopened. Nothing new starts; a
coordinator can still record what was agreed on a concern left open (`resolve`), and reopens
the partnership itself with `partnership reopen`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.context import Context
from handlers.dates import show_day, show_moment
from handlers.describe import due_day
from handlers.errors import UserError
from handlers.parsing import Args, retyped
from handlers.recurring import Rule
from handlers.registry import Access, Command
from handlers.reply import plural
from storage import queries
from storage.lines import LINES, lines
from storage.models import Commitment, CommitmentSeries, CommitmentStatus, Partnership, Person, Review, ReviewOutcome

# Open work a new end date leaves due after it, listed by name; the rest counted.
LISTED = 5


def today_of(ctx: Context) -> date:
    """The reader's today: a partnership runs to the end of its end date, in their zone."""
    return ctx.now.astimezone(ctx.tz).date()


def last_moment(end: date, tz: ZoneInfo) -> datetime:
    """When a partnership whose last day is `end`, set by someone in zone `tz`, is over: the
    midnight after it there (`Partnership.ends_at`)."""
    return datetime.combine(end + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)


def ended(p: Partnership, now: datetime) -> bool:
    """Past its end date, whether or not it was also wound up: its last day is over where the
    coordinator who set it lives (`Partnership.ends_at`), the same moment for every reader."""
    return p.ends_at is not None and p.ends_at <= now


def ended_at(p: Partnership, now: datetime) -> datetime | None:
    """When it stopped running: wound up or past its end date, whichever came first; None while
    it runs. Work settled after it was a closing task (`reopen commitment` may undo that)."""
    return min((m for m in (p.closed_at, p.ends_at) if m is not None and m <= now), default=None)


def wind_up_review(session: Session, p: Partnership) -> Review | None:
    """The review that wound the partnership up, with who closed it and why (the latest, if it
    was reopened since); None while it is not wound up."""
    if p.closed_at is None:
        return None
    return session.scalar(select(Review).where(Review.partnership_id == p.id, Review.outcome == ReviewOutcome.WIND_UP)
                          .order_by(Review.closed_at.desc(), Review.id.desc()).limit(1))


def standing(ctx: Context, p: Partnership, why: bool = False) -> str | None:
    """How it stands, to follow its name (`was wound up on Fri 1 Jan by Alice`, with `why` adding
    `: "The funding ended"`); None while it runs."""
    today = today_of(ctx)
    if p.closed_at is not None:
        review = wind_up_review(ctx.session, p)
        by = ctx.session.get(Person, review.closed_by_id) if review is not None and review.closed_by_id else None
        said = f"was wound up on {show_moment(p.closed_at, ctx.tz, ctx.now)}" + (f" by {by.display_name}" if by else "")
        if why and review is not None and review.decision:
            said += f': "{shortened(review.decision)}"'
        return said
    if ended(p, ctx.now):
        assert p.end_date is not None
        return f"ended on its end date, {show_day(p.end_date, today)}"
    return None


def shortened(text: str, limit: int = 120) -> str:
    """A reason short enough to follow a name in a list; the history keeps it whole."""
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


def new_end_example(today: date) -> str:
    """An end date three months on, to show how `end:` is typed."""
    return (today + relativedelta(months=3)).isoformat()


def reopening(ctx: Context, p: Partnership) -> str:
    """Who can reopen it, and how: one past its end date needs a new end date too; one whose
    last coordinator left has nobody who can."""
    if not queries.coordinators(ctx.session, p.id):
        return "nobody coordinates it now, so nobody can reopen it"
    if ended(p, ctx.now):
        return f'a coordinator can reopen it with `partnership reopen "why" end:{new_end_example(today_of(ctx))}`'
    return 'a coordinator can reopen it with `partnership reopen "why"`'


def due_after_end(p: Partnership, due: date) -> bool:
    """Whether a due day, on its owner's calendar, falls after the partnership's end date."""
    return p.end_date is not None and due > p.end_date


def after_end_said(ctx: Context, day: date) -> str | None:
    """`Fri 30 Apr 2027 is after Harbour Project's end date, Wed 31 Mar 2027`, when a day (on its
    owner's calendar) falls after the end date of a partnership still running; None otherwise.
    Once it is over, a closing task may still be moved."""
    p = ctx.require_partnership()
    if not due_after_end(p, day) or p.over(ctx.now):
        return None
    today = today_of(ctx)
    return f"{show_day(day, today)} is after {p.name}'s end date, {show_day(p.end_date, today)}"


def moving_the_end(ctx: Context) -> str:
    """How a partnership that runs longer than its end date says so first."""
    end = ctx.require_partnership().end_date
    assert end is not None
    return f"if the partnership runs longer, a coordinator moves its end first: `partnership edit end:{new_end_example(end)}`"


def ensure_due_by_end(ctx: Context, due: date, head: str, options: dict[str, str], flags: Iterable[str] = ()) -> None:
    """Refuse a due day after the end date (`after_end_said`): work due once it is over is a
    promise nobody could keep in it, as a series makes no occurrence then (`recurring.last_day`).
    The refusal gives the command typed (`head` and its `options`) again with the end date."""
    said = after_end_said(ctx, due)
    if said is None:
        return
    end = ctx.require_partnership().end_date
    assert end is not None
    raise UserError(f"{said}: work due then could not be delivered by the partnership.",
                    f"Give a date by its end: `{retyped(head, {**options, 'by': end.isoformat()}, flags)}`; "
                    f"{moving_the_end(ctx)}.")


def ensure_until_by_end(ctx: Context, until: date, head: str, options: dict[str, str], flags: Iterable[str] = ()) -> None:
    """Refuse a series' last day after the end date (`after_end_said`): it would stop at the end
    date all the same, without a word (`recurring.last_day`). The command typed without `until:`
    repeats to the end date, and on with it if the end moves."""
    said = after_end_said(ctx, until)
    if said is None:
        return
    without = {k: v for k, v in options.items() if k != "until"}
    raise UserError(f"until:{said}: the series would stop at the end date all the same.",
                    f"Leave `until:` out, and it repeats to the end date (and on, if the end moves): "
                    f"`{retyped(head, without, flags)}`; {moving_the_end(ctx)}.")


def left_after_end(ctx: Context, p: Partnership) -> str:
    """What a new end date leaves after it, for the coordinator who set it to move or settle
    (` Note: ...`): work due after it, and series it stops before their own last day; empty
    when nothing is."""
    if p.end_date is None:
        return ""
    said = " ".join(part for part in (due_late(ctx, p, p.end_date), cut_short(ctx, p, p.end_date)) if part)
    return f" Note: {said}" if said else ""


def due_late(ctx: Context, p: Partnership, end: date) -> str:
    """The open work due after the end date (`due_after_end`), and how to move it; empty when none is."""
    # A superset: a due day after the end date ends, on any calendar, after its first moment in UTC.
    near = lines(ctx.session, LINES.where(Commitment.partnership_id == p.id, Commitment.status == CommitmentStatus.OPEN,
                                          Commitment.due_at > datetime.combine(end, time(), tzinfo=UTC))
                 .order_by(Commitment.due_at, Commitment.id))
    late = [c for c in near if due_after_end(p, due_day(c))]
    if not late:
        return ""
    today = today_of(ctx)
    listed = ", ".join(f"#{c.number} {c.title} ({show_day(due_day(c), today)})" for c in late[:LISTED])
    more = f" and {len(late) - LISTED} more" if len(late) > LISTED else ""
    return (f"{plural(len(late), 'open commitment')} {'is' if len(late) == 1 else 'are'} due after the end "
            f"date: {listed}{more}. Move each by then, like `edit {late[0].number} by:{end.isoformat()}`, or settle it.")


def cut_short(ctx: Context, p: Partnership, end: date) -> str:
    """The series still running whose `until:` is after the end date (`due_after_end`, the test
    `ensure_until_by_end` refuses one typed now by): they stop at the end date instead, so the
    coordinator hears which, and how to run one to its last day; empty when none is."""
    latest: dict[int, tuple[int, str, str, date]] = {}  # by series: its latest open occurrence
    for series_id, number, title, rule, until in ctx.session.execute(
            select(CommitmentSeries.id, Commitment.number, Commitment.title, CommitmentSeries.rule,
                   CommitmentSeries.until)
            .join(Commitment, Commitment.series_id == CommitmentSeries.id)
            .where(Commitment.partnership_id == p.id, Commitment.status == CommitmentStatus.OPEN,
                   CommitmentSeries.until.is_not(None))
            .order_by(Commitment.id)):
        if due_after_end(p, until):
            latest[series_id] = (number, title, rule, until)
    if not latest:
        return ""
    today = today_of(ctx)
    cut = sorted(latest.values())
    listed = ", ".join(f"#{number} {title} (every {Rule(rule).said}, until {show_day(until, today)})"
                       for number, title, rule, until in cut[:LISTED])
    more = f" and {len(cut) - LISTED} more" if len(cut) > LISTED else ""
    one = len(cut) == 1
    return (f"{len(cut)} series {'stops' if one else 'stop'} at the end date now, before {'its' if one else 'their'} "
            f"own last day: {listed}{more}. To run {'it' if one else 'one'} to its last day, move the end there: "
            f"`partnership edit end:{cut[0][3].isoformat()}`.")


def ensure_live(ctx: Context, cmd: Command, args: Args) -> None:
    """Refuse a command that would change a wound-up or ended partnership, saying since when,
    by whom, and how a coordinator reopens it. Reading, leaving, reopening and the commands
    that settle a closing task (`done`, `drop`, `progress`, `hand on`...) or an open concern
    (`resolve`) still work."""
    if not cmd.changes_as_typed(args) or cmd.after_end or cmd.access is Access.ANYONE:
        return
    ensure_running(ctx)


def ensure_running(ctx: Context) -> None:
    """The same refusal for the part of an `after_end` command that would start something new
    (a decision or an action in the minutes of a meeting held before the end)."""
    p = ctx.partnership
    state = standing(ctx, p) if p is not None else None
    if p is None or state is None:
        return
    how = reopening(ctx, p)
    raise UserError(f"{p.name} {state}, so nothing new can start in it, and only its closing tasks can still be "
                    "finished, dropped or handed on, and its open concerns resolved; its history stays readable.",
                    f"{how[0].upper()}{how[1:]}.")
