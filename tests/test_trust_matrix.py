"""Trust on a real Synapse: an anonymous concern typed in a shared room is taken down and
answered privately; raised in the direct room it is announced apart, traceable to nobody;
and a stranger who invites the bot learns nothing of partnerships they are not in."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Concern, ConcernStatus, Event
from tests.anonymity import REOPEN_CODE, added, rows, traces
from tests.crowd import crowd
from tests.matrix_homeserver import Person, RunningBot

pytest_plugins = ("tests.matrix_fixtures",)

WORRY = "The budget split favours the council"


def notices(person: Person, room: str, bot: str) -> list[dict[str, Any]]:
    return [e for e in person.history(room) if e["sender"] == bot and e["type"] == "m.room.message"]


def shared_and_direct_rooms(alice: Person, bob: Person, bot_account: str) -> tuple[str, str]:
    """A partnership's room, where the bot may take messages down, with alice and bob in it;
    and bob's direct room with the bot."""
    room = alice.create_room(bot_account, bob.mxid, power_level_override={"users": {bot_account: 50}})
    alice.wait("the bot to join", lambda: bot_account in alice.members(room))
    bob.join(room)
    alice.ask(room, '!partner setup "Riverside Partnership" kind:task-force', bot_account)
    alice.ask(room, "!partner join org:Council sector:public", bot_account)
    bob.ask(room, "!partner join org:Chamber sector:private", bot_account)
    direct = bob.direct_chat(bot_account)  # as Element starts one: the bot closes its history to later joiners
    bob.wait("the direct room's history to be closed",
             lambda: bob.state(direct, "m.room.history_visibility").get("history_visibility") == "invited")
    return room, direct


def test_an_anonymous_concern_on_matrix_is_private_and_traceable_to_nobody(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str,
        sessions: sessionmaker[Session]) -> None:
    start_bot()
    alice, bob = people("alice"), people("bob")
    room, direct = shared_and_direct_rooms(alice, bob, bot_account)
    bob.ask(direct, "mine", bot_account)  # the bot has met bob in private before
    before = rows(sessions)

    # Typed in the shared room: taken down, refused in the direct room, nothing kept.
    typed = bob.say(room, f'!partner concern "{WORRY}" anonymous')
    refusal = bob.wait("the refusal in the direct room", lambda: next(
        (e for e in notices(bob, direct, bot_account) if "can't be raised here" in e["content"]["body"]), None))
    assert "m.relates_to" not in refusal["content"]
    original = alice.wait("the message to be taken down", lambda: next(
        (e for e in alice.history(room) if e["event_id"] == typed and not e["content"]), None))
    assert original["unsigned"]["redacted_because"]["sender"] == bot_account
    assert typed not in alice.replies(room, bot_account)

    # Sent in the direct room: confirmed there, announced in the room as no reply to anything.
    said = bob.say(direct, f'concern "{WORRY}" kind:priorities anonymous')
    assert "Someone raised" in bob.answer(direct, said, bot_account)["body"]
    announced = alice.wait("the announcement", lambda: next(
        (e for e in notices(alice, room, bot_account) if "Someone raised" in e["content"]["body"]), None))
    assert "m.relates_to" not in announced["content"]
    for event in notices(alice, room, bot_account):
        if "Someone raised" in event["content"]["body"] or "can't be raised" in event["content"]["body"]:
            content = json.dumps(event["content"]).casefold()
            assert bob.mxid.casefold() not in content and "bob" not in content

    with sessions() as session:
        assert session.scalars(select(Concern.raised_by_id)).all() == [None]
    assert traces(sessions, before, "matrix", bob.mxid[1:]) == []
    marks = added(sessions, before, "matrix_events")
    assert marks, "the anonymous commands were marked as answered"
    for event_id, room_id, received in marks:
        assert event_id not in (typed, said) and event_id.startswith("anon:") and room_id == ""
        assert received.time() == time(0, 0)


