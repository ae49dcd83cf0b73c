"""Declarations of interest: listed with the agreement, and, where the partnership sets it, a
member who declares one in a proposal is not counted on it, and the outcome says so."""

from __future__ import annotations

import pytest

from storage.models import Interest
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse


@pytest.fixture
def vote(town: Chat) -> Chat:
    """A vote needing 60% yes among yes and no, with a quorum of half the members."""
    town.ok("alice", 'propose "Pedestrianise the square" mode:vote quorum:50% threshold:60% closes:friday')
    return town


def test_a_general_interest_is_listed_with_the_agreement(town: Chat) -> None:
    out = town.ok("bob", 'interest "I own the cafe on the square"')
    assert out == 'Bob (Chamber of Trade) declares an interest: "I own the cafe on the square" (#1).'
    assert 'Interests declared\n  - #1 Bob (Chamber of Trade): "I own the cafe on the square" (Tue 24 Nov)' in \
        town.ok("olga", "agreement")
    assert "In general\n  - #1 Bob" in town.ok("carol", "interests")
    refuse(town, "bob", 'interest "I own the cafe on the square"', "You already declared that interest")


def test_with_the_setting_off_an_interest_is_recorded_and_still_counted(vote: Chat) -> None:
    out = vote.ok("bob", 'interest 1 "My cafe is on the square"')
    assert "declares an interest in proposal #1 Pedestrianise the square" in out
    assert "The partnership still counts them on it (`partnership edit interests:exclude` leaves them out)." in out
    vote.ok("bob", "vote 1 yes")
    vote.ok("carol", "vote 1 no")
    out = vote.ok("alice", 'close 1 "Time to decide"')
    assert "Responses: 1 yes, 1 no (2 of 3 members)." in out and "FAILED" in out
    assert "Not counted" not in out


def test_with_interests_excluded_a_declared_member_is_not_counted(vote: Chat) -> None:
    vote.ok("alice", "partnership edit interests:exclude")
    assert "Interests: a member who declares an interest in a proposal is not counted on it" in \
        vote.ok("carol", "partnership")
    out = vote.ok("bob", 'interest 1 "My cafe is on the square"')
    assert "so Bob is not counted on #1" in out
    out = vote.ok("bob", "vote 1 no")
    assert "Recorded, but not counted: you declared an interest." in out
    assert "(not counted: declared an interest)" in vote.ok("carol", "decision 1")
    vote.ok("alice", "vote 1 yes")
    vote.ok("carol", "vote 1 yes")
    out = vote.ok("alice", "close 1")
    assert "PASSED" in out
    assert "Responses: 2 yes (2 of 2 members)." in out
    assert "Not counted: Bob (declared an interest)." in out


def test_a_declared_member_who_stays_silent_is_named_in_the_outcome(vote: Chat) -> None:
    vote.ok("alice", "partnership edit interests:exclude")
    vote.ok("bob", 'interest 1 "My cafe is on the square"')
    vote.ok("alice", "vote 1 yes")
    out = vote.ok("alice", 'close 1 "Time to decide"')
    assert "Responses: 1 yes (1 of 2 members)." in out
    assert "Declared an interest, so not counted: Bob." in out


def test_an_interest_withdrawn_counts_the_member_again(vote: Chat) -> None:
    vote.ok("alice", "partnership edit interests:exclude")
    vote.ok("bob", 'interest 1 "My cafe is on the square"')
    refuse(vote, "carol", "interest withdraw 1", "Interest #1 is Bob's; only they or a coordinator can withdraw it")
    assert vote.ok("bob", "interest withdraw 1") == "Withdrew interest #1."
    vote.ok("bob", "vote 1 yes")
    assert "(not counted" not in vote.ok("carol", "decision 1")
    refuse(vote, "bob", "interest withdraw 1", "Interest #1 was already withdrawn")


@pytest.mark.parametrize(("command", "expected"), [
    ('interest 9 "My cafe"', "There is no decision #9 in Riverside Partnership"),
    ("interest", "Say the interest"),
    (f'interest "{"i" * 600}"', "That interest is 600 characters; keep it under 500"),
    ("interest withdraw me", "`me` isn't an interest number"),
])
def test_bad_interests_are_refused(vote: Chat, command: str, expected: str) -> None:
    refuse(vote, "bob", command, expected, example=command != "interest")


def test_an_interest_in_a_settled_proposal_is_refused(vote: Chat) -> None:
    vote.ok("alice", "vote 1 yes")
    vote.ok("bob", "vote 1 yes")
    vote.ok("alice", 'close 1 "Time to decide"')
    refuse(vote, "bob", 'interest 1 "My cafe"', "Proposal #1 Pedestrianise the square is settled",
           '`interest "My cafe"`')
    assert all_of(vote.sessions, Interest) == []


def test_interests_are_in_the_history_and_the_export(vote: Chat) -> None:
    vote.ok("bob", 'interest 1 "My cafe is on the square"')
    assert 'Bob declared an interest in proposal #1 Pedestrianise the square: "My cafe is on the square"' in \
        vote.ok("alice", "history about:interests")
    files = {a.filename: a.content.decode() for a in vote.say("alice", "export").attachments}
    assert "- Bob (Chamber of Trade), in proposal #1 Pedestrianise the square: My cafe is on the square " \
           "(Tue 24 Nov 2026 10:00 UTC)" in files["agreement.md"], "a file passed on says its times' zone"


def test_a_member_who_leaves_takes_their_interests_with_them(town: Chat) -> None:
    town.ok("carol", 'interest "My sister chairs the council\'s planning committee"')
    town.ok("carol", "leave")
    assert "Interests declared" not in town.ok("bob", "agreement")
    assert "partnerbot noted that interest #1 of Carol (\"My sister chairs the council's planning committee\") was " \
           "withdrawn, as Carol left" in town.ok("bob", "history about:interests")


def test_an_interest_in_a_proposal_that_has_closed_stays_with_it(town: Chat) -> None:
    """Bob withdrew his interest in #1 after it failed without his vote, and the public page then
    counted it: "failed, 2 yes, 1 no; Why it failed: the vote went against it"."""
    town.ok("alice", "partnership edit interests:exclude")
    town.ok("alice", 'propose "Buy festoon lights" mode:vote closes:2026-12-10')
    town.ok("bob", 'interest 1 "I sell lights"')
    town.ok("alice", "vote 1 no")
    town.ok("bob", "vote 1 yes")
    town.ok("carol", "vote 1 yes")
    town.advance(days=20)
    refuse(town, "bob", "interest withdraw 1", "Interest #1 was declared in proposal #1 Buy festoon lights, which "
           "has closed, so it stays on the record with it.", "`decision 1`")
    assert "I sell lights" in town.ok("carol", "interests")
