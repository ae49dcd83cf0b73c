"""Private paths on a real Synapse: what is for one person alone (an anonymous concern's answer,
a reopen code, a sign-in link, a nudge) is said only in a room whose members are exactly the
bot and that person, whose history later joiners cannot read, and which is no partnership's
room; checked again with the homeserver just before it goes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import scheduler
from bot.matrix.chat import SAY_IT_HERE
from storage.models import Concern, MatrixDirectRoom
from tests.anonymity import REOPEN_CODE
from tests.matrix_homeserver import Person, RunningBot

pytest_plugins = ("tests.matrix_fixtures",)

WORRY = "The chair talks over volunteers"
CLOSED = {"type": "m.room.history_visibility", "state_key": "", "content": {"history_visibility": "invited"}}


def from_bot(person: Person, room: str, bot: str) -> list[dict[str, Any]]:
    return [e for e in person.history(room) if e["sender"] == bot and e["type"] == "m.room.message"]


def saying(person: Person, room: str, bot: str, words: str) -> dict[str, Any]:
    """Waits for the bot's message in the room that contains the words."""
    return person.wait(f"{words!r} from the bot", lambda: next(
        (e for e in from_bot(person, room, bot) if words in e["content"]["body"]), None))


def after(events: list[dict[str, Any]], event_id: str) -> list[dict[str, Any]]:
    ids = [e["event_id"] for e in events]
    return events[ids.index(event_id) + 1:]


def invitation(person: Person) -> str:
    """The one room the person has just been invited to, joined."""
    [room] = person.wait("an invitation", lambda: person.invited_to() or None)
    person.join(room)
    return room


def concerns(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Concern)) or 0


def test_a_partnerships_room_is_shared_even_while_the_raiser_is_alone_in_it(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str,
        sessions: sessionmaker[Session]) -> None:
    start_bot()
    alice = people("alice")
    # Alone with the bot right after `setup`, in a room whose history only its members read:
    # only its being the partnership's room makes it shared.
    room = alice.create_room(bot_account, initial_state=[CLOSED])
    alice.wait("the bot to join", lambda: bot_account in alice.members(room))
    alice.ask(room, '!partner setup "Riverside Partnership" kind:task-force', bot_account)
    alice.ask(room, "!partner join org:Council sector:public", bot_account)

    typed = alice.say(room, f'!partner concern "{WORRY}" anonymous')
    private = invitation(alice)  # the refusal comes in a room the bot made for her alone
    refusal = saying(alice, private, bot_account, "can't be raised here")
    assert SAY_IT_HERE in refusal["content"]["body"] and "m.relates_to" not in refusal["content"]
    assert alice.members(private) == {alice.mxid, bot_account}
    assert alice.state(private, "m.room.history_visibility") == {"history_visibility": "invited"}
    assert alice.state(private, "m.room.encryption").get("algorithm") == "m.megolm.v1.aes-sha2"
    assert concerns(sessions) == 0

    said = alice.say(private, f'concern "{WORRY}" anonymous')
    assert "Someone raised" in alice.answer(private, said, bot_account)["body"]
    code = REOPEN_CODE.search(saying(alice, private, bot_account, "Only you have this code")["content"]["body"])
    assert code is not None
    saying(alice, room, bot_account, "Someone raised")

    # In the partnership's room the bot said nothing after the anonymous command but the
    # announcement, which names nobody, answers nothing and carries no code.
    since = after(alice.history(room), typed)
    said_there = [e for e in since if e["sender"] == bot_account and e["type"] == "m.room.message"]
    assert [e["content"]["body"] for e in said_there] and all("Someone raised" in e["content"]["body"]
                                                              for e in said_there)
    for event in said_there:
        content = json.dumps(event["content"]).casefold()
        assert alice.mxid.casefold() not in content and "alice" not in content and code.group(1) not in content
        assert "m.relates_to" not in event["content"]


