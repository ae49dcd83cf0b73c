"""Announcements by mail: what the channel is told that a partner must act on (a proposal
opened, a concern raised, a meeting's time poll), owed to each member who reads the
partnership only by mail.

The chat shows such an announcement in the channel at once; a member on email would
otherwise first hear of a proposal on its closing day, and be counted as not responding.
So the command owes each of them (never its author, who has the answer already) a `told`
nudge in its own transaction: recorded once under its key, sent by the next sweep through
the same delivery as every nudge (by mail, in the record's own conversation, so a bare
`vote yes` acts on it), and asked again before it goes, so a proposal that closed or a
concern resolved meanwhile is not mailed. Members on `notify both` read the channel itself.
The author of an anonymous concern is told like everyone else, so no row tells them apart.
"""

from __future__ import annotations

from sqlalchemy import select

from handlers.context import Context
from handlers.recheck import Asked, about, rechecks
from handlers.reply import Reply
from storage import nudges
from storage.models import (
    Concern,
    ConcernStatus,
    Decision,
    EmailAddress,
    Meeting,
    MeetingAnswer,
    MeetingStatus,
    Member,
    NotifyMode,
)
from storage.nudges import Waiting

PROPOSAL, CONCERN, POLL = "proposal-opened", "concern-raised", "meeting-poll"
# Reads the partnership by mail alone: a confirmed address, and `notify email` (not `both`).
MAIL_ALONE = (EmailAddress.confirmed_at.is_not(None), EmailAddress.mode == NotifyMode.EMAIL)


def words(reply: Reply) -> str:
    """The announcement's words on one line each part: title, text, and any list (a poll's slots)."""
    parts = [part for part in (reply.title, reply.text) if part]
    for section in reply.sections:
        listed = "; ".join(item.text for item in section.items)
        parts.append(f"{section.heading}: {listed}" if section.heading else listed)
    return " ".join(" ".join(f"{part.rstrip('.')}." for part in parts).split())


def mail_only(ctx: Context, partnership_id: int) -> list[int]:
    """The people among the partnership's active members who chose to read it by mail alone,
    with a confirmed address: one statement, as `concern` and `propose` ask it every time."""
    return list(ctx.session.scalars(
        select(EmailAddress.person_id).join(Member, Member.person_id == EmailAddress.person_id)
        .where(Member.partnership_id == partnership_id, Member.left_at.is_(None), *MAIL_ALONE)
        .order_by(EmailAddress.person_id)))


def by_mail(ctx: Context, reply: Reply, kind: str, record: Decision | Concern | Meeting, anonymous: bool = False) -> Reply:
    """Owe the announcement `reply` to every member on email but its author (everyone, when it
    is anonymous), once each; returns `reply`, for the command to return."""
    letter = {PROPOSAL: "d", CONCERN: "k", POLL: "mt"}[kind]
    text = words(reply)
    for person_id in mail_only(ctx, record.partnership_id):
        if person_id == ctx.person.id and not anonymous:
            continue
        nudges.tell(ctx.session, f"{nudges.TOLD}{kind}:{letter}{record.id}:p{person_id}", record.partnership_id,
                    kind, text, ctx.now, person_id=person_id,
                    actions=[(action.label, action.command) for action in reply.actions])
    return reply


def readers(asked: Asked) -> set[int]:
    """Who among the nudges' recipients still reads by mail alone."""
    ids = {row.person_id for row in asked.rows if row.person_id is not None}
    return set(asked.session.scalars(select(EmailAddress.person_id).where(
        EmailAddress.person_id.in_(ids), *MAIL_ALONE))) if ids else set()


def records(asked: Asked) -> dict[str, dict[int, Concern | Meeting]]:
    """The concerns and meetings the nudges name, each read once."""
    found: dict[str, dict[int, Concern | Meeting]] = {}
    for letter, model in (("k", Concern), ("mt", Meeting)):
        ids = asked.named(letter)
        found[letter] = {r.id: r for r in asked.session.scalars(select(model).where(model.id.in_(ids)))} if ids else {}
    return found


def not_by_mail(asked: Asked, row: Waiting) -> str | None:
    """Why an announcement by mail no longer suits its recipient: they read the chat now."""
    return None if row.person_id in asked.read(readers) else "its reader no longer reads the partnership by mail alone"


@rechecks(CONCERN, POLL, otherwise="it is settled, or its reader no longer reads by mail")
def still_to_act_on(asked: Asked, row: Waiting) -> str | None:
    """Still something to act on: the concern open, the poll open and unanswered by them; and
    the recipient still reads only by mail. (A proposal's is asked in handlers/decisions.py.)"""
    if why := not_by_mail(asked, row):
        return why
    found = asked.read(records)
    if row.kind == CONCERN:
        k = found["k"].get(about(row.key, "k") or 0)
        return None if isinstance(k, Concern) and k.status is ConcernStatus.OPEN else "the concern is settled"
    m = found["mt"].get(about(row.key, "mt") or 0)
    if not isinstance(m, Meeting) or m.status is not MeetingStatus.POLLING or m.closes_at <= asked.now:
        return "the meeting's poll has closed"
    member = asked.recipient(row)
    answered = asked.session.scalar(select(MeetingAnswer.id).where(
        MeetingAnswer.meeting_id == m.id, MeetingAnswer.member_id == (member.id if member else 0)).limit(1))
    return f"they have answered meeting {m.number}'s poll" if answered is not None else None
