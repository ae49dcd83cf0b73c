"""Settings from the environment or a `.env` file, under the names people already know."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from dotenv import load_dotenv
from sqlalchemy import URL, Engine, inspect, make_url
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from storage.database import make_engine, session_factory, upgrade

DEFAULT_DATABASE_URL = "sqlite:///partnerbot.db"
DEFAULT_MATRIX_PREFIX = "!partner"


@dataclass(frozen=True)
class Settings:
    database_url: str
    timezone: str
    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_api_url: str | None
    port: int
    matrix_homeserver: str | None
    matrix_user_id: str | None
    matrix_password: str | None
    matrix_access_token: str | None
    # Multi-workspace installs through Slack's OAuth flow, instead of one SLACK_BOT_TOKEN.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    # What starts a command in a Matrix room, and the homeservers whose users may invite the bot
    # (empty: any).
    matrix_prefix: str = DEFAULT_MATRIX_PREFIX
    matrix_allowed_servers: frozenset[str] = frozenset()
    # The folder of the Matrix crypto store (default: beside the SQLite database), and, when set,
    # the only device keys (Ed25519) the bot shares room keys with.
    matrix_store_path: str | None = None
    matrix_verified_devices: frozenset[str] = frozenset()
    # The secret the crypto store's keys are locked with (unset: MATRIX_PASSWORD, else
    # MATRIX_ACCESS_TOKEN); never kept in the database or its backups.
    matrix_store_key: str | None = None
    # Connections each process keeps open, and how many more it may open at a peak: with
    # several processes, keep processes x (pool + overflow) under PostgreSQL's max_connections.
    database_pool_size: int = 5
    database_max_overflow: int = 10
    # False (PARTNERBOT_SWEEP=off): this process only answers, and `partnerbot sweeper` sends nudges.
    sweep: bool = True
    # How long a sweeper holds the nudges it is delivering (PARTNERBOT_SWEEP_LEASE_SECONDS): a
    # sweeper that dies leaves them to another after this; renewed while it lives.
    sweep_lease_seconds: int = 300
    # LOG_FORMAT: "text" for people, "json" for log collectors (a line per command too).
    log_format: str = "text"
    # /metrics is off unless one of these is set: on PORT behind this bearer token, or without
    # one on a private address of its own ("127.0.0.1:9464"). PARTNERBOT_METRICS=off: neither.
    metrics_token: str | None = None
    metrics_address: tuple[str, int] | None = None
    # Email: the operator's SMTP server (smtp://user:pass@host:587 with STARTTLS, smtps:// for
    # TLS from the start), the From address, and the mailbox replies arrive in (imaps://...).
    smtp_url: str | None = None
    mail_from: str | None = None
    imap_url: str | None = None
    # PARTNERBOT_TRUSTED_PROXIES: how many proxies in front of the web app add X-Forwarded-For.
    # 0: none, so a client is the connection's address; behind a load balancer every resident
    # would otherwise be the balancer, and one day's follow requests from "one client" the town's.
    trusted_proxies: int = 0

    @property
    def sweep_lease(self) -> timedelta:
        return timedelta(seconds=self.sweep_lease_seconds)

    @property
    def slack_oauth(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def slack_enabled(self) -> bool:
        return bool((self.slack_bot_token or self.slack_oauth) and (self.slack_app_token or self.slack_signing_secret))

    @property
    def mail_enabled(self) -> bool:
        """Mail goes out (and `partnerbot run` starts email): SMTP_URL is set."""
        return bool(self.smtp_url)

    @property
    def matrix_enabled(self) -> bool:
        return bool(self.matrix_homeserver and self.matrix_user_id
                    and (self.matrix_password or self.matrix_access_token))


def load_settings(env_file: str | None = ".env") -> Settings:
    """Read settings; a `.env` file fills in what the environment leaves unset."""
    if env_file:
        load_dotenv(env_file, override=False)

    def get(name: str) -> str | None:
        return os.environ.get(name) or None

    return Settings(
        database_url=normalise_database_url(get("DATABASE_URL") or DEFAULT_DATABASE_URL),
        timezone=get("PARTNERBOT_TIMEZONE") or "UTC",
        slack_bot_token=get("SLACK_BOT_TOKEN"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET"),
        slack_app_token=get("SLACK_APP_TOKEN"),
        slack_api_url=get("SLACK_API_URL"),
        port=int(get("PORT") or 3000),
        matrix_homeserver=get("MATRIX_HOMESERVER"),
        matrix_user_id=get("MATRIX_USER_ID"),
        matrix_password=get("MATRIX_PASSWORD"),
        matrix_access_token=get("MATRIX_ACCESS_TOKEN"),
        slack_client_id=get("SLACK_CLIENT_ID"),
        slack_client_secret=get("SLACK_CLIENT_SECRET"),
        matrix_prefix=(get("MATRIX_PREFIX") or DEFAULT_MATRIX_PREFIX).strip(),
        matrix_allowed_servers=frozenset(s.strip().lower() for s in (get("MATRIX_ALLOWED_SERVERS") or "").split(",")
                                         if s.strip()),
        matrix_store_path=get("MATRIX_STORE_PATH"),
        matrix_store_key=get("MATRIX_STORE_KEY"),
        matrix_verified_devices=frozenset("".join(key.split()) for key in (get("MATRIX_VERIFIED_DEVICES") or "").split(",")
                                          if key.strip()),
        database_pool_size=count("DATABASE_POOL_SIZE", get("DATABASE_POOL_SIZE"), 5),
        database_max_overflow=count("DATABASE_MAX_OVERFLOW", get("DATABASE_MAX_OVERFLOW"), 10),
        sweep=switch("PARTNERBOT_SWEEP", get("PARTNERBOT_SWEEP"), True),
        sweep_lease_seconds=max(1, count("PARTNERBOT_SWEEP_LEASE_SECONDS", get("PARTNERBOT_SWEEP_LEASE_SECONDS"), 300)),
        log_format=choice("LOG_FORMAT", get("LOG_FORMAT"), ("text", "json")),
        **metrics_settings(get("PARTNERBOT_METRICS"), get("PARTNERBOT_METRICS_TOKEN"), get("PARTNERBOT_METRICS_ADDRESS")),
        smtp_url=get("SMTP_URL"),
        mail_from=get("MAIL_FROM"),
        imap_url=get("IMAP_URL"),
        trusted_proxies=count("PARTNERBOT_TRUSTED_PROXIES", get("PARTNERBOT_TRUSTED_PROXIES"), 0),
    )


def metrics_settings(switched: str | None, token: str | None, address: str | None) -> dict[str, Any]:
    """Where /metrics is served: never in the open by default. A bearer token serves it on PORT,
    a private address serves it there without one; PARTNERBOT_METRICS=off serves it nowhere."""
    if not switch("PARTNERBOT_METRICS", switched, True):
        return {"metrics_token": None, "metrics_address": None}
    if switched is not None and not (token or address):
        raise SystemExit("PARTNERBOT_METRICS=on needs PARTNERBOT_METRICS_TOKEN (to serve /metrics on PORT behind a "
                         "bearer token) or PARTNERBOT_METRICS_ADDRESS (a private address, like 127.0.0.1:9464).")
    if token is not None and len(token) < 16:
        raise SystemExit("PARTNERBOT_METRICS_TOKEN must be at least 16 characters: try `openssl rand -hex 24`.")
    return {"metrics_token": token, "metrics_address": private_address(address) if address else None}


def private_address(value: str) -> tuple[str, int]:
    """`host:port` on a loopback or private network (10.x, 172.16-31.x, 192.168.x, fc00::/7):
    metrics without a token must not be reachable from the internet."""
    host, _, port = value.strip().rpartition(":")
    host = host.strip("[]")
    try:
        ip = ipaddress.ip_address(host)
        private = ip.is_private and not ip.is_unspecified  # 0.0.0.0 is "private", and every address at once
    except ValueError:
        private = False
    if not private or not port.isdigit() or not 0 < int(port) < 65536:
        raise SystemExit(f"PARTNERBOT_METRICS_ADDRESS must be a private address and port, like 127.0.0.1:9464, "
                         f"not {value[:40]!r}; to serve metrics on PORT, set PARTNERBOT_METRICS_TOKEN instead.")
    return host, int(port)


def open_database(settings: Settings, create: bool = True) -> sessionmaker[Session]:
    """Connect and bring the schema up to date, as every start does; count its use for /metrics.

    Without `create`, a database that does not exist yet (no SQLite file, no partnerbot
    tables) stops with a line saying so, rather than a new empty one being made: a
    maintenance command pointed at the wrong place must not look as if all were well."""
    engine = make_engine(settings.database_url, settings.database_pool_size, settings.database_max_overflow)
    if not create:
        ensure_exists(engine)
    upgrade(engine)
    metrics.watch(engine)
    return session_factory(engine)


def shown_url(url: str | URL) -> str:
    """A database URL as safe to print: the password hidden, an SQLite file by its full path."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        parsed = parsed.set(database=str(Path(parsed.database).resolve()))
    return parsed.render_as_string(hide_password=True)


