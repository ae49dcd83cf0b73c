"""The partnership state, as SQLAlchemy 2 typed models.

These models are the single description of what partnerbot remembers. Rules that must
never be broken (a commitment without an owner, an owner from another partnership, a
nudge sent twice) are constraints here, so the database itself
refuses them whatever code path tries.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    false,
    func,
    or_,
)
from sqlalchemy import text as sql_text
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.elements import TextClause


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as naive UTC and gives them back aware.

    SQLite keeps no time zone, so we normalise on the way in and out; every timestamp
    in partnerbot is UTC at rest and converted to the reader's zone only when shown.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _enum(cls: type[enum.Enum], name: str | None = None) -> Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint (named `name`, for a second
    column of the same enum in one table), stored by value."""
    return Enum(
        cls,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        name=name or f"ck_{cls.__name__.lower()}",
    )


class PartnershipKind(enum.StrEnum):
    STEERING_GROUP = "steering-group"
    TASK_FORCE = "task-force"
    DEVELOPMENT_TRUST = "development-trust"
    UMBRELLA_FORUM = "umbrella-forum"
    PROJECT = "project"


class Formality(enum.StrEnum):
    INFORMAL = "informal"
    FORMAL = "formal"


class Joining(enum.StrEnum):
    """How newcomers get into a partnership: straight in, or once a coordinator approves."""

    OPEN = "open"
    APPROVAL = "approval"


