"""Episodes of a warning: told once, told again only when it is worse, saying what changed.

An episode begins when someone falls into a situation worth a warning (over capacity,
holding too much of the work, coordinating alone) and ends when they are out of it. Within
it the warning is told once; it is told again only when the situation is worse, and then
says what changed since the last telling. A turning week or month changes nothing, so
nothing is repeated for it. Each telling's time keys its nudge, so the ledger keeps one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, delete, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Episode

Figures = Mapping[str, float]


@dataclass(frozen=True)
class Told:
    """The latest telling of one member's episode: when, its figures, and the telling before it."""

    at: datetime
    figures: Figures
    previous: Figures | None
    previous_at: datetime | None


@dataclass
class Tellings:
    """The episode records a sweep's derivation changes, written together at its end (`write`),
    in a few statements for every partnership instead of a few for each member told."""

    new: list[dict[str, object]] = field(default_factory=list)
    again: list[dict[str, object]] = field(default_factory=list)
    ended: list[tuple[int, str]] = field(default_factory=list)

    def merge(self, other: Tellings) -> None:
        self.new += other.new
        self.again += other.again
        self.ended += other.ended

    def write(self, session: Session) -> None:
        """Write them, each conditional on the row as the sweep read it (derivations take turns:
        `storage.nudges.deriving`, or SQLite's one writer), so a row changed meanwhile is kept."""
        if self.new:
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            session.execute(dialect.insert(Episode).on_conflict_do_nothing(index_elements=["member_id", "kind"]),
                            self.new)
        if self.again:
            table = Episode.__table__
            session.connection().execute(
                update(table).where(table.c.member_id == bindparam("m"), table.c.kind == bindparam("k"),
                                    table.c.told_at == bindparam("was")), self.again)
        if self.ended:
            session.execute(delete(Episode).where(tuple_(Episode.member_id, Episode.kind).in_(self.ended))
                            .execution_options(synchronize_session=False))


def episodes(partnership_id: int, kind: str, known: Iterable[Episode], current: Mapping[int, Figures],
             worse: Callable[[Figures, Figures], bool], now: datetime, tellings: Tellings,
             paused: Collection[int] = ()) -> dict[int, Told]:
    """The latest telling of each episode of `kind` under way (`current`: member id to figures),
    noting in `tellings` how the record changes: a new episode is told now, one that got
    `worse` is told again now, and episodes no longer under way end, but for the `paused`
    members' (away now: a spell away is not the end of what was told, so their return repeats nothing).

    `known` holds the rows the caller read (the sweep reads every partnership's at once)."""
    rows = {e.member_id: e for e in known if e.kind == kind and e.partnership_id == partnership_id}
    told: dict[int, Told] = {}
    for member_id, figures in current.items():
        row = rows.get(member_id)
        if row is not None and not worse(json.loads(row.figures), figures):
            told[member_id] = telling(row.told_at, row.figures, row.previous, row.previous_at)
            continue
        values = {"told_at": now, "figures": json.dumps(dict(figures)),
                  "previous": row.figures if row is not None else None,
                  "previous_at": row.told_at if row is not None else None}
        if row is None:
            tellings.new.append({"member_id": member_id, "kind": kind, "partnership_id": partnership_id,
                                 "started_at": now, **values})
        else:
            tellings.again.append({"m": member_id, "k": kind, "was": row.told_at, **values})
        told[member_id] = telling(now, str(values["figures"]), row.figures if row else None,
                                  row.told_at if row else None)
    tellings.ended += [(member_id, kind) for member_id in rows if member_id not in current and member_id not in paused]
    return told


def telling(at: datetime, figures: str, previous: str | None, previous_at: datetime | None) -> Told:
    return Told(at, json.loads(figures), json.loads(previous) if previous else None, previous_at)
