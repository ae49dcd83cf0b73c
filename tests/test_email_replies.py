"""Replies as mail clients and people write them: HTML with a head (Outlook's style sheet, a
title, a script), an unknown charset, and the verb answered in everyday words (`Done, thanks`,
`progress 50`), each acting on the thread's record."""

from __future__ import annotations

from email.utils import format_datetime
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from bot.email import gateway
from handlers.email.replies import VERBS, command_text
from handlers.email.threads import MODELS
from handlers.registry import COMMANDS, canonical
from storage.models import Commitment, CommitmentStatus, EmailThread, Event, GoalReading
from tests.conftest import START, Chat

if TYPE_CHECKING:
    from tests.email_fixtures import Town

pytest_plugins = ("tests.mail_servers", "tests.email_fixtures")

BOB = "bob@example.org"
OUTLOOK = ('<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta charset="utf-8">'
           "<title>Re: reminder</title><style><!-- p.MsoNormal, li.MsoNormal {margin:0cm; font-size:11.0pt;} --></style>"
           '</head><body lang="EN-GB"><div class="WordSection1"><p class="MsoNormal">done<o:p></o:p></p>'
           '<p class="MsoNormal"><o:p>&nbsp;</o:p></p><div style="border:none;border-top:solid #E1E1E1 1.0pt">'
           '<p class="MsoNormal"><b>From:</b> Riverside partnerbot<br><b>Sent:</b> 26 November 2026 10:00<br>'
           "<b>Subject:</b> #1 Deliver the leaflets</p></div><p>Deliver the leaflets is due tomorrow</p></div>"
           "</body></html>")


