"""Mail out: `notify` and its codes, the outbox sent over STARTTLS with a login, one connection
for many mails, failures retried with a doubling pause and never sent twice, `notify both`."""

from __future__ import annotations

import ssl
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from bot.email.sender import PER_CONNECTION, Sender
from bot.email.servers import Endpoint, Refused, check_smtp, plain_login_allowed
from storage import mail
from storage.models import EmailAddress, Mail, NotifyMode
from tests.mail_servers import Smtp, certificate
from tests.test_races import at_once, one_wins

if TYPE_CHECKING:
    from tests.email_fixtures import Town

pytest_plugins = ("tests.mail_servers", "tests.email_fixtures")

BOB = "bob@example.org"


def queue_many(town: Town, count: int) -> None:
    with town.chat.sessions.begin() as session:
        for n in range(count):
            mail.queue(session, f"test:{n}", f"resident{n}@example.org", f"Mail {n}", f"Mail number {n}", town.chat.now)


def test_a_code_goes_at_once_and_only_its_owner_can_confirm(sending: Town) -> None:
    sending.chat.ok("bob", f"notify email {BOB}")
    code = sending.code(BOB)
    assert "mallory" not in code
    # Someone else typing Bob's code confirms nothing of theirs, nor Bob's.
    assert "No code is waiting" in sending.chat.refused("carol", f"notify confirm {code}")
    wrong = "000000" if code != "000000" else "111111"
    assert "4 more tries" in sending.chat.refused("bob", f"notify confirm {wrong}")
    assert "come in the chat" in sending.chat.ok("bob", "notify")
    assert "by email, to bob@example.org" in sending.chat.ok("bob", f"notify confirm {code}")
    with sending.chat.sessions() as session:
        row = session.scalars(select(EmailAddress)).one()
        assert (row.mode, row.code_hash, row.code_failures) == (NotifyMode.EMAIL, None, 0)


def test_five_wrong_codes_and_the_code_is_dead(sending: Town) -> None:
    sending.chat.ok("bob", f"notify email {BOB}")
    code = sending.code(BOB)
    for _ in range(5):
        sending.chat.refused("bob", "notify confirm 1234567")
    assert "Too many wrong codes" in sending.chat.refused("bob", f"notify confirm {code}")
    sending.chat.advance(days=2)
    sending.chat.ok("bob", f"notify email {BOB}")
    assert "expired" not in sending.chat.ok("bob", f"notify confirm {sending.code(BOB)}")


def test_codes_expire_and_are_limited_a_day(sending: Town) -> None:
    sending.chat.ok("bob", f"notify email {BOB}")
    code = sending.code(BOB)
    sending.chat.advance(days=1, minutes=1)
    assert "expired" in sending.chat.refused("bob", f"notify confirm {code}")
    for _ in range(5):  # a new day: five more
        sending.chat.ok("bob", f"notify email {BOB}")
    assert "5 codes today" in sending.chat.refused("bob", f"notify email {BOB}")


