"""Conversations by mail: one per person and record (a commitment, concern or proposal), or per
person and partnership for what is about no one record, each with its own reply address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from storage import mail
from storage.models import Commitment, Concern, Decision, EmailThread, Partnership

MODELS: dict[str, type[Commitment] | type[Concern] | type[Decision]] = {
    "commitment": Commitment, "concern": Concern, "decision": Decision}
NOUNS = {"commitment": "", "concern": "Concern ", "decision": "Proposal "}


def record(session: Session, about: tuple[str, int] | None) -> Commitment | Concern | Decision | None:
    """The record a thread (or a nudge) is about, by kind and database id."""
    if about is None or about[0] not in MODELS:
        return None
    return session.get(MODELS[about[0]], about[1])


def title(session: Session, partnership_id: int | None, about: tuple[str, int] | None) -> str:
    """The subject line of a conversation, the same for each of its mails."""
    found = record(session, about)
    partnership = session.get(Partnership, found.partnership_id if found else partnership_id or 0)
    where = f" ({partnership.name})" if partnership is not None else ""
    if found is not None and about is not None:
        return f"{NOUNS[about[0]]}#{found.number} {found.title}{where}"
    return f"From partnerbot{where}"


def open_thread(session: Session, person_id: int, partnership_id: int | None, about: tuple[str, int] | None,
                now: datetime) -> EmailThread:
    """The person's conversation about `about` (else about the partnership), made on first need."""
    found = record(session, about)
    if found is None:
        about = None
    else:
        partnership_id = found.partnership_id
    return mail.thread(session, person_id, partnership_id, about, title(session, partnership_id, about), now)


def record_number(session: Session, thread: EmailThread) -> int | None:
    """The number people see for the thread's record, if it is about one."""
    found = record(session, (thread.subject_kind, thread.subject_id or 0) if thread.subject_kind else None)
    return found.number if found is not None else None
