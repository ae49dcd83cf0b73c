"""A real Synapse for the Matrix tests, real clients to talk to it, and the bot running beside them.

Synapse is installed in its own virtualenv (`.venv-synapse`, made by .ci/run; or point
PARTNERBOT_SYNAPSE_PYTHON at another interpreter that has it). It runs on 127.0.0.1 at a
free port with a throwaway SQLite database and rate limits out of the way; users are
registered with the shared-secret admin API. People are nio clients, each on an event loop
of its own that the (synchronous) test drives; the bot runs in a thread, as in production.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar
from uuid import uuid4

import peewee
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinedMembersResponse,
    RoomCreateResponse,
    RoomGetStateEventResponse,
    RoomMessagesResponse,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
)
from nio.store import SqliteStore
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.matrix import account, crypto
from bot.matrix.app import MatrixBot
from bot.matrix.undecryptable import GIVE_UP

ROOT = Path(__file__).resolve().parent.parent
INSTALL = "python3 -m venv .venv-synapse && .venv-synapse/bin/pip install matrix-synapse"
SERVER_NAME = "localhost"
SECRET = "partnerbot-tests"
PASSWORD = "correct horse battery staple"
HTML = "org.matrix.custom.html"
WAIT = 20.0
T = TypeVar("T")
_names = itertools.count(1)

GENEROUS = {"per_second": 1000, "burst_count": 1000}
CONFIG = {
    "server_name": SERVER_NAME,
    "report_stats": False,
    "registration_shared_secret": SECRET,
    "enable_registration": False,
    "bcrypt_rounds": 4,
    "trusted_key_servers": [],
    "suppress_key_server_warning": True,
    "presence": {"enabled": False},
    "url_preview_enabled": False,
    "macaroon_secret_key": "partnerbot-tests-macaroon",
    "form_secret": "partnerbot-tests-form",
    "rc_message": GENEROUS,
    "rc_registration": GENEROUS,
    "rc_login": {"address": GENEROUS, "account": GENEROUS, "failed_attempts": GENEROUS},
    "rc_joins": {"local": GENEROUS, "remote": GENEROUS},
    "rc_joins_per_room": GENEROUS,
    "rc_invites": {"per_room": GENEROUS, "per_user": GENEROUS, "per_issuer": GENEROUS},
    "rc_admin_redaction": GENEROUS,
}
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
           "handlers": {"file": {"class": "logging.FileHandler", "formatter": "plain", "filename": None}},
           "root": {"level": "WARNING", "handlers": ["file"]}}


def serialise_crypto_stores() -> None:
    """nio's crypto stores bind peewee's (global) models to their own database for each call: the
    bot's thread and the people's clients in the test's thread would bind over each other. In
    `partnerbot run` one process has one store; here each binding holds a lock while it lasts."""
    lock = threading.RLock()
    enter, leave = peewee._BoundModelsContext.__enter__, peewee._BoundModelsContext.__exit__

    def locked_enter(self: Any) -> Any:
        lock.acquire()
        return enter(self)

    def locked_exit(self: Any, *failure: Any) -> Any:
        try:
            return leave(self, *failure)
        finally:
            lock.release()

    peewee._BoundModelsContext.__enter__ = locked_enter
    peewee._BoundModelsContext.__exit__ = locked_exit


serialise_crypto_stores()


def synapse_python() -> Path | None:
    configured = os.environ.get("PARTNERBOT_SYNAPSE_PYTHON")
    python = Path(configured) if configured else ROOT / ".venv-synapse" / "bin" / "python"
    if not python.exists():
        return None
    found = subprocess.run([str(python), "-c", "import synapse"], capture_output=True)
    return python if found.returncode == 0 else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unique(name: str) -> str:
    """A user name no other test has taken on this (session-wide) homeserver."""
    return f"{name}{next(_names)}x{os.getpid()}"


class Homeserver:
    """One Synapse process, restartable on the same port and database."""

    def __init__(self, python: Path, folder: Path) -> None:
        self.python = python
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        logging = json.loads(json.dumps(LOGGING))
        logging["handlers"]["file"]["filename"] = str(folder / "synapse.log")
        (folder / "log.yaml").write_text(json.dumps(logging))
        config = {**CONFIG,
                  "pid_file": str(folder / "synapse.pid"),
                  "listeners": [{"port": self.port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
                                 "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}]}],
                  "database": {"name": "sqlite3", "args": {"database": str(folder / "homeserver.db")}},
                  "log_config": str(folder / "log.yaml"),
                  "media_store_path": str(folder / "media"),
                  "signing_key_path": str(folder / "signing.key")}
        self.config = folder / "homeserver.yaml"
        self.config.write_text(json.dumps(config))  # YAML is a superset of JSON
        subprocess.run([str(python), "-m", "synapse.app.homeserver", "-c", str(self.config), "--generate-keys"],
                       check=True, capture_output=True, cwd=folder)

    def start(self) -> None:
        self.process = subprocess.Popen([str(self.python), "-m", "synapse.app.homeserver", "-c", str(self.config)],
                                        cwd=self.folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "/_matrix/client/versions", timeout=2):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    errors = self.process.stderr.read().decode() if self.process.stderr else ""
                    raise RuntimeError(f"Synapse did not start: {errors[-2000:]}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
        request = urllib.request.Request(self.url + path, method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json",
                                                  **({"Authorization": f"Bearer {token}"} if token else {})})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def register(self, name: str) -> tuple[str, str, str]:
        """A new user (with PASSWORD) through the shared-secret admin API: their id, a token and its device."""
        nonce = self.call("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(SECRET.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), name.encode(), PASSWORD.encode(), b"notadmin"]))
        made = self.call("POST", "/_synapse/admin/v1/register", {
            "nonce": nonce, "username": name, "password": PASSWORD, "admin": False, "mac": mac.hexdigest()})
        return made["user_id"], made["access_token"], made["device_id"]

    def log_in(self, user_id: str) -> tuple[str, str, str]:
        """A new device of an existing user: their id, its token and its id."""
        made = self.call("POST", "/_matrix/client/v3/login",
                         {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user_id},
                          "password": PASSWORD})
        return made["user_id"], made["access_token"], made["device_id"]


def matrix_settings(homeserver: Homeserver, bot: str, sessions: sessionmaker[Session], **changes: Any) -> Settings:
    settings = Settings(database_url=str(sessions.kw["bind"].url), timezone="UTC", slack_bot_token=None,
                        slack_signing_secret=None, slack_app_token=None, slack_api_url=None, port=0,
                        matrix_homeserver=homeserver.url, matrix_user_id=bot, matrix_password=PASSWORD,
                        matrix_access_token=None, matrix_store_path=str(homeserver.folder / "bot-stores"))
    return replace(settings, **changes)


class Person:
    """Someone in Element, as far as the bot can tell: a nio client with a user of their own, and
    end-to-end encryption keys of its own device (in a store of its own), as Element has."""

    def __init__(self, homeserver: Homeserver, name: str, user: tuple[str, str, str] | None = None) -> None:
        self.homeserver = homeserver
        self.mxid, token, device = user or homeserver.register(unique(name))
        self.loop = asyncio.new_event_loop()
        stores = homeserver.folder / "people-stores"
        stores.mkdir(exist_ok=True)
        config = AsyncClientConfig(encryption_enabled=True, store=SqliteStore, store_sync_tokens=False)
        self.client = AsyncClient(homeserver.url, self.mxid, store_path=str(stores), config=config)
        self.client.restore_login(self.mxid, device, token)
        self.since: str | None = None
        if user is None:
            self.run(self.client.set_displayname(name.capitalize()))
        self.sync(timeout=0)

    def run(self, job: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(job)

    def close(self) -> None:
        self.run(self.client.close())
        self.loop.close()

    def sync(self, timeout: int = 1000) -> SyncResponse:
        """One sync, with the key upkeep around it that Element does in the background."""
        self.run(crypto.upkeep(self.client))
        response = self.run(self.client.sync(timeout=timeout, since=self.since))
        assert isinstance(response, SyncResponse), response
        self.since = response.next_batch
        self.run(crypto.upkeep(self.client))
        return response

    def create_room(self, *invite: str, encrypted: bool = False, **options: Any) -> str:
        """A room as Element makes it: encrypted when asked, with the private preset."""
        if encrypted:
            options["initial_state"] = [*options.get("initial_state", []), crypto.ENCRYPTION_STATE]
        made = self.run(self.client.room_create(name="Riverside", invite=list(invite), **options))
        assert isinstance(made, RoomCreateResponse), made
        return made.room_id

    def room_with_bot(self, bot: str, *others: str, timeout: float = WAIT, encrypted: bool = False) -> str:
        """A new room with the bot (and others) invited, once the bot has joined it."""
        room_id = self.create_room(bot, *others, encrypted=encrypted)
        self.wait("the bot to join", lambda: bot in self.members(room_id), timeout)
        return room_id

    def direct_chat(self, bot: str, *others: str, encrypted: bool = False, timeout: float = WAIT) -> str:
        """A direct chat as Element's "Start chat" makes it (marked direct, and everyone invited as
        powerful as its maker), once the bot has joined it."""
        room_id = self.create_room(bot, *others, encrypted=encrypted, is_direct=True,
                                   preset=RoomPreset.trusted_private_chat)
        self.wait("the bot to join", lambda: bot in self.members(room_id), timeout)
        return room_id

    def state(self, room_id: str, kind: str, key: str = "") -> dict[str, Any]:
        """One state event's content as the homeserver holds it now ({} if there is none)."""
        found = self.run(self.client.room_get_state_event(room_id, kind, key))
        return found.content if isinstance(found, RoomGetStateEventResponse) else {}

    def invited_to(self) -> list[str]:
        """Rooms this person is invited to and has not joined (what Element lists as invitations)."""
        self.sync(timeout=0)
        return list(self.client.invited_rooms)

    def join(self, room_id: str) -> None:
        self.run(self.client.join(room_id))

    def say(self, room_id: str, text: str, html: str | None = None, thread: str | None = None) -> str:
        content: dict[str, Any] = {"msgtype": "m.text", "body": text}
        if html is not None:
            content.update(format=HTML, formatted_body=html)
        if thread is not None:
            content["m.relates_to"] = {"rel_type": "m.thread", "event_id": thread, "is_falling_back": True,
                                       "m.in_reply_to": {"event_id": thread}}
        return self.send(room_id, "m.room.message", content)

    def send(self, room_id: str, kind: str, content: dict[str, Any]) -> str:
        """Any event, encrypted in an encrypted room as Element does (reactions too, which nio
        itself would send in the clear), with keys for every device of every member."""
        self.sync(timeout=0)  # the members and devices as they are now
        room = self.client.rooms.get(room_id)
        if kind == "m.reaction" and room is not None and room.encrypted:
            path = f"/_matrix/client/v3/rooms/{room_id}/send/m.room.encrypted/{uuid4().hex}"
            return str(self.homeserver.call("PUT", path, self.encrypted_reaction(room_id, content),
                                            token=self.client.access_token)["event_id"])
        sent = self.run(self.client.room_send(room_id, kind, content, ignore_unverified_devices=True))
        assert isinstance(sent, RoomSendResponse), sent
        return sent.event_id

    def encrypted_reaction(self, room_id: str, content: dict[str, Any]) -> dict[str, Any]:
        if self.client.olm.should_share_group_session(room_id):
            self.run(self.client.share_group_session(room_id, ignore_unverified_devices=True))
        encrypted = self.client.olm.group_encrypt(room_id, {"type": "m.reaction", "content": content})
        return {**encrypted, "m.relates_to": content["m.relates_to"]}  # relations stay readable, as Element sends them

    def react(self, room_id: str, event_id: str, key: str) -> str:
        return self.send(room_id, "m.reaction",
                         {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}})

    def members(self, room_id: str) -> set[str]:
        found = self.run(self.client.joined_members(room_id))
        return {m.user_id for m in found.members} if isinstance(found, JoinedMembersResponse) else set()

    def history(self, room_id: str) -> list[dict[str, Any]]:
        """Every event in the room, oldest first, as the homeserver gives them."""
        events: list[dict[str, Any]] = []
        start = self.sync(timeout=0).next_batch
        while True:
            page = self.run(self.client.room_messages(room_id, start=start, limit=100))
            assert isinstance(page, RoomMessagesResponse), page
            # Decrypted where this device has the keys; marked, so a test can tell it came encrypted.
            events += [{**e.source, "decrypted": e.decrypted} for e in page.chunk]
            if not page.chunk or not page.end:
                return events[::-1]
            start = page.end

    def replies(self, room_id: str, sender: str) -> dict[str, list[dict[str, Any]]]:
        """The messages `sender` sent in the room, by the event each one replies to."""
        found: dict[str, list[dict[str, Any]]] = {}
        for event in self.history(room_id):
            content = event.get("content") or {}
            if event["sender"] == sender and event["type"] == "m.room.message":
                to = ((content.get("m.relates_to") or {}).get("m.in_reply_to") or {}).get("event_id", "")
                found.setdefault(to, []).append(event)
        return found

    def wait(self, what: str, check: Callable[[], T | None], timeout: float = WAIT) -> T:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (found := check()) is not None and found is not False:
                return found
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")

    def answer(self, room_id: str, event_id: str, bot: str, timeout: float = WAIT) -> dict[str, Any]:
        """The bot's reply to one message: waits for it, and it must be the only one."""
        def found() -> list[dict[str, Any]] | None:
            return self.replies(room_id, bot).get(event_id)

        replies = self.wait(f"the bot's answer to {event_id}", found, timeout)
        assert len(replies) == 1, replies
        return replies[0]["content"]

    def ask(self, room_id: str, text: str, bot: str, html: str | None = None, thread: str | None = None) -> dict[str, Any]:
        return self.answer(room_id, self.say(room_id, text, html, thread), bot)


