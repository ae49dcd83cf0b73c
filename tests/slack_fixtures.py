"""Fixtures for the Slack tests (loaded with `pytest_plugins = ("tests.slack_fixtures",)`):
the recorder, the real app behind a real HTTP server, and a partnership to work in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.slack import chat
from tests.slack_recorder import Recorder, SlackHarness, settings_for


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    fake = Recorder()
    fake.add_user("UALICE", "Alice", "Europe/London")
    fake.add_user("UBOB", "Bob", "America/New_York")
    fake.add_user("UCAROL", "Carol", "Europe/Paris")
    fake.add_user("UMALLORY", "Mallory", "UTC")
    yield fake
    fake.close()


@pytest.fixture
def slack(recorder: Recorder, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackHarness]:
    # Slack's deadline, two seconds in earnest, is six here: a command a loaded CI machine
    # stalls past two would answer through the Web API instead of in its 200, and a test of
    # where answers go would fail by the clock. Tests of the deadline set their own.
    monkeypatch.setattr(chat, "ACK_DEADLINE", 6.0)
    harness = SlackHarness(recorder, sessions, settings_for(recorder, sessions))
    yield harness
    harness.close()


@pytest.fixture
def riverside(slack: SlackHarness) -> SlackHarness:
    """Workspace T1, channel C1: Riverside Partnership; Alice coordinates, Bob and Carol are members."""
    slack.run('setup "Riverside Partnership" kind:umbrella-forum purpose:"Revive the riverside"')
    slack.run('join org:"Town Council" sector:public capacity:6h')
    slack.run('join org:"Chamber of Trade" sector:private capacity:4h volunteer', user="UBOB")
    slack.run('join org:"Riverside Trust" sector:voluntary capacity:3h volunteer', user="UCAROL")
    return slack
