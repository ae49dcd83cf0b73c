"""Slack's HTTP endpoint as a blueprint of the web app: /slack/events, and with OAuth
installs /slack/install and /slack/oauth_redirect, served by Bolt's Flask adapter.

A request Bolt cannot even read (a body it fails to parse) is the request's fault: 400,
never a 500.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Request, Response, make_response, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler

log = logging.getLogger(__name__)


def blueprint(slack: App) -> Blueprint:
    handler = SlackRequestHandler(slack)
    endpoint = Blueprint("slack", __name__)

    def handle() -> Response:
        return answer(handler, request)

    endpoint.add_url_rule("/slack/events", "events", handle, methods=["POST"])
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
