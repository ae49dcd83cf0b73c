"""End-to-end encryption for the Matrix bot: its crypto store, key upkeep and whom it shares keys with.

matrix-nio's e2e extra (vodozemac) does the cryptography; this module decides the rest. The
store is one SQLite file per login (`<user>_<device>.db`) in MATRIX_STORE_PATH, by default a
folder next to the SQLite database (or in the working folder for PostgreSQL), so it belongs to
the device whose keys it holds: a restart reuses both. A store that went missing cannot be
rebuilt (its private keys are gone), so the bot logs in as a new device instead (account.py).

Trust: by default room keys go to every device of every member of the room (as Element does
without cross-signing); with MATRIX_VERIFIED_DEVICES set, only to the devices whose keys it
lists, and every other device is blacklisted. nio follows membership itself: a join or a leave
makes the next message start a new session, so someone who left cannot read what follows.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import urllib.request
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from nio import AsyncClient, AsyncClientConfig, MatrixRoom
from nio.crypto import OlmAccount
from nio.store import SqliteStore
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings

log = logging.getLogger(__name__)

STORE_FOLDER = "partnerbot-matrix-store"
MEGOLM = "m.megolm.v1.aes-sha2"
ENCRYPTION_STATE = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": MEGOLM}}


def store_path(settings: Settings) -> Path:
    """MATRIX_STORE_PATH, or a folder beside the SQLite database file (the working folder otherwise)."""
    if settings.matrix_store_path:
        return Path(settings.matrix_store_path)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / STORE_FOLDER
    return Path(STORE_FOLDER).resolve()


def store_file(folder: Path, user_id: str, device_id: str) -> Path:
    """Where nio's SqliteStore keeps one login's keys."""
    return folder / f"{user_id}_{device_id}.db"


def config(request_timeout: float) -> AsyncClientConfig:
    """A client that gives up on an unreachable homeserver at once (the bot backs off itself),
    with encryption on and the crypto state in one SQLite file per device."""
    return AsyncClientConfig(max_timeouts=0, request_timeout=request_timeout, encryption_enabled=True,
                             store=SqliteStore, store_sync_tokens=False)


def new_client(settings: Settings, request_timeout: float, keys: bool = True) -> AsyncClient:
    """A client for the bot's account; `keys=False` for one that only checks a login (partnerbot
    doctor) and must neither make nor load a crypto store."""
    assert settings.matrix_homeserver and settings.matrix_user_id
    if not keys:
        return AsyncClient(settings.matrix_homeserver, settings.matrix_user_id,
                           config=AsyncClientConfig(max_timeouts=0, request_timeout=request_timeout,
                                                    encryption_enabled=False))
    folder = store_path(settings)
    folder.mkdir(parents=True, exist_ok=True)
    return AsyncClient(settings.matrix_homeserver, settings.matrix_user_id, store_path=str(folder),
                       config=config(request_timeout))


def has_store(client: AsyncClient, device_id: str) -> bool:
    return store_file(Path(client.store_path), client.user, device_id).exists()


def unload(client: AsyncClient) -> None:
    """Forget the loaded store, so the next login loads the one of its own device."""
    if client.store is not None:
        client.store.database.close()
    client.store, client.olm = None, None
    client.encrypted_rooms = set()


async def upkeep(client: AsyncClient) -> None:
    """What a sync leaves to do: publish our keys, learn members' devices, open sessions with
    them, and send queued to-device messages (key requests, answers to them)."""
    if client.olm is None:
        return
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())
    await client.send_to_device_messages()


def apply_trust(client: AsyncClient, room_id: str, verified: frozenset[str]) -> None:
    """With an allow-list of device keys, blacklist every other device in the room before a send,
    so nio shares the room key with the listed devices only."""
    room = client.rooms.get(room_id)
    if not verified or client.olm is None or room is None or not room.encrypted:
        return
    for user in room.users:
        for device in client.device_store.active_user_devices(user):
            if device.ed25519 in verified:
                if not client.olm.is_device_verified(device):
                    client.verify_device(device)
            elif not client.olm.is_device_blacklisted(device):
                log.info("not sharing room keys with %s's device %s: it is not in MATRIX_VERIFIED_DEVICES",
                         user, device.id)
                client.blacklist_device(device)


def adopt(client: AsyncClient, room_id: str, invited: str) -> None:
    """Tell nio about an encrypted room the bot just made and whom it invited, without waiting
    for the sync to bring them (the sync may bring the room before its encryption state and the
    invitation), so a message can go at once, encrypted, and its key reach the invited person's
    devices for when they join."""
    room = client.rooms.get(room_id)
    if room is None:
        room = client.rooms[room_id] = MatrixRoom(room_id, client.user_id)
        room.add_member(client.user_id, None, None)
    if not room.encrypted:  # the sync may have brought the room before its encryption state
        room.encrypted = True
        client.encrypted_rooms.add(room_id)
        if client.store is not None:
            client.store.save_encrypted_rooms([room_id])
    if room.add_member(invited, None, None, invited=True) and client.olm is not None:
        client.olm.update_tracked_users(room)
        client.invalidate_outbound_session(room_id)  # a key made before they were known is not theirs


def fingerprint(client: AsyncClient) -> str:
    """The bot device's Ed25519 key in Element's groups of four, for an admin to compare."""
    key = client.olm.account.identity_keys["ed25519"] if client.olm else ""
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


@dataclass(frozen=True)
class StoreCheck:
    """Whether the crypto store belongs to the stored login, and what to do if not."""

    ok: bool
    message: str


def check_store(settings: Settings, sessions: sessionmaker[Session]) -> StoreCheck:
    """For `partnerbot doctor`: the stored device has its store, and (when the homeserver answers)
    the keys the homeserver publishes for that device are the ones in the store."""
    from bot.matrix import account

    if not settings.matrix_enabled or not settings.matrix_user_id:
        return StoreCheck(True, "Matrix is not configured.")
    stored = account.stored(sessions, settings.matrix_user_id)
    if stored is None or not stored.device_id:
        return StoreCheck(True, "no device yet: the first start makes it and its crypto store")
    folder = store_path(settings)
    path = store_file(folder, settings.matrix_user_id, stored.device_id)
    if not path.exists():
        return StoreCheck(False, f"no crypto store for device {stored.device_id} at {path}: the next start logs in "
                                 "as a new device (with MATRIX_PASSWORD), and what was sent to the old one stays unreadable")
    key = stored_key(path, settings.matrix_user_id, stored.device_id)
    if key is None:
        return StoreCheck(False, f"the crypto store {path} holds no keys for device {stored.device_id}: move it "
                                 "aside, and the next start logs in as a new device")
    published = published_key(settings, stored.user_id, stored.device_id, stored.access_token or "")
    if published and published != key:
        return StoreCheck(False, f"the homeserver publishes other keys for device {stored.device_id} than its crypto "
                                 f"store {path} holds: move the store aside, and the next start logs in as a new device")
    said = {None: "its keys (the homeserver could not be asked which it publishes)",
            "": "its keys, which the bot publishes when it starts"}
    return StoreCheck(True, f"its crypto store {path} holds {said.get(published, 'the keys the homeserver publishes for it')}")


def stored_key(path: Path, user_id: str, device_id: str) -> str | None:
    """The device's Ed25519 key from its store, read directly (nio's store binds global models,
    which must not happen beside the running bot's own store)."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT account, shared FROM accounts WHERE user_id = ? AND device_id = ?",
                             (user_id, device_id)).fetchone()
    except sqlite3.Error:
        return None
    if row is None:
        return None
    try:
        return str(OlmAccount.from_pickle(row[0], config(30).pickle_key, bool(row[1])).identity_keys["ed25519"])
    except Exception:  # noqa: BLE001 - a pickle that will not open is a store that does not match
        return None


def published_key(settings: Settings, user_id: str, device_id: str, token: str) -> str | None:
    """The Ed25519 key the homeserver publishes for the device: "" if none, None if it cannot say."""
    request = urllib.request.Request(
        f"{(settings.matrix_homeserver or '').rstrip('/')}/_matrix/client/v3/keys/query", method="POST",
        data=json.dumps({"device_keys": {user_id: [device_id]}}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            found = json.loads(answer.read())
    except (OSError, ValueError):  # unreachable, refused or garbled: the check stays offline
        return None
    device = ((found.get("device_keys") or {}).get(user_id) or {}).get(device_id) or {}
    return str((device.get("keys") or {}).get(f"ed25519:{device_id}") or "")
