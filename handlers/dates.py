"""Reading dates the way people type them, and showing them in the reader's time zone.

Dates are read in the typist's zone (so "friday" is their Friday) and stored in UTC; a
due date means the end of that day.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateparser.date import DateDataParser

from handlers.errors import UserError
from handlers.parsing import clipped
from handlers.reply import plural

_ISO = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_NUMBER = re.compile(r"\d{1,3}")
# A moment `written` into stored text, with its zone.
_WRITTEN = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})")
# 31/03/2027, 31.3.27, 03-31-2027, 31/3: read in the person's own order, never guessed.
_NUMERIC = re.compile(r"(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{4}|\d{2}))?")
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name} | {
    name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
# Words that make a month or a year relative to today (`in 3 months`, `next year`), not one named.
_RELATIVE = re.compile(r"\b(?:in|next|this|last|ago|from|months?|years?)\b")
_END_OF = re.compile(r"(?:the )?end of (?:the )?(?:(this |next )?(month|year)|([a-z]+)(?: (\d{4}))?)")
# Everyday words for a day that dateparser does not read: the end of today, and the days of
# the year people plan around, taken as the next one from today.
_TODAY = frozenset({"eod", "end of day", "end of the day", "end of today", "cob", "close of business"})
_DAYS_OF_THE_YEAR = {"christmas": (12, 25), "christmas day": (12, 25), "xmas": (12, 25), "christmas eve": (12, 24),
                     "boxing day": (12, 26), "new year's eve": (12, 31), "new years eve": (12, 31),
                     "new year": (1, 1), "new year's day": (1, 1), "new years day": (1, 1)}
# The words most dates are typed in, read here as dateparser reads them, in microseconds
# rather than the half millisecond dateparser takes (a tenth of `commit`'s time).
_WEEKDAYS = {name.lower(): number for number, name in enumerate(calendar.day_name)}
_IN_DAYS = re.compile(r"in (\d{1,3}) (day|week)s?")
# The years a partnership's dates can fall in: anything else is a slip of the keyboard, and
# a year like 9999 breaks calendars and sorting downstream (`end:9999-12-31` broke `export`).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def date_hint(today: date) -> str:
    """How to write a date, with examples still to come: an example already past would be
    refused itself where a date must be ahead (`by:`, `away`, `snooze`)."""
    next_month = last_day(today.year, today.month) + timedelta(days=1)
    return (f"Write a date like `{next_month.isoformat()}`, `friday`, `tomorrow`, `in 2 weeks` or "
            f"`end of {calendar.month_name[next_month.month].lower()}`.")


def parse_day(text: str, tz: ZoneInfo, now: datetime, month_first: bool) -> date:
    """A calendar day from an ISO date, numbers in the typist's order (day first unless
    `month_first`) or plain words, read in the typist's zone, between 2000 and 2100."""
    day = read_day(text.strip(), tz, now, month_first)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise UserError(f"{day.isoformat()} is outside the years {FIRST_YEAR} to {LAST_YEAR}. "
                        f"{date_hint(now.astimezone(tz).date())}")
    return day


def read_day(text: str, tz: ZoneInfo, now: datetime, month_first: bool) -> date:
    today = now.astimezone(tz).date()
    if _ISO.fullmatch(text):
        try:
            return date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
        except ValueError:
            raise UserError(f"`{text}` isn't a real date. {date_hint(today)}") from None
    if numeric := _NUMERIC.fullmatch(text):
        return numeric_day(numeric, today, month_first)
    words = " ".join(text.lower().split())
    if words in _TODAY:
        return today
    if end := _END_OF.fullmatch(words):
        return end_of(end, today)
    if words in _DAYS_OF_THE_YEAR:
        month, day = _DAYS_OF_THE_YEAR[words]
        this_year = date(today.year, month, day)
        return this_year if this_year >= today else date(today.year + 1, month, day)
    if (ahead := days_ahead(words, today)) is not None:
        return today + timedelta(days=ahead)
    if _NUMBER.fullmatch(text):
        # dateparser reads a bare "32" as the year 2032; nobody typing it means that.
        raise UserError(f"`{text}` on its own isn't a date: is it a day of the month, or `in {text} days`? {date_hint(today)}")
    local_now = now.astimezone(tz).replace(tzinfo=None)
    found = DateDataParser(languages=["en"], settings={
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": local_now,
        "DATE_ORDER": "MDY" if month_first else "DMY",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "REQUIRE_PARTS": [],
    }).get_date_data(text[:60])
    shown = clipped(text, 40)
    if found.date_obj is None:
        raise UserError(f"I can't read `{shown}` as a date. {date_hint(today)}")
    if found.period in ("month", "year") and not _RELATIVE.search(words):
        # A month or a year named without its day: dateparser fills in today's day of the month,
        # so `by:march` was quietly the 7th.
        named = found.date_obj.date()
        which = (f"like `{named.replace(day=15).isoformat()}`, or `end of {named:%B %Y}` for its last day".lower()
                 if found.period == "month" else f"like `{named.year}-12-31`")
        raise UserError(f"`{shown}` names a {found.period} but not the day. Write the day itself, {which}.")
    return found.date_obj.date()


