"""Shared fixtures: a fresh, migrated database per test, and a chat driven through the handlers.

Tests run on SQLite by default and on PostgreSQL when PARTNERBOT_TEST_DATABASE_URL is set
(CI sets it), so every test checks both databases. On PostgreSQL each run works in a schema
of its own (the connections' search_path), dropped when it ends, so two runs on one
database never trample each other.
"""

from __future__ import annotations

import functools
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.config import normalise_database_url
from handlers import Actor, Reply, handle
from storage import in_use
from storage.database import alembic_config, empty, make_engine, session_factory, upgrade
from storage.models import Base

# A Tuesday morning, so "friday" and "tomorrow" mean the same in every run.
START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


# This run's PostgreSQL schema: unique to the process, so concurrent runs stay apart.
RUN_SCHEMA = f"test_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def server_url() -> str | None:
    """PARTNERBOT_TEST_DATABASE_URL as given, or None to test on SQLite alone."""
    url = os.environ.get("PARTNERBOT_TEST_DATABASE_URL")
    return normalise_database_url(url) if url else None


def test_database_url(tmp_path: Path) -> str:
    """A fresh SQLite file, or the PostgreSQL database with this run's schema first in the
    search_path; processes the tests start are handed this URL, so they work there too."""
    url = server_url()
    if url is None:
        return f"sqlite:///{tmp_path / 'partnerbot.db'}"
    return make_url(url).update_query_dict({"options": f"-csearch_path={RUN_SCHEMA}"}).render_as_string(
        hide_password=False)


def reset(engine: Engine) -> None:
    """Give PostgreSQL an empty schema, so each test starts from nothing."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{RUN_SCHEMA}"'))
        empty(engine)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop this run's schema, leaving the database as the run found it."""
    url = server_url()
    if url is None:
        return
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{RUN_SCHEMA}" CASCADE'))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file brought to the newest migration, copied for each test that needs a
    database: migrating takes most of a second, copying a millisecond."""
    path = tmp_path_factory.mktemp("template") / "partnerbot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
    engine.dispose()
    return path


@functools.cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config(make_engine("sqlite://"))).get_current_head()


def at_head(engine: Engine) -> bool:
    """Whether this run's PostgreSQL schema holds every table at the newest migration, so
    emptying its tables gives what a new migration would."""
    names = [*Base.metadata.tables, "alembic_version"]
    with engine.connect() as connection:
        present = connection.scalar(text("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
                                         " AND tablename = ANY(:names)"), {"names": names})
        if present != len(names):
            return False
        return connection.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()


def truncate(engine: Engine) -> None:
    """Empty every table but Alembic's and restart the numbering. DELETE with triggers off
    (the schema's own rules would refuse some deletions half-way) is far quicker than
    TRUNCATE, which syncs new files to disk for every table."""
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        connection.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n"
                                " ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = current_schema()"))


@pytest.fixture(scope="session")
def kept_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One engine for every test this process runs. SQLAlchemy caches each compiled statement
    per engine (per dialect), so a new engine per test compiled every statement again: half
    of what a short test cost. On SQLite its file is replaced for each test (`engine`)."""
    engine = make_engine(test_database_url(tmp_path_factory.mktemp("database")))
    yield engine
    engine.dispose()


@pytest.fixture
def engine(kept_engine: Engine, migrated_sqlite: Path) -> Iterator[Engine]:
    """A fresh database at the newest migration: a copy of the migrated SQLite file, or on
    PostgreSQL this run's schema emptied (migrated again only when a test left it otherwise)."""
    database = in_use.sqlite_path(kept_engine.url)
    if database is not None:  # the last test's connections were closed as it ended
        for leftover in ("-wal", "-shm", "-journal"):
            database.with_name(database.name + leftover).unlink(missing_ok=True)
        # A new file under the old name: a connection some test kept open sees the old one.
        shutil.copyfile(migrated_sqlite, database.with_name("fresh.db"))
        database.with_name("fresh.db").replace(database)
    elif at_head(kept_engine):
        truncate(kept_engine)
    else:
        kept_engine.dispose()
        reset(kept_engine)
        upgrade(kept_engine)
    yield kept_engine
    # A connection still out would reach into the next test's database.
    assert not kept_engine.pool.checkedout(), "the test left a database connection checked out"
    kept_engine.dispose()


@pytest.fixture
def unmigrated(tmp_path: Path) -> Iterator[Engine]:
    """An empty database (this run's schema on PostgreSQL), for tests that migrate it step by step."""
    engine = make_engine(test_database_url(tmp_path))
    reset(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@dataclass
class Chat:
    """People typing in one channel of one workspace, with a clock the test moves."""

    sessions: sessionmaker[Session]
    now: datetime = START
    platform: str = "console"
    workspace: str = "town"
    channel: str = "general"
    timezones: dict[str, str] = field(default_factory=dict)
    # Display names other than the capitalised user id (a Matrix user called "Bob").
    names: dict[str, str] = field(default_factory=dict)
    # Like the console: nobody else sees what is typed (False: a shared room).
    private: bool = True
    # A one-to-one conversation with the bot (a direct message).
    direct: bool = False

    def say(self, user: str, command: str, channel: str | None = None) -> Reply:
        actor = Actor(self.platform, self.workspace, user, channel or self.channel,
                      display_name=self.names.get(user, user.capitalize()), timezone=self.timezones.get(user),
                      private=self.private, direct=self.direct)
        return handle(command, actor, self.sessions, now=self.now)

    def ok(self, user: str, command: str) -> str:
        """Say something that must succeed; return what the person sees."""
        reply = self.say(user, command)
        assert not reply.error, f"{command!r} was refused: {reply.text}"
        return reply.plain()

    def refused(self, user: str, command: str) -> str:
        """Say something that must be refused; return the explanation."""
        reply = self.say(user, command)
        assert reply.error, f"{command!r} was accepted: {reply.plain()}"
        assert "Traceback" not in reply.plain()
        return reply.text or ""

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def chat(sessions: sessionmaker[Session]) -> Chat:
    return Chat(sessions)


@pytest.fixture
def town(chat: Chat) -> Chat:
    """A partnership with a coordinator (alice) and members from three sectors."""
    chat.ok("alice", 'setup "Riverside Partnership" kind:umbrella-forum purpose:"Revive the riverside"')
    chat.ok("alice", 'join org:"Town Council" sector:public capacity:6h')
    chat.ok("bob", 'join org:"Chamber of Trade" sector:private capacity:4h volunteer')
    chat.ok("carol", 'join org:"Riverside Trust" sector:voluntary capacity:3h volunteer')
    return chat


def snapshot(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Row counts of every table: equal before and after means nothing changed."""
    with sessions() as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) or 0
                for t in Base.metadata.sorted_tables}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`--dist loadgroup`), run every test that needs Synapse in one worker,
    so the run starts one homeserver rather than one per worker."""
    for item in items:
        if "homeserver" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("synapse"))
