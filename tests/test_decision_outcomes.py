"""What was decided, in the closer's words, and a day to look at it again: `close 4 "what was
decided" review:<date>` states the outcome with it, and the coordinators are reminded on that day."""

from __future__ import annotations

import pytest

from handlers import decisions
from storage.models import Decision, DecisionStatus
from storage.nudges import record
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse
from tests.test_nudges import Inbox, at, sweep


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


def reviews(inbox: Inbox) -> list[tuple[str, str]]:
    """The review reminders sent since last asked (not the weekly digest)."""
    return [(who, text) for who, text in inbox.take_all() if "to review decision" in text]


def reminders(inbox: Inbox) -> list[tuple[str, str]]:
    """The reminders to respond sent since last asked."""
    return [(who, text) for who, text in inbox.take_all() if "you haven't responded yet" in text]


def agreed(town: Chat) -> None:
    town.ok("alice", 'propose "Pedestrianise the square" closes:friday')
    for user in ("alice", "bob", "carol"):
        town.ok(user, "agree 1")


def test_the_statement_is_shown_with_the_outcome(town: Chat) -> None:
    agreed(town)
    announced = town.ok("alice", 'close 1 "The square is car-free on market days from March" review:2027-01-15')
    assert "Decision #1 Pedestrianise the square: PASSED" in announced
    assert "Outcome statement by Alice (Town Council): The square is car-free on market days from March" in announced
    assert "Coordinators will be reminded to review it on Fri 15 Jan 2027." in announced
    shown = town.ok("bob", "decision 1")
    assert "Outcome statement by Alice (Town Council): The square is car-free" in shown
    assert "Review: Fri 15 Jan 2027" in shown
    [d] = all_of(town.sessions, Decision)
    assert d.statement == "The square is car-free on market days from March" and str(d.review_on) == "2027-01-15"


def test_bad_review_dates_and_long_statements_are_refused(town: Chat) -> None:
    agreed(town)
    refuse(town, "alice", 'close 1 "Done" review:2026-11-01', "must be after today")
    refuse(town, "alice", 'close 1 "Done" review:someday', "someday")
    refuse(town, "alice", "close 1 " + '"' + "x" * 2100 + '"', "keep it under 2,000")
    refuse(town, "bob", 'close 1 "Done"', "Only coordinators", example=False)
    [d] = all_of(town.sessions, Decision)
    assert d.status is DecisionStatus.OPEN


def test_coordinators_are_reminded_on_the_review_day_once(town: Chat, inbox: Inbox) -> None:
    agreed(town)
    town.ok("alice", 'member role @carol coordinator')
    town.ok("alice", 'close 1 "Car-free on market days" review:2027-01-15')
    at(town, "2027-01-14T12:00")
    sweep(town, inbox)
    assert reviews(inbox) == [], "the day before: nothing yet"
    at(town, "2027-01-15T09:00")
    sweep(town, inbox)
    messages = dict(reviews(inbox))
    assert set(messages) == {"@alice", "@carol"}
    assert "Today is the day to review decision #1 Pedestrianise the square (passed)" in messages["@alice"]
    town.advance(hours=3)
    sweep(town, inbox)
    assert reviews(inbox) == []


def test_a_coordinator_no_longer_is_not_reminded(town: Chat, inbox: Inbox) -> None:
    agreed(town)
    town.ok("alice", 'member role @carol coordinator')
    town.ok("alice", 'close 1 "Car-free on market days" review:2027-01-15')
    town.ok("alice", "member role @carol member")
    at(town, "2027-01-15T09:00")
    sweep(town, inbox)
    assert [who for who, _ in reviews(inbox)] == ["@alice"]


