"""Acting on each Slack request once, however often Slack sends it.

Slack resends an event, a slash command or a click it thinks went unanswered (with
X-Slack-Retry-Num). Before any listener runs, this middleware claims the request's id (the
event id, the trigger id, or a digest of the body) in `slack_requests`, whose unique
constraint lets exactly one delivery through; a repeat is acknowledged and dropped, so a
command never runs (or logs) twice. The claim is one short insert, well inside Slack's
three seconds.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from sqlalchemy import delete, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from storage.models import SlackRequest

log = logging.getLogger(__name__)

KEEP = timedelta(days=2)  # Slack stops retrying within minutes; two days is generous
PRUNE_EVERY = timedelta(hours=1)


def request_key(body: dict[str, Any], raw_body: str) -> tuple[str, str]:
    """What kind of request this is, and the id its retries share."""
    kind = body.get("type") or ("slash_command" if "command" in body else "request")
    if body.get("event_id"):
        return kind, "event:" + body["event_id"]
    if body.get("trigger_id"):
        return kind, "trigger:" + body["trigger_id"]
    return kind, "body:" + hashlib.sha256(raw_body.encode()).hexdigest()


class Once:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.sessions = sessions
        self.clock = clock
        self._pruned = datetime.min.replace(tzinfo=UTC)
        self._lock = threading.Lock()

    def claim(self, team: str, kind: str, key: str) -> bool:
        """True the first time a request is seen; False for a repeat."""
        now = self.clock()
        try:
            with self.sessions.begin() as session:
                if session.get_bind().dialect.name == "postgresql":
                    # Slack waits for this claim, so it does not wait for the disk: a command that
                    # changes anything flushes the claim with its own commit, and if the database
                    # crashed before then, both are lost together and a retry runs it once.
                    session.execute(text("SET LOCAL synchronous_commit = off"))
                session.add(SlackRequest(team_id=team[:32], request_key=key[:128], kind=kind[:40], received_at=now))
        except IntegrityError:
            return False
        self.prune(now)
        return True

    def prune(self, now: datetime) -> None:
        with self._lock:
            if now - self._pruned < PRUNE_EVERY:
                return
            self._pruned = now
        try:
            with self.sessions.begin() as session:
                session.execute(delete(SlackRequest).where(SlackRequest.received_at < now - KEEP))
        except SQLAlchemyError:
            log.warning("could not prune old Slack request ids", exc_info=True)

    def middleware(self, request: BoltRequest, body: dict[str, Any], context: Any,
                   next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002  (Bolt's name)
        team = context.team_id or context.enterprise_id or ""
        kind, key = request_key(body, request.raw_body)
        try:
            first = self.claim(team, kind, key)
        except SQLAlchemyError:
            # The database is down: let the listener run and tell the person so.
            log.warning("could not record Slack request %s", key, exc_info=True)
            first = True
        if not first:
            retry = request.headers.get("x-slack-retry-num", ["?"])[0]
            log.info("ignoring a repeat of Slack request %s (retry %s)", key, retry)
            return BoltResponse(status=200, body="")
        next()
        return None
