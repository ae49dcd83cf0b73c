"""End-to-end encryption for the Matrix bot: its crypto store, key upkeep and whom it shares keys with.

matrix-nio's e2e extra (vodozemac) does the cryptography; this module decides the rest. The
store is one SQLite file per login (`<user>_<device>.db`) in MATRIX_STORE_PATH, by default a
folder next to the SQLite database (or in the working folder for PostgreSQL), so it belongs to
the device whose keys it holds: a restart reuses both. A store that went missing cannot be
rebuilt (its private keys are gone), so the bot logs in as a new device instead (account.py).

At rest: the folder is the owner's alone (0700, files 0600), and the keys in it are locked
with a key derived (scrypt) from a secret the operator keeps out of the database and its
backups: MATRIX_STORE_KEY, else MATRIX_PASSWORD, else MATRIX_ACCESS_TOKEN. A store locked
otherwise (matrix-nio's default key, which everyone knows, or another of those secrets) is
re-locked at the next start; one that opens with none of them stops the start, saying why.

Trust: by default room keys go to every device of every member of the room (as Element does
without cross-signing); with MATRIX_VERIFIED_DEVICES set, only to the devices whose keys it
lists, every other device is blacklisted, and only commands those devices sent (readably
encrypted, not forwarded) are obeyed. nio follows membership itself: a join or a leave makes
the next message start a new session, so someone who left cannot read what follows.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import os
import sqlite3
import urllib.request
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from nio import AsyncClient, AsyncClientConfig, Event, MatrixRoom
from nio.crypto import InboundGroupSession, OlmAccount, OlmDevice
from nio.crypto import Session as OlmSession
from nio.store import SqliteStore
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings

log = logging.getLogger(__name__)

STORE_FOLDER = "partnerbot-matrix-store"
MEGOLM = "m.megolm.v1.aes-sha2"
ENCRYPTION_STATE = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": MEGOLM}}
# What matrix-nio locks a store with unless told otherwise: public, so no protection at all.
NIO_DEFAULT_KEY = AsyncClientConfig().pickle_key
# Where the secret a store key is derived from may come from, in the order they are used.
SECRETS = ("MATRIX_STORE_KEY", "MATRIX_PASSWORD", "MATRIX_ACCESS_TOKEN")


class StoreLocked(Exception):
    """The crypto store opens with none of the keys the settings give: starting would lose it."""


def secrets_of(settings: Settings) -> list[tuple[str, str]]:
    """The secrets the settings hold, by setting name, the one the store is locked with first."""
    values = (settings.matrix_store_key, settings.matrix_password, settings.matrix_access_token)
    return [(name, value) for name, value in zip(SECRETS, values, strict=True) if value]


@functools.lru_cache(maxsize=8)
def derive(secret: str, user_id: str) -> str:
    """The store's passphrase: scrypt of the operator's secret (slow to guess, even for a short
    password), salted with the account, so one secret gives each account its own key."""
    return hashlib.scrypt(secret.encode(), salt=f"partnerbot matrix store {user_id}".encode(),
                          n=2 ** 14, r=8, p=1, dklen=32).hex()


def store_key(settings: Settings) -> tuple[str, str]:
    """The passphrase the store is locked with, and the setting it comes from."""
    found = secrets_of(settings)
    if not found or not settings.matrix_user_id:
        raise StoreLocked("Set MATRIX_STORE_KEY: the bot's encryption keys are locked with it.")
    name, secret = found[0]
    return derive(secret, settings.matrix_user_id), name


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


class PrivateStore(SqliteStore):
    """nio's SQLite store, its file made owner-only (0600) before SQLite first opens it; the
    journal SQLite keeps beside it takes the same mode."""

    def _create_database(self) -> Any:
        os.close(os.open(self.database_path, os.O_CREAT | os.O_RDWR, 0o600))
        os.chmod(self.database_path, 0o600)
        return super()._create_database()


def config(request_timeout: float, pickle_key: str = NIO_DEFAULT_KEY) -> AsyncClientConfig:
    """A client that gives up on an unreachable homeserver at once (the bot backs off itself),
    with encryption on and the crypto state in one owner-only SQLite file per device, locked
    with `pickle_key`."""
    return AsyncClientConfig(max_timeouts=0, request_timeout=request_timeout, encryption_enabled=True,
                             store=PrivateStore, store_sync_tokens=False, pickle_key=pickle_key)


def new_client(settings: Settings, request_timeout: float, keys: bool = True) -> AsyncClient:
    """A client for the bot's account; `keys=False` for one that only checks a login (partnerbot
    doctor) and must neither make nor load a crypto store."""
    assert settings.matrix_homeserver and settings.matrix_user_id
    if not keys:
        return AsyncClient(settings.matrix_homeserver, settings.matrix_user_id,
                           config=AsyncClientConfig(max_timeouts=0, request_timeout=request_timeout,
                                                    encryption_enabled=False))
    folder = private_folder(store_path(settings))
    return AsyncClient(settings.matrix_homeserver, settings.matrix_user_id, store_path=str(folder),
                       config=config(request_timeout, store_key(settings)[0]))


def private_folder(folder: Path) -> Path:
    """The store's folder, made (or made again) the owner's alone: 0700, and 0600 for what is in it."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    for inside in folder.iterdir():
        if inside.is_file():
            inside.chmod(0o600)
    return folder


