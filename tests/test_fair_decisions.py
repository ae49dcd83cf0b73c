"""Fair decisions: only members entitled to respond count, the outcome says who counted, and an
early close is a coordinator's decision with a reason everyone reads."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Decision, DecisionStatus, Event
from tests.conftest import Chat
from tests.test_bad_input import refuse


def outcome(chat: Chat, decision_id: int = 1) -> Decision:
    with chat.sessions() as session:
        found = session.get(Decision, decision_id)
        assert found is not None
        return found


def test_responses_of_people_who_left_or_became_observers_are_not_counted(town: Chat) -> None:
    town.ok("alice", 'propose "Move meetings to Thursdays" mode:vote quorum:50% closes:friday')
    town.ok("alice", "vote 1 yes")
    town.ok("bob", "vote 1 no")
    town.ok("carol", "vote 1 no")
    town.ok("bob", "leave")
    town.ok("alice", "member role @carol observer")
    shown = town.ok("alice", "decision 1")
    assert "Bob (Chamber of Trade) · no (not counted: has left)" in shown
    assert "Carol (Riverside Trust) · no (not counted: an observer)" in shown
    announced = town.ok("alice", "close 1")
    assert "Decision #1 Move meetings to Thursdays: PASSED" in announced
    assert "Responses: 1 yes (1 of 1 member)." in announced
    assert "Counted: Alice." in announced
    assert "Not counted: Bob (has left), Carol (an observer)." in announced
    assert outcome(town).status is DecisionStatus.PASSED


def test_turnout_is_never_above_everyone_entitled(town: Chat) -> None:
    """Seen: "3 of 2 members" once two of three voters had gone."""
    town.ok("dave", "join sector:community")
    town.ok("alice", 'propose "Adopt the market plan" mode:vote quorum:100% closes:friday')
    for user in ("alice", "bob", "carol", "dave"):
        town.ok(user, "vote 1 yes")
    town.ok("bob", "leave")
    town.ok("alice", "member remove @carol")
    announced = town.ok("alice", "close 1")
    assert "Responses: 2 yes (2 of 2 members)." in announced
    assert "below the quorum" not in announced


def test_people_who_joined_after_it_opened_respond_but_are_not_counted(town: Chat) -> None:
    town.ok("bob", 'propose "Adopt the market plan" closes:friday')
    town.advance(minutes=5)
    town.ok("dave", "join sector:community")
    reply = town.ok("dave", 'block 1 "I was not here for the discussion"')
    assert "Recorded, but not counted: you joined after it opened." in reply
    assert "Dave (not counted" not in town.ok("alice", "decision 1").split("Not responded yet")[1]
    town.ok("bob", "agree 1")
    # Listed as the decision itself counts it (the list said "2 responded").
    assert "#1 Adopt the market plan · consensus · closes Fri 27 Nov 23:59 (in 3 days) · 1 responded, 1 not counted" \
        in town.ok("carol", "decisions")
    for user in ("alice", "carol"):
        town.ok(user, "agree 1")
    announced = town.ok("alice", "close 1")
    assert "PASSED" in announced and "3 agree (3 of 3 members)" in announced
    assert "Not counted: Dave (joined after it opened)." in announced


def test_closing_early_needs_a_reason_while_anyone_entitled_has_not_responded(town: Chat) -> None:
    town.ok("bob", 'propose "Adopt the market plan" closes:friday')
    town.ok("bob", "agree 1")
    refuse(town, "alice", "close 1", "2 members entitled to respond have not yet (Alice, Carol)",
           "Closing early needs a reason", 'close 1 "why it cannot wait"')
    announced = town.ok("alice", 'close 1 "The council needs an answer today"')
    assert ("Closed early by Alice (Town Council).\n"
            "Outcome statement by Alice (Town Council): The council needs an answer today") in announced
    assert "did not respond: Alice, Carol" in announced
    assert "Outcome statement by Alice (Town Council): The council needs an answer today" in (outcome(town).outcome or "")
    with town.sessions() as session:
        logged = session.scalars(select(Event).where(Event.action == "decision-close")).one()
    assert "The council needs an answer today" in (logged.reason or "")


def test_a_closed_decision_cannot_be_withdrawn_or_answered(town: Chat) -> None:
    town.ok("bob", 'propose "Adopt the market plan" closes:friday')
    for user in ("alice", "bob", "carol"):
        town.ok(user, "agree 1")
    town.ok("alice", "close 1")
    refuse(town, "bob", "withdraw 1", "#1 Adopt the market plan already passed on Tue 24 Nov",
           "a settled decision doesn't change")
    refuse(town, "carol", 'block 1 "Too late"', "already passed on Tue 24 Nov")
    assert outcome(town).status is DecisionStatus.PASSED
