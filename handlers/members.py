"""Members: joining, adding and removing people, their roles, and who is in the partnership."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from handlers import rooms
from handlers.agreement import organisations
from handlers.context import Context, zone
from handlers.dates import same_day_in, show_moment
from handlers.describe import hours, member_label
from handlers.errors import UserError
from handlers.flexibility import open_offers, withdraw_offer
from handlers.parsing import MAX_NOTE, Args, check_text, choose, clipped, parse_hours, plain_name, typed_again
from handlers.priorities import retire
from handlers.registry import Access, command
from handlers.reply import Action, Audience, Item, Reply, Section, plural
from handlers.succession import handover_note
from storage import queries
from storage.models import Commitment, CommitmentStatus, Joining, JoinRequest, Member, Person, Role, Sector

SECTORS = [s.value for s in Sector]
ROLES = [r.value for r in Role]
PROFILE = ("org", "sector", "capacity", "perspective")


def apply_profile(member: Member, args: Args) -> None:
    """Organisation, sector, weekly capacity and volunteer status from options."""
    if "org" in args.options:
        member.organisation = check_text(args.options["org"], "organisation", 120)
    if "sector" in args.options:
        member.sector = Sector(choose(args.options["sector"], SECTORS, "sector"))
    if "capacity" in args.options:
        member.capacity_hours = parse_hours(args.options["capacity"].removesuffix("/week"), "capacity")
    if "perspective" in args.options:
        member.perspective = perspective(args.options["perspective"])
    if "volunteer" in args.flags:
        member.volunteer = True


def perspective(text: str) -> str | None:
    """A perspective tag as typed (`local user`), or None for `none`."""
    tag = check_text(text, "perspective", 60)
    return None if tag.lower() == "none" else tag.lower()


def enrol(ctx: Context, person_id: int, role: Role, args: Args) -> tuple[Member, bool]:
    """Make a person an active member (again); returns the member and whether it is new."""
    partnership = ctx.require_partnership()
    member = queries.membership(ctx.session, partnership.id, person_id)
    fresh = member is None or not member.active
    if member is None:
        member = Member(partnership_id=partnership.id, person_id=person_id, role=role, joined_at=ctx.now)
        ctx.session.add(member)
    elif not member.active:
        member.left_at, member.role, member.joined_at = None, role, ctx.now
    apply_profile(member, args)
    ctx.session.flush()
    return member, fresh


def a_role(role: Role) -> str:
    """`a coordinator`, `a member`, `an observer`: a role as a sentence says it."""
    return f"an {role.value}" if role is Role.OBSERVER else f"a {role.value}"


def profile_text(member: Member) -> str:
    return " · ".join([member_label(member), member.role.value, *details(member)])


def details(member: Member) -> list[str]:
    """What a member said about themselves besides name, organisation and role."""
    parts = []
    if member.sector:
        parts.append(member.sector.value)
    if member.volunteer:
        parts.append("volunteer")
    if member.capacity_hours is not None:
        parts.append(f"{hours(member.capacity_hours)}/week")
    if member.perspective:
        parts.append(f"perspective: {member.perspective}")
    return parts


@command(
    "join",
    usage='join org:"Organisation" sector:<sector>',
    examples=('join org:"Chamber of Trade" sector:private capacity:4h volunteer',),
    access=Access.READ,
    options=PROFILE,
    flags=("volunteer", "observer", "again"),
)
def join(ctx: Context, args: Args) -> Reply:
    """Join this partnership, saying who you represent and how much time you can give.

    Sectors: public, private, voluntary, community. capacity: is hours a week.
    perspective:"local user" tags the point of view you speak from, for decisions. Add
    `volunteer` if your time is unpaid, or `observer` to follow without taking part.
    Run it again to update your details; naming another organisation as its last member here asks first,
    as that takes it off the table, and `again` goes ahead."""
    args.finish()
    partnership = ctx.require_partnership()
    role = Role.OBSERVER if "observer" in args.flags else Role.MEMBER
    existing = ctx.member
    if existing is not None:
        if not (args.options or args.flags - {"again"}):
            raise UserError(f"You're already in {partnership.name}.", "To change your details: `join org:\"...\" sector:...`.")
        if "observer" in args.flags and existing.role is not Role.OBSERVER:
            raise UserError(f"You're already a {existing.role.value} of {partnership.name}.",
                            f"A coordinator can change your role: `member role @{ctx.person.user_id} observer`.")
        if "org" in args.options and "again" not in args.flags and (
                cost := organisations.last_one_out(ctx, existing, args.options["org"])):
            raise UserError(f"{cost} Nothing was changed.",
                            f"Check the spelling; if it is right, type `{typed_again('join', args.options, args.flags)}`.")
        apply_profile(existing, args)
        ctx.record("member-update", "updated their details")
        said = organisations.sync(ctx)
        return Reply(text=" ".join([f"Updated: {profile_text(existing)}.", *said]))
    before = queries.membership(ctx.session, partnership.id, ctx.person.id)
    kept = before is not None and before.role_imposed and before.role is Role.OBSERVER
    if kept:
        role = Role.OBSERVER
    if partnership.joining_rule is Joining.APPROVAL or (before is not None and before.removed):
        return request_to_join(ctx, role, args, removed=before is not None and before.removed)
    member, _ = enrol(ctx, ctx.person.id, role, args)
    ctx.record("join", f"joined as {role.value}" + (f" for {member.organisation}" if member.organisation else ""))
    said = organisations.sync(ctx)
    reply = Reply(
        title=f"Welcome to {partnership.name}, {ctx.person.display_name}",
        text=" ".join([profile_text(member) + (" (a coordinator made you an observer; one can change it)" if kept else "")
                       + ".", *said, *([f"Note: {rooms.separate(ctx.actor.platform)}."]
                                      if rooms.on_other_platforms(ctx, partnership) else [])]),
        audience=Audience.CHANNEL,
    )
    if role is Role.MEMBER:
        reply.actions = [
            Action("State your priority", 'priority "What matters most to you here"'),
            Action("Say how you can flex", 'flex time "An extra 2 hours a month"'),
        ]
    return reply


# Built once, the partnership bound at each execution (see queries.CHANNEL_CONTEXT).
PENDING_REQUESTS = (select(JoinRequest)
                    .where(JoinRequest.partnership_id == bindparam("partnership_id"), JoinRequest.decided_at.is_(None))
                    .order_by(JoinRequest.requested_at, JoinRequest.id))


def pending_requests(session: Session, partnership_id: int) -> list[JoinRequest]:
    return list(session.scalars(PENDING_REQUESTS, {"partnership_id": partnership_id}))


def request_actions(request: JoinRequest) -> tuple[Action, ...]:
    who = request.person.user_id
    return (Action("Approve", f"approve @{who}", primary=True), Action("Decline", f"decline @{who}"))


def request_to_join(ctx: Context, role: Role, args: Args, removed: bool) -> Reply:
    """Ask the coordinators to let the acting person in, with the details they gave."""
    partnership = ctx.require_partnership()
    asked = next((r for r in pending_requests(ctx.session, partnership.id) if r.person_id == ctx.person.id), None)
    if asked is not None:
        raise UserError(f"You asked to join {partnership.name} {show_moment(asked.requested_at, ctx.tz, ctx.now)}; "
                        "its coordinators have not answered yet.", "Type `members` to see your request.")
    preview = Member(person=ctx.person, role=role)
    apply_profile(preview, args)  # bad details are refused now, not when a coordinator approves
    request = JoinRequest(partnership_id=partnership.id, person_id=ctx.person.id, role=role, requested_at=ctx.now,
                          details=json.dumps({"options": args.options, "flags": sorted(args.flags)}))
    ctx.session.add(request)
    ctx.session.flush()
    ctx.record("join-request", f"asked to join as {role.value}", subject=request)
    why = "was removed before, so a coordinator decides" if removed else "needs a coordinator's approval to join"
    return Reply(
        title=f"{ctx.person.display_name} asks to join {partnership.name}",
        text=f"{profile_text(preview)}. {ctx.person.display_name} {why}: coordinators, approve or decline. "
             f"{ctx.person.display_name}, you'll see the answer here.",
        actions=list(request_actions(request)),
        audience=Audience.CHANNEL,
    )


def find_request(ctx: Context, mention: str) -> JoinRequest:
    """A pending request to join the current partnership, by the asker's platform user id."""
    partnership = ctx.require_partnership()
    for request in pending_requests(ctx.session, partnership.id):
        if request.person.user_id.casefold() == mention.casefold():
            return request
    raise UserError(f"@{mention[:60]} hasn't asked to join {partnership.name}.",
                    "Type `members` to see who is asking.")


