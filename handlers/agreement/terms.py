"""The agreement: the partnership's terms of reference, signed by each partner organisation.

It is written in sections (purpose, shared goals, each partner's role and what it brings,
how decisions are made, how partners join and leave, the review); every edit makes a new
version, with who changed what, when and why, and the earlier ones stay readable. It is in
force once a member of every partner organisation has signed its current version
(handlers/judgements/signoff.py says exactly when).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.agreement import organisations
from handlers.agreement.contributions import nothing_pledged
from handlers.agreement.interests import interest_item, standing_interests
from handlers.context import Context, zone
from handlers.dates import show_moment
from handlers.errors import UserError
from handlers.judgements.contributions import brought_in
from handlers.judgements.signoff import (
    Signature,
    Standing,
    current_version,
    organisation_key,
    signatures_of,
    standing_of,
    standings,
)
from handlers.parsing import MAX_NOTE, Args, check_text
from handlers.recheck import Asked, about, rechecks
from handlers.registry import Access, command
from handlers.reply import Action, Audience, Item, Reply, Section, plural
from storage.models import AgreementSignature, AgreementVersion, Member, PartnerOrganisation, Partnership, Role
from storage.nudges import DueNudge, Waiting

# Each section: the option that edits it, and its heading.
SECTIONS: dict[str, str] = {
    "purpose": "Purpose",
    "goals": "Shared goals",
    "roles": "Roles, and what each partner brings",
    "decisions": "How decisions are made",
    "joining": "Joining and leaving",
    "review": "Review",
}
CLEAR = "none"
WEEK_DAYS = 7


def words(names: list[str]) -> str:
    """`A`, `A and B`, `A, B and C`."""
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def state_said(s: Standing, tz: ZoneInfo, now: datetime, live: bool = True) -> str:
    """Whether it is in force, in a sentence, its dates in `tz`; saying how to bring it into force only
    while the partnership runs (`live`), as nobody can join or sign in a wound-up one."""
    if s.version is None:
        return "There is no agreement yet."
    n = s.version.number
    if s.in_force and s.since is not None:
        return (f"In force since {show_moment(s.since, tz, now)}: every partner organisation signed "
                f"version {n}.")
    if not s.signed and not s.waiting:
        return ("Not in force: no member names a partner organisation" + (
            " yet (`join org:\"...\"`), so nobody can sign for one." if live else "."))
    return (f"Not in force: {words(s.waiting)} {'has' if len(s.waiting) == 1 else 'have'} yet to sign version {n}"
            + (f"; one of each organisation's members types `agreement sign {n}`." if live else "."))


def version_line(ctx: Context, v: AgreementVersion) -> str:
    """`Version 3, Tue 1 Dec by Alice: changed roles — Dave's trust joined`."""
    did = "wrote it" if v.number == 1 else f"changed {v.changed}"
    why = f" — {v.why}" if v.why else ""
    return f"Version {v.number}, {show_moment(v.created_at, ctx.tz, ctx.now)} by {v.changed_by.display_name}: {did}{why}"


def section_items(v: AgreementVersion) -> list[Section]:
    return [Section(heading, [Item(text)]) for key, heading in SECTIONS.items() if (text := getattr(v, key))]


def may_sign(ctx: Context, s: Standing) -> bool:
    """Whether the reader could sign now for an organisation still waiting."""
    member = ctx.member
    return (s.version is not None and not ctx.over and member is not None and member.role is not Role.OBSERVER
            and member.organisation is not None
            and organisation_key(member.organisation) in {organisation_key(w) for w in s.waiting})


def pledged_items(ctx: Context, p: Partnership) -> list[Item]:
    """Each partner's standing pledges and how each is kept, one line a partner."""
    today = ctx.now.astimezone(ctx.tz).date()
    return [Item(f"{b.partner}: " + "; ".join(promise.said(show_moment(promise.pledge.created_at, ctx.tz, ctx.now))
                                              for promise in b.promises))
            for b in brought_in(ctx.session, p.id, today) if b.promises]


