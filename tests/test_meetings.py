"""Meetings: a steering group found by a time poll, an agenda drafted from the record, minutes
with attendance and quorum, decisions and actions that join the record, approval and
publication, and the calendar as a real iCalendar parser reads it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import icalendar
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, select

from bot.web import create_app
from handlers.exports import calendar_ics
from handlers.meetings import agenda as agenda_module
from handlers.meetings.agenda import published_agendas
from handlers.meetings.minutes import markdown, published_minutes
from storage.models import (
    AgendaItem,
    Commitment,
    Decision,
    DecisionStatus,
    Event,
    Meeting,
    MeetingAnswer,
    MeetingOutcome,
    MeetingStatus,
    Partnership,
)
from tests.conftest import Chat
from tests.test_bad_input import refuse
from tests.test_nudges import Inbox, at, sweep
from tests.test_races import at_once, one_wins
from tests.web_client import address, web_settings

pytest_plugins = ("tests.web_fixtures",)

PROPOSE = 'meeting propose "Steering group" slots:"2026-12-14 18:00, 2026-12-15 18:00, 2026-12-16 09:30" ' \
          'closes:2026-12-10 place:"Town hall"'


def meeting_row(chat: Chat, number: int = 1) -> Meeting:
    with chat.sessions() as session:
        found = session.scalar(select(Meeting).where(Meeting.number == number))
        assert found is not None
        return found


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


def told(inbox: Inbox) -> list[tuple[str, str]]:
    """What the sweep said about meetings (leaving aside its reminders of the other work)."""
    return [(who, text) for who, text in inbox.take_all() if "eeting 1" in text]


def feed(chat: Chat) -> icalendar.Calendar:
    """The partnership's calendar feed (the export and the public page's subscription), parsed."""
    with chat.sessions() as session:
        p = session.scalars(select(Partnership)).one()
        return icalendar.Calendar.from_ical(calendar_ics(session, p, chat.now).content)


def meeting_events(cal: icalendar.Calendar) -> list[icalendar.Event]:
    return [e for e in cal.walk("VEVENT") if str(e["uid"]).startswith("meeting-")]


def test_a_word_alone_answers_every_slot(town: Chat) -> None:
    at(town, "2026-11-30T09:00")
    town.ok("alice", PROPOSE)
    assert "Your answers for meeting 1 (Steering group): yes 1, 2, 3." in town.ok("bob", "meeting answer 1 yes")
    assert "Your answers for meeting 1 (Steering group): no 1, 2, 3." in town.ok("carol", "meeting answer 1 No")
    refuse(town, "alice", "meeting answer 1 maybe yes:1", "I didn't understand `maybe` at the end")
    with town.sessions() as session:
        answers = sorted((a.member_id, a.answer.value) for a in session.scalars(select(MeetingAnswer)))
    assert answers == [(2, "yes")] * 3 + [(3, "no")] * 3, "Bob (member 2) and Carol (3), every slot"


def test_a_steering_group_through_time(town: Chat, inbox: Inbox) -> None:
    # What is open in the record: a severe concern, overdue work, a proposal closing soon.
    town.ok("carol", 'concern "Parking on market day" severity:high')
    town.ok("bob", 'commit "Deliver leaflets" by:friday')  # Fri 27 Nov
    at(town, "2026-11-30T09:00")
    town.ok("bob", 'propose "Adopt the market plan" closes:2026-12-15')

    # Finding a time.
    out = town.ok("alice", PROPOSE)
    assert "Meeting 1: Steering group, at Town hall" in out and "1. Mon 14 Dec 18:00" in out
    assert "Its agenda has 3 items from the record" in out
    agenda = town.ok("carol", "agenda 1")
    assert "1. Concern #1 (high): Parking on market day" in agenda
    assert "2. Proposal #1: Adopt the market plan, closing Tue 15 Dec" in agenda
    assert "3. Overdue: #1 Deliver leaflets (Bob)" in agenda
    town.ok("bob", 'agenda add 1 "Christmas lights budget"')
    town.ok("alice", "agenda move 1 4 to:1")
    assert town.ok("carol", "agenda 1").splitlines()[2] == "  - 1. Christmas lights budget"

    # Bob clicks twice at once: one set of answers.
    replies = at_once(town, ("bob", "meeting answer 1 yes:2 maybe:1"), ("bob", "meeting answer 1 yes:2 maybe:1"))
    assert not any(r.error for r in replies), [r.text for r in replies]
    town.ok("carol", "meeting answer 1 yes:1,2")
    town.ok("carol", "meeting answer 1 yes:2")  # answering again replaces
    with town.sessions() as session:
        answers = sorted((a.member_id, a.answer.value) for a in session.scalars(select(MeetingAnswer)))
    assert len(answers) == 6 and answers.count((3, "yes")) == 1
    out = town.ok("alice", "meeting 1")
    assert "Best so far: slot 2; no one from Town Council can come then." in out
    assert "2. Tue 15 Dec 18:00 — 2 yes, 0 if need be · can come: Chamber of Trade: Bob; Riverside Trust: Carol" in out
    assert "Not answered yet\n  - Alice (Town Council)" in out
    assert 'Next: `meeting answer 1 yes:"1"`' in out, "Alice has not answered: a form to fill in"
    assert '`meeting answer 1 yes:"2" maybe:"1"`' in town.ok("bob", "meeting 1"), "Bob's answers, to edit"

    # A day before the poll closes, the one who has not answered hears of it, once.
    at(town, "2026-12-10T08:00")
    sweep(town, inbox)
    [(who, text)] = told(inbox)
    assert who == "@alice" and "Meeting 1 (Steering group): answers close Thu 10 Dec" in text
    sweep(town, inbox)
    assert told(inbox) == []

    # Nobody scheduled it: once the poll closes the sweep takes the best slot, and says so.
    at(town, "2026-12-11T08:00")
    sweep(town, inbox)
    m = meeting_row(town)
    assert (m.status, m.starts_at, m.scheduled_by_id) == (MeetingStatus.SCHEDULED, datetime(2026, 12, 15, 18, tzinfo=UTC), None)
    [(where, text)] = told(inbox)
    assert where == "#general" and "the best slot is Tue 15 Dec 18:00 at Town hall" in text
    assert "Tue 15 Dec 18:00 at Town hall" in town.ok("carol", "meetings")

    # Five days ahead (the next sweep) the agenda goes to the channel, and is ready for the public page.
    at(town, "2026-12-11T09:00")
    sweep(town, inbox)
    [(where, text)] = told(inbox)
    assert where == "#general" and "The agenda of meeting 1 (Steering group), Tue 15 Dec 18:00" in text
    assert "1. Christmas lights budget\n2. Concern #1 (high): Parking on market day" in text
    with town.sessions() as session:
        [ahead] = published_agendas(session, session.scalars(select(Partnership)).one(), town.now)
    assert ahead.items[3].startswith("Overdue: #1 Deliver leaflets (someone)"), "no names on the public page"

    # The calendar feed carries it, as a real parser reads it.
    [e] = meeting_events(feed(town))
    assert e.decoded("dtstart") == datetime(2026, 12, 15, 18, tzinfo=UTC)
    assert (str(e["summary"]), str(e["location"]), int(e["sequence"]), str(e["status"])) == \
        ("Steering group", "Town hall", 0, "CONFIRMED")

    # The day before, everyone is reminded, once.
    at(town, "2026-12-14T19:00")
    sweep(town, inbox)
    reminded = told(inbox)
    assert sorted(who for who, _ in reminded) == ["@alice", "@bob", "@carol"]
    assert all("Meeting 1 (Steering group) is Tue 15 Dec 18:00 at Town hall" in text for _, text in reminded)
    sweep(town, inbox)
    assert told(inbox) == []

    # The meeting: minutes refused before it starts, then attendance and a quorum failure.
    refuse(town, "alice", "minutes 1 present:@alice", "minutes are taken from its start")
    at(town, "2026-12-15T19:00")
    out = town.ok("alice", "minutes 1 present:@alice apologies:@bob,@carol")
    assert "Not quorate: 1 of 3 partner organisations present (at least 50% needed)" in out
    refuse(town, "alice", 'minutes 1 decided "Move the fair to June" for:1', "was not quorate", "propose")
    out = town.ok("alice", "minutes 1 present:@bob")
    assert "Quorate: 2 of 3 partner organisations present" in out
    refuse(town, "alice", 'minutes 1 decided "Move the fair to June" for:5 against:1', "6 votes, from the 2 present")
    refuse(town, "bob", 'minutes 1 note 1 "x"', "Only coordinators", example=False)
    out = town.ok("alice", 'minutes 1 decided "Move the fair to June" for:2 against:0 abstain:0 '
                           'interests:"Bob runs a stall at the fair"')
    assert out == ("Decision #2 Move the fair to June: PASSED, taken at the meeting of Tue 15 Dec "
                   "(2 for, 0 against, 0 abstaining).")
    town.ok("alice", 'minutes 1 note 1 "The council will match the chamber\'s budget"')
    out = town.ok("alice", 'minutes 1 action @bob "Book the hall" by:friday')
    assert "#2 Book the hall, for Bob (Chamber of Trade), due Fri 18 Dec" in out
    town.ok("alice", "minutes 1 carry 1")
    town.ok("alice", "minutes 1 carry 2")  # the concern: still open, so drafted again anyway

    # The record: the decision and the action are like any other, linked to the meeting.
    with town.sessions() as session:
        d = session.scalar(select(Decision).where(Decision.number == 2))
        c = session.scalar(select(Commitment).where(Commitment.number == 2))
        assert d is not None and c is not None
        assert (d.status, d.closed_at) == (DecisionStatus.PASSED, datetime(2026, 12, 15, 18, tzinfo=UTC))
        assert (c.owner.person.user_id, c.title) == ("bob", "Book the hall")
        links = session.scalars(select(MeetingOutcome).order_by(MeetingOutcome.id)).all()
        assert [(o.decision_id, o.commitment_id, o.interests) for o in links] == [
            (d.id, None, "Bob runs a stall at the fair"), (None, c.id, None)]
    assert "#2 Move the fair to June · passed Tue 15 Dec · taken at the meeting of Tue 15 Dec" in town.ok("carol", "decisions")
    assert "recorded decision #2 Move the fair to June, taken at the meeting of Tue 15 Dec: passed" in \
        town.ok("carol", "history about:decisions")
    assert "Alice recorded attendance at meeting 1: 2 present, 1 apologies" in town.ok("carol", "history about:meetings")
    assert "#2 Book the hall" in town.ok("bob", "mine")
    out = town.ok("carol", "minutes 1")
    assert "Minutes of meeting 1: Steering group (draft)" in out
    assert "Present: Alice (Town Council), Bob (Chamber of Trade)" in out and "Apologies: Carol (Riverside Trust)" in out
    assert "Interests declared: Bob runs a stall at the fair." in out

    # The draft goes to those who attended or sent apologies, before approval.
    assert "Shared the draft minutes of meeting 1 with Bob (Chamber of Trade), Carol (Riverside Trust)" in \
        town.ok("alice", "minutes 1 share")
    assert "Alice shared the draft minutes of meeting 1 with 1 attendee and 1 who sent apologies" in \
        town.ok("carol", "history about:meetings"), "Carol sent apologies: she is no attendee"
    sweep(town, inbox)
    shared = told(inbox)
    assert sorted(who for who, _ in shared) == ["@bob", "@carol"]
    assert all("The draft minutes of meeting 1 (Steering group) are ready" in text for _, text in shared)

    # Approved, the minutes are the record: published, and no longer changed.
    with town.sessions() as session:
        assert published_minutes(session, session.scalars(select(Partnership)).one(), town.now) == []
    refuse(town, "bob", "minutes 1 approve", "Only coordinators", example=False)
    reply = town.say("alice", "minutes 1 approve")
    assert not reply.error and reply.attachments[0].filename == "minutes-1.md"
    refuse(town, "alice", 'minutes 1 note 1 "Changed my mind"', "are approved")
    assert "Minutes: approved · `minutes 1`" in town.ok("carol", "meeting 1")
    refuse(town, "alice", "agenda drop 1 1", "are approved")
    with town.sessions() as session:
        [page] = published_minutes(session, session.scalars(select(Partnership)).one(), town.now)
    public = markdown(page)
    assert page.number == 1 and "- Present: Chamber of Trade, Town Council" in public
    assert "Alice" not in public and "Bob" not in public
    assert "- #2 Move the fair to June: passed. Taken at the meeting of Tue 15 Dec: 2 for" in public

    # What was carried goes on the next meeting's draft.
    town.ok("alice", 'meeting propose "Steering group" slots:"2027-01-12 18:00"')
    out = town.ok("carol", "agenda 2")
    assert "Carried: Christmas lights budget" in out
    assert out.count("Parking on market day") == 1


def test_slot_times_are_read_in_the_typists_zone_and_shown_in_each_readers(town: Chat) -> None:
    town.timezones["dora"] = "America/New_York"
    town.ok("dora", 'join org:"Town Council" sector:public')
    town.ok("alice", "member role @dora coordinator")
    out = town.ok("dora", 'meeting propose "Steering group" slots:"2026-12-14 13:00"')
    assert "1. Mon 14 Dec 13:00" in out
    assert meeting_row(town).closes_at < datetime(2026, 12, 14, 18, tzinfo=UTC)
    assert "1. Mon 14 Dec 18:00 — 0 yes" in town.ok("bob", "meeting 1")


def test_moving_and_cancelling_update_the_same_calendar_event(town: Chat) -> None:
    town.ok("alice", PROPOSE)
    reply = town.say("alice", "meeting schedule 1 slot:1")
    [invite] = reply.attachments
    [first] = icalendar.Calendar.from_ical(invite.content).walk("VEVENT")
    town.ok("alice", 'meeting move 1 to:"2026-12-17 18:30" place:"The library"')
    [moved] = meeting_events(feed(town))
    assert str(moved["uid"]) == str(first["uid"])
    assert (int(moved["sequence"]), str(moved["location"])) == (1, "The library")
    assert moved.decoded("dtstart") == datetime(2026, 12, 17, 18, 30, tzinfo=UTC)
    town.ok("alice", 'meeting cancel 1 "The hall flooded"')
    [cancelled] = meeting_events(feed(town))
    assert (str(cancelled["uid"]), int(cancelled["sequence"]), str(cancelled["status"])) == \
        (str(first["uid"]), 2, "CANCELLED")
    refuse(town, "bob", "meeting answer 1 yes:1", "was cancelled")


def test_a_coordinator_and_the_sweep_settle_a_poll_once(town: Chat, inbox: Inbox) -> None:
    town.ok("alice", PROPOSE)
    at(town, "2026-12-11T08:00")
    refuse(town, "bob", "meeting schedule 1 slot:2", "Only coordinators", example=False)
    refuse(town, "alice", "meeting schedule 1 7", "`slot:7` names a slot that isn't there: slots go from 1 to 3.")
    town.ok("alice", "meeting schedule 1 3")  # the slot's bare number, as people type it
    sweep(town, inbox)
    assert [text for _, text in told(inbox) if "poll has closed" in text] == [], \
        "a coordinator's choice is not announced again, nor replaced"
    assert meeting_row(town).starts_at == datetime(2026, 12, 16, 9, 30, tzinfo=UTC)
    refuse(town, "alice", "meeting schedule 1 slot:1", "already scheduled", "meeting move")


def test_bad_meeting_input_is_refused_and_changes_nothing(town: Chat) -> None:
    many = ", ".join(f"2027-01-{day:02d} 18:00" for day in range(1, 22))
    refuse(town, "alice", f'meeting propose "Steering group" slots:"{many}"', "21 slots", "at most 20")
    refuse(town, "alice", 'meeting propose "Steering group" slots:"2026-11-01 18:00"', "already past")
    refuse(town, "alice", 'meeting propose "Steering group" slots:"2026-12-14"', "needs a time")
    refuse(town, "alice", 'meeting propose "Steering group" slots:"2026-12-14 25:00"', "no such time")
    refuse(town, "alice", 'meeting propose "Steering group"', "Say when")
    refuse(town, "alice", 'meeting propose "' + "x" * 400 + '" slots:"2026-12-14 18:00"', "keep it under 300")
    refuse(town, "bob", PROPOSE, "Only coordinators", example=False)
    town.ok("alice", PROPOSE)
    refuse(town, "bob", "meeting answer 1 yes:4", "slots go from 1 to 3")
    refuse(town, "bob", "meeting answer 1 yes:1 no:1", "two answers")
    refuse(town, "bob", "meeting answer 1", "Say which slots")
    refuse(town, "bob", "meeting answer x yes:1", "isn't a meeting number")
    refuse(town, "bob", "meeting 9", "There is no meeting #9")
    refuse(town, "bob", "minutes 1 dance", "isn't a part of the minutes")
    refuse(town, "alice", 'minutes 1 note 1 "x" for:3', "`for:` doesn't go with `minutes 1 note`")
    with town.sessions() as session:
        count = len(session.scalars(select(AgendaItem)).all())
    for n in range(count, agenda_module.MAX_ITEMS):
        town.ok("bob", f'agenda add 1 "Item {n}"')
    refuse(town, "bob", 'agenda add 1 "One too many"', "already has 40 items")
    refuse(town, "alice", "agenda move 1 1 to:41", "a place from 1 to 40", "`agenda move 1 1 to:40`")
    refuse(town, "alice", "agenda move 1 40 to:41", "`agenda move 1 40 to:1`")
    refuse(town, "alice", "agenda move 1 1", "Say where")


# Concerns, proposals, overdue work, goals (3), sign-off (4, its signatures read as a version exists); carried
# items come on afterwards (`carry_waiting`).
STATEMENTS = 10


@pytest.mark.parametrize("size", [2, 24])
def test_drafting_an_agenda_reads_the_record_in_a_fixed_number_of_statements(town: Chat, engine: Engine,
                                                                            size: int) -> None:
    for n in range(size):
        town.ok("carol", f'concern "Worry {n}"')
        town.ok("bob", f'commit "Task {n}" by:friday')
        town.ok("bob", f'propose "Idea {n}" closes:2026-12-01')
    town.ok("alice", 'agreement edit roles:"The council funds; the chamber runs events"')
    at(town, "2026-11-28T09:00")
    town.ok("alice", 'meeting propose "Steering group" slots:"2026-12-14 18:00"')
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    with town.sessions() as session:
        p = session.scalars(select(Partnership)).one()
        m = session.scalars(select(Meeting)).one()
        event.listen(engine, "before_cursor_execute", listen)
        try:
            drafted = agenda_module.draft(session, p, m, town.now, UTC)
        finally:
            event.remove(engine, "before_cursor_execute", listen)
    assert len(drafted) == 3 * min(size, agenda_module.EACH) + 1
    assert drafted[-1].title == ("Agreement version 1: still to sign: Chamber of Trade, Riverside Trust, "
                                 "Town Council")
    assert len(statements) == STATEMENTS, statements



def test_a_member_who_leaves_no_longer_counts_in_the_poll_nor_hears_of_it(town: Chat, inbox: Inbox) -> None:
    town.ok("alice", PROPOSE)
    town.ok("bob", "meeting answer 1 yes:1")
    assert "1. Mon 14 Dec 18:00 — 1 yes" in town.ok("alice", "meeting 1")
    town.ok("carol", "leave")
    town.ok("bob", "leave")
    out = town.ok("alice", "meeting 1")
    assert "1. Mon 14 Dec 18:00 — 0 yes" in out and "Carol" not in out
    at(town, "2026-12-10T08:00")
    sweep(town, inbox)
    assert [who for who, _ in told(inbox)] == ["@alice"]
    town.ok("alice", "meeting schedule 1 slot:1")
    at(town, "2026-12-14T19:00")
    refuse(town, "alice", 'minutes 1 action @carol "Book the hall" by:friday', "isn't a member")


def test_two_coordinators_scheduling_at_once_settle_it_once(town: Chat) -> None:
    town.ok("alice", "member role @bob coordinator")
    town.ok("alice", PROPOSE)
    replies = at_once(town, ("alice", "meeting schedule 1 slot:1"), ("bob", "meeting schedule 1 slot:2"))
    winner, loser = one_wins(replies)
    assert "already scheduled" in (loser.text or "")
    assert meeting_row(town).starts_at == datetime(2026, 12, 14 + winner, 18, tzinfo=UTC)
    with town.sessions() as session:
        assert len(session.scalars(select(Event).where(Event.action == "meeting-schedule")).all()) == 1


def test_a_poll_whose_slots_all_passed_is_given_a_time_by_moving_it(town: Chat, inbox: Inbox) -> None:
    town.ok("alice", 'meeting propose "Steering group" slots:"2026-11-30 18:00" closes:2026-11-29')
    at(town, "2026-12-01T09:00")
    sweep(town, inbox)  # the sweep was away: its one slot has passed, so it takes none
    assert meeting_row(town).status is MeetingStatus.POLLING
    page = town.say("alice", "meeting 1")
    assert "No slot still to come suits anyone: a coordinator can give it a time" in (page.text or "")
    assert [a.command for a in page.actions] == ['meeting move 1 to:"thursday 18:00"'], "not a schedule refused"
    refuse(town, "alice", "meeting schedule 1 slot:1", "already past", "meeting move")
    refuse(town, "alice", 'meeting move 1 place:"The library"', "no time yet")
    # Told how to write `to:`, the option it takes (it was told to write `slots:`).
    refuse(town, "alice", 'meeting move 1 to:"2026-11-30 18:00"', "already past", '`to:"2027-01-12 18:00"`')
    town.ok("alice", 'meeting move 1 to:"2026-12-08 18:00"')
    m = meeting_row(town)
    assert (m.status, m.starts_at, m.sequence) == (MeetingStatus.SCHEDULED, datetime(2026, 12, 8, 18, tzinfo=UTC), 0)
    at(town, "2026-12-08T19:00")
    refuse(town, "alice", 'meeting move 1 to:"2026-12-09 18:00"', "already started")


def test_the_public_page_shows_the_meeting_ahead_its_agenda_and_then_its_minutes(town: Chat, web: FlaskClient) -> None:
    path = address(town.ok("alice", "publish on"))
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    at(town, "2026-11-30T09:00")  # the leaflets are overdue when the agenda is drafted
    town.ok("alice", 'meeting propose "Steering group" slots:"2026-12-15 18:00" place:"Town hall"')
    town.ok("alice", "meeting schedule 1 slot:1")
    page = web.get(path).text
    assert "Meeting: Steering group, Town hall" in page, "on the timeline, two weeks ahead"
    assert "Agenda: Steering group" not in page, "the agenda is published five days before"

    at(town, "2026-12-11T09:00")
    page = web.get(path).text
    agenda = page.split('id="meeting-1"')[1].split("</article>")[0]
    assert "Agenda: Steering group" in agenda and "Tue 15 Dec 2026 18:00 UTC" in agenda and "Town hall" in agenda
    assert "Overdue: #1 Deliver leaflets (someone)" in agenda, "no names while names are off"
    assert '<a href="#meeting-1">Meeting: Steering group, Town hall</a>' in page

    at(town, "2026-12-15T19:00")
    town.ok("alice", "minutes 1 present:@alice,@bob apologies:@carol")
    town.ok("alice", 'minutes 1 decided "Move the fair to June" for:2 against:0 abstain:0')
    town.ok("alice", 'minutes 1 action @bob "Book the hall" by:friday')
    assert 'id="minutes-1"' not in web.get(path).text, "draft minutes stay private"
    town.ok("alice", "minutes 1 approve")
    page = web.get(path).text
    minutes = page.split('id="minutes-1"')[1].split("</article>")[0]
    assert "<dd>Chamber of Trade, Town Council</dd>" in minutes and "<dd>Riverside Trust</dd>" in minutes
    assert "Move the fair to June: passed" in minutes and "#2 Book the hall: Chamber of Trade, due 18 Dec 2026" in minutes
    for name in ("Alice", "Bob", "Carol"):
        assert name not in page
    feed_xml = web.get(path + "feed.atom").text
    assert "Minutes: Steering group" in feed_xml and "#minutes-1" in feed_xml

    town.ok("alice", "publish names:on")
    assert "Bob (Chamber of Trade)" in web.get(path).text.split('id="minutes-1"')[1].split("</article>")[0]


def test_times_read_beyond_the_chat_say_their_zone_and_the_minutes_file_its_year(town: Chat) -> None:
    """Alice in London set the meeting for 18:00 hers; the page of a town on London time said "Thu 8 Jul
    17:00", its zone nowhere, and the minutes Bob exported in New York "Thu 8 Jul 13:00", no zone or year."""
    town.ok("alice", "tz Europe/London")
    town.ok("bob", "tz America/New_York")
    at(town, "2027-07-01T10:00")
    path = address(town.ok("alice", "publish on"))
    town.ok("alice", 'meeting propose "Summer fair" slots:"2027-07-08 18:00" place:"Park"')
    town.ok("alice", "meeting schedule 1 slot:1")
    london = create_app(replace(web_settings(town), timezone="Europe/London"), town.sessions,
                        clock=lambda: town.now).test_client()
    at(town, "2027-07-04T10:00")
    page = london.get(path).text
    assert ">Thu 8 Jul 2027 18:00 BST</time> · Park" in page.split('id="meeting-1"')[1]
    assert "other dates are Europe/London days." in page
    assert "Meeting on Thu 8 Jul 2027 18:00 BST, Park." in london.get(path + "feed.atom").text

    at(town, "2027-07-08T19:00")
    town.ok("alice", "minutes 1 present:@alice,@bob apologies:@carol")
    town.ok("alice", "minutes 1 approve")
    minutes = london.get(path).text.split('id="minutes-1"')[1].split("</article>")[0]
    assert "<dd>Thu 8 Jul 2027 18:00 BST, Park</dd>" in minutes
    assert "<dd>approved Thu 8 Jul 2027 20:00 BST</dd>" in minutes
    exported = town.say("bob", "minutes 1 export").attachments[0].content.decode()
    assert "- When: Thu 8 Jul 2027 13:00 EDT, Park\n" in exported
    assert "- Status: approved Thu 8 Jul 2027 15:00 EDT\n" in exported
    assert "When: Thu 8 Jul 13:00" in town.ok("bob", "minutes 1"), "in the chat, each reader's own zone"


