"""Reading dates the way people type them, and showing them in the reader's time zone.

Dates are read in the typist's zone (so "friday" is their Friday) and stored in UTC; a
due date means the end of that day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dateparser

from handlers.errors import UserError
from handlers.reply import plural

DATE_HINT = "Write a date like `2026-12-01`, `friday`, `tomorrow` or `in 2 weeks`."
_ISO = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_NUMBER = re.compile(r"\d{1,3}")
# The years a partnership's dates can fall in: anything else is a slip of the keyboard, and
# a year like 9999 breaks calendars and sorting downstream (`end:9999-12-31` broke `export`).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def parse_day(text: str, tz: ZoneInfo, now: datetime) -> date:
    """A calendar day from an ISO date or plain words, read in the typist's zone, between
    the years 2000 and 2100."""
    day = read_day(text.strip(), tz, now)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise UserError(f"{day.isoformat()} is outside the years {FIRST_YEAR} to {LAST_YEAR}. {DATE_HINT}")
    return day


def read_day(text: str, tz: ZoneInfo, now: datetime) -> date:
    if _ISO.fullmatch(text):
        try:
            return date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
        except ValueError:
            raise UserError(f"`{text}` isn't a real date. {DATE_HINT}") from None
    if _NUMBER.fullmatch(text):
        # dateparser reads a bare "32" as the year 2032; nobody typing it means that.
        raise UserError(f"`{text}` on its own isn't a date: is it a day of the month, or `in {text} days`? {DATE_HINT}")
    local_now = now.astimezone(tz).replace(tzinfo=None)
    parsed = dateparser.parse(
        text[:60],
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local_now,
            "DATE_ORDER": "DMY",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "REQUIRE_PARTS": [],
        },
    )
    if parsed is None:
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise UserError(f"I can't read `{shown}` as a date. {DATE_HINT}")
    return parsed.date()


def parse_due(text: str, tz: ZoneInfo, now: datetime) -> datetime:
    """A due date in the future (or today), as the end of that day in UTC."""
    day = parse_day(text, tz, now)
    today = now.astimezone(tz).date()
    if day < today:
        raise UserError(f"{show_day(day, today)} is in the past. Give a date from today on. {DATE_HINT}")
    if day > today + timedelta(days=366 * 5):
        raise UserError(f"{show_day(day, today)} is more than five years away. {DATE_HINT}")
    return end_of_day(day, tz)


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz).astimezone(UTC)


def show_day(day: date, today: date) -> str:
    """`Fri 27 Nov`, with the year when it isn't this year."""
    return day.strftime("%a %-d %b" if day.year == today.year else "%a %-d %b %Y")


def show_due(due_at: datetime, tz: ZoneInfo, now: datetime) -> str:
    """A due date in the reader's zone, with how far off it is."""
    day = due_at.astimezone(tz).date()
    today = now.astimezone(tz).date()
    delta = (day - today).days
    if due_at < now:
        late = max(1, (today - day).days)
        when = f"{plural(late, 'day')} overdue"
    elif delta == 0:
        when = "today"
    elif delta == 1:
        when = "tomorrow"
    else:
        when = f"in {delta} days"
    return f"{show_day(day, today)} ({when})"


def show_moment(moment: datetime, tz: ZoneInfo, now: datetime) -> str:
    """A past moment as a day in the reader's zone: `Tue 24 Nov`."""
    return show_day(moment.astimezone(tz).date(), now.astimezone(tz).date())


def age(moment: datetime, now: datetime) -> str:
    days = (now - moment).days
    if days <= 0:
        return "today"
    return f"{plural(days, 'day')} ago"
