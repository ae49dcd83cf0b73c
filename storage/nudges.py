"""The nudge ledger: what the bot owes people, leased while it is delivered, marked when
sent, or cancelled (with why) when it stopped being true first.

Every guarantee the scheduler gives lives in these statements, not in memory:
- `record` inserts due nudges with ON CONFLICT DO NOTHING on their key, so a nudge is
  recorded once however many sweeps (or processes) find it due;
- `claim` is a compare-and-set on the lease, so two sweepers never both win a row;
- `mark_sent` only marks rows the caller still holds, in one transaction after delivery;
- `cancel` only cancels rows still owed and free (or held by the caller), so a nudge is
  cancelled once, and never both cancelled and sent (a check constraint says so too);
- `release` gives a failed row back, counting the attempt, so a later sweep retries it
  (after a pause that doubles with each failure: `claimed_until` without `claimed_by`).
A command can also `tell` someone of what it just did (a handover to accept): a row keyed
`told:...`, written in the command's own transaction and sent by the next sweep, which a
process running the scheduler starts at once (`on_told`). Whether a nudge still holds is
the handlers' question (handlers/recheck.py); this module only records the answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import ColumnElement, Select, String, and_, any_, bindparam, case, event, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, lazyload, sessionmaker

from storage.models import ChannelLink, Mail, Nudge, Partnership, Person, Sweep

# A failed nudge waits 1, 2, 4... minutes before its next try, never more than this.
MAX_BACKOFF = timedelta(hours=6)
_CLAIM_LOCK = 7240204
_DERIVE_LOCK = 7240205
# Keys of nudges a command wrote about what it did, not derived from the state by a sweep.
TOLD = "told:"
_TOLD_FLAG = "partnerbot.told"
# The kind of a `told` channel nudge copying into the rooms what someone did elsewhere (a
# command by mail): for the rooms alone, not mailed on to members who read by mail.
ECHO = "echo"
# The records a nudge's key can name, by the letter before their id.
SUBJECTS = {"c": "commitment", "k": "concern", "d": "decision"}
# What leases and marks work on: the nudge ledger, and the mail outbox kept by the same rules.
Leased = type[Nudge] | type[Mail]


@dataclass(frozen=True)
class DueNudge:
    """A nudge the partnership's state says is owed now; `key` names it and its period."""

    key: str
    partnership_id: int
    kind: str
    text: str
    person_id: int | None = None
    channel: str | None = None


def record(session: Session, due: Collection[DueNudge], now: datetime) -> int:
    """Insert the due nudges not yet recorded, and reword waiting ones whose words changed.

    A nudge waiting (for quiet hours, a retry) is sent in the words of the sweep that sends
    it: the figures, titles and dates as they are now, not as they were when it fell due.
    Returns how many rows were new; what is no longer due at all is the caller's to cancel.
    """
    if not due:
        return 0
    texts = {d.key: d.text for d in due}
    postgres = session.get_bind().dialect.name == "postgresql"
    # On PostgreSQL the keys travel as one array, not one parameter each (thousands at scale).
    among = (Nudge.key == any_(bindparam("keys", list(texts), type_=ARRAY(String))) if postgres
             else Nudge.key.in_(texts))
    # Sent rows by key alone; the words only of the few waiting, free to change.
    known: dict[str, tuple[int, str | None]] = {key: (nudge_id, text) for nudge_id, key, text in session.execute(
        select(Nudge.id, Nudge.key, case((and_(Nudge.sent_at.is_(None), unleased(now)), Nudge.text)))
        .where(among, Nudge.cancelled_at.is_(None)))}
    # Only the new ones: most sweeps find everything already recorded, and insert nothing.
    rows = [
        {"key": d.key, "partnership_id": d.partnership_id, "kind": d.kind, "text": d.text,
         "person_id": d.person_id, "channel": d.channel, "created_at": now, "attempts": 0}
        for d in due if d.key not in known
    ]
    rows.sort(key=lambda row: row["key"])  # one lock order for every sweeper inserting at once
    if rows:
        session.execute(_insert(session).on_conflict_do_nothing(index_elements=["key"], index_where=_OWED), rows)
    reworded = [{"i": nudge_id, "t": texts[key]} for key, (nudge_id, text) in sorted(known.items())
                if text is not None and text != texts[key]]
    if reworded:  # one statement for them all (executemany), each row by its id (the planner's surest way)
        table = Nudge.__table__
        session.connection().execute(
            update(table).where(table.c.id == bindparam("i"), table.c.sent_at.is_(None), table.c.cancelled_at.is_(None),
                                or_(table.c.claimed_until.is_(None), table.c.claimed_until <= now))
            .values(text=bindparam("t")), reworded)
    return len(rows)


