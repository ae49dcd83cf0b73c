"""What email needs kept: the outbox, reply threads, mail already taken in, and the day's limits.

The outbox keeps the nudge ledger's rules (storage/nudges.py), with the same lease statements:
a mail is queued once under its key, in the transaction of the change that owes it; a sender
leases a batch, marks each mail sent as it goes (blanking its words: the row stays as the record
that it went, until the sweep deletes it, see `handlers.email.replies.forget_old_mail`) and gives a
failed one back with a pause that doubles, so it is retried and never sent twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from storage import nudges
from storage.models import EmailThread, Mail, MailLimit, MailReceived


def _insert(session: Session):  # type: ignore[no-untyped-def]
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert


def queue(session: Session, key: str, to: str, subject: str, text: str, now: datetime, *,
          thread: EmailThread | None = None, in_reply_to: str | None = None, refs: str | None = None,
          unsubscribe: str | None = None, answer: bool = False) -> bool:
    """Owe `to` a mail, in the caller's transaction; False when one was queued under `key` already.

    Once the transaction commits, the sender is woken (`nudges.on_told`), so it goes at once."""
    done = session.execute(_insert(session)(Mail).on_conflict_do_nothing(index_elements=["key"]).returning(Mail.id), [{
        "key": key[:200], "to_address": to, "subject": subject[:300], "text": text,
        "thread_id": thread.id if thread is not None else None, "in_reply_to": in_reply_to, "refs": refs,
        "unsubscribe": unsubscribe, "answer": answer, "created_at": now, "attempts": 0}])
    queued = done.first() is not None
    if queued:
        nudges.owed(session)
    return queued


def lease(session: Session, worker: str, now: datetime, until: datetime, limit: int) -> list[Mail]:
    """Up to `limit` unsent mails nobody else holds, oldest first, leased to `worker` until `until`."""
    free = list(session.scalars(select(Mail.id).where(Mail.sent_at.is_(None), nudges.unleased(now, Mail))
                                .order_by(Mail.id).limit(limit).with_for_update(skip_locked=True)))
    won = nudges.claim(session, free, worker, now, until, Mail)
    if not won:
        return []
    return list(session.scalars(select(Mail).where(Mail.id.in_(won)).order_by(Mail.id)))


def sent(session: Session, mail_id: int, worker: str, now: datetime) -> bool:
    """Mark one mail sent (while `worker` still holds it), blanking its words."""
    return nudges.mark_sent(session, [mail_id], worker, now, Mail, text="") == 1


def failed(session: Session, ids: Sequence[int], worker: str, error: str, now: datetime) -> None:
    """Give mails back after a failed send: retried after a pause that doubles with each failure."""
    nudges.release(session, ids, worker, error, now, Mail)


def waiting(session: Session) -> tuple[int, int]:
    """How many mails wait to be sent, and how many of those failed before (for `doctor`)."""
    unsent, failing = session.execute(select(func.count(), func.count().filter(Mail.attempts > 0))
                                      .where(Mail.sent_at.is_(None))).one()
    return int(unsent), int(failing)


# Threads ------------------------------------------------------------------------------

def thread(session: Session, person_id: int, partnership_id: int | None, about: tuple[str, int] | None, title: str,
           now: datetime) -> EmailThread:
    """The person's conversation about a record (or a partnership, or nothing in particular),
    made with a fresh random token the first time; two processes making it at once make one."""
    kind, subject = about or (None, None)
    key = f"p{person_id}:{partnership_id or 0}:{kind or ''}{subject or ''}"
    session.execute(_insert(session)(EmailThread).on_conflict_do_nothing(index_elements=["thread_key"]), [{
        "thread_key": key, "token": new_token(), "person_id": person_id, "partnership_id": partnership_id,
        "subject_kind": kind, "subject_id": subject, "title": title[:300], "created_at": now}])
    found = session.scalar(select(EmailThread).where(EmailThread.thread_key == key))
    assert found is not None
    return found


def new_token() -> str:
    """128 random bits in hex: the plus part of a reply address, as Zulip makes them."""
    return secrets.token_hex(16)


def thread_by_token(session: Session, token: str) -> EmailThread | None:
    return session.scalar(select(EmailThread).where(EmailThread.token == token))


# Mail received ------------------------------------------------------------------------

def take_in(session: Session, message_key: str, now: datetime) -> None:
    """Mark a received mail as taken on, in the transaction acting on it: a second time raises
    IntegrityError (the unique key), so the mail is acted on once."""
    session.add(MailReceived(message_key=message_key, received_at=now))
    session.flush()


def taken_in(session: Session, message_key: str) -> bool:
    return session.get(MailReceived, message_key) is not None


def prune_received(session: Session, before: datetime, limit: int) -> int:
    """Delete up to `limit` marks made before `before`; how many went (see `_prune`): a mail being
    taken writes a new key and waits on none of them."""
    return _prune(session, MailReceived.message_key, MailReceived.received_at < before, limit)


def prune_sent(session: Session, before: datetime, limit: int) -> int:
    """Delete up to `limit` outbox rows sent before `before`; how many went (see `_prune`). A mail
    still owed (unsent, or given back to be retried) is never among them."""
    return _prune(session, Mail.id, Mail.sent_at < before, limit)


def _prune(session: Session, key: InstrumentedAttribute[Any], old: ColumnElement[bool], limit: int) -> int:
    """Delete up to `limit` rows of `key`'s table that are `old`; how many went. A row another
    pruner is deleting (locked, on PostgreSQL) is skipped, so pruners at once never wait on each
    other, and a batch holds its rows only briefly."""
    batch = select(key).where(old).limit(limit).with_for_update(skip_locked=True)
    gone = session.execute(delete(key.class_).where(key.in_(batch)).execution_options(synchronize_session=False))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]


# Limits -------------------------------------------------------------------------------

def spend(session: Session, key: str, today: date, limit: int) -> bool:
    """Count one more use of `key` today; False once today's count is past `limit`. One
    statement (an upsert), so two processes counting at once both count."""
    insert = _insert(session)(MailLimit).values(key=key, day=today, count=1)
    counted = session.scalar(insert.on_conflict_do_update(index_elements=["key"], set_={
        "count": case((MailLimit.day == today, MailLimit.count + 1), else_=1), "day": today,
    }).returning(MailLimit.count))
    return counted is not None and counted <= limit


def prune_limits(session: Session, before: date) -> None:
    """Delete the counts of days before `before`, which `spend` would start again from nothing.
    A row being counted (locked, on PostgreSQL) is skipped, left to the next prune, so several
    pruners and counters at once neither wait on each other nor delete a count made meanwhile."""
    old = select(MailLimit.key).where(MailLimit.day < before).with_for_update(skip_locked=True)
    session.execute(delete(MailLimit).where(MailLimit.key.in_(old)))
