"""The HTTP server in front of the web app, for `partnerbot run` and `partnerbot web`.

`serve` runs any WSGI app on a threaded server: one slow request never holds up another's
answer. `limited` refuses a body larger than any Slack sends (413) before it is read, and
answers 400 to a request the app cannot even read (garbage, a lying Content-Length).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

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


class Server(ThreadingMixIn, WSGIServer):
    """A threaded WSGI server: one slow request never holds up another's acknowledgement."""

    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    timeout = 30  # seconds a client may take to send its request: a stalled one frees its thread

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        log.debug("%s " + format, self.address_string(), *args)


def serve(app: WsgiApp, host: str, port: int) -> Server:
    """An HTTP server for the web app (built by bot.web.create_app)."""
    return make_server(host, port, app, server_class=Server, handler_class=QuietHandler)
