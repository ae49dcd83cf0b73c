"""Still true? Each kind of nudge says how to ask, next to where it is derived or told.

A nudge can wait for quiet hours, the daily cap, a retry or a slow delivery, and by its
turn the work may be done, the handover answered, the person gone. So the sweep asks
again, at every sweep while a nudge waits and just before it is sent: first what every
nudge needs (`handlers.nudges.still_true`: the partnership still running, its person still
a member and not away), then its kind's own check, registered here with `@rechecks`.

A check gets one waiting nudge and an `Asked`, which reads what the nudges being asked
about name (their commitments, their recipients, ...) once for all of them; it returns
why the nudge no longer holds (a `Wait` when it may yet), or None. It asks only what the
nudge's derivation asked, never more: a derived nudge it cancels must not be derived again
at the next sweep.
The subject a nudge is about is read from its key, which names it (`overdue:c12:...`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import and_, select, tuple_
from sqlalchemy.orm import Session

from storage.models import Commitment, CommitmentStatus, Member, Partnership, Role, Snooze
from storage.nudges import Waiting

T = TypeVar("T")
Check = Callable[["Asked", Waiting], "str | None"]

# Each kind's check; a kind without one is asked only what every nudge is asked.
CHECKS: dict[str, Check] = {}
# Why a derived nudge the sweep no longer derives went, where its check has nothing sharper.
OTHERWISE: dict[str, str] = {}
NO_LONGER_DUE = "no longer due when the sweep looked again"
# Kinds a command tells about a closing task (a handover to accept, a decline): a wound-up or
# ended partnership still settles those, so what the command promised is delivered, if still true.
AFTER_END: set[str] = set()


class Wait(str):
    """A check's answer that the nudge does not hold yet but may: it waits for a later sweep,
    rather than being cancelled (what it follows is still on its way)."""


def rechecks(*kinds: str, otherwise: str = NO_LONGER_DUE, after_end: bool = False) -> Callable[[Check], Check]:
    """Register the decorated function as the check of these kinds of nudge; `after_end` for told
    kinds that still go out once the partnership is over (their check alone says whether)."""

    def register(check: Check) -> Check:
        for kind in kinds:
            assert kind not in CHECKS, f"two checks for {kind} nudges"
            CHECKS[kind] = check
            OTHERWISE[kind] = otherwise
            if after_end:
                AFTER_END.add(kind)
        return check

    return register


def about(key: str, letter: str) -> int | None:
    """The id a nudge's key names after `letter` (`c12`: commitment 12), if it names one."""
    found = re.search(rf"(?:^|:){letter}(\d+)(?=:|$)", key)
    return int(found[1]) if found else None


def told_at(prefix: str, c: Commitment, moment: datetime, person_id: int) -> str:
    """The key of what a command tells `person_id` about `c` as it stood at `moment` (a handover,
    a close): `told:handover:c12:<moment>:p3`, read back by `moment_in`."""
    return f"{prefix}c{c.id}:{moment.astimezone(UTC).isoformat()}:p{person_id}"


def moment_in(key: str) -> datetime | None:
    """The moment a `told_at` key names: the handover or close the nudge is about."""
    found = re.search(r":c\d+:(.+):p\d+$", key)
    return datetime.fromisoformat(found[1]) if found else None


def day_in(key: str) -> date | None:
    """The first day a key names (`2026-11-27`: the due date it was derived for)."""
    found = re.search(r"(?:^|:)(\d{4}-\d{2}-\d{2})(?=:|$)", key)
    return date.fromisoformat(found[1]) if found else None


