"""What a partner on email must act on reaches them by mail: a proposal opened (in its own
conversation, so `vote yes` acts on it), a concern raised, a meeting's poll; once each, never
to its author, and not at all once it is settled. The weekly digest lists the proposals
awaiting responses. A command by mail is copied into the chat's rooms, not mailed back."""

from __future__ import annotations

from email.utils import format_datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from bot.email import gateway
from storage.models import DecisionResponse, Mail, Position
from tests.conftest import START

if TYPE_CHECKING:
    from tests.email_fixtures import Town
    from tests.mail_servers import Sent

pytest_plugins = ("tests.mail_servers", "tests.email_fixtures")

BOB = "bob@example.org"


def deliver(town: Town) -> None:
    """A sweep of the chat (with mail for those on email), then the outbox sent."""
    town.sweep()
    town.mail()


def subjects(town: Town, address: str = BOB) -> list[str]:
    return [m["Subject"] for m in town.smtp.to(address)]


def answer(to: Sent, body: str, message_id: str) -> bytes:
    """A one-part reply from bob's mail client to a mail he received."""
    return (f"From: Bob <{BOB}>\r\nTo: {to['Reply-To']}\r\nSubject: Re: {to['Subject']}\r\nMessage-ID: {message_id}\r\n"
            f"Date: {format_datetime(START)}\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n\r\n> {to.text[:40]}\r\n").encode()


def test_a_proposal_reaches_a_member_on_email_once_in_its_own_conversation(sending: Town) -> None:
    sending.switch("bob", BOB)
    sending.chat.ok("alice", 'propose "Adopt the market plan" mode:vote closes:2026-12-02')
    sending.chat.ok("carol", 'concern "The budget split favours the council" kind:priorities severity:high')
    deliver(sending)
    deliver(sending)  # a second round sends nothing again
    mails = sending.smtp.to(BOB)
    assert subjects(sending) == ["Your partnerbot code", "Proposal #1 Adopt the market plan (Riverside Partnership)",
                                 "Concern #1 The budget split favours the council (Riverside Partnership)"]
    proposal = mails[1]
    assert "Closes Wed 2 Dec 23:59" in proposal.text and "`vote 1 yes`" in proposal.text
    assert "raised: The budget split favours the council" in mails[2].text
    # Nobody in the chat is sent it again: they read it in the channel.
    assert sending.inbox.messages == []

    # Bob answers it by mail, with the bare verb, in the proposal's own conversation.
    outcome = gateway.take(answer(proposal, "vote yes", "<vote-1@example.org>"), sending.chat.sessions, sending.chat.now)
    assert outcome.outcome == "acted", outcome.why
    with sending.chat.sessions() as session:
        assert session.scalars(select(DecisionResponse.position)).all() == [Position.YES]


def test_nothing_is_mailed_to_its_author_nor_once_it_is_settled(sending: Town) -> None:
    sending.switch("bob", BOB)
    sending.switch("carol", "carol@example.org")
    sending.chat.ok("bob", 'propose "Move meetings to Thursdays" closes:2026-12-02')  # bob's own: not mailed to him
    sending.chat.ok("alice", 'propose "Close the car park" closes:2026-12-02')
    sending.chat.ok("alice", "withdraw 2")  # withdrawn before the sweep: mailed to nobody
    sending.chat.ok("alice", 'concern "The hall is double-booked"')
    sending.chat.ok("alice", 'resolve 1 "Booked the library instead"')
    sending.chat.ok("alice", 'meeting propose "Steering group" slots:"monday 18:00, tuesday 18:00"')
    sending.chat.ok("carol", "meeting answer 1 yes:1")  # carol answered in the chat meanwhile
    deliver(sending)
    assert subjects(sending) == ["Your partnerbot code", "From partnerbot (Riverside Partnership)"]
    assert "Meeting 1: Steering group" in sending.smtp.to(BOB)[-1].text
    assert "`meeting answer 1 yes:1 maybe:2`" in sending.smtp.to(BOB)[-1].text
    assert subjects(sending, "carol@example.org") == [
        "Your partnerbot code", "Proposal #1 Move meetings to Thursdays (Riverside Partnership)"]


def test_the_weekly_digest_lists_the_proposals_awaiting_responses(sending: Town) -> None:
    sending.chat.ok("alice", "tz America/Los_Angeles")
    sending.chat.ok("alice", 'propose "Adopt the market plan" mode:vote closes:2026-12-08')
    sending.chat.advance(days=6)  # Monday 30 November: the week's digest
    sending.sweep()
    digest = next(text for who, text in sending.inbox.messages if who == "#general" and "The week in" in text)
    assert "Proposals awaiting responses (1): #1 Adopt the market plan (closes Tue 8 Dec 23:59 PST; `decision 1`)" \
        in digest


def test_a_command_by_mail_is_copied_to_the_chat_but_not_mailed_back_to_its_author(sending: Town) -> None:
    nudge = sending.nudged()
    outcome = gateway.take(answer(nudge, 'done "all 500"', "<done-1@example.org>"), sending.chat.sessions,
                           sending.chat.now)
    assert outcome.outcome == "acted"
    sending.chat.advance(minutes=5)
    deliver(sending)
    deliver(sending)
    assert any("Bob, by email: Done" in text for who, text in sending.inbox.messages if who == "#general")
    mails = sending.smtp.to(BOB)
    assert [m["Subject"] for m in mails[2:]] == ["Re: " + nudge["Subject"]]  # the answer alone
    with sending.chat.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Mail)) == 3  # the code, the nudge, the answer