def test_minutes_never_record_a_decision_a_meeting_could_not_take_and_a_mistaken_one_is_withdrawn(town: Chat) -> None:
    """Bob was moved from present to apologies after a decision was recorded, and the approved
    minutes said "Not quorate" above "#1 ... passed, 2 for"; nor could the decision be taken out."""
    town.ok("alice", 'meeting propose "Steering group" slots:"2026-12-08 18:00" quorum:60%')
    town.ok("alice", "meeting schedule 1 slot:1")
    at(town, "2026-12-08T19:00")
    town.ok("alice", "minutes 1 present:@alice,@bob")
    town.ok("alice", 'minutes 1 decided "Spend £500 on lights" for:2 against:0')
    refuse(town, "alice", "minutes 1 apologies:@bob", "Meeting 1's minutes record 1 decision (#1), which a meeting "
           "that was not quorate could not take (Not quorate: 1 of 3 partner organisations present",
           '`withdraw 1 "not quorate"`')
    assert "Present: Alice (Town Council), Bob (Chamber of Trade)" in town.ok("carol", "minutes 1")
    refuse(town, "bob", 'withdraw 1 "recorded by mistake"', "Only coordinators", example=False)
    refuse(town, "alice", "withdraw 1", "Say why #1 comes out of meeting 1's minutes")
    out = town.ok("alice", 'withdraw 1 "Bob had left before the vote"')
    assert out == "Decision #1 Spend £500 on lights is withdrawn from meeting 1's minutes: Bob had left before the vote"
    town.ok("alice", "minutes 1 apologies:@bob")
    assert "#1 Spend £500 on lights · withdrawn from the draft minutes of the meeting of Tue 8 Dec" in \
        town.ok("carol", "decisions"), "it said \"withdrawn Tue 8 Dec · taken at the meeting of Tue 8 Dec\""
    town.ok("alice", "minutes 1 share")
    assert "Alice shared the draft minutes of meeting 1 with 1 who sent apologies" in \
        town.ok("carol", "history about:meetings"), "Bob sent apologies: he is no attendee"
    town.ok("alice", "minutes 1 approve")
    shown = town.ok("carol", "minutes 1")
    assert "Not quorate: 1 of 3" in shown and "#1 Spend £500 on lights: withdrawn." in shown
    refuse(town, "alice", 'withdraw 1 "again"', "was already withdrawn")


