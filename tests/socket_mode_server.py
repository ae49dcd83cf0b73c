"""Slack's end of Socket Mode, on 127.0.0.1: the tests' stand-in for wss-primary.slack.com.

The app asks the recorder (`apps.connections.open`) where to connect and is given `url`.
Each WebSocket connection is greeted with `hello`; `send` puts an envelope (a slash command,
an interaction, an event) on the newest connection, as Slack does, and the app's
acknowledgements are kept by envelope id. `disconnect` asks the app to reconnect, politely,
as Slack does every few hours; `drop` cuts the connection with no goodbye, as a network does.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from typing import Any

from aiohttp import WSMsgType, web


class SocketModeServer:
    def __init__(self) -> None:
        self.acks: dict[str, dict[str, Any]] = {}
        self.connections: list[web.WebSocketResponse] = []
        self.opened = 0  # connections ever made
        self.changed = threading.Condition()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="socket-mode-server", daemon=True)
        self.thread.start()
        app = web.Application()
        app.router.add_get("/link", self.connect)
        self.runner = web.AppRunner(app)
        self.run(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.run(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link?ticket={uuid.uuid4().hex}"

    def run(self, job: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(job, self.loop).result(10)

    def close(self) -> None:
        self.run(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def connect(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        with self.changed:
            self.connections.append(socket)
            self.opened += 1
            self.changed.notify_all()
        await socket.send_str(json.dumps({"type": "hello", "num_connections": 1,
                                          "debug_info": {"host": "local"}, "connection_info": {"app_id": "A1"}}))
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                answer = json.loads(message.data)
                with self.changed:
                    self.acks[answer["envelope_id"]] = answer.get("payload") or {}
                    self.changed.notify_all()
        with self.changed:
            if socket in self.connections:
                self.connections.remove(socket)
            self.changed.notify_all()
        return socket

    # What Slack does ----------------------------------------------------------------------

    def wait_connected(self, opened: int = 1, timeout: float = 30) -> None:
        """Until `opened` connections have been made in all, and one is open."""
        with self.changed:
            if not self.changed.wait_for(lambda: self.opened >= opened and self.connections, timeout):
                raise AssertionError(f"the app made {self.opened} connections, not {opened}")

    def send(self, kind: str, payload: dict[str, Any], retry_attempt: int = 0) -> str:
        """Put an envelope on the newest connection; its id, which the acknowledgement names."""
        envelope_id = str(uuid.uuid4())
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload, "accepts_response_payload": True,
                    "retry_attempt": retry_attempt, "retry_reason": "timeout" if retry_attempt else ""}
        with self.changed:
            socket = self.connections[-1]
        self.run(socket.send_str(json.dumps(envelope)))
        return envelope_id

    def ack(self, envelope_id: str, timeout: float = 15) -> dict[str, Any]:
        """The payload the app acknowledged the envelope with; fails if it never did."""
        with self.changed:
            if not self.changed.wait_for(lambda: envelope_id in self.acks, timeout):
                raise AssertionError(f"envelope {envelope_id} was not acknowledged")
            return self.acks[envelope_id]

    def disconnect(self) -> None:
        """Slack's warning before it closes a connection: the app should open another."""
        with self.changed:
            socket = self.connections[-1]
        self.run(socket.send_str(json.dumps({"type": "disconnect", "reason": "refresh_requested",
                                             "debug_info": {"host": "local"}})))

    def drop(self) -> None:
        """Cut every connection at once, with no closing handshake."""
        with self.changed:
            sockets = list(self.connections)

        async def cut() -> None:
            for socket in sockets:
                transport = socket._req.transport if socket._req else None  # type: ignore[union-attr]
                if transport is not None:
                    transport.abort()

        self.run(cut())
