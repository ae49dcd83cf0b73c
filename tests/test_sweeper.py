"""One sweeper beside workers that only answer, on machines whose clocks disagree.

Gunicorn workers run with PARTNERBOT_SWEEP=off and send no nudges; two `partnerbot sweeper`
processes, one with its clock an hour ahead, sweep the same PostgreSQL database while the
first is still delivering. The leases are read against the database's clock, so the one
ahead does not take the first one's live leases for expired ones: every nudge arrives once.
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Nudge
from tests import test_production
from tests.environment import user_environment
from tests.slack_recorder import BOT_TOKEN, SECRET, Recorder, text_of
from tests.test_cli_run import slash
from tests.test_console import PARTNERBOT
from tests.test_production import overdue_partnership, server, wait_until

pytestmark = test_production.pytestmark  # PostgreSQL only
pytest_plugins = ("tests.slack_fixtures",)

CLOCK = Path(__file__).with_name("clock")


@contextmanager
def sweeper(engine: Engine, recorder: Recorder, folder: Path, clock_ahead: float = 0) -> Iterator[queue.Queue[str]]:
    """`partnerbot sweeper`, its clock `clock_ahead` seconds fast; yields the lines it prints."""
    env = user_environment(DATABASE_URL=engine.url.render_as_string(hide_password=False), SLACK_BOT_TOKEN=BOT_TOKEN,
                           SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=recorder.url)
    if clock_ahead:  # ahead of the run's own clock, which may itself be set (tests/clock)
        env.update(PYTHONPATH=os.pathsep.join([str(CLOCK), env.get("PYTHONPATH", "")]),
                   PARTNERBOT_TEST_CLOCK_OFFSET=str(float(env.get("PARTNERBOT_TEST_CLOCK_OFFSET") or 0) + clock_ahead))
    process = subprocess.Popen([str(PARTNERBOT), "sweeper"], cwd=folder, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or ()], daemon=True)
    reader.start()
    try:
        yield lines
    finally:
        process.terminate()
        process.wait(timeout=20)


def first_slack_sweep(lines: queue.Queue[str], timeout: float = 60) -> str:
    """The line a sweeper prints when its first Slack sweep is over."""
    seen = []
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the sweeper printed no Slack sweep: {''.join(seen)}") from None
        seen.append(line)
        if " slack: " in line:
            return line


def test_workers_with_sweeping_off_and_two_sweepers_an_hour_apart_send_every_nudge_once(
        engine: Engine, sessions: sessionmaker[Session], recorder: Recorder, tmp_path: Path) -> None:
    overdue_partnership(sessions)

    def nudges(*where: object) -> int:
        with sessions() as session:
            return session.scalar(select(func.count()).select_from(Nudge).where(*where)) or 0

    with server(engine, recorder, tmp_path, PARTNERBOT_SWEEP="off") as url:
        assert slash(url, 'commit "Book the hall" by:friday') == 200
        recorder.wait_for("chat.postMessage", timeout=30)
        assert nudges() == 0, "workers started with PARTNERBOT_SWEEP=off swept"

        # The first sweeper claims every nudge owed and is held up delivering the first message.
        recorder.gate_timeout = 60
        gate = recorder.hold("chat.postMessage")
        with sweeper(engine, recorder, tmp_path) as on_time:
            wait_until(lambda: nudges(Nudge.claimed_by.is_not(None)) > 0, "the first sweeper held its leases")
            # Meanwhile the one an hour ahead sweeps: to its own clock those leases ran out long ago.
            with sweeper(engine, recorder, tmp_path, clock_ahead=3600) as ahead:
                skewed = first_slack_sweep(ahead)
                gate.set()
                del recorder.gates["chat.postMessage"]
                wait_until(lambda: nudges(Nudge.sent_at.is_(None)) == 0, "every nudge owed was sent")
                first_slack_sweep(on_time)

    printed = datetime.strptime(skewed[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert 3500 < (printed - datetime.now(UTC)).total_seconds() < 3700, f"the clock was not ahead: {skewed}"
    assert "Sent 0 messages" in skewed, skewed
    with sessions() as session:
        owed = [(n.person.user_id if n.person else n.channel, n.text) for n in session.scalars(select(Nudge))]
    shown = [(m.params["channel"], text_of(m.params["blocks"])) for m in recorder.calls("chat.postMessage")]
    assert len(owed) >= 12
    for recipient, line in owed:
        assert sum(line in words for channel, words in shown if channel == recipient) == 1, (recipient, line)
