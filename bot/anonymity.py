"""What the adapters' records of an anonymous command may keep: nothing that matches it.

Each platform remembers the requests it has handled (so a resend runs once). For an
anonymous command that record must not hold the message's id, its room or its moment,
or anyone reading the database could line it up with the chat and find who asked.
"""

from __future__ import annotations

import hashlib
from datetime import datetime


def anonymised(request_id: str) -> str:
    """A request id no one can read back; a resend of the same request gives the same one."""
    return "anon:" + hashlib.sha256(request_id.encode()).hexdigest()


def start_of_day(moment: datetime) -> datetime:
    """The day, not the moment: enough to forget old records by, too coarse to match."""
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)