def ensure_exists(engine: Engine) -> None:
    """Stop, saying what to do, unless the database is there and holds partnerbot's tables;
    an SQLite file is looked for before connecting, which would create it."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(url.database).exists():
        raise SystemExit(f"No database at {Path(url.database).resolve()}. Run `partnerbot` first, or pass --create.")
    with engine.connect() as connection:
        found = inspect(connection).has_table("alembic_version")
    if not found:
        raise SystemExit(f"No partnerbot tables in {shown_url(url)}. Run `partnerbot` first, or pass --create.")


def count(name: str, value: str | None, default: int) -> int:
    """A whole-number setting; a wrong one stops the start with a line saying what to set."""
    if value is None:
        return default
    if not value.strip().isdigit():
        raise SystemExit(f"{name} must be a whole number, not {value[:20]!r}.")
    return int(value)


def switch(name: str, value: str | None, default: bool) -> bool:
    """An on/off setting; anything else stops the start with a line saying what to set."""
    if value is None:
        return default
    if value.strip().lower() in ("on", "true", "yes", "1"):
        return True
    if value.strip().lower() in ("off", "false", "no", "0"):
        return False
    raise SystemExit(f"{name} must be on or off, not {value[:20]!r}.")


def choice(name: str, value: str | None, choices: tuple[str, ...]) -> str:
    """One of `choices` (the first by default); anything else stops the start saying what to set."""
    if value is None:
        return choices[0]
    if value.strip().lower() not in choices:
        raise SystemExit(f"{name} must be one of {', '.join(choices)}, not {value[:20]!r}.")
    return value.strip().lower()


def normalise_database_url(url: str) -> str:
    """Accept the `postgres://` and `postgresql://` URLs hosts hand out; we drive psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