def test_two_coordinators_withdrawing_one_decision_from_the_minutes_at_once_withdraw_it_once(town: Chat) -> None:
    town.ok("alice", "member role @bob coordinator")
    town.ok("alice", 'meeting propose "Steering group" slots:"2026-12-08 18:00"')
    town.ok("alice", "meeting schedule 1 slot:1")
    at(town, "2026-12-08T19:00")
    town.ok("alice", "minutes 1 present:@alice,@bob,@carol")
    town.ok("alice", 'minutes 1 decided "Spend £500 on lights" for:3 against:0')
    replies = at_once(town, ("alice", 'withdraw 1 "Recorded twice"'), ("bob", 'withdraw 1 "Recorded by mistake"'))
    _, loser = one_wins(replies)
    assert "was already withdrawn" in (loser.text or "")
    with town.sessions() as session:
        assert len(session.scalars(select(Event).where(Event.action == "decision-withdraw")).all()) == 1


def test_a_carried_item_reaches_the_next_meeting_to_be_held_and_moves_on_when_that_is_cancelled(town: Chat) -> None:
    """`carry` said "goes on the next meeting's agenda", but a meeting already proposed never got
    it, nor did one proposed later, and cancelling the one that had it lost it."""
    town.ok("alice", 'meeting propose "First" slots:"2026-12-08 18:00"')
    town.ok("alice", "meeting schedule 1 slot:1")
    town.ok("bob", 'agenda add 1 "Lights budget"')
    town.ok("alice", 'meeting propose "Second" slots:"2026-12-15 18:00, 2026-12-16 18:00"')
    town.ok("alice", 'meeting propose "Third" slots:"2027-01-12 18:00"')
    town.ok("alice", "meeting schedule 3 slot:1")
    at(town, "2026-12-08T19:00")
    town.ok("alice", "minutes 1 present:@alice,@bob")
    assert town.ok("alice", "minutes 1 carry 1") == \
        "Item 1 (Lights budget) goes on the agenda of meeting 2 (Second): `agenda 2`."
    assert "1. Carried: Lights budget" in town.ok("carol", "agenda 2")
    assert "1. Lights budget: no note (carried to meeting 2)" in town.ok("carol", "minutes 1")
    refuse(town, "alice", "minutes 1 carry 1", "is already carried to meeting 2", "`agenda 2`")

    out = town.ok("alice", 'meeting cancel 2 "The hall flooded"')
    assert "Carried to it: 1 item, now on meeting 3's agenda." in out
    assert "1. Carried: Lights budget" in town.ok("carol", "agenda 3")
    out = town.ok("alice", 'meeting cancel 3 "Nobody can come"')
    assert "Carried to it: 1 item, now waiting for the next meeting proposed." in out
    assert "(carried to the next meeting proposed)" in town.ok("carol", "minutes 1")
    town.ok("alice", 'meeting propose "Fourth" slots:"2027-01-19 18:00"')
    assert "1. Carried: Lights budget" in town.ok("carol", "agenda 4")
    with town.sessions() as session:
        assert [(a.meeting_id, a.carried_to) for a in session.scalars(
            select(AgendaItem).where(AgendaItem.carried.is_(True)))] == [(1, 4)]


