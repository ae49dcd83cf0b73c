"""The web app's factory: one app serves Slack's endpoint (and its OAuth routes when
installs go through OAuth) with the security headers on every response."""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session, sessionmaker

from bot.slack.app import build_app
from bot.web import create_app
from tests.slack_recorder import Recorder, settings_for

pytest_plugins = ("tests.slack_fixtures",)


def test_without_slack_there_is_no_slack_endpoint(recorder: Recorder, sessions: sessionmaker[Session]) -> None:
    web = create_app(settings_for(recorder, sessions), sessions).test_client()
    answer = web.post("/slack/events", data={"command": "/partner", "text": "who"})
    assert answer.status_code == 404
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]


def test_a_request_slack_did_not_sign_is_refused(recorder: Recorder, sessions: sessionmaker[Session]) -> None:
    settings = settings_for(recorder, sessions)
    web = create_app(settings, sessions, slack=build_app(settings, sessions)).test_client()
    answer = web.post("/slack/events", data={"command": "/partner", "text": "who"})
    assert answer.status_code == 401
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_slack_posts_and_nothing_else_reach_bolt(recorder: Recorder, sessions: sessionmaker[Session]) -> None:
    """Slack's POSTs go to Bolt past Flask (bot/slack/endpoint.direct); any other method on its
    path is the web app's to refuse, with the same headers."""
    settings = settings_for(recorder, sessions)
    web = create_app(settings, sessions, slack=build_app(settings, sessions)).test_client()
    for method in (web.get, web.put):
        answer = method("/slack/events")
        assert answer.status_code == 405
        assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert web.post("/slack/events/more", data={"text": "who"}).status_code == 404


def test_oauth_installs_add_the_install_routes(recorder: Recorder, sessions: sessionmaker[Session]) -> None:
    settings = dataclasses.replace(settings_for(recorder, sessions), slack_client_id="111.222", slack_client_secret="s",
                                   slack_bot_token=None)
    web = create_app(settings, sessions, slack=build_app(settings, sessions)).test_client()
    install = web.get("/slack/install")
    assert install.status_code == 200 and "slack.com/oauth/v2/authorize" not in install.text
    assert recorder.url.removesuffix("/api/") + "/oauth/v2/authorize" in install.text
    assert web.get("/slack/oauth_redirect?code=x&state=forged").status_code in (400, 401, 403)