def unlock(settings: Settings, folder: Path, device_id: str) -> None:
    """Before nio loads a device's store: make it owner-only, and have it locked with the store
    key. A store locked with matrix-nio's default key, or with another of the settings' secrets
    (MATRIX_STORE_KEY newly set beside MATRIX_PASSWORD, say), is re-locked; one that opens with
    none of them raises StoreLocked, as loading it would fail and starting afresh would lose it."""
    assert settings.matrix_user_id
    path = store_file(folder, settings.matrix_user_id, device_id)
    if not path.exists():
        return
    path.chmod(0o600)
    key, name = store_key(settings)
    old, said = lock_of(settings, path, device_id)
    if old != key:
        relock(path, old, key)
        log.warning("Matrix: the crypto store %s was locked with %s; it is now locked with a key from %s",
                    path, said, name)


def lock_of(settings: Settings, path: Path, device_id: str) -> tuple[str, str]:
    """The passphrase the device's store opens with now, and where it comes from: the store key
    first, then matrix-nio's default and the settings' other secrets; StoreLocked if none."""
    assert settings.matrix_user_id
    key, name = store_key(settings)
    found = account_pickle(path, settings.matrix_user_id, device_id)
    candidates = [(key, f"a key from {name}"), (NIO_DEFAULT_KEY, "matrix-nio's default key, which anyone can look up")]
    candidates += [(derive(secret, settings.matrix_user_id), f"a key from {setting}")
                   for setting, secret in secrets_of(settings)[1:]]
    for candidate in candidates:
        if found is None or opens(found, candidate[0]):
            return candidate
    raise StoreLocked(f"The Matrix crypto store {path} does not open with the key from {name}: it was locked with "
                      f"another secret. Set MATRIX_STORE_KEY to the secret it was locked with (the earlier one, if "
                      f"{name} was changed); or, to start afresh as a new device (encrypted messages sent to the old "
                      "one stay unreadable), move the file aside.")