def test_a_direct_chat_whose_history_later_joiners_read_is_not_private(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str,
        sessions: sessionmaker[Session]) -> None:
    start_bot()
    alice = people("alice")
    room = alice.room_with_bot(bot_account)
    alice.ask(room, '!partner setup "Riverside Partnership" kind:task-force', bot_account)
    alice.ask(room, "!partner join org:Council sector:public", bot_account)
    # A direct chat made without Element's preset: the bot may not close its history (shared).
    dm = alice.create_room(bot_account, is_direct=True)
    alice.wait("the bot to join", lambda: bot_account in alice.members(dm))
    assert alice.state(dm, "m.room.history_visibility") == {"history_visibility": "shared"}

    alice.say(dm, f'!partner concern "{WORRY}" anonymous')
    private = invitation(alice)
    assert "can't be raised here" in saying(alice, private, bot_account, SAY_IT_HERE)["content"]["body"]
    assert concerns(sessions) == 0

    pointer = alice.ask(dm, "!partner dashboard", bot_account)
    assert "direct message" in pointer["body"] and "/signin/" not in pointer["body"]
    assert "/signin/" in saying(alice, private, bot_account, "/signin/")["content"]["body"]
    assert not any("/signin/" in e["content"]["body"] or "can't be raised" in e["content"]["body"]
                   for e in from_bot(alice, dm, bot_account))


def test_a_sign_in_link_never_goes_to_a_direct_chat_with_someone_else_in_it(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str,
        sessions: sessionmaker[Session]) -> None:
    start_bot()
    alice, bob = people("alice"), people("bob")
    room = alice.room_with_bot(bot_account)
    alice.ask(room, '!partner setup "Riverside Partnership" kind:task-force', bot_account)
    # Element's "Start chat" with the bot and bob: marked direct, yet bob is in it.
    group = alice.direct_chat(bot_account, bob.mxid)
    bob.join(group)
    pointer = alice.ask(group, "!partner dashboard", bot_account)
    assert "direct message" in pointer["body"] and "/signin/" not in pointer["body"]
    private = invitation(alice)
    assert "/signin/" in saying(alice, private, bot_account, "/signin/")["content"]["body"]
    assert not any("/signin/" in e["content"]["body"] for e in from_bot(bob, group, bot_account))
    with sessions() as session:
        assert session.scalars(select(MatrixDirectRoom.room_id)).all() == [private]


def test_what_is_for_one_person_is_checked_with_the_homeserver_just_before_it_goes(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str,
        sessions: sessionmaker[Session]) -> None:
    bot = start_bot()
    alice, mallory = people("alice"), people("mallory")
    room = alice.room_with_bot(bot_account)
    alice.ask(room, '!partner setup "Riverside Partnership" kind:task-force', bot_account)
    alice.ask(room, '!partner join org:Council sector:public', bot_account)
    alice.ask(room, '!partner commit "Book the hall" by:"in 10 days"', bot_account)
    # Element's "Start chat": the bot closes its history on joining, so it is private with alice.
    dm = alice.direct_chat(bot_account)
    alice.wait("the history to be closed", lambda: alice.state(dm, "m.room.history_visibility")
               == {"history_visibility": "invited"})
    link = alice.ask(dm, "!partner dashboard", bot_account)
    assert "/signin/" in link["body"]  # answered right there

    # Mallory is invited; at once (before the bot's sync can have told it) a nudge is due.
    alice.run(alice.client.room_invite(dm, mallory.mxid))
    later = datetime.combine(datetime.now(UTC).date() + timedelta(days=9), time(12), tzinfo=UTC)
    report = scheduler.sweep(sessions, bot.bot.delivery, "matrix", now=later)
    assert report.failed == 0 and report.sent, report.summary()
    private = invitation(alice)
    assert private != dm
    assert "Book the hall is due" in saying(alice, private, bot_account, "Book the hall")["content"]["body"]
    mallory.join(dm)
    assert not any("Book the hall" in e["content"]["body"] for e in from_bot(mallory, dm, bot_account))
    # And a sign-in link asked for there now goes to the private room.
    pointer = alice.ask(dm, "!partner dashboard", bot_account)
    assert "/signin/" not in pointer["body"]
    assert len([e for e in from_bot(alice, private, bot_account) if "/signin/" in e["content"]["body"]]) == 1
