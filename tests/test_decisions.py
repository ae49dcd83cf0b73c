"""Decisions: consensus and votes worked out with their reasons, perspectives compared,
reminders to those who have not responded, and closing by the sweep once, announced."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Decision, DecisionResponse, DecisionStatus, Event, Position
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse
from tests.test_nudges import Inbox, at, sweep


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


def decision(chat: Chat, decision_id: int = 1) -> Decision:
    with chat.sessions() as session:
        found = session.get(Decision, decision_id)
        assert found is not None
        return found


def events(chat: Chat, action: str) -> list[Event]:
    return [e for e in all_of(chat.sessions, Event) if e.action == action]


def test_a_consensus_with_a_block_fails_and_shows_the_reason(town: Chat) -> None:
    out = town.ok("bob", 'propose "Adopt the market plan" mode:consensus closes:friday')
    assert "Proposal #1: Adopt the market plan" in out and "passes unless someone blocks" in out
    assert "Closes Fri 27 Nov 23:59 (in 3 days)" in out and "`block 1 \"why\"`" in out
    town.ok("alice", "agree 1")
    town.ok("bob", 'disagree 1 "Costs are unclear"')
    assert "So far: 1 agree, 1 disagree, 1 block; 0 still to respond" in town.ok(
        "carol", 'block 1 "It breaks our agreement with the council"')
    out = town.ok("alice", 'close 1 "We have heard enough"')
    assert "Decision #1 Adopt the market plan: FAILED" in out
    assert "Blocked by Carol (Riverside Trust): It breaks our agreement with the council" in out
    d = decision(town)
    assert d.status is DecisionStatus.FAILED and d.closed_at == town.now
    [closed] = events(town, "decision-close")
    assert closed.reason and "It breaks our agreement with the council" in closed.reason
    assert "Disagreement recorded from Bob (Chamber of Trade): Costs are unclear" in closed.reason
    refuse(town, "bob", "agree 1", "#1 Adopt the market plan already failed on Tue 24 Nov, "
           "and a settled decision doesn't change")
    detail = town.ok("carol", "decision 1")
    assert "Status: failed" in detail and "Carol (Riverside Trust) · block — It breaks our agreement" in detail


def test_a_consensus_without_blocks_passes_and_records_disagreement(town: Chat) -> None:
    town.ok("bob", 'propose "Adopt the market plan"')
    town.ok("alice", "agree 1")
    town.ok("carol", 'disagree 1 "I would rather wait"')
    out = town.ok("alice", 'close 1 "We have heard enough"')
    assert "Decision #1 Adopt the market plan: PASSED" in out
    assert "Disagreement recorded from Carol (Riverside Trust): I would rather wait" in out
    assert decision(town).status is DecisionStatus.PASSED


def test_a_vote_without_quorum_fails_saying_the_turnout(town: Chat) -> None:
    town.ok("alice", 'propose "Move meetings to Thursdays" mode:vote quorum:70%')
    town.ok("bob", "vote 1 yes")
    town.ok("carol", "vote 1 yes")
    out = town.ok("alice", 'close 1 "We have heard enough"')
    assert "FAILED" in out and "Turnout 67% is below the quorum of 70%" in out
    assert decision(town).status is DecisionStatus.FAILED


def test_a_vote_passes_on_its_threshold_of_yes(town: Chat) -> None:
    town.ok("alice", 'propose "Move meetings to Thursdays" mode:vote threshold:60%')
    town.ok("alice", "vote 1 yes")
    town.ok("bob", 'vote 1 no "Thursdays clash with the market"')
    town.ok("carol", "vote 1 yes")
    out = town.ok("alice", 'close 1 "We have heard enough"')
    assert "PASSED" in out and "Yes was 67% of yes and no; it needed 60%" in out
    assert "Bob (Chamber of Trade), no: Thursdays clash with the market" in out
    town.ok("alice", 'propose "Meet weekly" mode:vote threshold:70%')
    for who, how in (("alice", "yes"), ("bob", "no"), ("carol", "yes")):
        town.ok(who, f"vote 2 {how}")
    assert "FAILED" in town.ok("alice", 'close 2 "We have heard enough"')


def test_the_perspective_split_is_shown(town: Chat) -> None:
    town.ok("alice", 'member perspective @alice "Professional expert"')
    town.ok("bob", 'join perspective:"local user"')
    town.ok("dave", 'join org:"Residents" sector:community perspective:"local user"')
    assert "perspective: local user" in town.ok("carol", "members")
    town.ok("alice", 'propose "Pedestrianise the high street"')
    town.ok("alice", "agree 1")
    town.ok("bob", 'block 1 "Deliveries could not reach the shops"')
    town.ok("dave", 'block 1 "Buses would stop further away"')
    out = town.ok("alice", 'close 1 "We have heard enough"')
    assert "By perspective: local user: 2 block; professional expert: 1 agree — the groups disagree." in out
    town.ok("alice", 'propose "Plant trees"')
    town.ok("alice", "agree 2")
    town.ok("bob", "agree 2")
    closed = town.ok("alice", 'close 2 "We have heard enough"')
    assert "local user: 1 agree; professional expert: 1 agree — the groups agree." in closed


def test_members_without_a_perspective_are_a_group_of_their_own(town: Chat) -> None:
    """One member tagged and two not is two groups, not "only one perspective responded"."""
    town.ok("alice", 'member perspective @alice "Professional expert"')
    town.ok("alice", 'propose "Plant trees"')
    town.ok("alice", "agree 1")
    town.ok("bob", 'disagree 1 "Roots lift the paving"')
    town.ok("carol", 'disagree 1 "Who waters them?"')
    closed = town.ok("alice", "close 1")
    assert ("By perspective: professional expert: 1 agree; no perspective given: 2 disagree — the groups disagree."
            in closed)
    assert "only one perspective" not in closed


def test_changing_your_mind_updates_the_response_and_the_log(town: Chat) -> None:
    town.ok("alice", 'propose "Move meetings to Thursdays" mode:vote')
    town.ok("bob", "vote 1 no")
    assert "yes (was no)" in town.ok("bob", 'vote 1 yes "Fine, if we start at 6"')
    [response] = all_of(town.sessions, DecisionResponse)
    assert response.position is Position.YES and response.reason == "Fine, if we start at 6"
    assert [e.summary for e in events(town, "respond")] == ["answered no on #1 Move meetings to Thursdays",
                                                          "answered yes (was no) on #1 Move meetings to Thursdays"]


def test_the_same_response_again_changes_nothing_and_says_so(town: Chat) -> None:
    """`agree 1` twice is no update; "(reason added)" only when a reason is given."""
    town.ok("alice", 'propose "Adopt the market plan"')
    town.ok("bob", "agree 1")
    again = town.ok("bob", "agree 1")
    assert "You already responded agree on #1 Adopt the market plan; nothing changed." in again
    assert "reason updated" not in again
    assert "agree (reason added) on #1" in town.ok("bob", 'agree 1 "Good for the traders"')
    assert "nothing changed" in town.ok("bob", 'agree 1 "Good for the traders"')
    assert "nothing changed" in town.ok("bob", "agree 1"), "no reason given keeps the one recorded"
    [response] = all_of(town.sessions, DecisionResponse)
    assert response.reason == "Good for the traders"
    assert [e.summary for e in events(town, "respond")] == [
        "answered agree on #1 Adopt the market plan", "answered agree (reason added) on #1 Adopt the market plan"]


def test_wrong_responses_are_refused_and_change_nothing(town: Chat) -> None:
    town.ok("olga", 'join org:"Riverside Gazette" observer')
    town.ok("alice", 'propose "Adopt the market plan"')
    town.ok("alice", 'propose "Move meetings" mode:vote')
    refuse(town, "bob", "vote 1 yes", "#1 is decided by consensus", "`agree 1`")
    refuse(town, "bob", "agree 2", "#2 is decided by vote", "`vote 2 yes`")
    refuse(town, "bob", "vote 2 maybe", "`maybe` isn't a vote")
    refuse(town, "bob", "block 1", "A block stops the decision", '`block 1 "why it cannot go ahead"`')
    refuse(town, "bob", "agree 9", "There is no decision #9")
    refuse(town, "bob", "agree abc", "`abc` isn't a decision number")
    refuse(town, "olga", "agree 1", "Observers can read Riverside Partnership but not change it")
    refuse(town, "bob", "close 1", "Only coordinators of Riverside Partnership can do that", example=False)
    refuse(town, "carol", "withdraw 1", "Only Alice, who proposed #1, or a coordinator can withdraw it",
           example=False)
    refuse(town, "bob", 'propose "Go" closes:2026-11-01', "is in the past")
    refuse(town, "bob", 'propose "Go" mode:consensus threshold:60%', "A consensus has no threshold")
    refuse(town, "bob", 'propose "Go" mode:vote quorum:150%', "quorum is a percent from 0 to 100")
    refuse(town, "bob", 'propose "Go" mode:poll', "`poll` isn't a decision mode")
    assert "Adopt the market plan" in town.ok("olga", "decisions")
    town.ok("alice", 'withdraw 1 "Needs costing first"')
    refuse(town, "bob", "agree 1", "#1 Adopt the market plan was already withdrawn")


def test_another_workspace_cannot_see_or_answer_a_decision(town: Chat) -> None:
    town.ok("alice", 'propose "Adopt the market plan"')
    other = Chat(town.sessions, workspace="other")
    other.ok("mallory", 'setup "Elsewhere" kind:task-force')
    refuse(other, "mallory", "agree 1", "There is no decision #1 in Elsewhere")
    refuse(other, "mallory", "decision 1", "There is no decision #1 in Elsewhere")
    assert "Adopt the market plan" not in other.ok("mallory", "decisions")


def test_reminders_go_to_those_who_have_not_responded_once(town: Chat, inbox: Inbox) -> None:
    town.ok("alice", 'propose "Adopt the market plan" closes:friday')  # Fri 27 Nov, end of day
    town.ok("bob", "agree 1")
    at(town, "2026-11-26T12:00")
    sweep(town, inbox)
    assert inbox.take_all() == [], "more than a day before it closes: no reminder yet"
    at(town, "2026-11-27T09:00")
    sweep(town, inbox)
    messages = dict(inbox.take_all())
    assert set(messages) == {"@alice", "@carol"}
    assert "Proposal #1 Adopt the market plan closes Fri 27 Nov 23:59 (today) and you haven't responded yet" in messages[
        "@carol"]
    town.advance(hours=2)
    sweep(town, inbox)
    assert inbox.take_all() == []


def test_the_sweep_closes_a_decision_once_and_announces_it(town: Chat, inbox: Inbox) -> None:
    town.ok("alice", 'propose "Adopt the market plan" closes:friday')
    town.ok("bob", "agree 1")
    at(town, "2026-11-28T00:30")
    sweep(town, inbox)
    [announced] = inbox.to("#general")
    assert "Decision #1 Adopt the market plan: PASSED" in announced and "1 agree (1 of 3 members)" in announced
    refuse(town, "carol", "agree 1", "already passed on Fri 27 Nov")
    town.advance(hours=1)
    sweep(town, inbox)
    assert len(inbox.to("#general", "Decision #1")) == 1
    [closed] = events(town, "decision-close")
    assert closed.actor_id is None
    with town.sessions() as session:
        assert session.scalars(select(Decision.status)).all() == [DecisionStatus.PASSED]


def test_a_proposal_past_closing_is_shown_closed_on_every_surface_before_any_sweep(town: Chat, inbox: Inbox) -> None:
    """`decisions` on 21 Dec listed "#1 ... closes Tue 8 Dec (13 days overdue)" as open: no sweep
    had run (a piped console runs none). Every surface reads it from the record as closed."""
    town.ok("alice", 'propose "Adopt the market plan" closes:2026-12-08')
    town.ok("bob", "agree 1")
    at(town, "2026-12-21T10:00")
    listing = town.ok("carol", "decisions")
    assert "overdue" not in listing and "closes Tue" not in listing
    assert "Open\n  None open." in listing
    assert ("Closed, outcome to come\n  - #1 Adopt the market plan · consensus · closed Tue 8 Dec, "
            "outcome being recorded · 1 responded") in listing
    reply = town.say("carol", "decision 1")
    shown = reply.plain()
    assert "Status: closed Tue 8 Dec, outcome being recorded" in shown and "Closes" not in shown
    assert "Did not respond" in shown and reply.actions == [], "no buttons to respond to what is closed"
    status = town.ok("carol", "status")
    assert 'Decision #1 "Adopt the market plan" closed Tue 8 Dec, outcome being recorded' in status
    assert "Deciding" not in status and "closes" not in status
    refuse(town, "carol", "agree 1", "#1 Adopt the market plan closed Tue 8 Dec, outcome being recorded.")
    [decisions_csv] = [a for a in town.say("carol", "export").attachments if a.filename == "decisions.csv"]
    assert decisions_csv.content.decode().splitlines()[1].split(",")[3] == "closing"
    with town.sessions() as session:
        assert session.scalars(select(Decision.status)).all() == [DecisionStatus.OPEN], "reading changes nothing"
    sweep(town, inbox)
    assert "#1 Adopt the market plan · passed Tue 8 Dec" in town.ok("carol", "decisions")
    assert "Status: passed, Tue 8 Dec" in town.ok("carol", "decision 1")


def test_proposing_by_vote_logs_one_sentence(town: Chat) -> None:
    """The log read "alice proposed #2 ..., By vote: ...", a capital mid-sentence."""
    town.ok("alice", 'propose "Move meetings to Thursdays" mode:vote')
    [proposed] = events(town, "propose")
    assert proposed.summary == ("proposed #1 Move meetings to Thursdays, by vote: it passes with more yes than no, "
                                "with at least 50% of the members responding")
    assert "Alice proposed #1 Move meetings to Thursdays, by vote: it passes" in town.ok("bob", "history")


def test_a_first_reason_is_added_not_updated(town: Chat) -> None:
    town.ok("alice", 'propose "Move meetings to Thursdays" mode:vote')
    town.ok("bob", "vote 1 yes")
    assert "Bob (Chamber of Trade): yes (reason added) on #1" in town.ok("bob", 'vote 1 yes "Easier for parents"')
    assert "yes (reason updated) on #1" in town.ok("bob", 'vote 1 yes "Easier for parents and traders"')


def test_a_second_vote_word_is_no_reason(town: Chat) -> None:
    """`vote 4 yes yes` recorded "yes" as the reason."""
    town.ok("alice", 'propose "Move meetings to Thursdays" mode:vote')
    refuse(town, "bob", "vote 1 yes yes", "`yes` after `yes` reads as a second vote", '`vote 1 yes "why"`')
    refuse(town, "bob", "vote 1 yes no", "`no` after `yes` reads as a second vote")
    assert all_of(town.sessions, DecisionResponse) == []
    town.ok("bob", 'vote 1 yes "yes"')  # quoted, it is what they chose to say
    [response] = all_of(town.sessions, DecisionResponse)
    assert response.reason == "yes"


def test_settled_decisions_are_dated_and_ordered_by_when_they_closed(town: Chat, inbox: Inbox) -> None:
    town.ok("alice", 'propose "Open the market hall" closes:2026-12-04')
    town.ok("alice", 'propose "Light the bridge" closes:friday')
    town.ok("alice", "agree 1")
    town.ok("alice", 'close 1 "We have heard enough"')
    town.ok("alice", "agree 2")
    at(town, "2026-11-28T09:00")
    sweep(town, inbox)
    listed = town.ok("carol", "decisions").split("Settled lately")[1]
    assert "#2 Light the bridge · passed Fri 27 Nov" in listed and "#1 Open the market hall · passed Tue 24 Nov" in listed
    assert listed.index("#2 Light") < listed.index("#1 Open"), "the latest to close comes first"
    assert "Status: passed, Fri 27 Nov" in town.ok("carol", "decision 2")


def test_a_proposal_says_when_it_closes_in_the_readers_own_zone(town: Chat) -> None:
    town.ok("alice", 'propose "Light the bridge" closes:friday')
    town.timezones["bob"] = "Asia/Tokyo"
    town.ok("bob", "tz Asia/Tokyo")
    assert "Closes: Sat 28 Nov 08:59 (in 4 days)" in town.ok("bob", "decision 1")
    assert "closes Sat 28 Nov 08:59 (in 4 days)" in town.ok("bob", "decisions")
    assert "Closes: Fri 27 Nov 23:59 (in 3 days)" in town.ok("carol", "decision 1")


def test_a_proposal_past_its_close_invites_no_interest_it_would_refuse(town: Chat) -> None:
    town.ok("alice", 'propose "Close the lane" mode:vote closes:tomorrow')
    assert '`interest 1 "what you have at stake"`' in town.ok("bob", "decision 1")
    town.advance(days=2)  # closed; the sweep has not recorded the outcome yet
    shown = town.ok("bob", "decision 1")
    assert "Interests declared" in shown and "interest 1" not in shown
    refuse(town, "bob", 'interest 1 "I run the cafe on the lane"', "#1")
