"""LOG_FORMAT=json: a line per command a log collector can read, and nothing it must not keep."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot import logs
from bot.config import load_settings
from handlers.watching import watchers
from tests.test_console import run

SESSION = """\
setup "Riverside Partnership" kind:task-force
join org:Council sector:public capacity:6h
concern "The treasurer keeps the grant to himself" anonymous
comit "Book the hall" by:friday
done 99
"""


def test_one_json_line_per_command_with_its_outcome_and_never_the_words_or_the_raiser(
        engine: Engine, tmp_path: Path) -> None:
    done = run(engine, tmp_path, "console", "--as", "alice", stdin=SESSION, LOG_FORMAT="json")

    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    commands = [line for line in lines if line["logger"] == "partnerbot.commands"]
    assert [(c["platform"], c["command"], c["outcome"]) for c in commands] == [
        ("console", "setup", "done"), ("console", "join", "done"), ("console", "concern", "done"),
        ("console", "unknown", "refused"), ("console", "done", "refused")]
    assert all(c["ms"] >= 0 and len(c["request_id"]) == 12 for c in commands)
    assert len({c["request_id"] for c in commands}) == 5
    assert "treasurer" not in done.stderr and "alice" not in done.stderr.lower()
    assert "I raised it anonymously" not in done.stderr


@pytest.fixture
def logging_restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level, watching = root.handlers[:], root.level, watchers[:]
    yield
    root.handlers[:], watchers[:] = handlers, watching
    root.setLevel(level)


def test_no_line_carries_a_token_or_a_password_even_in_a_traceback(
        logging_restored: None, capsys: pytest.CaptureFixture[str]) -> None:
    settings = replace(load_settings(env_file=None), slack_bot_token="xoxb-1234-secret", matrix_password="hunter2-pw",
                       database_url="postgresql+psycopg://bot:db-pass-99@db.example.org/town", log_format="json")
    logs.configure(settings)
    log = logging.getLogger("bot.slack.delivery")
    log.warning("calling with token xoxb-1234-secret for %s", "chat.postMessage")
    try:
        raise RuntimeError("login hunter2-pw to postgresql://bot:db-pass-99@db.example.org refused")
    except RuntimeError:
        log.exception("it failed")

    written = capsys.readouterr().err
    first, second = (json.loads(line) for line in written.splitlines())
    assert first["message"] == "calling with token *** for chat.postMessage" and first["level"] == "WARNING"
    assert "RuntimeError: login *** to postgresql://bot:***@db.example.org refused" in second["error"]
    for secret in ("xoxb-1234-secret", "hunter2-pw", "db-pass-99"):
        assert secret not in written
