"""Connecting to the database and bringing its schema up to date.

One engine per process; one session (and so one transaction) per command. SQLite is the
embedded default, PostgreSQL the database for real deployments.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData, create_engine, event, func, make_url, select, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from storage import in_use

MIGRATIONS = Path(__file__).parent / "migrations"
# Seconds a pooled connection may sit idle and still be used unchecked (`check_when_idle`).
CHECK_AFTER_IDLE = 1.0
RETURNED = "returned"  # when the connection was opened or last went back to the pool (time.monotonic)
READS_ONLY = "reads only"  # in Session.info: the session's command changes nothing (`reads_only`)


def make_engine(url: str, pool_size: int = 5, max_overflow: int = 10, announced: bool = True) -> Engine:
    """Create an engine; on SQLite, turn on foreign keys and wait for locks.

    On PostgreSQL each process keeps `pool_size` connections and opens up to `max_overflow`
    more at a peak; a connection that has sat idle is checked before use (`check_when_idle`),
    so the bot recovers by itself after an outage, and describes a result only when asked
    (storage/cursor.py). Errors never quote a statement's values: they may be an anonymous
    concern's words, and errors reach the logs. A new SQLite file is its owner's alone. While
    connected, the process shows a restore it is using the database (storage/in_use.py),
    unless not `announced` (the restore's own engine).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15}, hide_parameters=True)
        database = in_use.sqlite_path(engine.url)
        if announced:
            in_use.announce(engine)

        @event.listens_for(engine, "do_connect")
        def _owner_only(*_: object) -> None:
            if database is not None:
                in_use.owner_only_file(database, folders=False)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    # A database that stops answering fails a command in seconds ("try again") rather than
    # hanging it: connect_timeout bounds connecting, tcp_user_timeout (ms) a dead connection.
    application = in_use.application_name(make_url(url)) if announced else "partnerbot-restore"
    from storage.cursor import Cursor  # psycopg is imported only where PostgreSQL is used
    engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                           connect_args={"connect_timeout": 5, "tcp_user_timeout": 5000,
                                         "application_name": application, "cursor_factory": Cursor},
                           hide_parameters=True)
    check_when_idle(engine)
    return engine


def check_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use (SQLAlchemy's ping, one SELECT 1) when it has been
    idle for `CHECK_AFTER_IDLE` seconds: the database may have restarted meanwhile. A dead one is
    replaced before the command sees it. One returned to the pool moments ago, as under load,
    goes straight back to work: checking at every checkout (`pool_pre_ping`) cost every
    command a round trip to the database. Nor is one just opened: connecting was the check."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _fresh(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        if time.monotonic() - record.info.get(RETURNED, -math.inf) < CHECK_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as lost:
            # The pool replaces the connection and tries again (up to three times).
            raise DisconnectionError("a pooled connection was lost while idle") from lost


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration that needs no ini file, so it works from an installed wheel."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration; the bot calls this on every start."""
    migrate(engine, "head")


def migrate(engine: Engine, to: str, down: bool = False) -> None:
    """Move the schema to a revision, in one transaction.

    On PostgreSQL an advisory lock makes several processes starting at once migrate once. On
    SQLite foreign keys are off while migrating (SQLite only heeds that outside a transaction):
    a table rebuilt by dropping it would otherwise take every row referring to it along (ON
    DELETE CASCADE). Before committing, SQLite checks that every reference still holds.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7240203)")
                config = alembic_config(engine)
                config.attributes["connection"] = connection
                (command.downgrade if down else command.upgrade)(config, to)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migrating left rows referring to rows that are gone: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def empty(engine: Engine) -> None:
    """Remove every table, so the database is as new: for the tests, the benchmark and a forced restore.

    On PostgreSQL the schema the connection works in (its search_path) is dropped and made
    again, so two runs given two schemas of one database never touch each other's tables.
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            schema = connection.scalar(text("SELECT current_schema()"))
            if schema is None:
                raise ValueError("the connection's search_path names no existing schema")
            quoted = connection.dialect.identifier_preparer.quote_identifier(schema)
            connection.execute(text(f"DROP SCHEMA {quoted} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {quoted}"))
        else:
            tables = MetaData()
            tables.reflect(connection)
            tables.drop_all(connection)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def reads_only(session: Session) -> None:
    """Run this transaction's statements each on its own, outside a transaction, as the sqlite3
    module runs reads anyway (see `take_write_lock`): a command that changes nothing and has no
    request to mark handled (Slack's reads, the console's) needs no BEGIN and COMMIT, two of the
    four round trips `overdue` made to PostgreSQL. Anything it tried to write is refused
    (`_refuse_writes`): with no request marked (bot/slack/once.py), a write there could happen
    twice."""
    session.info[READS_ONLY] = True
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


@event.listens_for(Session, "before_flush")
def _refuse_writes(session: Session, _context: object, _instances: object) -> None:
    if session.info.get(READS_ONLY):
        raise RuntimeError("a command that changes nothing tried to write")


def take_write_lock(session: Session) -> None:
    """On SQLite, make the transaction's first statement BEGIN IMMEDIATE: it waits for, then
    holds, the database's one write lock, so nothing it reads can change before it writes.

    (Otherwise the sqlite3 module runs reads outside any transaction and two people marking
    one commitment done would both succeed.) PostgreSQL locks rows instead: see
    `storage.queries.lock`."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("BEGIN IMMEDIATE"))


def without_jit(session: Session) -> None:
    """On PostgreSQL, no JIT compilation for the rest of the transaction. The sweep's queries
    pick a few rows out of large tables (the nudges free to go among the thousands waiting),
    and the planner's estimate of them can be far off: compiling such a query took 330 ms at
    N = 10,000, where running it took 30."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    with sessions.begin() as session:
        yield session


def database_now(sessions: sessionmaker[Session]) -> datetime:
    """The time by the database's clock on PostgreSQL, so processes on machines whose clocks
    disagree still agree on leases and due times; SQLite lives on one machine, so its clock."""
    with sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            return session.scalar(select(func.clock_timestamp())).astimezone(UTC)
    return datetime.now(UTC)
