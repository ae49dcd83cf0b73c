"""Only Slack gets in, and Slack's retries never act twice.

Forged signatures and stale timestamps are refused with 401 before anything is read or
written; a request Slack resends (X-Slack-Retry-Num) after its command committed is
acknowledged and ignored, and Slack hears 200 only once the command has committed."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

from sqlalchemy import Engine

from tests.conftest import snapshot
from tests.slack_recorder import SECRET, Response, SlackHarness, button, sign, text_of

pytest_plugins = ("tests.slack_fixtures",)


def test_a_forged_signature_is_refused_and_changes_nothing(riverside: SlackHarness) -> None:
    before, calls = snapshot(riverside.sessions), len(riverside.recorder.calls())
    body = urlencode(riverside.command_fields('commit "Steal the float" by:friday', "UBOB", "T1", "C1")).encode()
    now = str(int(time.time()))
    response = riverside.post(body, "application/x-www-form-urlencoded", timestamp=now,
                              signature=sign(body, now, secret="not-the-secret"))
    assert response.status == 401
    assert snapshot(riverside.sessions) == before
    assert len(riverside.recorder.calls()) == calls


def test_a_tampered_body_is_refused(riverside: SlackHarness) -> None:
    before = snapshot(riverside.sessions)
    fields = riverside.command_fields("who", "UBOB", "T1", "C1")
    now = str(int(time.time()))
    signature = sign(urlencode(fields).encode(), now)
    fields["text"] = 'commit "Something else" by:friday'
    response = riverside.post(urlencode(fields).encode(), "application/x-www-form-urlencoded",
                              timestamp=now, signature=signature)
    assert response.status == 401
    assert snapshot(riverside.sessions) == before


def test_a_stale_timestamp_is_refused_even_when_correctly_signed(riverside: SlackHarness) -> None:
    before, calls = snapshot(riverside.sessions), len(riverside.recorder.calls())
    body = urlencode(riverside.command_fields('commit "Replay me" by:friday', "UBOB", "T1", "C1")).encode()
    stale = str(int(time.time()) - 10 * 60)
    response = riverside.post(body, "application/x-www-form-urlencoded", timestamp=stale, signature=sign(body, stale, SECRET))
    assert response.status == 401
    assert snapshot(riverside.sessions) == before
    assert len(riverside.recorder.calls()) == calls


def test_a_retried_slash_command_changes_nothing(riverside: SlackHarness) -> None:
    fields = riverside.command_fields('commit "Book the hall" by:"in 2 weeks"', "UBOB", "T1", "C1")
    body = urlencode(fields).encode()
    assert riverside.post(body, "application/x-www-form-urlencoded").status == 200
    after_first, posted = snapshot(riverside.sessions), len(riverside.recorder.posted())
    assert after_first["commitments"] == 1
    for retry in (1, 2):
        response = riverside.post(body, "application/x-www-form-urlencoded", retry_num=retry)
        assert response.status == 200
    assert snapshot(riverside.sessions) == after_first
    assert len(riverside.recorder.posted()) == posted


def test_a_retried_button_click_changes_nothing(riverside: SlackHarness) -> None:
    announced = riverside.run('commit "Book the hall" by:"in 2 weeks"', user="UBOB")
    done = button(announced.params["blocks"], "Mark done", "done 1")
    payload = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "UBOB", "team_id": "T1"},
               "api_app_id": "A1", "trigger_id": "777.click", "channel": {"id": "C1"},
               "container": {"type": "message", "channel_id": "C1"},
               "actions": [{"type": "button", "action_id": done["action_id"], "value": done["value"],
                            "text": done["text"], "action_ts": "1.1"}]}
    riverside.payload(payload)
    after_first, posted = snapshot(riverside.sessions), len(riverside.recorder.posted())
    assert "Done: #1 Book the hall" in text_of(riverside.last().params["blocks"])
    riverside.payload(payload, retry_num=1)
    assert snapshot(riverside.sessions) == after_first
    assert len(riverside.recorder.posted()) == posted


def test_a_retried_event_is_handled_once(riverside: SlackHarness) -> None:
    event = {"type": "app_home_opened", "user": "UBOB", "channel": "DBOB", "tab": "home"}
    riverside.event(event, event_id="Ev123")
    riverside.event(event, event_id="Ev123", retry_num=1)
    assert len(riverside.recorder.calls("views.publish")) == 1
    riverside.event(event, event_id="Ev124")
    assert len(riverside.recorder.calls("views.publish")) == 2


def test_a_refused_command_can_be_sent_again(riverside: SlackHarness) -> None:
    """A new attempt (a new trigger) is a new request, even with the same words."""
    riverside.command('commit "Book the hall" by:"in 2 weeks"', user="UMALLORY")
    assert "not a member" in text_of(riverside.last("ack").params["blocks"])
    riverside.run('join org:"Cafe" sector:private', user="UMALLORY")
    riverside.run('commit "Book the hall" by:"in 2 weeks"', user="UMALLORY")
    assert snapshot(riverside.sessions)["commitments"] == 1


def test_a_retried_refusal_is_answered_once(riverside: SlackHarness) -> None:
    fields = riverside.command_fields('commit "Book the hall" by:someday-ish', "UBOB", "T1", "C1")
    body = urlencode(fields).encode()
    assert riverside.post(body, "application/x-www-form-urlencoded", answers=True).status == 200
    refusals = [call for call in riverside.recorder.posted() if "someday-ish" in str(call.params)]
    assert len(refusals) == 1
    assert riverside.post(body, "application/x-www-form-urlencoded", retry_num=1, answers=True).status == 200
    assert len([call for call in riverside.recorder.posted() if "someday-ish" in str(call.params)]) == 1
    assert snapshot(riverside.sessions)["commitments"] == 0


@contextmanager
def writes_blocked(engine: Engine) -> Iterator[None]:
    """Another transaction holds a write lock, so no command can commit until it ends: on
    PostgreSQL only commitments' (everything else stays writable), on SQLite the whole file's."""
    if engine.dialect.name == "sqlite":
        holder = sqlite3.connect(str(engine.url.database), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("LOCK TABLE commitments IN EXCLUSIVE MODE")
        yield
        connection.rollback()


def test_slack_hears_200_only_once_the_change_is_committed(riverside: SlackHarness) -> None:
    """Acknowledging first would let a crash lose a change Slack was told had been made."""
    answers: list[Response] = []
    command = threading.Thread(target=lambda: answers.append(
        riverside.command('commit "Book the hall" by:"in 2 weeks"', user="UBOB", wait=False)))
    with writes_blocked(riverside.sessions.kw["bind"]):
        command.start()
        command.join(1.0)
        assert answers == [], "acknowledged before the commitment was committed"
    command.join(10)
    assert answers[0].status == 200
    assert snapshot(riverside.sessions)["commitments"] == 1
    riverside.executor.wait_idle()
    assert "#1 Book the hall" in text_of(riverside.last().params["blocks"])


def test_a_repeat_arriving_while_the_first_is_still_running_does_nothing(riverside: SlackHarness) -> None:
    """Slack gave up waiting and resent: both deliveries run, and the request's mark lets one commit."""
    body = urlencode(riverside.command_fields('commit "Book the hall" by:"in 2 weeks"', "UBOB", "T1", "C1")).encode()
    answers: list[Response] = []
    deliveries = [threading.Thread(target=lambda retry=retry: answers.append(
        riverside.post(body, "application/x-www-form-urlencoded", retry_num=retry, wait=False))) for retry in (None, 1)]
    with writes_blocked(riverside.sessions.kw["bind"]):
        for delivery in deliveries:
            delivery.start()
        time.sleep(0.5)  # both are past the middleware's look-up, waiting to write
    for delivery in deliveries:
        delivery.join(10)
    riverside.executor.wait_idle()
    assert [a.status for a in answers] == [200, 200]
    assert snapshot(riverside.sessions)["commitments"] == 1
    announced = [c for c in riverside.said() if "Book the hall" in text_of(c.params["blocks"])]
    assert len(announced) == 1
