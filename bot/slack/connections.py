"""The Web API over connections kept open between calls.

slack_sdk's WebClient opens a new connection for every call (urllib adds `Connection:
close`), so every reply and every nudge pays for a TCP handshake, and against slack.com a
TLS handshake too, before Slack even reads it. `KeptOpen` sends the very same requests
through one urllib3 pool per process, where a call takes a connection another call has
finished with. Everything else stays slack_sdk's: the request it builds, its retry handlers
(ours in delivery.py), its errors. A connection Slack has closed meanwhile is noticed before
reuse and replaced; one that breaks mid-call raises URLError, which slack_sdk's connection
retry handler already retries. One that a firewall or NAT drops without a word is found by
TCP keepalive probes while it idles, so no call waits out its timeout on a dead connection.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any
from urllib.error import URLError
from urllib.request import Request

import urllib3
from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient
from urllib3.connection import HTTPConnection

from bot.slack.workers import aside

# Connections kept per host: as many as listeners have threads (bot/slack/workers.py), and a
# few for the scheduler's sweep. More are opened at a peak and closed after it.
KEPT_PER_HOST = 12

# An idle connection is probed after 30 s, then every 10 s; three unanswered probes close it,
# and the pool opens a new one for the next call. The probes also keep NAT mappings alive,
# which cloud NAT gateways drop after minutes of silence. (Linux names; elsewhere the
# system's own timings apply.)
KEEPALIVE = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)] + [
    (socket.IPPROTO_TCP, option, value)
    for name, value in (("TCP_KEEPIDLE", 30), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3))
    if (option := getattr(socket, name, None)) is not None]

POOL = urllib3.PoolManager(maxsize=KEPT_PER_HOST, block=False, retries=False,
                           socket_options=[*HTTPConnection.default_socket_options, *KEEPALIVE])
# A process forked after a call (gunicorn --preload, say) must not share its parent's sockets.
os.register_at_fork(after_in_child=POOL.clear)


class KeptOpen(WebClient):
    """A WebClient whose calls reuse the process's open connections to the Web API."""

    @classmethod
    def like(cls, client: WebClient) -> KeptOpen:
        """The same client (token, workspace, URL, retries) over kept connections."""
        return cls(token=client.token, base_url=client.base_url, timeout=client.timeout, ssl=client.ssl,
                   proxy=client.proxy, headers=dict(client.headers), team_id=client.default_params.get("team_id"),
                   logger=client.logger, retry_handlers=client.retry_handlers)

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        with aside():  # a listener waiting on Slack lets another run meanwhile (workers.py)
            return self._request(url, req)

    def _request(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy is not None or self.ssl is not None or not url.lower().startswith("http"):
            # A proxy or TLS settings of one's own are urllib's to honour; other schemes it refuses.
            return super()._perform_urllib_http_request_internal(url, req)
        try:
            answer = POOL.request(req.get_method(), url, body=req.data, headers=dict(req.header_items()),
                                  timeout=self.timeout)
        except urllib3.exceptions.HTTPError as failure:
            raise URLError(failure) from failure
        gzip = answer.headers.get("Content-Type", "").startswith("application/gzip")  # admin.analytics.getFile
        # The Web API answers JSON, which is UTF-8 (RFC 8259), as slack_sdk assumes when unsaid.
        body: str | bytes = answer.data if gzip else answer.data.decode("utf-8")
        return {"status": answer.status, "headers": answer.headers, "body": body}


class KeepOpen(Middleware):
    """Bolt middleware: the listener's client (built by Bolt per request) over kept connections.
    A `Middleware` of its own, not a function: Bolt calls it as it is, where it looks a
    function's arguments up by name at every request (an eighth of what a request that runs
    no command spent, for the three it made)."""

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002
        req.context["client"] = KeptOpen.like(req.context.client)
        return next()