def account_pickle(path: Path, user_id: str, device_id: str) -> bytes | None:
    """The device's locked account from its store, read directly (nio's store binds global
    models, which must not happen beside a running bot's own store); None if there is none."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT account FROM accounts WHERE user_id = ? AND device_id = ?",
                             (user_id, device_id)).fetchone()
    except sqlite3.Error:
        return None
    return bytes(row[0]) if row is not None else None


def opens(pickle: bytes, key: str) -> bool:
    try:
        OlmAccount.from_pickle(pickle, key)
    except Exception:  # noqa: BLE001 - vodozemac's and libolm's errors alike mean "not this key"
        return False
    return True


def relock(path: Path, old: str, new: str) -> None:
    """Lock every secret in the store (the account, its Olm sessions, the room keys it was
    given) with `new` instead of `old`, in one transaction; the old pickles are zeroed on disk."""

    def account(blob: bytes) -> bytes:
        return OlmAccount.from_pickle(blob, old).pickle(new)

    def olm(blob: bytes) -> bytes:
        return OlmSession.from_pickle(blob, datetime.now(UTC), old).pickle(new)

    def megolm(blob: bytes) -> bytes:
        return InboundGroupSession.from_pickle(blob, "", "", "", old).pickle(new)

    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("PRAGMA secure_delete = ON")
        db.execute("BEGIN IMMEDIATE")
        for table, column, key, again in (("accounts", "account", "id", account),
                                          ("olmsessions", "session", "session_id", olm),
                                          ("megolminboundsessions", "session", "session_id", megolm)):
            for row_key, blob in db.execute(f"SELECT {key}, {column} FROM {table}").fetchall():
                db.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (again(bytes(blob)), row_key))
        db.execute("COMMIT")


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


def apply_trust(client: AsyncClient, room_id: str, verified: frozenset[str], also: OlmDevice | None = None) -> None:
    """With an allow-list of device keys, blacklist every other device in the room before a send,
    so nio shares the room key with the listed devices only (and `also`, for one message)."""
    room = client.rooms.get(room_id)
    if not verified or client.olm is None or room is None or not room.encrypted:
        return
    for user in room.users:
        for device in client.device_store.active_user_devices(user):
            if device.ed25519 in verified:
                if not client.olm.is_device_verified(device):
                    client.verify_device(device)
            elif also is not None and (device.user_id, device.id) == (also.user_id, also.id):
                if client.olm.is_device_blacklisted(device):
                    client.unblacklist_device(device)
            elif not client.olm.is_device_blacklisted(device):
                log.info("not sharing room keys with %s's device %s: it is not in MATRIX_VERIFIED_DEVICES",
                         user, device.id)
                client.blacklist_device(device)


_turns: WeakKeyDictionary[AsyncClient, dict[str, asyncio.Lock]] = WeakKeyDictionary()


def turn(client: AsyncClient, room_id: str) -> asyncio.Lock:
    """Held while a message is encrypted and sent into a room, so the trust applied for one
    message (a key shared with one more device) never carries over to another."""
    return _turns.setdefault(client, {}).setdefault(room_id, asyncio.Lock())


def sending_device(client: AsyncClient, event: Event) -> OlmDevice | None:
    """The device that encrypted a decrypted message, as the bot knows it: the one of the sender's
    devices whose Curve25519 key the message's Olm-shared room key came from."""
    sender_key = getattr(event, "sender_key", None)
    if client.olm is None or not sender_key:
        return None
    return next((d for d in client.device_store.active_user_devices(event.sender) if d.curve25519 == sender_key), None)


def sent_by_verified_device(client: AsyncClient, room_id: str, event: Event, verified: frozenset[str]) -> bool:
    """Whether the message was encrypted by a device whose key is on the list: decrypted with a
    room key that device itself shared (or sent again when asked; never one forwarded by
    another device), whose signing key is one listed, belonging to the sender's device with
    that identity key."""
    if not getattr(event, "decrypted", False) or client.olm is None:
        return False
    session = client.olm.inbound_group_store.get(room_id, getattr(event, "sender_key", ""),
                                                 getattr(event, "session_id", ""))
    device = sending_device(client, event)
    return (session is not None and device is not None and session.ed25519 in verified
            and device.ed25519 == session.ed25519 and set(session.forwarding_chain) <= {device.curve25519})


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
    try:
        unlocks, said = lock_of(settings, path, stored.device_id)
    except StoreLocked as locked:
        return StoreCheck(False, str(locked))
    key = stored_key(path, settings.matrix_user_id, stored.device_id, unlocks)
    if key is None:
        return StoreCheck(False, f"the crypto store {path} holds no keys for device {stored.device_id}: move it "
                                 "aside, and the next start logs in as a new device")
    published = published_key(settings, stored.user_id, stored.device_id, stored.access_token or "")
    if published and published != key:
        return StoreCheck(False, f"the homeserver publishes other keys for device {stored.device_id} than its crypto "
                                 f"store {path} holds: move the store aside, and the next start logs in as a new device")
    holds = {None: "its keys (the homeserver could not be asked which it publishes)",
             "": "its keys, which the bot publishes when it starts"}.get(published, "the keys the homeserver publishes for it")
    wanted, name = store_key(settings)
    lock = f"locked with {said}" if unlocks == wanted else \
        f"locked with {said} until the next start locks it with a key from {name}"
    return StoreCheck(True, f"its crypto store {path} holds {holds}, {lock}")


def stored_key(path: Path, user_id: str, device_id: str, pickle_key: str) -> str | None:
    """The device's Ed25519 key from its store, unlocked with `pickle_key`."""
    found = account_pickle(path, user_id, device_id)
    if found is None:
        return None
    try:
        return str(OlmAccount.from_pickle(found, pickle_key).identity_keys["ed25519"])
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
