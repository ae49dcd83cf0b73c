"""`partnerbot doctor`: checks every part the settings configure and says, one line each,
what works and what to fix, for towns with nobody on call.

It changes nothing (no migration, no kept login) and never prints a secret: database URLs
are shown without their password, and every line is scrubbed of every configured secret.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.logs import secrets
from storage import mail
from storage.database import alembic_config, database_now, make_engine, session_factory
from storage.models import Nudge, Sweep

# A platform whose last sweep is older than this has no process sweeping for it.
STALE_SWEEP = timedelta(minutes=20)
TIMEOUT = 10.0  # seconds to wait for Slack or the homeserver


@dataclass(frozen=True)
class Finding:
    """One line of the report: `ok` True (works), False (to fix) or None (not checked)."""

    ok: bool | None
    part: str
    text: str

    def line(self) -> str:
        mark = {True: "ok ", False: "FIX", None: "-- "}[self.ok]
        return f"{mark} {self.part}: {self.text}"


def run(settings: Settings) -> int:
    """Print the report; the exit status is 0 only when nothing needs fixing."""
    quiet = logging.getLogger("slack_sdk")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # its errors become lines of the report
    try:
        findings = diagnose(settings)
    finally:
        quiet.setLevel(level)
    for finding in findings:
        print(scrub(finding.line(), settings))
    return 0 if all(f.ok is not False for f in findings) else 1


def diagnose(settings: Settings) -> list[Finding]:
    found, sessions = database(settings)
    findings = [found]
    if any((settings.slack_bot_token, settings.slack_app_token, settings.slack_signing_secret, settings.slack_oauth)):
        findings += slack(settings)
    if settings.matrix_homeserver or settings.matrix_user_id:
        findings.append(asyncio.run(matrix(settings, sessions)))
    if settings.smtp_url or settings.imap_url or settings.mail_from:
        findings += email(settings)
    if sessions is not None:
        findings.append(nudges(settings, sessions))
    return findings


def scrub(line: str, settings: Settings) -> str:
    """The line with every configured secret blanked out, wherever an error message put it."""
    for secret in secrets(settings):
        line = line.replace(secret, "***")
    return line


def reason(exc: BaseException) -> str:
    """The first line of what went wrong, without SQLAlchemy's links and statement."""
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]


# The database ------------------------------------------------------------------------


def database(settings: Settings) -> tuple[Finding, sessionmaker[Session] | None]:
    """Reachable and migrated; the sessions for the checks that read it, when it is both."""
    url = make_url(settings.database_url)
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return Finding(False, "database", f"{shown} does not exist yet: `partnerbot migrate` makes it"), None
    engine = make_engine(settings.database_url, pool_size=1, max_overflow=1)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        return Finding(False, "database", f"can't reach {shown} ({reason(exc)}): start the database, "
                       "or correct DATABASE_URL"), None
    head = newest_migration(engine)
    if current != head:
        return Finding(False, "database", f"{shown} answers but is at migration {current or 'none'}, not {head}: "
                       "run `partnerbot migrate`"), None
    return Finding(True, "database", f"{shown} answers and is migrated ({head})"), session_factory(engine)


