"""A member on email, end to end, with real servers: the nudge arrives by SMTP, the reply travels
from a mail client through SMTP into the bot's IMAP mailbox (dovecot), and acts once.

As the issue checks it from outside: a member switches to email, confirms the address, receives
a nudge by SMTP, replies "done" from a mail client, and the commitment is done once, with a
confirmation mail; a forged reply from another address changes nothing; an auto-reply gets no
answer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from storage.models import Commitment, CommitmentStatus, Event, Mail
from tests.conftest import snapshot

if TYPE_CHECKING:
    from tests.email_fixtures import Town

pytest_plugins = ("tests.mail_servers", "tests.email_fixtures")

BOB = "bob@example.org"


def done_events(town: Town) -> int:
    with town.chat.sessions() as session:
        return session.scalar(select(func.count()).select_from(Event).where(Event.action == "done")) or 0


def status(town: Town, number: int) -> CommitmentStatus:
    with town.chat.sessions() as session:
        return session.scalars(select(Commitment.status).where(Commitment.number == number)).one()


def test_a_member_on_email_replies_done_and_it_is_done_once_with_a_confirmation(mailing: Town) -> None:
    nudge = mailing.nudged()
    assert nudge["Subject"] == "#1 Deliver the leaflets (Riverside Partnership)"
    assert "Deliver the leaflets is due" in nudge.text and "<code>done 1</code>" in nudge.html
    assert re.fullmatch(r"Riverside partnerbot <partnerbot-\S+\+[0-9a-f]{32}@town\.example>", nudge["Reply-To"])
    assert nudge["Auto-Submitted"] == "auto-generated"
    assert nudge["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert nudge["List-Unsubscribe"].startswith("<http") and nudge["References"] == nudge["In-Reply-To"]
    assert mailing.inbox.to("@bob") == []  # by email instead of the chat

    reply = mailing.reply(nudge, "Done!", BOB)
    mailing.mail()
    assert status(mailing, 1) is CommitmentStatus.DONE and done_events(mailing) == 1
    confirmation = mailing.smtp.wait_for(BOB, 3)[-1]
    assert "#1 Deliver the leaflets" in confirmation.text and "done" in confirmation.text.lower()
    assert confirmation["In-Reply-To"] == reply["Message-ID"]
    assert confirmation["Subject"] == "Re: " + nudge["Subject"]
    assert confirmation["Auto-Submitted"] == "auto-replied"
    assert nudge["References"].split()[0] in confirmation["References"]  # the same conversation

    # The same mail handed over again (a second fetch, a resend) acts once, and is answered once.
    assert mailing.dovecot is not None
    mailing.dovecot.deliver(mailing.mailbox, reply.as_bytes())
    mailing.mail()
    assert done_events(mailing) == 1 and len(mailing.smtp.to(BOB)) == 3
    # The channel hears it, as if it had been typed there.
    mailing.sweep()
    assert any("by email" in text and "Deliver the leaflets" in text for text in mailing.inbox.to("#general"))


def test_a_forged_reply_from_another_address_changes_nothing(mailing: Town) -> None:
    nudge = mailing.nudged()
    before = snapshot(mailing.chat.sessions)
    mailing.reply(nudge, 'drop 1 "not needed"', "mallory@example.net")
    mailing.reply(nudge, "done", f"Bob <{BOB.upper()}X>")
    mailing.mail()
    assert status(mailing, 1) is CommitmentStatus.OPEN
    assert mailing.smtp.to("mallory@example.net") == [] and mailing.smtp.to(f"{BOB.upper()}X") == []
    assert snapshot(mailing.chat.sessions) == before


def test_an_auto_reply_gets_no_answer(mailing: Town) -> None:
    nudge = mailing.nudged()
    mailing.reply(nudge, "I'm away until Monday.", BOB, Auto_Submitted="auto-replied")
    mailing.reply(nudge, "done", BOB, Precedence="bulk")
    mailing.mail()
    assert status(mailing, 1) is CommitmentStatus.OPEN
    assert len(mailing.smtp.to(BOB)) == 2  # the code and the nudge: no answer to either
    assert mailing.dovecot is not None and mailing.dovecot.unseen(mailing.mailbox) == 0  # read, and left alone


def test_replies_act_on_the_threads_record(mailing: Town) -> None:
    nudge = mailing.nudged()
    mailing.reply(nudge, "progress 50%", BOB)
    mailing.mail()
    answer = mailing.smtp.wait_for(BOB, 3)[-1]
    assert "50%" in answer.text and not answer.text.startswith("I don't know")
    with mailing.chat.sessions() as session:
        assert session.scalars(select(Commitment.left_hours).where(Commitment.number == 1)).one() == 1.0
    # Any command on the first line runs as typed, in the thread's partnership.
    mailing.reply(nudge, "mine", BOB)
    mailing.mail()
    assert "Deliver the leaflets" in mailing.smtp.wait_for(BOB, 4)[-1].text


def test_an_anonymous_concern_is_refused_by_mail_saying_how_to_raise_one(mailing: Town) -> None:
    nudge = mailing.nudged()
    before = snapshot(mailing.chat.sessions)["concerns"]
    mailing.reply(nudge, 'concern "The chair talks over volunteers" anonymous', BOB)
    mailing.mail()
    answer = mailing.smtp.wait_for(BOB, 3)[-1]
    assert "can't be raised anonymously by email" in answer.text and "direct message" in answer.text
    assert snapshot(mailing.chat.sessions)["concerns"] == before


def test_too_long_or_too_large_replies_are_refused_with_a_reply(mailing: Town) -> None:
    nudge = mailing.nudged()
    mailing.reply(nudge, "\n".join(f"done {n}" for n in range(25)), BOB)
    mailing.mail()
    assert "more than 20 lines" in mailing.smtp.wait_for(BOB, 3)[-1].text
    big = mailing.reply(nudge, "done\n\n" + "x" * 1_100_000, BOB)
    mailing.mail()
    assert "over 1 MB" in mailing.smtp.wait_for(BOB, 4)[-1].text
    assert status(mailing, 1) is CommitmentStatus.OPEN and big["Message-ID"]


def test_attachments_are_ignored(mailing: Town) -> None:
    nudge = mailing.nudged()
    message = mailing.reply(nudge, "done", BOB, send=False)
    message.add_attachment(b"%PDF-1.4 leaflet", maintype="application", subtype="pdf", filename="leaflet.pdf")
    mailing.smtp.send(message)
    mailing.mail()
    assert status(mailing, 1) is CommitmentStatus.DONE and done_events(mailing) == 1


def test_mail_waits_until_the_address_is_confirmed(mailing: Town) -> None:
    mailing.chat.ok("bob", 'commit "Deliver the leaflets" by:friday effort:2h')
    mailing.chat.ok("bob", f"notify email {BOB}")
    mailing.chat.advance(days=2)
    mailing.sweep()
    mailing.mail()
    assert len(mailing.smtp.to(BOB)) == 1  # the code, nothing else
    assert any("Deliver the leaflets" in text for text in mailing.inbox.to("@bob"))  # still in the chat
    with mailing.chat.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Mail).where(Mail.sent_at.is_(None))) == 0