def test_a_meeting_that_did_not_take_place_is_cancelled_after_its_time_with_a_reason(town: Chat) -> None:
    """Past its start, `meeting cancel` said "Record what happened", and `meetings` listed it as
    held, minutes in draft, for ever, though nobody had minuted anything."""
    for n, day in ((1, 8), (2, 9)):
        town.ok("alice", f'meeting propose "Meeting {n}" slots:"2026-12-{day:02d} 18:00"')
        town.ok("alice", f"meeting schedule {n} slot:1")
    at(town, "2026-12-10T09:00")
    town.ok("alice", "minutes 2 present:@alice")
    listed = town.ok("carol", "meetings")
    assert '1. Meeting 1 · Tue 8 Dec 18:00 · minutes none yet · `minutes 1`, or `meeting cancel 1 "why"` if it was ' \
           "not held" in listed and "2. Meeting 2 · Wed 9 Dec 18:00 · minutes in draft" in listed
    refuse(town, "alice", "meeting cancel 1", "why it is cancelled")
    refuse(town, "alice", 'meeting cancel 2 "Nobody came"', "Meeting 2 has taken place", "`minutes 2`")
    reply = town.say("alice", 'meeting cancel 1 "Snow: nobody could come"')
    assert not reply.error and reply.title == "Meeting 1 (Meeting 1) did not take place"
    assert reply.attachments[0].filename == "meeting-1.ics"
    assert "1. Meeting 1" not in town.ok("carol", "meetings")
    assert "Alice recorded that meeting 1 Meeting 1 did not take place" in town.ok("carol", "history about:meetings")
    assert (meeting_row(town, 1).status, meeting_row(town, 2).status) == (MeetingStatus.CANCELLED,
                                                                         MeetingStatus.SCHEDULED)


