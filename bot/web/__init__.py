"""The web app: one Flask app serving Slack's endpoint and the web pages on one PORT.

`create_app` builds it from settings, so `partnerbot run` (Slack over HTTP), `partnerbot
web` (the pages alone), gunicorn (bot/slack/wsgi.py) and the tests all serve the same app.
Each area is a blueprint, registered in `register_blueprints`; every response carries the
security headers. Pages run no script and load nothing from elsewhere: their one
stylesheet is inline, allowed by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, Response
from markupsafe import Markup, escape
from slack_bolt import App
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.middleware.proxy_fix import ProxyFix

from bot import health, logs
from bot.config import Settings
from bot.slack import endpoint
from bot.web import dashboard, follow, public
from bot.web.server import limited
from bot.web.site import Site
from handlers.dashboard import SESSION_LIFETIME, signing_key
from handlers.dates import show_at, show_day
from handlers.judgements.indicators import figure
from handlers.publishing import site_address

COMMAND = re.compile(r"`([^`\n]+)`")
STYLESHEET = (Path(__file__).parent / "templates" / "site.css").read_text()
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLESHEET.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (f"default-src 'none'; img-src 'self' data:; style-src 'sha256-{STYLE_HASH}'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# On every response, pages and Slack's answers alike.
SECURITY_HEADERS = [("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("X-Content-Type-Options", "nosniff"),
                    ("Referrer-Policy", "no-referrer")]


def create_app(settings: Settings, sessions: sessionmaker[Session], slack: App | None = None,
               clock: Callable[[], datetime] | None = None) -> Flask:
    """The whole web app; `slack` (the Bolt app) adds Slack's endpoint."""
    logs.install_redaction()  # its addresses carry sign-in tokens, which no log line may
    app = Flask(__name__)
    site = Site(settings, sessions, clock) if clock else Site(settings, sessions)
    site.install(app)
    with sessions.begin() as session:
        app.secret_key = signing_key(session, site.now())
    # The cookie is not sent anew on each visit: the session ends when the server says so.
    app.config.update(PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME, SESSION_REFRESH_EACH_REQUEST=False,
                      SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=site_address().startswith("https:"), SESSION_COOKIE_NAME="partnerbot")
    register_blueprints(app, settings, sessions, slack)
    app.jinja_env.globals["stylesheet"] = Markup(STYLESHEET)
    app.jinja_env.filters.update(day=day, at=at, iso=iso, number=figure, commands=commands)
    app.after_request(secure)
    if settings.trusted_proxies:  # the client's address as the nearest trusted proxy saw it
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    served = endpoint.direct(slack, app.wsgi_app, SECURITY_HEADERS) if slack is not None else app.wsgi_app
    app.wsgi_app = limited(served)  # type: ignore[method-assign]
    return app


def register_blueprints(app: Flask, settings: Settings, sessions: sessionmaker[Session], slack: App | None) -> None:
    """Every area of the web app, wired in one visible place."""
    app.register_blueprint(health.blueprint(settings, sessions))
    if slack is not None:
        app.register_blueprint(endpoint.blueprint(slack))
    app.register_blueprint(public.blueprint)
    app.register_blueprint(follow.blueprint)
    app.register_blueprint(dashboard.blueprint)


def secure(response: Response) -> Response:
    for name, value in SECURITY_HEADERS:
        response.headers[name] = value
    return response


def day(value: date) -> str:
    """`Fri 27 Nov 2026`: pages are read later and printed, so the year is always there."""
    return show_day(value, None)


def at(value: datetime, tz: ZoneInfo) -> str:
    """`Tue 15 Dec 2026 18:00 GMT`: a page is read anywhere, so a time says its zone as well."""
    return show_at(value, tz, value, shared=True)


def commands(text: str) -> Markup:
    """Chat text for a page: escaped, with each `command` in backticks shown as code."""
    # Escaped first: a backtick is never part of an entity, so each code span wraps escaped text.
    return Markup(COMMAND.sub(r"<code>\1</code>", str(escape(text))))


def iso(value: datetime) -> str:
    return value.isoformat()
