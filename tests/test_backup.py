"""`partnerbot backup` and `partnerbot restore`, run as an operator would, while the bot writes."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import load_settings, open_database
from storage import in_use
from storage.database import session_factory
from storage.models import Commitment
from tests.conftest import Chat
from tests.environment import user_environment
from tests.test_console import PARTNERBOT


def partnerbot(*args: str, database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = user_environment(DATABASE_URL=database_url)
    return subprocess.run([str(PARTNERBOT), *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120)


def titles(url: str) -> set[str]:
    with bot_at(url) as chat, chat.sessions() as session:
        return set(session.scalars(select(Commitment.title)))


def open_database_at(url: str) -> sessionmaker[Session]:
    os.environ["DATABASE_URL"] = url
    try:
        return open_database(load_settings(env_file=None))
    finally:
        del os.environ["DATABASE_URL"]


@contextmanager
def bot_at(url: str) -> Iterator[Chat]:
    """A bot using the database at `url` until the block ends, when its connections close."""
    sessions = open_database_at(url)
    try:
        yield Chat(sessions)
    finally:
        sessions.kw["bind"].dispose()


def test_a_backup_taken_while_the_bot_writes_restores_every_acknowledged_change(tmp_path: Path) -> None:
    live = f"sqlite:///{tmp_path / 'live.db'}"
    chat = Chat(open_database_at(live))
    chat.ok("alice", 'setup "Riverside Partnership" kind:task-force')
    chat.ok("alice", "join org:Council sector:public capacity:40h")
    acknowledged: list[tuple[float, str]] = []
    stop = threading.Event()

    def write() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            chat.ok("alice", f'commit "Task {number}" by:friday')
            acknowledged.append((time.monotonic(), f"Task {number}"))

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(acknowledged) < 20:
            time.sleep(0.05)
        began = time.monotonic()
        made = partnerbot("backup", str(tmp_path / "saved.db"), database_url=live, cwd=tmp_path)
        while len([t for t, _ in acknowledged if t > began]) < 20:  # the bot went on writing throughout
            time.sleep(0.05)
    finally:
        stop.set()
        writer.join()
    assert made.returncode == 0, made.stdout + made.stderr
    assert made.stdout.startswith(f"Backed up {tmp_path / 'live.db'} to {tmp_path / 'saved.db'}")

    restored_url = f"sqlite:///{tmp_path / 'restored.db'}"
    restored = partnerbot("restore", str(tmp_path / "saved.db"), database_url=restored_url, cwd=tmp_path)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    found = titles(restored_url)
    assert {title for at, title in acknowledged if at < began} <= found, "a change acknowledged before the backup is missing"
    assert found <= {title for _, title in acknowledged}
    with closing(sqlite3.connect(tmp_path / "restored.db")) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_restore_refuses_to_overwrite_records_unless_asked(tmp_path: Path) -> None:
    first, second = f"sqlite:///{tmp_path / 'first.db'}", f"sqlite:///{tmp_path / 'second.db'}"
    with bot_at(first) as chat:
        chat.ok("alice", 'setup "Riverside Partnership" kind:task-force')
    with bot_at(second) as chat:
        chat.ok("alice", 'setup "Hill Forum" kind:umbrella-forum')
    assert partnerbot("backup", "first.bak", database_url=first, cwd=tmp_path).returncode == 0

    refused = partnerbot("restore", "first.bak", database_url=second, cwd=tmp_path)
    assert refused.returncode == 1
    assert "The database already holds" in refused.stderr and "--replace" in refused.stderr
    with bot_at(second) as chat, chat.sessions() as session:
        assert session.scalar(select(Commitment.id)) is None
    assert partnerbot("backup", "first.bak", database_url=first, cwd=tmp_path).returncode == 1, "no backup is overwritten"

    replaced = partnerbot("restore", "first.bak", "--replace", database_url=second, cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    with bot_at(second) as chat:
        assert "Riverside Partnership" in chat.ok("alice", "partnerships")
        assert "Hill Forum" not in chat.ok("alice", "partnerships")

    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("shopping list")
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    refused = partnerbot("restore", str(not_a_backup), database_url=empty, cwd=tmp_path)
    assert refused.returncode == 1 and "is not a partnerbot backup" in refused.stderr


def test_on_postgresql_the_commands_to_run_are_printed_without_the_password(engine: Engine, tmp_path: Path) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's own tools back it up: set PARTNERBOT_TEST_DATABASE_URL=postgresql://...")
    url = engine.url.set(password="s3cret-pw").render_as_string(hide_password=False)
    said = partnerbot("backup", "town.dump", database_url=url, cwd=tmp_path)
    assert said.returncode == 0
    assert "pg_dump --format=custom --file=town.dump 'postgresql://" in said.stdout
    assert "s3cret-pw" not in said.stdout + said.stderr
    assert not (tmp_path / "town.dump").exists()

    assert "(umask 077 && pg_dump" in said.stdout  # the dump holds the bot's tokens: its owner's alone

    engine.dispose()  # this test's own connections: nobody else uses the database
    told = partnerbot("restore", "town.dump", database_url=url, cwd=tmp_path)
    assert told.returncode == 0, told.stderr
    assert "pg_restore --single-transaction --clean --if-exists --no-owner --dbname='postgresql://" in told.stdout
    assert "s3cret-pw" not in told.stdout + told.stderr
    Chat(session_factory(engine)).ok("alice", 'setup "Riverside Partnership" kind:task-force')
    used = partnerbot("restore", "town.dump", "--replace", database_url=url, cwd=tmp_path)
    assert used.returncode == 1 and "A partnerbot process is using the database" in used.stderr  # this one
    engine.dispose()
    refused = partnerbot("restore", "town.dump", database_url=url, cwd=tmp_path)
    assert refused.returncode == 1 and "--replace" in refused.stderr


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_its_backups_are_their_owners_alone(tmp_path: Path) -> None:
    """Both hold the cookie-signing key and the Slack and Matrix tokens."""
    was = os.umask(0o022)  # the usual umask, which leaves new files readable by everyone
    try:
        (tmp_path / "data").mkdir()
        url = f"sqlite:///{tmp_path / 'data' / 'partnerbot.db'}"
        made = partnerbot("console", "--as", "alice", database_url=url, cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        made_files = list((tmp_path / "data").iterdir())
        assert {f.name for f in made_files} >= {"partnerbot.db", "partnerbot.db-lock"}
        assert all(mode(f) == 0o600 for f in made_files), {f.name: oct(mode(f)) for f in made_files}

        saved = partnerbot("backup", "backups/nightly/town.db", database_url=url, cwd=tmp_path)
        assert saved.returncode == 0, saved.stderr
        assert mode(tmp_path / "backups") == mode(tmp_path / "backups" / "nightly") == 0o700
        assert mode(tmp_path / "backups" / "nightly" / "town.db") == 0o600
    finally:
        os.umask(was)


def test_a_restore_refuses_while_a_bot_uses_the_database_and_changes_nothing(tmp_path: Path) -> None:
    live = f"sqlite:///{tmp_path / 'live.db'}"
    with bot_at(live) as chat:
        chat.ok("alice", 'setup "Riverside Partnership" kind:task-force')
    assert partnerbot("backup", "saved.db", database_url=live, cwd=tmp_path).returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MATRIX_", "DATABASE_", "PARTNERBOT_"))}
    bot = subprocess.Popen([str(PARTNERBOT), "console", "--as", "alice"], cwd=tmp_path, env={**env, "DATABASE_URL": live},
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert bot.stdin and bot.stdout
        bot.stdin.write('setup "Hill Forum" kind:task-force\n')
        bot.stdin.flush()
        said = ""
        while "Hill Forum is set up" not in said:  # the bot is running, its database open
            line = bot.stdout.readline()
            assert line, f"the console stopped: {said}"
            said += line
        refused = partnerbot("restore", "saved.db", "--replace", database_url=live, cwd=tmp_path)
        assert refused.returncode == 1 and "A partnerbot process is using the database" in refused.stderr
        with bot_at(live):  # an engine of this process with a connection open is a bot using it too
            also = partnerbot("restore", "saved.db", "--replace", database_url=live, cwd=tmp_path)
            assert also.returncode == 1 and "A partnerbot process is using the database" in also.stderr
        bot.stdin.close()
        bot.wait(timeout=60)
    finally:
        bot.kill()
    restored = partnerbot("restore", "saved.db", "--replace", database_url=live, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    with bot_at(live) as chat:
        listed = chat.ok("alice", "partnerships")
    assert "Riverside Partnership" in listed and "Hill Forum" not in listed


def test_a_bot_starting_during_a_restore_waits_for_it(tmp_path: Path) -> None:
    database = tmp_path / "live.db"
    connected = threading.Event()

    def start() -> None:
        with bot_at(f"sqlite:///{database}"):
            connected.set()

    with in_use.exclusive(database):
        starting = threading.Thread(target=start)
        starting.start()
        assert not connected.wait(1.0)  # held back while the restore runs
    assert connected.wait(30)
    starting.join()