@command("agreement", usage="agreement", access=Access.READ, changes=False)
def show(ctx: Context, args: Args) -> Reply:
    """The agreement (terms of reference): its current version, whether it is in force, who signed, what each
    partner brings and the interests declared.

    `agreement history` lists every version, `agreement version 2` shows one."""
    args.finish()
    p = ctx.require_partnership()
    s = standing_of(ctx.session, p.id)
    if s.version is None and ctx.over:
        reply = Reply(title=f"Agreement of {p.name}", text="There is no agreement.")
    elif s.version is None:
        reply = Reply(title=f"Agreement of {p.name}",
                      text="There is no agreement yet. Coordinators write it in sections, each a sentence or a "
                           "paragraph; its purpose and shared goals start from the partnership's.",
                      actions=[Action("Write it", 'agreement edit roles:"..." decisions:"..." joining:"..."')])
    else:
        reply = Reply(title=f"Agreement of {p.name}, version {s.version.number}",
                      text=state_said(s, ctx.tz, ctx.now, not ctx.over),
                      fields=[("Version", version_line(ctx, s.version))], sections=section_items(s.version))
        signed = [Item(f"{x.organisation}: {x.by}, {show_moment(x.at, ctx.tz, ctx.now)}") for x in s.signed]
        reply.sections.append(Section("Signed", signed, empty="Nobody yet."))
        if s.waiting:
            reply.sections.append(Section("Not signed yet", [Item(w) for w in s.waiting]))
        if may_sign(ctx, s):
            reply.actions.append(Action("Sign", f"agreement sign {s.version.number}", primary=True))
        reply.actions.append(Action("History", "agreement history"))
    reply.sections.append(Section("What each partner brings", pledged_items(ctx, p),
                                  empty=nothing_pledged(ctx)))
    interests = [interest_item(ctx, i) for i in standing_interests(ctx.session, p.id)]
    if interests:
        reply.sections.append(Section("Interests declared", interests))
    return reply


@command(
    "agreement edit",
    usage='agreement edit <section>:"..." why:"..."',
    examples=('agreement edit roles:"The council funds; the chamber runs events" why:"Agreed at the May meeting"',
              'agreement edit purpose:"Revive the riverside" decisions:"By consensus, a vote if blocked twice" '
              'joining:"Any town organisation, approved by the coordinators" review:"Every quarter"'),
    access=Access.COORDINATOR,
    options=(*SECTIONS, "why"),
)
def edit(ctx: Context, args: Args) -> Reply:
    """Write or change the agreement's sections (coordinators): each edit is a new version, which every
    partner organisation signs again.

    Sections: purpose, goals (shared goals), roles (each partner's role and what it brings),
    decisions (how they are made), joining (how partners join and leave) and review; `none`
    empties one. why:"..." says why it changed (needed once there is a version). The first
    version starts from the partnership's own purpose and goals."""
    args.finish()
    changes = {key: value for key, value in args.options.items() if key in SECTIONS}
    if not changes:
        raise UserError(f"Say which section to write: {', '.join(f'`{k}:`' for k in SECTIONS)}.",
                        'Type `agreement edit roles:"..." why:"..."`.')
    p = ctx.require_partnership()
    organisations.sync(ctx)  # every organisation at the table has a stay to sign with
    before = current_version(ctx.session, p.id)
    why = check_text(args.options["why"], "reason", MAX_NOTE) if "why" in args.options else None
    if before is not None and why is None:
        raise UserError("Say why the agreement changes, so partners signing again know.",
                        f'Add `why:"..."`: `agreement edit {next(iter(changes))}:"..." why:"Agreed at the meeting"`.')
    text = {key: getattr(before, key) if before else None for key in SECTIONS}
    if before is None:
        text["purpose"], text["goals"] = p.purpose, p.goals
    changed = []
    for key, value in changes.items():
        new = None if value.strip().lower() == CLEAR else check_text(value, SECTIONS[key].lower(), MAX_NOTE)
        if new != text[key]:
            text[key] = new
            changed.append(key)
    if not changed:
        raise UserError("The agreement already reads like that; nothing changed.", "Type `agreement` to read it.")
    if not any(text.values()):
        raise UserError("That would leave the agreement empty.", 'Write at least one section: `agreement edit purpose:"..."`.')
    version = AgreementVersion(partnership_id=p.id, number=(before.number + 1) if before else 1, changed=", ".join(changed),
                               why=why, changed_by_id=ctx.person.id, created_at=ctx.now, **text)
    ctx.session.add(version)
    ctx.session.flush()
    p.purpose, p.goals = version.purpose, version.goals  # the partnership's own, as `status` and the page show them
    did = "wrote the agreement" if before is None else f"changed the agreement's {', '.join(changed)}"
    ctx.record("agreement-edit", f"{did}: version {version.number}", subject=version, reason=why)
    s = standing_of(ctx.session, p.id, version)
    asked = (f"Every partner organisation signs it: one of each one's members types `agreement sign {version.number}`"
             + (f" ({words(s.waiting)})." if s.waiting else "."))
    said = f"{ctx.person.display_name} {did}" + (f". Why: {why}" if why else "") + f". {asked}"
    return Reply(title=f"Agreement of {p.name}: version {version.number}", text=said,
                 sections=[Section(SECTIONS[key], [Item(getattr(version, key) or "(empty)")]) for key in changed],
                 actions=[Action("Read it all", "agreement"), Action("Sign", f"agreement sign {version.number}")],
                 audience=Audience.CHANNEL)


