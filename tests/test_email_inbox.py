"""Mail in: the IMAP mailbox (a fixed cost when empty, imaps:// too), the mail server's pipe
(`partnerbot mail-in`), the same mail taken by two at once acting once, and `partnerbot doctor`
checking SMTP and IMAP without sending or reading mail."""

from __future__ import annotations

import subprocess
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select, update

from bot import doctor
from bot.email import gateway
from bot.email.inbox import Inbox
from handlers.email import replies
from storage import mail
from storage.database import database_now, transaction
from storage.models import Commitment, CommitmentStatus, Event, Mail, MailReceived
from tests.conftest import START
from tests.environment import user_environment
from tests.test_console import PARTNERBOT
from tests.test_governance_sweep import counting
from tests.test_web_races import together

if TYPE_CHECKING:
    from tests.email_fixtures import Town
    from tests.mail_servers import Dovecot

pytest_plugins = ("tests.mail_servers", "tests.email_fixtures")

BOB = "bob@example.org"


def reply_bytes(to: str, body: str = "done", message_id: str = "<reply-1@example.org>",
                dated: datetime | None = START, received: tuple[datetime, ...] = ()) -> bytes:
    """Bob's reply, `dated` by his mail client (None: undated), through servers that stamped it
    at `received`, the first server's last."""
    date = f"Date: {format_datetime(dated)}\r\n" if dated is not None else ""
    hops = "".join(f"Received: from hop{n} by mx.example.org; {format_datetime(at)}\r\n"
                   for n, at in enumerate(received))
    return (f"{hops}From: Bob <{BOB}>\r\nTo: {to}\r\nSubject: Re: #1\r\nMessage-ID: {message_id}\r\n{date}"
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
    sent = reply_bytes(to, dated=database_now(sending.chat.sessions))  # the pipe takes it by the database's clock
    env = user_environment(DATABASE_URL=sending.chat.sessions.kw["bind"].url.render_as_string(hide_password=False),
                           SMTP_URL=sending.smtp.url, MAIL_FROM=sending.settings.mail_from or "")
    first = subprocess.run([str(PARTNERBOT), "mail-in"], input=sent, capture_output=True, env=env,
                           timeout=120, cwd=str(tmp_path))
    assert first.returncode == 0 and first.stdout.decode().startswith("acted"), first.stderr.decode()
    again = subprocess.run([str(PARTNERBOT), "mail-in"], input=sent, capture_output=True, env=env,
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


def marks(town: Town) -> set[str]:
    with town.chat.sessions() as session:
        return set(session.scalars(select(MailReceived.message_key)))


def outbox(town: Town) -> dict[str, datetime | None]:
    """Every row of the outbox: its key, and when it was sent (None: still owed)."""
    with town.chat.sessions() as session:
        return {k: sent for k, sent in session.execute(select(Mail.key, Mail.sent_at))}


def key(raw: bytes) -> str:
    return gateway.message_key(gateway.parse(raw), raw)


def left_hours(town: Town) -> float:
    with town.chat.sessions() as session:
        return session.scalars(select(Commitment.left_hours)).one()


@pytest.mark.parametrize(("age", "refused"), [
    (timedelta(days=29, hours=23), None),
    (timedelta(days=30, minutes=1), "dated more than 30 days ago"),
    (-timedelta(hours=23), None),  # a clock a few hours fast, or a zone set wrong
    (-timedelta(days=1, minutes=1), "dated more than 1 day from now"),
    (None, "carries no date I can read"),
], ids=["29-days-old", "30-days-old", "23-hours-ahead", "a-day-ahead", "undated"])
def test_a_reply_acts_only_while_its_date_is_within_the_window(sending: Town, age: timedelta | None,
                                                                 refused: str | None) -> None:
    to = sending.nudged()["Reply-To"]
    with sending.chat.sessions() as session:
        events = session.scalar(select(func.count()).select_from(Event))
    raw = reply_bytes(to, dated=sending.chat.now - age if age is not None else None)
    outcome = gateway.take(raw, sending.chat.sessions, sending.chat.now)
    if refused is None:
        assert outcome.outcome == "acted", outcome.why
        assert status(sending) is CommitmentStatus.DONE
        return
    assert outcome.outcome == "refused" and refused in outcome.why
    assert status(sending) is CommitmentStatus.OPEN
    with sending.chat.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == events
    sending.mail()
    answer = sending.smtp.wait_for(BOB, 3)[-1]  # the code, the reminder, then this
    assert refused in answer.text and "so nothing was done" in answer.text and "`done`" in answer.text
    assert answer["In-Reply-To"] == "<reply-1@example.org>"
    # Taken on, so fetched again it is a repeat, and answered once.
    assert gateway.take(raw, sending.chat.sessions, sending.chat.now).outcome == "repeat"


def test_an_old_mail_from_a_stranger_is_still_dropped_unanswered(sending: Town) -> None:
    to = sending.nudged()["Reply-To"]
    stranger = reply_bytes(to, dated=sending.chat.now - timedelta(days=60)).replace(BOB.encode(), b"someone@example.net")
    assert gateway.take(stranger, sending.chat.sessions, sending.chat.now).outcome == "dropped"
    sending.mail()
    assert sending.smtp.to("someone@example.net") == [] and status(sending) is CommitmentStatus.OPEN


def test_an_undated_reply_is_judged_by_its_first_servers_stamp(sending: Town) -> None:
    """Not by when it is taken: a copy delivered again a month later keeps the first stamp."""
    to = sending.nudged()["Reply-To"]
    now = sending.chat.now
    late = reply_bytes(to, dated=None, received=(now - timedelta(minutes=1), now - timedelta(days=31)))
    outcome = gateway.take(late, sending.chat.sessions, now)
    assert outcome.outcome == "refused" and "dated more than 30 days ago" in outcome.why
    fresh = reply_bytes(to, message_id="<reply-2@example.org>", dated=None,
                        received=(now - timedelta(minutes=1), now - timedelta(minutes=2)))
    outcome = gateway.take(fresh, sending.chat.sessions, now)
    assert outcome.outcome == "acted", outcome.why
    assert status(sending) is CommitmentStatus.DONE


def test_the_sweep_forgets_a_mark_once_no_copy_of_its_mail_could_act(sending: Town) -> None:
    """The mark of a mail taken a month and more ago goes; a recent one stays, and still finds
    a repeat; the old mail coming back after its mark went is refused as old, not acted on again."""
    to = sending.nudged()["Reply-To"]  # 2h of effort
    first = reply_bytes(to, "progress 50", "<first@example.org>", dated=sending.chat.now)
    assert gateway.take(first, sending.chat.sessions, sending.chat.now).outcome == "acted"
    sending.mail()  # its answer goes out
    sending.chat.advance(days=31)
    second = reply_bytes(to, "progress 75", "<second@example.org>", dated=sending.chat.now)
    assert gateway.take(second, sending.chat.sessions, sending.chat.now).outcome == "acted"
    assert left_hours(sending) == 0.5
    sending.chat.advance(days=1)
    sending.sweep()
    assert marks(sending) == {key(first), key(second)}  # 32 days: kept a day past the last moment it could act
    sending.chat.advance(minutes=1)
    sending.sweep()
    assert marks(sending) == {key(second)}
    assert not any(k.endswith(key(first)) for k in outbox(sending))  # its answer's row went too

    again = gateway.take(first, sending.chat.sessions, sending.chat.now)
    assert again.outcome == "refused" and "dated more than 30 days ago" in again.why
    assert gateway.take(second, sending.chat.sessions, sending.chat.now).outcome == "repeat"
    assert left_hours(sending) == 0.5
    with sending.chat.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(Event.action == "progress")) == 2


def test_the_sweep_forgets_sent_mail_as_long_ago_but_never_mail_still_owed(sending: Town) -> None:
    """The outbox keeps a sent mail's row (its key) as long as a mark, then lets it go; a mail
    not sent yet stays whatever its age, and goes out afterwards."""
    sending.nudged()  # the code, two days ago, and the reminder, now
    sent = outbox(sending)
    code = {k for k, at in sent.items() if at is not None and at < sending.chat.now}
    reminder = {k for k, at in sent.items() if at == sending.chat.now}
    assert code and reminder
    sending.chat.advance(days=replies.MARKS_KEPT.days - 1)
    with transaction(sending.chat.sessions) as session:
        mail.queue(session, "recent", BOB, "Sent a day later", "words", sending.chat.now)
    sending.mail()
    with transaction(sending.chat.sessions) as session:
        mail.queue(session, "owed", BOB, "Still to go", "words", sending.chat.now)
    sending.chat.advance(days=1)
    sending.sweep()
    left = outbox(sending)
    assert reminder | {"recent", "owed"} <= left.keys() and not code & left.keys()
    sending.chat.advance(minutes=1)
    sending.sweep()
    left = outbox(sending)
    assert not reminder & left.keys() and left["recent"] is not None and left["owed"] is None
    sending.mail()
    assert outbox(sending)["owed"] is not None
    assert [m["Subject"] for m in sending.smtp.to(BOB)].count("Still to go") == 1


def test_sweepers_at_once_forget_every_old_mark_and_sent_mail_a_batch_at_a_time(
        sending: Town, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replies, "FORGET_BATCH", 3)
    old, recent = sending.chat.now, sending.chat.now + replies.MARKS_KEPT
    with transaction(sending.chat.sessions) as session:
        for n in range(10):
            mail.take_in(session, f"old{n}", old)
            mail.queue(session, f"sent-old{n}", BOB, "Sent", "", old)
        for n in range(2):
            mail.take_in(session, f"recent{n}", recent)
            mail.queue(session, f"sent-recent{n}", BOB, "Sent", "", recent)
        session.execute(update(Mail).values(sent_at=Mail.created_at))
    sending.chat.advance(days=replies.MARKS_KEPT.days, minutes=1)
    together(2, sending.sweep)
    assert marks(sending) == {"recent0", "recent1"}
    assert outbox(sending).keys() == {"sent-recent0", "sent-recent1"}


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

