"""Sending the outbox: queued mails through the operator's SMTP server, each exactly once.

A drain leases a batch of mails (storage/mail.py), sends them over one SMTP connection (a fresh
one every PER_CONNECTION mails, as many servers cap a session there) and marks each sent as it
goes. A mail the server refuses is given back for a later try, after a pause that doubles; a
connection that fails gives back the rest of the batch and ends the drain, so a server that is
down or throttling is not hammered: the next drain tries again.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.email import render
from bot.email.servers import Refused, mail_from, open_smtp, smtp_endpoint
from bot.scheduler import worker_name
from handlers.publishing import site_address
from storage import mail, nudges
from storage.database import database_now, transaction
from storage.models import EmailThread

log = logging.getLogger(__name__)

PER_CONNECTION = 100
BATCH = 100
LEASE = timedelta(minutes=10)  # longer than a batch takes; a drain that dies frees its mails after this
# Refusals of one mail (its recipient, its contents), after which the connection still serves the next.
ONE_MAIL = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused)


@dataclass
class Drained:
    """What one drain did: mails sent and failed, and SMTP connections opened."""

    sent: int = 0
    failed: int = 0
    connections: int = 0

    def summary(self) -> str:
        return f"Sent {self.sent} mails over {self.connections} connections; {self.failed} failed."


class Sender:
    """Sends the outbox through SMTP_URL, as MAIL_FROM."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        if not settings.smtp_url:
            raise Refused("SMTP_URL is not set")
        self.endpoint = smtp_endpoint(settings.smtp_url)
        self.sender = mail_from(settings.mail_from)
        self.sessions = sessions
        self.worker = worker_name()

    def drain(self, now: datetime | None = None) -> Drained:
        """Send every mail that may go now; `now` fixes the clock (tests)."""
        report = Drained()
        smtp: smtplib.SMTP | None = None
        used = 0
        try:
            while True:
                moment = now or database_now(self.sessions)
                with transaction(self.sessions) as session:
                    batch = self.lease(session, moment)
                if not batch:
                    return report
                for at, (mail_id, to, message) in enumerate(batch):
                    try:
                        if smtp is None or used >= PER_CONNECTION:
                            smtp = self.reconnect(smtp)
                            report.connections, used = report.connections + 1, 0
                        smtp.sendmail(self.sender.addr_spec, [to], message)
                        used += 1
                    except ONE_MAIL as refused:
                        self.give_back([mail_id], refused, moment)
                        report.failed += 1
                        continue
                    except (smtplib.SMTPException, OSError, Refused) as failure:
                        self.give_back([m for m, _, _ in batch[at:]], failure, moment)
                        report.failed += len(batch) - at
                        return report
                    with transaction(self.sessions) as session:
                        if not mail.sent(session, mail_id, self.worker, moment):
                            log.warning("the lease on mail %s ran out while it was sent", mail_id)
                    report.sent += 1
        finally:
            if smtp is not None:
                close(smtp)

    def lease(self, session: Session, now: datetime) -> list[tuple[int, str, bytes]]:
        """A batch of mails leased to this sender, built as they will be sent (threads read in one query)."""
        rows = mail.lease(session, self.worker, now, now + LEASE, BATCH)
        ids = {row.thread_id for row in rows if row.thread_id is not None}
        threads = {t.id: t for t in session.scalars(select(EmailThread).where(EmailThread.id.in_(ids)))} if ids else {}
        site = site_address()
        return [(row.id, row.to_address, render.wire(render.message(row, self.sender, threads.get(row.thread_id or 0), site)))
                for row in rows]

    def reconnect(self, smtp: smtplib.SMTP | None) -> smtplib.SMTP:
        if smtp is not None:
            close(smtp)
        return open_smtp(self.endpoint)

    def give_back(self, ids: list[int], failure: BaseException, now: datetime) -> None:
        log.warning("sending %d mails failed, to be tried again: %s", len(ids), failure)
        with transaction(self.sessions) as session:
            mail.failed(session, ids, self.worker, f"{type(failure).__name__}: {failure}", now)

    def record(self, at: datetime) -> None:
        """Note that the outbox was drained (for `doctor`)."""
        with transaction(self.sessions) as session:
            nudges.swept(session, "mail-out", at)


def close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()

