"""Who is using the database, so a restore never replaces it under a running bot; and files
made owner-only, since the database and its backups hold the keys to everything.

SQLite: every process holds a shared lock on `<database>-lock` while it has a connection
open, and a restore takes it exclusively, or refuses. A process connecting during a restore
waits for it to finish. PostgreSQL: each connection names itself `partnerbot:<schema>`, and a
restore counts the others so named.

The SQLite file and its lock file (and so SQLite's -wal and -shm files, which take the
database's permissions) are created readable by their owner alone. The database's folder is
the operator's to make (a mistyped DATABASE_URL must not quietly start a new database);
folders partnerbot makes for backups only the owner can enter.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import URL

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; a restore then trusts the operator's word
    fcntl = None  # type: ignore[assignment]

APPLICATION = "partnerbot"
# How long a process connecting waits for a restore in progress before giving up.
RESTORE_WAIT_SECONDS = 120.0


class InUse(Exception):
    """Another process is using the database."""


def owner_only_folder(folder: Path) -> None:
    """Make a folder and any missing parents, each readable by its owner alone."""
    missing = [f for f in (folder, *folder.parents) if not f.exists()]
    for made in reversed(missing):
        made.mkdir(mode=0o700, exist_ok=True)
        made.chmod(0o700)  # whatever the umask


def owner_only_file(path: Path, folders: bool = True) -> bool:
    """Create an empty file readable and writable by its owner alone, and (with `folders`) any
    missing folder it goes in; False if it existed, or its folder is missing."""
    if folders:
        owner_only_folder(path.parent)
    elif not path.parent.is_dir():
        return False
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return False
    path.chmod(0o600)  # whatever the umask
    return True


def sqlite_path(url: URL) -> Path | None:
    """The database file a SQLite URL names; None for an in-memory database."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or url.query.get("mode") == "memory":
        return None
    return Path(url.database)


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + "-lock")


class SharedUse:
    """Holds the shared lock on a SQLite database's lock file while its engine has any
    connection open, so `exclusive` finds every process using the database."""

    def __init__(self, database: Path) -> None:
        self.path = lock_path(database)
        self.connections = 0
        self.held: IO[bytes] | None = None
        self.guard = threading.Lock()

    def watch(self, engine: Engine) -> None:
        event.listen(engine, "connect", self.opened)
        event.listen(engine, "close", self.closed)
        event.listen(engine, "close_detached", self.closed)

    def opened(self, *_: Any) -> None:
        with self.guard:
            if self.connections == 0:
                self.held = self.take()
            self.connections += 1

    def closed(self, *_: Any) -> None:
        with self.guard:
            self.connections -= 1
            if self.connections == 0 and self.held is not None:
                self.held.close()  # releases the lock
                self.held = None

    def take(self) -> IO[bytes]:
        owner_only_file(self.path)
        held = open(self.path, "rb")  # noqa: SIM115 (kept open: the lock lives as long as the file does)
        deadline = time.monotonic() + RESTORE_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(held, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return held
            except BlockingIOError:  # a restore holds it: wait until it is done
                if time.monotonic() > deadline:
                    held.close()
                    raise InUse(f"{self.path.with_name(self.path.name.removesuffix('-lock'))} is being restored; "
                                "try again when the restore is done") from None
                time.sleep(0.1)


def announce(engine: Engine) -> None:
    """Let a restore see that this engine's process uses its SQLite database."""
    database = sqlite_path(engine.url)
    if database is not None and fcntl is not None:
        SharedUse(database).watch(engine)


@contextmanager
def exclusive(database: Path) -> Iterator[None]:
    """Hold the database's lock file alone, for a restore: InUse when any process (this one
    included, through another engine) has a connection open to it."""
    if fcntl is None:
        yield
        return
    owner_only_file(lock_path(database))
    with open(lock_path(database), "rb") as held:
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InUse(str(database)) from None
        yield


def application_name(url: URL) -> str:
    """How a PostgreSQL connection names itself: partnerbot, and the schema it works in (from the
    URL's search_path), so deployments sharing a database are told apart."""
    options = url.query.get("options") or ""
    found = re.search(r"search_path\s*=\s*([^\s,]+)", options if isinstance(options, str) else " ".join(options))
    return f"{APPLICATION}:{found[1] if found else 'public'}"[:63]


def others_connected(connection: Connection) -> int:
    """How many other partnerbot connections the PostgreSQL database has to this schema."""
    return connection.scalar(text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = :name"
        " AND pid <> pg_backend_pid()"), {"name": application_name(connection.engine.url)}) or 0