class RunningBot:
    """partnerbot's Matrix bot, running in a thread of its own as `partnerbot run` runs it."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], give_up: float = GIVE_UP) -> None:
        self.sessions = sessions
        self.bot = MatrixBot(settings, sessions, sync_timeout_ms=5000, max_pause=1.0, give_up=give_up)
        self.loop = asyncio.new_event_loop()
        self.task: asyncio.Task[None] | None = None
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="matrix-bot", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + WAIT
        # Up once it has a sync token and its device's keys are published, as a new device (after
        # a lost store) must before anyone can encrypt for it.
        while account.sync_token(sessions, self.bot.user_id) is None or self.bot.loop is None or not self.published():
            if self.failure or time.monotonic() > deadline:
                raise AssertionError(f"the bot did not come up: {self.failure!r}")
            time.sleep(0.05)

    def published(self) -> bool:
        olm = self.bot.client.olm
        return olm is not None and bool(olm.account.shared)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.task = self.loop.create_task(self.bot.run())
        try:
            self.loop.run_until_complete(self.task)
        except asyncio.CancelledError:
            pass
        except BaseException as failure:  # shown by the test that waits for the bot
            self.failure = failure
            print(f"matrix bot stopped: {failure!r}", file=sys.stderr)
        finally:
            self.loop.close()

    def stop(self) -> None:
        if self.thread.is_alive():
            assert self.task is not None
            self.loop.call_soon_threadsafe(self.task.cancel)
            self.thread.join(timeout=15)
