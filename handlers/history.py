"""History: the event log of who changed what, when and why, with filters.

Transparency means anyone affected can see what changed and why. Acts done anonymously
were logged without a name, so they stay anonymous here.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select

from handlers.context import Context
from handlers.dates import moments_shown
from handlers.decisions import CHANGED, hidden_changes
from handlers.errors import UserError
from handlers.parsing import Args, choose, plain_name
from handlers.registry import Access, command
from handlers.reply import Action, Item, Reply, Section, plural
from storage import numbering, queries
from storage.models import Commitment, Concern, Decision, Delivery, Event, Flexibility, Goal, Interest, Member, Person, Pledge

PAGE = 20
# Actions that may be logged without a name (an anonymous concern, and its reopening and its
# raiser's notes, by code); other nameless ones are the bot's.
ANONYMOUS = ("concern", "reopen", "discuss")
# What each `about:` word covers, by the event log's action names.
ABOUT: dict[str, tuple[str, ...]] = {
    "commitments": ("commit", "done", "drop", "hand-on", "reassign", "snooze", "commitment-edit", "commitment-reopen",
                    "progress", "accept", "decline", "missed"),
    "concerns": ("concern", "discuss", "resolve", "reopen"),
    "members": ("away", "join", "join-request", "join-approve", "join-decline", "account-link",
                "member-add", "member-role", "member-remove", "member-update", "member-perspective",
                "organisation-join", "organisation-leave"),
    "agreement": ("agreement-edit", "agreement-sign", "signature-void", "organisation-join", "organisation-leave"),
    "contributions": ("pledge", "pledge-withdraw", "delivered", "delivered-undo"),
    "goals": ("goal", "goal-edit", "goal-drop", "goal-reopen", "reading", "reading-undo"),
    "interests": ("interest", "interest-withdraw"),
    "decisions": ("propose", "respond", CHANGED, "decision-close", "decision-withdraw", "decision-results",
                  "proxy", "proxy-withdraw", "meeting-decision"),
    "meetings": ("meeting-propose", "meeting-answer", "meeting-schedule", "meeting-move", "meeting-cancel", "agenda-add",
                 "agenda-move", "agenda-drop", "minutes", "minutes-approve", "meeting-decision"),
    "reviews": ("review-start", "review-answer", "review-close"),
    "successors": ("successor", "successor-clear"),
    "priorities": ("priority",),
    "flexibility": ("flex", "flex-withdraw"),
    "partnership": ("setup", "edit", "use", "nudge-set", "partnership-reopen", "publish", "room-code", "room-link",
                    "room-unlink"),
}


# What `history <kind> <number>` can name, with the command that lists each kind's numbers.
NUMBERED: dict[str, tuple[type[queries.Numbered], str]] = {
    "commitment": (Commitment, "who"), "concern": (Concern, "concerns"), "decision": (Decision, "decisions"),
    "offer": (Flexibility, "flex"), "goal": (Goal, "goals"), "pledge": (Pledge, "pledges"),
    "delivery": (Delivery, "pledges"), "interest": (Interest, "interests"),
}
# What a number alone (`history 12`) may mean: the everyday kinds; the others are named (`history goal 1`).
BARE = ("commitment", "concern", "decision", "offer")


def event_line(e: Event, tz: ZoneInfo, now: datetime) -> str:
    """`Tue 24 Nov 10:00 Bob marked #3 Book the hall done — 800 delivered`, in the reader's zone,
    the times written into its summary too."""
    local = e.created_at.astimezone(tz)
    stamp = local.strftime("%a %-d %b %H:%M" if local.year == now.astimezone(tz).year else "%a %-d %b %Y %H:%M")
    who = e.actor.display_name if e.actor else "someone" if e.action in ANONYMOUS else "partnerbot"
    reason = f" — {one_line(e.reason)}" if e.reason else ""
    return f"{stamp} {who} {moments_shown(e.summary, tz, now)}{reason}"


def one_line(text: str) -> str:
    """A several-line reason (a decision's outcome) as sentences on one line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(line if line[-1] in ".!?" or n == len(lines) - 1 else line + "." for n, line in enumerate(lines))


def events(partnership_id: int) -> Select[tuple[Event]]:
    return (select(Event).where(Event.partnership_id == partnership_id, ~hidden_changes())
            .order_by(Event.created_at.desc(), Event.id.desc()))


def person_in(ctx: Context, mention: str) -> Person:
    """Anyone who has ever been a member, so the history of those who left stays readable."""
    wanted = mention.removeprefix("@")
    partnership = ctx.require_partnership()
    ever = list(ctx.session.scalars(select(Member).where(Member.partnership_id == partnership.id)))
    return ctx.one_of(wanted, ever, UserError(f"@{plain_name(wanted, 60)} has never been a member of {partnership.name}.",
                                              "Type `members` to see who is.")).person


@command(
    "history",
    usage="history [who:@name] [about:<what>] [since:<date>] [commitment|concern|decision|offer|goal|pledge|delivery|"
          "interest <number>] [page:<n>]",
    examples=("history", "history who:@bob", "history about:concerns since:2026-11-01", "history commitment 12",
              "history 12", "history goal 1", "history page:2"),
    access=Access.READ,
    options=("who", "about", "since", "page"),
    changes=False,
)
def history(ctx: Context, args: Args) -> Reply:
    """The event log, newest first: who changed what, when and why.

    Filters: who:@name; about: commitments, concerns, members, decisions, reviews,
    successors, priorities, flexibility, partnership, agreement, contributions, goals or
    interests; since:<date>; `commitment 12`, `concern 12`, `decision 12`, `offer 12`,
    `goal 1`, `pledge 2`, `delivery 3` or `interest 1` for one of them (a number alone, when
    only one commitment, concern, decision or offer has it). Shows 20 at a time; page:2 for
    older ones."""
    kind = args.words.pop(0).text.lower() if args.words and args.words[0].text.lower() in NUMBERED else None
    number = args.take_id(kind or "commitment, concern, decision or offer") if kind or args.has_more() else None
    args.finish()
    partnership = ctx.require_partnership()
    query = events(partnership.id)
    said: list[str] = []
    if "who" in args.options:
        person = person_in(ctx, args.options["who"])
        query = query.where(Event.actor_id == person.id)
        said.append(f"who:@{person.user_id}")
    if "about" in args.options:
        about = choose(args.options["about"], list(ABOUT), "subject")
        query = query.where(Event.action.in_(ABOUT[about]))
        said.append(f"about:{about}")
    if "since" in args.options:
        day = ctx.day(args.options["since"])
        query = query.where(Event.created_at >= datetime.combine(day, time(0), tzinfo=ctx.tz))
        said.append(f"since:{day.isoformat()}")
    if number is not None:
        kind, subject = subject_of(ctx, kind, number)
        query = query.where(*queries.about(subject))
        said.append(f"{kind} {number}")
    page = page_number(args.options.get("page", "1"))
    rows = ctx.session.scalars(query.offset((page - 1) * PAGE).limit(PAGE + 1)).all()
    if not rows and page > 1:
        past_the_end(ctx, query, said, page)
    title = f"History of {partnership.name}" + (f" ({' '.join(said)})" if said else "")
    if page > 1:
        title += f", page {page}"
    reply = Reply(title=title, sections=[Section(None, [Item(event_line(e, ctx.tz, ctx.now)) for e in rows[:PAGE]],
                                                 empty="Nothing in the log matches.")])
    if len(rows) > PAGE:
        reply.actions = [Action("Older", " ".join(["history", *said, f"page:{page + 1}"]))]
    return reply


def past_the_end(ctx: Context, query: Select[tuple[Event]], said: list[str], page: int) -> None:
    """Refuse a page beyond the last, naming the last one (or saying nothing matches at all)."""
    total = ctx.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    if not total:
        raise UserError("Nothing in the log matches, on any page.",
                        "Type " + (f"`history {' '.join(said)}`" if said else "`history`") + " to check.")
    last = -(-total // PAGE)
    entries = "1 entry fills" if total == 1 else f"{total} entries fill"
    raise UserError(f"There is no page {page}: {entries} {plural(last, 'page')}.",
                    f"Type `{' '.join(['history', *said, *([f'page:{last}'] if last > 1 else [])])}` for the oldest.")


def subject_of(ctx: Context, kind: str | None, number: int) -> tuple[str, queries.Numbered]:
    """The row `history [kind] <number>` means; a number several kinds share is refused, naming each."""
    if kind is not None:
        model, listing = NUMBERED[kind]
        return kind, ctx.find_row(model, number, kind, listing)
    partnership = ctx.require_partnership()
    found = [(k, row) for k in BARE
             if (row := numbering.by_number(ctx.session, NUMBERED[k][0], partnership.id, number)) is not None]
    if not found:
        raise UserError(f"There is no commitment, concern, decision or offer #{number} in {partnership.name}.",
                        "Type `history` to see the whole log.")
    if len(found) > 1:
        kinds = [k for k, _ in found]
        raise UserError(f"#{number} is {' and '.join(('an ' if k[0] in 'aeiou' else 'a ') + k for k in kinds)} "
                        f"in {partnership.name}: say which.",
                        "Type " + " or ".join(f"`history {k} {number}`" for k in kinds) + ".")
    return found[0]


def page_number(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 10_000:
        raise UserError(f"`page:{text[:20]}` isn't a page number; write it like `page:2`.")
    return int(text)
