"""Concerns: tensions and problems, raised as soon as they arise and negotiated to a resolution."""

from __future__ import annotations

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from handlers import life, reopen_codes
from handlers.context import Context
from handlers.dates import age, show_moment
from handlers.describe import member_label
from handlers.email import announcements
from handlers.errors import UserError
from handlers.history import event_line
from handlers.parsing import ID, MAX_NOTE, Args, choose
from handlers.registry import Access, command
from handlers.reply import Action, Audience, Item, Reply, Section, plural
from storage import queries
from storage.models import Concern, ConcernKind, ConcernNote, ConcernStatus, Event, Role, Severity

KINDS = [k.value for k in ConcernKind]
SEVERITIES = [s.value for s in Severity]
# The event log's actions that settle a concern or unsettle it (no other capability logs these).
SETTLING = ("resolve", "reopen")
# What people type after `concern` when they mean another command on one (`concern reopen 2`):
# pointed to it, rather than raised as a new concern named "reopen 2" and announced.
MEANT = {"reopen": 'reopen concern {n} "why"', "resolve": 'resolve {n} "what was agreed"',
         "discuss": 'discuss {n} "your view"', "see": "concerns {n}", "show": "concerns {n}", "view": "concerns {n}"}
# Who wrote a note the anonymous raiser added with their code: no name is kept to show.
THE_RAISER = "the raiser (anonymous)"


def find_concern(ctx: Context, concern_id: int) -> Concern:
    return ctx.find_row(Concern, concern_id, "concern", "concerns")


def raiser(c: Concern) -> str:
    return "anonymous" if c.raised_by is None else member_label(c.raised_by)


def talk_actions(c: Concern) -> tuple[Action, ...]:
    """The two ways forward on an open concern: keep talking, or write down what was agreed."""
    return (Action("Discuss", f'discuss {c.number} "..."'),
            Action("Resolve", f'resolve {c.number} "what was agreed"', primary=True))


def actions_for(ctx: Context, c: Concern) -> tuple[Action, ...]:
    """The ways forward the reader may take: members discuss, coordinators resolve, and a
    resolved concern is reopened by a coordinator or whoever raised it. An observer gets none.
    Once the partnership is wound up or ended, a coordinator may still record what was agreed
    on one left open, and nothing else is offered, since nothing else would be taken."""
    member = ctx.member
    if member is None or member.role is Role.OBSERVER:
        return ()
    coordinator = member.role is Role.COORDINATOR
    if ctx.over:  # a concern is only ever read in its own partnership
        if not coordinator or c.status is not ConcernStatus.OPEN:
            return ()
        return tuple(a for a in talk_actions(c) if a.command.startswith("resolve"))
    if c.status is not ConcernStatus.OPEN:
        mine = c.raised_by_id == member.id
        return (Action("Reopen...", f'reopen concern {c.number} "..."'),) if coordinator or mine else ()
    return tuple(a for a in talk_actions(c) if coordinator or not a.command.startswith("resolve"))


def settling(session: Session, partnership_id: int, concern_ids: list[int]) -> list[Event]:
    """The resolutions and reopenings of these concerns, oldest first: an agreement reopened stays in view."""
    if not concern_ids:
        return []
    return list(session.scalars(select(Event).where(
        Event.partnership_id == partnership_id, Event.action.in_(SETTLING), Event.subject_kind == "concern",
        Event.subject_id.in_(concern_ids)).order_by(Event.created_at, Event.id)))


def concern_item(ctx: Context, c: Concern, notes: int, agreed_before: str | None = None) -> Item:
    text = f"#{c.number} {c.title} · {c.kind.value}, {c.severity.value} · raised {age(c.created_at, ctx.now)} by {raiser(c)}"
    if notes:
        text += f" · {plural(notes, 'note')}"
    if agreed_before:
        text += f" · reopened, agreed before: {agreed_before}"
    return Item(text, actions_for(ctx, c))


