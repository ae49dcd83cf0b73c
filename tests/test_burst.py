"""`partnerbot run` in HTTP mode holds a burst of simultaneous requests: none refused, none reset.

A hundred signed slash commands arrive at the same instant (loopback only); every one is
answered 200 and every one is acted on.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bench.burst import bot, command, fire, post
from storage.models import Commitment
from tests.slack_recorder import Recorder
from tests.test_production import wait_until

pytest_plugins = ("tests.slack_fixtures",)

BURST = 100


def test_a_burst_of_100_simultaneous_commands_is_answered_and_acted_on_in_full(
        engine: Engine, sessions: sessionmaker[Session], recorder: Recorder, tmp_path: Path) -> None:
    with bot(engine.url.render_as_string(hide_password=False), recorder, tmp_path) as url:
        assert post(url, command('setup "Riverside Partnership" kind:task-force', "setup"), 30) == "200"
        assert post(url, command("join org:Council sector:public capacity:40h", "join"), 30) == "200"

        outcomes, _ = fire(url, [command(f'commit "Task {n}" by:friday', f"burst.{n}") for n in range(BURST)])

        assert dict(outcomes) == {"200": BURST}

        def titles() -> set[str]:
            with sessions() as session:
                return set(session.scalars(select(Commitment.title)))

        wait_until(lambda: len(titles()) == BURST, "every command of the burst was acted on")
    assert titles() == {f"Task {n}" for n in range(BURST)}
