"""Slack's HTTP endpoint in the web app: /slack/events, and with OAuth installs
/slack/install and /slack/oauth_redirect.

Slack's own requests (a POST to /slack/events) go straight to Bolt's WSGI adapter (`direct`):
they are most of what the bot serves, and need nothing of Flask, whose request and response
objects cost a fifth of what such a request executes when no command runs (BENCHMARKS.md).
The rest (the OAuth pages, a GET) goes through Flask as a blueprint. A request Bolt cannot
even read (a body it fails to parse) is the request's fault: 400, never a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Request, Response, make_response, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler as WsgiHandler

from bot.web.server import WsgiApp

log = logging.getLogger(__name__)

EVENTS = "/slack/events"


def direct(slack: App, web: WsgiApp, headers: list[tuple[str, str]]) -> WsgiApp:
    """`web`, with Slack's requests answered by Bolt without passing through it; their
    responses carry `headers` too, as every response of the web app does."""
    bolt = WsgiHandler(slack, path=EVENTS)

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != EVENTS or environ.get("REQUEST_METHOD") != "POST":
            return web(environ, start_response)

        def start(status: str, given: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, given + headers, exc_info)

        return bolt(environ, start)

    return serve


def blueprint(slack: App) -> Blueprint:
    handler = SlackRequestHandler(slack)
    endpoint = Blueprint("slack", __name__)

    def handle() -> Response:
        return answer(handler, request)

    # POSTs arrive by `direct`; the route makes Flask answer any other method with 405.
    endpoint.add_url_rule(EVENTS, "events", handle, methods=["POST"])
    if slack.oauth_flow is not None:
        endpoint.add_url_rule(slack.oauth_flow.install_path, "install", handle, methods=["GET"])
        endpoint.add_url_rule(slack.oauth_flow.redirect_uri_path, "oauth_redirect", handle, methods=["GET"])
    return endpoint


def answer(handler: SlackRequestHandler, incoming: Request) -> Response:
    try:
        return handler.handle(incoming)
    except Exception:
        log.warning("could not read a request to %s", incoming.path, exc_info=True)
        return make_response("Bad request", 400, {"Content-Type": "text/plain; charset=utf-8"})
