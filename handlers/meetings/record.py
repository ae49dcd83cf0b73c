"""A meeting as the record holds it: found by number, its state said, its time in the reader's zone.

Shared by the poll, the agenda, the minutes and the calendar, so a meeting reads the same on
every surface, and by `decisions`, which says which meeting a decision was taken at.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, union
from sqlalchemy.orm import Session

from handlers.context import Context
from handlers.dates import show_at, show_day, written
from handlers.errors import UserError
from storage.models import AgendaItem, Decision, Meeting, MeetingAttendee, MeetingOutcome, MeetingStatus

# How long a meeting is taken to last, for calendars.
LENGTH = timedelta(hours=2)


def find_meeting(ctx: Context, number: int) -> Meeting:
    return ctx.find_row(Meeting, number, "meeting", "meetings")


def meeting_day(m: Meeting, tz: ZoneInfo, now: datetime) -> str:
    """The day a meeting was (or is) held, as `taken at the meeting of ...` says it."""
    moment = m.starts_at or m.created_at
    return show_day(moment.astimezone(tz).date(), now.astimezone(tz).date())


def state(m: Meeting, tz: ZoneInfo, now: datetime) -> str:
    """`finding a time: answers close Fri 8 Jan 2027`, `Tue 12 Jan 2027 18:00 at Town hall`, `cancelled`."""
    if m.status is MeetingStatus.CANCELLED:
        return "cancelled"
    if m.status is MeetingStatus.POLLING:
        closes = show_at(m.closes_at, tz, now)
        return f"finding a time: answers {'closed' if m.closes_at <= now else 'close'} {closes}"
    assert m.starts_at is not None
    place = f" at {m.place}" if m.place else ""
    return f"{show_at(m.starts_at, tz, now)}{place}"


def logged(m: Meeting) -> str:
    """Its time and place for the event log: the time `written` with its zone, which `history`
    shows in each reader's own (a time in one zone read in another was an hour off)."""
    assert m.starts_at is not None
    return written(m.starts_at) + (f" at {m.place}" if m.place else "")


def to_come(now: datetime) -> ColumnElement[bool]:
    """A meeting still to be held: not cancelled, and finding a time or with its time still to come."""
    return (Meeting.status != MeetingStatus.CANCELLED) & (
        (Meeting.status == MeetingStatus.POLLING) | (Meeting.starts_at > now))


def ensure_not_cancelled(m: Meeting) -> None:
    if m.status is MeetingStatus.CANCELLED:
        raise UserError(f"Meeting {m.number} ({m.title}) was cancelled.",
                        'Propose a new one: `meeting propose "Title" slots:"..."`.')


def ensure_open_minutes(m: Meeting) -> None:
    """Approved minutes are the record: nothing about the meeting changes afterwards."""
    if m.approved_at is not None:
        raise UserError(f"The minutes of meeting {m.number} ({m.title}) are approved, so they are the record now "
                        "and no longer change.", f"Type `minutes {m.number}` to read them.")


def taken_at(session: Session, decision_ids: Collection[int]) -> dict[int, Meeting]:
    """The meeting each of these decisions was taken at, if any, in one statement."""
    if not decision_ids:
        return {}
    return {decision_id: m for decision_id, m in session.execute(
        select(MeetingOutcome.decision_id, Meeting).join(Meeting, Meeting.id == MeetingOutcome.meeting_id)
        .where(MeetingOutcome.decision_id.in_(decision_ids)))}


def in_draft_minutes() -> ColumnElement[bool]:
    """Decisions recorded in minutes not yet approved: a draft may still be corrected (a decision
    withdrawn from it), so the public reads them with the minutes, once approved."""
    return Decision.id.in_(select(MeetingOutcome.decision_id).join(Meeting, Meeting.id == MeetingOutcome.meeting_id)
                           .where(Meeting.approved_at.is_(None), MeetingOutcome.decision_id.is_not(None)))


def minuted(session: Session, meeting_ids: Collection[int]) -> set[int]:
    """Which of these meetings have anything of their minutes recorded (attendance, a note, a
    carried item, a decision or an action), in one statement: one with none may not have been held."""
    if not meeting_ids:
        return set()
    ids = list(meeting_ids)
    return set(session.scalars(union(
        select(MeetingAttendee.meeting_id).where(MeetingAttendee.meeting_id.in_(ids)),
        select(AgendaItem.meeting_id).where(AgendaItem.meeting_id.in_(ids),
                                            AgendaItem.note.is_not(None) | AgendaItem.carried.is_(True)),
        select(MeetingOutcome.meeting_id).where(MeetingOutcome.meeting_id.in_(ids)))))
