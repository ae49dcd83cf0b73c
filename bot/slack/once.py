"""Acting on each Slack request once, however often Slack sends it.

Slack resends a request it thinks went unanswered (with X-Slack-Retry-Num). Each request has
an id its retries share (the event id, the trigger id, or a digest of the body), kept in
`slack_requests`, whose unique constraint lets exactly one delivery through:
- a request that runs a command writes its id in the command's own transaction (`Mark`,
  passed to `handlers.handle` as its `once`), so the id is there exactly when the change
  is: a crash before the commit leaves neither, and Slack's retry then runs the command,
  while a retry after the commit finds the id and does nothing;
- any other request (an event) claims its id in a short transaction of its own (`claim`).
This middleware only hands each request its `Mark`: it never waits on the database, so a
database that is slow or away cannot hold up Slack's acknowledgement.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.anonymity import anonymised, start_of_day
from storage.models import SlackRequest

log = logging.getLogger(__name__)

KEEP = timedelta(days=2)  # Slack stops retrying within minutes; two days is generous
PRUNE_EVERY = timedelta(hours=1)
CONTEXT_KEY = "once"  # where listeners find the request's Mark in Bolt's context
SLACK_REQUESTS = SlackRequest.__table__


def request_key(body: dict[str, Any], raw_body: str) -> tuple[str, str]:
    """What kind of request this is, and the id its retries share."""
    kind = body.get("type") or ("slash_command" if "command" in body else "request")
    if body.get("event_id"):
        return kind, "event:" + str(body["event_id"])
    if body.get("trigger_id"):
        return kind, "trigger:" + str(body["trigger_id"])
    return kind, "body:" + hashlib.sha256(raw_body.encode()).hexdigest()


@dataclass(frozen=True)
class Mark:
    """One request's id, written by whoever acts on the request; a `handlers.dispatch.Once`."""

    team: str
    kind: str
    key: str
    now: datetime
    anonymous: bool = False

    def discreet(self) -> Mark:
        return replace(self, anonymous=True)

    def __call__(self, session: Session) -> None:
        key, received = self.key, self.now
        if self.anonymous:
            # Still one row per request, but neither its id nor its moment can be matched.
            key, received = anonymised(key), start_of_day(received)
        # A plain INSERT, not an object added and flushed: the unit of work cost a tenth of `commit`.
        session.execute(insert(SLACK_REQUESTS).values(team_id=self.team[:32], request_key=key[:128],
                                                     kind=self.kind[:40], received_at=received))


def claim(sessions: sessionmaker[Session], mark: Mark) -> bool:
    """For a request that runs no command: True the first time it is seen, False for a repeat."""
    try:
        with sessions.begin() as session:
            mark(session)
    except IntegrityError:
        return False
    return True


class Once(Middleware):
    """Bolt middleware handing each request its `Mark` (a `Middleware` of its own: see connections.KeepOpen)."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.sessions = sessions
        self.clock = clock
        self._pruned = datetime.min.replace(tzinfo=UTC)
        self._lock = threading.Lock()

    def prune_now_and_then(self, now: datetime) -> None:
        """Forget old ids, at most hourly, in the background."""
        with self._lock:
            if now - self._pruned < PRUNE_EVERY:
                return
            self._pruned = now
        threading.Thread(target=self.prune, args=(now,), name="prune-slack-requests", daemon=True).start()

    def prune(self, now: datetime) -> None:
        try:
            with self.sessions.begin() as session:
                session.execute(delete(SlackRequest).where(SlackRequest.received_at < now - KEEP))
        except SQLAlchemyError:
            log.warning("could not prune old Slack request ids", exc_info=True)

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002
        """Give the request its Mark, for whoever acts on it."""
        context = req.context
        kind, key = request_key(req.body, req.raw_body)
        mark = Mark(context.team_id or context.enterprise_id or "", kind, key, self.clock())
        self.prune_now_and_then(mark.now)
        context[CONTEXT_KEY] = mark
        return next()