class ReviewCadence(enum.StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half-yearly"
    YEARLY = "yearly"


class Role(enum.StrEnum):
    COORDINATOR = "coordinator"
    MEMBER = "member"
    OBSERVER = "observer"


class Sector(enum.StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    VOLUNTARY = "voluntary"
    COMMUNITY = "community"


class CommitmentStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class ConcernKind(enum.StrEnum):
    PRIORITIES = "priorities"
    RESOURCES = "resources"
    TIME = "time"
    PEOPLE = "people"
    GOALS = "goals"
    PROCESS = "process"
    OTHER = "other"


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ConcernStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class FlexDimension(enum.StrEnum):
    TIME = "time"
    MONEY = "money"
    PRIORITIES = "priorities"
    RESOURCES = "resources"


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime}


class Partnership(Base):
    """A partnership in one chat workspace: its purpose, framework and direction."""

    __tablename__ = "partnerships"
    # Not unique: a name need only differ from the other partnerships one person can see (see
    # `setup`), so a stranger learns nothing by trying one, nor takes it first.
    __table_args__ = (Index("ix_partnerships_name", "platform", "workspace", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    # Case-folded name: "riverside partnership" and "Riverside Partnership" are one.
    name_key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[PartnershipKind] = mapped_column(_enum(PartnershipKind))
    formality: Mapped[Formality] = mapped_column(_enum(Formality), default=Formality.INFORMAL)
    purpose: Mapped[str | None] = mapped_column(Text)
    terms: Mapped[str | None] = mapped_column(Text)
    goals: Mapped[str | None] = mapped_column(Text)
    # The last day, as typed, and the moment it is over: the end of that day in the zone of the
    # coordinator who set it. Every surface judges the end by that one moment (`over`), so no
    # reader's zone or the sweep's UTC makes it end earlier or later for some than for others.
    end_date: Mapped[date | None] = mapped_column(Date)
    ends_at: Mapped[datetime | None]
    review_cadence: Mapped[ReviewCadence | None] = mapped_column(_enum(ReviewCadence))
    next_review_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    # Set when a review decides to wind the partnership up; its history stays readable.
    closed_at: Mapped[datetime | None]
    # How newcomers get in; None follows the formality (see `joining_rule`).
    joining: Mapped[Joining | None] = mapped_column(_enum(Joining))
    # Whether members who joined after a proposal opened count towards its outcome.
    count_latecomers: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Whether a member who declared an interest in a proposal is left out of its count.
    interests_excluded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # How long before a proposal closes its members who have not responded are reminded, once.
    remind_hours: Mapped[int] = mapped_column(Integer, default=24, server_default="24")
    # What the nudge sweep needs to derive only what changed (storage/derivation.py): changes
    # counted to the rows its derivation reads, the count the last derivation saw and when it
    # ran, and the next moment its answer could change with nothing changed (a due date...).
    changes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    derived: Mapped[int | None] = mapped_column(Integer)
    derived_at: Mapped[datetime | None]
    derive_after: Mapped[datetime | None]
    # Derivations that failed in a row: tried again after a wait that grows with it, behind the
    # partnerships that derive (`storage.derivation.due`); 0 once one succeeds.
    derive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    members: Mapped[list[Member]] = relationship(back_populates="partnership")

    @property
    def joining_rule(self) -> Joining:
        """A formal partnership approves its newcomers unless it says otherwise."""
        if self.joining is not None:
            return self.joining
        return Joining.APPROVAL if self.formality is Formality.FORMAL else Joining.OPEN

    @hybrid_method
    def over(self, now: datetime) -> bool:
        """Wound up by a review, or past its end date (its last day): from then on it is
        read-only and nudges nobody, until a coordinator reopens it."""
        return self.closed_at is not None or (self.ends_at is not None and self.ends_at <= now)

    @over.expression
    def over(cls, now: datetime) -> ColumnElement[bool]:  # the same test, as SQL for the sweeps
        return or_(cls.closed_at.is_not(None), and_(cls.ends_at.is_not(None), cls.ends_at <= now))


class ChannelLink(Base):
    """A channel or room belongs to exactly one partnership."""

    __tablename__ = "channel_links"
    __table_args__ = (UniqueConstraint("platform", "workspace", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(128))
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), index=True
    )


class RoomCode(Base):
    """A one-time code a coordinator asked for (`link room`) to link another room, on any
    platform, to their partnership: only its SHA-256 is kept, it expires, and it works once."""

    __tablename__ = "room_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Person(Base):
    """A chat user in a workspace; one person may sit in several partnerships."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("platform", "workspace", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Away (`away`): days in their own zone with no nudges and no capacity.
    away_from: Mapped[date | None] = mapped_column(Date)
    away_until: Mapped[date | None] = mapped_column(Date)
    # How they write numeric dates (`dates month-first`): 03/31/2027 rather than 31/03/2027.
    month_first: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Another account of the person this row's account was linked to (`link me`): commands
    # typed from it act as that person, so one human is one member with one load and one vote.
    account_of_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", name="fk_people_account_of"), index=True)


class AccountCode(Base):
    """A one-time code a person asked for (`link me`) to link another account of theirs, on
    another platform or workspace, to this one: only its SHA-256 is kept, it expires, and it
    works once."""

    __tablename__ = "account_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Member(Base):
    """A person's place in one partnership: organisation, sector, role and capacity."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("partnership_id", "person_id"),
        # Lets other tables require that a member belongs to *their* partnership.
        UniqueConstraint("id", "partnership_id", name="uq_members_id_partnership"),
        CheckConstraint("capacity_hours IS NULL OR capacity_hours >= 0", name="ck_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.MEMBER)
    organisation: Mapped[str | None] = mapped_column(String(120))
    sector: Mapped[Sector | None] = mapped_column(_enum(Sector))
    volunteer: Mapped[bool] = mapped_column(Boolean, default=False)
    # Hours a week this member can give; None means not stated.
    capacity_hours: Mapped[float | None] = mapped_column(Float)
    # A free tag for the point of view a member speaks from ("professional expert",
    # "local user"), so decisions can show whether the groups agreed.
    perspective: Mapped[str | None] = mapped_column(String(60))
    joined_at: Mapped[datetime]
    # Members who leave are kept, so the history of who did what stays readable.
    left_at: Mapped[datetime | None]
    # Removed by a coordinator: joining again needs a coordinator's approval.
    removed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Their role was a coordinator's choice (an observer, say): leaving and joining keeps it.
    role_imposed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    partnership: Mapped[Partnership] = relationship(back_populates="members")
    person: Mapped[Person] = relationship(lazy="joined")

    @property
    def active(self) -> bool:
        return self.left_at is None

    # Their person's name, zone and time away, read as the member's own, so the judgements
    # (handlers/judgements/) take a `Member` or the nudge sweep's plain row of one alike.
    @property
    def display_name(self) -> str:
        return self.person.display_name

    @property
    def user_id(self) -> str:
        return self.person.user_id

    @property
    def timezone(self) -> str:
        return self.person.timezone

    @property
    def away_from(self) -> date | None:
        return self.person.away_from

    @property
    def away_until(self) -> date | None:
        return self.person.away_until


def _member_fk(column: str) -> ForeignKeyConstraint:
    """A foreign key to a member *of the same partnership* as the row."""
    return ForeignKeyConstraint(
        [column, "partnership_id"], ["members.id", "members.partnership_id"]
    )


class Priority(Base):
    """A partner's own goal; replaced ones are kept (with dates) as history."""

    __tablename__ = "priorities"
    __table_args__ = (_member_fk("member_id"), Index("ix_priorities_partnership", "partnership_id"),
                      Index("ix_priorities_member", "member_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    member_id: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    set_at: Mapped[datetime]
    replaced_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship(
        foreign_keys="Priority.member_id", primaryjoin="Priority.member_id == Member.id", lazy="joined"
    )


class Commitment(Base):
    """Who does what by when: the partnership's mechanism for delivery."""

    __tablename__ = "commitments"
    __table_args__ = (
        _member_fk("owner_id"),
        CheckConstraint("effort_hours IS NULL OR effort_hours >= 0", name="ck_effort"),
        Index("ix_commitments_partnership_status_due", "partnership_id", "status", "due_at"),
        Index("ix_commitments_owner_status", "owner_id", "status"),
        # The nudge sweep reads every partnership's open work, and the past week's done work, at once.
        Index("ix_commitments_status_due", "status", "due_at"),
        Index("ix_commitments_status_closed", "status", "closed_at"),
        # An occurrence is made once, however many sweepers or `done`s race to make it.
        UniqueConstraint("series_id", "due_at", name="uq_commitments_series_due"),
        CheckConstraint("left_hours IS NULL OR left_hours >= 0", name="ck_left"),
        UniqueConstraint("partnership_id", "number", name="uq_commitments_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    # What people see and type (#3): counted within the partnership, see storage/numbering.py.
    number: Mapped[int]
    owner_id: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    # The end of the due day in the author's time zone, stored in UTC.
    due_at: Mapped[datetime]
    effort_hours: Mapped[float | None] = mapped_column(Float)
    status: Mapped[CommitmentStatus] = mapped_column(
        _enum(CommitmentStatus), default=CommitmentStatus.OPEN
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    drop_reason: Mapped[str | None] = mapped_column(Text)
    # The organisation outside the partnership a dropped commitment was handed on to (`hand on`,
    # a wind-up's `open:hand-on`): the partnership no longer does it, and the record says who does.
    handed_to: Mapped[str | None] = mapped_column(String(120))
    # When the work can start (`from:`); None means when it was logged. Its effort is
    # spread from then to the due date, so a far-off date reads as a light weekly load.
    starts_at: Mapped[datetime | None]
    # Hours still to do, as its owner last said (`progress`, `left`), and when they said it;
    # None means all of the effort is left.
    left_hours: Mapped[float | None] = mapped_column(Float)
    progress_at: Mapped[datetime | None]
    done_note: Mapped[str | None] = mapped_column(Text)
    # The organisation its owner spoke for when it was marked done (None: a person speaking for
    # none): give and take credits delivered work as named then, not to whoever they speak for now.
    delivered_for: Mapped[str | None] = mapped_column(String(120))
    # Set while a handover waits for its new owner's `accept` or `decline`: who had it before.
    handover_from_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", name="fk_commitments_handover_from"))
    handover_at: Mapped[datetime | None]
    # The series a recurring commitment's occurrence belongs to.
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("commitment_series.id", ondelete="SET NULL", name="fk_commitments_series"))
    # The day its series' rule gave an occurrence, kept once `edit by:` moves it, so the next
    # keeps the rule's day; None while it is due on that day.
    scheduled_on: Mapped[date | None] = mapped_column(Date)

    owner: Mapped[Member] = relationship(
        foreign_keys="Commitment.owner_id", primaryjoin="Commitment.owner_id == Member.id", lazy="joined"
    )
    series: Mapped[CommitmentSeries | None] = relationship(lazy="joined")

    @property
    def starts(self) -> datetime:
        return self.starts_at or self.created_at

    @property
    def owner_timezone(self) -> str:
        """Its owner's zone: its due date is a day on their calendar, the same for every reader."""
        return self.owner.timezone


class CommitmentSeries(Base):
    """Recurring work (`every:tuesday`): one open occurrence at a time, each its own commitment.

    The next occurrence copies the latest one (owner, title, effort), so corrections carry on.
    """

    __tablename__ = "commitment_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"), index=True)
    # `weekday:1` (every Tuesday), `weeks:2`, `months:1`.
    rule: Mapped[str] = mapped_column(String(40))
    # The last day an occurrence may fall on; None means until it is stopped.
    until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]


class Concern(Base):
    """A tension or problem raised to be negotiated to a resolution."""

    __tablename__ = "concerns"
    __table_args__ = (
        ForeignKeyConstraint(["raised_by_id", "partnership_id"], ["members.id", "members.partnership_id"]),
        Index("ix_concerns_partnership_status", "partnership_id", "status"),
        UniqueConstraint("partnership_id", "number", name="uq_concerns_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    number: Mapped[int]
    # None when raised anonymously: we do not keep what we promise not to show.
    raised_by_id: Mapped[int | None]
    # Raised anonymously: the SHA-256 of the code only the raiser was shown, which lets them
    # reopen it later (`reopen concern N "why" code:...`) once; never the code itself.
    reopen_code_hash: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[ConcernKind] = mapped_column(_enum(ConcernKind), default=ConcernKind.OTHER)
    severity: Mapped[Severity] = mapped_column(_enum(Severity), default=Severity.MEDIUM)
    status: Mapped[ConcernStatus] = mapped_column(_enum(ConcernStatus), default=ConcernStatus.OPEN)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # When it was last reopened (None: never): it has been open since then, not since it was raised.
    reopened_at: Mapped[datetime | None]

    raised_by: Mapped[Member | None] = relationship(
        foreign_keys="Concern.raised_by_id", primaryjoin="Concern.raised_by_id == Member.id", lazy="joined"
    )
    notes: Mapped[list[ConcernNote]] = relationship(
        order_by="ConcernNote.created_at", back_populates="concern"
    )

    @hybrid_property
    def open_since(self) -> datetime:
        """Since when it has been open: raised, or last reopened. Every surface that says how
        long a concern has waited (nudges, `health`, the dashboard, the public page) asks this."""
        return self.reopened_at or self.created_at

    @open_since.inplace.expression
    @classmethod
    def _open_since(cls) -> ColumnElement[datetime]:  # the same, as SQL
        return func.coalesce(cls.reopened_at, cls.created_at)

    @staticmethod
    def days_open(since: datetime, now: datetime) -> int:
        """Whole days open at `now`, from `open_since` (passed in, as some surfaces select it alone):
        the one figure `health`, the stale nudge, the dashboard and the public page all give."""
        return (now - since).days


class CodeAttempts(Base):
    """Wrong reopen codes counted for one day, for one concern or one person (never both in
    one row, so no row ties a person to a concern): past a day's limit, codes are refused
    unchecked, and the count lives here so every process, and a restart, sees it."""

    __tablename__ = "code_attempts"
    __table_args__ = (
        CheckConstraint("(concern_id IS NULL) <> (person_id IS NULL)", name="ck_code_attempts_one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int | None] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), unique=True)
    # The UTC day counted; a count from an earlier day starts again from nothing.
    day: Mapped[date] = mapped_column(Date)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class ConcernNote(Base):
    """One contribution to negotiating a concern."""

    __tablename__ = "concern_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"), index=True)
    # None for the anonymous raiser's own note (added with their code): no name kept, as for the concern.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    concern: Mapped[Concern] = relationship(back_populates="notes")
    author: Mapped[Person | None] = relationship(lazy="joined")


class Flexibility(Base):
    """What a partner can give more of, or bend on, when things change."""

    __tablename__ = "flexibilities"
    __table_args__ = (_member_fk("member_id"), Index("ix_flex_partnership", "partnership_id", "dimension"),
                      Index("ix_flex_member", "member_id"),
                      UniqueConstraint("partnership_id", "number", name="uq_flexibilities_number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    number: Mapped[int]
    member_id: Mapped[int]
    dimension: Mapped[FlexDimension] = mapped_column(_enum(FlexDimension))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship(
        foreign_keys="Flexibility.member_id", primaryjoin="Flexibility.member_id == Member.id", lazy="joined"
    )


class Event(Base):
    """The event log: every change, who made it, when, and the reason given."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_partnership_time", "partnership_id", "created_at"),
                      Index("ix_events_subject", "partnership_id", "subject_kind", "subject_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    # None for anonymous acts (an anonymous concern) and for the bot itself.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(40))
    # What the change was to: a kind (`commitment`, `concern`, `decision`, `offer`, `member`,
    # `review`, `join-request`) and that row's database id, not the number people see.
    subject_kind: Mapped[str | None] = mapped_column(String(20))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    actor: Mapped[Person | None] = relationship(lazy="joined")


class NudgeSettings(Base):
    """A partnership's own thresholds for nudges; an empty (NULL) column means the default."""

    __tablename__ = "nudge_settings"

    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), primary_key=True
    )
    due_soon_days: Mapped[int | None]
    escalate_after_days: Mapped[int | None]
    concern_stale_days: Mapped[int | None]
    review_soon_days: Mapped[int | None]
    end_soon_days: Mapped[int | None]
    max_open: Mapped[int | None]
    max_overdue: Mapped[int | None]
    # Percent of the partnership's open commitments one member may hold before it is a risk.
    key_share: Mapped[int | None]
    # Quiet hours in each person's own time zone, as minutes after midnight.
    quiet_start: Mapped[int | None]
    quiet_end: Mapped[int | None]
    daily_cap: Mapped[int | None]
    updated_at: Mapped[datetime]


class Episode(Base):
    """A warning's current episode for one member (`overload`, `key-person`, `sole-coordinator`):
    when it began, when it was last told and its figures then, and the figures told the time
    before. A warning goes once per episode, and again only when it is worse, saying what changed."""

    __tablename__ = "episodes"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime]
    told_at: Mapped[datetime]
    # The figures when last told, as JSON ({"weekly": 12.0, "open": 3}), and the ones told before.
    figures: Mapped[str] = mapped_column(Text)
    previous: Mapped[str | None] = mapped_column(Text)
    previous_at: Mapped[datetime | None]


class Handover(Base):
    """One handing-over of a commitment: whose work it was, who was asked to take it on, and
    their answer (`accepted`, `declined`, `passed on` when it was handed on again first,
    `withdrawn` when whoever handed it over took it back first, or `closed first` when it was
    dropped or handed on out of the partnership first, going back to whoever handed it over).
    Give and take counts the accepted ones."""

    __tablename__ = "handovers"
    __table_args__ = (_member_fk("from_member_id"), _member_fk("to_member_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"), index=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id", ondelete="CASCADE"), index=True)
    from_member_id: Mapped[int]
    to_member_id: Mapped[int]
    # The organisations the two spoke for when it was handed (None: a person speaking for none),
    # so give and take credits it as named then, whatever either speaks for later.
    from_organisation: Mapped[str | None] = mapped_column(String(120))
    to_organisation: Mapped[str | None] = mapped_column(String(120))
    handed_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None]


class Snooze(Base):
    """Reminders about a commitment are held back until `until`."""

    __tablename__ = "snoozes"

    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE"), primary_key=True
    )
    until: Mapped[datetime]
    by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]


class Nudge(Base):
    """One message the bot owes someone, keyed so it can be recorded (and sent) only once.

    `key` names what the nudge is about and for which period (`overdue:c12:2026-11-27`),
    so every sweep that finds it due derives the same key and the unique index keeps
    one row. A sweep leases rows it is delivering (`claimed_by`, `claimed_until`); a lease
    that runs out (a crashed sweep) lets a later sweep deliver them. After a failed send,
    `claimed_until` alone is the pause before the next try. A nudge that stopped being true
    before it went is cancelled (`cancelled_at`, `cancel_reason`), never sent; that frees its
    key, so the same nudge is owed again if it comes true again (its owner back from away).
    """

    __tablename__ = "nudges"
    __table_args__ = (
        CheckConstraint("(person_id IS NULL) <> (channel IS NULL)", name="ck_nudge_recipient"),
        CheckConstraint("sent_at IS NULL OR cancelled_at IS NULL", name="ck_nudge_sent_or_cancelled"),
        Index("uq_nudges_key", "key", unique=True, sqlite_where=sql_text("cancelled_at IS NULL"),
              postgresql_where=sql_text("cancelled_at IS NULL")),
        Index("ix_nudges_pending", "sent_at", "cancelled_at", "claimed_until"),
        Index("ix_nudges_person_sent", "person_id", "sent_at"),
        # The owed ones by the moment they are held back until: a plan reads the few free to go.
        Index("ix_nudges_not_before", "not_before", sqlite_where=sql_text("sent_at IS NULL AND cancelled_at IS NULL"),
              postgresql_where=sql_text("sent_at IS NULL AND cancelled_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    # Exactly one recipient: a person (a direct message) or the partnership's channel.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    channel: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    # Buttons the message carries, as JSON [[label, command], ...] (Accept / Decline a handover).
    actions: Mapped[str | None] = mapped_column(Text)
    # No longer true when its turn came (the work done, the person gone), and why.
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Held back (quiet hours, a daily cap, time away) until this moment: sweeps leave it out
    # of their plans until then, unless its partnership changes meanwhile, which frees it
    # (storage/nudges.py `hold_back`, `free`).
    not_before: Mapped[datetime | None]

    person: Mapped[Person | None] = relationship(lazy="joined")

    @classmethod
    def owed(cls) -> ColumnElement[bool]:
        """Neither sent nor cancelled: still to go."""
        return and_(cls.sent_at.is_(None), cls.cancelled_at.is_(None))


class JoinRequest(Base):
    """Someone asking to join a partnership whose coordinators approve newcomers, with the
    details they gave (`org`, `sector`... as typed, in JSON); decided once, either way."""

    __tablename__ = "join_requests"
    __table_args__ = (
        CheckConstraint("(decided_at IS NULL) = (approved IS NULL)", name="ck_join_request_decided"),
        Index("uq_join_requests_pending", "partnership_id", "person_id", unique=True,
              sqlite_where=sql_text("decided_at IS NULL"), postgresql_where=sql_text("decided_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    role: Mapped[Role] = mapped_column(_enum(Role))
    details: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    approved: Mapped[bool | None] = mapped_column(Boolean)

    person: Mapped[Person] = relationship(foreign_keys=[person_id], lazy="joined")


# --- Slack -----------------------------------------------------------------------------

class SlackRequest(Base):
    """A Slack request already taken on: a retried command, click or event is acknowledged
    and ignored, so nothing is ever done (or logged) twice. Old rows are pruned."""

    __tablename__ = "slack_requests"
    __table_args__ = (UniqueConstraint("team_id", "request_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    # The event id, the trigger id, or a digest of the body when a payload has neither.
    request_key: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(index=True)


# slack-sdk's own OAuth tables, for multi-workspace installs: SQLAlchemyInstallationStore and
# SQLAlchemyOAuthStateStore (slack_sdk.oauth.*.sqlalchemy) read and write them. Declared here,
# column for column as slack-sdk 3.48 builds them, so Alembic (not the SDK) creates and evolves
# them, without the storage layer importing slack_sdk; tests/test_slack_oauth.py checks the
# copies still match the SDK.
def _slack_installation_columns(with_user: bool) -> list[Column[object]]:
    columns: list[Column[object]] = [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("client_id", String(32), nullable=False),
        Column("app_id", String(32), nullable=False),
        Column("enterprise_id", String(32)),
        Column("enterprise_name", String(200)),
    ]
    if with_user:
        columns.append(Column("enterprise_url", String(200)))
    columns += [
        Column("team_id", String(32)),
        Column("team_name", String(200)),
        Column("bot_token", String(200)),
        Column("bot_id", String(32)),
        Column("bot_user_id", String(32)),
        Column("bot_scopes", String(1000)),
        Column("bot_refresh_token", String(200)),
        Column("bot_token_expires_at", DateTime),
    ]
    if with_user:
        columns += [
            Column("user_id", String(32), nullable=False),
            Column("user_token", String(200)),
            Column("user_scopes", String(1000)),
            Column("user_refresh_token", String(200)),
            Column("user_token_expires_at", DateTime),
            Column("incoming_webhook_url", String(200)),
            Column("incoming_webhook_channel", String(200)),
            Column("incoming_webhook_channel_id", String(200)),
            Column("incoming_webhook_configuration_url", String(200)),
        ]
    columns.append(Column("is_enterprise_install", Boolean, default=False, nullable=False))
    if with_user:
        columns.append(Column("token_type", String(32)))
    columns.append(Column("installed_at", DateTime, nullable=False, default=func.now()))
    return columns


slack_installations = Table(
    "slack_installations", Base.metadata, *_slack_installation_columns(with_user=True),
    Index("slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
)
slack_bots = Table(
    "slack_bots", Base.metadata, *_slack_installation_columns(with_user=False),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)
slack_oauth_states = Table(
    "slack_oauth_states", Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)


# --- Governance: decisions, reviews, succession ---------------------------------------

class DecisionMode(enum.StrEnum):
    CONSENSUS = "consensus"
    VOTE = "vote"
    RANKED = "ranked"


class DecisionStatus(enum.StrEnum):
    OPEN = "open"
    PASSED = "passed"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


class Position(enum.StrEnum):
    """A response to a decision: the first four for consensus, yes, no and abstain for a vote;
    a ranked choice is answered with a ranking."""

    AGREE = "agree"
    ABSTAIN = "abstain"
    DISAGREE = "disagree"
    BLOCK = "block"
    YES = "yes"
    NO = "no"
    RANKED = "ranked"


CONSENSUS_POSITIONS = (Position.AGREE, Position.ABSTAIN, Position.DISAGREE, Position.BLOCK)
VOTE_POSITIONS = (Position.YES, Position.NO, Position.ABSTAIN)


class ReviewKind(enum.StrEnum):
    REGULAR = "regular"
    WRAP_UP = "wrap-up"


class ReviewOutcome(enum.StrEnum):
    CONTINUE = "continue"
    CHANGE_COURSE = "change-course"
    WIND_UP = "wind-up"


class Risk(enum.StrEnum):
    """The six reasons partnerships fail, each asked about in a review's health check."""

    RIGHT_TIME = "right-time"
    RIGHT_PEOPLE = "right-people"
    ENOUGH_RESOURCES = "enough-resources"
    ENOUGH_TIME = "enough-time"
    RIGHT_GOAL = "right-goal"
    ACHIEVABLE_GOAL = "achievable-goal"


def _parent_fk(column: str, table: str) -> ForeignKeyConstraint:
    """A foreign key to the row this one belongs to, *in the same partnership*; gone with it."""
    return ForeignKeyConstraint(
        [column, "partnership_id"], [f"{table}.id", f"{table}.partnership_id"], ondelete="CASCADE"
    )


class Decision(Base):
    """A proposal settled by consensus or by vote, with its outcome and the reasons recorded.

    Quorum and threshold are whole percents: quorum of the voting members (not observers)
    who must respond; threshold of yes among yes and no. A vote without a threshold needs
    more yes than no.
    """

    __tablename__ = "decisions"
    __table_args__ = (
        _member_fk("proposer_id"),
        # Lets responses require that they belong to *this* decision's partnership.
        UniqueConstraint("id", "partnership_id", name="uq_decisions_id_partnership"),
        CheckConstraint("quorum IS NULL OR (quorum >= 0 AND quorum <= 100)", name="ck_decision_quorum"),
        CheckConstraint("threshold IS NULL OR (threshold > 0 AND threshold <= 100)", name="ck_decision_threshold"),
        CheckConstraint("mode = 'vote' OR threshold IS NULL", name="ck_decision_threshold_vote"),
        CheckConstraint("(mode = 'ranked') = (options IS NOT NULL)", name="ck_decision_ranked_options"),
        CheckConstraint("(status = 'open') = (closed_at IS NULL)", name="ck_decision_closed"),
        Index("ix_decisions_partnership_status", "partnership_id", "status", "closes_at"),
        Index("ix_decisions_status_closes", "status", "closes_at"),
        UniqueConstraint("partnership_id", "number", name="uq_decisions_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    number: Mapped[int]
    proposer_id: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    details: Mapped[str | None] = mapped_column(Text)
    mode: Mapped[DecisionMode] = mapped_column(_enum(DecisionMode))
    quorum: Mapped[int | None]
    threshold: Mapped[int | None]
    closes_at: Mapped[datetime]
    status: Mapped[DecisionStatus] = mapped_column(_enum(DecisionStatus), default=DecisionStatus.OPEN)
    # The outcome as announced: tallies, blocks and their reasons, the perspective split.
    outcome: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # Who closed or withdrew it; None when the sweep closed it at closes_at.
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # Tallies and who said what stay unseen by everyone until it closes (`results:hidden`).
    results_hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # What was decided, in the words of whoever closed it, and when coordinators look at it again.
    statement: Mapped[str | None] = mapped_column(Text)
    review_on: Mapped[date | None] = mapped_column(Date)
    # A ranked choice's options, as a JSON list in the order proposed (which breaks ties).
    options: Mapped[str | None] = mapped_column(Text)
    # How many members could decide it when it closed, recorded with its outcome (see
    # `DecisionResponse.counted`); None while open, and for one taken at a meeting or settled before 0036.
    entitled: Mapped[int | None]

    proposer: Mapped[Member] = relationship(
        foreign_keys="Decision.proposer_id", primaryjoin="Decision.proposer_id == Member.id", lazy="joined"
    )
    responses: Mapped[list[DecisionResponse]] = relationship(
        order_by="DecisionResponse.responded_at", back_populates="decision", viewonly=True
    )


class DecisionResponse(Base):
    """One member's current position on a decision; changing it updates this row (and logs it)."""

    __tablename__ = "decision_responses"
    __table_args__ = (
        _parent_fk("decision_id", "decisions"),
        _member_fk("member_id"),
        UniqueConstraint("decision_id", "member_id"),
        CheckConstraint("position <> 'block' OR reason IS NOT NULL", name="ck_block_reason"),
        CheckConstraint("(position = 'ranked') = (ranking IS NOT NULL)", name="ck_response_ranking"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int]
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    member_id: Mapped[int]
    position: Mapped[Position] = mapped_column(_enum(Position))
    reason: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime]
    # The person who cast it as this member's proxy (`vote 4 yes for:@gwen`); None when it is their own.
    cast_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # A ranked choice's answer: the options' places in the proposal (0 first), most wanted first, as JSON.
    ranking: Mapped[str | None] = mapped_column(Text)
    # Whether it counted in the outcome, recorded as the decision is settled, so what is shown of it
    # later never depends on roles or settings changed since; None while open (and before 0036).
    counted: Mapped[bool | None] = mapped_column(Boolean)

    decision: Mapped[Decision] = relationship(
        foreign_keys="DecisionResponse.decision_id",
        primaryjoin="DecisionResponse.decision_id == Decision.id",
        back_populates="responses",
    )
    member: Mapped[Member] = relationship(
        foreign_keys="DecisionResponse.member_id",
        primaryjoin="DecisionResponse.member_id == Member.id",
        lazy="joined",
    )
    cast_by: Mapped[Person | None] = relationship(foreign_keys="DecisionResponse.cast_by_id", lazy="joined")


class Proxy(Base):
    """A member's word that another may respond for them: on one proposal, or on every one
    open until a day. Withdrawn ones are kept, so the record shows who could vote for whom."""

    __tablename__ = "proxies"
    __table_args__ = (
        _member_fk("giver_id"),
        ForeignKeyConstraint(["holder_id", "partnership_id"], ["members.id", "members.partnership_id"]),
        ForeignKeyConstraint(["decision_id", "partnership_id"], ["decisions.id", "decisions.partnership_id"],
                             ondelete="CASCADE"),
        CheckConstraint("giver_id <> holder_id", name="ck_proxy_not_self"),
        CheckConstraint("(decision_id IS NULL) <> (until IS NULL)", name="ck_proxy_scope"),
        Index("ix_proxies_giver", "partnership_id", "giver_id", "withdrawn_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    giver_id: Mapped[int]
    holder_id: Mapped[int]
    decision_id: Mapped[int | None]
    # The last day it holds, for a proxy on every proposal.
    until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]

    giver: Mapped[Member] = relationship(
        foreign_keys="Proxy.giver_id", primaryjoin="Proxy.giver_id == Member.id", lazy="joined")
    holder: Mapped[Member] = relationship(
        foreign_keys="Proxy.holder_id", primaryjoin="Proxy.holder_id == Member.id", lazy="joined")
    decision: Mapped[Decision | None] = relationship(
        foreign_keys="Proxy.decision_id", primaryjoin="Proxy.decision_id == Decision.id", lazy="joined")


class Review(Base):
    """A review and evaluation of the partnership: a health check, then an outcome.

    A partnership has at most one open review at a time (a partial unique index).
    """

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("id", "partnership_id", name="uq_reviews_id_partnership"),
        CheckConstraint("(closed_at IS NULL) = (outcome IS NULL)", name="ck_review_closed"),
        Index(
            "uq_reviews_one_open", "partnership_id", unique=True,
            sqlite_where=sql_text("closed_at IS NULL"), postgresql_where=sql_text("closed_at IS NULL"),
        ),
        Index("ix_reviews_partnership_opened", "partnership_id", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    kind: Mapped[ReviewKind] = mapped_column(_enum(ReviewKind), default=ReviewKind.REGULAR)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    opened_at: Mapped[datetime]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    closed_at: Mapped[datetime | None]
    outcome: Mapped[ReviewOutcome | None] = mapped_column(_enum(ReviewOutcome))
    # What the partnership decided, in its own words.
    decision: Mapped[str | None] = mapped_column(Text)

    answers: Mapped[list[ReviewAnswer]] = relationship(
        order_by="ReviewAnswer.answered_at", back_populates="review", viewonly=True
    )


class ReviewAnswer(Base):
    """One member's score (1 to 5) for one of the six risks in a review, with a comment."""

    __tablename__ = "review_answers"
    __table_args__ = (
        _parent_fk("review_id", "reviews"),
        _member_fk("member_id"),
        UniqueConstraint("review_id", "member_id", "risk"),
        CheckConstraint("score >= 1 AND score <= 5", name="ck_review_score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int]
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    member_id: Mapped[int]
    risk: Mapped[Risk] = mapped_column(_enum(Risk))
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime]

    review: Mapped[Review] = relationship(
        foreign_keys="ReviewAnswer.review_id", primaryjoin="ReviewAnswer.review_id == Review.id",
        back_populates="answers",
    )
    member: Mapped[Member] = relationship(
        foreign_keys="ReviewAnswer.member_id", primaryjoin="ReviewAnswer.member_id == Member.id", lazy="joined"
    )


class Successor(Base):
    """Who steps in: for a role (`role`, case-folded, e.g. "coordinator") or for one commitment.

    One successor per role per partnership and per commitment; naming another replaces it.
    """

    __tablename__ = "successors"
    __table_args__ = (
        _member_fk("successor_id"),
        CheckConstraint("(role IS NULL) <> (commitment_id IS NULL)", name="ck_successor_for"),
        UniqueConstraint("partnership_id", "role", name="uq_successors_role"),
        UniqueConstraint("commitment_id", name="uq_successors_commitment"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    role: Mapped[str | None] = mapped_column(String(60))
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("commitments.id", ondelete="CASCADE"))
    successor_id: Mapped[int]
    named_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    named_at: Mapped[datetime]

    successor: Mapped[Member] = relationship(
        foreign_keys="Successor.successor_id", primaryjoin="Successor.successor_id == Member.id", lazy="joined"
    )


# --- The agreement: terms of reference, sign-off, what partners bring, goals, interests ---

def _present(column: str) -> TextClause:
    """The rows still standing: a partial index's condition, the same on both databases."""
    return sql_text(f"{column} IS NULL")


class AgreementVersion(Base):
    """One version of a partnership's agreement (its terms of reference). Every edit makes a
    new version from the last, so what each partner signed stays readable word for word."""

    __tablename__ = "agreement_versions"
    __table_args__ = (
        UniqueConstraint("partnership_id", "number", name="uq_agreement_versions_number"),
        UniqueConstraint("id", "partnership_id", name="uq_agreement_versions_id_partnership"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    number: Mapped[int]
    purpose: Mapped[str | None] = mapped_column(Text)
    goals: Mapped[str | None] = mapped_column(Text)
    roles: Mapped[str | None] = mapped_column(Text)
    decisions: Mapped[str | None] = mapped_column(Text)
    joining: Mapped[str | None] = mapped_column(Text)
    review: Mapped[str | None] = mapped_column(Text)
    # The sections this version changed from the one before (`purpose, roles`), and why.
    changed: Mapped[str] = mapped_column(String(120))
    why: Mapped[str | None] = mapped_column(Text)
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]

    changed_by: Mapped[Person] = relationship(lazy="joined")


class PartnerOrganisation(Base):
    """An organisation at a partnership's table, from its first member joining to its last one
    leaving. Coming back is a new row, so an organisation that left signs afresh."""

    __tablename__ = "partner_organisations"
    __table_args__ = (
        UniqueConstraint("id", "partnership_id", name="uq_partner_organisations_id_partnership"),
        Index("uq_partner_organisations_present", "partnership_id", "key", unique=True,
              sqlite_where=_present("left_at"), postgresql_where=_present("left_at")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    # The name case-folded, so "Chamber of Trade" and "chamber of trade" are one organisation.
    key: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(120))
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]


class AgreementSignature(Base):
    """A partner organisation's signature of one version, given by one of its members.

    It stands until the organisation set changes under it: when an organisation leaves,
    `asked_again_at` is set on the standing signatures and every organisation signs again.
    One standing signature per organisation and version (a partial unique index)."""

    __tablename__ = "agreement_signatures"
    __table_args__ = (
        _parent_fk("version_id", "agreement_versions"),
        _parent_fk("organisation_id", "partner_organisations"),
        _member_fk("member_id"),
        Index("uq_agreement_signatures_standing", "version_id", "organisation_id", unique=True,
              sqlite_where=_present("asked_again_at"), postgresql_where=_present("asked_again_at")),
        Index("ix_agreement_signatures_partnership", "partnership_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    version_id: Mapped[int]
    organisation_id: Mapped[int]
    member_id: Mapped[int]
    signed_at: Mapped[datetime]
    asked_again_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship(
        foreign_keys="AgreementSignature.member_id", primaryjoin="AgreementSignature.member_id == Member.id",
        lazy="joined")


class ContributionKind(enum.StrEnum):
    """What a partner brings: hours, money, a place to meet, equipment, or other help in kind."""

    TIME = "time"
    MONEY = "money"
    PREMISES = "premises"
    EQUIPMENT = "equipment"
    IN_KIND = "in-kind"


class Period(enum.StrEnum):
    """How often a pledge recurs; `once` is a single sum or a number of hours in all."""

    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    ONCE = "once"


# Money is exact to the penny and hours to the minute's hundredth: decimals, never floats.
Amount = Numeric(14, 2)


class _Contribution:
    """The columns a pledge and a delivery share: who, for which organisation, what kind, how much."""

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    number: Mapped[int]
    member_id: Mapped[int]
    # The organisation the member spoke for, as it was then; None: a person speaking for none.
    organisation: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[ContributionKind] = mapped_column(_enum(ContributionKind))
    amount: Mapped[Decimal | None] = mapped_column(Amount)
    currency: Mapped[str | None] = mapped_column(String(3))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    @declared_attr
    def member(cls) -> Mapped[Member]:
        return relationship(foreign_keys=f"{cls.__name__}.member_id",
                            primaryjoin=f"{cls.__name__}.member_id == Member.id", lazy="joined")


class Pledge(_Contribution, Base):
    """What a partner says it will bring. Time and money have an amount (hours, or a sum in a
    currency) per period; premises, equipment and help in kind are described in words. A new
    pledge of one kind replaces the partner's last (`ended_at`), which stays in the record."""

    __tablename__ = "pledges"
    __table_args__ = (
        _member_fk("member_id"),
        UniqueConstraint("partnership_id", "number", name="uq_pledges_number"),
        CheckConstraint("amount IS NULL OR amount > 0", name="ck_pledge_amount"),
        CheckConstraint("(kind IN ('time', 'money')) = (amount IS NOT NULL AND period IS NOT NULL)",
                        name="ck_pledge_measured"),
        CheckConstraint("(kind = 'money') = (currency IS NOT NULL)", name="ck_pledge_currency"),
        Index("ix_pledges_partnership", "partnership_id", "ended_at"),
    )

    period: Mapped[Period | None] = mapped_column(_enum(Period))
    ended_at: Mapped[datetime | None]


class Delivery(_Contribution, Base):
    """A contribution a partner delivered: hours given, money spent, premises or equipment lent.
    Give and take counts it as giving; one entered by mistake is undone (`undone_at`), not deleted."""

    __tablename__ = "deliveries"
    __table_args__ = (
        _member_fk("member_id"),
        UniqueConstraint("partnership_id", "number", name="uq_deliveries_number"),
        CheckConstraint("amount IS NULL OR amount > 0", name="ck_delivery_amount"),
        CheckConstraint("(kind IN ('time', 'money')) = (amount IS NOT NULL)", name="ck_delivery_measured"),
        CheckConstraint("(kind = 'money') = (currency IS NOT NULL)", name="ck_delivery_currency"),
        Index("ix_deliveries_partnership", "partnership_id", "undone_at"),
    )

    delivered_on: Mapped[date] = mapped_column(Date)
    undone_at: Mapped[datetime | None]


# A goal's figures: counts, percents, pounds; exact, with room for a fraction.
Figure = Numeric(18, 4)


class Goal(Base):
    """A shared objective with its indicator: a measure, where it started (baseline), where it
    should be (target) and by when. Readings record the measure; commitments serve goals."""

    __tablename__ = "goals"
    __table_args__ = (
        UniqueConstraint("partnership_id", "number", name="uq_goals_number"),
        UniqueConstraint("id", "partnership_id", name="uq_goals_id_partnership"),
        CheckConstraint("baseline <> target", name="ck_goal_moves"),
        CheckConstraint("(dropped_at IS NULL) = (drop_reason IS NULL)", name="ck_goal_dropped"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    measure: Mapped[str] = mapped_column(String(300))
    baseline: Mapped[Decimal] = mapped_column(Figure)
    target: Mapped[Decimal] = mapped_column(Figure)
    # What the baseline, target and readings count, one word as the coordinator wrote it (`hours`, `%`);
    # None: a plain number. A reading in another unit is refused, never counted as if in this one.
    unit: Mapped[str | None] = mapped_column(String(30))
    # The day the target should be reached.
    due_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    # No longer pursued (the wrong goal, or one that cannot be reached), and why.
    dropped_at: Mapped[datetime | None]
    drop_reason: Mapped[str | None] = mapped_column(Text)

    # Whose zone gives the goal its one day (`set_on` in handlers/judgements/indicators.py).
    created_by: Mapped[Person] = relationship(lazy="joined")


class CommitmentGoal(Base):
    """The shared goal a commitment serves (`commit ... goal:2`): at most one, of its own partnership."""

    __tablename__ = "commitment_goals"
    __table_args__ = (_parent_fk("goal_id", "goals"), Index("ix_commitment_goals_goal", "goal_id"))

    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id", ondelete="CASCADE"), primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    goal_id: Mapped[int]


class GoalReading(Base):
    """The goal's measure on one day, with a note of where it came from."""

    __tablename__ = "goal_readings"
    __table_args__ = (
        _parent_fk("goal_id", "goals"),
        _member_fk("member_id"),
        Index("ix_goal_readings_goal", "goal_id", "taken_on"),
        Index("ix_goal_readings_partnership", "partnership_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    goal_id: Mapped[int]
    member_id: Mapped[int]
    value: Mapped[Decimal] = mapped_column(Figure)
    taken_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    # Entered by mistake (`reading undo`), or replaced by another figure for its day (then at the
    # moment that one was recorded, its created_at): kept, but no longer counted.
    undone_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship(
        foreign_keys="GoalReading.member_id", primaryjoin="GoalReading.member_id == Member.id", lazy="joined")


class Interest(Base):
    """Something a member declares that could conflict with the partnership's decisions: in
    general, or in one proposal (`decision_id`), which the partnership may then not count them on."""

    __tablename__ = "interests"
    __table_args__ = (
        _member_fk("member_id"),
        ForeignKeyConstraint(["decision_id", "partnership_id"], ["decisions.id", "decisions.partnership_id"],
                             ondelete="CASCADE"),
        UniqueConstraint("partnership_id", "number", name="uq_interests_number"),
        Index("ix_interests_partnership", "partnership_id", "withdrawn_at"),
        Index("ix_interests_decision", "decision_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    number: Mapped[int]
    member_id: Mapped[int]
    decision_id: Mapped[int | None]
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship(
        foreign_keys="Interest.member_id", primaryjoin="Interest.member_id == Member.id", lazy="joined")
    decision: Mapped[Decision | None] = relationship(
        foreign_keys="Interest.decision_id", primaryjoin="Interest.decision_id == Decision.id", lazy="joined")


# --- Meetings ----------------------------------------------------------------------------

class MeetingStatus(enum.StrEnum):
    """A meeting's life: a time poll, then a time (which may move), or called off."""

    POLLING = "polling"
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class SlotAnswer(enum.StrEnum):
    """Whether a member can come at a candidate time (Loomio's yes / if need be / no)."""

    YES = "yes"
    MAYBE = "maybe"
    NO = "no"


class Attendance(enum.StrEnum):
    PRESENT = "present"
    APOLOGIES = "apologies"


class Meeting(Base):
    """A meeting of the partnership: found by a time poll over candidate slots, then held at
    `starts_at`, with an agenda and minutes. `sequence` counts its moves and its cancelling, so
    a calendar that imported it knows a newer copy replaces the older."""

    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("partnership_id", "number", name="uq_meetings_number"),
        UniqueConstraint("id", "partnership_id", name="uq_meetings_id_partnership"),
        CheckConstraint("status <> 'scheduled' OR starts_at IS NOT NULL", name="ck_meeting_scheduled"),
        CheckConstraint("quorum >= 1 AND quorum <= 100", name="ck_meeting_quorum"),
        CheckConstraint("(approved_at IS NULL) = (approved_by_id IS NULL)", name="ck_meeting_approved"),
        Index("ix_meetings_status", "status", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    place: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[MeetingStatus] = mapped_column(_enum(MeetingStatus), default=MeetingStatus.POLLING)
    # When the time poll stops taking answers; the sweep then takes the best slot.
    closes_at: Mapped[datetime]
    starts_at: Mapped[datetime | None]
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # When a time was settled, and by whom; None by: the sweep took the best slot as the poll closed.
    scheduled_at: Mapped[datetime | None]
    scheduled_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # The share (whole percent) of partner organisations that must be present for it to be quorate.
    quorum: Mapped[int] = mapped_column(Integer, default=50)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    # Minutes approved by a coordinator: published, and read-only from then on.
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class MeetingSlot(Base):
    """One candidate time of a meeting's poll, numbered 1, 2, 3... as proposed."""

    __tablename__ = "meeting_slots"
    __table_args__ = (
        _parent_fk("meeting_id", "meetings"),
        UniqueConstraint("meeting_id", "position", name="uq_meeting_slots_position"),
        CheckConstraint("position >= 1 AND position <= 20", name="ck_meeting_slot_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    meeting_id: Mapped[int]
    position: Mapped[int]
    starts_at: Mapped[datetime]


class MeetingAnswer(Base):
    """A member's answer for one slot; answering again replaces all of theirs for the meeting."""

    __tablename__ = "meeting_answers"
    __table_args__ = (
        _parent_fk("meeting_id", "meetings"),
        _member_fk("member_id"),
        UniqueConstraint("slot_id", "member_id", name="uq_meeting_answers_slot_member"),
        Index("ix_meeting_answers_meeting", "meeting_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    meeting_id: Mapped[int]
    slot_id: Mapped[int] = mapped_column(ForeignKey("meeting_slots.id", ondelete="CASCADE"))
    member_id: Mapped[int]
    answer: Mapped[SlotAnswer] = mapped_column(_enum(SlotAnswer))
    answered_at: Mapped[datetime]


class MeetingAttendee(Base):
    """Who was at a meeting, or sent apologies, as the minutes record it."""

    __tablename__ = "meeting_attendees"
    __table_args__ = (
        _parent_fk("meeting_id", "meetings"),
        _member_fk("member_id"),
        UniqueConstraint("meeting_id", "member_id", name="uq_meeting_attendees_member"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    meeting_id: Mapped[int]
    member_id: Mapped[int]
    attendance: Mapped[Attendance] = mapped_column(_enum(Attendance))

    member: Mapped[Member] = relationship(
        foreign_keys="MeetingAttendee.member_id", primaryjoin="MeetingAttendee.member_id == Member.id", lazy="joined")


class AgendaItem(Base):
    """One item of a meeting's agenda: drafted from the record (`source` names what it came
    from), added by a member, or carried from the last meeting; its minute note once held."""

    __tablename__ = "agenda_items"
    __table_args__ = (
        _parent_fk("meeting_id", "meetings"),
        Index("ix_agenda_items_meeting", "meeting_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    meeting_id: Mapped[int]
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    # `concern`, `proposal`, `overdue`, `goal`, `review`, `agreement`, `carried` or `member`.
    source: Mapped[str] = mapped_column(String(20))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    note: Mapped[str | None] = mapped_column(Text)
    # Not finished: it goes on the agenda of the next meeting still to be held.
    carried: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The number of the meeting a carried item went to; None while it waits for one to be proposed.
    carried_to: Mapped[int | None]


class MeetingOutcome(Base):
    """A decision taken, or an action given, at a meeting: the record's link back to it."""

    __tablename__ = "meeting_outcomes"
    __table_args__ = (
        _parent_fk("meeting_id", "meetings"),
        CheckConstraint("(decision_id IS NULL) <> (commitment_id IS NULL)", name="ck_meeting_outcome_one"),
        UniqueConstraint("decision_id", name="uq_meeting_outcomes_decision"),
        UniqueConstraint("commitment_id", name="uq_meeting_outcomes_commitment"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    meeting_id: Mapped[int]
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"))
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("commitments.id", ondelete="CASCADE"))
    # Interests declared in the room on this decision, as the minutes record them.
    interests: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


# --- Matrix ----------------------------------------------------------------------------

class MatrixAccount(Base):
    """The bot's Matrix login and where its sync stopped, so a restart reuses its device (no
    new device per start) and resumes at `next_batch`: nothing missed, nothing read twice."""

    __tablename__ = "matrix_accounts"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    device_id: Mapped[str | None] = mapped_column(String(255))
    access_token: Mapped[str | None] = mapped_column(String(512))
    next_batch: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime]


class MatrixEvent(Base):
    """A Matrix message already taken on: however often a sync (or a second bot process)
    hands it over, the unique event id lets it be answered once. Old rows are pruned."""

    __tablename__ = "matrix_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(index=True)


class MatrixDirectRoom(Base):
    """The direct-message room the bot shares with a person, made on first need and reused."""

    __tablename__ = "matrix_direct_rooms"
    __table_args__ = (UniqueConstraint("bot_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bot_user_id: Mapped[str] = mapped_column(String(255))
    # The person's full Matrix id (@alice:example.org).
    user_id: Mapped[str] = mapped_column(String(255))
    room_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class Sweep(Base):
    """When each platform's nudges were last swept: a sweeper that stopped shows up (in
    `partnerbot doctor`) as a sweep long ago, whichever process was meant to run it."""

    __tablename__ = "sweeps"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    finished_at: Mapped[datetime]


# --- The web: public pages and the coordinators' dashboard -----------------------------

class Publication(Base):
    """A partnership's public page, off until a coordinator publishes it.

    The slug is the page's address: random and long, so pages cannot be found by counting.
    Turning publishing off keeps the row (and the slug), so turning it on again brings back
    the same address for anyone subscribed to its calendar or feed."""

    __tablename__ = "publications"

    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"), primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    # People's names on the page; off by default, so organisations and sectors only.
    names: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]


class PublishedCopy(Base):
    """Where `partnerbot publish --out DIR` wrote a page, so taking the page down (or its names
    off) can remove every copy, whichever process or machine wrote it. Recorded before the
    files are written, so a chat command running meanwhile always finds it."""

    __tablename__ = "published_copies"
    __table_args__ = (UniqueConstraint("partnership_id", "folder", name="uq_published_copies_folder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    # The machine that wrote it, and the page's folder there (absolute: `.../p/<slug>`).
    host: Mapped[str] = mapped_column(String(255))
    folder: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]


class SignInLink(Base):
    """A coordinator's one-time link to the dashboard. Only a hash of its token is kept, so
    the table leaks nothing usable; `used_at` is set by a conditional update, so a link
    opened twice (or by two people at once) signs in once."""

    __tablename__ = "sign_in_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DashboardSession(Base):
    """A coordinator signed in to the dashboard. The cookie carries a random token of which only
    the hash is kept, so a backup (or the cookie-signing key) cannot make one. It ends at a
    fixed time however often it is used, and at once on signing out."""

    __tablename__ = "dashboard_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class SiteKey(Base):
    """The key that signs dashboard session cookies, made once and shared by every process."""

    __tablename__ = "site_keys"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


# --- Email: members' mail, replies by mail, residents following by mail ---------------

class NotifyMode(enum.StrEnum):
    """Where a member's nudges, digests and announcements go."""

    CHAT = "chat"
    EMAIL = "email"
    BOTH = "both"


class EmailAddress(Base):
    """A person's address for the bot's mail, and where their nudges go (`notify`).

    Nothing is mailed to an address until its owner typed back the code sent to it: until
    then `confirmed_at` is empty and `mode` stays as it was (chat for a new address), or, for
    an address replacing a confirmed one, it waits in `new_address` while mail still goes to
    the confirmed one. Only a
    hash of the code is kept, with the wrong tries counted, so it cannot be guessed."""

    __tablename__ = "email_addresses"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str] = mapped_column(String(254), index=True)
    confirmed_at: Mapped[datetime | None]
    mode: Mapped[NotifyMode] = mapped_column(_enum(NotifyMode), default=NotifyMode.CHAT)
    # What `mode` becomes once the address is confirmed.
    wanted: Mapped[NotifyMode | None] = mapped_column(_enum(NotifyMode, "ck_notifymode_wanted"))
    # An address replacing a confirmed one, waiting for its code: until confirmed, mail (and the
    # replies that act) stay with `address`, and nothing but the code goes to this one.
    new_address: Mapped[str | None] = mapped_column(String(254))
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_sent_at: Mapped[datetime | None]
    code_failures: Mapped[int] = mapped_column(Integer, default=0)
    # The one-click unsubscribe link's token (List-Unsubscribe): back to chat, without signing in.
    unsubscribe: Mapped[str] = mapped_column(String(64), unique=True)
    updated_at: Mapped[datetime]


class EmailThread(Base):
    """One conversation by mail between the bot and one person, about one record (a
    commitment, concern or proposal) or one partnership: its random token is the plus part
    of the reply address (`partnerbot+<token>@...`), so a reply says which partnership,
    record and person it answers, and acts as that person on that record and nothing else."""

    __tablename__ = "email_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who, where and what, as one string, so the same thread is found (and made once).
    thread_key: Mapped[str] = mapped_column(String(120), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    partnership_id: Mapped[int | None] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"))
    # `commitment`, `concern` or `decision` and its database id; empty for a partnership's thread.
    subject_kind: Mapped[str | None] = mapped_column(String(20))
    subject_id: Mapped[int | None]
    # The subject line every mail of the thread carries, so mail clients keep them together.
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]


class Mail(Base):
    """One email the bot owes someone: the outbox, leased and marked like the nudge ledger.

    `key` names it, so it is queued once however often it is asked for; a sender leases
    rows (`claimed_by`, `claimed_until`), marks each sent, and gives back a failed one with a
    pause that doubles (storage/nudges.py's lease rules). Once sent, its words are blanked:
    the row stays as the record that it went, not as a copy of the mail."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_pending", "sent_at", "claimed_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    # The words, with `backticks` around what to type; the HTML part is made from them when sent.
    text: Mapped[str] = mapped_column(Text)
    # The conversation it belongs to (its reply address and References), if any.
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("email_threads.id", ondelete="SET NULL"))
    # The message it answers (a member's reply), for In-Reply-To and References.
    in_reply_to: Mapped[str | None] = mapped_column(String(250))
    refs: Mapped[str | None] = mapped_column(Text)
    # The token of its one-click unsubscribe link, when it has one.
    unsubscribe: Mapped[str | None] = mapped_column(String(64))
    # An answer to a mail received (Auto-Submitted: auto-replied) rather than sent on its own.
    answer: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]

    @classmethod
    def owed(cls) -> ColumnElement[bool]:
        """Not sent yet: still to go (a mail is never cancelled; the nudge it carries was checked)."""
        return cls.sent_at.is_(None)



class MailReceived(Base):
    """A received mail already taken on, by a hash of its Message-ID: however often the
    mailbox (or a second process) hands it over, it is acted on once. Rows are deleted once no
    copy of their mail could act any more (handlers/email/replies.py, `out_of_date`)."""

    __tablename__ = "mail_received"

    message_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class Follower(Base):
    """A resident following a public page by email: the address and its confirmation, nothing
    more. The token is in the confirmation and unsubscribe links; `sent_through` is how far
    the weekly mail of changes has reached."""

    __tablename__ = "followers"
    __table_args__ = (UniqueConstraint("partnership_id", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(254))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    sent_through: Mapped[datetime | None]


class MailLimit(Base):
    """How often something was asked of the mail today (a follow form sent for one address,
    from one client; a code mailed to one person), under a keyed hash rather than the address
    itself, so the counts hold across processes and restarts and keep no stranger's address."""

    __tablename__ = "mail_limits"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer, default=0)