def days_ahead(words: str, today: date) -> int | None:
    """Days from today to the day `today`, `tomorrow`, a weekday (the next one: a week on when
    it is today's) or `in 3 days`/`in 2 weeks` names; None for any other words."""
    if words in ("today", "tomorrow"):
        return int(words == "tomorrow")
    if words in _WEEKDAYS:
        return (_WEEKDAYS[words] - today.weekday() - 1) % 7 + 1
    if found := _IN_DAYS.fullmatch(words):
        return int(found[1]) * (7 if found[2] == "week" else 1)
    return None


def numeric_day(found: re.Match[str], today: date, month_first: bool) -> date:
    """A date written in numbers, in the person's order; one that only fits the other order
    is refused with its ISO form, so 03/31 and 31/03 are never both taken silently."""
    first, second, year = int(found[1]), int(found[3]), found[4]
    day, month = (second, first) if month_first else (first, second)
    picked = on_day(year, month, day, today)
    if picked is not None:
        return picked
    swapped = on_day(year, day, month, today) if month > 12 else None
    if swapped is None:
        raise UserError(f"`{found[0]}` isn't a real date. {date_hint(today)}")
    order, other = ("month first", "dates day-first") if month_first else ("day first", "dates month-first")
    raise UserError(f"`{found[0]}` doesn't fit your date order ({order}): there is no month {month}.",
                    f"Type `{swapped.isoformat()}` for {swapped:%-d %B %Y}, or switch with `{other}`.")


def on_day(year: str | None, month: int, day: int, today: date) -> date | None:
    """That day of that year (`27` is 2027); without a year, the next time it comes round
    (29/02 within four years)."""
    years = [2000 + int(year) if len(year) == 2 else int(year)] if year else range(today.year, today.year + 5)
    for y in years:
        try:
            picked = date(y, month, day)
        except ValueError:
            continue
        if year or picked >= today:
            return picked
    return None


def end_of(found: re.Match[str], today: date) -> date:
    """`end of january` (the next one, today included), `end of month`, `end of next month`,
    `end of year`."""
    relative, period, name, year = found[1], found[2], found[3], found[4]
    ahead = 1 if relative == "next " else 0
    if period == "year":
        return date(today.year + ahead, 12, 31)
    if period == "month":
        month = today.month + ahead
        return last_day(today.year + (month - 1) // 12, (month - 1) % 12 + 1)
    month = _MONTHS.get(name)
    if month is None:
        raise UserError(f"`{name[:20]}` isn't a month.", "Write it like `end of january` or `end of next month`.")
    if year:
        return last_day(int(year), month)
    this_year = last_day(today.year, month)
    return this_year if this_year >= today else last_day(today.year + 1, month)


def last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_due(text: str, tz: ZoneInfo, now: datetime, month_first: bool, owner: ZoneInfo | None = None) -> datetime:
    """A due date in the future (or today), read as its typist writes dates (in `tz`), as the
    end of that day in UTC: the end of the owner's day, in `owner`'s zone when someone else's."""
    day = parse_day(text, tz, now, month_first)
    today = now.astimezone(tz).date()
    if day < today:
        raise UserError(f"{show_day(day, today)} is in the past. Give a date from today on. {date_hint(today)}")
    if day > today + timedelta(days=366 * 5):
        raise UserError(f"{show_day(day, today)} is more than five years away. {date_hint(today)}")
    return end_of_day(day, owner or tz)


def period(text: str, today: date) -> tuple[date, date] | None:
    """The first and last day of a span said in words (`next week`, `this weekend`, `next
    month`), weeks running Monday to Sunday, from today where the span has begun; None for
    anything else."""
    monday = today - timedelta(days=today.weekday())
    saturday = monday + timedelta(days=5)
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    following = month_end + timedelta(days=1)
    spans = {"this week": (today, monday + timedelta(days=6)),
             "next week": (monday + timedelta(weeks=1), monday + timedelta(weeks=1, days=6)),
             "this weekend": (max(today, saturday), saturday + timedelta(days=1)),
             "next weekend": (saturday + timedelta(weeks=1), saturday + timedelta(weeks=1, days=1)),
             "this month": (today, month_end),
             "next month": (following, following.replace(
                 day=calendar.monthrange(following.year, following.month)[1]))}
    spans["the weekend"] = spans["weekend"] = spans["this weekend"]
    return spans.get(" ".join(text.casefold().split()))


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz).astimezone(UTC)


