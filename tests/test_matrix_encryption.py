"""Encrypted rooms as Element makes them: the bot reads and answers there, encrypted, sends nudges
into encrypted direct rooms, keeps its device and keys across restarts, and shares room keys
with every device of the room's members but not with someone who has left."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from nio import EncryptionError, MegolmEvent, RoomSendResponse
from nio.crypto import OutboundGroupSession
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import scheduler
from bot.matrix import account, crypto
from storage.models import Publication
from tests.matrix_homeserver import Homeserver, Person, RunningBot, matrix_settings

pytest_plugins = ("tests.matrix_fixtures",)


def from_bot(person: Person, room_id: str, bot: str) -> list[dict[str, Any]]:
    """What the bot said in the room, as the person's device reads it."""
    return [e for e in person.history(room_id) if e["sender"] == bot and e["type"] in ("m.room.message",
                                                                                        "m.room.encrypted")]


def test_a_command_in_an_encrypted_room_is_answered_encrypted(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str) -> None:
    start_bot()
    alice = people("alice")
    room = alice.room_with_bot(bot_account, encrypted=True)
    setup = alice.say(room, '!partner setup "Riverside Partnership" kind:task-force')
    answer = alice.answer(room, setup, bot_account)
    assert "Riverside Partnership is set up" in answer["body"]
    [said] = from_bot(alice, room, bot_account)
    assert said["decrypted"], "the answer went out in the clear"


def due_soon_sweep(bot: RunningBot, sessions: sessionmaker[Session]) -> scheduler.SweepReport:
    """A sweep nine days on, at noon, when a commitment due in ten days is due soon."""
    later = datetime.combine(datetime.now(UTC).date() + timedelta(days=9), time(12), tzinfo=UTC)
    return scheduler.sweep(sessions, bot.bot.delivery, "matrix", now=later)


def invited_to(person: Person) -> list[str]:
    return list(person.sync(timeout=0).rooms.invite)


def test_nudges_arrive_in_an_encrypted_direct_room_and_both_rooms_work_after_a_restart(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str,
        sessions: sessionmaker[Session]) -> None:
    bot = start_bot()
    alice = people("alice")
    room = alice.room_with_bot(bot_account, encrypted=True)
    alice.ask(room, '!partner setup "Riverside Partnership" kind:task-force', bot_account)
    alice.ask(room, '!partner join org:"Town Council" sector:public', bot_account)
    alice.ask(room, '!partner commit "Book the hall" by:"in 10 days"', bot_account)

    report = due_soon_sweep(bot, sessions)
    assert report.failed == 0 and report.sent, report.summary()
    [dm] = alice.wait("the bot's direct message", lambda: invited_to(alice))
    alice.join(dm)
    alice.sync(timeout=0)
    assert alice.client.rooms[dm].encrypted
    [reminder] = from_bot(alice, dm, bot_account)
    assert reminder["decrypted"] and "Book the hall is due" in reminder["content"]["body"]
    assert reminder["content"]["m.mentions"] == {}  # intentional mentions: a nudge pings nobody by its words

    bot.stop()
    start_bot()
    assert "Book the hall" in alice.ask(dm, "mine", bot_account)["body"]
    assert "Riverside Partnership" in alice.ask(room, "!partner partnership", bot_account)["body"]
    assert all(said["decrypted"] for said in from_bot(alice, room, bot_account) + from_bot(alice, dm, bot_account))