def decide(ctx: Context, request: JoinRequest, approved: bool) -> None:
    request.decided_at, request.decided_by_id, request.approved = ctx.now, ctx.person.id, approved


@command("approve", usage="approve @name", examples=("approve @dave",), access=Access.COORDINATOR)
def approve(ctx: Context, args: Args) -> Reply:
    """Let someone who asked to join in (coordinators), with the details they gave."""
    request = find_request(ctx, args.take_mention("whose request to approve"))
    args.finish()
    decide(ctx, request, True)
    given = json.loads(request.details)
    member, _ = enrol(ctx, request.person_id, request.role, Args([], given["options"], set(given["flags"])))
    member.removed = False
    ctx.record("join-approve", f"approved {member_label(member)} joining as {request.role.value}", subject=member)
    said = organisations.sync(ctx)
    return Reply(title=f"Welcome to {ctx.require_partnership().name}, {member.person.display_name}",
                 text=" ".join([f"{profile_text(member)}. Approved by {ctx.person.display_name}.", *said]),
                 audience=Audience.CHANNEL)


def decline_request(ctx: Context, args: Args) -> Reply:
    """Turn down a request to join (coordinators), optionally saying why: `decline @name`, see handlers/decline.py."""
    ctx.require_coordinator()
    request = find_request(ctx, args.take_mention("whose request to decline"))
    reason = args.optional_text("reason", MAX_NOTE)
    args.finish()
    decide(ctx, request, False)
    name = request.person.display_name
    ctx.record("join-decline", f"declined {name}'s request to join", subject=request, reason=reason)
    return Reply(text=f"{ctx.person.display_name} declined {name}'s request to join {ctx.require_partnership().name}"
                      + (f": {reason}" if reason else "."), audience=Audience.CHANNEL)