@command(
    "concern",
    usage='concern "What worries you"',
    examples=('concern "The budget split favours the council" kind:priorities severity:high',
              'concern "Meetings clash with school pick-up" kind:time anonymous',
              'concern "The chair talks over volunteers" anonymous in:"Riverside Partnership"'),
    options=("kind", "severity"),
    flags=("anonymous",),
)
def raise_concern(ctx: Context, args: Args) -> Reply:
    """Raise a concern so it can be negotiated now, not left to fester.

    kind: priorities, resources, time, people, goals, process or other; severity: low,
    medium (the default) or high. Add `anonymous` and your name is not kept at all: send it
    to the bot in a direct message, adding `in:"Partnership name"` if you are in several."""
    anonymous = "anonymous" in args.flags
    if anonymous and not ctx.actor.private:
        raise UserError("An anonymous concern can't be raised here: everyone here would see who typed it.",
                        "Raise it privately: send it to me in a direct message, or in Slack type "
                        "`/partner concern` alone for a private form.")
    refuse_a_command_meant(args)
    text = args.take_text("concern")
    args.finish()
    member = ctx.require_member()
    c = Concern(
        partnership_id=member.partnership_id,
        number=ctx.number(Concern),
        raised_by_id=None if anonymous else member.id,
        title=text,
        kind=ConcernKind(choose(args.options.get("kind", "other"), KINDS, "concern kind")),
        severity=Severity(choose(args.options.get("severity", "medium"), SEVERITIES, "severity")),
        created_at=ctx.now,
    )
    code = reopen_codes.issue(c) if anonymous else None
    ctx.session.add(c)
    ctx.session.flush()
    ctx.record("concern", f"raised concern #{c.number} {text} ({c.kind.value}, {c.severity.value})", subject=c,
               anonymous=anonymous)
    who = "Someone" if anonymous else member_label(member)
    return announcements.by_mail(ctx, Reply(
        title=f"Concern #{c.number} raised",
        text=f"{who} raised: {text} ({c.kind.value}, {c.severity.value}). Let's talk it through while it's fresh.",
        actions=list(talk_actions(c)),
        audience=Audience.CHANNEL,
        private_note=reopen_codes.first_note(c, code, ctx.naming_for(ctx.person.id)) if code else None,
    ), announcements.CONCERN, c, anonymous)


# Built once, the partnership bound at each execution (see queries.CHANNEL_CONTEXT): most
# severe first, each with how many notes it has and, when it was resolved and then reopened,
# the last agreement, in the one statement rather than a query for each.
NOTES = (select(func.count(ConcernNote.id)).where(ConcernNote.concern_id == Concern.id)
         .correlate(Concern).scalar_subquery())
LAST_AGREED = (select(Event.reason)
               .where(Event.partnership_id == Concern.partnership_id, Event.subject_kind == "concern",
                      Event.subject_id == Concern.id, Event.action == "resolve")
               .order_by(Event.created_at.desc(), Event.id.desc()).limit(1)
               .correlate(Concern).scalar_subquery())
OPEN_CONCERNS = (select(Concern, NOTES, LAST_AGREED)
                 .where(Concern.partnership_id == bindparam("partnership_id"), Concern.status == ConcernStatus.OPEN)
                 .order_by(case({"high": 0, "medium": 1, "low": 2}, value=Concern.severity), Concern.created_at))


def open_concerns(ctx: Context, partnership_id: int) -> list[Item]:
    """A partnership's open concerns as list items, most severe first: each counts its notes and,
    reopened, shows the last agreement beside it."""
    rows = ctx.session.execute(OPEN_CONCERNS, {"partnership_id": partnership_id}).all()
    return [concern_item(ctx, c, notes, agreed) for c, notes, agreed in rows]


def refuse_a_command_meant(args: Args) -> None:
    """`concern 2` or `concern reopen 2`, unquoted: another command on concern #2 was meant."""
    plain = [t.text for t in args.words if not t.quoted]
    number = ID.fullmatch(plain[-1]) if plain else None
    if number is None or len(plain) != len(args.words) or len(plain) > 2:
        return
    verb = plain[0].casefold() if len(plain) == 2 else "see"
    if verb in MEANT:
        meant = MEANT[verb].format(n=number[1])
        said = "see" if meant.startswith("concerns") else verb
        raise UserError(f"`concern` raises a new concern. To {said} concern #{number[1]}, type `{meant}`.",
                        'To raise one, say it in quotes: `concern "What worries you"`.')


@command("concerns", usage="concerns [number]", examples=("concerns", "concerns 4"), access=Access.READ, changes=False)
def concerns(ctx: Context, args: Args) -> Reply:
    """Open concerns with their age, most severe first; with a number, one concern and its discussion."""
    if args.has_more():
        return thread(ctx, find_concern(ctx, args.take_id("concern")), args)
    partnership = ctx.require_partnership()
    return Reply(title=f"Open concerns in {partnership.name}",
                 sections=[Section(None, open_concerns(ctx, partnership.id), empty="No open concerns.")])


