"""The Slack endpoint's defences against requests it cannot use: each gets a 4xx, never a 500.

`limited` wraps the WSGI app: a body larger than any Slack sends is refused (413) before it
is read, and a body Bolt cannot even parse (garbage, a lying Content-Length) is a 400.
`bad_request` is Bolt's error handler: a request missing what Slack always sends (a user, a
team) makes a listener fail before it acknowledges, which is the request's fault (400).
Handlers never raise, so nothing legitimate ends up here.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import BoltResponse

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


def bad_request(error: Exception, response: BoltResponse | None) -> BoltResponse | None:
    """Answer 400 for a request that made a listener (or middleware) fail before acknowledging."""
    log.warning("could not act on a Slack request: %r", error, exc_info=True)
    if response is None:  # acknowledged already: Slack has its answer
        return None
    return BoltResponse(status=400, body="Bad request")