def test_a_wind_up_calls_off_the_meetings_to_come_and_the_minutes_of_one_held_can_still_be_approved(
        town: Chat) -> None:
    """Wound up, its meetings stayed "coming up" and CONFIRMED in calendars, and could not be
    cancelled, nor the draft minutes of one already held approved."""
    for n, day in ((1, 8), (2, 15)):
        town.ok("alice", f'meeting propose "Meeting {n}" slots:"2026-12-{day:02d} 18:00"')
        town.ok("alice", f"meeting schedule {n} slot:1")
    town.ok("alice", 'meeting propose "Meeting 3" slots:"2027-01-12 18:00"')
    at(town, "2026-12-08T19:00")
    town.ok("alice", "minutes 1 present:@alice,@bob")
    out = town.ok("alice", 'partnership wind-up "The funding ended"')
    assert "Meetings called off (2)\n  - 2. Meeting 2\n  - 3. Meeting 3" in out
    assert [meeting_row(town, n).status for n in (1, 2, 3)] == [MeetingStatus.SCHEDULED, MeetingStatus.CANCELLED,
                                                                MeetingStatus.CANCELLED]
    assert [str(e["status"]) for e in meeting_events(feed(town))] == ["CONFIRMED", "CANCELLED"]
    assert "Coming up\n  None scheduled." in town.ok("carol", "meetings")
    for starts in ('minutes 1 decided "Spend more" for:2', 'minutes 1 action @bob "Book the hall" by:friday',
                   "minutes 1 carry 1"):
        refuse(town, "alice", starts, "was wound up", "nothing new can start")
    town.ok("alice", "minutes 1 apologies:@carol")
    assert "are approved" in town.ok("alice", "minutes 1 approve")