@command("agreement sign", usage="agreement sign [version]", examples=("agreement sign 2", "agreement sign"))
def sign(ctx: Context, args: Args) -> Reply:
    """Sign the agreement for your organisation; with its number, only that version is signed.

    Only a member of an organisation signs for it; nobody, coordinators included, signs for
    another. It is in force once every partner organisation has signed its current version.
    Give the number you read (`agreement sign 2`), so that a change made meanwhile is never
    signed unread."""
    if args.peek_mention():
        raise UserError("Each organisation signs for itself: nobody signs for another, coordinators included.",
                        "Ask one of its members to type `agreement sign`.")
    number = args.take_id("version") if args.has_more() else None
    args.finish()
    member = ctx.require_member()
    p = ctx.require_partnership()
    if not member.organisation:
        raise UserError("You name no organisation here, so there is none for you to sign for.",
                        'If you represent one, say so first: `join org:"Your organisation"`.')
    organisations.sync(ctx)
    version = current_version(ctx.session, p.id)
    if version is None:
        raise UserError(f"{p.name} has no agreement yet.", 'A coordinator writes it: `agreement edit purpose:"..."`.')
    if number is not None and number != version.number:
        raise UserError(stale_version(ctx, number, version), f"Read it with `agreement`, then `agreement sign {version.number}`.")
    key = organisation_key(member.organisation)
    stay = ctx.session.scalar(select(PartnerOrganisation).where(
        PartnerOrganisation.partnership_id == p.id, PartnerOrganisation.key == key, PartnerOrganisation.left_at.is_(None)))
    assert stay is not None, "sync keeps a stay for every organisation a member names"
    done = ctx.session.scalar(select(AgreementSignature).where(
        AgreementSignature.version_id == version.id, AgreementSignature.organisation_id == stay.id,
        AgreementSignature.asked_again_at.is_(None)))
    if done is not None:
        raise UserError(f"{stay.name} already signed version {version.number}: {done.member.display_name}, "
                        f"{show_moment(done.signed_at, ctx.tz, ctx.now)}.", "Type `agreement` to see who has yet to sign.")
    ctx.session.add(AgreementSignature(partnership_id=p.id, version_id=version.id, organisation_id=stay.id,
                                       member_id=member.id, signed_at=ctx.now))
    ctx.session.flush()
    s = standing_of(ctx.session, p.id, version)
    then = "; it is now in force" if s.in_force else ""
    ctx.record("agreement-sign", f"signed version {version.number} of the agreement for {stay.name}{then}", subject=version)
    text = f"{ctx.person.display_name} signed version {version.number} of the agreement for {stay.name}."
    text += (" The agreement is now in force: every partner organisation has signed it." if s.in_force
             else f" Still to sign: {words(s.waiting)}.")
    return Reply(text=text, audience=Audience.CHANNEL)