def test_a_second_device_reads_the_answers_and_a_member_who_left_reads_nothing_after(
        homeserver: Homeserver, people: Callable[[str], Person], start_bot: Callable[..., RunningBot],
        bot_account: str) -> None:
    start_bot()
    alice, bob = people("alice"), people("bob")
    room = alice.room_with_bot(bot_account, bob.mxid, encrypted=True)
    bob.join(room)
    alice.ask(room, '!partner setup "Riverside Partnership" kind:task-force', bot_account)
    before = bob.ask(room, "!partner partnership", bot_account)
    assert "Riverside Partnership" in before["body"]  # bob, still a member, reads the answer

    phone = Person(homeserver, "alice", homeserver.log_in(alice.mxid))  # alice signs in on her phone
    try:
        asked = alice.say(room, "!partner partnerships")
        alice.answer(room, asked, bot_account)
        on_phone = phone.answer(room, asked, bot_account)
        assert "Riverside Partnership" in on_phone["body"]
    finally:
        phone.close()

    last = alice.say(room, "!partner partnerships")
    assert "Riverside Partnership" in bob.answer(room, last, bot_account)["body"]  # bob reads up to the end

    bob.run(bob.client.room_leave(room))
    alice.wait("bob to be gone", lambda: bob.mxid not in alice.members(room))
    after = alice.say(room, "!partner members")
    alice.answer(room, after, bot_account)
    bob.sync(timeout=0)  # every key anyone still sends bob's device
    [reply_id] = [e["event_id"] for e in from_bot(alice, room, bot_account)
                  if (e["content"].get("m.relates_to") or {}).get("m.in_reply_to", {}).get("event_id") == after]
    # What the homeserver holds is ciphertext; bob's device, with every key it was ever given, can't open it.
    raw = homeserver.call("GET", f"/_matrix/client/v3/rooms/{room}/event/{reply_id}", token=alice.client.access_token)
    assert raw["type"] == "m.room.encrypted"
    with pytest.raises(EncryptionError):
        bob.client.decrypt_event(MegolmEvent.from_dict({**raw, "room_id": room}))


def test_a_lost_crypto_store_means_a_new_device_said_in_the_log_and_the_rooms_still_work(
        homeserver: Homeserver, people: Callable[[str], Person], start_bot: Callable[..., RunningBot],
        bot_account: str, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture) -> None:
    settings = matrix_settings(homeserver, bot_account, sessions)
    bot = start_bot()
    alice = people("alice")
    room = alice.room_with_bot(bot_account, encrypted=True)
    alice.ask(room, '!partner setup "Riverside Partnership" kind:task-force', bot_account)
    bot.stop()
    old = account.stored(sessions, bot_account).device_id
    found = crypto.check_store(settings, sessions)
    assert found.ok and found.message.endswith("the keys the homeserver publishes for it, locked with a key from "
                                               "MATRIX_PASSWORD"), found

    crypto.store_file(crypto.store_path(settings), bot_account, old).unlink()
    lost = crypto.check_store(settings, sessions)
    assert not lost.ok and old in lost.message

    with caplog.at_level(logging.WARNING):
        again = start_bot()
        answer = alice.ask(room, "!partner partnership", bot_account)
    assert "Riverside Partnership" in answer["body"]
    assert any("crypto store of device " + old + " is missing" in r.getMessage() for r in caplog.records)
    assert account.stored(sessions, bot_account).device_id != old
    assert crypto.check_store(settings, sessions).ok
    assert again.failure is None


@dataclass
class Withheld:
    """A room key a device used but kept to itself, as when its to-device message was lost."""

    session: OutboundGroupSession
    first_key: str  # the key from the first message on, as the lost message carried it


