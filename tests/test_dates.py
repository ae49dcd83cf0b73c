"""Dates as people type them: `end of january`, and numbers read in each person's own order
(`dates day-first` / `dates month-first`) by every command that takes a date.

The clock is Tuesday 24 November 2026 (tests/conftest.py)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import dateparser
import icalendar
import pytest
from sqlalchemy import select

from handlers.dashboard import dashboard_of
from handlers.dates import days_ahead, parse_day, period, show_at
from storage.models import Commitment, Partnership, Person
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse
from tests.test_nudges import Inbox, at, sweep


def due_days(chat: Chat) -> list[date]:
    return [c.due_at.date() for c in all_of(chat.sessions, Commitment)]


def person(chat: Chat, user_id: str) -> Person:
    return next(p for p in all_of(chat.sessions, Person) if p.user_id == user_id)


@pytest.mark.parametrize(("typed", "due"), [
    ('"end of january"', date(2027, 1, 31)),
    ('"end of November"', date(2026, 11, 30)),  # today is in November: this one, not next year's
    ('"end of february 2028"', date(2028, 2, 29)),
    ('"end of month"', date(2026, 11, 30)),
    ('"end of the month"', date(2026, 11, 30)),
    ('"end of next month"', date(2026, 12, 31)),
])
def test_end_of_a_month_is_its_last_day(town: Chat, typed: str, due: date) -> None:
    town.ok("bob", f'commit "Deliver leaflets" by:{typed}')
    assert due_days(town) == [due]


@pytest.mark.parametrize(("typed", "due"), [
    ("eod", date(2026, 11, 24)),
    ('"end of day"', date(2026, 11, 24)),
    ("christmas", date(2026, 12, 25)),
    ('"Christmas Eve"', date(2026, 12, 24)),
    ('"new year\'s day"', date(2027, 1, 1)),  # the next one, not this year's, long past
])
def test_everyday_words_for_a_day_are_read(town: Chat, typed: str, due: date) -> None:
    town.ok("bob", f'commit "Deliver leaflets" by:{typed}')
    assert due_days(town) == [due]


def test_end_of_something_that_is_no_month_is_refused(town: Chat) -> None:
    refuse(town, "bob", 'commit "Deliver leaflets" by:"end of fortnight"', "`fortnight` isn't a month",
           "`end of january`")


@pytest.mark.parametrize(("typed", "said"), [
    ("march", "`march` names a month but not the day. Write the day itself, like `2027-03-15`, or "
              "`end of march 2027` for its last day."),
    ('"dec 2027"', "`dec 2027` names a month but not the day"),
    ("2027", "`2027` names a year but not the day. Write the day itself, like `2027-12-31`."),
])
def test_a_month_or_year_without_its_day_is_asked_about_not_given_todays_day(town: Chat, typed: str, said: str) -> None:
    """`by:march` was quietly 24 March, today's day of the month, and `by:2027` 24 November 2027."""
    refuse(town, "bob", f'commit "Deliver leaflets" by:{typed}', said)


@pytest.mark.parametrize(("typed", "due"), [
    ('"in 3 months"', date(2027, 2, 24)),
    ('"next month"', date(2026, 12, 24)),
    ('"march 15"', date(2027, 3, 15)),
])
def test_a_month_counted_from_today_or_with_its_day_is_still_read(town: Chat, typed: str, due: date) -> None:
    town.ok("bob", f'commit "Deliver leaflets" by:{typed}')
    assert due_days(town) == [due]


