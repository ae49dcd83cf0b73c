"""The Slack endpoint's defence against requests it cannot use: each gets a 4xx, never a 500.

(Bodies too large or unreadable are refused before Bolt sees them: bot/web/server.py.)
`bad_request` is Bolt's error handler: a request missing what Slack always sends (a user, a
team) makes a listener fail before it acknowledges, which is the request's fault (400).
Handlers never raise, so nothing legitimate ends up here.
"""

from __future__ import annotations

import logging

from slack_bolt import BoltResponse

log = logging.getLogger(__name__)


def bad_request(error: Exception, response: BoltResponse | None) -> BoltResponse | None:
    """Answer 400 for a request that made a listener (or middleware) fail before acknowledging."""
    log.warning("could not act on a Slack request: %r", error, exc_info=True)
    if response is None:  # acknowledged already: Slack has its answer
        return None
    return BoltResponse(status=400, body="Bad request")
