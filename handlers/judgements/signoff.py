"""Sign-off: whether the partnership's agreement is in force, who signed it and who has yet to.

The agreement is in force once a representative of every partner organisation has signed
its current version. The partner organisations are the ones its members name (`join
org:"..."`), observers aside; a member who names none is bound by the agreement but signs
for no organisation. A signature stands while its organisation stays at the table (one
that left and came back signs afresh), while its signer, if still a member, names that
organisation (organisations.void_signatures_of_the_moved), and until sign-off is asked for
again: a new version asks every organisation, an organisation joining asks it, and one
leaving asks every organisation still there, as what the others can rely on has changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from storage import queries
from storage.models import AgreementSignature, AgreementVersion, Member, PartnerOrganisation, Person, Role


class Taking(Protocol):
    """What sign-off needs of a member: a `Member`, or the nudge sweep's plain row of one."""

    @property
    def organisation(self) -> str | None: ...

    @property
    def role(self) -> Role: ...

    @property
    def left_at(self) -> datetime | None: ...


class Signature(NamedTuple):
    """A signature as sign-off reads it: which version and organisation, by whom and when."""

    version_id: int
    organisation_id: int
    by: str
    signed_at: datetime
    asked_again_at: datetime | None


@dataclass(frozen=True)
class Signed:
    organisation: str
    by: str
    at: datetime


@dataclass(frozen=True)
class Standing:
    """The current version's sign-off: who signed, who has yet to, and since when it was asked."""

    version: AgreementVersion | None
    signed: list[Signed]
    waiting: list[str]
    # When sign-off was last asked for: the version made, an organisation joining or leaving.
    asked: datetime | None

    @property
    def in_force(self) -> bool:
        return self.version is not None and bool(self.signed) and not self.waiting

    @property
    def since(self) -> datetime | None:
        """When it came into force: its last signature."""
        return max(s.at for s in self.signed) if self.in_force else None


def organisation_key(name: str) -> str:
    """One organisation however it is typed: case and spacing aside."""
    return queries.name_key(name)


def organisations_now(members: Iterable[Taking]) -> dict[str, str]:
    """The partner organisations at the table, key to name as its first member wrote it."""
    return organisations_of(m for m in members if m.left_at is None)


def organisations_of(members: Iterable[Taking]) -> dict[str, str]:
    """The partner organisations these members name, observers aside, whether or not they are
    still in: a meeting's minutes count those at its table when it began."""
    found: dict[str, str] = {}
    for m in members:
        if m.role is not Role.OBSERVER and m.organisation:
            found.setdefault(organisation_key(m.organisation), m.organisation)
    return found


def standing(version: AgreementVersion | None, presences: Iterable[PartnerOrganisation],
             signatures: Iterable[Signature], members: Iterable[Taking]) -> Standing:
    """Sign-off from the rows: the current version, the organisations' stays at the table, the
    signatures and the members now in. An organisation without a stay (its sync is pending)
    counts as not signed, so a gap can only hold the agreement back, never put it in force."""
    now = organisations_now(members)
    if version is None:
        return Standing(None, [], sorted(now.values(), key=str.casefold), None)
    present = {o.key: o for o in presences if o.left_at is None}
    standing_ones = {s.organisation_id: s for s in signatures if s.version_id == version.id and s.asked_again_at is None}
    asked = [version.created_at, *(s.asked_again_at for s in signatures
                                   if s.version_id == version.id and s.asked_again_at is not None)]
    signed: list[Signed] = []
    waiting: list[str] = []
    for key, name in sorted(now.items()):
        stay = present.get(key)
        signature = standing_ones.get(stay.id) if stay is not None else None
        if signature is not None and stay is not None:
            signed.append(Signed(stay.name, signature.by, signature.signed_at))
        else:
            waiting.append(stay.name if stay is not None else name)
            if stay is not None:
                asked.append(stay.joined_at)
    return Standing(version, sorted(signed, key=lambda s: s.at), waiting, max(asked))


def current_version(session: Session, partnership_id: int) -> AgreementVersion | None:
    return session.scalar(select(AgreementVersion).where(AgreementVersion.partnership_id == partnership_id)
                          .order_by(AgreementVersion.number.desc()).limit(1))


def signatures_of(session: Session, *version_ids: int) -> list[Signature]:
    """Every signature of these versions, standing or asked again, oldest first."""
    if not version_ids:
        return []
    return [Signature._make(row) for row in session.execute(
        select(AgreementSignature.version_id, AgreementSignature.organisation_id, Person.display_name,
               AgreementSignature.signed_at, AgreementSignature.asked_again_at)
        .join(Member, Member.id == AgreementSignature.member_id).join(Person, Person.id == Member.person_id)
        .where(AgreementSignature.version_id.in_(version_ids))
        .order_by(AgreementSignature.signed_at, AgreementSignature.id))]


def presences(session: Session, partnership_id: int) -> list[PartnerOrganisation]:
    """The organisations' stays at the table, present ones and past."""
    return list(session.scalars(select(PartnerOrganisation).where(PartnerOrganisation.partnership_id == partnership_id)
                                .order_by(PartnerOrganisation.joined_at, PartnerOrganisation.id)))


def standing_of(session: Session, partnership_id: int, version: AgreementVersion | None = None) -> Standing:
    """One partnership's sign-off, in four statements."""
    version = version or current_version(session, partnership_id)
    return standing(version, presences(session, partnership_id),
                    signatures_of(session, version.id) if version else [],
                    queries.active_members(session, partnership_id))


def standings(session: Session, among: Select[tuple[int]]) -> dict[int, Standing]:
    """The sign-off of every partnership `among` selects that has an agreement, in four statements
    whatever their number."""
    latest = (select(AgreementVersion.partnership_id, func.max(AgreementVersion.number).label("number"))
              .where(AgreementVersion.partnership_id.in_(among)).group_by(AgreementVersion.partnership_id).subquery())
    versions = {v.partnership_id: v for v in session.scalars(select(AgreementVersion).join(
        latest, (latest.c.partnership_id == AgreementVersion.partnership_id) & (latest.c.number == AgreementVersion.number)))}
    if not versions:
        return {}
    stays: dict[int, list[PartnerOrganisation]] = {}
    for o in session.scalars(select(PartnerOrganisation).where(PartnerOrganisation.partnership_id.in_(versions),
                                                               PartnerOrganisation.left_at.is_(None))):
        stays.setdefault(o.partnership_id, []).append(o)
    signed: dict[int, list[Signature]] = {}
    by_version = {v.id: pid for pid, v in versions.items()}
    for s in signatures_of(session, *by_version):
        signed.setdefault(by_version[s.version_id], []).append(s)
    members: dict[int, list[_Taking]] = {}
    for row in session.execute(select(Member.partnership_id, Member.organisation, Member.role, Member.left_at)
                               .where(Member.partnership_id.in_(versions), Member.left_at.is_(None))):
        members.setdefault(row.partnership_id, []).append(_Taking(row.organisation, row.role, row.left_at))
    return {pid: standing(v, stays.get(pid, []), signed.get(pid, []), members.get(pid, [])) for pid, v in versions.items()}


class _Taking(NamedTuple):
    organisation: str | None
    role: Role
    left_at: datetime | None