def unsettled(session: Session, now: datetime, derived: ColumnElement[bool], due: Collection[str]) -> list[Waiting]:
    """Waiting nudges a sweep asks again about: every `told` one, and the derived ones the
    sweep answers for (`derived`: of the kinds and partnerships it derived just now) missing
    from the `due` keys, so no longer due. Leased ones are their sweeper's to ask about.

    Thousands may wait at scale (for quiet hours), nearly all still due: their keys are read
    first, and whole rows only for the few asked about."""
    ids = [nudge_id for nudge_id, key in session.execute(
        select(Nudge.id, Nudge.key).where(Nudge.owed(), unleased(now),
                                          or_(Nudge.key.startswith(TOLD), derived)))
           if key.startswith(TOLD) or key not in due]
    if not ids:
        return []
    return [Waiting._make(row) for row in session.execute(_waiting().where(Nudge.id.in_(ids)).order_by(Nudge.id))]


def cancel(session: Session, reasons: Mapping[int, str], now: datetime, worker: str | None = None) -> set[int]:
    """Cancel nudges no longer true, recording why; returns the ids this call cancelled.

    Only rows still owed, and free (or, given `worker`, held by it): of two sweepers asking
    at once one cancels, and a nudge on its way to someone else is that sweeper's to ask about.
    """
    holder = unleased(now) if worker is None else Nudge.claimed_by == worker
    by_reason: dict[str, list[int]] = {}
    for nudge_id, reason in sorted(reasons.items()):
        by_reason.setdefault(reason[:500], []).append(nudge_id)
    cancelled: set[int] = set()
    for reason, ids in by_reason.items():
        cancelled |= set(session.scalars(
            update(Nudge).where(Nudge.id.in_(ids), Nudge.owed(), holder)
            .values(cancelled_at=now, cancel_reason=reason, claimed_by=None, claimed_until=None)
            .returning(Nudge.id)))
    return cancelled


def tell(session: Session, key: str, partnership_id: int, kind: str, text: str, now: datetime, *,
         person_id: int | None = None, channel: str | None = None,
         actions: Sequence[tuple[str, str]] = ()) -> None:
    """Owe someone a message about what a command just did, in the command's transaction.

    Keyed like every nudge (and prefixed `told:`), so a repeated command tells once; the
    next sweep sends it, and `on_told` starts that sweep as soon as the command commits."""
    assert key.startswith(TOLD)
    session.execute(_insert(session).on_conflict_do_nothing(index_elements=["key"], index_where=_OWED), [{
        "key": key[:200], "partnership_id": partnership_id, "kind": kind, "text": text, "person_id": person_id,
        "channel": channel, "created_at": now, "attempts": 0,
        "actions": json.dumps([list(a) for a in actions]) if actions else None}])
    owed(session)


def owed(session: Session) -> None:
    """Say that this transaction owes someone a message: once it commits, `on_told` callbacks run."""
    session.info[_TOLD_FLAG] = True


def withdraw(session: Session, partnership_id: int, key_prefix: str, reason: str, now: datetime) -> None:
    """Cancel unsent `told` nudges of a partnership that no longer hold (a handover answered
    before it arrived), in the command's transaction; one already on its way is asked about by
    its sweeper. Found through the partnership's own index: no index serves a prefix of `key`
    under every collation, and the planner may read the whole ledger for one."""
    session.execute(update(Nudge).where(Nudge.partnership_id == partnership_id,
                                        Nudge.key.startswith(key_prefix, autoescape=True), Nudge.owed(),
                                        Nudge.claimed_by.is_(None))
                    .values(cancelled_at=now, cancel_reason=reason[:500], claimed_until=None))