@command(
    "member add",
    usage="member add @name",
    examples=('member add @bob org:"Riverside Trust" sector:voluntary capacity:3h volunteer',),
    access=Access.COORDINATOR,
    options=(*PROFILE, "role"),
    flags=("volunteer",),
)
def add(ctx: Context, args: Args) -> Reply:
    """Add someone to this partnership (coordinators). Options as for `join`, plus role:."""
    name = args.take_mention("who to add")
    args.finish()
    role = Role(choose(args.options.get("role", "member"), ROLES, "role"))
    # `@Bob` is the member bob, as `find_member` reads it: never a second Bob.
    for m in ctx.matching(name, queries.active_members(ctx.session, ctx.require_partnership().id)):
        raise UserError(f"{m.person.display_name} is already a member.",
                        f"To change their role: `member role @{m.person.user_id} coordinator`.")
    person = newcomer(ctx, name)
    member, fresh = enrol(ctx, person.id, role, args)
    if not fresh:
        raise UserError(f"{person.display_name} is already a member.",
                        f"To change their role: `member role @{name} coordinator`.")
    member.removed = False
    for request in pending_requests(ctx.session, member.partnership_id):
        if request.person_id == person.id:
            decide(ctx, request, True)
    ctx.record("member-add", f"added {member_label(member)} as {role.value}", subject=member)
    said = ", ".join(details(member))
    agreement = organisations.sync(ctx)
    return Reply(text=" ".join([f"{member_label(member)} is now {a_role(role)} of {ctx.require_partnership().name}"
                                + (f": {said}." if said else "."), *agreement]), audience=Audience.CHANNEL)


def newcomer(ctx: Context, name: str) -> Person:
    """The person `member add` names: by user id, or where the platform marks mentions, a
    plain name only when exactly one person of the workspace goes by it."""
    actor = ctx.actor
    known = queries.find_person(ctx.session, actor.platform, actor.workspace, name)
    if known is not None or actor.mentions is None or ctx.is_mention(name):
        return known or ctx.person_for(name)
    named = queries.people_named(ctx.session, actor.platform, actor.workspace, name)
    if len(named) == 1:
        return named[0]
    listed = f" ({', '.join(f'`@{p.user_id}`' for p in named[:10])} go by that name)" if named else ""
    raise UserError(f"I can't tell who @{plain_name(name, 60)} is{listed}.",
                    "Mention them (type @ and pick them from the list), so I know exactly who.")