def thread(ctx: Context, c: Concern, args: Args) -> Reply:
    args.finish()
    fields = [("Status", c.status.value), ("Raised", f"{show_moment(c.created_at, ctx.tz, ctx.now)} by {raiser(c)}"),
              ("Kind", f"{c.kind.value}, {c.severity.value}")]
    if c.resolution:
        fields.append(("Agreed", c.resolution))
    notes = [Item(f"{n.author.display_name if n.author else THE_RAISER} ({show_moment(n.created_at, ctx.tz, ctx.now)}): "
                  f"{n.text}") for n in c.notes]
    actions = list(actions_for(ctx, c))
    sections = [Section("Discussion", notes, empty="No notes yet.")]
    history = settling(ctx.session, c.partnership_id, [c.id])
    if any(e.action == "reopen" for e in history):
        sections.append(Section("Agreed before, and reopened", [Item(event_line(e, ctx.tz, ctx.now)) for e in history]))
    return Reply(title=f"Concern #{c.number}: {c.title}", fields=fields, sections=sections, actions=actions)


@command("discuss", usage='discuss <number> "your view"', options=("code",), flags=("anonymous",),
         examples=('discuss 4 "Could we split it 50/50 next year?"',
                   'discuss 4 "It happened again on 3 Jan" anonymous code:k7qm-3xtp-9wna-r2fd-h8ce-vb4j'))
def discuss(ctx: Context, args: Args) -> Reply:
    """Add your view to a concern's discussion.

    Raised it anonymously? Add `anonymous` and the last code you were shown, in a direct message
    to me: your note is shown as from the raiser (anonymous), and you are given a new code."""
    c = find_concern(ctx, args.take_id("concern"))
    text = args.take_text("note", MAX_NOTE)
    code = args.options.get("code")
    anonymous = code is not None or "anonymous" in args.flags
    args.finish()
    usage = f'discuss {c.number} "your view" anonymous code:...'
    if code is not None and not ctx.actor.private:
        return reopen_codes.exposed(ctx, c, code, usage)
    if code is None and anonymous:
        raise UserError("Only whoever raised a concern anonymously can add to it without their name, with the code "
                        "they were shown.", f"If that is you, send me privately: `{usage}`. Otherwise leave out "
                        f'`anonymous`: `discuss {c.number} "your view"`.')
    if c.status is not ConcernStatus.OPEN:
        raise UserError(f"Concern #{c.number} is resolved.", reopen_hint(ctx, c, anonymous))
    author, said, note = ctx.person.id, ctx.person.display_name, None
    if code is not None:
        refused = reopen_codes.check(ctx, c, code, usage)
        if refused is not None:
            return refused  # not raised: the wrong code is counted, so the count must be kept
        author, said, note = None, THE_RAISER.capitalize(), reopen_codes.renew(c, "Your code has been used.",
                                                                           ctx.naming_for(ctx.person.id))
    ctx.session.add(ConcernNote(concern_id=c.id, author_id=author, text=text, created_at=ctx.now))
    ctx.record("discuss", f"commented on concern #{c.number} {c.title}", subject=c, reason=text,
               anonymous=author is None)
    return Reply(text=f"{said} on concern #{c.number} ({c.title}): {text}",
                 audience=Audience.CHANNEL, private_note=note)


def reopen_hint(ctx: Context, c: Concern, anonymous: bool = False) -> str:
    """How the asker can take a resolved concern up again, as they may: a coordinator or its
    raiser reopens it; anyone else is pointed to them (by name), or to a new concern. None of
    that once the partnership is over: only reopening it comes first."""
    p = ctx.require_partnership()
    if p.over(ctx.now):
        return f"{p.name} is over, so nothing in it can be reopened: {life.reopening(ctx, p)}."
    if anonymous:
        return f'Reopen it first, privately: `reopen concern {c.number} "why" code:...`.'
    if ctx.is_coordinator() or (ctx.member is not None and c.raised_by_id == ctx.member.id):
        return f'To take it up again: `reopen concern {c.number} "why"`.'
    ask = f"a coordinator ({coordinators(ctx, c)})"
    if c.raised_by is not None:
        ask += f" or {member_label(c.raised_by)}, who raised it,"
    hint = f'Ask {ask} to reopen it, or raise a new concern: `concern "what still worries you"`.'
    if c.raised_by is None:
        hint += f' If you raised it, send me privately: `reopen concern {c.number} "why" code:...`.'
    return hint


