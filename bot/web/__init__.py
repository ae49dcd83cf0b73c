"""The web app: one Flask app serving Slack's endpoint and the web pages on one PORT.

`create_app` builds it from settings, so `partnerbot run` (Slack over HTTP), `partnerbot
web` (the pages alone), gunicorn (bot/slack/wsgi.py) and the tests all serve the same app.
Each area is a blueprint, registered in `register_blueprints`; every response carries the
security headers.
"""

from __future__ import annotations

from flask import Flask, Response
from slack_bolt import App
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.web.server import limited
from bot.web.site import Site

# Pages load nothing from elsewhere and run no script.
CONTENT_SECURITY_POLICY = ("default-src 'none'; img-src 'self' data:; style-src 'self'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def create_app(settings: Settings, sessions: sessionmaker[Session], slack: App | None = None) -> Flask:
    """The whole web app; `slack` (the Bolt app) adds Slack's endpoint."""
    app = Flask(__name__)
    Site(settings, sessions).install(app)
    register_blueprints(app, slack)
    app.after_request(secure)
    app.wsgi_app = limited(app.wsgi_app)  # type: ignore[method-assign]
    return app


def register_blueprints(app: Flask, slack: App | None) -> None:
    """Every area of the web app, wired in one visible place."""
    if slack is not None:
        from bot.slack import endpoint

        app.register_blueprint(endpoint.blueprint(slack))


def secure(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
