"""Ranked choice: `propose ... mode:ranked options:"A, B, C"`, `rank 5 B, A, C`; one ranking per
person, replaced when ranked again; counted by instant-runoff with its tie rule stated."""

from __future__ import annotations

import json

from handlers.judgements import runoff
from storage.models import Decision, DecisionResponse, DecisionStatus
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse

QUESTION = 'propose "Which project first?" mode:ranked options:"Lights, Benches, Planters" closes:friday'


def test_the_count_drops_the_fewest_until_one_has_more_than_half(town: Chat) -> None:
    town.ok("dave", 'join org:"Residents" sector:community')
    proposed = town.ok("alice", QUESTION)
    assert "By ranked choice among Lights, Benches, Planters" in proposed
    assert "a tie for fewest drops the one listed last in the proposal" in proposed
    assert "`rank 1 Lights, Benches, Planters`" in proposed
    town.ok("alice", "rank 1 Lights, Benches, Planters")
    town.ok("bob", "rank 1 Benches, Lights")
    town.ok("carol", "rank 1 Planters, Benches, Lights")
    said = town.ok("dave", "rank 1 benches, planters, lights")
    assert "Dave (Residents): ranked Benches > Planters > Lights on #1 Which project first?" in said
    assert "So far: 4 ranked; 0 still to respond." in said
    out = town.ok("alice", "close 1")
    assert "Decision #1 Which project first?: PASSED" in out
    assert "Counted by instant-runoff" in out
    assert "Round 1: Benches 2, Lights 1, Planters 1; Planters dropped." in out
    assert "Round 2: Benches 3, Lights 1." in out
    assert "Chosen: Benches." in out
    assert "Alice (Town Council) · ranked Lights > Benches > Planters" in town.ok("bob", "decision 1")


def test_ranking_again_replaces_the_ranking(town: Chat) -> None:
    town.ok("alice", QUESTION)
    town.ok("bob", "rank 1 Lights, Benches")
    assert "(ranking replaced)" in town.ok("bob", "rank 1 Planters")
    assert "nothing changed" in town.ok("bob", "rank 1 Planters")
    [response] = all_of(town.sessions, DecisionResponse)
    assert json.loads(response.ranking) == [2]


def test_bad_rankings_and_options_are_refused(town: Chat) -> None:
    town.ok("alice", QUESTION)
    town.ok("alice", 'propose "Plant trees"')
    refuse(town, "bob", "rank 1 Lights, Fountain", "`Fountain` isn't an option of #1", "`rank 1 Lights, Benches")
    refuse(town, "bob", "rank 1 Lights, lights", "Lights is ranked twice")
    refuse(town, "bob", "rank 1 ,", "Say how you rank the options")
    refuse(town, "bob", "vote 1 yes", "#1 is decided by ranked", "`rank 1 Lights, Benches, Planters`")
    refuse(town, "bob", "rank 2 Lights", "#2 is decided by consensus")
    refuse(town, "bob", 'propose "Go" mode:ranked', "a ranked choice needs them")
    refuse(town, "bob", 'propose "Go" options:"A, B"', "Options are for a ranked choice")
    refuse(town, "bob", 'propose "Go" mode:ranked options:"A"', "2 to 10 options", "that is 1")
    refuse(town, "bob", 'propose "Go" mode:ranked options:"A, a"', "same name")
    refuse(town, "bob", 'propose "Go" mode:ranked options:"A, ' + "x" * 100 + '"', "keep it under 80")
    refuse(town, "bob", 'propose "Go" mode:ranked threshold:60% options:"A, B"', "no threshold")
    assert len(all_of(town.sessions, Decision)) == 2 and all_of(town.sessions, DecisionResponse) == []


def test_nobody_ranking_chooses_nothing(town: Chat) -> None:
    town.ok("alice", QUESTION)
    town.ok("bob", "abstain 1")
    out = town.ok("alice", 'close 1 "Nobody had a view"')
    assert "FAILED" in out and "No option was ranked, so none is chosen." in out
    [d] = all_of(town.sessions, Decision)
    assert d.status is DecisionStatus.FAILED


def test_a_tie_for_fewest_drops_the_option_listed_last() -> None:
    result = runoff.count(3, [[0], [1], [2, 1]])
    assert [r.dropped for r in result.rounds] == [2, None] and result.winner == 1
    even = runoff.count(2, [[0], [1]])
    assert even.rounds[0].dropped == 1 and even.winner == 0
    assert runoff.count(2, []).winner is None


def test_a_proxy_ranks_for_a_member_and_is_told_how(town: Chat) -> None:
    town.ok("alice", QUESTION)
    assert "`rank 1 Lights, Benches, Planters for:@carol`" in town.ok("carol", "proxy 1 @bob")
    assert "Bob for Carol (Riverside Trust): ranked Planters > Lights on #1" in town.ok(
        "bob", "rank 1 Planters, Lights for:@carol")
