"""Hostile requests at /slack/events: each gets a 4xx, or a 200 that does nothing, never a
500 or a crash, and no table changes.

Malformed and enormous bodies, wrong content types, bad JSON in `payload`, missing fields,
forged and stale signatures, and replays of a request already handled, all against the
real app behind its real HTTP server; afterwards it still serves a real command.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from tests.conftest import snapshot
from tests.slack_recorder import SECRET, Response, SlackHarness, sign
from tests.test_faults_hostile_text import texts

pytest_plugins = ("tests.slack_fixtures",)

FORM = "application/x-www-form-urlencoded"
Hostile = Callable[[SlackHarness], Response]


def signed(body: bytes, content_type: str = FORM) -> Hostile:
    return lambda slack: slack.post(body, content_type)


def command_without(*missing: str) -> Hostile:
    def send(slack: SlackHarness) -> Response:
        fields = slack.command_fields('commit "Steal the float" by:friday', "UBOB", "T1", "C1")
        return slack.form({k: v for k, v in fields.items() if k not in missing})
    return send


def payload(body: Any) -> Hostile:
    return lambda slack: slack.form({"payload": body if isinstance(body, str) else json.dumps(body)})


def click(value: str, **changes: Any) -> Hostile:
    def send(slack: SlackHarness) -> Response:
        body = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "UBOB", "team_id": "T1"},
                "api_app_id": "A1", "trigger_id": slack.trigger(), "channel": {"id": "C1"},
                "container": {"type": "message", "channel_id": "C1"},
                "actions": [{"type": "button", "action_id": "run_0", "value": value,
                             "text": {"type": "plain_text", "text": "Go"}, "action_ts": "1.1"}]}
        body.update(changes)
        return slack.payload({k: v for k, v in body.items() if v is not None})
    return send


def headers(**given: str) -> Hostile:
    def send(slack: SlackHarness) -> Response:
        body = urlencode(slack.command_fields('commit "Steal the float" by:friday', "UBOB", "T1", "C1")).encode()
        return raw(slack, "POST", "/slack/events", body, {"Content-Type": FORM, **given})
    return send


def raw(slack: SlackHarness, method: str, path: str, body: bytes, sent: dict[str, str]) -> Response:
    url = urlsplit(slack.url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=sent)
        answer = connection.getresponse()
        return Response(answer.status, answer.read().decode(errors="replace"))
    finally:
        connection.close()


def announce_only(slack: SlackHarness, length: int) -> Response:
    """Say a body of `length` bytes is coming, and read the answer before sending any of it."""
    url = urlsplit(slack.url)
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=30) as connection:
        connection.sendall(f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\n"
                           f"Content-Length: {length}\r\n\r\n".encode())
        answer = http.client.HTTPResponse(connection)
        answer.begin()
        return Response(answer.status, answer.read().decode())


def stale_but_signed(slack: SlackHarness) -> Response:
    body = urlencode(slack.command_fields('commit "Steal the float" by:friday', "UBOB", "T1", "C1")).encode()
    then = str(int(time.time()) - 3600)
    return slack.post(body, FORM, timestamp=then, signature=sign(body, then, SECRET))


HOSTILE: dict[str, Hostile] = {
    "empty body": signed(b""),
    "garbage form": signed(b"%%%&&&===;;\x00\xff"),
    "binary body": signed(bytes(range(256)) * 4, "application/octet-stream"),
    "not utf-8": signed("text=caf\xe9".encode("latin-1")),
    "form sent as json": signed(b"command=%2Fpartner&text=who", "application/json"),
    "json sent as form": signed(b'{"type":"event_callback"}'),
    "broken json": signed(b'{"type": "event_callback", "event": {', "application/json"),
    "json array": signed(b"[1, 2, 3]", "application/json"),
    "json string": signed(b'"hello"', "application/json"),
    "xml": signed(b"<?xml version='1.0'?><partner>who</partner>", "application/xml"),
    "text/plain": signed(b"command=/partner&text=who", "text/plain"),
    "multipart": signed(b"--x\r\nContent-Disposition: form-data; name=text\r\n\r\nwho\r\n--x--",
                        "multipart/form-data; boundary=x"),
    "enormous body": lambda slack: announce_only(slack, 3_000_000),
    "enormous text": lambda slack: slack.command("commit " + "<!channel> " * 40_000, user="UBOB"),
    "event without event": signed(json.dumps({"type": "event_callback", "team_id": "T1", "event_id": "Ev1"}).encode(),
                                  "application/json"),
    "unknown event type": signed(json.dumps({"type": "who_knows", "team_id": "T1"}).encode(), "application/json"),
    "command without user": command_without("user_id", "user_name"),
    "command without team": command_without("team_id"),
    "unknown command": lambda slack: slack.form({**slack.command_fields("who", "UBOB", "T1", "C1"), "command": "/other"}),
    "payload not json": payload("{not json"),
    "payload empty": payload(""),
    "payload a list": payload([1, 2]),
    "payload a string": payload("just words"),
    "payload null": payload(None),
    "payload without type": payload({"team": {"id": "T1"}, "user": {"id": "UBOB"}}),
    "payload unknown type": payload({"type": "mystery", "team": {"id": "T1"}, "user": {"id": "UBOB"}}),
    "click without user": click('{"run":"done 1"}', user=None),
    "click without actions": click('{"run":"done 1"}', actions=None),
    "click without team": click('{"run":"done 1"}', team=None, user={"id": "UBOB"}),
    "click with a value that is not json": click("{{{"),
    "click with a value that is a list": click("[1]"),
    "click with a command in a list": click('{"run": ["done", 1]}'),
    "click with an enormous command": click(json.dumps({"run": "commit " + "x" * 50_000})),
    "click with markup": click(json.dumps({"run": 'commit "<!channel> pwned"', "in": "<#C2>"})),
    "view without view": payload({"type": "view_submission", "team": {"id": "T1"}, "user": {"id": "UBOB"}}),
    "view with bad state": payload({"type": "view_submission", "team": {"id": "T1"}, "user": {"id": "UBOB"},
                                    "view": {"callback_id": "commit_modal", "state": {"values": "nope"},
                                             "private_metadata": "{bad"}}),
    "no signature": headers(**{"X-Slack-Request-Timestamp": str(int(time.time()))}),
    "no timestamp": headers(**{"X-Slack-Signature": "v0=" + "0" * 64}),
    "timestamp not a number": headers(**{"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=abc"}),
    "signature of another body": headers(**{"X-Slack-Request-Timestamp": str(int(time.time())),
                                            "X-Slack-Signature": sign(b"other", str(int(time.time())))}),
    "future timestamp": headers(**{"X-Slack-Request-Timestamp": str(int(time.time()) + 3600),
                                   "X-Slack-Signature": "v0=" + "f" * 64}),
    "stale but signed": stale_but_signed,
    "get": lambda slack: raw(slack, "GET", "/slack/events", b"", {}),
    "another path": lambda slack: raw(slack, "POST", "/admin", b"text=who", {"Content-Type": FORM}),
    "lying content length": lambda slack: raw(slack, "POST", "/slack/events", b"text=who",
                                              {"Content-Type": FORM, "Content-Length": "-5"}),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_request_gets_a_4xx_or_a_harmless_200(name: str, riverside: SlackHarness) -> None:
    riverside.run('commit "Book the hall" by:"in 2 weeks"', user="UBOB")
    before = snapshot(riverside.sessions)
    response = HOSTILE[name](riverside)
    riverside.executor.wait_idle()
    assert response.status == 200 or 400 <= response.status < 500, response
    assert "Traceback" not in response.body
    after = snapshot(riverside.sessions)
    after["slack_requests"] = before["slack_requests"]  # a harmless request may note its id
    assert after == before
    for call in riverside.recorder.posted():  # Slack reads mentions in mrkdwn and a message's text
        for words in [*texts(call.params, "mrkdwn"), str(call.params.get("text") or "")]:
            assert "<!" not in words and "<@" not in words, words
    riverside.run("who", user="UBOB")  # still serving


def test_a_replayed_request_does_nothing_the_second_time(riverside: SlackHarness) -> None:
    """Replayed within the five minutes a signature lasts, byte for byte, as an attacker could."""
    body = urlencode(riverside.command_fields('commit "Book the hall" by:"in 2 weeks"', "UBOB", "T1", "C1")).encode()
    stamp = str(int(time.time()))
    first = riverside.post(body, FORM, timestamp=stamp)
    once, posted = snapshot(riverside.sessions), len(riverside.recorder.posted())
    for _ in range(3):
        assert riverside.post(body, FORM, timestamp=stamp).status == 200
    assert first.status == 200 and once["commitments"] == 1
    assert snapshot(riverside.sessions) == once
    assert len(riverside.recorder.posted()) == posted