def test_a_meeting_after_the_end_date_is_listed_as_such_and_can_be_cancelled(chat: Chat) -> None:
    chat.ok("alice", 'setup "Market Square Project" kind:project end:2026-12-31')
    chat.ok("alice", 'meeting propose "Wrap-up" slots:"2027-01-12 18:00"')
    chat.ok("alice", "meeting schedule 1 slot:1")
    at(chat, "2027-01-04T10:00")
    assert "Coming up, though Market Square Project ended on its end date, Thu 31 Dec 2026: call each off " \
           'with `meeting cancel <number> "why"`\n  - 1. Wrap-up' in chat.ok("alice", "meetings")
    assert "Meeting 1 (Wrap-up) is cancelled" in chat.ok("alice", 'meeting cancel 1 "The project ended"')
    assert meeting_row(chat).status is MeetingStatus.CANCELLED


def test_the_minutes_take_no_decision_without_counts_give_no_observer_work_and_count_no_observer(town: Chat) -> None:
    """`decided` with no counts recorded a failed decision, 0 for 0 against; `action @olive`
    gave an observer work that `commit` refuses, which `who` listed and `load` left out; an
    observer present counted towards the votes and the quorum."""
    town.ok("alice", 'member add @olive org:"Riverside Trust" sector:voluntary role:observer')
    town.ok("alice", 'meeting propose "Steering group" slots:"2026-12-08 18:00"')
    town.ok("alice", "meeting schedule 1 slot:1")
    at(town, "2026-12-08T19:00")
    assert "Not quorate: 1 of 3 partner organisations present" in town.ok("alice", "minutes 1 present:@alice,@olive")
    assert "Quorate: 2 of 3" in town.ok("alice", "minutes 1 present:@bob")
    refuse(town, "alice", 'minutes 1 decided "Adopt the plan"', "Say how the meeting voted",
           '`minutes 1 decided "Adopt the plan" for:3 against:0 abstain:0`')
    refuse(town, "alice", 'minutes 1 decided "Adopt the plan" for:0 against:0', "Say how the meeting voted")
    refuse(town, "alice", 'minutes 1 decided "Adopt the plan" for:3',
           "That is 3 votes, from the 2 present who vote (1 observer not counted).")
    refuse(town, "alice", 'minutes 1 action @olive "Count visitors" by:friday',
           "olive is an observer; make them a member first.", "`member role @olive member`")
    refuse(town, "alice", 'commit @olive "Count visitors" by:friday', "olive is an observer; make them a member first.")
    town.ok("alice", "member remove @carol")
    refuse(town, "alice", 'minutes 1 action @carol "Count visitors" by:friday', "@carol isn't a member")
    assert "PASSED" in town.ok("alice", 'minutes 1 decided "Adopt the plan" for:2')


