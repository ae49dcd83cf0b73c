"""Partner organisations: kept in step with the members, so a newcomer organisation and one
that left are known for sure, and the agreement's sign-off asked for again.

An organisation is at the table while at least one member taking part (not an observer)
names it. Its stay is a row of its own: the second member of an organisation joining
changes nothing; the first of a new one starts a stay, which must sign the agreement; the
last one leaving (or changing organisation, or becoming an observer) ends it, and every
organisation still there is asked to sign the current version again. A partner that is
gone takes no stale promises with it: its standing pledges end, and the interests a member
who left had declared are withdrawn.

These follow from what a member did, so the event log names partnerbot as their author.
"""

from __future__ import annotations

from sqlalchemy import select, update

from handlers.context import Context
from handlers.judgements.contributions import partner_of, pledge_said
from handlers.judgements.signoff import current_version, organisation_key, organisations_now
from storage import queries
from storage.models import AgreementSignature, AgreementVersion, Interest, Member, PartnerOrganisation, Pledge, Role


def sync(ctx: Context) -> list[str]:
    """Start and end organisations' stays after members joined, left, changed organisation or
    role; log each, and return what to tell people about the agreement (nothing without one)."""
    p = ctx.require_partnership()
    members = queries.active_members(ctx.session, p.id)
    at_table = organisations_now(members)
    present = {o.key: o for o in ctx.session.scalars(select(PartnerOrganisation).where(
        PartnerOrganisation.partnership_id == p.id, PartnerOrganisation.left_at.is_(None)))}
    version = current_version(ctx.session, p.id)
    said: list[str] = []
    for key, name in at_table.items():
        if key in present:
            continue
        stay = PartnerOrganisation(partnership_id=p.id, key=key, name=name, joined_at=ctx.now)
        ctx.session.add(stay)
        ctx.session.flush()
        if version is not None:
            sentence = (f"{name} joins as a partner organisation: the agreement (version {version.number}) is not in "
                        f"force until one of its members signs it with `agreement sign {version.number}`.")
            noted(ctx, "organisation-join", f"noted that {name} joined as a partner organisation: the agreement "
                                            f"(version {version.number}) waits for its signature", stay)
            said.append(sentence)
    gone = [o for key, o in present.items() if key not in at_table]
    for stay in gone:
        stay.left_at = ctx.now
        if version is not None:
            noted(ctx, "organisation-leave", f"noted that {stay.name} is no longer a partner organisation: every "
                                             f"partner organisation is asked to sign the agreement (version "
                                             f"{version.number}) again", stay)
    if gone and version is not None:
        ctx.session.execute(update(AgreementSignature).where(AgreementSignature.version_id == version.id,
                                                             AgreementSignature.asked_again_at.is_(None))
                            .values(asked_again_at=ctx.now).execution_options(synchronize_session=False))
        names = " and ".join(o.name for o in gone)
        said.append(f"With {names} gone, each partner organisation is asked to sign the agreement (version "
                    f"{version.number}) again: `agreement sign {version.number}`.")
    if version is not None:
        said += void_signatures_of_the_moved(ctx, version, members)
    said += end_pledges(ctx, members)
    withdraw_interests(ctx, members)
    ctx.session.flush()
    return said


def last_one_out(ctx: Context, member: Member, organisation: str) -> str | None:
    """What `member` naming `organisation` would do when they are the last member taking part for their
    own: take it off the table, so every organisation signs again and its pledges end. A typo in
    `join org:` would otherwise do that silently; None when nothing is at stake."""
    old = member.organisation
    if member.role is Role.OBSERVER or not old or organisation_key(old) == organisation_key(organisation):
        return None
    p = ctx.require_partnership()
    others = [m for m in queries.active_members(ctx.session, p.id) if m.id != member.id]
    if organisation_key(old) in organisations_now(others):
        return None
    version = current_version(ctx.session, p.id)
    key = partner_of(member, old)[0]
    pledges = [f"#{x.number}" for x in ctx.session.scalars(select(Pledge).where(
        Pledge.partnership_id == p.id, Pledge.ended_at.is_(None)).order_by(Pledge.number))
        if partner_of(x.member, x.organisation)[0] == key]
    costs = ([f"every partner organisation is asked to sign the agreement (version {version.number}) again"]
             if version is not None else [])
    if pledges:
        costs.append(f"{'its pledges' if len(pledges) > 1 else 'its pledge'} {', '.join(pledges)} "
                     f"{'end' if len(pledges) > 1 else 'ends'}")
    if not costs:
        return None
    return (f"You are the last member of {old} here, so naming {organisation} instead takes {old} off the table: "
            f"{' and '.join(costs)}.")


