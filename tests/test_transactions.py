"""What a command runs in: a change in one transaction, a read outside any (reads_only), so it
needs no BEGIN and COMMIT, and may write nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.database import reads_only
from storage.models import Person
from tests.conftest import Chat


def test_a_read_runs_outside_a_transaction_and_a_change_inside_one(engine: Engine, town: Chat) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the sqlite3 module runs reads outside a transaction of itself")
    seen: list[tuple[str, bool]] = []

    def executing(connection: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append((statement.split()[0], connection.connection.dbapi_connection.autocommit))  # type: ignore[attr-defined]

    event.listen(engine, "before_cursor_execute", executing)
    try:
        town.ok("alice", "who")
        read, seen[:] = list(seen), []
        town.ok("alice", 'commit "Book the hall" by:friday')
        changed = list(seen)
    finally:
        event.remove(engine, "before_cursor_execute", executing)
    assert read and all(outside for _, outside in read), read
    assert changed and not any(outside for _, outside in changed), changed


def test_a_read_that_tries_to_write_is_refused_and_keeps_nothing(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError, match="changes nothing"), sessions.begin() as session:
        reads_only(session)
        session.add(Person(platform="console", workspace="town", user_id="mallory", display_name="Mallory",
                           timezone="UTC", month_first=False))
        session.flush()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0