def newest_migration(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


# Slack -------------------------------------------------------------------------------


def slack(settings: Settings) -> list[Finding]:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    from bot.slack.app import BOT_SCOPES
    from bot.slack.delivery import DEFAULT_API_URL

    api = settings.slack_api_url or DEFAULT_API_URL
    findings = []
    if settings.slack_bot_token:
        try:
            answer = WebClient(token=settings.slack_bot_token, base_url=api, timeout=int(TIMEOUT)).auth_test()
        except SlackApiError as refused:
            error = refused.response.get("error") if refused.response is not None else refused
            findings.append(Finding(False, "slack", f"Slack refused SLACK_BOT_TOKEN ({error}): copy the Bot User "
                                    "OAuth Token again from your app's OAuth & Permissions page"))
        except OSError as exc:
            findings.append(Finding(False, "slack", f"can't reach Slack's Web API at {api} ({exc}): "
                                    "check the network, or SLACK_API_URL"))
        else:
            headers = {k.lower(): v for k, v in answer.headers.items()}
            granted = {s.strip() for s in str(headers.get("x-oauth-scopes", "")).split(",")}
            missing = [scope for scope in BOT_SCOPES if scope not in granted]
            who = f"the token works: {answer.get('user')} in {answer.get('team')}"
            if missing:
                findings.append(Finding(False, "slack", f"{who}, but lacks the scopes {', '.join(missing)}: add them "
                                        "under OAuth & Permissions (or paste bot/slack/manifest.yml again) and "
                                        "reinstall the app"))
            else:
                findings.append(Finding(True, "slack", f"{who}, with every scope the manifest asks for"))
    elif settings.slack_oauth:
        findings.append(Finding(None, "slack", "installs in several workspaces (SLACK_CLIENT_ID): each workspace's "
                                "token is checked when it is used"))
    else:
        findings.append(Finding(False, "slack", "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token from "
                                "your app's OAuth & Permissions page"))
    if settings.slack_app_token:
        try:
            WebClient(token=settings.slack_app_token, base_url=api, timeout=int(TIMEOUT)).apps_connections_open(
                app_token=settings.slack_app_token)
        except SlackApiError as refused:
            error = refused.response.get("error") if refused.response is not None else refused
            findings.append(Finding(False, "slack", f"Slack refused SLACK_APP_TOKEN for Socket Mode ({error}): make "
                                    "an app-level token with connections:write under Basic Information"))
        except OSError as exc:
            findings.append(Finding(False, "slack", f"can't reach Slack's Web API at {api} ({exc})"))
        else:
            findings.append(Finding(True, "slack", "Socket Mode: SLACK_APP_TOKEN opens connections"))
    elif settings.slack_signing_secret:
        findings.append(Finding(True, "slack", "HTTP mode: SLACK_SIGNING_SECRET is set"))
    else:
        findings.append(Finding(False, "slack", "HTTP mode needs SLACK_SIGNING_SECRET (your app's Basic Information "
                                "page), or set SLACK_APP_TOKEN for Socket Mode"))
    return findings


# Matrix ------------------------------------------------------------------------------


async def matrix(settings: Settings, sessions: sessionmaker[Session] | None) -> Finding:
    """The bot's login works (whoami), on the device the database keeps for it, whose crypto store
    holds the keys the homeserver publishes for it."""
    from nio import LoginResponse, WhoamiResponse

    from bot.matrix import account, crypto
    from bot.matrix.app import new_client

    if not (settings.matrix_homeserver and settings.matrix_user_id):
        return Finding(False, "matrix", "set both MATRIX_HOMESERVER and MATRIX_USER_ID")
    if not (settings.matrix_password or settings.matrix_access_token):
        return Finding(False, "matrix", "set MATRIX_PASSWORD (or MATRIX_ACCESS_TOKEN) for the bot account")
    user, server = settings.matrix_user_id, settings.matrix_homeserver
    client = new_client(settings, sync_timeout_ms=0, keys=False)  # checking must not make a store
    try:
        async with asyncio.timeout(TIMEOUT * 2):
            if settings.matrix_access_token:
                client.access_token = settings.matrix_access_token
                who = await client.whoami()
                if not isinstance(who, WhoamiResponse):
                    return Finding(False, "matrix", f"{server} refused MATRIX_ACCESS_TOKEN ({who.message}): "
                                   "make a new one, or set MATRIX_PASSWORD instead")
                store = await asyncio.to_thread(crypto.check_store, settings, sessions) if sessions is not None \
                    else crypto.StoreCheck(True, "crypto store not checked, as the database is away")
                return Finding(store.ok, "matrix", f"MATRIX_ACCESS_TOKEN works: {who.user_id} on device "
                               f"{who.device_id}; {store.message}")
            kept = account.stored(sessions, user) if sessions is not None else None
            if kept is not None and kept.access_token and kept.device_id:
                client.restore_login(user, kept.device_id, kept.access_token)
                who = await client.whoami()
                if isinstance(who, WhoamiResponse):
                    if who.device_id and who.device_id != kept.device_id:
                        return Finding(False, "matrix", f"the kept login is for device {who.device_id}, but the "
                                       f"database says {kept.device_id}: stop the bot, clear the matrix_accounts row "
                                       "and start it again")
                    store = await asyncio.to_thread(crypto.check_store, settings, sessions)
                    return Finding(store.ok, "matrix", f"logged in as {who.user_id} on device {kept.device_id}, the "
                                   f"one the database keeps; {store.message}")
                client.access_token = ""
            # No working login kept (or the database is away): try the password, then log out again.
            login = await client.login(settings.matrix_password or "", device_name="partnerbot doctor")
            if not isinstance(login, LoginResponse):
                return Finding(False, "matrix", f"{server} refused the login as {user} ({login.message}): "
                               "check MATRIX_USER_ID and MATRIX_PASSWORD")
            await client.logout()
            kept_note = "no login is kept yet: the bot's first start makes its device" if sessions is not None \
                else "the kept login could not be read, as the database is away"
            return Finding(True, "matrix", f"MATRIX_PASSWORD logs in as {user} ({kept_note})")
    except Exception as exc:  # aiohttp's connection errors, a timeout: the homeserver is not answering
        return Finding(False, "matrix", f"can't reach {server} ({reason(exc) or type(exc).__name__}): check "
                       "MATRIX_HOMESERVER and that the homeserver is up")
    finally:
        await client.close()


# Email -------------------------------------------------------------------------------


def email(settings: Settings) -> list[Finding]:
    """SMTP and IMAP log in (over TLS, unless the server is on this machine) and out, sending and
    reading no mail; MAIL_FROM is an address."""
    from bot.email.servers import Refused, check_imap, check_smtp, mail_from

    findings = []
    try:
        sender = mail_from(settings.mail_from)
        findings.append(Finding(True, "email", f"MAIL_FROM is {sender.addr_spec}; replies come to "
                                f"{sender.username}+<token>@{sender.domain}, which must reach the IMAP_URL mailbox"))
    except Refused as refused:
        findings.append(Finding(False, "email", str(refused)))
    for setting, url, check in (("SMTP_URL", settings.smtp_url, check_smtp), ("IMAP_URL", settings.imap_url, check_imap)):
        if not url:
            needed = "mail goes nowhere: set SMTP_URL" if setting == "SMTP_URL" else \
                "replies by mail are not read: set IMAP_URL (or pipe mail to `partnerbot mail-in`)"
            findings.append(Finding(None if setting == "IMAP_URL" else False, "email", needed))
            continue
        try:
            findings.append(Finding(True, "email", check(url)))
        except Refused as refused:
            findings.append(Finding(False, "email", f"{setting}: {refused}"))
        except Exception as exc:  # smtplib's, imaplib's and ssl's errors, a timeout: all mean the same here
            findings.append(Finding(False, "email", f"{setting}: {reason(exc) or type(exc).__name__}: check the "
                                    "host, port, user and password, and that the server is up"))
    return findings


# Nudges ------------------------------------------------------------------------------


def nudges(settings: Settings, sessions: sessionmaker[Session]) -> Finding:
    """When each configured platform was last swept, and how many nudges wait."""
    now = database_now(sessions)
    with sessions() as session:
        last = dict(session.execute(select(Sweep.platform, Sweep.finished_at)).all())
        waiting = session.scalar(select(func.count()).select_from(Nudge).where(Nudge.owed())) or 0
        failing = session.scalar(select(func.count()).select_from(Nudge)
                                 .where(Nudge.owed(), Nudge.attempts > 0)) or 0
        unsent, unsendable = mail.waiting(session) if settings.mail_enabled else (0, 0)
    platforms = [p for p, on in (("slack", settings.slack_enabled), ("matrix", settings.matrix_enabled),
                                 ("mail-out", settings.mail_enabled), ("mail-in", bool(settings.imap_url))) if on]
    swept = [f"{p} {ago(last[p], now)}" for p in platforms or sorted(last) if p in last]
    text = (f"last sweep {', '.join(swept) if swept else 'never'}; {waiting} waiting"
            + (f", {failing} of them failed to send and will be retried" if failing else "")
            + (f"; {unsent} mails waiting" + (f", {unsendable} of them failed and will be retried" if unsendable else "")
               if settings.mail_enabled else ""))
    stale = [p for p in platforms if p not in last or now - last[p] > STALE_SWEEP]
    if stale:
        return Finding(False, "nudges", f"{text}. Nothing is sweeping for {', '.join(stale)}: keep `partnerbot run` "
                       "(or one `partnerbot sweeper`) running")
    return Finding(True if platforms else None, "nudges", text)


def ago(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"