def void_signatures_of_the_moved(ctx: Context, version: AgreementVersion, members: list[Member]) -> list[str]:
    """A signature stands only while its signer, still a member, names the organisation they
    signed for. Anyone may name an organisation, so otherwise a member could name another's,
    sign for it and go back to their own. One who left, or only observes now, leaves it
    standing: the organisation signed while they spoke for it."""
    here = {m.id: m for m in members}
    said: list[str] = []
    for signature, stay in ctx.session.execute(
            select(AgreementSignature, PartnerOrganisation)
            .join(PartnerOrganisation, PartnerOrganisation.id == AgreementSignature.organisation_id)
            .where(AgreementSignature.version_id == version.id, AgreementSignature.asked_again_at.is_(None))).all():
        signer = here.get(signature.member_id)
        if signer is None or (signer.organisation and organisation_key(signer.organisation) == stay.key):
            continue
        signature.asked_again_at = ctx.now
        name = signer.person.display_name
        noted(ctx, "signature-void", f"noted that {name} no longer names {stay.name}, so the signature they gave for "
                                     f"it (version {version.number}) no longer counts", stay)
        said.append(f"{name} no longer names {stay.name}, so the signature they gave for it no longer counts: one of "
                    f"{stay.name}'s members signs version {version.number} again with "
                    f"`agreement sign {version.number}`.")
    return said


def withdraw_interests(ctx: Context, members: list[Member]) -> None:
    """Withdraw the standing interests of members who no longer take part: who left, and who only
    observes now (they respond to no proposal, and could no longer withdraw it themselves)."""
    here = {m.id for m in members if m.role is not Role.OBSERVER}
    for interest in ctx.session.scalars(select(Interest).where(Interest.partnership_id == ctx.require_partnership().id,
                                                               Interest.withdrawn_at.is_(None))):
        if interest.member_id not in here:
            interest.withdrawn_at = ctx.now
            name = interest.member.display_name
            why = "left" if interest.member.left_at is not None else "only observes now"
            noted(ctx, "interest-withdraw", f"noted that interest #{interest.number} of {name} "
                                            f"(\"{interest.text}\") was withdrawn, as {name} {why}", interest)


def end_pledges(ctx: Context, members: list[Member]) -> list[str]:
    """End the standing pledges of partners no longer at the table (their last member left), saying so."""
    ended: list[str] = []
    here = {partner_of(m, m.organisation)[0] for m in members if m.role is not Role.OBSERVER}
    for pledge in ctx.session.scalars(select(Pledge).where(Pledge.partnership_id == ctx.require_partnership().id,
                                                           Pledge.ended_at.is_(None))):
        key, name = partner_of(pledge.member, pledge.organisation)
        if key not in here:
            pledge.ended_at = ctx.now
            noted(ctx, "pledge-withdraw", f"noted that pledge #{pledge.number} of {name} ({pledge.kind.value}: "
                                          f"{pledge_said(pledge)}) ended, as {name} is no longer at the table", pledge)
            ended.append(f"#{pledge.number} of {name}")
    if not ended:
        return []
    many = len(ended) > 1
    return [f"{'Pledges' if many else 'Pledge'} {', '.join(ended)} {'end' if many else 'ends'}, with nobody left to "
            f"keep {'them' if many else 'it'}."]


def noted(ctx: Context, action: str, summary: str, subject: PartnerOrganisation | Pledge | Interest) -> None:
    """Log what followed from a member's act, as the bot's own note."""
    queries.record_event(ctx.session, ctx.require_partnership().id, None, action, summary, ctx.now, subject=subject)