def mail(to: str, body: str, content_type: str = "text/plain; charset=utf-8", n: int = 1) -> bytes:
    return (f"From: Bob <{BOB}>\r\nTo: {to}\r\nSubject: Re: #1\r\nMessage-ID: <reply-{n}@example.org>\r\n"
            f"Date: {format_datetime(START)}\r\n"
            f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n").encode()


def commitment(town: Town) -> Commitment:
    with town.chat.sessions() as session:
        return session.scalars(select(Commitment)).one()


def done_note(town: Town) -> str | None:
    with town.chat.sessions() as session:
        return session.scalars(select(Event.reason).where(Event.action == "done")).one()


@pytest.mark.parametrize("body", [
    "<html><head><style>p {margin:0}</style></head><body><p>done</p></body></html>",
    "<html><head><title>Re: reminder</title></head><body><p>done</p></body></html>",
    "<html><head><script>var a = 1;</script></head><body>done<br>Bob</body></html>",
    OUTLOOK,
], ids=["style", "title", "script", "outlook"])
def test_an_html_reply_is_read_as_its_reader_sees_it(sending: Town, body: str) -> None:
    to = sending.nudged()["Reply-To"]
    outcome = gateway.take(mail(to, body, 'text/html; charset="utf-8"'), sending.chat.sessions, sending.chat.now)
    assert outcome.outcome == "acted", outcome.why
    assert commitment(sending).status is CommitmentStatus.DONE


def test_a_reply_in_an_unknown_charset_is_still_read(sending: Town) -> None:
    to = sending.nudged()["Reply-To"]
    outcome = gateway.take(mail(to, "done", 'text/plain; charset="unknown-8bit"'), sending.chat.sessions,
                           sending.chat.now)
    assert outcome.outcome == "acted", outcome.why
    assert commitment(sending).status is CommitmentStatus.DONE


@pytest.mark.parametrize(("first", "note"), [
    ("Done, thanks", "thanks"),
    ("Done: 500 delivered", "500 delivered"),
    ("Done - all 500 delivered", "all 500 delivered"),
    ("done. Thanks!", "Thanks!"),
])
def test_done_in_everyday_words_marks_the_threads_commitment_done_with_the_words_as_its_note(
        sending: Town, first: str, note: str) -> None:
    to = sending.nudged()["Reply-To"]
    outcome = gateway.take(mail(to, first), sending.chat.sessions, sending.chat.now)
    assert outcome.outcome == "acted", outcome.why
    assert commitment(sending).status is CommitmentStatus.DONE and done_note(sending) == note


def test_progress_without_a_percent_sign_is_a_percent_of_the_threads_commitment(sending: Town) -> None:
    to = sending.nudged()["Reply-To"]  # 2h of effort
    outcome = gateway.take(mail(to, "progress 50"), sending.chat.sessions, sending.chat.now)
    assert outcome.outcome == "acted", outcome.why
    assert commitment(sending).left_hours == 1.0
    outcome = gateway.take(mail(to, "Progress: 75%", n=2), sending.chat.sessions, sending.chat.now)
    assert outcome.outcome == "acted", outcome.why
    assert commitment(sending).left_hours == 0.5


def test_changing_address_by_mail_keeps_the_confirmed_one_until_the_new_one_is_confirmed(sending: Town) -> None:
    nudge = sending.nudged()
    new = "bob.new@example.org"
    outcome = gateway.take(mail(nudge["Reply-To"], f"notify email {new}"), sending.chat.sessions, sending.chat.now)
    assert outcome.outcome == "acted", outcome.why
    sending.mail()
    answer = sending.smtp.wait_for(BOB, 3)[-1]  # the answer comes back to the confirmed address
    assert "I've mailed a code to bob.new@example.org" in answer.text
    [code_mail] = sending.smtp.wait_for(new)
    assert code_mail["Reply-To"] == "" and "partnerbot+" not in code_mail.raw.decode()  # no reply token for a stranger
    assert "b***@example.org" in code_mail.text and BOB not in code_mail.text

    # Meanwhile the confirmed address still gets the nudges (not the chat), and its replies still act.
    sending.chat.advance(days=2)
    sending.sweep()
    sending.mail()
    assert "was due Fri 27 Nov" in sending.smtp.wait_for(BOB, 4)[-1].text and sending.inbox.to("@bob") == []
    outcome = gateway.take(mail(nudge["Reply-To"], f"notify email {new}", n=2), sending.chat.sessions, sending.chat.now)
    assert outcome.outcome == "acted", outcome.why  # the first code has expired: a new one
    sending.mail()
    code = sending.smtp.wait_for(new, 2)[-1].text.split("notify confirm ")[1][:6]

    outcome = gateway.take(mail(nudge["Reply-To"], f"notify confirm {code}", n=3), sending.chat.sessions,
                           sending.chat.now)
    assert outcome.outcome == "acted", outcome.why
    sending.mail()
    assert "Address confirmed" in sending.smtp.wait_for(new, 3)[-1].text
    # Now the new address is the one whose replies act, and the old one is refused.
    old = gateway.take(mail(nudge["Reply-To"], "done", n=4), sending.chat.sessions, sending.chat.now)
    assert old.outcome == "dropped" and commitment(sending).status is CommitmentStatus.OPEN
    moved = gateway.take(mail(nudge["Reply-To"], "done", n=5).replace(BOB.encode(), new.encode()),
                         sending.chat.sessions, sending.chat.now)
    assert moved.outcome == "acted", moved.why
    assert commitment(sending).status is CommitmentStatus.DONE


@pytest.mark.parametrize("kind", sorted(VERBS))
def test_every_verb_whose_usage_takes_a_note_takes_a_replys_free_words_as_it(town: Chat, kind: str) -> None:
    """Which bare verbs on a record's thread take the words after them as their note is what each
    command's usage declares (`Command.noted`), not a list of its own, so a new one is covered:
    the list had left out `abstain` and `close`, which take a reason too."""
    town.ok("bob", 'commit "Deliver the leaflets" by:friday')
    town.ok("alice", 'propose "Close the high street to cars" mode:consensus closes:friday')
    town.ok("carol", 'concern "The towpath is flooded"')
    with town.sessions() as session:
        record = session.scalars(select(MODELS[kind])).one()
        thread = EmailThread(subject_kind=kind, subject_id=record.id)
        said = {verb: command_text(session, thread, [f"{verb.capitalize()}, for now"]) for verb in VERBS[kind]}
    assert said == {verb: f'{verb} 1 "for now"' if COMMANDS[canonical(verb)].noted else f"{verb} 1 for now"
                    for verb in VERBS[kind]}
    if kind == "decision":
        assert {"agree", "abstain", "block", "close", "withdraw"} <= {v for v, text in said.items() if '"' in text}
        assert "abstain on #1 Close the high street to cars — for now" in town.ok("bob", said["abstain"])


def test_a_reading_by_mail_in_another_unit_than_its_goals_is_refused_as_in_the_chat(sending: Town) -> None:
    sending.chat.ok("alice", 'goal "Volunteer time" measure:"hours given" baseline:0 target:"500 hours" by:2027-08-31')
    to = sending.nudged()["Reply-To"]
    outcome = gateway.take(mail(to, "reading 1 12 km"), sending.chat.sessions, sending.chat.now)
    assert outcome.outcome == "refused"
    assert outcome.why.startswith("Goal #1 Volunteer time counts hours, not km, so nothing changed.")
    with sending.chat.sessions() as session:
        assert session.scalars(select(GoalReading)).all() == []
    outcome = gateway.take(mail(to, "reading 1 12 Hour", n=2), sending.chat.sessions, sending.chat.now)
    assert outcome.outcome == "acted", outcome.why
    with sending.chat.sessions() as session:
        assert session.scalars(select(GoalReading.value)).all() == [12]