def on_told(sessions: sessionmaker[Session], callback: Callable[[], None]) -> None:
    """Call `callback` after each commit that wrote a `told` nudge (or queued a mail, see
    `owed`): the scheduler sweeps then, and the mail sender sends."""

    @event.listens_for(sessions, "after_commit")
    def _told(session: Session) -> None:
        if session.info.pop(_TOLD_FLAG, False):
            callback()

    @event.listens_for(sessions, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_TOLD_FLAG, None)


def about(key: str) -> tuple[str, int] | None:
    """The record a nudge is about, read from its key (`overdue:c12:...` is commitment 12 by
    database id, `k` a concern, `d` a proposal), for channels that thread by record (email)."""
    parts = key.removeprefix(TOLD).split(":")
    found = re.fullmatch(r"([ckd])(\d+)", parts[1]) if len(parts) > 1 else None
    return (SUBJECTS[found[1]], int(found[2])) if found else None


def buttons(actions: str | None) -> list[tuple[str, str]]:
    """A nudge's stored buttons as (label, command) pairs."""
    return [(str(label), str(run)) for label, run in json.loads(actions)] if actions else []


class Room(NamedTuple):
    """A room (channel) linked to a partnership, on its own platform and workspace."""

    id: int
    partnership_id: int
    platform: str
    workspace: str
    channel: str


def rooms(session: Session, partnership_ids: Collection[int] | None = None) -> dict[int, list[Room]]:
    """Each partnership's linked rooms, the first linked (its home) first, in one query."""
    query = select(ChannelLink.id, ChannelLink.partnership_id, ChannelLink.platform, ChannelLink.workspace,
                   ChannelLink.channel).order_by(ChannelLink.id)
    if partnership_ids is not None:
        query = query.where(ChannelLink.partnership_id.in_(partnership_ids))
    found: dict[int, list[Room]] = {}
    for row in session.execute(query):
        found.setdefault(row.partnership_id, []).append(Room._make(row))
    return found


def home_channels(session: Session, partnership_ids: Collection[int] | None = None) -> dict[int, str]:
    """Each partnership's home: the first channel linked to it, where channel nudges are derived
    for (`to_every_room` copies them to its other rooms).

    One query for every partnership (or the ones named), so a sweep's cost does not grow
    with their number.
    """
    return {pid: linked[0].channel for pid, linked in rooms(session, partnership_ids).items()}


def to_every_room(session: Session, due: Sequence[DueNudge]) -> list[DueNudge]:
    """The due nudges, each channel nudge also copied to every other room linked to its
    partnership (on any platform), under a key of its own per room (`...:room7`): each room
    gets its copy exactly once, and no room gets another's."""
    linked = rooms(session, {d.partnership_id for d in due if d.channel is not None})
    every: list[DueNudge] = []
    for d in due:
        every.append(d)
        if d.channel is not None:
            every += [replace(d, key=f"{d.key}:room{r.id}", channel=r.channel)
                      for r in linked.get(d.partnership_id, []) if r.channel != d.channel]
    return every


def withdraw_room(session: Session, partnership_id: int, channel: str, reason: str, now: datetime) -> None:
    """Cancel what is still owed to a room that was just unlinked (and free to cancel)."""
    session.execute(update(Nudge).where(Nudge.partnership_id == partnership_id, Nudge.channel == channel,
                                        Nudge.owed(), Nudge.claimed_by.is_(None))
                    .values(cancelled_at=now, cancel_reason=reason[:500], claimed_until=None))


def on_platform(platform: str) -> ColumnElement[bool]:
    """A nudge whose recipient is on `platform`: a person there, or a room linked there (a
    channel no longer linked anywhere is taken as the partnership's own platform's)."""
    in_room = and_(ChannelLink.partnership_id == Nudge.partnership_id, ChannelLink.channel == Nudge.channel)
    return or_(
        exists().where(Person.id == Nudge.person_id, Person.platform == platform),
        exists().where(in_room, ChannelLink.platform == platform),
        and_(Nudge.channel.is_not(None), Partnership.platform == platform, ~exists().where(in_room)),
    )


def unleased(now: datetime, model: Leased = Nudge) -> ColumnElement[bool]:
    """Free to claim at `now`: never leased, or the lease (or the pause after a failure) is over."""
    return or_(model.claimed_until.is_(None), model.claimed_until <= now)


def _insert(session: Session):  # type: ignore[no-untyped-def]
    """INSERT for this database, for its ON CONFLICT clauses."""
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(Nudge)