def due_day_in(due_at: datetime, tz: ZoneInfo) -> date:
    """The day a due moment falls on in `tz`. A due moment is the end of a day in its owner's zone
    (`end_of_day`), so in that zone this is the day they set, the one every reader is shown
    (`describe.due_day`); another zone only asks, on purpose, what day it is there then."""
    return due_at.astimezone(tz).date()


def same_day_in(due_at: datetime, was: ZoneInfo, now_in: ZoneInfo) -> datetime:
    """A due moment, the end of a day in zone `was`, as the end of the same day in `now_in`: a due
    date is a day, and stays that day when its work changes hands or its owner changes zone."""
    return end_of_day(due_day_in(due_at, was), now_in)


def show_day(day: date, today: date | None) -> str:
    """`Fri 27 Nov`, with the year when it isn't this year, or always without a `today` (for a
    reader at any date later, such as a file passed on)."""
    return day.strftime("%a %-d %b" if today is not None and day.year == today.year else "%a %-d %b %Y")


def show_at(moment: datetime, tz: ZoneInfo, now: datetime, shared: bool = False) -> str:
    """`Fri 27 Nov 17:00`, in the reader's zone: for what happens at a time, not on a day.
    `shared` is for readers who may be anywhere, at any date (a public page, a feed, an exported
    file): it says the year and the zone, `Fri 27 Nov 2026 17:00 GMT`, so nobody reads it in theirs."""
    local = moment.astimezone(tz)
    shown = f"{show_day(local.date(), None if shared else now.astimezone(tz).date())} {local:%H:%M}"
    return f"{shown} {zone_said(local)}" if shared else shown


def zone_said(local: datetime) -> str:
    """The zone of a local time as people write it: `BST`, `EST`, `UTC`; `UTC+03` where the
    zone has no letters of its own (tz data writes Istanbul's as `+03`)."""
    name = local.tzname() or "UTC"
    return name if name[0].isalpha() else f"UTC{name}"


def written(moment: datetime) -> str:
    """A moment for stored text, such as the event log's, in UTC with its zone
    (`2027-07-08T17:00+00:00`): `moments_shown` shows it to each reader in their own zone."""
    return moment.astimezone(UTC).isoformat(timespec="minutes")


def moments_shown(text: str, tz: ZoneInfo, now: datetime) -> str:
    """Stored text with each moment `written` into it shown as `show_at` shows it to this reader,
    so a time logged by someone in London reads as New York's time in New York."""
    def shown(found: re.Match[str]) -> str:
        try:
            return show_at(datetime.fromisoformat(found[0]), tz, now)
        except ValueError:  # typed into a title, say, and no real moment: left as written
            return found[0]
    return _WRITTEN.sub(shown, text)


def show_due(due_at: datetime, tz: ZoneInfo, now: datetime, at_time: bool = False) -> str:
    """A due moment as a day in `tz`, with how far off it is: the reader's zone for a moment such as
    a proposal's closing (`at_time` adds the time, which a reader in another zone would otherwise
    miss), the owner's for a commitment, whose due day is theirs for every reader (`describe.due_said`)."""
    day = due_day_in(due_at, tz)
    today = now.astimezone(tz).date()
    delta = (day - today).days
    if due_at < now:
        when = f"{plural(days_overdue(due_at, tz, now), 'day')} overdue"
    elif delta == 0:
        when = "today"
    elif delta == 1:
        when = "tomorrow"
    else:
        when = f"in {delta} days"
    return f"{show_at(due_at, tz, now) if at_time else show_day(day, today)} ({when})"


def days_overdue(due_at: datetime, tz: ZoneInfo, now: datetime) -> int:
    """How many days late something due at `due_at` is now, by the calendar in `tz`: 1 the day
    after its due day (and on the due day itself, once a moment due then has passed). Every
    "N days overdue" the bot says, in a reply or a nudge, counts with this."""
    return max(1, (now.astimezone(tz).date() - due_day_in(due_at, tz)).days)


def show_moment(moment: datetime, tz: ZoneInfo, now: datetime) -> str:
    """A past moment as a day in the reader's zone: `Tue 24 Nov`."""
    return show_day(moment.astimezone(tz).date(), now.astimezone(tz).date())


def age(moment: datetime, now: datetime) -> str:
    days = (now - moment).days
    if days <= 0:
        return "today"
    return f"{plural(days, 'day')} ago"