def test_a_poll_nobody_can_come_to_is_not_scheduled_and_the_coordinators_are_told_once(town: Chat, inbox: Inbox) -> None:
    """Everyone answered no, and the sweep scheduled it anyway, with nobody able to come."""
    town.ok("alice", "member role @bob coordinator")
    town.ok("alice", 'meeting propose "Steering group" slots:"2026-12-14 18:00, 2026-12-15 18:00" closes:2026-12-10')
    for who in ("alice", "bob", "carol"):
        town.ok(who, "meeting answer 1 no")
    at(town, "2026-12-11T08:00")
    sweep(town, inbox)
    assert meeting_row(town).status is MeetingStatus.POLLING
    said = told(inbox)
    assert sorted(who for who, _ in said) == ["@alice", "@bob"], "the coordinators"
    assert all("Meeting 1 (Steering group): its poll has closed, and no slot still to come suits anyone. A coordinator "
               'can give it a time: `meeting move 1 to:"thursday 18:00"`, or call it off: `meeting cancel 1 "why"`.'
               in text for _, text in said)
    sweep(town, inbox)
    assert told(inbox) == []
    assert [a.command for a in town.say("bob", "meeting 1").actions] == ['meeting move 1 to:"thursday 18:00"']
    town.ok("alice", 'meeting move 1 to:"2026-12-17 18:00"')
    assert meeting_row(town).status is MeetingStatus.SCHEDULED


def test_an_agenda_read_or_sent_later_says_what_was_settled_since_it_was_drafted(town: Chat, inbox: Inbox) -> None:
    town.ok("carol", 'concern "Parking on market day" severity:high')
    town.ok("bob", 'commit "Deliver leaflets" by:friday')  # Fri 27 Nov
    town.ok("bob", 'commit "Book the hall" by:friday')
    at(town, "2026-11-30T09:00")
    town.ok("bob", 'propose "Adopt the market plan" closes:2026-12-02')
    town.ok("alice", PROPOSE)
    town.ok("alice", "meeting schedule 1 slot:2")  # Tue 15 Dec 18:00
    town.ok("alice", 'resolve 1 "Parking moves to the church car park"')
    town.ok("bob", "done 1")
    town.ok("bob", "edit 2 by:2026-12-20")
    at(town, "2026-12-03T09:00")
    sweep(town, inbox)  # the proposal is decided
    shown = town.ok("carol", "agenda 1")
    assert "Concern #1 (high): Parking on market day, open since Tue 24 Nov (resolved since)" in shown
    assert "Proposal #1: Adopt the market plan, closing Wed 2 Dec (failed since)" in shown  # nobody responded
    assert "Overdue: #1 Deliver leaflets (Bob), due Fri 27 Nov (done since)" in shown
    assert "Overdue: #2 Book the hall (Bob), due Fri 27 Nov (no longer overdue: its date moved)" in shown
    inbox.take_all()
    at(town, "2026-12-11T09:00")
    sweep(town, inbox)
    [(where, text)] = told(inbox)
    assert where == "#general" and "The agenda of meeting 1" in text
    assert "(resolved since)" in text and "(done since)" in text and "(failed since)" in text
    with town.sessions() as session:
        [ahead] = published_agendas(session, session.scalars(select(Partnership)).one(), town.now)
    assert any(item.endswith("(resolved since)") for item in ahead.items)


def test_a_meetings_uid_stays_the_same_before_during_and_after_publishing(town: Chat) -> None:
    """Calendars that took the invitation must match its move and cancellation whatever the page did meanwhile."""
    at(town, "2026-11-30T09:00")
    town.ok("alice", PROPOSE)
    town.ok("alice", "meeting schedule 1 slot:2")

    def uid() -> str:
        [invite] = town.say("alice", "meeting invite 1").attachments
        [e] = meeting_events(icalendar.Calendar.from_ical(invite.content))
        return str(e["uid"])

    first = uid()
    town.ok("alice", "publish on")
    assert uid() == first and [str(e["uid"]) for e in meeting_events(feed(town))] == [first]
    town.ok("alice", "publish off")
    [cancelled] = town.say("alice", 'meeting cancel 1 "The hall flooded"').attachments
    assert [str(e["uid"]) for e in meeting_events(icalendar.Calendar.from_ical(cancelled.content))] == [first]


def test_minutes_keep_the_quorum_of_the_table_the_meeting_had_when_partners_join_and_leave_later(town: Chat) -> None:
    """Approved minutes said "Quorate: 2 of 3" and, once two organisations joined and Bob's left,
    "Not quorate: 1 of 4" above the decision the meeting took: the record rewrote itself."""
    town.ok("alice", 'meeting propose "Steering group" slots:"2026-12-08 18:00"')
    town.ok("alice", "meeting schedule 1 slot:1")
    at(town, "2026-12-08T19:00")
    town.ok("alice", "minutes 1 present:@alice,@bob")
    town.ok("alice", 'minutes 1 decided "Spend £500 on lights" for:2 against:0')
    at(town, "2026-12-09T10:00")
    town.ok("dave", 'join org:"Rotary Club" sector:voluntary')
    town.ok("erin", 'join org:"Riverside School" sector:public')
    town.ok("bob", "leave")
    town.ok("alice", "minutes 1 approve")  # it was refused as "not quorate"
    at(town, "2027-01-20T10:00")
    town.ok("dave", "leave")
    assert "Quorate: 2 of 3 partner organisations present" in town.ok("carol", "minutes 1")
    exported = town.say("carol", "minutes 1 export").attachments[0].content.decode()
    assert "- Quorate: 2 of 3 partner organisations present" in exported


