"""The mail part of `python -m bench`: 1,000 queued mails sent through a local SMTP server.

The server (aiosmtpd, as in the tests) takes mail as fast as it can; its pace is measured
first by sending the same 1,000 messages, built beforehand, over one connection with smtplib
and nothing else.
Then partnerbot's sender drains the outbox: leases, builds (text and HTML), sends and marks
each mail sent. The figures: both times, partnerbot's share of the server's pace, and the
connections it opened (the target: at most one per 50 mails).
"""

from __future__ import annotations

import smtplib
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.config import Settings
from bot.email.render import message, wire
from bot.email.sender import Sender
from bot.email.servers import mail_from
from storage import mail
from storage.database import empty, make_engine, session_factory, upgrade
from storage.models import Mail
from tests.mail_servers import Smtp

MAILS = 1000


@dataclass
class Mailing:
    db: str
    mails: int
    pace_seconds: float
    seconds: float
    connections: int

    @property
    def share(self) -> float:
        """partnerbot's rate as a share of the server's own pace."""
        return self.pace_seconds / self.seconds if self.seconds else 0.0


def settings_for(url: str, smtp: Smtp) -> Settings:
    return Settings(database_url=url, timezone="UTC", slack_bot_token=None, slack_signing_secret=None,
                    slack_app_token=None, slack_api_url=None, port=0, matrix_homeserver=None, matrix_user_id=None,
                    matrix_password=None, matrix_access_token=None, smtp_url=smtp.url,
                    mail_from="Riverside partnerbot <partnerbot@town.example>")


def send_mail(kind: str, url: str, count: int = MAILS) -> Mailing:
    engine = make_engine(url)
    empty(engine)
    upgrade(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    smtp = Smtp()
    try:
        with sessions.begin() as session:
            for n in range(count):
                mail.queue(session, f"bench:{n}", f"resident{n}@example.org", f"This week in Riverside {n}",
                           f"What changed this week:\n\n- New commitment: Deliver leaflets {n}\n- Done: Book the hall",
                           now, unsubscribe=f"token{n}")
        with sessions() as session:
            built = [(row.to_address, wire(message(row, mail_from("partnerbot@town.example"), None,
                                                   "https://partners.example.org")))
                     for row in session.query(Mail).order_by(Mail.id)]
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", smtp.port) as client:
            for to, each in built:
                client.sendmail("partnerbot@town.example", [to], each)
        pace = time.perf_counter() - started
        before = smtp.connections
        started = time.perf_counter()
        report = Sender(settings_for(url, smtp), sessions).drain()
        seconds = time.perf_counter() - started
        if report.sent != count:
            raise RuntimeError(f"partnerbot sent {report.sent} of {count} mails: {report.summary()}")
        return Mailing(kind, count, pace, seconds, smtp.connections - before)
    finally:
        smtp.stop()
        engine.dispose()


def rows(results: list[Mailing]) -> list[str]:
    lines = ["| db | mails | server's pace (smtplib alone) | partnerbot | share of the pace | connections "
             "| mails per connection |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r.db} | {r.mails:,} | {r.pace_seconds:.2f} s ({r.mails / r.pace_seconds:.0f}/s) "
                     f"| {r.seconds:.2f} s ({r.mails / r.seconds:.0f}/s) | {r.share:.0%} | {r.connections} "
                     f"| {r.mails / max(1, r.connections):.0f} |")
    return lines
