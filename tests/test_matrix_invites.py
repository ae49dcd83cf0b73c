"""Invitations: accepted from allowed homeservers (any, unless MATRIX_ALLOWED_SERVERS says),
refused from others (encrypted rooms: tests/test_matrix_encryption.py)."""

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
