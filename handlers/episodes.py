"""Episodes of a warning: told once, told again only when it is worse, saying what changed.

An episode begins when someone falls into a situation worth a warning (over capacity,
holding too much of the work, coordinating alone) and ends when they are out of it. Within
it the warning is told once; it is told again only when the situation is worse, and then
says what changed since the last telling. A turning week or month changes nothing, so
nothing is repeated for it. Each telling's time keys its nudge, so the ledger keeps one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
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


def episodes(session: Session, partnership_id: int, kind: str, known: Iterable[Episode],
             current: Mapping[int, Figures], worse: Callable[[Figures, Figures], bool],
             now: datetime) -> dict[int, Told]:
    """The latest telling of each episode of `kind` under way (`current`: member id to figures),
    updating the record: a new episode is told now, one that got `worse` is told again now,
    and episodes no longer under way end.

    `known` holds the rows the caller read (the sweep reads every partnership's at once). Each
    write is conditional on the row as read, so sweeps racing each other tell once."""
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
        with session.begin_nested():
            if row is None:
                dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
                session.execute(dialect.insert(Episode).on_conflict_do_nothing(index_elements=["member_id", "kind"]),
                                [{"member_id": member_id, "kind": kind, "partnership_id": partnership_id,
                                  "started_at": now, **values}])
            else:
                session.execute(update(Episode).where(Episode.member_id == member_id, Episode.kind == kind,
                                                      Episode.told_at == row.told_at).values(**values)
                                .execution_options(synchronize_session=False))
            # Whoever won, the row now says when this episode was last told, and what.
            last = session.execute(select(Episode.told_at, Episode.figures, Episode.previous, Episode.previous_at)
                                   .where(Episode.member_id == member_id, Episode.kind == kind)).one()
            told[member_id] = telling(*last)
    ended = [member_id for member_id in rows if member_id not in current]
    if ended:
        with session.begin_nested():
            session.execute(delete(Episode).where(Episode.kind == kind, Episode.member_id.in_(ended))
                            .execution_options(synchronize_session=False))
    return told


def telling(at: datetime, figures: str, previous: str | None, previous_at: datetime | None) -> Told:
    return Told(at, json.loads(figures), json.loads(previous) if previous else None, previous_at)
