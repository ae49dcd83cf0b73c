"""The HTTP server in front of the web app, for `partnerbot run` and `partnerbot web`.

`serve` runs any WSGI app on waitress: a burst of requests queues for its threads instead of
being refused or reset (the standard library's threaded server reset 3 of 20 simultaneous
ones). `limited` refuses a body larger than any Slack sends (413) before it is read, and
answers 400 to a request the app cannot even read (garbage, a lying Content-Length).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

# Slack's largest payloads (a modal's whole view) are tens of kilobytes.
MAX_BODY = 1_000_000

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def limited(app: WsgiApp, max_body: int = MAX_BODY) -> WsgiApp:
    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return refuse(start_response, "400 Bad Request", "Bad Content-Length")
        if length > max_body:
            return refuse(start_response, "413 Content Too Large", f"Requests are limited to {max_body:,} bytes")
        try:
            return app(environ, start_response)
        except Exception:
            log.warning("could not read a request to %s", environ.get("PATH_INFO"), exc_info=True)
            return refuse(start_response, "400 Bad Request", "Bad request", sys.exc_info())

    return serve


def refuse(start_response: Callable[..., Any], status: str, why: str, exc_info: Any = None) -> list[bytes]:
    body = why.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
                   exc_info)
    return [body]


# Requests answered at once; more wait their turn, queued, rather than being refused.
THREADS = 16
# Connections held open at once (waiting ones included), and more waiting to be accepted.
CONNECTIONS = 500
BACKLOG = 2048


class Server:
    """waitress serving a WSGI app, with the start/stop calls of the standard library's servers."""

    def __init__(self, app: WsgiApp, host: str, port: int) -> None:
        from waitress.server import create_server

        self.waitress = create_server(app, host=host, port=port, threads=THREADS, connection_limit=CONNECTIONS,
                                      backlog=BACKLOG, channel_timeout=30, ident="partnerbot",
                                      # refused (413) as announced, before a byte of it is read
                                      max_request_body_size=MAX_BODY)
        self.stopped = threading.Event()

    @property
    def server_port(self) -> int:
        return int(self.waitress.effective_port)  # type: ignore[union-attr]

    def serve_forever(self, poll_interval: float | None = None) -> None:
        try:
            self.waitress.run()  # until no socket is left open
        except OSError:  # a descriptor in its map closed elsewhere: the loop cannot go on, so say so and stop
            log.error("the HTTP server's loop failed and stops", exc_info=True)
        finally:
            self.waitress.task_dispatcher.shutdown()  # type: ignore[union-attr]
            self.stopped.set()

    def shutdown(self) -> None:
        """Stop serving, from another thread: the serving thread closes its own sockets (a
        socket closed under its feet would fail it), and `serve_forever` returns."""
        if self.stopped.is_set():
            return
        try:
            self.waitress.trigger.pull_trigger(self.server_close)  # type: ignore[union-attr]
        except OSError:  # the wake-up pipe is gone (its descriptor closed elsewhere): close from here
            log.warning("could not wake the HTTP server's loop; closing its sockets from this thread", exc_info=True)
            self.server_close()
        self.stopped.wait(10)

    def server_close(self) -> None:
        """Close every socket: the listening one and any connection still open.

        One whose descriptor is already gone (closed elsewhere) must not stop the others closing."""
        for channel in list(self.waitress._map.values()):  # type: ignore[union-attr]
            try:
                channel.close()
            except OSError:  # already out of the map: closing took it out before failing
                log.debug("a channel's descriptor was already closed", exc_info=True)


def serve(app: WsgiApp, host: str, port: int) -> Server:
    """An HTTP server for the web app (built by bot.web.create_app)."""
    return Server(app, host, port)
