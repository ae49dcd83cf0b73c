"""A meeting as an iCalendar event: the invitation members add to their calendars, and the
partnership's calendar feed (handlers/exports.py `calendar_ics`, which the public page serves).

The UID names the meeting by its number in the partnership and ends with the partnership's
calendar domain (`calendar_domain`), like every other event of the feed, so the invitation, an
export and a subscription are one event, before and after the page is published. SEQUENCE
counts the meeting's moves and its cancelling, and a cancelled meeting stays in the feed as
STATUS:CANCELLED, so calendars that took it drop it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

import icalendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.meetings.record import LENGTH
from handlers.reply import Attachment
from storage.models import Meeting, MeetingStatus, Partnership

# Meetings this long past drop out of the feed; their minutes stay in the record.
KEPT = timedelta(days=90)


def calendar_domain(p: Partnership) -> str:
    """What a partnership's calendar UIDs end with, the same from its first invitation on,
    published or not: a digest of its id and the moment it was set up. So an invitation, an
    export and the public subscription name one event alike, two partnerships' events never
    collide, and no UID shows a database id or a workspace's id."""
    return hashlib.sha256(f"{p.id}:{p.created_at.isoformat()}".encode()).hexdigest()[:20] + ".partnerbot"


def meeting_event(m: Meeting, domain: str, now: datetime, words: Callable[[str], str] = str) -> icalendar.Event:
    """The meeting's event; `words` reads its texts as the reader may see them (the public page's)."""
    assert m.starts_at is not None
    e = icalendar.Event()
    e.add("uid", f"meeting-{m.number}@{domain}")
    e.add("dtstamp", now)
    e.add("dtstart", m.starts_at)
    e.add("dtend", m.starts_at + LENGTH)
    e.add("sequence", m.sequence)
    e.add("summary", words(m.title))
    if m.place:
        e.add("location", words(m.place))
    e.add("description", f"Meeting {m.number}. The agenda: type `agenda {m.number}` in the partnership's chat.")
    e.add("status", "CANCELLED" if m.status is MeetingStatus.CANCELLED else "CONFIRMED")
    return e


def meeting_events(session: Session, p: Partnership, now: datetime, domain: str,
                   words: Callable[[str], str] = str, stamp: datetime | None = None) -> list[icalendar.Event]:
    """The partnership's meetings with a time, recent and to come, cancelled ones included (one
    statement), each stamped `stamp` (by default `now`)."""
    return [meeting_event(m, domain, stamp or now, words) for m in session.scalars(
        select(Meeting).where(Meeting.partnership_id == p.id, Meeting.starts_at.is_not(None),
                              Meeting.starts_at >= now - KEPT).order_by(Meeting.starts_at, Meeting.id))]


def invitation(m: Meeting, p: Partnership, domain: str, now: datetime) -> Attachment:
    """The meeting as a file a calendar app takes: a REQUEST, or a CANCEL once called off."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//partnerbot//meetings//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if m.status is MeetingStatus.CANCELLED else "PUBLISH")
    cal.add("x-wr-calname", p.name)
    cal.add_component(meeting_event(m, domain, now))
    return Attachment(f"meeting-{m.number}.ics", "text/calendar", cal.to_ical())