def open_hint(ctx: Context, c: Concern) -> str:
    """What can be done with a concern that is still open: talk, and, for a coordinator, settle it."""
    talk = f'Add your view: `discuss {c.number} "your view"`'
    if ctx.is_coordinator():
        return f'{talk}, or record what was agreed: `resolve {c.number} "what was agreed"`.'
    return f"{talk}; once it is agreed, a coordinator ({coordinators(ctx, c)}) records it with `resolve`."


def coordinators(ctx: Context, c: Concern) -> str:
    """Who to ask about the concern: its partnership's coordinators, by name."""
    return " or ".join(m.person.display_name for m in queries.coordinators(ctx.session, c.partnership_id))


@command("resolve", usage='resolve <number> "what was agreed"', access=Access.COORDINATOR,
         examples=('resolve 4 "Split 50/50 from April; review in June"',), after_end=True)
def resolve(ctx: Context, args: Args) -> Reply:
    """Record what was agreed and close a concern (coordinators), also once the partnership is
    wound up or ended, so no concern is left open for ever."""
    c = find_concern(ctx, args.take_id("concern"))
    agreed = args.take_text("agreement", MAX_NOTE)
    args.finish()
    if c.status is ConcernStatus.RESOLVED:
        raise UserError(f"Concern #{c.number} is already resolved: `concerns {c.number}` shows what was agreed.",
                        reopen_hint(ctx, c))
    c.status, c.resolution, c.resolved_by_id, c.resolved_at = ConcernStatus.RESOLVED, agreed, ctx.person.id, ctx.now
    ctx.record("resolve", f"resolved concern #{c.number} {c.title}", subject=c, reason=agreed)
    return Reply(title=f"Concern #{c.number} resolved", text=f"{c.title}\nAgreed: {agreed}", audience=Audience.CHANNEL)


@command("reopen concern", usage='reopen concern <number> "why"', options=("code",),
         examples=('reopen concern 4 "The split was not kept"',
                   'reopen concern 4 "The split was not kept" code:k7qm-3xtp-9wna-r2fd-h8ce-vb4j'))
def reopen(ctx: Context, args: Args) -> Reply:
    """Reopen a resolved concern, saying why (coordinators, or whoever raised it); what was agreed stays on record.

    Raised it anonymously? Add the code you were shown, in a direct message to me, and it is
    reopened with no name kept, as it was raised."""
    c = find_concern(ctx, args.take_id("concern"))
    if not args.has_more():
        raise UserError(f'Say why it is reopened, so everyone can see: `reopen concern {c.number} "why"`.')
    reason = args.take_text("reason", MAX_NOTE)
    code = args.options.get("code")
    args.finish()
    member = ctx.require_member()
    usage = f'reopen concern {c.number} "why" code:...'
    if code is not None and not ctx.actor.private:
        return reopen_codes.exposed(ctx, c, code, usage)
    if c.status is ConcernStatus.OPEN:  # before any code is compared: an open concern tells nothing of its code
        raise UserError(f"Concern #{c.number} is already open.", f'Add to its discussion without your name: '
                        f'`discuss {c.number} "your view" anonymous code:...`.' if code else open_hint(ctx, c))
    if code is not None:
        refused = reopen_codes.check(ctx, c, code, usage)
        if refused is not None:
            return refused  # not raised: the wrong code is counted, so the count must be kept
    elif member.role is not Role.COORDINATOR and c.raised_by_id != member.id:
        if c.reopen_code_hash is not None:
            raise UserError(f"Concern #{c.number} was raised anonymously: coordinators can reopen it, and so can "
                            "whoever raised it, with the private code they were given.", reopen_hint(ctx, c))
        raise UserError("Only coordinators or whoever raised it can reopen a concern.", reopen_hint(ctx, c))
    c.status, c.resolution, c.resolved_at, c.resolved_by_id = ConcernStatus.OPEN, None, None, None
    c.reopened_at = ctx.now
    ctx.record("reopen", f"reopened concern #{c.number} {c.title}", subject=c, reason=reason, anonymous=code is not None)
    reply = Reply(text=f"Concern #{c.number} ({c.title}) is open again.", audience=Audience.CHANNEL)
    if code is not None:  # a code works once: the raiser gets the next one, privately
        reply.private_note = reopen_codes.renew(c, "Your code has been used.", ctx.naming_for(ctx.person.id))
    return reply