@command(
    "member role",
    usage="member role @name coordinator|member|observer",
    access=Access.COORDINATOR,
)
def role(ctx: Context, args: Args) -> Reply:
    """Change someone's role (coordinators). A partnership always keeps one coordinator."""
    member = ctx.find_member(args.take_mention("whose role"))
    new = Role(args.take_word("role", ROLES))
    args.finish()
    if member.role is new:
        who = "You are" if member.person_id == ctx.person.id else f"{member.person.display_name} is"
        raise UserError(f"{who} already {a_role(new)}.", "Type `members` to see everyone's role.")
    if member.role is Role.COORDINATOR:
        ensure_other_coordinator(ctx, member)
    if new is Role.OBSERVER:
        ensure_no_open_commitments(ctx, member)
    old, member.role = member.role, new
    member.role_imposed = new is Role.OBSERVER
    ctx.record("member-role", f"changed {member.person.display_name}'s role from {old.value} to {new.value}",
               subject=member)
    # An observer offers nothing and could not take an offer back: what they offered goes, as when leaving.
    said = withdraw_offers(ctx, member, f"{member.person.display_name} became an observer") \
        if new is Role.OBSERVER else []
    said += organisations.sync(ctx)
    return Reply(text=" ".join([f"{member.person.display_name} is now {a_role(new)}.", *said]), audience=Audience.CHANNEL)


def ensure_other_coordinator(ctx: Context, leaving: Member, then: str | None = None) -> None:
    """Refuse to leave a partnership without a coordinator, saying what to do first (and `then`)."""
    others = [m for m in queries.coordinators(ctx.session, leaving.partnership_id) if m.id != leaving.id]
    if not others:
        who = "You are" if leaving.person_id == ctx.person.id else f"{leaving.person.display_name} is"
        # Past its end date nobody can be made coordinator; once wound up, the last one may go.
        first = ('It is past its end date, so nobody can be made coordinator: wind it up first with '
                 '`partnership wind-up "why"`' if ctx.over else
                 "Make someone else coordinator first: `member role @name coordinator`")
        raise UserError(f"{who} the only coordinator of {ctx.require_partnership().name}.",
                        first + (f"; then {then}." if then else "."))


def ensure_no_open_commitments(ctx: Context, member: Member) -> None:
    """Refuse while the member holds open work, naming it; what they finished or dropped is history."""
    held = ctx.session.scalars(
        select(Commitment).where(Commitment.owner_id == member.id, Commitment.status == CommitmentStatus.OPEN)
        .order_by(Commitment.due_at, Commitment.id)
    ).all()
    if held:
        listed = "; ".join(f"#{c.number} {c.title}" for c in held[:5]) + (f"; and {len(held) - 5} more" if len(held) > 5 else "")
        own = member.person_id == ctx.person.id
        # Work only asked of them is given back with `decline`: `drop` would be refused.
        asked = [c.number for c in held if own and c.handover_from_id is not None]
        kept = [c.number for c in held if c.number not in asked]
        hints = [f'hand on or close each: `reassign {kept[0]} @name`, `done {kept[0]}` or `drop {kept[0]} "why"`'] \
            if kept else []
        hints += [f'give back what waits for your answer: `decline {asked[0]} "why"`'] if asked else []
        raise UserError(
            ("You still hold" if own else f"{member.person.display_name} still holds")
            + f" {plural(len(held), 'open commitment')}: {listed}.",
            f"First {'; and '.join(hints)}.",
        )


@command(
    "member perspective",
    usage='member perspective @name "local user"',
    examples=('member perspective @bob "local user"', 'member perspective @alice "professional expert"',
              "member perspective @bob none"),
    access=Access.COORDINATOR,
)
def set_perspective(ctx: Context, args: Args) -> Reply:
    """Tag the point of view someone speaks from (coordinators), so decisions show whether groups agree.

    Any short words will do; `none` clears it. Members set their own with `join perspective:"..."`."""
    member = ctx.find_member(args.take_mention("whose perspective"))
    tag = perspective(args.take_text("perspective", 60))
    args.finish()
    member.perspective = tag
    shown = tag or "none"
    ctx.record("member-perspective", f"set {member.person.display_name}'s perspective to {shown}", subject=member)
    return Reply(text=f"{member_label(member)} now speaks as: {shown}.", audience=Audience.CHANNEL)