# The key is unique among nudges not cancelled: the ON CONFLICT target names that index.
_OWED = Nudge.cancelled_at.is_(None)


def serialise_claims(session: Session) -> None:
    """On PostgreSQL, let one sweeper at a time plan and claim (held to the transaction's end).

    Claims are safe without it (they are compare-and-set); it keeps daily caps exact when
    several processes sweep at once, and each recipient's nudges in one message (two claims
    racing would each skip the rows the other is locking). SQLite has one writer anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_CLAIM_LOCK)))


def deriving(session: Session) -> bool:
    """Whether this sweeper derives what is owed now: on PostgreSQL, not when another is
    deriving at this moment; it waits for that one's records instead (the lock is held to
    the transaction's end), so two sweepers do the same arithmetic once; holding the lock then,
    it derives only what that one left due (the rest of a midnight's chunks). SQLite's
    sweepers queue on its one write lock anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    # Keyed by schema too: advisory locks are the database's, and each schema is a deployment.
    key = (_DERIVE_LOCK, func.hashtext(func.current_schema()))
    if session.scalar(select(func.pg_try_advisory_xact_lock(*key))):
        return True
    session.execute(select(func.pg_advisory_xact_lock(*key)))
    return False


class Waiting(NamedTuple):
    """A pending nudge as the sweep reads it: plain values, as thousands may wait at scale."""

    id: int
    partnership_id: int
    kind: str
    text: str
    person_id: int | None
    channel: str | None
    actions: str | None
    key: str


def _waiting() -> Select[tuple[int, int, str, str, int | None, str | None, str | None, str]]:
    return select(Nudge.id, Nudge.partnership_id, Nudge.kind, Nudge.text, Nudge.person_id, Nudge.channel,
                  Nudge.actions, Nudge.key)


def free_to_plan(now: datetime) -> ColumnElement[bool]:
    """Not held back by an earlier plan (`hold_back`), or no longer."""
    return or_(Nudge.not_before.is_(None), Nudge.not_before <= now)


def pending(session: Session, now: datetime, platform: str | None = None, everything: bool = False) -> list[Waiting]:
    """Owed nudges nobody holds a live lease on, oldest first, locked where the database can;
    not the ones held back (`hold_back`), unless `everything` (the dry run shows them all).

    Their people are the caller's to read, in one query (FOR UPDATE cannot take the
    nullable side of a join)."""
    query = (
        _waiting()
        .join(Partnership, Partnership.id == Nudge.partnership_id)
        .where(Nudge.owed(), unleased(now))
        .order_by(Nudge.id)
        .with_for_update(skip_locked=True, of=Nudge)
    )
    if not everything:
        query = query.where(free_to_plan(now))
    if platform is not None:
        query = query.where(on_platform(platform))
    return [Waiting._make(row) for row in session.execute(query)]


def hold_back(session: Session, until: Mapping[int, datetime]) -> None:
    """Hold nudges back from later plans, each until its moment (the end of quiet hours, a new
    day): one statement per moment, a few (quiet hours end at one local time in a zone)."""
    by_moment: dict[datetime, list[int]] = {}
    for nudge_id, moment in until.items():
        by_moment.setdefault(moment, []).append(nudge_id)
    for moment, ids in by_moment.items():
        for first in range(0, len(ids), _CHUNK):
            session.execute(update(Nudge).where(Nudge.id.in_(ids[first:first + _CHUNK]))
                            .values(not_before=moment).execution_options(synchronize_session=False))


def free(session: Session, partnership_ids: Sequence[int]) -> None:
    """Plan the held-back nudges of these partnerships again: they changed (a setting, a time
    zone, time away), and the reason they wait may be gone."""
    for first in range(0, len(partnership_ids), _CHUNK):
        session.execute(update(Nudge).where(Nudge.partnership_id.in_(partnership_ids[first:first + _CHUNK]),
                                            Nudge.not_before.is_not(None), Nudge.owed())
                        .values(not_before=None).execution_options(synchronize_session=False))


# Ids in one IN list, well within the databases' limits on parameters (SQLite's 32,766).
_CHUNK = 10_000


def messages_since(session: Session, since: Mapping[int, datetime], now: datetime) -> dict[int, int]:
    """Messages each person has had since their `since[person_id]`, counting ones being
    delivered right now; two queries for everyone.

    One sweep sends one person one message, marking all its nudges with one `sent_at`,
    so distinct send times are messages; a live lease is a message on its way.
    """
    if not since:
        return {}
    counts = dict.fromkeys(since, 0)
    for person_id, sent_at in session.execute(
        select(Nudge.person_id, Nudge.sent_at).distinct()
        .where(Nudge.person_id.in_(since), Nudge.sent_at >= min(since.values()))
    ):
        counts[person_id] += sent_at >= since[person_id]
    for person_id, on_the_way in session.execute(
        select(Nudge.person_id, func.count(func.distinct(Nudge.claimed_by))).where(
            Nudge.person_id.in_(since), Nudge.sent_at.is_(None), Nudge.claimed_by.is_not(None),
            Nudge.claimed_until > now
        ).group_by(Nudge.person_id)
    ):
        counts[person_id] += on_the_way
    return counts


def claim(session: Session, ids: Collection[int], worker: str, now: datetime, until: datetime,
          model: Leased = Nudge) -> set[int]:
    """Lease the given nudges (or mails: `model`) to `worker`; returns the ids it won (those
    still free and unsent). On PostgreSQL rows another sweeper is claiming at this moment
    are skipped (FOR UPDATE SKIP LOCKED), not waited for: they are that sweeper's."""
    if not ids:
        return set()
    free = (model.id.in_(ids), model.owed(), unleased(now, model))
    if session.get_bind().dialect.name == "postgresql":
        rows = select(model.id).where(*free).with_for_update(skip_locked=True).cte("free")
        claiming = update(model).where(model.id == rows.c.id)
    else:
        claiming = update(model).where(*free)
    return set(session.scalars(claiming.values(claimed_by=worker, claimed_until=until).returning(model.id)))


def renew(session: Session, ids: Collection[int], worker: str, now: datetime, until: datetime) -> list[Waiting]:
    """Extend `worker`'s live lease on `ids` and read them again, to ask whether they still
    hold: the ones it still held, in one statement however many."""
    return sorted(Waiting._make(row) for row in session.execute(
        update(Nudge)
        .where(Nudge.id.in_(ids), Nudge.claimed_by == worker, Nudge.claimed_until > now, Nudge.owed())
        .values(claimed_until=until)
        .returning(*_waiting().selected_columns)
    ))


def put_back(session: Session, ids: Collection[int], worker: str) -> None:
    """Give back nudges that must wait after all (their person went away), as if never claimed."""
    if ids:
        session.execute(update(Nudge).where(Nudge.id.in_(ids), Nudge.claimed_by == worker, Nudge.owed())
                        .values(claimed_by=None, claimed_until=None))


def mark_sent(session: Session, ids: Collection[int], worker: str, now: datetime, model: Leased = Nudge,
              **also: object) -> int:
    """Record delivery of nudges (or mails) `worker` still holds, setting `also` with it (a
    sent mail's words are blanked); returns how many were marked."""
    result = session.execute(
        update(model)
        .where(model.id.in_(ids), model.claimed_by == worker, model.owed())
        .values(sent_at=now, claimed_by=None, claimed_until=None, **also)
    )
    return result.rowcount  # type: ignore[attr-defined, no-any-return]


def release(session: Session, ids: Collection[int], worker: str, error: str, now: datetime,
            model: Leased = Nudge) -> None:
    """Give back nudges (or mails) whose delivery failed, counting the attempt, for a later sweep to retry."""
    for nudge in session.scalars(
        select(model).where(model.id.in_(ids), model.claimed_by == worker, model.owed())
        .options(lazyload("*"))
    ):
        nudge.attempts += 1
        nudge.last_error = error[:500]
        nudge.claimed_by = None
        nudge.claimed_until = now + min(MAX_BACKOFF, timedelta(minutes=2 ** min(nudge.attempts - 1, 16)))


def swept(session: Session, platform: str, at: datetime) -> None:
    """Record that a sweep of `platform`'s nudges finished `at` (one row per platform)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(Sweep).values(platform=platform, finished_at=at)
    session.execute(insert.on_conflict_do_update(index_elements=["platform"],
                                                 set_={"finished_at": insert.excluded.finished_at}))
