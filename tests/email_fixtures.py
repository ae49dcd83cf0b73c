"""The bot's email, wired to the test mail servers, on the chat's clock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import scheduler
from bot.config import Settings
from bot.email.app import MailService
from bot.email.delivery import routed
from bot.scheduler import SweepReport
from tests.conftest import Chat
from tests.mail_servers import Dovecot, Sent, Smtp
from tests.test_nudges import Inbox


def mail_settings(sessions: sessionmaker[Session], smtp: Smtp, mailbox: str, imap_url: str | None = None) -> Settings:
    return Settings(database_url=str(sessions.kw["bind"].url), timezone="UTC", slack_bot_token=None,
                    slack_signing_secret=None, slack_app_token=None, slack_api_url=None, port=0, matrix_homeserver=None,
                    matrix_user_id=None, matrix_password=None, matrix_access_token=None, smtp_url=smtp.url,
                    mail_from=f"Riverside partnerbot <{mailbox}>", imap_url=imap_url)


@dataclass
class Town:
    """The chat, its chat inbox, the mail server, the bot's mailbox, and email running on the chat's clock."""

    chat: Chat
    inbox: Inbox
    smtp: Smtp
    mailbox: str
    settings: Settings
    dovecot: Dovecot | None = None

    @property
    def service(self) -> MailService:
        return MailService(self.settings, self.chat.sessions)

    def sweep(self) -> SweepReport:
        """A nudge sweep of the console chat, with mail for those who chose it."""
        return scheduler.sweep(self.chat.sessions, routed(self.settings, self.chat.sessions, self.inbox, "console"),
                               "console", now=self.chat.now)

    def mail(self) -> None:
        """One round of email: read the mailbox, queue followers' weeks, send the outbox."""
        self.service.tick(now=self.chat.now)

    def code(self, address: str) -> str:
        self.mail()
        found = re.search(r"notify confirm (\d{6})", self.smtp.wait_for(address)[-1].text)
        assert found, "no code in the mail"
        return found[1]

    def switch(self, user: str, address: str, mode: str = "email") -> None:
        """`user` chooses mail and confirms the address with the code mailed to it."""
        self.chat.ok(user, f"notify {mode} {address}")
        self.chat.ok(user, f"notify confirm {self.code(address)}")

    def nudged(self, user: str = "bob", address: str = "bob@example.org") -> Sent:
        """`user` logs leaflets due Friday and switches to email; on Thursday the sweep reminds
        them by mail. The reminder, as it arrived."""
        self.chat.ok(user, 'commit "Deliver the leaflets" by:friday effort:2h')
        self.switch(user, address)
        self.chat.advance(days=2)
        self.sweep()
        self.mail()
        return self.smtp.wait_for(address, 2)[-1]

    def reply(self, to: Sent, body: str, sender: str, send: bool = True, **headers: str) -> EmailMessage:
        """A person answering a mail from their mail client, quoting it, as clients do, dated by the chat's clock."""
        message = EmailMessage()
        message["From"] = sender
        message["Date"] = format_datetime(self.chat.now)
        message["To"] = to["Reply-To"] or to["From"]
        message["Subject"] = "Re: " + to["Subject"]
        message["Message-ID"] = make_msgid(domain="example.org")
        message["In-Reply-To"] = to["Message-ID"]
        message["References"] = to["Message-ID"]
        for name, value in headers.items():
            message[name.replace("_", "-")] = value
        quoted = "\n".join("> " + line for line in to.text.splitlines())
        message.set_content(f"{body}\n\nOn Thu, 26 Nov 2026 at 10:00, partnerbot wrote:\n{quoted}\n")
        if send:
            self.smtp.send(message)
        return message


@pytest.fixture
def mailing(town: Chat, post_office: tuple[Smtp, str], dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Town:
    """The Riverside town with email: SMTP and the bot's IMAP mailbox."""
    smtp, mailbox = post_office
    monkeypatch.setenv("SMTP_URL", smtp.url)
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.cert))  # dovecot's self-signed certificate is trusted
    settings = mail_settings(town.sessions, smtp, mailbox, dovecot.url(mailbox))
    return Town(town, Inbox(), smtp, mailbox, settings, dovecot)


@pytest.fixture
def sending(town: Chat, smtp: Smtp, monkeypatch: pytest.MonkeyPatch) -> Town:
    """The Riverside town with mail out only (no mailbox): what needs no dovecot."""
    monkeypatch.setenv("SMTP_URL", smtp.url)
    return Town(town, Inbox(), smtp, "partnerbot@town.example", mail_settings(town.sessions, smtp,
                                                                              "partnerbot@town.example"))

