"""The bot's connection: it resumes where it stopped, answering nothing twice and missing
nothing, keeps one device across restarts, and survives the homeserver going away."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.matrix import account
from storage.models import Partnership
from tests.matrix_homeserver import Homeserver, Person, RunningBot

pytest_plugins = ("tests.matrix_fixtures",)


def bot_devices(homeserver: Homeserver, sessions: sessionmaker[Session], bot: str) -> set[str]:
    token = account.stored(sessions, bot).access_token
    return {d["device_id"] for d in homeserver.call("GET", "/_matrix/client/v3/devices", token=token)["devices"]}


def count_rows(sessions: sessionmaker[Session], model: type[Partnership]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_restarted_bot_answers_what_it_missed_once_and_nothing_twice(
        homeserver: Homeserver, people: Callable[[str], Person], start_bot: Callable[..., RunningBot],
        bot_account: str, sessions: sessionmaker[Session]) -> None:
    bot = start_bot()
    alice = people("alice")
    room = alice.room_with_bot(bot_account)
    first = alice.say(room, '!partner setup "Riverside Partnership" kind:task-force')
    alice.answer(room, first, bot_account)
    devices = bot_devices(homeserver, sessions, bot_account)
    bot.stop()

    # While the bot is down: two commands, with more chatter between them than one sync carries.
    missed = [alice.say(room, '!partner join org:"Town Council" sector:public')]
    for n in range(60):
        alice.say(room, f"chatter {n}")
    missed.append(alice.say(room, "!partner members"))
    resumed = start_bot()
    joined = alice.answer(room, missed[0], bot_account)
    assert "Town Council" in joined["body"]
    assert "Town Council" in alice.answer(room, missed[1], bot_account)["body"]

    resumed.stop()
    again = start_bot()
    later = alice.say(room, "!partner partnership")
    alice.answer(room, later, bot_account)
    again.stop()
    replies = alice.replies(room, bot_account)
    assert {event: len(sent) for event, sent in replies.items()} == {first: 1, missed[0]: 1, missed[1]: 1, later: 1}
    # The stored login was reused: no new device at each start.
    assert bot_devices(homeserver, sessions, bot_account) == devices


def test_a_crash_before_the_sync_token_was_saved_answers_nothing_twice(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str,
        sessions: sessionmaker[Session]) -> None:
    """The token is saved after the answers; a crash in between reads the same messages again."""
    bot = start_bot()
    alice = people("alice")
    room = alice.room_with_bot(bot_account)
    before = account.sync_token(sessions, bot_account)
    setup = alice.say(room, '!partner setup "Riverside Partnership" kind:task-force')
    refused = alice.say(room, "!partner comit typo")
    alice.answer(room, setup, bot_account)
    alice.answer(room, refused, bot_account)
    bot.stop()
    account.save(sessions, bot_account, next_batch=before)  # as if it died before saving

    again = start_bot()
    later = alice.say(room, "!partner partnerships")
    assert "Riverside Partnership" in alice.answer(room, later, bot_account)["body"]
    again.stop()
    replies = alice.replies(room, bot_account)
    assert {event: len(replies[event]) for event in (setup, refused, later)} == {setup: 1, refused: 1, later: 1}
    assert count_rows(sessions, Partnership) == 1


def test_the_bot_carries_on_after_the_homeserver_restarts(
        homeserver: Homeserver, people: Callable[[str], Person], start_bot: Callable[..., RunningBot],
        bot_account: str) -> None:
    bot = start_bot()
    alice = people("alice")
    room = alice.room_with_bot(bot_account)
    alice.ask(room, "!partner partnerships", bot_account)
    homeserver.restart()
    after = alice.ask(room, "!partner partnerships", bot_account)
    assert "partnership" in after["body"].lower()
    assert bot.failure is None and bot.thread.is_alive()


def test_a_revoked_login_is_replaced_with_a_new_one(
        homeserver: Homeserver, people: Callable[[str], Person], start_bot: Callable[..., RunningBot],
        bot_account: str, sessions: sessionmaker[Session]) -> None:
    bot = start_bot()
    alice = people("alice")
    room = alice.room_with_bot(bot_account)
    revoked = account.stored(sessions, bot_account).access_token
    homeserver.call("POST", "/_matrix/client/v3/logout", {}, token=revoked)  # an admin ends the bot's session
    assert "setup" in alice.ask(room, "!partner help", bot_account)["body"]
    assert account.stored(sessions, bot_account).access_token not in (None, revoked)
    assert bot.failure is None
