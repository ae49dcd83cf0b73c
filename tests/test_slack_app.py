"""Starting the Slack app: which connection mode, and what it refuses to start without."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.slack.app import build_app, start
from tests.slack_recorder import Recorder, settings_for

pytest_plugins = ("tests.slack_fixtures",)


def test_http_mode_needs_the_signing_secret(recorder: Recorder, sessions: sessionmaker[Session]) -> None:
    settings = dataclasses.replace(settings_for(recorder, sessions), slack_signing_secret=None)
    with pytest.raises(SystemExit, match="SLACK_SIGNING_SECRET"):
        start(settings, sessions)


def test_socket_mode_needs_no_signing_secret(recorder: Recorder, sessions: sessionmaker[Session]) -> None:
    settings = dataclasses.replace(settings_for(recorder, sessions), slack_signing_secret=None, slack_app_token="xapp-1")
    app = build_app(settings, sessions)
    assert app.client.base_url == recorder.url
    assert app.client.token == "xoxb-test-token"
    assert recorder.calls("auth.test")  # the bot token was checked at start
