"""Proposals the Matrix way, in an encrypted room: a vote is also a poll whose answers count as
votes, a 👍 or 👎 on a consensus proposal counts as agree or disagree, each is acknowledged,
and each counts once, even when the bot reads it again after a crash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.matrix import account
from bot.matrix.polls import POLL_START
from storage.models import Event
from tests.matrix_homeserver import Person, RunningBot

pytest_plugins = ("tests.matrix_fixtures",)

POLL_RESPONSE = "org.matrix.msc3381.poll.response"


def responses(sessions: sessionmaker[Session]) -> list[str]:
    """The event log's responses to decisions, oldest first: one line per response counted."""
    with sessions() as session:
        return list(session.scalars(select(Event.summary).where(Event.action == "respond").order_by(Event.id)))


def answer_poll(person: Person, room_id: str, poll: str, answer: str) -> str:
    return person.send(room_id, POLL_RESPONSE, {"m.relates_to": {"rel_type": "m.reference", "event_id": poll},
                                                POLL_RESPONSE: {"answers": [answer]}})


def acknowledgements(person: Person, room_id: str, bot: str, target: str) -> list[dict[str, Any]]:
    return [e["content"] for e in person.replies(room_id, bot).get(target, [])]


def test_poll_answers_and_reactions_count_once_each_even_after_a_restart(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str,
        sessions: sessionmaker[Session]) -> None:
    bot = start_bot()
    alice, bob = people("alice"), people("bob")
    room = alice.room_with_bot(bot_account, bob.mxid, encrypted=True)
    bob.join(room)
    alice.ask(room, '!partner setup "Riverside Partnership" kind:task-force', bot_account)
    alice.ask(room, '!partner join org:"Town Council" sector:public', bot_account)
    bob.ask(room, '!partner join org:"Chamber of Trade" sector:private', bot_account)

    vote = alice.say(room, '!partner propose "Adopt the market plan" mode:vote')
    assert "Adopt the market plan" in alice.answer(room, vote, bot_account)["body"]
    [poll] = alice.wait("the poll", lambda: [e for e in alice.history(room)
                                              if e["type"] == POLL_START and e["sender"] == bot_account])
    assert poll["decrypted"]
    assert [a["id"] for a in poll["content"][POLL_START]["answers"]] == ["yes", "no", "abstain"]
    consensus = alice.say(room, '!partner propose "Tell @room: close the car park on Sundays"')
    proposal = alice.answer(room, consensus, bot_account)
    # The title says @room, but the reply mentions only the proposer: nobody else is pinged.
    assert "@room" in proposal["body"] and proposal["m.mentions"] == {"user_ids": [alice.mxid]}
    assert poll["content"]["m.mentions"] == {}
    [proposal_id] = [e["event_id"] for e in alice.history(room) if e["content"] == proposal]

    answer_poll(bob, room, poll["event_id"], "yes")
    bob.react(room, proposal_id, "👍")
    alice.react(room, vote, "👍")  # a reaction to someone's message is not a response
    counted = alice.wait("both counted", lambda: len(acknowledgements(alice, room, bot_account, proposal_id)) == 1
                         and acknowledgements(alice, room, bot_account, poll["event_id"]))
    assert "yes" in counted[0]["body"] and counted[0]["m.mentions"] == {"user_ids": [bob.mxid]}
    [agreed] = acknowledgements(alice, room, bot_account, proposal_id)
    assert "agree" in agreed["body"]
    assert len(responses(sessions)) == 2

    # Alice answers too, and the bot dies after counting but before saving its place.
    before = account.sync_token(sessions, bot_account)
    answer_poll(alice, room, poll["event_id"], "no")
    alice.react(room, proposal_id, "👎🏽")
    alice.wait("alice counted", lambda: len(acknowledgements(alice, room, bot_account, proposal_id)) == 2)
    alice.wait("alice's vote counted", lambda: len(acknowledgements(alice, room, bot_account, poll["event_id"])) == 2)
    bot.stop()
    account.save(sessions, bot_account, next_batch=before)
    start_bot()
    alice.ask(room, "!partner decisions", bot_account)  # the restarted bot has read everything again

    assert len(responses(sessions)) == 4
    assert len(acknowledgements(alice, room, bot_account, poll["event_id"])) == 2
    disagreed = acknowledgements(alice, room, bot_account, proposal_id)
    assert len(disagreed) == 2 and "disagree" in disagreed[1]["body"]
    assert "Say why" in disagreed[1]["body"] and "!partner disagree" in disagreed[1]["body"]
