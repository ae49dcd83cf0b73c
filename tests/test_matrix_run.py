"""`partnerbot run` with Matrix settings starts the Matrix bot, beside Slack when both are set;
`partnerbot tick` sweeps Matrix too. The processes are started as a user would start them."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.bot_process import answered, free_port
from tests.environment import user_environment
from tests.matrix_homeserver import PASSWORD, WAIT, Homeserver, Person
from tests.slack_recorder import BOT_TOKEN, SECRET, Recorder, text_of
from tests.test_cli_run import answer
from tests.test_console import PARTNERBOT

pytest_plugins = ("tests.matrix_fixtures", "tests.slack_fixtures")


@pytest.fixture
def environment(engine: Engine, homeserver: Homeserver, bot_account: str, recorder: Recorder) -> dict[str, str]:
    return user_environment(DATABASE_URL=engine.url.render_as_string(hide_password=False),
                            MATRIX_HOMESERVER=homeserver.url, MATRIX_USER_ID=bot_account, MATRIX_PASSWORD=PASSWORD,
                            MATRIX_PREFIX="!town")


@pytest.fixture
def both(environment: dict[str, str], recorder: Recorder, tmp_path: Path) -> Iterator[str]:
    """`partnerbot run` with Slack (HTTP mode) and Matrix settings; yields its Slack URL."""
    port = free_port()
    env = {**environment, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": recorder.url, "PORT": str(port)}
    process = subprocess.Popen([str(PARTNERBOT), "run"], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield f"http://127.0.0.1:{port}/slack/events"
    process.terminate()
    process.wait(timeout=15)


def test_run_serves_matrix_and_slack_together(both: str, people: Callable[[str], Person], bot_account: str,
                                             recorder: Recorder, engine: Engine) -> None:
    alice = people("alice")
    room = alice.room_with_bot(bot_account, timeout=WAIT * 2)
    said = alice.ask(room, '!town setup "Riverside Partnership" kind:task-force', bot_account)
    assert "Riverside Partnership is set up" in said["body"]
    answers: list[tuple[int, str]] = []
    assert alice.wait("Slack to answer", lambda: answers.append(answer(both, "partnerships")) or answers[-1][0] == 200)
    # Slack is another workspace: the Matrix partnership is not listed there.
    assert "You are in none yet" in text_of(answered(recorder, answers[-1][1], 0)["blocks"])


def test_tick_sweeps_matrix(environment: dict[str, str], tmp_path: Path) -> None:
    done = subprocess.run([str(PARTNERBOT), "tick"], cwd=tmp_path, env=environment, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "matrix: Sent 0 messages (0 nudges)" in done.stdout
