"""/healthz and /metrics, for hosting tools, served by the web app on the same port as
Slack's endpoint.

/healthz answers 200 when the process is up and the database answers, 503 when it does
not; it needs no sign-in and reads nothing but `SELECT 1`. /metrics is Prometheus' text
format (bot/metrics.py), served here only with PARTNERBOT_METRICS_TOKEN set, and then only to
`Authorization: Bearer <token>`: the figures say how busy each partnership's people are and
when, which is nobody else's business. (PARTNERBOT_METRICS_ADDRESS serves it without a token
on a private address instead: bot/metrics.py.)
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, request
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.config import Settings


def blueprint(settings: Settings, sessions: sessionmaker[Session]) -> Blueprint:
    health = Blueprint("health", __name__)

    @health.get("/healthz")
    def healthz() -> Response:
        try:
            with sessions() as session:
                session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return plain("The database does not answer.\n", 503)
        return plain("ok\n")

    token = settings.metrics_token
    if token:

        @health.get("/metrics")
        def scrape() -> Response:
            if not hmac.compare_digest(request.headers.get("Authorization", "").encode(), f"Bearer {token}".encode()):
                answer = plain("Send the metrics token: Authorization: Bearer <PARTNERBOT_METRICS_TOKEN>.\n", 401)
                answer.headers["WWW-Authenticate"] = "Bearer"
                return answer
            return Response(metrics.exposition(sessions), mimetype=CONTENT_TYPE_LATEST)

    return health


def plain(words: str, status: int = 200) -> Response:
    return Response(words, status, mimetype="text/plain", headers={"Cache-Control": "no-store"})
