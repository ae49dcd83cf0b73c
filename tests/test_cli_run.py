"""`partnerbot run` with Slack settings: the real process serves signed requests at /slack/events.

The process is started as a user would start it (settings in the environment only); the
Slack Web API it talks to is the local recorder.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Partnership
from tests.bot_process import BotProcess, command_fields, post
from tests.slack_recorder import Recorder, text_of

pytest_plugins = ("tests.slack_fixtures",)


@pytest.fixture
def bot(engine: Engine, recorder: Recorder, tmp_path: Path) -> Iterator[str]:
    """A running `partnerbot run` in HTTP mode; yields its /slack/events URL."""
    process = BotProcess(engine.url.render_as_string(hide_password=False), recorder, tmp_path)
    try:
        yield process.start()
    finally:
        process.stop()


def slash(url: str, text: str, timestamp: str | None = None) -> int:
    return answer(url, text, timestamp)[0]


def answer(url: str, text: str, timestamp: str | None = None) -> tuple[int, str]:
    """A signed /partner request's status and body (where a personal answer rides)."""
    body = urlencode(command_fields(text, f"{time.time()}.trigger")).encode()
    return post(url, body, timestamp=timestamp)


def test_run_serves_slack_over_http(bot: str, recorder: Recorder, sessions: sessionmaker[Session]) -> None:
    assert slash(bot, 'setup "Riverside Partnership" kind:task-force') == 200
    posted = recorder.wait_for("chat.postMessage")
    assert posted[0].params["channel"] == "C1"
    assert "Riverside Partnership is set up" in text_of(posted[0].params["blocks"])
    with sessions() as session:
        assert session.scalars(select(Partnership.name)).all() == ["Riverside Partnership"]


def test_run_refuses_a_stale_request(bot: str, recorder: Recorder, sessions: sessionmaker[Session]) -> None:
    assert slash(bot, 'setup "Riverside Partnership" kind:task-force', timestamp=str(int(time.time()) - 3600)) == 401
    with sessions() as session:
        assert session.scalars(select(Partnership)).all() == []
    assert recorder.calls("chat.postMessage") == []
