"""Email addresses as people type them, whether this partnerbot can send mail at all, and how
a count about an address is kept without keeping the address."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from datetime import datetime

from sqlalchemy.orm import Session

from handlers.dashboard import KEPT_PAST_EXPIRY, signing_key
from handlers.errors import UserError
from handlers.parsing import clipped
from storage import mail

ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"\\]{1,64}@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})")
# How chat platforms hand over an address they linked: Slack's `<mailto:a@b.org|a@b.org>`.
LINKED = re.compile(r"<?(?:mailto:)?([^|<>\s]+)(?:\|[^<>]*)?>?", re.IGNORECASE)


def parse_address(text: str) -> str:
    """A typed address, checked and with its domain in lower case; a friendly refusal otherwise."""
    linked = LINKED.fullmatch(text.strip())
    candidate = linked[1] if linked else text.strip()
    found = ADDRESS.fullmatch(candidate)
    if found is None or len(candidate) > 254:
        raise UserError(f"`{clipped(candidate, 60)}` doesn't look like an email address.",
                        "Type it like `notify email ana@example.org`.")
    local = candidate[: found.start(1) - 1]
    return f"{local}@{found[1].lower()}"


def same_address(a: str, b: str) -> bool:
    """Two spellings of one mailbox (mail servers ignore case in practice)."""
    return a.casefold() == b.casefold()


def shown_address(address: str) -> str:
    """An address as a reply may show it to someone else: `a***@example.org`."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def mail_on() -> bool:
    """Whether this partnerbot sends mail: its operator set SMTP_URL (bot/config.py reads it too)."""
    return bool(os.environ.get("SMTP_URL"))


def ensure_mail_on() -> None:
    if not mail_on():
        raise UserError("This partnerbot doesn't send email: whoever runs it hasn't set SMTP_URL and MAIL_FROM yet.",
                        "Ask them (the README's Email section says how); meanwhile your nudges come in the chat.")


def within(session: Session, now: datetime, limit: int, *what: str) -> bool:
    """Count one more use today of what `what` names (an address, a client, a person), and
    whether it is still within `limit`; kept under a keyed hash, never the address itself."""
    digest = hmac.new(signing_key(session, now).encode(), "\0".join(("mail-limit", *what)).encode(), hashlib.sha256)
    return mail.spend(session, digest.hexdigest()[:64], now.date(), limit)


def forget_spent_counts(session: Session, now: datetime) -> None:
    """Delete the counts `within` keeps of UTC days gone by, which limit nothing any more, so the
    table does not grow with every address or client that ever asked. Run by each nudge sweep;
    yesterday's are kept `KEPT_PAST_EXPIRY` past midnight, as a web clock may run behind the sweep's."""
    mail.prune_limits(session, (now - KEPT_PAST_EXPIRY).date())
