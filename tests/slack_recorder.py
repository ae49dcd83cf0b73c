"""The only fake in the Slack tests: a local Slack Web API that records every call.

The SDK's base_url points here, so the real Bolt app and slack-sdk talk HTTP to it exactly
as to slack.com. Tests read back what was posted (`calls("chat.postMessage")`), tell it who
users are (`users[...]`), and script failures: a 429 with Retry-After, a 5xx outage, or a
Slack error such as `not_in_channel`. Response URLs (`/response/...`) are recorded too.

`SlackHarness` runs the real app behind a real HTTP server and sends it correctly signed
requests, the way Slack does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.error import HTTPError
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.slack.app import BOT_SCOPES
from bot.slack.workers import Workers

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-token"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    headers: dict[str, str]
    connection: int = 0  # the caller's port: calls over one kept-open connection share it


@dataclass
class Failure:
    status: int
    retry_after: str | None = None
    error: str | None = None


class Recorder:
    """A fake Slack Web API on 127.0.0.1; `url` is its base URL (…/api/)."""

    def __init__(self) -> None:
        self.calls_made: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.failures: dict[str, deque[Failure]] = {}
        self.gates: dict[str, threading.Event] = {}
        self.gate_timeout = 10.0  # seconds a held call waits at most
        self.latency = 0.0  # seconds each call takes to answer, as Slack's own do over the internet
        self.held: dict[str, int] = {}  # calls that reached a gate, by method
        # Where `apps.connections.open` sends a Socket Mode app (tests/socket_mode_server.py).
        self.socket_url: Callable[[], str] | None = None
        # What the token was granted, as Slack says in auth.test's X-OAuth-Scopes header.
        self.scopes: list[str] = list(BOT_SCOPES)
        self.changed = threading.Condition()
        self.ts = 0
        self.open_connections: set[socket.socket] = set()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps connections open between calls, as slack.com does
            disable_nagle_algorithm = True  # else an answer's body waits on the caller's delayed ACK

            def setup(self) -> None:
                super().setup()
                with recorder.changed:
                    recorder.open_connections.add(self.connection)

            def finish(self) -> None:
                with recorder.changed:
                    recorder.open_connections.discard(self.connection)
                super().finish()

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                recorder.serve(self, b"")

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request (a killed bot): Slack would never act on it
                    return
                recorder.serve(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/"
        self.response_url = f"http://127.0.0.1:{self.server.server_port}/response/"
        self.upload_url = f"http://127.0.0.1:{self.server.server_port}/upload/"

    def drop_connections(self) -> None:
        """Close every kept-open connection from the server's side, as Slack does with idle ones."""
        with self.changed:
            for connection in self.open_connections:
                connection.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # Scripting --------------------------------------------------------------------------

    def add_user(self, user_id: str, name: str, tz: str = "Europe/London") -> None:
        self.users[user_id] = {"id": user_id, "name": name.lower(), "real_name": name, "tz": tz,
                               "profile": {"display_name": name, "real_name": name}}

    def fail(self, method: str, status: int = 429, retry_after: str | None = "0", error: str | None = None,
             times: int = 1) -> None:
        """Answer the next `times` calls of `method` with a failure instead."""
        queue = self.failures.setdefault(method, deque())
        for _ in range(times):
            queue.append(Failure(status, retry_after, error))

    def hold(self, method: str) -> threading.Event:
        """Keep calls of `method` waiting until the returned event is set (a slow Slack)."""
        gate = threading.Event()
        self.gates[method] = gate
        return gate

    # Reading back -----------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self.changed:
            return [c for c in self.calls_made if method is None or c.method == method]

    def acknowledged(self, body: str) -> None:
        """A slash command's 200, as Slack takes it: a message it carries is shown to the person
        alone, like an ephemeral one, so it is recorded beside the Web API's calls, as "ack"."""
        message = json.loads(body) if body.strip() else None
        if isinstance(message, dict) and (message.get("text") or message.get("blocks")):
            with self.changed:
                self.calls_made.append(Call("ack", message, None, {}))
                self.changed.notify_all()

    def posted(self) -> list[Call]:
        """Everything shown to people: messages, ephemerals, answers in a command's 200, views
        and response_url posts."""
        shown = {"chat.postMessage", "chat.postEphemeral", "ack", "views.open", "views.publish", "response_url"}
        return [c for c in self.calls() if c.method in shown]

    def wait_for(self, method: str, count: int = 1, timeout: float = 15.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len([c for c in self.calls_made if c.method == method]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} {method} call(s); got {self.calls_made}")
                self.changed.wait(left)
            return [c for c in self.calls_made if c.method == method]

    def wait_for_words(self, method: str, words: str, timeout: float = 15.0) -> Call:
        """The first `method` call showing `words`: other posts (a digest the bot's own sweep
        sends, say) may come between."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for call in self.calls_made:
                    if call.method == method and words in text_of(call.params.get("blocks") or []) + str(
                            call.params.get("text") or ""):
                        return call
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected a {method} call showing {words!r}; got {self.calls_made}")
                self.changed.wait(left)

    # Serving ----------------------------------------------------------------------------

    def serve(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        url = urlsplit(handler.path)
        params: dict[str, Any] = dict(parse_qsl(url.query))
        if url.path.startswith("/upload/"):
            params["content"] = raw
        elif raw:
            if "json" in (handler.headers.get("Content-Type") or ""):
                params.update(json.loads(raw))
            else:
                params.update(parse_qsl(raw.decode()))
        for key in ("blocks", "view", "attachments", "files"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        if url.path.startswith("/response/"):
            method = "response_url"
        elif url.path.startswith("/upload/"):
            method = "upload"
        else:
            method = url.path.removeprefix("/api/")
        if self.latency:
            time.sleep(self.latency)
        gate = self.gates.get(method)
        if gate is not None:
            with self.changed:
                self.held[method] = self.held.get(method, 0) + 1
                self.changed.notify_all()
            gate.wait(self.gate_timeout)
        auth = handler.headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ") or params.get("token")
        with self.changed:
            queue = self.failures.get(method)
            failure = queue.popleft() if queue else None
            self.calls_made.append(Call(method, params, token, dict(handler.headers.items()),
                                        handler.client_address[1]))
            self.changed.notify_all()
        if failure is not None:
            body = {"ok": False, "error": failure.error or ("ratelimited" if failure.status == 429 else "fatal_error")}
            self.answer(handler, failure.status, body, failure.retry_after)
            return
        if method == "response_url":
            handler.send_response(200)
            handler.send_header("Content-Type", "text/plain")
            handler.send_header("Content-Length", "2")
            handler.end_headers()
            handler.wfile.write(b"ok")
            return
        scopes = {"X-OAuth-Scopes": ",".join(self.scopes)} if method == "auth.test" else {}
        self.answer(handler, 200, self.result(method, params), headers=scopes)

    def answer(self, handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any],
               retry_after: str | None = None, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        if retry_after is not None:
            handler.send_header("Retry-After", retry_after)
        handler.end_headers()
        handler.wfile.write(data)

    def result(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.changed:
            self.ts += 1
            ts = f"1764000000.{self.ts:06d}"
        if method == "auth.test":
            return {"ok": True, "url": "https://town.slack.com/", "team": "Town", "user": "partnerbot",
                    "team_id": "T1", "user_id": "UBOT", "bot_id": "BBOT"}
        if method == "apps.connections.open":
            if self.socket_url is None:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.socket_url()}
        if method == "users.info":
            user_id = params.get("user", "")
            user = self.users.get(user_id) or {"id": user_id, "name": user_id.lower(), "tz": "UTC",
                                               "profile": {"display_name": "", "real_name": user_id}}
            return {"ok": True, "user": user}
        if method == "chat.postMessage":
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": {"text": params.get("text")}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method in ("views.open", "views.publish", "views.update"):
            return {"ok": True, "view": {"id": f"V{self.ts}", **(params.get("view") or {})}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + params.get("users", "")}}
        if method == "files.getUploadURLExternal":
            return {"ok": True, "file_id": f"F{self.ts}", "upload_url": f"{self.upload_url}F{self.ts}"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": params.get("files") or []}
        if method == "oauth.v2.access":
            return {"ok": True, "app_id": "A1", "authed_user": {"id": "UALICE"}, "scope": "commands,chat:write",
                    "token_type": "bot", "access_token": "xoxb-installed-T9", "bot_user_id": "UBOT9",
                    "team": {"id": "T9", "name": "Nine"}, "enterprise": None, "is_enterprise_install": False}
        return {"ok": True}


class TrackingExecutor(Workers):
    """The listeners' pool, able to say when every listener has finished (no sleeping)."""

    def __init__(self) -> None:
        super().__init__()
        self.pending = 0
        self.idle = threading.Condition()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self.idle:
            self.pending += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future[Any]) -> None:
        with self.idle:
            self.pending -= 1
            self.idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> None:
        with self.idle:
            if not self.idle.wait_for(lambda: self.pending == 0, timeout):
                raise AssertionError("Slack listeners still running")


