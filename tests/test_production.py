"""The production shape: several bot processes behind a load balancer, on one PostgreSQL database.

Two gunicorn servers (as two machines would run them), each with two worker processes,
serve bot/slack/wsgi.py. Signed Slack requests spread over both are all handled; every
worker sweeps for nudges as it starts, and each nudge owed reaches Slack exactly once.
Another pair starting together on an empty database migrates it once. The processes are
real, started as an operator would start them; the Slack Web API is the local recorder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Commitment, Nudge
from tests.bot_process import free_port, wait_for_port
from tests.conftest import Chat, reset
from tests.environment import user_environment
from tests.slack_recorder import BOT_TOKEN, SECRET, Recorder, text_of
from tests.test_cli_run import slash

pytest_plugins = ("tests.slack_fixtures",)
pytestmark = pytest.mark.skipif(
    not os.environ.get("PARTNERBOT_TEST_DATABASE_URL", "").startswith("postgres"),
    reason="several processes sharing one database is the PostgreSQL deployment: "
           "set PARTNERBOT_TEST_DATABASE_URL=postgresql://...",
)

GUNICORN = Path(sys.executable).with_name("gunicorn")


@contextmanager
def server(engine: Engine, recorder: Recorder, folder: Path, **settings: str) -> Iterator[str]:
    """`gunicorn -c python:bot.gunicorn_config bot.slack.wsgi:application` with two workers, as
    the README runs it; yields its /slack/events URL.
    `settings` are more environment variables, e.g. PARTNERBOT_SWEEP="off"."""
    port = free_port()
    env = user_environment(DATABASE_URL=engine.url.render_as_string(hide_password=False), SLACK_BOT_TOKEN=BOT_TOKEN,
                           SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=recorder.url, DATABASE_POOL_SIZE="2",
                           DATABASE_MAX_OVERFLOW="2", **settings)
    process = subprocess.Popen(
        [str(GUNICORN), "-c", "python:bot.gunicorn_config", "bot.slack.wsgi:application", "--workers", "2", "--threads", "4",
         "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5"],
        cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_port(process, port)
        yield f"http://127.0.0.1:{port}/slack/events"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def servers(count: int, engine: Engine, recorder: Recorder, folder: Path) -> Iterator[list[str]]:
    with ExitStack() as stack:
        yield [stack.enter_context(server(engine, recorder, folder)) for _ in range(count)]


def wait_until(check: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.2)


def overdue_partnership(sessions: sessionmaker[Session]) -> None:
    """Riverside on Slack, three weeks old, with work ten days overdue: nudges are owed now."""
    chat = Chat(sessions, now=datetime.now(UTC) - timedelta(days=21), platform="slack", workspace="T1", channel="C1")
    chat.ok("UALICE", 'setup "Riverside Partnership" kind:umbrella-forum purpose:"Revive the riverside"')
    chat.ok("UALICE", "join org:Council sector:public capacity:6h")
    chat.ok("UALICE", "nudge set quiet_start:0 quiet_end:0 daily_cap:24")  # any hour the test runs at
    late = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
    for user in ("UBOB", "UCAROL", "UDEV", "UERIN"):
        chat.ok(user, f"join org:{user[1:].title()} sector:voluntary capacity:2h volunteer")
        chat.ok(user, f'commit "{user[1:].title()}: leaflets" by:{late} effort:3h')
        chat.ok(user, f'commit "{user[1:].title()}: posters" by:{late} effort:3h')


def test_processes_behind_a_load_balancer_share_the_work_and_send_each_nudge_once(
        engine: Engine, sessions: sessionmaker[Session], recorder: Recorder, tmp_path: Path) -> None:
    overdue_partnership(sessions)

    with servers(2, engine, recorder, tmp_path) as urls:
        # Every worker of both servers swept as it started: wait until nothing owed is unsent.
        def all_sent() -> bool:
            with sessions() as session:
                total = session.scalar(select(func.count()).select_from(Nudge)) or 0
                unsent = session.scalar(select(func.count()).select_from(Nudge).where(Nudge.sent_at.is_(None)))
            return total > 0 and unsent == 0

        wait_until(all_sent, "the nudges owed were sent")
        time.sleep(1)  # a duplicate send, if there were one, would land now
        with sessions() as session:
            owed = [(n.person.user_id if n.person else n.channel, n.text) for n in session.scalars(select(Nudge))]
        messages = recorder.calls("chat.postMessage")
        shown = [(m.params["channel"], text_of(m.params["blocks"])) for m in messages]
        assert len(owed) >= 12, "the scenario owes overdue reminders, escalations, a digest..."
        for recipient, line in owed:
            assert sum(line in words for channel, words in shown if channel == recipient) == 1, (recipient, line)
        assert max(Counter(channel for channel, _ in shown).values()) == 1, "one message per recipient"
        assert {"UBOB", "UALICE", "C1"} <= {channel for channel, _ in shown}

        # Commands spread over both servers (as a load balancer would) are all handled.
        before = len(messages)
        for number in range(12):
            assert slash(urls[number % 2], f'commit "Task {number}" by:friday') == 200
        recorder.wait_for("chat.postMessage", count=before + 12, timeout=30)
        with sessions() as session:
            titles = set(session.scalars(select(Commitment.title).where(Commitment.title.like("Task %"))))
        assert titles == {f"Task {number}" for number in range(12)}
        announced = [text_of(m.params["blocks"]) for m in recorder.calls("chat.postMessage")[before:]]
        assert all(any(f"Task {number}" in words for words in announced) for number in range(12))


def test_processes_starting_together_on_an_empty_database_migrate_it_once(
        engine: Engine, sessions: sessionmaker[Session], recorder: Recorder, tmp_path: Path) -> None:
    reset(engine)

    with servers(2, engine, recorder, tmp_path) as urls:
        assert slash(urls[1], 'setup "Riverside Partnership" kind:task-force') == 200
        recorder.wait_for("chat.postMessage", timeout=30)
        with engine.connect() as connection:
            versions = connection.scalars(text("SELECT version_num FROM alembic_version")).all()
    assert len(versions) == len(set(versions)) >= 1
    assert "Riverside Partnership is set up" in text_of(recorder.calls("chat.postMessage")[0].params["blocks"])