def test_numbers_read_day_first_by_default_and_the_other_order_is_refused_with_its_iso_form(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:31/03/2027')
    town.ok("bob", 'commit "Book the hall" by:04/05/2027')  # ambiguous: the person's order, 4 May
    assert due_days(town) == [date(2027, 3, 31), date(2027, 5, 4)]
    refuse(town, "bob", 'commit "Paint the benches" by:03/31/2027', "`03/31/2027` doesn't fit your date order (day first)",
           "Type `2027-03-31` for 31 March 2027", "`dates month-first`")
    refuse(town, "bob", 'commit "Paint the benches" by:31/02/2027', "`31/02/2027` isn't a real date", "`2026-12-01`")
    town.ok("bob", 'commit "Paint the benches" by:2027-03-31')  # ISO always works
    assert due_days(town)[-1] == date(2027, 3, 31)


def test_month_first_is_kept_on_the_person_and_read_that_way(town: Chat) -> None:
    assert "You write dates day first: 04/05/2027 is 4 May." in town.ok("bob", "dates")
    assert "You write dates month first: 04/05/2027 is 5 April. `dates day-first` to change." in \
        town.ok("bob", "dates month-first")
    assert person(town, "bob").month_first and not person(town, "carol").month_first
    town.ok("bob", 'commit "Deliver leaflets" by:03/31/2027')
    town.ok("bob", 'commit "Book the hall" by:04/05/2027')
    town.ok("carol", 'commit "Paint the benches" by:04/05/2027')  # carol's own order: 4 May
    assert due_days(town) == [date(2027, 3, 31), date(2027, 4, 5), date(2027, 5, 4)]
    refuse(town, "bob", 'commit "Sweep" by:31/03/2027', "doesn't fit your date order (month first)",
           "Type `2027-03-31`", "`dates day-first`")
    refuse(town, "bob", "dates backwards", "`backwards` isn't a date order", "day-first, month-first")
    town.ok("bob", "dates day-first")
    assert not person(town, "bob").month_first


def test_help_and_tz_point_to_the_date_order(town: Chat) -> None:
    assert "31/03/2027 is read day first unless you type `dates month-first`" in town.ok("bob", "help")
    assert "`dates month-first`" in town.ok("bob", "help dates")
    assert "You write dates day first: 04/05/2027 is 4 May. `dates month-first` to change." in \
        town.ok("bob", "tz Europe/London")


@pytest.mark.parametrize("command", [
    'commit "Sweep" by:31/03/2027',
    'commit "Sweep" by:2027-04-30 from:31/03/2027',
    'commit "Sweep" every:tuesday until:31/03/2027',
    'edit 1 by:31/03/2027',
    "away 31/03/2027 2027-04-02",
    "away until:31/03/2027",
    "snooze 1 31/03/2027",
    'propose "Close the high street" closes:31/03/2027',
    "history since:31/03/2026",
    "partnership edit end:31/03/2027",
])
def test_every_command_that_takes_a_date_reads_it_in_the_persons_order(town: Chat, command: str) -> None:
    town.ok("alice", 'commit "Deliver leaflets" by:friday')
    town.ok("alice", "dates month-first")
    refuse(town, "alice", command, "doesn't fit your date order (month first)", "`dates day-first`")


def test_ambiguous_dates_in_other_commands_follow_the_order_too(town: Chat) -> None:
    town.ok("alice", "dates month-first")
    town.ok("alice", "partnership edit end:06/05/2027")  # the work below is due before it ends
    town.ok("alice", "away 04/05/2027 04/09/2027")
    [p] = all_of(town.sessions, Partnership)
    alice = person(town, "alice")
    assert p.end_date == date(2027, 6, 5)
    assert (alice.away_from, alice.away_until) == (date(2027, 4, 5), date(2027, 4, 9))
    town.ok("alice", 'commit "Sweep" by:04/30/2027 from:04/05/2027')
    [c] = all_of(town.sessions, Commitment)
    assert c.starts_at == datetime(2027, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize("when", ["2026-12-02T10:00", "2027-03-15T10:00", "2027-12-31T10:00"])
def test_a_refused_date_suggests_only_dates_to_come(town: Chat, when: str) -> None:
    """A refusal for `by:yesterday` suggested `2026-12-01`, itself in the past by then."""
    at(town, when)
    today = town.now.date()
    for command in ('commit "Paint the benches" by:yesterday', 'commit "Paint the benches" by:someday',
                    "away 2020-01-01 2020-01-05"):
        said = refuse(town, "bob", command)
        suggested = [date.fromisoformat(d) for d in re.findall(r"`(\d{4}-\d{2}-\d{2})`", said)]
        assert suggested and all(d > today for d in suggested), said
        [month] = re.findall(r"`end of (\w+)`", said)
        assert parse_day(f"end of {month}", ZoneInfo("UTC"), town.now, False) > today



@pytest.mark.parametrize(("today", "said", "span"), [
    (date(2027, 12, 15), "next month", (date(2028, 1, 1), date(2028, 1, 31))),  # across the year
    (date(2028, 1, 31), "next month", (date(2028, 2, 1), date(2028, 2, 29))),  # a leap February
    (date(2027, 2, 10), "this month", (date(2027, 2, 10), date(2027, 2, 28))),  # from today
    (date(2026, 11, 28), "next weekend", (date(2026, 12, 5), date(2026, 12, 6))),  # on a Saturday
    (date(2026, 11, 28), "Next  Month", (date(2026, 12, 1), date(2026, 12, 31))),
])
def test_a_span_said_in_words(today: date, said: str, span: tuple[date, date]) -> None:
    assert period(said, today) == span


@pytest.mark.parametrize("typed", ["today", "tomorrow", "Tomorrow", "friday", "FRIDAY", "monday", "sunday",
                                   "in 0 days", "in 1 day", "in 3 days", "in 2 weeks", "in 1 week", "in 52 weeks"])
def test_the_commonest_words_are_read_as_dateparser_reads_them_on_every_day_of_the_week(typed: str) -> None:
    """`friday` and the like skip dateparser (half a millisecond each) and must still mean what
    it says: on each day of a fortnight, late in the evening where the typist is, and just after midnight."""
    tz = ZoneInfo("Pacific/Auckland")
    for days in range(14):
        for hour, minute in ((23, 50), (0, 5), (12, 0)):
            local = datetime(2026, 11, 23, hour, minute, tzinfo=tz) + timedelta(days=days)  # from a Monday
            now = local.astimezone(UTC)
            assert days_ahead(" ".join(typed.lower().split()), local.date()) is not None
            expected = dateparser.parse(typed, languages=["en"], settings={
                "PREFER_DATES_FROM": "future", "RELATIVE_BASE": local.replace(tzinfo=None), "DATE_ORDER": "DMY",
                "RETURN_AS_TIMEZONE_AWARE": False, "REQUIRE_PARTS": []})
            assert expected is not None
            assert parse_day(typed, tz, now, month_first=False) == expected.date(), (typed, local)


def test_a_due_date_is_a_day_on_its_owners_calendar_for_every_reader(town: Chat) -> None:
    """Typed in Los Angeles for someone in Auckland, `by:2026-12-20` read as Mon 21 Dec to its owner
    and to readers east of the typist, and the away check and the export each said another day."""
    town.ok("alice", "tz America/Los_Angeles")
    town.ok("bob", "tz Pacific/Auckland")
    town.ok("carol", "tz Europe/London")
    assert "due Sun 20 Dec" in town.ok("alice", 'commit @bob "Book the hall" by:2026-12-20')
    for reader in ("alice", "bob", "carol"):
        assert "#1 Book the hall · due Sun 20 Dec" in town.ok(reader, "who"), reader
    assert all_of(town.sessions, Commitment)[0].due_at == datetime(2026, 12, 20, 10, 59, 59, tzinfo=UTC)
    town.ok("bob", 'commit "Posters" by:2026-12-09')
    assert "due Wed 9 Dec" in town.ok("carol", "who posters")
    # Handed on, and its new owner moving zone: still the day it was due.
    town.ok("bob", "reassign 2 @carol")
    assert "due Wed 9 Dec" in town.ok("carol", "accept 2")
    assert "Your open commitment keeps its due day." in town.ok("carol", "tz America/Los_Angeles")
    assert "due Wed 9 Dec" in town.ok("alice", "who posters")
    assert all_of(town.sessions, Commitment)[1].due_at == datetime(2026, 12, 10, 7, 59, 59, tzinfo=UTC)
    files = {a.filename: a.content.decode() for a in town.say("alice", "export").attachments}
    assert ",2026-12-20," in files["commitments.csv"] and ",2026-12-09," in files["commitments.csv"]


@pytest.mark.parametrize(("zone", "shown"), [("Europe/London", "Thu 8 Jul 2027 18:00 BST"),
                                             ("America/New_York", "Thu 8 Jul 2027 13:00 EDT"),
                                             ("UTC", "Thu 8 Jul 2027 17:00 UTC"),
                                             ("Europe/Istanbul", "Thu 8 Jul 2027 20:00 UTC+03")])
def test_a_time_shared_beyond_the_chat_says_its_year_and_its_zone(zone: str, shown: str) -> None:
    """Istanbul's tz data names its zone `+03`, which alone reads as a stray number."""
    moment = datetime(2027, 7, 8, 17, tzinfo=UTC)
    assert show_at(moment, ZoneInfo(zone), moment, shared=True) == shown
    assert show_at(moment, ZoneInfo(zone), moment) == shown.rsplit(" ", 1)[0].replace(" 2027", ""), \
        "in the chat, the reader's own zone, this year unsaid"


def test_every_surface_shows_the_same_due_day_its_owners(town: Chat) -> None:
    """Owned in Los Angeles and due Sunday 29 November, a commitment's moment is already Monday in
    UTC and in Auckland: every surface says Sunday, and the dashboard counts it in Sunday's week
    (it counted it in the reader's Monday week, the next one)."""
    inbox = Inbox()
    town.ok("alice", "tz Pacific/Auckland")
    town.ok("bob", "tz America/Los_Angeles")  # carol stays in UTC
    assert "due Sun 29 Nov" in town.ok("bob", 'commit "Book the hall" by:2026-11-29 effort:20h')
    assert all_of(town.sessions, Commitment)[0].due_at == datetime(2026, 11, 30, 7, 59, 59, tzinfo=UTC)
    assert "due Sun 29 Nov" in town.ok("bob", "mine")
    for reader in ("alice", "carol"):
        assert "#1 Book the hall · due Sun 29 Nov" in town.ok(reader, "who"), reader
    assert "needs 20h before Sun 29 Nov" in town.ok("alice", "load")
    assert "Due while away: #1 Book the hall" in town.ok("bob", "away 2026-11-29 2026-11-29")
    town.ok("bob", "away off")

    at(town, "2026-11-28T20:00")  # Sat 12:00 in Los Angeles
    sweep(town, inbox)
    assert any("#1 Book the hall is due Sun 29 Nov" in text for text in inbox.to("@bob")), inbox.take_all()
    at(town, "2026-12-01T00:00")  # Mon 30 Nov 16:00 in Los Angeles, Tue 1 Dec 13:00 in Auckland
    sweep(town, inbox)
    assert any("#1 Book the hall was due Sun 29 Nov" in text for text in inbox.to("@bob")), inbox.take_all()
    for reader in ("alice", "carol"):
        assert "due Sun 29 Nov" in town.ok(reader, "overdue"), reader
        assert "due Sun 29 Nov" in town.ok(reader, "status"), reader
    files = {a.filename: a.content for a in town.say("alice", "export").attachments}
    assert ",2026-11-29," in files["commitments.csv"].decode()
    assert [e.decoded("DTSTART") for e in icalendar.Calendar.from_ical(files["calendar.ics"]).walk("VEVENT")
            if "Book the hall" in str(e["SUMMARY"])] == [date(2026, 11, 29)]
    with town.sessions() as session:
        p = session.scalars(select(Partnership)).one()
        board = dashboard_of(session, p, town.now, ZoneInfo("Pacific/Auckland"))
    planned = next(chart for chart in board.charts if chart.key == "planned")
    assert planned.series[0].values[-2:] == [1.0, 0.0]  # the week of Mon 23 Nov in Auckland, not this one
    assert "this week 0 due" in planned.summary
