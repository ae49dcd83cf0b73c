"""/healthz on the web app's port, and /metrics where it is served (behind a token on that port, or
on a private address), as a load balancer and Prometheus use them."""

from __future__ import annotations

import dataclasses
import os
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.error import HTTPError

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import health, metrics, scheduler
from bot.config import load_settings
from bot.slack.app import delivery
from bot.web import create_app
from storage.database import make_engine, session_factory
from tests.bot_process import answered, free_port
from tests.slack_recorder import Recorder, SlackHarness, settings_for
from tests.test_cli_run import answer, slash
from tests.test_production import server

pytest_plugins = ("tests.slack_fixtures",)


def get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except HTTPError as refused:
        return refused.code, refused.read().decode()


def counted(text: str, name: str, **labels: str) -> float:
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == name and labels.items() <= sample.labels.items())


def test_healthz_answers_while_the_database_does_and_503_when_it_does_not(
        riverside: SlackHarness, tmp_path: Path) -> None:
    base = riverside.url.removesuffix("/slack/events")
    assert get(base + "/healthz") == (200, "ok\n")

    away = session_factory(make_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}"))
    app = Flask(__name__)
    app.register_blueprint(health.blueprint(riverside.settings, away))
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 503 and answer.text == "The database does not answer.\n"


def test_metrics_scraped_before_and_after_a_burst_of_commands_and_a_sweep(riverside: SlackHarness) -> None:
    metrics.watch(riverside.sessions.kw["bind"])  # as open_database does when partnerbot starts
    private = metrics.serve_privately(dataclasses.replace(riverside.settings, metrics_address=("127.0.0.1", 0)),
                                      riverside.sessions)
    assert private is not None
    base = f"http://127.0.0.1:{private.server_port}"
    riverside.run("nudge set quiet_start:0 quiet_end:0 daily_cap:24")  # any hour the test runs at
    status, before = get(base + "/metrics")
    assert status == 200
    assert get(riverside.url.removesuffix("/slack/events") + "/metrics")[0] == 404  # not on the public port
    for n in range(5):
        riverside.run(f'commit "Task {n}" by:tomorrow', user="UBOB")
    riverside.command("done 99", user="UBOB")
    a_week_on = datetime.now(UTC) + timedelta(days=7)  # all overdue at once
    report = scheduler.sweep(riverside.sessions, delivery(riverside.settings, riverside.sessions), "slack",
                             now=a_week_on)
    _, after = get(base + "/metrics")

    def grew(name: str, **labels: str) -> float:
        return counted(after, name, **labels) - counted(before, name, **labels)

    assert grew("partnerbot_commands_total", platform="slack", command="commit", outcome="done") == 5
    assert grew("partnerbot_commands_total", platform="slack", command="done", outcome="refused") == 1
    assert grew("partnerbot_command_seconds_count", platform="slack") == 6
    sent = sum(len(m.nudge_ids) for m in report.sent)
    assert sent > 0 and grew("partnerbot_nudges_total", platform="slack", result="sent") == sent
    assert grew("partnerbot_sweep_seconds_count", platform="slack") == 1
    assert counted(after, "partnerbot_sweep_last_success_timestamp_seconds", platform="slack") > 0
    assert "partnerbot_nudges_pending" in after and "partnerbot_database_connections_in_use" in after
    private.shutdown()


def test_metrics_are_off_by_default_and_on_the_port_only_behind_a_token(
        recorder: Recorder, sessions: sessionmaker[Session]) -> None:
    default = create_app(settings_for(recorder, sessions), sessions).test_client()
    assert default.get("/metrics").status_code == 404
    assert default.get("/healthz").status_code == 200
    guarded = dataclasses.replace(settings_for(recorder, sessions), metrics_token="scrape-me-0123456789")
    web = create_app(guarded, sessions).test_client()
    refused = web.get("/metrics")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
    assert "partnerbot_" not in refused.text
    assert web.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    allowed = web.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"})
    assert allowed.status_code == 200 and "partnerbot_commands_total" in allowed.text
    assert web.get("/healthz").status_code == 200  # health needs no token


@pytest.mark.parametrize(("environment", "served"), [
    ({}, (None, None)),
    ({"PARTNERBOT_METRICS_TOKEN": "t" * 24}, ("t" * 24, None)),
    ({"PARTNERBOT_METRICS_ADDRESS": "127.0.0.1:9464"}, (None, ("127.0.0.1", 9464))),
    ({"PARTNERBOT_METRICS_ADDRESS": "[fd00::5]:9464"}, (None, ("fd00::5", 9464))),
    ({"PARTNERBOT_METRICS": "off", "PARTNERBOT_METRICS_TOKEN": "t" * 24}, (None, None)),
])
def test_metrics_settings(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str],
                          served: tuple[object, object]) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(env_file=None)
    assert (settings.metrics_token, settings.metrics_address) == served


@pytest.mark.parametrize(("environment", "said"), [
    ({"PARTNERBOT_METRICS": "on"}, "needs PARTNERBOT_METRICS_TOKEN"),
    ({"PARTNERBOT_METRICS_ADDRESS": "0.0.0.0:9464"}, "must be a private address"),
    ({"PARTNERBOT_METRICS_ADDRESS": "93.184.216.34:9464"}, "must be a private address"),
    ({"PARTNERBOT_METRICS_ADDRESS": "metrics.example.org:9464"}, "must be a private address"),
    ({"PARTNERBOT_METRICS_ADDRESS": "127.0.0.1"}, "must be a private address"),
    ({"PARTNERBOT_METRICS_TOKEN": "short"}, "at least 16 characters"),
])
def test_metrics_in_the_open_stop_the_start_saying_what_to_set(monkeypatch: pytest.MonkeyPatch,
                                                               environment: dict[str, str], said: str) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit, match=said):
        load_settings(env_file=None)


@pytest.mark.skipif(not os.environ.get("PARTNERBOT_TEST_DATABASE_URL", "").startswith("postgres"),
                    reason="several gunicorn workers need PostgreSQL: set PARTNERBOT_TEST_DATABASE_URL=postgresql://...")
def test_under_gunicorn_every_scrape_counts_every_worker(engine: Engine, sessions: sessionmaker[Session],
                                                         recorder: Recorder, tmp_path: Path) -> None:
    port = free_port()  # served by gunicorn's master, once, whichever worker counted
    with server(engine, recorder, tmp_path, PARTNERBOT_SWEEP="off", PARTNERBOT_METRICS_ADDRESS=f"127.0.0.1:{port}") as url:
        assert slash(url, 'setup "Riverside Partnership" kind:task-force') == 200
        for n in range(12):  # spread over both workers by the kernel
            ephemerals = len(recorder.calls("chat.postEphemeral"))
            status, body = answer(url, f"who task{n}")
            assert status == 200
            answered(recorder, body, ephemerals)  # counted before it is answered
        scrapes = [get(f"http://127.0.0.1:{port}/metrics")[1] for _ in range(6)]
        assert get(url.removesuffix("/slack/events") + "/metrics")[0] == 404
    assert [counted(text, "partnerbot_commands_total", command="who", outcome="done") for text in scrapes] == [12] * 6
    assert all(counted(text, "partnerbot_commands_total", command="setup") == 1 for text in scrapes)
