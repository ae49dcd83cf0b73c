"""Logging: plain lines for people, or LOG_FORMAT=json for log collectors, one JSON object a
line, with one line per command handled (platform, command, outcome, time taken, request id).

No line carries a secret: every configured token and password is blanked from what is
written, and commands are logged by name, never by what was typed (which may be an anonymous
concern's words), nor by who typed it. Nor does any record, whoever logs it (Flask, waitress,
gunicorn, werkzeug, a client library at DEBUG) and wherever it goes, carry a sign-in link, a
reopen code or a code or token in an address: `redacting` blanks them as each record is made.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.email.servers import secrets_in
from handlers.watching import Handled, request_id, watchers

COMMANDS = logging.getLogger("partnerbot.commands")
HIDDEN = "***"
# What lets someone in or acts as someone: a sign-in link's token, an anonymous raiser's reopen
# code (`code:...`), and codes and tokens in an address (Slack's OAuth redirect, say).
SECRETS_IN_TEXT = re.compile(r"(/signin/)[^\s/?#\"'<>]+|(\bcode:)[^\s`\"'<>]+"
                             r"|([?&](?:code|state|token|access_token)=)[^&\s\"'<>]+", re.IGNORECASE)


def redact(text: str) -> str:
    return SECRETS_IN_TEXT.sub(lambda m: (m[1] or m[2] or m[3]) + HIDDEN, text)


def redacting(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    """A log record factory that blanks sign-in links and codes from each record as it is made,
    message and traceback, so no handler or formatter ever sees them."""

    def record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        made = make(*args, **kwargs)
        try:
            message = made.getMessage()
        except Exception:  # arguments that do not fit the message: logging reports that itself
            return made
        if redact(message) != message:
            made.msg, made.args = redact(message), None
        if made.exc_info and not made.exc_text:
            made.exc_text = redact(logging.Formatter().formatException(made.exc_info))
        if made.stack_info:
            made.stack_info = redact(made.stack_info)
        return made

    record.redacting = True  # type: ignore[attr-defined]
    return record


def install_redaction() -> None:
    """Redact every log record this process makes from now on (once, however often called)."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "redacting", False):
        logging.setLogRecordFactory(redacting(factory))


class Scrubbed(logging.Formatter):
    """A formatter that blanks every secret out of the finished line, tracebacks included."""

    def __init__(self, secrets: list[str], fmt: str | None = None) -> None:
        super().__init__(fmt)
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        line = self.render(record)
        for secret in self.secrets:
            line = line.replace(secret, "***")
        return line

    def render(self, record: logging.LogRecord) -> str:
        return super().format(record)


class Json(Scrubbed):
    def render(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                "request_id": request_id.get()}
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["error"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(settings: Settings) -> None:
    """Send warnings and worse to standard error, as text or JSON; in JSON, a line per command too."""
    install_redaction()
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(Json(secrets(settings)))
        COMMANDS.setLevel(logging.INFO)
        if log_command not in watchers:
            watchers.append(log_command)
    else:
        handler.setFormatter(Scrubbed(secrets(settings), "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def log_command(handled: Handled) -> None:
    COMMANDS.info("command", extra={"fields": {
        "platform": handled.platform, "command": handled.command, "outcome": handled.outcome,
        "ms": round(handled.seconds * 1000, 1), "request_id": handled.request_id}})


def secrets(settings: Settings) -> list[str]:
    values = [settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token,
              settings.slack_client_secret, settings.matrix_password, settings.matrix_access_token,
              settings.metrics_token, make_url(settings.database_url).password,
              *secrets_in(settings.smtp_url), *secrets_in(settings.imap_url)]
    return [str(v) for v in values if v and len(str(v)) >= 4]
