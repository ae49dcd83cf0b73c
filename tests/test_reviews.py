"""Reviews: the six-risk health check asked of every member, answers validated, progress
lowest-first, and closing with an outcome that sets the next date or winds the partnership up."""

from __future__ import annotations

from datetime import date

import pytest

from storage.models import Event, Partnership, Review, ReviewAnswer, ReviewOutcome, Risk
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse
from tests.test_nudges import Inbox, at, sweep


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


def partnership(chat: Chat) -> Partnership:
    [p] = all_of(chat.sessions, Partnership)
    return p


def test_closing_a_review_sets_the_next_date_from_the_cadence(town: Chat) -> None:
    assert partnership(town).next_review_on == date(2027, 2, 24)
    at(town, "2027-02-20T10:00")
    out = town.ok("alice", "review start")
    assert "Riverside Partnership: review opened" in out and "enough-time — Is there enough time?" in out
    town.ok("bob", 'review answer right-time:4 right-people:2 enough-resources:3 enough-time:2 right-goal:5 '
                   'achievable-goal:4 comment:"We need the community sector"')
    out = town.ok("alice", 'review close continue "Recruit a community partner by March"')
    assert "review closed — continue" in out and "Next quarterly review: Thu 20 May" in out
    assert "right-people: 2.0/5 (1 answer)" in out
    assert partnership(town).next_review_on == date(2027, 5, 20)
    [review] = all_of(town.sessions, Review)
    assert review.outcome is ReviewOutcome.CONTINUE and review.decision == "Recruit a community partner by March"
    [logged] = [e for e in all_of(town.sessions, Event) if e.action == "review-close"]
    assert logged.reason == "Recruit a community partner by March"
    town.ok("alice", "partnership edit review:monthly")
    town.ok("alice", "review start")
    town.ok("alice", 'review close change-course "Meet fortnightly"')
    assert partnership(town).next_review_on == date(2027, 3, 22), "Sat 20 Mar moves to the Monday after"


def test_progress_shows_who_answered_and_the_lowest_risks_first(town: Chat) -> None:
    town.ok("alice", "review start")
    town.ok("bob", "review answer right-time:4 enough-time:2")
    out = town.ok("carol", 'review answer enough-time 1 "We are stretched"')
    assert "Still to rate: right-time, right-people, enough-resources," in out
    town.ok("carol", "review answer right-time:5")
    out = town.ok("dave", "review")
    lines = out.splitlines()
    assert "Answered: 0 of 3 in full, 2 in part" in out and "Not yet: Alice (Town Council)" in out
    assert ("Bob (Chamber of Trade): still to rate right-people, enough-resources, right-goal, achievable-goal"
            in out.split("Partly answered")[1])
    assert lines.index("  - enough-time: 1.5/5 (2 answers) — Is there enough time?") < lines.index(
        "  - right-time: 4.5/5 (2 answers) — Is this the right time for the partnership?")
    assert "Carol (Riverside Trust): We are stretched" in out
    town.ok("carol", "review answer enough-time:3")
    [answer] = [a for a in all_of(town.sessions, ReviewAnswer) if a.risk is Risk.ENOUGH_TIME and a.score == 3]
    assert answer.comment == "We are stretched", "a new score keeps the earlier comment"


def test_a_comment_belongs_to_the_whole_answer_it_came_with(town: Chat) -> None:
    """Bob's "We are stretched", said of two scores, read as said of right-time alone once he
    scored enough-time again with a comment of its own."""
    town.ok("alice", "review start")
    town.ok("bob", 'review answer right-time:4 enough-time:2 comment:"We are stretched"')
    town.ok("bob", 'review answer enough-time 1 "No time at all"')
    comments = town.ok("carol", "review").split("Comments")[1]
    assert "Bob (Chamber of Trade): We are stretched" in comments
    assert "Bob (Chamber of Trade): No time at all" in comments
    assert " on " not in comments


@pytest.mark.parametrize("command", ["review answer right-time:0", "review answer right-time:6",
                                     "review answer right-time:abc", "review answer enough-time 4.5",
                                     "review answer right-time:3 enough-time:9", "review answer happiness:3",
                                     "review answer", "review answer enough-time"])