def test_the_public_page_gives_a_decision_taken_at_a_meeting_the_rooms_count_once_its_minutes_are_approved(
        town: Chat, web: FlaskClient) -> None:
    """The page said "no responses; 0 of 3 responded. Why it failed: nobody responded." of a
    decision the meeting's minutes, on the same page, said it took 1 for and 2 against."""
    path = address(town.ok("alice", "publish on"))
    town.ok("alice", 'meeting propose "Steering group" slots:"2026-12-08 18:00"')
    town.ok("alice", "meeting schedule 1 slot:1")
    at(town, "2026-12-08T19:00")
    town.ok("alice", "minutes 1 present:@alice,@bob,@carol")
    town.ok("alice", 'minutes 1 decided "Spend £500 on lights" for:1 against:2')
    town.ok("alice", 'minutes 1 decided "Spend £900 on lights" for:2 against:1')
    town.ok("alice", 'withdraw 2 "Recorded by mistake"')
    town.ok("alice", 'minutes 1 action @bob "Book the hall" by:friday')
    assert "lights" not in web.get(path).text, "the draft's decisions stay private with it: it may yet be corrected"
    assert "lights" not in web.get(path + "feed.atom").text
    town.ok("alice", "minutes 1 approve")
    page = web.get(path).text
    assert 'id="decision-2"' not in page, "withdrawn from the draft, it was never taken"
    decided = page.split('id="decision-1"')[1].split("</li>")[0]
    assert "Taken at the meeting of Tue 8 Dec: 1 for, 2 against, 0 abstaining." in decided
    assert "responded" not in decided and "Why it failed" not in decided
    entry = web.get(path + "feed.atom").text.split("#decision-1</id>")[1].split("</entry>")[0]
    assert "By vote.\nTaken at the meeting of Tue 8 Dec: 1 for, 2 against, 0 abstaining." in entry


def test_someone_who_left_after_the_meeting_is_recorded_as_there(town: Chat) -> None:
    """Bob left the day after the meeting, and `minutes 1 present:@alice,@bob` was refused
    ("@bob isn't a member ... a coordinator can add someone"): the minutes could not say who came."""
    town.ok("alice", 'meeting propose "Steering group" slots:"2026-12-08 18:00"')
    town.ok("alice", "meeting schedule 1 slot:1")
    at(town, "2026-12-09T10:00")
    town.ok("bob", "leave")
    out = town.ok("alice", "minutes 1 present:@alice,@bob")
    assert "present Alice (Town Council), Bob (Chamber of Trade)" in out and "Quorate: 2 of 3" in out
    town.ok("dave", 'join org:"Rotary Club" sector:voluntary')
    refuse(town, "alice", "minutes 1 apologies:@zed", "@zed was not a member of Riverside Partnership when "
           "meeting 1 began, nor is now.", "`members`")
    town.ok("alice", "minutes 1 apologies:@dave")  # joined since: named as a member now
    assert "Apologies: Dave" in town.ok("carol", "minutes 1")


def test_the_agenda_says_a_proposal_closes_on_the_day_its_proposer_set(town: Chat) -> None:
    """Bob, in Los Angeles, proposed #1 closing Thu 10 Dec (23:59 his time); the agenda drafted
    from it said "closing Fri 11 Dec", the UTC day."""
    town.ok("bob", "tz America/Los_Angeles")
    assert "Closes Thu 10 Dec 23:59" in town.ok("bob", 'propose "Buy festoon lights" mode:vote closes:2026-12-10')
    town.ok("alice", 'meeting propose "Steering group" slots:"2026-12-08 18:00"')
    assert "1. Proposal #1: Buy festoon lights, closing Thu 10 Dec" in town.ok("carol", "agenda 1")


def test_a_reopened_concern_is_on_the_agenda_as_open_since_its_reopening_in_the_readers_day(town: Chat) -> None:
    """The draft said "open since Tue 24 Nov", the day it was first raised (and that day in UTC),
    for a concern resolved and reopened since: it has been open since its reopening, as `health`,
    the dashboard and the public page count it, on the day the coordinator drafting it lives in."""
    town.ok("carol", 'concern "Parking on market day" severity:high')
    town.ok("bob", 'concern "Bins on the towpath"')
    town.ok("alice", 'resolve 1 "Parking moves to the church car park"')
    at(town, "2026-11-30T23:30")  # Tue 1 Dec 12:30 in Auckland
    town.ok("carol", 'reopen concern 1 "The church said no"')
    town.ok("alice", "tz Pacific/Auckland")
    town.ok("alice", PROPOSE)
    shown = town.ok("carol", "agenda 1")
    assert "Concern #1 (high): Parking on market day, open since Tue 1 Dec" in shown
    assert "Concern #2 (medium): Bins on the towpath, open since Tue 24 Nov" in shown


def test_a_goal_is_off_track_on_the_agenda_by_the_meetings_day_in_the_drafters_zone(town: Chat) -> None:
    """The draft judged goals on the UTC day the agenda was drafted, while its other days (the review
    due, the days it shows) are the meeting's, in the drafting coordinator's zone: a goal whose date
    has passed by then, unreached, is off track at the meeting."""
    town.ok("alice", 'goal "Footfall up 10%" measure:"weekly count" baseline:1200 target:1320 by:2026-12-12')
    town.ok("alice", "tz Pacific/Auckland")
    # The poll closes 24 hours before its slot: Sun 13 Dec 08:00 in Auckland, still Sat 12 Dec in UTC.
    town.ok("alice", 'meeting propose "Steering group" slots:"2026-12-14 08:00"')
    assert meeting_row(town).closes_at == datetime(2026, 12, 12, 19, 0, tzinfo=UTC)
    assert "Goal #1 off track: Footfall up 10%" in town.ok("carol", "agenda 1")
    with town.sessions() as session:
        p = session.scalars(select(Partnership)).one()
        in_utc = agenda_module.draft(session, p, meeting_row(town), town.now, UTC)
    assert not [d for d in in_utc if d.source == "goal"], "on the meeting's day in UTC its date has not passed"