def say_without_key(person: Person, room_id: str, text: str) -> tuple[str, Withheld]:
    """A message under a room key the person's device keeps to itself for now; the next
    message goes under a new key, shared as usual."""
    person.sync(timeout=0)
    olm = person.client.olm
    olm.create_outbound_group_session(room_id)
    session = olm.outbound_group_sessions[room_id]
    withheld = Withheld(session, session.session_key)
    session.shared = True  # so nio sends without sharing it
    sent = person.run(person.client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": text}))
    assert isinstance(sent, RoomSendResponse), sent
    del olm.outbound_group_sessions[room_id]
    return sent.event_id, withheld


def share_key_late(person: Person, room_id: str, withheld: Withheld) -> None:
    """The withheld key goes out after all, from its first message on, to every member's devices."""
    session = withheld.session
    session.__class__ = type("Late", (type(session),), {"session_key": property(lambda _: withheld.first_key)})
    session.shared = False
    person.client.olm.outbound_group_sessions[room_id] = session
    person.run(person.client.share_group_session(room_id, ignore_unverified_devices=True))


def test_a_message_whose_key_comes_late_is_answered_and_one_whose_key_never_comes_is_said_once(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str) -> None:
    patient = start_bot()
    alice = people("alice")
    room = alice.room_with_bot(bot_account, encrypted=True)
    alice.ask(room, '!partner setup "Riverside Partnership" kind:task-force', bot_account)

    late, withheld = say_without_key(alice, room, "!partner partnership")
    ping = alice.say(room, "!partner partnerships")  # under yet another key, shared as usual
    alice.answer(room, ping, bot_account)
    assert late not in alice.replies(room, bot_account)  # nothing to answer with yet
    share_key_late(alice, room, withheld)
    assert "Riverside Partnership" in alice.answer(room, late, bot_account)["body"]

    patient.stop()
    start_bot(give_up=3.0)
    lost, _ = say_without_key(alice, room, "!partner members")
    said = alice.answer(room, lost, bot_account, timeout=30)
    assert "couldn't read" in said["body"] and alice.mxid in said["body"]
    assert said["m.mentions"] == {"user_ids": [alice.mxid]}


def test_with_verified_devices_listed_only_those_devices_can_read_the_bot(
        homeserver: Homeserver, people: Callable[[str], Person], start_bot: Callable[..., RunningBot],
        bot_account: str) -> None:
    alice, bob = people("alice"), people("bob")
    start_bot(matrix_verified_devices=frozenset({alice.client.olm.account.identity_keys["ed25519"]}))
    room = alice.room_with_bot(bot_account, bob.mxid, encrypted=True)
    bob.join(room)
    asked = alice.say(room, "!partner partnerships")
    assert "partnership" in alice.answer(room, asked, bot_account)["body"].lower()
    [reply] = from_bot(bob, room, bot_account)
    assert reply["type"] == "m.room.encrypted" and not reply["decrypted"]  # bob's device was never given the key


def test_with_verified_devices_listed_only_those_devices_are_obeyed_and_others_are_told_why(
        homeserver: Homeserver, people: Callable[[str], Person], start_bot: Callable[..., RunningBot],
        bot_account: str, sessions: sessionmaker[Session]) -> None:
    alice = people("alice")
    start_bot(matrix_verified_devices=frozenset({alice.client.olm.account.identity_keys["ed25519"]}))
    room = alice.room_with_bot(bot_account, encrypted=True)
    alice.ask(room, '!partner setup "Riverside Partnership" kind:task-force', bot_account)
    alice.ask(room, "!partner join org:Council sector:public", bot_account)

    phone = Person(homeserver, "alice", homeserver.log_in(alice.mxid))  # alice's new phone, not on the list
    try:
        asked = phone.say(room, "!partner publish names:on")
        refused = phone.answer(room, asked, bot_account)  # the phone is given the key to this notice alone
        assert "I did nothing" in refused["body"] and "MATRIX_VERIFIED_DEVICES" in refused["body"]
        assert "device that is not one of them" in refused["body"]
        assert published_names(sessions) is not True

        # A message sent in the clear into the encrypted room: nothing shows which device sent it.
        plain = homeserver.call("PUT", f"/_matrix/client/v3/rooms/{room}/send/m.room.message/plain1",
                                {"msgtype": "m.text", "body": "!partner publish names:on"},
                                token=alice.client.access_token)["event_id"]
        said = alice.answer(room, plain, bot_account)
        assert "came unencrypted" in said["body"] and "I did nothing" in said["body"]
        assert published_names(sessions) is not True

        # From the listed device it is done, and the phone cannot read the answer.
        done = alice.say(room, "!partner publish names:on")
        alice.answer(room, done, bot_account)
        assert published_names(sessions) is True
        phone.sync(timeout=0)
        [answer] = [e for e in phone.history(room) if (e["content"].get("m.relates_to") or {})
                    .get("m.in_reply_to", {}).get("event_id") == done]
        assert answer["type"] == "m.room.encrypted" and not answer["decrypted"]
    finally:
        phone.close()


def published_names(sessions: sessionmaker[Session]) -> bool | None:
    """Whether the partnership's page shows people's names (None: it was never published)."""
    with sessions() as session:
        return session.scalar(select(Publication.names))
