"""Mail in: the IMAP mailbox (a fixed cost when empty, imaps:// too), the mail server's pipe
(`partnerbot mail-in`), the same mail taken by two at once acting once, and `partnerbot doctor`
checking SMTP and IMAP without sending or reading mail."""

from __future__ import annotations

import subprocess
import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from bot import doctor
from bot.email import gateway
from bot.email.inbox import Inbox
from storage.models import Commitment, CommitmentStatus, Event, Mail
from tests.environment import user_environment
from tests.test_console import PARTNERBOT
from tests.test_governance_sweep import counting

if TYPE_CHECKING:
    from tests.email_fixtures import Town
    from tests.mail_servers import Dovecot

pytest_plugins = ("tests.mail_servers", "tests.email_fixtures")

BOB = "bob@example.org"


def reply_bytes(to: str, body: str = "done", message_id: str = "<reply-1@example.org>") -> bytes:
    return (f"From: Bob <{BOB}>\r\nTo: {to}\r\nSubject: Re: #1\r\nMessage-ID: {message_id}\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n\r\n> the quoted nudge\r\n").encode()


def status(town: Town) -> CommitmentStatus:
    with town.chat.sessions() as session:
        return session.scalars(select(Commitment.status)).one()


def test_an_empty_mailbox_costs_one_statement_however_much_it_has_read(mailing: Town) -> None:
    inbox = Inbox(mailing.settings.imap_url or "", mailing.chat.sessions)
    engine = mailing.chat.sessions.kw["bind"]
    with counting(engine) as statements:
        assert inbox.poll(now=mailing.chat.now) == []
    assert len(statements) == 1  # when the mailbox was last read, for `doctor`
    mailing.nudged()
    for _ in range(3):
        mailing.reply(mailing.smtp.to(BOB)[-1], "mine", BOB)
    assert len(inbox.poll(now=mailing.chat.now)) == 3
    with counting(engine) as statements:
        assert inbox.poll(now=mailing.chat.now) == []
    assert len(statements) == 1


def test_imaps_reads_the_mailbox_over_tls_from_the_start(mailing: Town, dovecot: Dovecot) -> None:
    mailing.reply(mailing.nudged(), "done", BOB)
    mailing.settings = replace(mailing.settings, imap_url=dovecot.url(mailing.mailbox, "imaps"))
    mailing.mail()
    assert status(mailing) is CommitmentStatus.DONE


def test_the_pipe_takes_a_mail_once(sending: Town, tmp_path: object) -> None:
    to = sending.nudged()["Reply-To"]
    env = user_environment(DATABASE_URL=sending.chat.sessions.kw["bind"].url.render_as_string(hide_password=False),
                           SMTP_URL=sending.smtp.url, MAIL_FROM=sending.settings.mail_from or "")
    first = subprocess.run([str(PARTNERBOT), "mail-in"], input=reply_bytes(to), capture_output=True, env=env,
                           timeout=120, cwd=str(tmp_path))
    assert first.returncode == 0 and first.stdout.decode().startswith("acted"), first.stderr.decode()
    again = subprocess.run([str(PARTNERBOT), "mail-in"], input=reply_bytes(to), capture_output=True, env=env,
                           timeout=120, cwd=str(tmp_path))
    assert again.returncode == 0 and again.stdout.decode().startswith("repeat")
    assert status(sending) is CommitmentStatus.DONE
    with sending.chat.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(Event.action == "done")) == 1
        assert session.scalar(select(func.count()).select_from(Mail).where(Mail.key.startswith("answer:"))) == 1
    sending.mail()
    assert "done" in sending.smtp.wait_for(BOB, 3)[-1].text.lower()


def test_one_mail_taken_twice_at_once_acts_once(sending: Town) -> None:
    to = sending.nudged()["Reply-To"]
    raw = reply_bytes(to, 'drop 1 "The printer let us down"')
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def take() -> None:
        start.wait()
        outcomes.append(gateway.take(raw, sending.chat.sessions, sending.chat.now).outcome)

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["acted", "repeat"]
    with sending.chat.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(Event.action == "drop")) == 1
        assert session.scalar(select(func.count()).select_from(Mail).where(Mail.key.startswith("answer:"))) == 1


def test_mail_with_no_token_or_from_a_stranger_is_dropped_unanswered(sending: Town) -> None:
    to = sending.nudged()["Reply-To"]
    assert gateway.take(reply_bytes("partnerbot@town.example"), sending.chat.sessions).outcome == "refused"
    sending.mail()
    refusal = sending.smtp.wait_for(BOB, 3)[-1]  # Bob, writing anew to the bot's plain address
    assert "isn't a reply to one of partnerbot's mails" in refusal.text and "isn't the one confirmed" not in refusal.text
    assert refusal["Subject"] == "Re: #1"
    stranger = reply_bytes(to).replace(BOB.encode(), b"someone@example.net")
    assert gateway.take(stranger, sending.chat.sessions).outcome == "dropped"
    bounce = b"From: MAILER-DAEMON@example.org\r\nReturn-Path: <>\r\nTo: " + to.encode() + b"\r\n\r\nUndeliverable\r\n"
    assert gateway.take(bounce, sending.chat.sessions).outcome == "dropped"
    sending.mail()
    assert sending.smtp.to("someone@example.net") == [] and len(sending.smtp.to(BOB)) == 3
    assert status(sending) is CommitmentStatus.OPEN


def test_doctor_checks_smtp_and_imap_without_mail(mailing: Town, dovecot: Dovecot) -> None:
    sent_before = len(mailing.smtp.sent)
    findings = doctor.email(mailing.settings)
    lines = [f.line() for f in findings]
    assert all(f.ok for f in findings), lines
    assert any("MAIL_FROM is partnerbot-" in line for line in lines)
    assert any("answers, over no TLS (a server on this machine)" in line for line in lines)
    assert any("takes the login over TLS" in line for line in lines)
    wrong = replace(mailing.settings, imap_url=mailing.settings.imap_url.replace("mailbox-password", "wrong") if
                    mailing.settings.imap_url else None, mail_from="not an address")
    broken = [f for f in doctor.email(wrong) if f.ok is False]
    assert len(broken) == 2 and "IMAP_URL" in broken[1].text and "wrong" not in broken[1].line()
    assert len(mailing.smtp.sent) == sent_before and dovecot.unseen(mailing.mailbox) == 0


def test_the_passwords_never_reach_the_logs(mailing: Town) -> None:
    from bot.logs import secrets

    assert "mailbox-password" in secrets(mailing.settings)

