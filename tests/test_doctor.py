"""`partnerbot doctor` against real parts: the Slack recorder (a token it refuses, a token
short of a scope), a database that is not running, and a real Synapse homeserver."""

from __future__ import annotations

import asyncio
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import doctor, scheduler
from bot.matrix import account, crypto
from bot.matrix.app import new_client
from handlers.reply import Reply
from storage import nudges as ledger
from storage.database import database_now, transaction
from tests.bot_process import free_port
from tests.environment import user_environment
from tests.matrix_homeserver import PASSWORD, Homeserver
from tests.slack_recorder import SECRET, Recorder, settings_for
from tests.test_console import PARTNERBOT

pytest_plugins = ("tests.slack_fixtures", "tests.matrix_fixtures")


class Nowhere:
    """A delivery for sweeps that owe nothing."""

    def send_to_person(self, workspace: str, user_id: str, *, reply: Reply, partnership_channel: str | None = None) -> None:
        raise AssertionError("nothing is owed")

    def send_to_channel(self, workspace: str, channel: str, *, reply: Reply) -> None:
        raise AssertionError("nothing is owed")


def test_a_refused_token_and_a_stopped_database_are_named_and_a_working_matrix_login_too(
        recorder: Recorder, homeserver: Homeserver, bot_account: str, tmp_path: Path) -> None:
    recorder.fail("auth.test", status=200, retry_after=None, error="invalid_auth")
    stopped = f"postgresql://partnerbot:db-password-1@127.0.0.1:{free_port()}/partnerbot"
    env = user_environment(DATABASE_URL=stopped, SLACK_BOT_TOKEN="xoxb-revoked-token", SLACK_SIGNING_SECRET=SECRET,
               SLACK_API_URL=recorder.url, MATRIX_HOMESERVER=homeserver.url, MATRIX_USER_ID=bot_account,
               MATRIX_PASSWORD=PASSWORD)

    done = subprocess.run([str(PARTNERBOT), "doctor"], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)

    lines = done.stdout.splitlines()
    assert done.returncode == 1, done.stdout + done.stderr
    assert lines[0].startswith("FIX database: can't reach postgresql+psycopg://partnerbot:***@127.0.0.1:")
    assert "start the database, or correct DATABASE_URL" in lines[0]
    assert "FIX slack: Slack refused SLACK_BOT_TOKEN (invalid_auth): copy the Bot User OAuth Token" in done.stdout
    assert "ok  slack: HTTP mode: SLACK_SIGNING_SECRET is set" in lines
    assert f"ok  matrix: MATRIX_PASSWORD logs in as {bot_account} (the kept login could not be read" in done.stdout
    assert not [line for line in lines if line.startswith("ok  nudges")], "no sweep can be read without a database"
    for secret in ("db-password-1", "xoxb-revoked-token", SECRET, PASSWORD):
        assert secret not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_all_well_exits_0_naming_the_kept_matrix_device_and_the_last_sweeps(
        recorder: Recorder, homeserver: Homeserver, bot_account: str, sessions: sessionmaker[Session],
        capsys: pytest.CaptureFixture[str]) -> None:
    settings = replace(settings_for(recorder, sessions), matrix_homeserver=homeserver.url,
                       matrix_user_id=bot_account, matrix_password=PASSWORD,
                       matrix_store_path=str(homeserver.folder / "bot-stores"))

    async def first_start() -> str:
        client = new_client(settings)
        await account.log_in(client, settings, sessions)
        await crypto.upkeep(client)  # publishes the device's keys
        await client.close()
        return client.device_id

    device = asyncio.run(first_start())
    for platform in ("slack", "matrix"):
        scheduler.sweep(sessions, Nowhere(), platform)

    assert doctor.run(settings) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("ok  database: ") and "answers and is migrated" in lines[0]
    assert "ok  slack: the token works: partnerbot in Town, with every scope the manifest asks for" in lines
    store = crypto.store_file(crypto.store_path(settings), bot_account, device)
    assert (f"ok  matrix: logged in as {bot_account} on device {device}, the one the database keeps; its crypto "
            f"store {store} holds the keys the homeserver publishes for it, locked with a key from MATRIX_PASSWORD") in lines
    assert lines[-1] == "ok  nudges: last sweep slack just now, matrix just now; 0 waiting"


def test_a_missing_scope_and_a_sweeper_that_stopped_are_named(
        recorder: Recorder, sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]) -> None:
    recorder.scopes.remove("files:write")
    with transaction(sessions) as session:
        ledger.swept(session, "slack", database_now(sessions) - timedelta(hours=3))

    assert doctor.run(settings_for(recorder, sessions)) == 1
    out = capsys.readouterr().out
    assert "FIX slack: the token works: partnerbot in Town, but lacks the scopes files:write: add them" in out
    assert ("FIX nudges: last sweep slack 3 hours ago; 0 waiting. Nothing is sweeping for slack: keep "
            "`partnerbot run` (or one `partnerbot sweeper`) running") in out
