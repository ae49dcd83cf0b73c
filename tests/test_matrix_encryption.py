"""Encrypted rooms as Element makes them: the bot reads and answers there, encrypted, sends nudges
into encrypted direct rooms, keeps its device and keys across restarts, and shares room keys
with every device of the room's members but not with someone who has left."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tests.matrix_homeserver import Homeserver, Person, RunningBot

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
