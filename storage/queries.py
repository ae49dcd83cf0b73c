"""Reads and writes that more than one command needs, scoped by platform and workspace.

Every lookup takes the workspace it may look in, so one workspace can never reach
another's partnerships, people or commitments.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Executable, Select, and_, bindparam, func, select
from sqlalchemy.engine import Row as Plain
from sqlalchemy.orm import DeclarativeBase, Session, contains_eager, lazyload

from storage.models import (
    AgreementVersion,
    ChannelLink,
    Commitment,
    Concern,
    Decision,
    Delivery,
    Event,
    Flexibility,
    Goal,
    Interest,
    JoinRequest,
    Meeting,
    Member,
    PartnerOrganisation,
    Partnership,
    Person,
    Pledge,
    Review,
    Role,
)

Row = TypeVar("Row", bound=DeclarativeBase)
# The rows people name by their number within a partnership (storage/numbering.py).
Numbered = Commitment | Concern | Decision | Flexibility | Goal | Pledge | Delivery | Interest | Meeting
# What an event can be about, by the kind the event log names it with.
SUBJECT_KINDS: dict[type[DeclarativeBase], str] = {
    Commitment: "commitment", Concern: "concern", Decision: "decision", Flexibility: "offer",
    Member: "member", Review: "review", JoinRequest: "join-request", AgreementVersion: "agreement",
    PartnerOrganisation: "organisation", Pledge: "pledge", Delivery: "delivery", Goal: "goal", Interest: "interest",
    Meeting: "meeting",
}


def lock(session: Session, model: type[Row], row_id: int) -> Row | None:
    """A row read afresh and locked until the transaction ends, in one statement."""
    return session.scalar(for_change(select(model).where(model.id == row_id), model))  # type: ignore[attr-defined]


def for_change(query: Select[tuple[Row]], model: type[Row]) -> Select[tuple[Row]]:
    """The query's rows read afresh and locked until the transaction ends (PostgreSQL; SQLite's
    transaction already holds the whole database, see `database.take_write_lock`).

    FOR NO KEY UPDATE: two changes to one row wait for each other, while rows that merely
    refer to it (an event about a partnership) can still be written."""
    return query.with_for_update(key_share=True, of=model).execution_options(populate_existing=True)


def plain_rows(session: Session, statement: Executable, values: dict[str, Any] | None = None) -> Sequence[Plain[Any]]:
    """The rows of a SELECT of columns (no ORM entities), run on the session's connection once
    what is pending is flushed, as the ORM would have. The ORM's own path for a statement
    (`session.execute`) cost a third of it, 225 against 155 µs for `who`'s list, and gave the
    same plain rows."""
    session.flush()
    return session.connection().execute(statement, values or {}).all()


# The statements nearly every command runs are built once, with their values bound at each
# execution: building one per call cost about as much CPU as sending it and reading its rows
# (0.25 ms of the 0.6 ms `channel_context` took), and a statement built once also keeps its
# cache key. The channel a command is typed in, by its platform, workspace and id:
IN_CHANNEL = (ChannelLink.platform == bindparam("platform"), ChannelLink.workspace == bindparam("workspace"),
              ChannelLink.channel == bindparam("channel"))
# What every read starts with:
CHANNEL_CONTEXT = (
    select(Partnership, Person, Member)
    .join(ChannelLink, ChannelLink.partnership_id == Partnership.id)
    .outerjoin(Person, and_(Person.platform == bindparam("platform"), Person.workspace == bindparam("workspace"),
                            Person.user_id == bindparam("user_id")))
    .outerjoin(Member, and_(Member.partnership_id == Partnership.id, Member.person_id == Person.id))
    .where(*IN_CHANNEL)
    .options(lazyload(Member.person))  # the Person selected beside it
)
# What a changing command starts with: its channel's partnership, locked (see `for_change`);
# then, once the lock is held, the account typing and its membership there.
CHANNEL_LOCKED = for_change(
    select(Partnership).join(ChannelLink, ChannelLink.partnership_id == Partnership.id).where(*IN_CHANNEL),
    Partnership)
ACCOUNT_IN = (
    select(Person, Member)
    .outerjoin(Member, and_(Member.partnership_id == bindparam("partnership_id"), Member.person_id == Person.id))
    .where(Person.platform == bindparam("platform"), Person.workspace == bindparam("workspace"),
           Person.user_id == bindparam("user_id"))
    .options(lazyload(Member.person))  # the Person selected beside it
)


def channel_context(session: Session, platform: str, workspace: str, channel: str, user_id: str,
                    locked: bool = False) -> tuple[Partnership, Person | None, Member | None] | None:
    """The partnership a channel is linked to, with the account typing there and that account's
    membership row in it (active or not): what nearly every command reads first, in one
    statement rather than three.

    `locked`, for a command that changes the partnership, reads the partnership alone, afresh,
    and locks its row (see `for_change`): PostgreSQL gives a statement that waited for a lock
    the other tables' rows as they were before the wait, so the person and the membership are
    read after it, by a statement of their own."""
    if locked:
        partnership = session.scalar(CHANNEL_LOCKED, {"platform": platform, "workspace": workspace, "channel": channel})
        if partnership is None:
            return None
        row = session.execute(ACCOUNT_IN, {"platform": platform, "workspace": workspace, "user_id": user_id,
                                           "partnership_id": partnership.id}).first()
        return (partnership, None, None) if row is None else (partnership, row[0], row[1])
    row = session.execute(CHANNEL_CONTEXT, {"platform": platform, "workspace": workspace, "channel": channel,
                                            "user_id": user_id}).first()
    return None if row is None else (row[0], row[1], row[2])


def channel_partnership_id(session: Session, platform: str, workspace: str, channel: str) -> int | None:
    """The id of the partnership a channel is linked to, if any."""
    return session.scalar(select(ChannelLink.partnership_id).where(*IN_CHANNEL),
                          {"platform": platform, "workspace": workspace, "channel": channel})


def find_person(session: Session, platform: str, workspace: str, user_id: str) -> Person | None:
    """The person behind a platform account: where the account was linked to another of
    theirs (`link me`), the person it was linked to."""
    person = account(session, platform, workspace, user_id)
    if person is not None and person.account_of_id is not None:
        return session.get(Person, person.account_of_id)
    return person


ACCOUNT = select(Person).where(Person.platform == bindparam("platform"), Person.workspace == bindparam("workspace"),
                               Person.user_id == bindparam("user_id"))


def account(session: Session, platform: str, workspace: str, user_id: str) -> Person | None:
    """The row of one platform account itself, linked or not."""
    return session.scalar(ACCOUNT, {"platform": platform, "workspace": workspace, "user_id": user_id})


def user_ids(session: Session, platform: str, workspace: str) -> list[str]:
    """The platform user ids of everyone partnerbot has met in a workspace."""
    return list(session.scalars(select(Person.user_id).where(Person.platform == platform,
                                                             Person.workspace == workspace)))


def people_named(session: Session, platform: str, workspace: str, name: str) -> list[Person]:
    """People of a workspace whose display name is `name`, ignoring case."""
    return list(session.scalars(select(Person).where(
        Person.platform == platform, Person.workspace == workspace,
        func.lower(Person.display_name) == name.lower()).order_by(Person.id).limit(50)))


def partnership_by_name(session: Session, platform: str, workspace: str, name: str) -> Partnership | None:
    return session.scalar(
        select(Partnership).where(
            Partnership.platform == platform,
            Partnership.workspace == workspace,
            Partnership.name_key == name_key(name),
        )
    )


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def channel_link(session: Session, platform: str, workspace: str, channel: str) -> ChannelLink | None:
    return session.scalar(
        select(ChannelLink).where(
            ChannelLink.platform == platform,
            ChannelLink.workspace == workspace,
            ChannelLink.channel == channel,
        )
    )


def home_channel(session: Session, platform: str, workspace: str, partnership_id: int) -> str | None:
    """The partnership's first linked channel on a platform: where its announcements go."""
    return session.scalar(
        select(ChannelLink.channel).where(ChannelLink.platform == platform, ChannelLink.workspace == workspace,
                                          ChannelLink.partnership_id == partnership_id).order_by(ChannelLink.id)
    )


