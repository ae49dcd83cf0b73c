"""`partnerbot backup` and `partnerbot restore`, run as an operator would, while the bot writes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import load_settings, open_database
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
    with open_database_at(url)() as session:
        return set(session.scalars(select(Commitment.title)))


def open_database_at(url: str) -> sessionmaker[Session]:
    os.environ["DATABASE_URL"] = url
    try:
        return open_database(load_settings(env_file=None))
    finally:
        del os.environ["DATABASE_URL"]


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
    Chat(open_database_at(first)).ok("alice", 'setup "Riverside Partnership" kind:task-force')
    Chat(open_database_at(second)).ok("alice", 'setup "Hill Forum" kind:umbrella-forum')
    assert partnerbot("backup", "first.bak", database_url=first, cwd=tmp_path).returncode == 0

    refused = partnerbot("restore", "first.bak", database_url=second, cwd=tmp_path)
    assert refused.returncode == 1
    assert "The database already holds" in refused.stderr and "--replace" in refused.stderr
    with open_database_at(second)() as session:
        assert session.scalar(select(Commitment.id)) is None
    assert partnerbot("backup", "first.bak", database_url=first, cwd=tmp_path).returncode == 1, "no backup is overwritten"

    replaced = partnerbot("restore", "first.bak", "--replace", database_url=second, cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    chat = Chat(open_database_at(second))
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

    told = partnerbot("restore", "town.dump", database_url=url, cwd=tmp_path)
    assert told.returncode == 0 and "pg_restore --clean --if-exists --no-owner --dbname='postgresql://" in told.stdout
    assert "s3cret-pw" not in told.stdout + told.stderr
    Chat(session_factory(engine)).ok("alice", 'setup "Riverside Partnership" kind:task-force')
    refused = partnerbot("restore", "town.dump", database_url=url, cwd=tmp_path)
    assert refused.returncode == 1 and "--replace" in refused.stderr
