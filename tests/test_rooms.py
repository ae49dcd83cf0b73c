"""One partnership, several rooms: a coordinator's one-time code links a room on another
platform; commands there act on the one record, announcements reach each room once, codes
work once, expire, are throttled when guessed, and the last room cannot be unlinked."""

from __future__ import annotations

import dataclasses
import re
import threading

from sqlalchemy import select

from bot import scheduler
from handlers import Actor, Reply, handle
from handlers.reopen_codes import PER_PERSON
from storage.models import ChannelLink, Commitment, Nudge, RoomCode
from tests.conftest import Chat
from tests.test_bad_input import all_of
from tests.test_nudges import Inbox, at

CODE = re.compile(r"use code:([a-z0-9-]+)")


def code_from(town: Chat, user: str = "alice") -> str:
    found = CODE.search(town.ok(user, "link room"))
    assert found is not None
    return found.group(1)


def elsewhere(town: Chat, channel: str = "!plaza:town.example") -> Chat:
    """The same database and clock seen from a Matrix room."""
    return dataclasses.replace(town, platform="matrix", workspace="town.example", channel=channel)


def links(town: Chat) -> list[tuple[str, str, str]]:
    return sorted((link.platform, link.channel, str(link.partnership_id)) for link in all_of(town.sessions, ChannelLink))


def test_a_code_links_a_matrix_room_to_the_one_record(town: Chat) -> None:
    asked = town.say("alice", "link room")
    assert asked.secret, "for the coordinator's eyes only, even in a shared room"
    found = CODE.search(asked.plain())
    assert found is not None
    code = found.group(1)
    with town.sessions() as session:
        [kept] = session.scalars(select(RoomCode))
        assert code not in kept.code_hash and kept.used_at is None, "only the hash is kept"
    matrix = elsewhere(town)
    linked = matrix.ok("@dan:town.example", f"use code:{code}")
    assert "now works with Riverside Partnership" in linked and "separate member" in linked
    joined = matrix.ok("@dan:town.example", 'join org:"Plaza Traders" sector:private')
    assert "you are a separate member from any account of yours on another platform" in joined
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    # A commitment made in the console room is the one Matrix sees, and acts on.
    assert "Deliver 500 leaflets" in matrix.ok("@dan:town.example", "status")
    matrix.ok("@dan:town.example", 'commit "Sweep the plaza" by:friday')
    assert "Sweep the plaza" in town.ok("alice", "status")
    assert sorted(c.title for c in all_of(town.sessions, Commitment)) == ["Deliver 500 leaflets", "Sweep the plaza"]
    rooms = town.ok("alice", "rooms")
    assert "1. console general" in rooms and "2. matrix !plaza:town.example" in rooms


def test_a_direct_conversation_is_never_linked(town: Chat) -> None:
    code = code_from(town)
    direct = dataclasses.replace(elsewhere(town, "!dm-dan:town.example"), direct=True)
    refused = direct.refused("@dan:town.example", f"use code:{code}")
    assert "direct conversation with me" in refused and "you want to link" in refused
    assert "direct conversation with me" in dataclasses.replace(town, direct=True).refused(
        "alice", 'use "Riverside Partnership"')
    assert len(links(town)) == 1
    elsewhere(town).ok("@dan:town.example", f"use code:{code}")  # the code was not spent: it links a room
    assert len(links(town)) == 2


def test_a_code_works_once(town: Chat) -> None:
    code = code_from(town)
    elsewhere(town).ok("@dan:town.example", f"use code:{code}")
    refusal = elsewhere(town, "!other:town.example").refused("@dan:town.example", f"use code:{code}")
    assert "has been used or has expired" in refusal
    assert len(links(town)) == 2


def test_a_code_expires_after_fifteen_minutes(town: Chat) -> None:
    code = code_from(town)
    town.advance(minutes=16)
    assert "has been used or has expired" in elsewhere(town).refused("@dan:town.example", f"use code:{code}")
    assert len(links(town)) == 1
    code_from(town)  # asking for a new code drops the expired one
    assert len(all_of(town.sessions, RoomCode)) == 1


def test_wrong_codes_are_counted_until_even_the_right_one_is_not_checked(town: Chat) -> None:
    code = code_from(town)
    matrix = elsewhere(town)
    for n in range(PER_PERSON):
        assert "links nothing" in matrix.refused("@mallory:town.example", f"use code:wrong-{n:04d}")
    assert "too many wrong codes" in matrix.refused("@mallory:town.example", f"use code:{code}")
    assert len(links(town)) == 1
    # Someone else is not held back by those guesses.
    matrix.ok("@dan:town.example", f"use code:{code}")
    assert len(links(town)) == 2


def test_only_coordinators_get_codes(town: Chat) -> None:
    assert "Only coordinators" in town.refused("bob", "link room")
    assert all_of(town.sessions, RoomCode) == []


def test_a_room_of_another_partnership_is_not_taken_over(town: Chat) -> None:
    matrix = elsewhere(town)
    matrix.ok("@erin:town.example", 'setup "Hill Group" kind:task-force')
    code = code_from(town)
    refusal = matrix.refused("@erin:town.example", f"use code:{code}")
    assert "This channel already works with Hill Group, so I did not link it." in refusal
    # Its only room, which Hill Group keeps: no `unlink room`, which would be refused.
    assert "It is the only room of Hill Group, which keeps it: use the code in another channel." in refusal
    assert "Hill Group" in matrix.ok("@erin:town.example", "rooms")
    # The code was not spent: it still links a free room.
    elsewhere(town, "!free:town.example").ok("@erin:town.example", f"use code:{code}")


