"""Socket Mode, proven: the real app connects to a local Socket Mode server (asked for with
`apps.connections.open`, as from Slack) and is driven over the WebSocket: a slash command,
a button, a modal, a dropped connection with a command in flight, a retried envelope."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.slack import app as slack_app
from bot.slack import chat
from bot.slack.app import build_app, socket_mode
from storage.models import Commitment, CommitmentStatus, Member, Partnership, Person
from tests.slack_recorder import Recorder, button, settings_for, text_of
from tests.socket_mode_server import SocketModeServer

pytest_plugins = ("tests.slack_fixtures",)

triggers = count(1)


@pytest.fixture
def slack(recorder: Recorder) -> Iterator[SocketModeServer]:
    server = SocketModeServer()
    recorder.socket_url = lambda: server.url
    yield server
    server.close()


@pytest.fixture
def connected(slack: SocketModeServer, recorder: Recorder, sessions: sessionmaker[Session],
              monkeypatch: pytest.MonkeyPatch) -> Iterator[SocketModeServer]:
    """partnerbot's Slack app in Socket Mode (SLACK_APP_TOKEN set), connected to `slack`."""
    monkeypatch.setattr(chat, "ACK_DEADLINE", 6.0)  # as tests/slack_fixtures.py's: answers in the acknowledgement
    monkeypatch.setattr(slack_app, "SOCKET_PING_SECONDS", 1)  # a dropped connection noticed in seconds, not 20
    settings = replace(settings_for(recorder, sessions), slack_app_token="xapp-1-test", slack_signing_secret=None)
    handler = socket_mode(build_app(settings, sessions), settings)
    handler.connect()
    slack.wait_connected()
    yield slack
    handler.close()


def command(text: str, user: str = "UALICE", trigger: str | None = None) -> dict[str, Any]:
    """A slash command as Socket Mode carries it: the fields of Slack's form, in an envelope."""
    trigger = trigger or f"{next(triggers)}.{int(time.time())}.trigger"
    return {"token": "legacy", "team_id": "T1", "team_domain": "t1", "channel_id": "C1", "channel_name": "general",
            "user_id": user, "user_name": user.lower(), "command": "/partner", "text": text, "api_app_id": "A1",
            "is_enterprise_install": "false", "response_url": "http://127.0.0.1:1/unused", "trigger_id": trigger}


def run(slack: SocketModeServer, recorder: Recorder, text: str, user: str = "UALICE") -> str:
    """A command that must be acknowledged and answered; the words of its answer."""
    before = len(recorder.posted())
    acknowledged = slack.ack(slack.send("slash_commands", command(text, user)))
    if acknowledged and acknowledged.get("blocks"):  # a personal answer rides in the acknowledgement
        return text_of(acknowledged["blocks"])
    deadline = time.monotonic() + 15
    while len(recorder.posted()) <= before:
        assert time.monotonic() < deadline, f"no answer to {text!r}"
        time.sleep(0.05)
    return text_of(recorder.posted()[-1].params.get("blocks") or [])


def riverside(slack: SocketModeServer, recorder: Recorder) -> None:
    assert "Riverside Partnership is set up" in run(slack, recorder, 'setup "Riverside Partnership" kind:task-force')
    run(slack, recorder, 'join org:"Town Council" sector:public capacity:6h')
    run(slack, recorder, 'join org:"Chamber of Trade" sector:private capacity:4h volunteer', user="UBOB")


def commitments(sessions: sessionmaker[Session]) -> list[Commitment]:
    with sessions() as session:
        return list(session.scalars(select(Commitment).order_by(Commitment.id)))


def test_a_slash_command_and_a_button_over_socket_mode(connected: SocketModeServer, recorder: Recorder,
                                                       sessions: sessionmaker[Session]) -> None:
    riverside(connected, recorder)
    shown = run(connected, recorder, 'commit "Deliver 500 leaflets" by:friday effort:3h', user="UBOB")
    assert "#1 Deliver 500 leaflets — Bob (Chamber of Trade)" in shown
    with sessions() as session:
        assert session.scalar(select(Partnership.name)) == "Riverside Partnership"

    announced = recorder.calls("chat.postMessage")[-1]
    done = button(announced.params["blocks"], "Mark done", "done 1")
    click = {"type": "block_actions", "team": {"id": "T1", "domain": "t1"}, "user": {"id": "UBOB", "team_id": "T1"},
             "api_app_id": "A1", "trigger_id": f"{next(triggers)}.click",
             "container": {"type": "message", "message_ts": "1.1", "channel_id": "C1", "is_ephemeral": False},
             "channel": {"id": "C1", "name": "general"}, "response_url": recorder.response_url + "click",
             "actions": [{"type": "button", "action_id": done["action_id"], "block_id": "b", "text": done["text"],
                          "value": done.get("value", ""), "action_ts": str(time.time())}]}
    connected.ack(connected.send("interactive", click))
    deadline = time.monotonic() + 15
    while commitments(sessions)[0].status is not CommitmentStatus.DONE:
        assert time.monotonic() < deadline, "the button did nothing"
        time.sleep(0.05)

    # A personal answer rides in the envelope's acknowledgement, as in HTTP mode's 200.
    answer = connected.ack(connected.send("slash_commands", command("mine", user="UBOB")))
    assert answer["response_type"] == "ephemeral" and "You have no open commitments" in text_of(answer["blocks"])