def test_bad_answers_are_refused_and_change_nothing(town: Chat, command: str) -> None:
    town.ok("alice", "review start")
    town.ok("bob", "review answer right-time:3")
    refuse(town, "bob", command)
    [answer] = all_of(town.sessions, ReviewAnswer)
    assert answer.score == 3


def test_who_may_open_answer_and_close(town: Chat) -> None:
    town.ok("olga", 'join org:"Riverside Gazette" observer')
    refuse(town, "bob", "review start", "Only coordinators of Riverside Partnership can do that", example=False)
    refuse(town, "bob", "review answer right-time:3", "Riverside Partnership has no review open", "`review start`")
    town.ok("alice", "review start")
    refuse(town, "alice", "review start", "A review is already open", "`review`")
    refuse(town, "olga", "review answer right-time:3", "Observers can read Riverside Partnership but not change it")
    refuse(town, "bob", 'review close continue "Fine"', "Only coordinators", example=False)
    refuse(town, "alice", 'review close maybe "Fine"', "`maybe` isn't an outcome")
    refuse(town, "alice", "review close continue", "Say what you decided, in quotes.")
    assert "Answered: 0 of 3" in town.ok("olga", "review")
    other = Chat(town.sessions, workspace="other")
    other.ok("mallory", 'setup "Elsewhere" kind:task-force')
    refuse(other, "mallory", "review answer right-time:1", "Elsewhere has no review open")


def test_every_member_is_asked_once_and_not_after_answering(town: Chat, inbox: Inbox) -> None:
    town.ok("olga", 'join org:"Riverside Gazette" observer')
    town.ok("alice", "review start")
    town.ok("carol", "review answer " + " ".join(f"{r.value}:4" for r in Risk))
    sweep(town, inbox)
    asked = {who for who, text in inbox.take_all() if "holding its review" in text}
    assert asked == {"@alice", "@bob"}
    town.advance(days=1)
    sweep(town, inbox)
    assert inbox.take_all() == []


def test_a_project_wraps_up_and_a_wind_up_closes_it(chat: Chat, inbox: Inbox) -> None:
    chat.ok("alice", 'setup "Market Square Project" kind:project end:2027-01-31')
    chat.ok("bob", "join org:Chamber sector:private")
    at(chat, "2027-01-01T10:00")
    sweep(chat, inbox)
    [ending] = inbox.to("#general", "wrap-up")
    assert "A coordinator opens the wrap-up review with `review start`." in ending
    assert "wrap-up review opened" in chat.ok("alice", "review start")
    out = chat.ok("alice", 'review close wind-up "The market runs itself now; the Chamber takes it on"')
    assert "wrap-up review closed — wind-up" in out and "wound up as of Fri 1 Jan" in out
    p = partnership(chat)
    assert p.closed_at == chat.now and p.next_review_on is None
    assert p.end_date == date(2027, 1, 31), "winding up early keeps the planned end date on record"
    refuse(chat, "alice", "review start", "Market Square Project was wound up on Fri 1 Jan by Alice",
           '`partnership reopen "why"`')
    assert "wind-up — The market runs itself now" in chat.ok("bob", "review")
    assert "Read-only: it was wound up on Fri 1 Jan by Alice" in chat.ok("bob", "partnership")
    chat.advance(days=8)
    inbox.take_all()
    sweep(chat, inbox)
    assert inbox.take_all() == [], "a wound-up partnership is not nudged any more"


def test_a_review_date_avoids_the_weekend(town: Chat) -> None:
    """A month from Thu 26 Nov is Sat 26 Dec: the review moves to the Monday after."""
    town.now = town.now.replace(day=26)
    out = town.ok("alice", "partnership edit review:monthly")
    assert "Review: monthly, next Mon 28 Dec" in out
    assert partnership(town).next_review_on == date(2026, 12, 28)


def test_changing_the_cadence_says_how_the_next_date_moved(town: Chat) -> None:
    out = town.ok("alice", "partnership edit review:monthly")
    assert "The next review moves from Wed 24 Feb 2027 to Thu 24 Dec." in out
    [edit] = [e for e in all_of(town.sessions, Event) if e.action == "edit"]
    assert "next review Wed 24 Feb 2027 -> Thu 24 Dec" in edit.summary
    assert "moves" not in town.ok("alice", "partnership edit review:monthly"), "nothing moved"
