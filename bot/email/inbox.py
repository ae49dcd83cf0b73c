"""The mailbox replies arrive in (IMAP_URL): unread mail fetched, handed to the gateway, marked read.

A poll asks the folder for its unread mail (one IMAP SEARCH) and, when there is none, writes
one row to the database (when the mailbox was last read, for `doctor`): its cost does not grow
with anything. Each unread mail's size is fetched first; a mail over the limit is fetched as
headers only, so it can be refused without being read. A mail the gateway took is marked read;
one it could not take (the database away) stays unread for the next poll, and the Message-ID
mark keeps a mail fetched twice from acting twice. Between polls the connection waits on IDLE,
so a reply is taken as soon as it lands.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime

from imap_tools import AND, BaseMailBox, MailMessageFlags
from sqlalchemy.orm import Session, sessionmaker

from bot.email import gateway
from bot.email.servers import Refused, imap_endpoint, open_imap
from storage import nudges
from storage.database import database_now, transaction

log = logging.getLogger(__name__)

IDLE_SECONDS = 120.0  # well inside the 29 minutes RFC 2177 allows; a poll follows each wait regardless
RETRY_SECONDS = 60.0
SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
Take = Callable[..., gateway.Received]


def fetch(box: BaseMailBox, uid: str) -> tuple[bytes, int]:
    """A mail's bytes (its headers alone when it is over the limit) and its full size."""
    _, answer = box.client.uid("FETCH", uid, "(RFC822.SIZE)")
    found = SIZE.search(b" ".join(part for part in answer if isinstance(part, bytes)))
    size = int(found[1]) if found else 0
    part = "BODY.PEEK[]" if size <= gateway.MAX_BYTES else "BODY.PEEK[HEADER]"
    _, answer = box.client.uid("FETCH", uid, f"({part})")
    raw = next((item[1] for item in answer if isinstance(item, tuple)), b"")
    return raw, size


class Inbox:
    """Reads IMAP_URL's folder for replies."""

    def __init__(self, url: str, sessions: sessionmaker[Session], take: Take = gateway.take) -> None:
        self.endpoint = imap_endpoint(url)
        self.sessions = sessions
        self.take = take

    def poll(self, box: BaseMailBox | None = None, now: datetime | None = None) -> list[gateway.Received]:
        """Take every unread mail now; with no `box`, on a connection of its own."""
        if box is None:
            with open_imap(self.endpoint) as opened:
                return self.poll(opened, now)
        taken = []
        for uid in box.uids(AND(seen=False)):
            raw, size = fetch(box, uid)
            try:
                taken.append(self.take(raw, self.sessions, now, size=size))
            except Exception:  # the database away, say: the mail stays unread for the next poll
                log.exception("could not take a received mail; it stays unread")
                continue
            box.flag(uid, MailMessageFlags.SEEN, True)
        with transaction(self.sessions) as session:
            nudges.swept(session, "mail-in", now or database_now(self.sessions))
        return taken

    def watch(self, stop: threading.Event) -> None:
        """Poll, then wait on IDLE (or a minute, without it), until `stop` is set; reconnect after a failure."""
        while not stop.is_set():
            try:
                with open_imap(self.endpoint) as box:
                    idle = "IDLE" in box.client.capabilities
                    while not stop.is_set():
                        self.poll(box)
                        if idle:
                            box.idle.wait(timeout=IDLE_SECONDS)
                        else:
                            stop.wait(RETRY_SECONDS)
            except Refused as refused:
                log.error("the mailbox: %s", refused)
                return
            except Exception as failure:  # the server away, a dropped connection: try again in a minute
                log.warning("reading the mailbox failed (%s); trying again in a minute", failure)
                stop.wait(RETRY_SECONDS)