MEMBERSHIPS = (
    select(Member)
    .join(Member.partnership)
    .options(contains_eager(Member.partnership))  # every caller wants it: no query per partnership
    .where(Member.person_id == bindparam("person_id"), Member.left_at.is_(None))
    .order_by(Partnership.name)
)
MEMBERSHIP = select(Member).where(Member.partnership_id == bindparam("partnership_id"),
                                  Member.person_id == bindparam("person_id"))
MEMBERS_EVER = (select(Member).join(Member.person).where(Member.partnership_id == bindparam("partnership_id"))
                .order_by(func.lower(Person.display_name)))
ACTIVE_MEMBERS = MEMBERS_EVER.where(Member.left_at.is_(None))


def memberships(session: Session, person_id: int) -> list[Member]:
    """A person's active memberships, in every partnership they sit in."""
    return list(session.scalars(MEMBERSHIPS, {"person_id": person_id}))


def in_several(session: Session, person_ids: Collection[int]) -> set[int]:
    """Those of these people with more than one active membership (`memberships`): where no
    channel says which partnership they mean, their commands must name it."""
    if not person_ids:
        return set()
    return set(session.scalars(select(Member.person_id).where(Member.person_id.in_(person_ids), Member.left_at.is_(None))
                               .group_by(Member.person_id).having(func.count() > 1)))