def sign(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Response:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class SlackHarness:
    """The real Bolt app on a real HTTP server, driven with signed requests like Slack's."""

    recorder: Recorder
    sessions: sessionmaker[Session]
    settings: Settings
    executor: TrackingExecutor = field(default_factory=TrackingExecutor)
    triggers: int = 0

    def __post_init__(self) -> None:
        from bot.slack.app import build_app
        from bot.web import create_app
        from bot.web.server import serve

        self.app = build_app(self.settings, self.sessions, listener_executor=self.executor)
        self.server = serve(create_app(self.settings, self.sessions, slack=self.app), "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/slack/events"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.executor.shutdown(wait=True)

    def trigger(self) -> str:
        self.triggers += 1
        return f"{self.triggers}.{int(time.time())}.trigger"

    # Raw requests -----------------------------------------------------------------------

    def post(self, body: bytes, content_type: str, *, timestamp: str | None = None, signature: str | None = None,
             retry_num: int | None = None, wait: bool = True, answers: bool = False) -> Response:
        """POST to /slack/events, signed unless told otherwise; then (unless `wait` is
        False) waits for the listeners to finish. With `answers` (a slash command), a message
        in the 200 is recorded as shown (`Recorder.acknowledged`)."""
        timestamp = timestamp or str(int(time.time()))
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp,
                   "X-Slack-Signature": signature or sign(body, timestamp)}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                response = Response(answer.status, answer.read().decode())
        except HTTPError as refused:
            response = Response(refused.code, refused.read().decode())
        if answers and response.status == 200:
            self.recorder.acknowledged(response.body)
        if wait:
            self.executor.wait_idle()
        return response

    def form(self, fields: dict[str, str], **kwargs: Any) -> Response:
        return self.post(urlencode(fields).encode(), "application/x-www-form-urlencoded", **kwargs)

    def payload(self, payload: dict[str, Any], **kwargs: Any) -> Response:
        return self.form({"payload": json.dumps(payload)}, **kwargs)

    # What Slack sends -------------------------------------------------------------------

    def command_fields(self, text: str, user: str, team: str, channel: str) -> dict[str, str]:
        return {"token": "legacy", "team_id": team, "team_domain": team.lower(), "channel_id": channel,
                "channel_name": "general", "user_id": user, "user_name": user.lower(), "command": "/partner",
                "text": text, "api_app_id": "A1", "is_enterprise_install": "false",
                "response_url": self.recorder.response_url + self.trigger(), "trigger_id": self.trigger()}

    def command(self, text: str, user: str = "UALICE", team: str = "T1", channel: str = "C1", **kwargs: Any) -> Response:
        return self.form(self.command_fields(text, user, team, channel), answers=True, **kwargs)

    def click(self, button: dict[str, Any], user: str = "UALICE", team: str = "T1", channel: str | None = "C1",
              home: bool = False, **kwargs: Any) -> Response:
        """Click a button the app rendered, from a channel message or the Home tab."""
        payload: dict[str, Any] = {
            "type": "block_actions", "team": {"id": team, "domain": team.lower()},
            "user": {"id": user, "team_id": team}, "api_app_id": "A1", "trigger_id": self.trigger(),
            "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "b",
                         "text": button["text"], "value": button.get("value", ""), "action_ts": str(time.time())}],
        }
        if home:
            payload["container"] = {"type": "view", "view_id": "VHOME"}
            payload["view"] = {"id": "VHOME", "type": "home", "team_id": team}
        else:
            payload["container"] = {"type": "message", "message_ts": "1.1", "channel_id": channel, "is_ephemeral": False}
            payload["channel"] = {"id": channel, "name": "general"}
            payload["response_url"] = self.recorder.response_url + self.trigger()
        return self.payload(payload, **kwargs)

    def submit(self, view: dict[str, Any], values: dict[str, dict[str, Any]], user: str = "UALICE",
               team: str = "T1", **kwargs: Any) -> Response:
        """Submit a modal the app opened, with answers by block id."""
        submitted = {**view, "id": "VMODAL", "team_id": team, "state": {"values": {
            block_id: {"value": element} for block_id, element in values.items()}}}
        payload = {"type": "view_submission", "team": {"id": team, "domain": team.lower()},
                   "user": {"id": user, "team_id": team}, "api_app_id": "A1", "trigger_id": self.trigger(),
                   "view": submitted}
        return self.payload(payload, **kwargs)

    def shortcut(self, callback_id: str, text: str, user: str = "UALICE", team: str = "T1", channel: str = "C1",
                 **kwargs: Any) -> Response:
        payload = {"type": "message_action", "callback_id": callback_id, "team": {"id": team, "domain": team.lower()},
                   "user": {"id": user, "team_id": team}, "channel": {"id": channel, "name": "general"},
                   "message": {"type": "message", "user": "UBOB", "ts": "1.2", "text": text},
                   "message_ts": "1.2", "trigger_id": self.trigger(), "response_url": self.recorder.response_url + "s",
                   "action_ts": str(time.time())}
        return self.payload(payload, **kwargs)

    def event(self, event: dict[str, Any], team: str = "T1", event_id: str | None = None, **kwargs: Any) -> Response:
        body = {"token": "legacy", "team_id": team, "api_app_id": "A1", "type": "event_callback",
                "event_id": event_id or f"Ev{self.trigger().split('.')[0]}", "event_time": int(time.time()),
                "event": event, "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}]}
        return self.post(json.dumps(body).encode(), "application/json", **kwargs)

    # Reading what people saw ------------------------------------------------------------

    def said(self, method: str = "chat.postMessage") -> list[Call]:
        return self.recorder.calls(method)

    def last(self, method: str = "chat.postMessage") -> Call:
        calls = self.recorder.calls(method)
        assert calls, f"nothing was sent with {method}; sent: {[c.method for c in self.recorder.calls()]}"
        return calls[-1]

    def run(self, text: str, user: str = "UALICE", team: str = "T1", channel: str = "C1") -> Call:
        """A slash command that must succeed: the message it posted (in channel or ephemeral)."""
        before = len(self.recorder.posted())
        response = self.command(text, user, team, channel)
        assert response.status == 200, response
        posted = self.recorder.posted()[before:]
        assert posted, f"/partner {text} posted nothing"
        shown = text_of(posted[-1].params.get("blocks") or [])
        assert ":warning:" not in shown, f"/partner {text} was refused: {shown}"
        return posted[-1]


def text_of(blocks: list[dict[str, Any]]) -> str:
    """Every word in some blocks, as people would read them."""
    words: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
                words.append(node["text"])
            for key, value in node.items():
                if key != "value":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return "\n".join(words)


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every button in some blocks, in order."""
    found: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("accessory", {}).get("type") == "button":
            found.append(block["accessory"])
        found += [e for e in block.get("elements", []) if e.get("type") == "button"]
    return found


def button(blocks: list[dict[str, Any]], label: str, command: str | None = None) -> dict[str, Any]:
    """The button with this label (and, if given, this command)."""
    for b in buttons(blocks):
        if b["text"]["text"] == label and (command is None or json.loads(b["value"])["run"] == command):
            return b
    raise AssertionError(f"no {label!r} button for {command!r} in {buttons(blocks)}")


def settings_for(recorder: Recorder, sessions: sessionmaker[Session]) -> Settings:
    return Settings(database_url=str(sessions.kw["bind"].url), timezone="UTC", slack_bot_token=BOT_TOKEN,
                    slack_signing_secret=SECRET, slack_app_token=None, slack_api_url=recorder.url, port=0,
                    matrix_homeserver=None, matrix_user_id=None, matrix_password=None, matrix_access_token=None)


def state(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Row counts of the partnership tables: equal means a request changed nothing
    (the id of the request itself, kept so a retry is ignored, aside)."""
    from tests.conftest import snapshot

    counts = snapshot(sessions)
    counts.pop("slack_requests")
    return counts


def awake(after: datetime | None = None) -> datetime:
    """The first 15:00 UTC from `after` (default: now): out of the default quiet hours for
    every test user (London, Paris and New York), so a sweep then sends what it holds
    whatever the hour the tests run at."""
    after = after or datetime.now(UTC)
    moment = after.astimezone(UTC).replace(hour=15, minute=0, second=0, microsecond=0)
    return moment if moment >= after else moment + timedelta(days=1)