def stale_version(ctx: Context, number: int, current: AgreementVersion) -> str:
    """Why a version other than the current one cannot be signed, saying what replaced it."""
    if number > current.number or number < 1:
        return f"There is no version {number} of the agreement; the current one is version {current.number}."
    why = f": {current.why}" if current.why else ""
    return (f"Version {number} is no longer the current one: {current.changed_by.display_name} made version "
            f"{current.number} {show_moment(current.created_at, ctx.tz, ctx.now)} (changed {current.changed}{why}).")


def versions_of(session: Session, partnership_id: int) -> list[AgreementVersion]:
    return list(session.scalars(select(AgreementVersion).where(AgreementVersion.partnership_id == partnership_id)
                                .order_by(AgreementVersion.number)))


def names_of_stays(session: Session, partnership_id: int) -> dict[int, str]:
    return dict(session.execute(select(PartnerOrganisation.id, PartnerOrganisation.name)
                                .where(PartnerOrganisation.partnership_id == partnership_id)).all())


def signature_said(ctx: Context, x: Signature, names: dict[int, str]) -> str:
    again = (f" (asked again {show_moment(x.asked_again_at, ctx.tz, ctx.now)})" if x.asked_again_at else "")
    return f"{names.get(x.organisation_id, '?')}: {x.by}, {show_moment(x.signed_at, ctx.tz, ctx.now)}{again}"


@command("agreement history", usage="agreement history", access=Access.READ, changes=False)
def history(ctx: Context, args: Args) -> Reply:
    """Every version of the agreement, newest first: who changed what, when and why, and who signed it."""
    args.finish()
    p = ctx.require_partnership()
    versions = versions_of(ctx.session, p.id)
    names = names_of_stays(ctx.session, p.id)
    by_version: dict[int, list[Signature]] = {}
    for x in signatures_of(ctx.session, *(v.id for v in versions)):
        by_version.setdefault(x.version_id, []).append(x)
    items = []
    for v in reversed(versions):
        signed = signers_said([(names.get(x.organisation_id, "?"), x.asked_again_at is None)
                               for x in by_version.get(v.id, [])])
        items.append(Item(version_line(ctx, v) + signed, (Action(f"Read version {v.number}", f"agreement version {v.number}"),)))
    reply = Reply(title=f"Agreement of {p.name}: {plural(len(versions), 'version')}",
                  sections=[Section(None, items, empty="No agreement." if ctx.over else
                                      'No agreement yet: `agreement edit purpose:"..."`.')])
    if versions:
        reply.text = state_said(standing_of(ctx.session, p.id, versions[-1]), ctx.tz, ctx.now, not ctx.over)
    return reply


def signers_said(signatures: list[tuple[str, bool]]) -> str:
    """` · signed by A, B · no longer standing: C`: the organisations whose signatures stand, and those
    whose signature stopped standing (an organisation left the table) and was not given again."""
    standing = {name for name, stands in signatures if stands}
    lapsed = {name for name, stands in signatures if not stands} - standing
    said = f" · signed by {', '.join(sorted(standing, key=str.casefold))}" if standing else " · not signed"
    return said + (f" · no longer standing: {', '.join(sorted(lapsed, key=str.casefold))}" if lapsed else "")


@command("agreement version", usage="agreement version <number>", examples=("agreement version 1",),
         access=Access.READ, changes=False)
