"""The bot's Matrix login and sync token, kept in the partnership database.

A password login makes a new device on the homeserver, so its access token and device id
are stored and reused at the next start; a login only happens again when that token stops
working. MATRIX_ACCESS_TOKEN, when set, is used as given. Each device has its crypto store
(bot/matrix/crypto.py), loaded with the login. The sync token (`next_batch`) is
saved after each sync is handled, so a restart resumes exactly where the bot stopped.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from nio import AsyncClient, LoginResponse, WhoamiResponse
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.matrix import crypto
from storage.database import transaction
from storage.models import MatrixAccount

log = logging.getLogger(__name__)

DEVICE_NAME = "partnerbot"


class LoginFailed(Exception):
    """The homeserver refused the bot's credentials: retrying will not help."""


def stored(sessions: sessionmaker[Session], user_id: str) -> MatrixAccount | None:
    with sessions() as session:
        return session.get(MatrixAccount, user_id)


def save(sessions: sessionmaker[Session], user_id: str, **values: str | None) -> None:
    """Update the bot's row (made on first use) with a new login or sync token."""
    with transaction(sessions) as session:
        account = session.get(MatrixAccount, user_id) or MatrixAccount(user_id=user_id)
        for name, value in values.items():
            setattr(account, name, value)
        account.updated_at = datetime.now(UTC)
        session.add(account)


def unlock(client: AsyncClient, settings: Settings, device_id: str) -> None:
    """Have the device's crypto store locked with the store key before nio loads it (crypto.unlock)."""
    try:
        crypto.unlock(settings, Path(client.store_path), device_id)
    except crypto.StoreLocked as locked:
        raise LoginFailed(str(locked)) from None


def sync_token(sessions: sessionmaker[Session], user_id: str) -> str | None:
    account = stored(sessions, user_id)
    return account.next_batch if account else None


async def log_in(client: AsyncClient, settings: Settings, sessions: sessionmaker[Session]) -> None:
    """Log the client in and load its device's crypto store: the configured access token, else
    the stored one, else the password.

    A stored login whose crypto store is gone is given up for a new device (its keys cannot be
    recovered, and reusing the device with new keys would leave every room unreadable).
    Network failures propagate (the caller backs off and tries again); refused credentials, a
    lost store behind MATRIX_ACCESS_TOKEN, or a store that none of the settings' secrets
    unlocks, raise LoginFailed."""
    user_id = client.user
    crypto.unload(client)
    if settings.matrix_access_token:
        client.access_token = settings.matrix_access_token
        if not isinstance(who := await client.whoami(), WhoamiResponse):
            raise LoginFailed(f"MATRIX_ACCESS_TOKEN was refused: {getattr(who, 'message', who)}")
        device = who.device_id or ""
        stored_login = stored(sessions, who.user_id)
        if not crypto.has_store(client, device) and stored_login is not None and stored_login.device_id == device:
            raise LoginFailed(f"The Matrix crypto store for device {device} is missing from {client.store_path}, and "
                              "MATRIX_ACCESS_TOKEN is tied to that device: make a new access token (a new login) "
                              "or set MATRIX_PASSWORD instead, so the bot can start as a new device.")
        unlock(client, settings, device)
        client.restore_login(who.user_id, device, settings.matrix_access_token)
        save(sessions, who.user_id, device_id=device)
        return
    account = stored(sessions, user_id)
    if account and account.access_token and account.device_id:
        if not crypto.has_store(client, account.device_id):
            log.warning("Matrix: the crypto store of device %s is missing from %s; logging in as a new device. "
                        "Encrypted messages sent to the old device cannot be read; people's clients will show "
                        "the bot with a new session.", account.device_id, client.store_path)
        else:
            unlock(client, settings, account.device_id)
            client.restore_login(user_id, account.device_id, account.access_token)
            if isinstance(await client.whoami(), WhoamiResponse):
                return
            log.warning("the stored Matrix login for %s no longer works; logging in again", user_id)
            crypto.unload(client)
    if not settings.matrix_password:
        raise LoginFailed("Set MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN for the Matrix bot account.")
    response = await client.login(settings.matrix_password, device_name=DEVICE_NAME)
    if not isinstance(response, LoginResponse):
        raise LoginFailed(f"Matrix login as {user_id} failed: {getattr(response, 'message', response)}")
    save(sessions, user_id, device_id=response.device_id, access_token=response.access_token)