def test_a_stranger_who_invites_the_bot_learns_nothing_of_others_partnerships(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str) -> None:
    start_bot()
    alice, mallory = people("alice"), people("mallory")
    room = alice.room_with_bot(bot_account)
    alice.ask(room, '!partner setup "Riverside Partnership" kind:task-force purpose:"Revive the riverside"',
              bot_account)
    assert "Riverside Partnership" in alice.ask(room, "!partner partnerships", bot_account)["body"]

    own = mallory.room_with_bot(bot_account)
    answers = [mallory.ask(own, f"!partner {command}", bot_account)["body"]
               for command in ("partnerships", "partnership", "who", "members", "concerns",
                               'use "Riverside Partnership"', 'use "Nowhere Partnership"')]
    listed, reads, known, unknown = answers[0], answers[1:5], answers[5], answers[6]
    assert "Riverside" not in listed and "You are in none yet" in listed
    assert all("isn't linked to a partnership" in a and "Revive" not in a and "Alice" not in a for a in reads), reads
    # Guessing a name tells nothing: the answer is the same whether it exists or not.
    assert known.replace("Riverside Partnership", "X") == unknown.replace("Nowhere Partnership", "X")


def test_a_huge_message_is_refused_before_any_lookup_and_big_answers_still_arrive(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str,
        sessions: sessionmaker[Session]) -> None:
    bot = start_bot()
    lookups: list[str] = []
    directory = bot.bot.chat.people
    real = directory.profile

    async def counted(client: Any, user: str) -> Any:
        lookups.append(user)
        return await real(client, user)

    directory.profile = counted  # type: ignore[method-assign]  (the real lookups, counted)
    alice = people("alice")
    room = alice.room_with_bot(bot_account)
    alice.ask(room, '!partner setup "Riverside Partnership" kind:task-force', bot_account)
    lookups.clear()

    flood = "!partner member add " + " ".join(f"@u{n}:x" for n in range(4000))
    refused = alice.ask(room, flood, bot_account)["body"]
    assert "characters; commands must be under 4,000" in refused
    assert lookups == [alice.mxid]  # the sender alone (and from the cache at that)
    # Many mentions within the limit cost a handful of lookups, not one each.
    lookups.clear()
    alice.ask(room, "!partner member add " + " ".join(f"@u{n}:x" for n in range(300)), bot_account)
    assert len(lookups) <= 6

    crowd(sessions, 150, platform="matrix", workspace="localhost", user_id="owner{n}:localhost")
    who = alice.ask(room, "!partner who", bot_account)
    assert len(json.dumps(who, ensure_ascii=False).encode()) < 64 * 1024
    assert "Owner 1 (Organisation number 1)" in who["body"]
    assert "more lines not shown; narrow it down by a word of the title" in who["body"]