def test_a_modal_over_socket_mode_shows_a_bad_field_in_the_acknowledgement_then_logs(
        connected: SocketModeServer, recorder: Recorder, sessions: sessionmaker[Session]) -> None:
    riverside(connected, recorder)
    connected.ack(connected.send("slash_commands", command("commit", user="UBOB")))
    view = recorder.wait_for("views.open", timeout=15)[-1].params["view"]

    def submit(effort: str) -> dict[str, Any]:
        values = {"what": {"type": "plain_text_input", "value": "Book the hall"},
                  "who": {"type": "users_select", "selected_user": "UBOB"},
                  "by": {"type": "datepicker", "selected_date": (date.today() + timedelta(days=10)).isoformat()},
                  "effort": {"type": "plain_text_input", "value": effort}}
        submitted = {**view, "id": "VMODAL", "team_id": "T1",
                     "state": {"values": {block: {"value": element} for block, element in values.items()}}}
        payload = {"type": "view_submission", "team": {"id": "T1", "domain": "t1"},
                   "user": {"id": "UBOB", "team_id": "T1"}, "api_app_id": "A1",
                   "trigger_id": f"{next(triggers)}.modal", "view": submitted}
        return connected.ack(connected.send("interactive", payload))

    refused = submit("lots")
    assert refused["response_action"] == "errors" and "effort" in refused["errors"]
    assert commitments(sessions) == []
    assert submit("2h") == {}
    recorder.wait_for("chat.postMessage", count=3, timeout=15)
    assert [(c.title, c.effort_hours) for c in commitments(sessions)] == [("Book the hall", 2.0)]


def test_a_connection_dropped_with_a_command_in_flight_then_slack_retrying_it_acts_once(
        connected: SocketModeServer, recorder: Recorder, sessions: sessionmaker[Session]) -> None:
    riverside(connected, recorder)
    recorder.add_user("UCAROL", "Carol", "Europe/Paris")
    recorder.gate_timeout = 30
    slow = recorder.hold("users.info")  # Slack slow to say who Carol is: the command waits
    first = command('join org:"Riverside Trust" sector:voluntary capacity:3h', user="UCAROL")
    connected.send("slash_commands", first)
    with recorder.changed:
        assert recorder.changed.wait_for(lambda: recorder.held.get("users.info"), 15), "the command never started"

    connected.drop()
    connected.wait_connected(opened=2, timeout=60)  # the app noticed, and opened a new connection
    slow.set()
    del recorder.gates["users.info"]
    # The acknowledgement went down with the old connection, so Slack sends the envelope again.
    retried = connected.send("slash_commands", first, retry_attempt=1)
    connected.ack(retried)
    welcome = "Welcome to Riverside Partnership, Carol"
    deadline = time.monotonic() + 15
    while not any(welcome in text_of(c.params["blocks"]) for c in recorder.calls("chat.postMessage")):
        assert time.monotonic() < deadline, "the command was lost with the connection"
        time.sleep(0.05)
    time.sleep(1)  # a second run, if there were one, would land now
    announced = [text_of(c.params["blocks"]) for c in recorder.calls("chat.postMessage")]
    assert sum(welcome in words for words in announced) == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Member).join(Person)
                              .where(Person.user_id == "UCAROL")) == 1


def test_a_retried_envelope_is_acknowledged_and_acted_on_once_and_a_polite_disconnect_reconnects(
        connected: SocketModeServer, recorder: Recorder, sessions: sessionmaker[Session]) -> None:
    riverside(connected, recorder)
    once = command('commit "Book the hall" by:friday', user="UBOB")
    connected.ack(connected.send("slash_commands", once))
    connected.ack(connected.send("slash_commands", once, retry_attempt=1))
    connected.ack(connected.send("slash_commands", once, retry_attempt=2))

    connected.disconnect()
    connected.wait_connected(opened=2)
    assert "#2 Print the posters" in run(connected, recorder, 'commit "Print the posters" by:friday', user="UBOB")
    assert [c.title for c in commitments(sessions)] == ["Book the hall", "Print the posters"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Commitment)) == 2