@command("member remove", usage="member remove @name", access=Access.COORDINATOR)
def remove(ctx: Context, args: Args) -> Reply:
    """Remove someone from this partnership (coordinators); their history is kept."""
    member = ctx.find_member(args.take_mention("who to remove"))
    args.finish()
    if member.id == ctx.require_member().id:
        # Removing yourself is leaving: `removed` would make joining again need approval.
        return depart(ctx, member, "left", then="type `leave`")
    member.removed = True  # joining again then needs a coordinator's approval
    return depart(ctx, member, f"removed {member_label(member)}")


@command("leave", usage="leave", access=Access.READ, after_end=True)
def leave(ctx: Context, args: Args) -> Reply:
    """Leave this partnership; hand over your open commitments first."""
    args.finish()
    member = ctx.member
    if member is None:
        partnership = ctx.require_partnership()
        before = queries.membership(ctx.session, partnership.id, ctx.person.id)
        gone = (f"You left {partnership.name} on {show_moment(before.left_at, ctx.tz, ctx.now)}" if before and before.left_at
                else f"You're not in {partnership.name}")
        raise UserError(f"{gone}, so there is nothing to leave.", "Type `partnerships` to see the ones you are in.")
    return depart(ctx, member, "left", then="type `leave` again")


def depart(ctx: Context, member: Member, summary: str, then: str | None = None) -> Reply:
    """Someone leaves, taking nothing open with them: their offers are withdrawn, and where
    they were to step in, that is cleared; each change logged, the channel told. The last
    coordinator may leave a wound-up partnership too: there is nothing left to run. `then`
    says what the refused person types once the way is clear."""
    partnership = ctx.require_partnership()
    last = member.role is Role.COORDINATOR and not [
        m for m in queries.coordinators(ctx.session, partnership.id) if m.id != member.id]
    if member.role is Role.COORDINATOR and partnership.closed_at is None:
        ensure_other_coordinator(ctx, member, then)
    ensure_no_open_commitments(ctx, member)
    name = member.person.display_name
    said = [f"{name} is no longer in {partnership.name}."]
    if last:
        said.append(f"Nobody coordinates the wound-up {partnership.name} now, so nobody can reopen it.")
    said += withdraw_offers(ctx, member, f"{name} left")
    note = handover_note(ctx, member)
    said += [note] if note else []
    retire(ctx, member)
    member.left_at = ctx.now
    ctx.record("member-remove", summary, subject=member)
    said += organisations.sync(ctx)
    return Reply(text=" ".join(said), audience=Audience.CHANNEL)


def withdraw_offers(ctx: Context, member: Member, why: str) -> list[str]:
    """Withdraw a member's standing flexibility offers (`why` goes in the log); what to tell the channel."""
    offers = open_offers(ctx, member)
    for offer in offers:
        withdraw_offer(ctx, offer, why)
    if not offers:
        return []
    numbers = ", ".join(f"#{o.number}" for o in offers)
    return [f"Their flexibility {'offer' if len(offers) == 1 else 'offers'} {numbers} "
            f"{'is' if len(offers) == 1 else 'are'} withdrawn."]


def missing_sectors(people: list[Member]) -> list[Sector]:
    """The sectors nobody at the table represents: a partnership needs every relevant one. Observers
    only follow, so their sector is not at the table: `members`, `health`, the dashboard and the
    public page all ask here, and so agree."""
    present = {m.sector for m in people if m.sector and m.role is not Role.OBSERVER}
    return [s for s in Sector if s not in present]


@command("members", usage="members", access=Access.READ, changes=False)
def members(ctx: Context, args: Args) -> Reply:
    """Who is in this partnership: organisation, sector, role, and which sectors are missing."""
    args.finish()
    partnership = ctx.require_partnership()
    people = queries.active_members(ctx.session, partnership.id)
    items = [Item(profile_text(m)) for m in people]
    missing = [s.value for s in missing_sectors(people)]
    reply = Reply(title=f"Members of {partnership.name} ({len(people)})", sections=[Section(None, items)])
    asking = [Item(f"{r.person.display_name} (asked {show_moment(r.requested_at, ctx.tz, ctx.now)}, as {r.role.value})",
                   request_actions(r)) for r in pending_requests(ctx.session, partnership.id)]
    if asking:
        reply.sections.append(Section("Asking to join (a coordinator approves or declines)", asking))
    if missing:
        reply.fields.append(("Sectors missing", ", ".join(missing)))
        reply.text = "A partnership works best with every relevant sector at the table."
    else:
        reply.fields.append(("Sectors", "all four represented"))
    return reply


