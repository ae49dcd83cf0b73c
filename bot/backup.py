"""`partnerbot backup FILE` and `partnerbot restore FILE`: a town's records, kept safe.

On SQLite, a backup is SQLite's online backup: a consistent copy taken while the bot keeps
running and writing, holding every change committed before it began. A backup holds
everything the database does, the keys to it included (the key signing dashboard cookies,
Slack's and Matrix's access tokens), so it is written readable by its owner alone, in folders
only the owner can enter when the command makes them.

A restore copies a backup into the database the settings name, refusing one that holds
records unless told to replace them, and refusing while any partnerbot process is using the
database (storage/in_use.py): it never replaces a database under a running bot. A process
starting meanwhile waits for it. It then brings the schema up to date. PostgreSQL has its own
tools, so there the commands say which `pg_dump` or `pg_restore` to run (without the password:
it comes from PGPASSWORD or ~/.pgpass): a dump written owner-only, and a restore in one
transaction, whole or not at all.
"""

from __future__ import annotations

import shlex
import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.engine import URL, make_url

from bot.config import Settings
from storage import in_use
from storage.database import make_engine, upgrade
from storage.models import Base


class Refused(Exception):
    """What to do instead, in one line."""


def backup(settings: Settings, file: Path) -> str:
    """Make the backup (SQLite) or say how (PostgreSQL); the line to show."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "postgresql":
        return ("On PostgreSQL, back up with pg_dump (the password comes from PGPASSWORD or ~/.pgpass; umask 077 "
                "keeps the dump, which holds the bot's tokens, to you alone):\n"
                f"  (umask 077 && pg_dump --format=custom --file={shlex.quote(str(file))} {shlex.quote(plain(url))})")
    source = sqlite_file(url)
    if not Path(source).is_file():
        raise Refused(f"There is no database at {source} to back up.")
    if not in_use.owner_only_file(file):
        raise Refused(f"{file} already exists: choose a new file name, so no backup is overwritten.")
    with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(file)) as copy:
        # In one step: one read transaction, a consistent snapshot; in WAL mode the bot's
        # writes carry on meanwhile (a copy in steps would restart at each of them).
        live.backup(copy)
    return f"Backed up {source} to {file} ({file.stat().st_size:,} bytes)."


def restore(settings: Settings, file: Path, replace: bool = False) -> str:
    """Copy a backup into the database (SQLite) or say how (PostgreSQL); the line to show."""
    url = make_url(settings.database_url)
    engine = make_engine(settings.database_url, announced=False)
    try:
        if url.get_backend_name() == "postgresql":
            refuse_while_used(engine)
            refuse_records(engine, replace)
            return ("On PostgreSQL, restore with pg_restore, in one transaction (the password comes from PGPASSWORD or "
                    "~/.pgpass); keep the bot stopped until it is done:\n"
                    f"  pg_restore --single-transaction --clean --if-exists --no-owner --dbname={shlex.quote(plain(url))} "
                    f"{shlex.quote(str(file))}")
        database = Path(sqlite_file(url))
        check_backup(file)
        try:
            with in_use.exclusive(database):
                refuse_records(engine, replace)
                engine.dispose()
                in_use.owner_only_file(database)
                with closing(sqlite3.connect(file)) as saved, closing(sqlite3.connect(database)) as target:
                    saved.backup(target)  # in one step: the database is the old one or the backup, never half
                upgrade(engine)  # a backup from an older version catches up
                restored = records(engine)
                engine.dispose()
        except in_use.InUse:
            raise Refused(IN_USE) from None
        return f"Restored {file} into {database}: {restored:,} records."
    finally:
        engine.dispose()


IN_USE = ("A partnerbot process is using the database (the bot, the web pages, a sweeper or a console): "
          "stop them all, then run the restore again.")


def refuse_records(engine: Engine, replace: bool) -> None:
    held = records(engine)
    if held and not replace:
        raise Refused(f"The database already holds {held:,} records: restoring would replace them. Stop the bot, "
                      "then run `partnerbot restore FILE --replace` if that is what you want.")


def refuse_while_used(engine: Engine) -> None:
    """On PostgreSQL, refuse while other partnerbot connections to this schema are open."""
    with engine.connect() as connection:
        others = in_use.others_connected(connection)
    if others:
        raise Refused(f"{IN_USE} ({others} connections open now)")


def records(engine: Engine) -> int:
    """Rows in partnerbot's own tables: zero for a new or empty database."""
    present = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        return sum(connection.scalar(select(func.count()).select_from(table)) or 0
                   for table in Base.metadata.sorted_tables if table.name in present)


def check_backup(file: Path) -> None:
    if not file.is_file():
        raise Refused(f"There is no file {file}.")
    try:
        with closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as saved:
            found = saved.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone()
    except sqlite3.DatabaseError:
        found = None
    if not found:
        raise Refused(f"{file} is not a partnerbot backup (a SQLite database made by `partnerbot backup`).")


def sqlite_file(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise Refused("DATABASE_URL names no database file.")
    return url.database


def plain(url: URL) -> str:
    """The URL as libpq tools take it, without the driver or the password."""
    return url.set(drivername="postgresql")._replace(password=None).render_as_string(hide_password=False)

