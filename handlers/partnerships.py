"""Partnerships: set one up, see it, change it, and link channels to it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import bindparam, func, select, update

from handlers import ending, life, rooms
from handlers.context import Context
from handlers.dates import show_at, show_day
from handlers.errors import UserError
from handlers.judgements import signoff
from handlers.judgements.load import members_now
from handlers.parsing import MAX_NOTE, Args, check_text, choose, parse_hours
from handlers.registry import Access, command
from handlers.reply import Action, Audience, Item, Reply, Section, plural
from storage import queries
from storage.models import (
    ChannelLink,
    Commitment,
    CommitmentStatus,
    Concern,
    ConcernStatus,
    Decision,
    DecisionStatus,
    Formality,
    Joining,
    Member,
    Partnership,
    PartnershipKind,
    Person,
    ReviewCadence,
    Role,
)

KINDS = [k.value for k in PartnershipKind]
CADENCES = [c.value for c in ReviewCadence]
FORMALITIES = [f.value for f in Formality]
JOININGS = [j.value for j in Joining]
LATECOMERS = ["count", "not-counted"]
INTERESTS = ["count", "exclude"]
CADENCE_MONTHS = {
    ReviewCadence.MONTHLY: 1,
    ReviewCadence.QUARTERLY: 3,
    ReviewCadence.HALF_YEARLY: 6,
    ReviewCadence.YEARLY: 12,
}
SETTINGS = ("kind", "formality", "purpose", "terms", "goals", "end", "review", "joining", "latecomers", "interests",
            "reminders")
EDITS = ("name", *SETTINGS)
# The longest a proposal's reminder can come before it closes: two weeks.
MAX_REMIND_HOURS = 336


def next_review(cadence: ReviewCadence, after: date) -> date:
    """One cadence on from `after`, on a working day: a Saturday or Sunday moves to the Monday
    after, so the full period has passed and the review meets in the working week."""
    day = after + relativedelta(months=CADENCE_MONTHS[cadence])
    return day + timedelta(days=7 - day.weekday()) if day.weekday() >= 5 else day


@command(
    "setup",
    usage='setup "Name" kind:<kind>',
    examples=(
        'setup "Riverside Partnership" kind:umbrella-forum review:quarterly purpose:"Revive the riverside"',
        'setup "Market Square Project" kind:project end:"end of next year" formality:formal',
    ),
    access=Access.ANYONE,
    options=SETTINGS,
)
def setup(ctx: Context, args: Args) -> Reply:
    """Start a partnership; you become its first coordinator.

    Kinds: steering-group, task-force, development-trust, umbrella-forum, project.
    Also: formality:informal|formal, purpose:"...", terms:"..." (terms of reference),
    goals:"...", end:<date> (required for a project), review:monthly|quarterly|half-yearly|yearly
    (sustained partnerships default to quarterly). This channel is linked to it if it is free.
    The name must differ from your other partnerships' and this channel's: others in the
    workspace may use it too, unseen."""
    name = args.take_text("partnership name", 120)
    args.finish()
    if "kind" not in args.options:
        raise UserError(f"Say what kind of partnership it is: `kind:` one of {', '.join(KINDS)}.")
    actor = ctx.actor
    queries.lock(ctx.session, Person, ctx.person.id)  # one person's two setups at once take turns
    check_name_free(ctx, name)
    partnership = Partnership(
        platform=actor.platform,
        workspace=actor.workspace,
        name=name,
        name_key=queries.name_key(name),
        kind=PartnershipKind(choose(args.options["kind"], KINDS, "partnership kind")),
        created_at=ctx.now,
    )
    apply_settings(ctx, partnership, args.options)
    ensure_end(ctx, partnership)
    keep_reviewed(ctx, partnership)
    ctx.session.add(partnership)
    ctx.session.flush()
    ctx.session.add(
        Member(partnership_id=partnership.id, person_id=ctx.person.id, role=Role.COORDINATOR, joined_at=ctx.now)
    )
    linked = queries.channel_link(ctx.session, actor.platform, actor.workspace, actor.channel)
    if linked is None:
        ctx.session.add(ChannelLink(platform=actor.platform, workspace=actor.workspace,
                                    channel=actor.channel, partnership_id=partnership.id))
        where = f"This {actor.place} is now its home."
    else:
        where = (f"This {actor.place} still works with {ctx.session.get(Partnership, linked.partnership_id).name}; "
                 f'type `use "{name}"` where you want this one.')
    ctx.partnership = partnership
    ctx.record("setup", f"set up {name} ({partnership.kind.value})")
    reply = describe(ctx, partnership)
    reply.title = f"{name} is set up"
    reply.text = f"You are its first coordinator. {where}"
    reply.audience = Audience.CHANNEL
    reply.actions = [
        Action("Join", 'join org:"Your organisation" sector:community'),
        Action("Add a partner", 'member add @name org:"Their organisation" sector:voluntary'),
    ]
    return reply


def check_name_free(ctx: Context, name: str, renaming: Partnership | None = None) -> None:
    """Refuse a name the person already sees: one of their partnerships', or this channel's.
    The answer never depends on partnerships they cannot see, so trying names tells a
    stranger nothing, and nobody can take a name first to keep others from it."""
    seen = [p for p in ctx.own_partnerships_named(name) if p is not renaming]
    actor = ctx.actor
    link = queries.channel_link(ctx.session, actor.platform, actor.workspace, actor.channel)
    here = ctx.session.get(Partnership, link.partnership_id) if link else None
    if here is not None and here is not renaming and here.name_key == queries.name_key(name):
        seen.append(here)
    if seen:
        where = "This channel's partnership is" if here in seen else "One of your partnerships is"
        raise UserError(f"{where} already called {seen[0].name}.",
                        f'Pick another name, like `setup "{name} 2" kind:task-force`.' if renaming is None
                        else f'Pick another name, like `partnership edit name:"{name} 2"`.')


def keep_reviewed(ctx: Context, partnership: Partnership) -> None:
    """A partnership with no end must be sustained: without a cadence of its own it is
    reviewed quarterly, and one without a next review date gets one from its cadence."""
    if partnership.end_date is None and partnership.review_cadence is None:
        partnership.review_cadence = ReviewCadence.QUARTERLY
    if partnership.review_cadence is not None and partnership.next_review_on is None:
        partnership.next_review_on = next_review(partnership.review_cadence, ctx.now.astimezone(ctx.tz).date())


def ensure_end(ctx: Context, partnership: Partnership) -> None:
    """A project has a natural end: refuse one without an end date, with an example still to come."""
    if partnership.kind is PartnershipKind.PROJECT and partnership.end_date is None:
        example = life.new_end_example(ctx.now.astimezone(ctx.tz).date())
        raise UserError(f"A project partnership has a natural end: add `end:` with its end date, like `end:{example}`.")


def reminder_hours(value: str) -> int:
    """Whole hours from 1 to 14 days, or none (0)."""
    if value.strip().lower() == "none":
        return 0
    hours = parse_hours(value, "reminders")
    if hours != int(hours) or not 1 <= hours <= MAX_REMIND_HOURS:
        raise UserError(f"reminders: is whole hours from 1 to {MAX_REMIND_HOURS}, like `reminders:24h`, "
                        f"or `reminders:none`; not `{value[:20]}`.")
    return int(hours)


def apply_settings(ctx: Context, partnership: Partnership, options: dict[str, str]) -> list[str]:
    """Validate and apply setting options; return what changed, for the event log."""
    changed = []
    today = ctx.now.astimezone(ctx.tz).date()
    for key, value in options.items():
        if key == "kind":
            partnership.kind = PartnershipKind(choose(value, KINDS, "partnership kind"))
        elif key == "formality":
            partnership.formality = Formality(choose(value, FORMALITIES, "formality"))
        elif key in ("purpose", "terms", "goals"):
            if partnership.id is not None and signoff.current_version(ctx.session, partnership.id) is not None:
                sections = 'roles:"..." decisions:"..." joining:"..."' if key == "terms" else f'{key}:"..."'
                raise UserError(f"{partnership.name}'s {key} {'is' if key == 'purpose' else 'are'} written in its "
                                "agreement now, which every partner organisation signs.",
                                f'Type `agreement edit {sections} why:"..."` to change it.')
            setattr(partnership, key, check_text(value, key, MAX_NOTE))
        elif key == "end" and value.lower() == "none":
            partnership.end_date = partnership.ends_at = None
        elif key == "end":
            end = ctx.day(value)
            if end <= today:
                raise UserError(f"The end date {show_day(end, today)} must be after today.",
                                f"Type a later one, like `end:{life.new_end_example(today)}`.")
            partnership.end_date, partnership.ends_at = end, life.last_moment(end, ctx.tz)
        elif key == "joining":
            partnership.joining = Joining(choose(value, JOININGS, "joining"))
        elif key == "latecomers":
            partnership.count_latecomers = choose(value, LATECOMERS, "latecomers") == "count"
        elif key == "interests":
            partnership.interests_excluded = choose(value, INTERESTS, "interests setting") == "exclude"
        elif key == "reminders":
            partnership.remind_hours = reminder_hours(value)
        elif key == "review":
            cadence = ReviewCadence(choose(value, CADENCES, "review cadence"))
            partnership.review_cadence = cadence
            partnership.next_review_on = next_review(cadence, today)
        changed.append(key)
    return changed


@command("partnership", usage="partnership", access=Access.READ, aliases=("info",), changes=False)
def show(ctx: Context, args: Args) -> Reply:
    """Show this partnership: purpose, terms, goals, dates, coordinators and how it stands."""
    args.finish()
    return describe(ctx, ctx.require_partnership())


def describe(ctx: Context, p: Partnership) -> Reply:
    today = ctx.now.astimezone(ctx.tz).date()
    members = members_now(ctx.session, p.id)
    open_commitments, open_concerns = open_counts(ctx, p.id)
    fields = [("Kind", f"{p.kind.value} ({p.formality.value})")]
    fields += [(label, value) for label, value in
               (("Purpose", p.purpose), ("Terms of reference", p.terms), ("Goals", p.goals)) if value]
    state = life.standing(ctx, p, why=True)
    if p.end_date:
        fields.append(("Planned end" if p.closed_at else "Ends", show_day(p.end_date, today)))
    if state:
        fields.append(("Read-only", f"it {state}; {life.reopening(ctx, p)}"))
    if p.review_cadence and not state:
        next_on = show_day(p.next_review_on, today) if p.next_review_on else "not set"
        fields.append(("Review", f"{p.review_cadence.value}, next {next_on}"))
    fields.append(("Joining", "a coordinator approves newcomers" if p.joining_rule is Joining.APPROVAL
                   else "open to anyone here"))
    fields.append(("Latecomers", "counted in decisions opened before they joined" if p.count_latecomers
                   else "respond to decisions opened before they joined, but are not counted"))
    fields.append(("Interests", "a member who declares an interest in a proposal is not counted on it"
                   if p.interests_excluded else "members who declare an interest in a proposal are still counted on it"))
    fields.append(("Reminders", f"members who have not responded to a proposal hear of it {p.remind_hours}h before "
                   "it closes" if p.remind_hours else "none before a proposal closes"))
    coordinators = [m.display_name for m in members if m.role is Role.COORDINATOR]
    fields.append(("Coordinators", ", ".join(coordinators) or "none"))
    fields.append(("Members", str(len(members))))
    fields.append(("Open", f"{plural(open_commitments, 'closing task' if state else 'commitment')}, "
                           f"{plural(open_concerns, 'concern')}"))
    missing = [k for k in ("purpose", "terms", "goals") if not getattr(p, k) and not state]
    actions = [Action(f"Set {k}", f'partnership edit {k}:"..."') for k in missing]
    return Reply(title=p.name, fields=fields, actions=actions)


# Open commitments and open concerns, both counted in the one statement (values bound at each
# execution, see queries.CHANNEL_CONTEXT).
OPEN_COUNTS = select(*(select(func.count()).where(model.partnership_id == bindparam("partnership_id"), model.status == status)
                       .scalar_subquery()
                       for model, status in ((Commitment, CommitmentStatus.OPEN), (Concern, ConcernStatus.OPEN))))


def open_counts(ctx: Context, partnership_id: int) -> tuple[int, int]:
    """How many commitments and how many concerns the partnership has open."""
    commitments, concerns = queries.plain_rows(ctx.session, OPEN_COUNTS, {"partnership_id": partnership_id})[0]
    return commitments, concerns


@command(
    "partnership edit",
    usage='partnership edit purpose:"..."',
    examples=('partnership edit goals:"Footfall up 10% by summer" review:monthly',
              'partnership edit name:"Riverside North"'),
    access=Access.COORDINATOR,
    options=EDITS,
)
def edit(ctx: Context, args: Args) -> Reply:
    """Change this partnership's settings (coordinators).

    Takes the same options as `setup`: kind, formality, purpose, terms, goals, end (`end:none`
    for no end; a sustained partnership is then reviewed quarterly unless it says otherwise), review,
    joining:open|approval (a formal partnership approves newcomers unless set to open),
    latecomers:count|not-counted (whether people who joined after a proposal opened count) and
    interests:count|exclude (whether a member who declared an interest in a proposal counts on
    it), reminders:24h (how long before a proposal closes those who have not responded are
    reminded, once; `reminders:none` for no reminder); and name:"..." to rename it."""
    args.finish()
    if not args.options:
        raise UserError(f"Say what to change: {', '.join(f'`{s}:`' for s in EDITS)}.")
    partnership = ctx.require_partnership()
    before = partnership.next_review_on
    options = dict(args.options)
    renamed = rename(ctx, partnership, options.pop("name")) if "name" in options else []
    changed = renamed + apply_settings(ctx, partnership, options)
    ensure_end(ctx, partnership)
    keep_reviewed(ctx, partnership)
    after = partnership.next_review_on
    today = ctx.now.astimezone(ctx.tz).date()
    moved = (before, after) if before and after and before != after else None
    ctx.record("edit", f"changed {', '.join(changed)}"
               + (f"; next review {show_day(moved[0], today)} -> {show_day(moved[1], today)}" if moved else ""))
    reply = describe(ctx, partnership)
    reply.text = f"Changed {', '.join(changed)}." + (
        f" The next review moves from {show_day(moved[0], today)} to {show_day(moved[1], today)}." if moved else "") + (
        life.left_after_end(ctx, partnership) if "end" in options else "")
    reply.audience = Audience.CHANNEL
    return reply


def rename(ctx: Context, partnership: Partnership, name: str) -> list[str]:
    """A new name, which must differ from the editor's other partnerships' (see `setup`)."""
    name = check_text(name, "partnership name", 120)
    check_name_free(ctx, name, renaming=partnership)
    old, partnership.name, partnership.name_key = partnership.name, name, queries.name_key(name)
    return [f"name (was {old})"]


@command("partnerships", usage="partnerships", access=Access.ANYONE, changes=False)
def listing(ctx: Context, args: Args) -> Reply:
    """List the partnerships you are in, and this channel's.

    Others in the workspace stay private to their members and channels: on Matrix, anyone
    on any homeserver can talk to the bot."""
    args.finish()
    person = queries.find_person(ctx.session, ctx.actor.platform, ctx.actor.workspace, ctx.actor.user_id)
    mine = {m.partnership_id: m.partnership for m in queries.memberships(ctx.session, person.id)} if person else {}
    here = ctx.partnership
    shown = dict(mine)
    if here is not None:
        shown[here.id] = here
    items = []
    for p in sorted(shown.values(), key=lambda p: p.name_key):
        marks = [m for m, on in (("you are in it", p.id in mine), (f"this {ctx.actor.place}", here and here.id == p.id))
                 if on]
        state = life.standing(ctx, p, why=True)
        marks += [state] if state else []
        items.append(Item(f"{p.name} — {p.kind.value} ({', '.join(marks)})"))
    return Reply(
        title="Your partnerships",
        sections=[Section(None, items, empty=f"You are in none yet, and this {ctx.actor.place} has none. Join one "
                                             'where its partners talk, or start one: `setup "Name" kind:task-force`.')],
    )


@command("use", usage='use "Partnership name"  or  use code:<code from link room or link me>',
         examples=('use "Riverside Partnership"', "use code:k7qm-3xtp-9wna-r2fd-h8ce-vb4j"), access=Access.ANYONE,
         options=("code",))
def use(ctx: Context, args: Args) -> Reply:
    """Link this channel to a partnership (a coordinator of it), so commands here act on it.

    `use code:...` links it with a code from `link room`, typed in the partnership's room on
    any platform; or links this account with a code from `link me`, typed on your other one."""
    if "code" in args.options:
        args.finish()
        return rooms.use_code(ctx, check_text(args.options["code"], "code", 60))
    name = args.take_text("partnership name", 120)
    args.finish()
    actor = ctx.actor
    mine = ctx.own_partnerships_named(name, roles=(Role.COORDINATOR,))
    if not mine:
        # One answer whether or not it exists: a stranger learns nothing by guessing names.
        raise UserError(f"You coordinate no partnership called {name} here.",
                        f"Type `partnerships` to see yours; only a coordinator can link a {actor.place} to one.")
    target = ctx.only_one(mine)
    rooms.shared_rooms_only(ctx)
    link = queries.channel_link(ctx.session, actor.platform, actor.workspace, actor.channel)
    if link is None:
        ctx.session.add(ChannelLink(platform=actor.platform, workspace=actor.workspace,
                                    channel=actor.channel, partnership_id=target.id))
    elif link.partnership_id != target.id:
        current = ctx.session.get(Partnership, link.partnership_id)
        current_role = queries.membership(ctx.session, link.partnership_id, ctx.person.id)
        if current_role is None or not current_role.active or current_role.role is not Role.COORDINATOR:
            raise UserError(f"This {actor.place} belongs to {current.name}; only its coordinators can move it.")
        link.partnership_id = target.id
    ctx.partnership = target
    ctx.record("use", f"linked a channel to {target.name}")
    return Reply(text=f"This {actor.place} now works with {target.name}.", audience=Audience.CHANNEL)


@command(
    "partnership reopen",
    usage='partnership reopen "why"',
    examples=('partnership reopen "Wound up by mistake: the market still needs us"',
              'partnership reopen "The council extended the project" end:"end of next year"'),
    access=Access.COORDINATOR,
    options=("end",),
    after_end=True,
)
def reopen(ctx: Context, args: Args) -> Reply:
    """Reopen a wound-up or ended partnership, saying why (coordinators), so its work can go on.

    One past its end date needs a new end date, `end:2027-09-30`, or `end:none` for no end
    (not for a project), when it is then reviewed quarterly unless it has a cadence. Its
    history, the wind-up review included, stays as it was."""
    why = args.take_text("reason", MAX_NOTE)
    args.finish()
    p = ctx.require_partnership()
    state = life.standing(ctx, p)
    if state is None:
        raise UserError(f"{p.name} is neither wound up nor past its end date, so there is nothing to reopen.",
                        "Type `partnership` to see how it stands.")
    today = life.today_of(ctx)
    again = f'`partnership reopen "why" end:{life.new_end_example(today)}`'
    if life.ended(p, ctx.now) and "end" not in args.options:
        raise UserError(f"{p.name} {state}: give it a new end date to reopen it.",
                        f"Type {again}" + (", or `end:none` for no end." if p.kind is not PartnershipKind.PROJECT
                                           else "."))
    # Paused since it was wound up or its last day ended, whichever came first.
    paused_at = min(t for t in (p.closed_at, p.ends_at) if t is not None and t <= ctx.now)
    apply_settings(ctx, p, args.options)
    if p.kind is PartnershipKind.PROJECT and p.end_date is None:
        raise UserError("A project partnership has a natural end: give it a new end date.", f"Type {again}.")
    let_go = ending.at_wind_up(ctx, p)
    resumed = resume_decisions(ctx, p, paused_at)
    p.closed_at = None
    keep_reviewed(ctx, p)
    ahead = [f"it ends {show_day(p.end_date, today)}" if p.end_date else "it has no end date"]
    if p.review_cadence is not None and p.next_review_on is not None:
        ahead.append(f"next {p.review_cadence.value} review {show_day(p.next_review_on, today)}")
    ctx.record("partnership-reopen", f"reopened {p.name}, which {state}; now {', '.join(ahead)}", reason=why)
    return Reply(text=f"{ctx.person.display_name} reopened {p.name}, which {state}. Why: {why}. "
                      f"Now {' and '.join(ahead)}; its work can go on." + carried_on(ctx, p, let_go) + resumed
                 + (life.left_after_end(ctx, p) if "end" in args.options else ""),
                 audience=Audience.CHANNEL)


def resume_decisions(ctx: Context, p: Partnership, paused_at: datetime) -> str:
    """Proposals the wind-up or the end paused get back, from now, the time they had left then:
    responses were refused meanwhile, so deciding them at once would count only the early ones.
    Returns what the reopening says of them."""
    paused = list(ctx.session.scalars(select(Decision).where(
        Decision.partnership_id == p.id, Decision.status == DecisionStatus.OPEN, Decision.closes_at > paused_at)
        .order_by(Decision.number)))
    for d in paused:
        closes = ctx.now + (d.closes_at - paused_at)
        ctx.session.execute(update(Decision).where(Decision.id == d.id, Decision.status == DecisionStatus.OPEN,
                                                   Decision.closes_at == d.closes_at).values(closes_at=closes))
    if not paused:
        return ""
    listed = ", ".join(f"#{d.number} closes {show_at(d.closes_at, ctx.tz, ctx.now)}" for d in paused)
    return f" Paused proposals are open again for the time they had left: {listed}."


def carried_on(ctx: Context, p: Partnership, let_go: list[Commitment]) -> str:
    """What a reopening brings back: closing tasks are ordinary work again; what the wind-up
    dropped or handed on stays so (it was decided), each one a `reopen commitment` away."""
    said = ""
    kept, _ = open_counts(ctx, p.id)
    if kept:
        said += f" Its {plural(kept, 'closing task')} {'is' if kept == 1 else 'are'} ordinary open work again."
    if let_go:
        numbers = ", ".join(f"#{c.number}" for c in let_go[:10]) + (" ..." if len(let_go) > 10 else "")
        said += (f" What the wind-up dropped or handed on stays so ({numbers}): "
                 f'`reopen commitment {let_go[0].number} "why"` takes one back.')
    return said
