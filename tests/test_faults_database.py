"""The database unreachable for a while: the bot says "try again", changes nothing, and
recovers by itself once the database is back, with no restart.

A real `partnerbot run` reaches PostgreSQL through a TCP proxy the test cuts and restores.
SQLite is a file inside the bot's own process, with no connection to lose, so the test needs
PostgreSQL (PARTNERBOT_TEST_DATABASE_URL).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from handlers.dispatch import UNAVAILABLE
from storage import database
from tests.bot_process import BotProcess, answered, command_fields, post, slash
from tests.conftest import Chat, snapshot
from tests.slack_recorder import Recorder, text_of
from tests.tcp_proxy import Proxy

pytest_plugins = ("tests.slack_fixtures",)


@pytest.fixture
def proxy(engine: Engine) -> Iterator[Proxy]:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite is a file in the bot's own process: there is no database connection to lose")
    through = Proxy((engine.url.host or "127.0.0.1", engine.url.port or 5432))
    through.start()
    yield through
    through.cut()


def commands_state(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Row counts of what commands change: the bot's own sweep, started with it, may record
    a nudge (Monday's digest, say) and its own finishing at any moment, which is no command's doing."""
    counts = snapshot(sessions)
    for swept in ("nudges", "sweeps"):
        counts.pop(swept)
    return counts


@pytest.mark.parametrize("away", ["refusing", "silent"])
def test_commands_say_try_again_while_the_database_is_away_and_work_once_it_is_back(
        away: str, engine: Engine, sessions: sessionmaker[Session], recorder: Recorder, proxy: Proxy,
        tmp_path: Path) -> None:
    """Refusing: the database host restarted. Silent: packets dropped, so only the bot's
    connect timeout ends the wait (Slack has been acknowledged meanwhile)."""
    Chat(sessions, platform="slack", workspace="T1", channel="C1").ok("UALICE", 'setup "Riverside Partnership" kind:task-force')
    url = engine.url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    bot = BotProcess(url, recorder, tmp_path)
    bot.start()
    try:
        assert slash(bot.url, command_fields('join org:"Chamber of Trade" sector:private', "1.trigger", user="UBOB")) == 200
        recorder.wait_for("chat.postMessage")
        before = commands_state(sessions)

        proxy.cut() if away == "refusing" else proxy.go_silent()
        for n in range(3 if away == "refusing" else 1):
            fields = command_fields(f'commit "Book the hall {n}" by:"in 2 weeks"', f"cut.{n}.trigger", user="UBOB")
            ephemerals = len(recorder.calls("chat.postEphemeral"))
            status, body = post(bot.url, urlencode(fields).encode(), timeout=30)
            assert status == 200
            # A refusing database is met at once, and the refusal rides in the 200; a silent
            # one outlasts Slack's deadline, so the 200 goes bare and the refusal follows.
            assert answered(recorder, body, ephemerals)["text"] == UNAVAILABLE
        assert commands_state(sessions) == before

        proxy.restore()
        time.sleep(0.2)
        back = command_fields('commit "Book the hall" by:"in 2 weeks"', "back.trigger", user="UBOB")
        status, body = post(bot.url, urlencode(back).encode())
        assert status == 200
        # Monday's digest, sent by the bot's own sweep, may be posted before or after it.
        try:
            recorder.wait_for_words("chat.postMessage", "Book the hall", timeout=10)
        except AssertionError as missing:
            raise AssertionError(f"answered {body!r}; the bot logged:\n{bot.log.read_text()}") from missing
    finally:
        bot.stop()
    assert snapshot(sessions)["commitments"] == 1
    shown = [text_of(c.params.get("blocks") or []) + (c.params.get("text") or "") for c in recorder.posted()]
    assert not any("Traceback" in words or "psycopg" in words for words in shown)


def test_a_connection_lost_while_idle_is_replaced_before_a_command_uses_it(
        engine: Engine, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    """The database restarted while the pool's connection sat idle: the next command is answered,
    not told to try again. A connection just opened, or back in use at once, is not checked: no
    round trip spent."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite is a file in the bot's own process: there is no database connection to lose")
    pings: list[object] = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(connection) or ping(connection))
    chat = Chat(sessions)
    engine.dispose()  # the pool's connections are all opened from here on
    chat.ok("alice", 'setup "Riverside Partnership" kind:task-force')
    checked = len(pings)
    assert checked == 0, "a connection opened a moment ago was checked before its first use"
    assert "Riverside" in chat.ok("alice", "partnership")
    assert len(pings) == checked, "a connection used a moment ago was checked again"

    with engine.connect() as connection:
        backend = connection.scalar(text("SELECT pg_backend_pid()"))
    killer = create_engine(engine.url, poolclass=NullPool)
    with killer.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    killer.dispose()
    monkeypatch.setattr(database, "CHECK_AFTER_IDLE", 0.0)  # as if it had sat idle for long
    assert "Riverside" in chat.ok("alice", "partnership")
    assert len(pings) > checked