def test_an_anonymous_raisers_reopen_code_stays_in_their_direct_room_and_reopens_the_concern(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str,
        sessions: sessionmaker[Session]) -> None:
    start_bot()
    alice, bob = people("alice"), people("bob")
    room, direct = shared_and_direct_rooms(alice, bob, bot_account)

    bob.say(direct, f'concern "{WORRY}" anonymous')
    note = bob.wait("the reopen code", lambda: next(
        (e for e in notices(bob, direct, bot_account) if "Only you have this code" in e["content"]["body"]), None))
    code = REOPEN_CODE.search(note["content"]["body"])
    assert code is not None
    alice.wait("the announcement", lambda: next(
        (e for e in notices(alice, room, bot_account) if "Someone raised" in e["content"]["body"]), None))
    assert all(code.group(1) not in json.dumps(e["content"]) for e in notices(alice, room, bot_account))

    alice.ask(room, '!partner resolve 1 "Split 50/50"', bot_account)
    # Typed in the shared room, the code is taken down, refused and spent, since anyone there may
    # have read it; bob alone is given the next one, in private. Nothing changes.
    typed = bob.say(room, f'!partner reopen concern 1 "Not kept" code:{code.group(1)}')
    bob.wait("the refusal in the direct room", lambda: next(
        (e for e in notices(bob, direct, bot_account) if "can't be used where others can see it" in e["content"]["body"]),
        None))
    alice.wait("the code to be taken down", lambda: next(
        (e for e in alice.history(room) if e["event_id"] == typed and not e["content"]), None))
    spent = bob.wait("the code in its place", lambda: next(
        (e for e in notices(bob, direct, bot_account) if "Here is a new one" in e["content"]["body"]), None))
    code = REOPEN_CODE.search(spent["content"]["body"])
    assert code is not None
    assert all(code.group(1) not in json.dumps(e["content"]) for e in notices(alice, room, bot_account))
    with sessions() as session:
        assert session.scalars(select(Concern.status)).one() is ConcernStatus.RESOLVED

    bob.say(direct, f'reopen concern 1 "The split was not kept" code:{code.group(1)}')
    alice.wait("the reopening", lambda: next(
        (e for e in notices(alice, room, bot_account) if "is open again" in e["content"]["body"]), None))
    with sessions() as session:
        assert session.scalars(select(Concern.status)).one() is ConcernStatus.OPEN
        event = session.scalars(select(Event).where(Event.action == "reopen")).one()
        assert (event.actor_id, event.reason) == (None, "The split was not kept")
    # The code is used up; the next one reaches bob's direct room alone.
    renewed = bob.wait("the new code", lambda: next(
        (e for e in notices(bob, direct, bot_account) if "Your code has been used" in e["content"]["body"]), None))
    fresh = REOPEN_CODE.search(renewed["content"]["body"])
    assert fresh is not None and fresh.group(1) != code.group(1)
    assert all(fresh.group(1) not in json.dumps(e["content"]) for e in notices(alice, room, bot_account))


def test_work_done_for_one_partnership_from_anothers_room_is_announced_in_its_own_room_alone(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str) -> None:
    """Bob is in two partnerships. What he marks done for Riverside from Hillside's room is
    Riverside's business: its room hears of it, Hillside's room reads nothing of it, and Bob
    has his own copy in private."""
    start_bot()
    alice, bob, dave = people("alice"), people("bob"), people("dave")
    riverside, direct = shared_and_direct_rooms(alice, bob, bot_account)
    bob.ask(riverside, '!partner commit "Deliver the leaflets" by:"in 2 weeks"', bot_account)
    hillside = dave.create_room(bot_account, bob.mxid)
    dave.wait("the bot to join", lambda: bot_account in dave.members(hillside))
    bob.join(hillside)
    dave.ask(hillside, '!partner setup "Hillside Partnership" kind:task-force', bot_account)
    bob.ask(hillside, "!partner join org:Chamber sector:private", bot_account)

    bob.say(hillside, '!partner done 1 in:"Riverside Partnership"')
    alice.wait("the announcement in Riverside's room", lambda: next(
        (e for e in notices(alice, riverside, bot_account) if "Done: #1 Deliver the leaflets" in e["content"]["body"]),
        None))
    bob.wait("bob's own copy in private", lambda: next(
        (e for e in notices(bob, direct, bot_account) if "Done: #1 Deliver the leaflets" in e["content"]["body"]), None))
    # A read about Riverside asked in Hillside's room is shown to bob alone, in private.
    bob.ask(riverside, '!partner commit "Renegotiate the lease" by:"in 2 weeks"', bot_account)
    bob.say(hillside, '!partner who in:"Riverside Partnership"')
    bob.wait("the answer in private", lambda: next(
        (e for e in notices(bob, direct, bot_account) if "Renegotiate the lease" in e["content"]["body"]), None))
    dave.ask(hillside, "!partner who", bot_account)  # answered after the others: its room is up to date
    assert not any(words in json.dumps(e["content"]) for e in notices(dave, hillside, bot_account)
                   for words in ("Deliver the leaflets", "Renegotiate the lease"))