@dataclass
class Asked:
    """The nudges being asked about at `now`, and what they name, each read once for all."""

    session: Session
    now: datetime
    rows: Sequence[Waiting]
    _read: dict[Callable[[Asked], Any], Any] = field(default_factory=dict)

    def read(self, reader: Callable[[Asked], T]) -> T:
        """What `reader` reads for every nudge being asked about (one query), read once."""
        if reader not in self._read:
            self._read[reader] = reader(self)
        return self._read[reader]  # type: ignore[no-any-return]

    def named(self, letter: str) -> set[int]:
        """The ids the nudges' keys name after `letter`."""
        return {i for row in self.rows if (i := about(row.key, letter)) is not None}

    def partnership(self, row: Waiting) -> Partnership | None:
        return self.read(partnerships).get(row.partnership_id)

    def recipient(self, row: Waiting) -> Member | None:
        """The member a personal nudge goes to, in its partnership (left or not); None for a channel."""
        return self.read(recipients).get((row.partnership_id, row.person_id or 0))

    def commitment(self, row: Waiting) -> Commitment | None:
        return self.read(commitments).get(about(row.key, "c") or 0, (None, None))[0]

    def open_commitment(self, row: Waiting) -> tuple[Commitment | None, str | None]:
        """The open commitment the nudge's key names, or None and why not (done, dropped, gone)."""
        c = self.commitment(row)
        return (c, None) if c is not None and c.status is CommitmentStatus.OPEN else (None, closed(c))

    def snooze(self, c: Commitment) -> Snooze | None:
        """The snooze holding back reminders about `c` now, if any."""
        return self.read(commitments)[c.id][1]

    def member(self, member_id: int | None) -> Member | None:
        return self.read(named_members).get(member_id or 0)


def partnerships(asked: Asked) -> dict[int, Partnership]:
    ids = {row.partnership_id for row in asked.rows}
    return {p.id: p for p in asked.session.scalars(select(Partnership).where(Partnership.id.in_(ids)))}


def recipients(asked: Asked) -> dict[tuple[int, int], Member]:
    pairs = {(row.partnership_id, row.person_id) for row in asked.rows if row.person_id is not None}
    if not pairs:
        return {}
    return {(m.partnership_id, m.person_id): m for m in asked.session.scalars(
        select(Member).where(tuple_(Member.partnership_id, Member.person_id).in_(pairs)))}


def commitments(asked: Asked) -> dict[int, tuple[Commitment, Snooze | None]]:
    """The commitments the nudges name, each with its running snooze (one query)."""
    ids = asked.named("c")
    if not ids:
        return {}
    return {c.id: (c, s) for c, s in asked.session.execute(
        select(Commitment, Snooze).outerjoin(Snooze, and_(Snooze.commitment_id == Commitment.id,
                                                          Snooze.until > asked.now))
        .where(Commitment.id.in_(ids)))}


def named_members(asked: Asked) -> dict[int, Member]:
    ids = asked.named("m")
    return {m.id: m for m in asked.session.scalars(select(Member).where(Member.id.in_(ids)))} if ids else {}


# What many kinds ask of the work or the person they are about.

def closed(c: Commitment | None) -> str | None:
    """Why work a nudge is about needs nothing more: it is gone, done or dropped."""
    if c is None:
        return "the commitment is gone"
    if c.status is CommitmentStatus.DONE:
        return f"#{c.number} {c.title} was marked done"
    if c.status is CommitmentStatus.DROPPED:
        return f"#{c.number} {c.title} was dropped"
    return None


def reopened(c: Commitment | None) -> str | None:
    """Why a note that work was closed no longer holds: it is gone, or open again."""
    if c is None:
        return "the commitment is gone"
    if c.status is CommitmentStatus.OPEN:
        return f"#{c.number} {c.title} was reopened"
    return None


def not_theirs(c: Commitment, person_id: int | None) -> str | None:
    """Why work is no longer the recipient's: someone else holds it (or is asked to)."""
    return None if c.owner.person_id == person_id else holder(c)


def holder(c: Commitment) -> str:
    """Whose work is now: `#12 is Dev's now, asked to accept it`."""
    asked_to = ", asked to accept it" if c.handover_from_id is not None else ""
    return f"#{c.number} is {c.owner.person.display_name}'s now{asked_to}"


def not_coordinating(m: Member | None) -> str | None:
    """Why a note for coordinators no longer suits its recipient."""
    if m is not None and m.role is not Role.COORDINATOR:
        return f"{m.person.display_name} is no longer a coordinator"
    return None


def gone(m: Member | None, partnership: Partnership | None) -> str | None:
    """Why a member a nudge is about is no longer there to be talked about."""
    if m is None or not m.active:
        name = m.person.display_name if m is not None else "the member"
        return f"{name} is no longer a member of {partnership.name if partnership else 'the partnership'}"
    return None