def test_unlink_a_room_but_never_the_last(town: Chat) -> None:
    matrix = elsewhere(town)
    matrix.ok("@dan:town.example", f"use code:{code_from(town)}")
    assert "Only coordinators" in town.refused("bob", "unlink room 2")
    assert "has no room 3" in town.refused("alice", "unlink room 3")
    assert "`abc` isn't a room number; use the number" in town.refused("alice", "unlink room abc"), "not 'room number number'"
    town.ok("alice", "unlink room 2")
    assert [link[0] for link in links(town)] == ["console"]
    assert "isn't linked to a partnership" in matrix.refused("@dan:town.example", "status")
    assert "only room" in town.refused("alice", "unlink room 1")


def test_the_digest_reaches_every_room_once(town: Chat) -> None:
    matrix = elsewhere(town)
    matrix.ok("@dan:town.example", f"use code:{code_from(town)}")
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    console, element = Inbox(), Inbox()
    at(town, "2026-11-30T10:00")
    for _ in range(2):  # a second sweep of each platform sends nothing again
        scheduler.sweep(town.sessions, console, "console", now=town.now)
        scheduler.sweep(town.sessions, element, "matrix", now=town.now)
    assert len(console.to("#general", "The week in Riverside Partnership")) == 1
    assert len(element.to("#!plaza:town.example", "The week in Riverside Partnership")) == 1
    assert not element.to("#general") and not console.to("#!plaza:town.example")
    with town.sessions() as session:
        assert all(n.sent_at is not None for n in session.scalars(select(Nudge).where(Nudge.kind == "digest")))


def test_one_code_typed_in_several_rooms_at_once_links_one(town: Chat) -> None:
    code = code_from(town)
    start = threading.Barrier(6)
    answers: list[Reply] = []

    def use(n: int) -> None:
        actor = Actor("matrix", "town.example", f"@p{n}:town.example", f"!room{n}:town.example", private=False)
        start.wait()
        answers.append(handle(f"use code:{code}", actor, town.sessions, now=town.now))

    threads = [threading.Thread(target=use, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([a for a in answers if not a.error]) == 1, [a.text for a in answers]
    assert all("used" in (a.text or "") or "Try again" in (a.text or "") for a in answers if a.error)
    assert [link[0] for link in links(town)] == ["console", "matrix"]
    with town.sessions() as session:
        assert session.scalar(select(RoomCode.used_at)) is not None


def test_what_an_unlinked_room_was_still_owed_is_cancelled_not_sent_elsewhere(town: Chat) -> None:
    elsewhere(town).ok("@dan:town.example", f"use code:{code_from(town)}")
    down = Inbox(failing={"#!plaza:town.example"})
    at(town, "2026-11-30T10:00")
    scheduler.sweep(town.sessions, down, "matrix", now=town.now)  # Matrix is down: the room's digest waits
    town.ok("alice", "unlink room 2")
    console, element = Inbox(), Inbox()
    town.advance(hours=1)
    scheduler.sweep(town.sessions, console, "console", now=town.now)
    scheduler.sweep(town.sessions, element, "matrix", now=town.now)
    assert element.messages == [] and len(console.to("#general", "The week in Riverside Partnership")) == 1
    with town.sessions() as session:
        [gone] = session.scalars(select(Nudge).where(Nudge.channel == "!plaza:town.example"))
        assert gone.cancel_reason == "its room was unlinked" and gone.sent_at is None


def test_unlinking_the_first_room_leaves_the_others_their_one_copy(town: Chat) -> None:
    elsewhere(town).ok("@dan:town.example", f"use code:{code_from(town)}")
    down = Inbox(failing={"#general"})
    at(town, "2026-11-30T10:00")
    scheduler.sweep(town.sessions, down, "console", now=town.now)  # the console is down: the first room's digest waits
    town.ok("alice", "unlink room 1")
    element = Inbox()
    for _ in range(3):  # sweeps after the first room went: the Matrix room, now the first, hears once
        town.advance(hours=1)
        scheduler.sweep(town.sessions, Inbox(), "console", now=town.now)
        scheduler.sweep(town.sessions, element, "matrix", now=town.now)
    assert len(element.to("#!plaza:town.example", "The week in Riverside Partnership")) == 1


def test_a_room_of_a_partnership_with_others_is_told_which_room_to_unlink(town: Chat) -> None:
    matrix = elsewhere(town)
    matrix.ok("@erin:town.example", 'setup "Hill Group" kind:task-force')
    hill_code = code_from(matrix, "@erin:town.example")
    elsewhere(town, "!hill2:town.example").ok("@erin:town.example", f"use code:{hill_code}")
    refusal = matrix.refused("@erin:town.example", f"use code:{code_from(town)}")
    assert "first have a coordinator of Hill Group type `unlink room 1` here" in refusal
    matrix.ok("@erin:town.example", "unlink room 1")
    matrix.ok("@erin:town.example", f"use code:{code_from(town)}")
    assert "Riverside Partnership" in matrix.ok("@erin:town.example", "rooms")
