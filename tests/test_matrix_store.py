"""The Matrix crypto store at rest: owner-only, locked with a key derived from the operator's
secret (never matrix-nio's public default), an old store re-locked on the next start with the
device kept, and a store no setting unlocks refused with a line saying what to do."""

from __future__ import annotations

import asyncio
import logging
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.matrix import account, crypto
from bot.matrix.app import MatrixBot
from tests.matrix_homeserver import PASSWORD, Homeserver, Person, RunningBot, matrix_settings

pytest_plugins = ("tests.matrix_fixtures",)

SECRET = "a long secret the operator keeps apart from the database"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def the_store(settings: Settings, sessions: sessionmaker[Session]) -> tuple[Path, str]:
    """The store file of the device the database keeps, and that device's id."""
    device = account.stored(sessions, settings.matrix_user_id or "").device_id or ""
    return crypto.store_file(crypto.store_path(settings), settings.matrix_user_id or "", device), device


def opens_with(path: Path, user: str, device: str, key: str) -> bool:
    found = crypto.account_pickle(path, user, device)
    return found is not None and crypto.opens(found, key)


def chat_once(alice: Person, bot_account: str) -> str:
    """An encrypted room where the bot has answered alice: it holds Olm and room keys now."""
    room = alice.room_with_bot(bot_account, encrypted=True)
    alice.ask(room, '!partner setup "Riverside Partnership" kind:task-force', bot_account)
    return room


@pytest.mark.parametrize("store_key", [None, SECRET], ids=["from MATRIX_PASSWORD", "from MATRIX_STORE_KEY"])
def test_the_store_is_owner_only_and_locked_with_a_key_from_the_operators_secret(
        homeserver: Homeserver, people: Callable[[str], Person], start_bot: Callable[..., RunningBot],
        bot_account: str, sessions: sessionmaker[Session], store_key: str | None) -> None:
    settings = matrix_settings(homeserver, bot_account, sessions, matrix_store_key=store_key)
    bot = start_bot(matrix_store_key=store_key)
    chat_once(people("alice"), bot_account)
    bot.stop()
    path, device = the_store(settings, sessions)
    assert mode(path.parent) == 0o700 and mode(path) == 0o600
    assert not opens_with(path, bot_account, device, crypto.NIO_DEFAULT_KEY)
    assert opens_with(path, bot_account, device, crypto.derive(store_key or PASSWORD, bot_account))
    assert crypto.check_store(settings, sessions).message.endswith(
        f"locked with a key from {'MATRIX_STORE_KEY' if store_key else 'MATRIX_PASSWORD'}")


def test_a_store_locked_with_nios_default_key_is_locked_again_and_keeps_its_device(
        homeserver: Homeserver, people: Callable[[str], Person], start_bot: Callable[..., RunningBot],
        bot_account: str, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture) -> None:
    settings = matrix_settings(homeserver, bot_account, sessions, matrix_store_key=SECRET)
    bot = start_bot(matrix_store_key=SECRET)
    alice = people("alice")
    room = chat_once(alice, bot_account)
    bot.stop()
    # As an earlier version left it: nio's default key, readable by anyone on the machine.
    path, device = the_store(settings, sessions)
    crypto.relock(path, crypto.derive(SECRET, bot_account), crypto.NIO_DEFAULT_KEY)
    path.chmod(0o644)
    path.parent.chmod(0o755)
    assert "until the next start locks it with a key from MATRIX_STORE_KEY" in crypto.check_store(settings, sessions).message

    with caplog.at_level(logging.WARNING):
        start_bot(matrix_store_key=SECRET)
        # Same device, same keys: alice's messages, encrypted for it, are read and answered.
        assert "Riverside Partnership" in alice.ask(room, "!partner partnership", bot_account)["body"]
    assert account.stored(sessions, bot_account).device_id == device
    assert any("matrix-nio's default key" in r.getMessage() and "MATRIX_STORE_KEY" in r.getMessage()
               for r in caplog.records)
    assert mode(path.parent) == 0o700 and mode(path) == 0o600
    assert not opens_with(path, bot_account, device, crypto.NIO_DEFAULT_KEY)
    assert opens_with(path, bot_account, device, crypto.derive(SECRET, bot_account))


def test_a_store_locked_with_the_password_moves_to_a_new_store_key(
        homeserver: Homeserver, people: Callable[[str], Person], start_bot: Callable[..., RunningBot],
        bot_account: str, sessions: sessionmaker[Session]) -> None:
    bot = start_bot()  # no MATRIX_STORE_KEY yet: locked with a key from MATRIX_PASSWORD
    alice = people("alice")
    room = chat_once(alice, bot_account)
    bot.stop()
    start_bot(matrix_store_key=SECRET)
    assert "Riverside Partnership" in alice.ask(room, "!partner partnership", bot_account)["body"]
    path, device = the_store(matrix_settings(homeserver, bot_account, sessions), sessions)
    assert opens_with(path, bot_account, device, crypto.derive(SECRET, bot_account))
    assert not opens_with(path, bot_account, device, crypto.derive(PASSWORD, bot_account))


def test_a_store_no_setting_unlocks_stops_the_start_saying_what_to_do(
        homeserver: Homeserver, people: Callable[[str], Person], start_bot: Callable[..., RunningBot],
        bot_account: str, sessions: sessionmaker[Session]) -> None:
    bot = start_bot(matrix_store_key=SECRET)
    chat_once(people("alice"), bot_account)
    bot.stop()
    wrong = matrix_settings(homeserver, bot_account, sessions, matrix_store_key="not the secret it was made with")
    path, device = the_store(wrong, sessions)
    before = path.read_bytes()

    with pytest.raises(account.LoginFailed) as refused:
        asyncio.run(MatrixBot(wrong, sessions, sync_timeout_ms=1000).run())
    said = str(refused.value)
    assert str(path) in said and "does not open with the key from MATRIX_STORE_KEY" in said
    assert "move the file aside" in said
    assert path.read_bytes() == before  # nothing lost: the right secret still opens it
    assert account.stored(sessions, bot_account).device_id == device
    found = crypto.check_store(wrong, sessions)
    assert not found.ok and "does not open with the key from MATRIX_STORE_KEY" in found.message