@command("tz", usage="tz Europe/London", examples=("tz Europe/London", "tz paris", "tz new york"),
         access=Access.ANYONE, aliases=("timezone",))
def set_timezone(ctx: Context, args: Args) -> Reply:
    """Set your time zone, so dates you type and read are your own: its full name, or the city
    that names it (`tz paris`)."""
    if not args.has_more():
        raise UserError("Say which time zone (like Europe/London).")
    name = args.take_text("time zone", limit=60)
    args.finish()
    matches = zones_named(name)
    if len(matches) > 1:
        raise UserError(f"`{name}` could be {', '.join(matches[:-1])} or {matches[-1]}.",
                        f"Type the one you mean: `tz {matches[0]}`.")
    if not matches:
        raise UserError(f"`{clipped(name, 40)}` isn't a time zone I know.",
                        "Use a name like `Europe/London` or `America/New_York`, or a city that names one, like `paris`.")
    was = zone(ctx.person.timezone)
    ctx.person.timezone = matches[0]
    kept = keep_due_days(ctx, was, zone(matches[0]))
    local = ctx.now.astimezone(zone(matches[0]))
    text = f"Your time zone is now {matches[0]} (it is {local:%H:%M} there). {date_order(ctx.person)}"
    if kept:
        text += (" Your open commitment keeps its due day." if kept == 1
                 else f" Your {kept} open commitments keep their due days.")
    return Reply(text=text)


def keep_due_days(ctx: Context, was: ZoneInfo, now_in: ZoneInfo) -> int:
    """Move the acting person's open work to the end of the same days in their new zone: a due
    date is a day on its owner's calendar. How many moved; one changed meanwhile is left as it is."""
    if was == now_in:
        return 0
    held = ctx.session.scalars(select(Commitment).join(Member, Member.id == Commitment.owner_id).where(
        Member.person_id == ctx.person.id, Commitment.status == CommitmentStatus.OPEN)).all()
    moved = 0
    for c in held:
        moved += ctx.session.execute(  # type: ignore[attr-defined]
            update(Commitment).where(Commitment.id == c.id, Commitment.status == CommitmentStatus.OPEN,
                                     Commitment.due_at == c.due_at)
            .values(due_at=same_day_in(c.due_at, was, now_in)).execution_options(synchronize_session="fetch")).rowcount
    return moved


def zones_named(name: str) -> list[str]:
    """The time zones a name means: the zone so named, or else those named for that city
    (`new york`, `New_York`), in any case."""
    wanted = name.casefold().replace(" ", "_")
    known = available_timezones()
    exact = [z for z in known if z.casefold() == wanted]
    return exact or sorted(z for z in known if z.count("/") == 1 and z.rpartition("/")[2].casefold() == wanted
                           and z.startswith(CONTINENTS))


# The regions of the zones named for a city; not the old country names (`Canada/Eastern`).
CONTINENTS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/", "Europe/", "Indian/",
              "Pacific/")


ORDERS = ["day-first", "month-first"]


def date_order(person: Person) -> str:
    """How the person's numeric dates are read, and how to change it."""
    if person.month_first:
        return "You write dates month first: 04/05/2027 is 5 April. `dates day-first` to change."
    return "You write dates day first: 04/05/2027 is 4 May. `dates month-first` to change."


@command("dates", usage="dates day-first|month-first", examples=("dates month-first", "dates day-first", "dates"),
         access=Access.ANYONE, reads_alone=True)
def set_date_order(ctx: Context, args: Args) -> Reply:
    """Say how you write dates in numbers: 31/03/2027 (day first, the default) or 03/31/2027.

    Dates that only fit the other order are refused, and `2027-03-31` always works.
    `dates` alone shows yours."""
    if args.has_more():
        ctx.person.month_first = args.take_word("date order", ORDERS) == "month-first"
    args.finish()
    return Reply(text=date_order(ctx.person))
