"""Invitations: accepted from allowed homeservers (any, unless MATRIX_ALLOWED_SERVERS says),
refused from others; an encrypted room is told the bot can't read it, and left."""

from __future__ import annotations

from collections.abc import Callable

from tests.matrix_homeserver import Person, RunningBot

pytest_plugins = ("tests.matrix_fixtures",)


def membership(person: Person, room_id: str, user: str) -> str | None:
    state = [e for e in person.history(room_id) if e["type"] == "m.room.member" and e.get("state_key") == user]
    return state[-1]["content"]["membership"] if state else None


def test_invitations_from_servers_not_allowed_are_refused(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str) -> None:
    picky = start_bot(matrix_allowed_servers=frozenset({"matrix.example.org"}))
    alice = people("alice")
    room = alice.create_room(bot_account)
    alice.wait("the bot to refuse", lambda: membership(alice, room, bot_account) == "leave")
    picky.stop()

    start_bot(matrix_allowed_servers=frozenset({"matrix.example.org", "localhost"}))
    again = alice.room_with_bot(bot_account)
    assert "setup" in alice.ask(again, "!partner help", bot_account)["body"]


def test_an_encrypted_room_is_told_and_left(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str) -> None:
    start_bot()
    alice = people("alice")
    room = alice.create_room(bot_account, initial_state=[
        {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}])
    alice.wait("the bot to leave", lambda: membership(alice, room, bot_account) == "leave")
    said = [e["content"] for e in alice.history(room) if e["sender"] == bot_account and e["type"] == "m.room.message"]
    assert len(said) == 1 and said[0]["msgtype"] == "m.notice"
    assert "can't read encrypted rooms" in said[0]["body"]
