"""`partnerbot run` with Slack settings: the real process serves signed requests at /slack/events.

The process is started as a user would start it (settings in the environment only); the
Slack Web API it talks to is the local recorder.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Partnership
from tests.slack_recorder import BOT_TOKEN, SECRET, Recorder, sign, text_of
from tests.test_console import PARTNERBOT

pytest_plugins = ("tests.slack_fixtures",)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def bot(engine: Engine, recorder: Recorder, tmp_path: Path) -> Iterator[str]:
    """A running `partnerbot run` in HTTP mode; yields its /slack/events URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MATRIX_", "DATABASE_URL"))}
    env.update(DATABASE_URL=engine.url.render_as_string(hide_password=False), SLACK_BOT_TOKEN=BOT_TOKEN,
               SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=recorder.url, PORT=str(port))
    process = subprocess.Popen([str(PARTNERBOT), "run"], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/slack/events"
    try:
        wait_for_port(process, port)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_for_port(process: subprocess.Popen[str], port: int) -> None:
    """Until the process accepts connections; fails with its output if it exits or takes a minute."""
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.communicate()[0]
                pytest.fail(f"{process.args[0]} did not start serving: {output}")
            time.sleep(0.1)


def slash(url: str, text: str, timestamp: str | None = None) -> int:
    body = urlencode({"team_id": "T1", "channel_id": "C1", "user_id": "UALICE", "user_name": "alice",
                      "command": "/partner", "text": text, "trigger_id": f"{time.time()}.trigger",
                      "response_url": "http://127.0.0.1:1/unused"}).encode()
    stamp = timestamp or str(int(time.time()))
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sign(body, stamp)})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except URLError as refused:
        return int(getattr(refused, "code", 0))


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
