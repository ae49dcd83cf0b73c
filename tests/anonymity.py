"""Looking for a raiser in the database: every row an anonymous command added or changed,
in every table, searched for the person's ids and names."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Base, Member, Person

Rows = dict[str, set[tuple[Any, ...]]]
# A reopen code as the raiser is shown it (`code:k7qm-3xtp-9wna-r2fd-h8ce-vb4j`): 120 bits of base32.
REOPEN_CODE = re.compile(r"code:([a-z2-7]{4}(?:-[a-z2-7]{4}){5})")


def rows(sessions: sessionmaker[Session]) -> Rows:
    """Every row of every table."""
    with sessions() as session:
        return {t.name: {tuple(r) for r in session.execute(select(t))} for t in Base.metadata.sorted_tables}


def traces(sessions: sessionmaker[Session], before: Rows, platform: str, user_id: str) -> list[str]:
    """Where the rows added or changed since `before` mention the person: their user id or
    display name as a word in any text, or their person or member id in a column that
    refers to one."""
    with sessions() as session:
        person = session.scalars(select(Person).where(Person.platform == platform, Person.user_id == user_id)).one()
        member_ids = set(session.scalars(select(Member.id).where(Member.person_id == person.id)))
    # A name counts where it stands on its own: a random token such as a device id
    # (BOBTBVWAGR) may hold "bob" without naming Bob.
    words = [re.compile(rf"(?<![0-9a-z]){re.escape(w.casefold())}(?![0-9a-z])")
             for w in (user_id, person.display_name)]
    found: list[str] = []
    for table in Base.metadata.sorted_tables:
        with sessions() as session:
            added = {tuple(r) for r in session.execute(select(table))} - before[table.name]
        for row in added:
            for column, value in zip(table.columns, row, strict=True):
                targets = {fk.column.table.name for fk in column.foreign_keys}
                if isinstance(value, str) and any(w.search(value.casefold()) for w in words):
                    found.append(f"{table.name}.{column.name} = {value!r}")
                elif "people" in targets and value == person.id:
                    found.append(f"{table.name}.{column.name} is their person id")
                elif "members" in targets and value in member_ids:
                    found.append(f"{table.name}.{column.name} is their member id")
    return found


def added(sessions: sessionmaker[Session], before: Rows, table: str) -> list[tuple[Any, ...]]:
    return sorted(rows(sessions)[table] - before[table], key=repr)
