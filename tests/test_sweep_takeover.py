"""A sweeper killed in the middle of a sweep: another takes over once its leases run out.

Two real `partnerbot tick` processes on the same database (SQLite or PostgreSQL), with
leases of two seconds set the way an operator would (PARTNERBOT_SWEEP_LEASE_SECONDS). The
first is killed (SIGKILL) while Slack holds its first message; that message never posts.
The second, started once the first one's leases have run out, sends every nudge owed, and
each reaches its person once.
"""

from __future__ import annotations

import signal
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Nudge
from tests.environment import user_environment
from tests.slack_recorder import BOT_TOKEN, SECRET, Recorder, text_of
from tests.test_console import PARTNERBOT
from tests.test_production import overdue_partnership, wait_until

pytest_plugins = ("tests.slack_fixtures",)
LEASE_SECONDS = 2


def tick(engine: Engine, recorder: Recorder, folder: Path) -> subprocess.Popen[str]:
    """`partnerbot tick`: one sweep, then exit."""
    env = user_environment(DATABASE_URL=engine.url.render_as_string(hide_password=False), SLACK_BOT_TOKEN=BOT_TOKEN,
                           SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=recorder.url,
                           PARTNERBOT_SWEEP_LEASE_SECONDS=str(LEASE_SECONDS))
    return subprocess.Popen([str(PARTNERBOT), "tick"], cwd=folder, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_sweeper_killed_mid_sweep_leaves_its_nudges_to_another_and_each_is_sent_once(
        engine: Engine, sessions: sessionmaker[Session], recorder: Recorder, tmp_path: Path) -> None:
    overdue_partnership(sessions)

    def nudges(*where: object) -> int:
        with sessions() as session:
            return session.scalar(select(func.count()).select_from(Nudge).where(*where)) or 0

    recorder.gate_timeout = 60
    gate = recorder.hold("chat.postMessage")
    first = tick(engine, recorder, tmp_path)
    wait_until(lambda: recorder.held.get("chat.postMessage", 0) >= 1, "the first sweeper began delivering")
    with sessions() as session:  # people and channels the first sweeper was about to message
        leased = set(session.execute(select(Nudge.person_id, Nudge.channel).where(
            Nudge.claimed_by.is_not(None), Nudge.sent_at.is_(None))).all())
    first.send_signal(signal.SIGKILL)
    assert first.wait(timeout=10) == -signal.SIGKILL
    # The message in flight when it died fails at Slack: it was never shown to anyone.
    recorder.fail("chat.postMessage", status=500)
    gate.set()
    [lost] = recorder.wait_for("chat.postMessage", timeout=30)
    del recorder.gates["chat.postMessage"]
    assert len(leased) >= 3, "the first sweeper held more than the message it was sending"
    assert nudges(Nudge.sent_at.is_not(None)) == 0

    def leases_ran_out() -> bool:
        with sessions() as session:
            return all(until <= datetime.now(UTC) for until in session.scalars(
                select(Nudge.claimed_until).where(Nudge.claimed_until.is_not(None))))

    wait_until(leases_ran_out, "the killed sweeper's leases ran out", timeout=LEASE_SECONDS + 30)
    second = tick(engine, recorder, tmp_path)
    output = second.communicate(timeout=120)[0]
    assert second.returncode == 0, output
    assert "slack: Sent" in output and "0 failed" in output, output

    assert nudges() >= 10 and nudges(Nudge.sent_at.is_(None), Nudge.cancelled_at.is_(None)) == 0
    with sessions() as session:
        owed = [(n.person.user_id if n.person else n.channel, n.text) for n in session.scalars(
            select(Nudge).where(Nudge.sent_at.is_not(None)))]
    shown = [(m.params["channel"], text_of(m.params["blocks"])) for m in recorder.calls("chat.postMessage")
             if m is not lost]
    for recipient, line in owed:
        assert sum(line in words for channel, words in shown if channel == recipient) == 1, (recipient, line)