def membership(session: Session, partnership_id: int, person_id: int) -> Member | None:
    """The person's membership row in a partnership, active or not."""
    return session.scalar(MEMBERSHIP, {"partnership_id": partnership_id, "person_id": person_id})


def active_members(session: Session, partnership_id: int) -> list[Member]:
    """Everyone in the partnership now, by name."""
    return list(session.scalars(ACTIVE_MEMBERS, {"partnership_id": partnership_id}))


def members_ever(session: Session, partnership_id: int) -> list[Member]:
    """Everyone who has been a member, former ones included (their history stays), by name."""
    return list(session.scalars(MEMBERS_EVER, {"partnership_id": partnership_id}))


def members_at(session: Session, partnership_id: int, moment: datetime) -> list[Member]:
    """Everyone who was a member at `moment`, by name: who could decide a proposal as it closed,
    or sat at a meeting's table as it began."""
    return [m for m in members_ever(session, partnership_id) if member_at(m, moment)]


def member_at(m: Member, moment: datetime) -> bool:
    """Whether the membership held at `moment`: joined by then, and not yet left."""
    return m.joined_at <= moment and (m.left_at is None or m.left_at > moment)


def coordinators(session: Session, partnership_id: int) -> list[Member]:
    return [m for m in active_members(session, partnership_id) if m.role is Role.COORDINATOR]


def about(subject: Numbered) -> tuple[object, ...]:
    """The conditions picking out the events about one row."""
    return (Event.partnership_id == subject.partnership_id, Event.subject_kind == SUBJECT_KINDS[type(subject)],
            Event.subject_id == subject.id)


def last_event(session: Session, subject: Numbered,
               actions: tuple[str, ...]) -> Event | None:
    """The latest of these actions on one subject: who closed a commitment, say."""
    return session.scalar(select(Event).where(*about(subject), Event.action.in_(actions))
                          .order_by(Event.id.desc()).limit(1))


def record_event(
    session: Session,
    partnership_id: int,
    actor_id: int | None,
    action: str,
    summary: str,
    now: datetime,
    subject: DeclarativeBase | None = None,
    reason: str | None = None,
) -> Event:
    """Write one line of the event log, inside the caller's transaction; `subject` is the row it
    is about, whose kind and id are kept (flushed first, so a new row has its id)."""
    if subject is not None and subject.id is None:  # type: ignore[attr-defined]
        session.flush([subject])
    event = Event(
        partnership_id=partnership_id,
        actor_id=actor_id,
        action=action,
        subject_kind=None if subject is None else SUBJECT_KINDS[type(subject)],
        subject_id=None if subject is None else subject.id,  # type: ignore[attr-defined]
        summary=summary,
        reason=reason,
        created_at=now,
    )
    session.add(event)
    return event