def test_notify_without_smtp_says_so(sending: Town, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMTP_URL")
    assert "hasn't set SMTP_URL" in sending.chat.refused("bob", f"notify email {BOB}")
    assert "doesn't look like an email address" in sending.chat.refused("bob", "notify email bob-at-example")
    # Nothing points to `notify email`, which would be refused.
    shown = sending.chat.ok("bob", "notify")
    assert "This partnerbot doesn't send email" in shown and "notify email" not in shown
    assert "hasn't set SMTP_URL" in sending.chat.refused("bob", "notify confirm 123456")


def test_both_sends_the_chat_message_and_the_mail(sending: Town) -> None:
    sending.switch("bob", BOB, "both")
    sending.chat.ok("bob", 'commit "Deliver the leaflets" by:friday effort:2h')
    sending.chat.advance(days=2)
    sending.sweep()
    sending.mail()
    assert any("Deliver the leaflets" in text for text in sending.inbox.to("@bob"))
    assert "Deliver the leaflets" in sending.smtp.wait_for(BOB, 2)[-1].text
    # The week's digest in the channel reaches him by mail too.
    sending.chat.advance(days=5)
    sending.sweep()
    sending.mail()
    assert any("The week in Riverside Partnership" in m.text for m in sending.smtp.to(BOB))


def test_starttls_with_a_login_and_one_connection_for_many_mails(sending: Town, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = certificate(tmp_path / "tls")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = Smtp(tls=context, login=("partnerbot", "s3cret pass"))
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        settings = replace(sending.settings, smtp_url=server.url)
        started = server.connections  # aiosmtpd tries its own server once it is up
        assert "over TLS, and takes the login" in check_smtp(server.url)
        queue_many(sending, PER_CONNECTION + 20)
        report = Sender(settings, sending.chat.sessions).drain(now=sending.chat.now)
        assert (report.sent, report.failed, report.connections) == (PER_CONNECTION + 20, 0, 2)
        assert server.connections - started == 3  # the check's, and two for the mails
        assert len(server.sent) == PER_CONNECTION + 20
        # Without the certificate trusted, nothing is sent (and nothing is lost).
        monkeypatch.delenv("SSL_CERT_FILE")
        queue_many_more = Sender(settings, sending.chat.sessions)
        with sending.chat.sessions.begin() as session:
            mail.queue(session, "untrusted", BOB, "Hello", "Hello", sending.chat.now)
        assert queue_many_more.drain(now=sending.chat.now).failed == 1
        assert server.to(BOB) == []
    finally:
        server.stop()


def test_a_password_needs_tls_except_on_this_machine() -> None:
    with_password = Endpoint("smtp", "mail.example.org", 587, "bot", "pw", "")
    assert not plain_login_allowed("192.0.2.7", with_password)
    assert plain_login_allowed("127.0.0.1", with_password) and plain_login_allowed("::1", with_password)
    assert plain_login_allowed("192.0.2.7", replace(with_password, password=None))
    with pytest.raises(Refused):
        Endpoint.parse("http://mail.example.org", "SMTP_URL", ("smtp", "smtps"))


def test_a_refused_mail_is_retried_later_and_never_sent_twice(sending: Town) -> None:
    sending.smtp.refusing["full@example.org"] = "452 Mailbox full, try later"
    with sending.chat.sessions.begin() as session:
        mail.queue(session, "one", "full@example.org", "Hello", "Hello", sending.chat.now)
        mail.queue(session, "two", BOB, "Hello", "Hello", sending.chat.now)
    sender = Sender(sending.settings, sending.chat.sessions)
    first = sender.drain(now=sending.chat.now)
    assert (first.sent, first.failed) == (1, 1)
    assert sender.drain(now=sending.chat.now + timedelta(seconds=30)).sent == 0  # waiting out its pause
    sending.smtp.refusing.clear()
    later = sender.drain(now=sending.chat.now + timedelta(minutes=1, seconds=1))
    assert later.sent == 1
    assert sender.drain(now=sending.chat.now + timedelta(hours=1)).sent == 0
    assert [len(sending.smtp.to(a)) for a in ("full@example.org", BOB)] == [1, 1]
    with sending.chat.sessions() as session:
        rows = session.scalars(select(Mail).order_by(Mail.id)).all()
        assert [(r.attempts, r.text, r.sent_at is not None) for r in rows] == [(1, "", True), (0, "", True)]


def test_a_server_that_is_down_loses_nothing(sending: Town) -> None:
    queue_many(sending, 3)
    sending.smtp.stop()
    report = Sender(sending.settings, sending.chat.sessions).drain(now=sending.chat.now)
    assert (report.sent, report.failed) == (0, 3)
    with sending.chat.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Mail).where(Mail.sent_at.is_(None))) == 3
    back = Smtp(port=sending.smtp.port)
    try:
        assert Sender(sending.settings, sending.chat.sessions).drain(
            now=sending.chat.now + timedelta(minutes=2)).sent == 3
        assert len(back.sent) == 3
    finally:
        back.stop()


def test_a_new_address_confirmed_twice_at_once_is_confirmed_once(sending: Town) -> None:
    """The same `notify confirm` arrives twice (a resend, a double tap), and with it a change of
    mind: the row lock lets one through, and the address is either the new one, confirmed, or
    still the old one with no code left waiting: never half of each."""
    sending.switch("bob", BOB)
    for round_ in range(3):
        new = f"bob.{round_}@example.org"
        sending.chat.ok("bob", f"notify email {new}")
        code = sending.code(new)
        winner, refusal = one_wins(at_once(sending.chat, ("bob", f"notify confirm {code}"),
                                           ("bob", f"notify confirm {code}")))
        assert "No code is waiting" in (refusal.text or "")
        with sending.chat.sessions() as session:
            row = session.scalars(select(EmailAddress)).one()
            assert (row.address, row.new_address, row.code_hash, row.mode) == (new, None, None, NotifyMode.EMAIL)
    sending.chat.ok("bob", f"notify email {BOB}")
    code = sending.code(BOB)
    replies = at_once(sending.chat, ("bob", f"notify confirm {code}"), ("bob", "notify chat"))
    assert not replies[1].error
    with sending.chat.sessions() as session:
        row = session.scalars(select(EmailAddress)).one()
        assert (row.new_address, row.code_hash, row.mode) == (None, None, NotifyMode.CHAT)
        # Confirmed before the change of mind, or never: the address mail would go to is one of Bob's.
        assert row.address == (BOB if not replies[0].error else "bob.2@example.org")