def test_interests_declared_in_a_proposal_are_shown_with_the_outcome(town: Chat) -> None:
    town.ok("alice", 'propose "Pedestrianise the square" mode:vote closes:friday')
    town.ok("bob", 'interest 1 "I own the cafe on the square"')
    town.ok("carol", 'interest 1 "My sister runs the market"')
    town.ok("carol", "interest withdraw 2")
    open_view = town.ok("alice", "decision 1")
    assert 'Interests declared\n  - Bob (Chamber of Trade): "I own the cafe on the square"' in open_view
    assert "My sister" not in open_view
    for user in ("alice", "bob", "carol"):
        town.ok(user, "vote 1 yes")
    announced = town.ok("alice", "close 1")
    assert 'Interests declared: Bob (Chamber of Trade): "I own the cafe on the square".' in announced
    assert "Responses: 3 yes (3 of 3 members)." in announced, "counted: the partnership counts them"
    assert 'Interests declared: Bob (Chamber of Trade): "I own the cafe on the square".' in town.ok("carol", "decision 1")


def test_where_the_partnership_excludes_them_the_outcome_says_so(town: Chat) -> None:
    town.ok("alice", "partnership edit interests:exclude")
    town.ok("alice", 'propose "Pedestrianise the square" mode:vote closes:friday')
    town.ok("bob", 'interest 1 "I own the cafe on the square"')
    for user in ("alice", "bob", "carol"):
        town.ok(user, "vote 1 yes")
    announced = town.ok("alice", "close 1")
    assert "Responses: 2 yes (2 of 2 members)." in announced and "Not counted: Bob (declared an interest)." in announced
    assert 'Interests declared: Bob (Chamber of Trade): "I own the cafe on the square".' in announced


def test_the_reminder_comes_as_long_before_closing_as_the_partnership_says(town: Chat, inbox: Inbox) -> None:
    refuse(town, "alice", "partnership edit reminders:0.5h", "whole hours from 1 to 336", "`reminders:24h`")
    refuse(town, "alice", "partnership edit reminders:999h", "whole hours from 1 to 336")
    refuse(town, "bob", "partnership edit reminders:6h", "Only coordinators", example=False)
    town.ok("alice", "partnership edit reminders:6h")
    assert "Reminders: members who have not responded to a proposal hear of it 6h before it closes" in town.ok(
        "bob", "partnership")
    town.ok("alice", 'propose "Adopt the market plan" closes:friday')  # Fri 27 Nov, end of day
    town.ok("bob", "agree 1")
    at(town, "2026-11-27T12:00")
    sweep(town, inbox)
    assert reminders(inbox) == [], "more than 6 hours before it closes"
    at(town, "2026-11-27T18:30")
    sweep(town, inbox)
    assert sorted(who for who, _ in reminders(inbox)) == ["@alice", "@carol"]
    town.advance(hours=1)
    sweep(town, inbox)
    assert reminders(inbox) == [], "once"


def test_no_reminder_where_the_partnership_wants_none(town: Chat, inbox: Inbox) -> None:
    town.ok("alice", "partnership edit reminders:none")
    town.ok("alice", 'propose "Adopt the market plan" closes:friday')
    at(town, "2026-11-27T20:00")
    sweep(town, inbox)
    assert reminders(inbox) == []


def test_a_reminder_waiting_is_not_sent_to_someone_who_has_since_responded(town: Chat, inbox: Inbox) -> None:
    """Recorded by one sweep, answered before the next: the re-check at send drops it."""
    town.ok("alice", 'propose "Adopt the market plan" closes:friday')
    at(town, "2026-11-27T09:00")
    with town.sessions() as session, session.begin():
        record(session, decisions.nudges(session, town.now), town.now)
    town.ok("carol", "agree 1")
    town.ok("bob", "leave")
    sweep(town, inbox)
    assert [who for who, _ in reminders(inbox)] == ["@alice"]


def test_a_reminder_waiting_is_not_sent_once_the_proposal_is_closed(town: Chat, inbox: Inbox) -> None:
    town.ok("alice", 'propose "Adopt the market plan" closes:friday')
    at(town, "2026-11-27T09:00")
    with town.sessions() as session, session.begin():
        assert record(session, decisions.nudges(session, town.now), town.now) == 3
    town.ok("alice", 'close 1 "The council needs an answer today"')
    sweep(town, inbox)
    assert reminders(inbox) == []