def version(ctx: Context, args: Args) -> Reply:
    """One version of the agreement as it was written, with who changed what, when and why, and its signatures."""
    number = args.take_id("version")
    args.finish()
    p = ctx.require_partnership()
    versions = versions_of(ctx.session, p.id)
    wanted = next((v for v in versions if v.number == number), None)
    if wanted is None:
        raise UserError(f"There is no version {number} of {p.name}'s agreement"
                        + (f"; the current one is version {versions[-1].number}." if versions else "."),
                        "Type `agreement history` to list them.")
    current = versions[-1]
    names = names_of_stays(ctx.session, p.id)
    signed = [Item(signature_said(ctx, x, names)) for x in signatures_of(ctx.session, wanted.id)]
    if wanted is current:
        said = state_said(standing_of(ctx.session, p.id, current), ctx.tz, ctx.now, not ctx.over)
    else:
        later = versions[wanted.number]  # the version after it
        said = (f"Replaced by version {later.number} {show_moment(later.created_at, ctx.tz, ctx.now)}; "
                f"the current one is version {current.number}.")
    return Reply(title=f"Agreement of {p.name}, version {wanted.number}", text=said,
                 fields=[("Version", version_line(ctx, wanted))],
                 sections=[*section_items(wanted), Section("Signatures", signed, empty="None.")])


# The nudge: coordinators hear once when sign-off is asked for, then weekly while it waits.

def nudges(session: Session, now: datetime) -> list[DueNudge]:
    """`agreement-unsigned` to each coordinator of a live partnership whose agreement is not in force while
    some organisation could sign it: once when sign-off is asked for (a version, an organisation
    joining or leaving), then every week it still waits. In a fixed number of statements."""
    live = select(Partnership.id).where(~Partnership.over(now))
    waiting = {pid: s for pid, s in standings(session, live).items()
               if s.version is not None and not s.in_force and s.waiting}
    if not waiting:
        return []
    names = dict(session.execute(select(Partnership.id, Partnership.name).where(Partnership.id.in_(waiting))).all())
    coordinators: dict[int, list[Member]] = {}
    for m in session.scalars(select(Member).where(Member.partnership_id.in_(waiting), Member.left_at.is_(None),
                                                  Member.role == Role.COORDINATOR)):
        coordinators.setdefault(m.partnership_id, []).append(m)
    due: list[DueNudge] = []
    for pid, s in waiting.items():
        assert s.version is not None and s.asked is not None
        weeks = (now - s.asked).days // WEEK_DAYS
        n = s.version.number
        for m in coordinators.get(pid, []):
            since = show_moment(s.asked, zone(m.person.timezone), now)
            due.append(DueNudge(
                f"agreement-unsigned:p{pid}:v{n}:{s.asked:%Y%m%dT%H%M%S}:w{weeks}:p{m.person_id}", pid,
                "agreement-unsigned",
                f"The agreement of {names[pid]} (version {n}) is not in force: {words(s.waiting)} "
                f"{'has' if len(s.waiting) == 1 else 'have'} yet to sign, asked since {since}. One of each "
                f"organisation's members types `agreement sign {n}`; `agreement` shows it.",
                person_id=m.person_id))
    return due


@rechecks("agreement-unsigned", otherwise="the agreement came into force, or a newer version waits")
def unsigned_holds(asked: Asked, row: Waiting) -> str | None:
    """An `agreement-unsigned` nudge (key `agreement-unsigned:p<partnership>:v<number>:...`) goes
    only while the version it names is still the current one and still not in force."""
    number = about(row.key, "v")
    s = asked.read(asked_standings).get(row.partnership_id)
    if number is None or (s is not None and s.version is not None and s.version.number == number and not s.in_force):
        return None
    return "the agreement came into force, or a newer version waits"


def asked_standings(asked: Asked) -> dict[int, Standing]:
    """The sign-off of every partnership an `agreement-unsigned` nudge being asked about is for,
    in the same four statements however many there are."""
    ids = {row.partnership_id for row in asked.rows if row.kind == "agreement-unsigned"}
    return standings(asked.session, select(Partnership.id).where(Partnership.id.in_(ids))) if ids else {}

