"""Succession: naming who steps in, listing what has nobody, nudging coordinators until
someone is named (then silence), and saying who succeeds a coordinator who leaves."""

from __future__ import annotations

import pytest

from storage.models import Successor
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse
from tests.test_nudges import Inbox, sweep


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


def test_name_successors_for_a_role_and_a_commitment(town: Chat) -> None:
    town.ok("bob", 'commit "Run the Christmas market" by:2026-12-19 effort:12h')
    assert "Bob (Chamber of Trade) steps in as coordinator if needed." in town.ok(
        "alice", "successor coordinator @bob")
    assert "Carol (Riverside Trust) steps in on #1 Run the Christmas market if Bob cannot." in town.ok(
        "bob", "successor 1 @carol")
    out = town.ok("carol", "successors")
    assert "coordinator: Bob (Chamber of Trade)" in out
    assert "#1 Run the Christmas market (Bob): Carol (Riverside Trust)" in out
    assert "Every role and large commitment has someone to step in." in out
    town.ok("alice", "successor coordinator @carol")
    [role, _] = all_of(town.sessions, Successor)
    assert role.role == "coordinator" and role.successor.person.user_id == "carol", "naming again replaces"


def test_successors_lists_what_has_nobody(town: Chat) -> None:
    town.ok("bob", 'commit "Run the Christmas market" by:2026-12-19 effort:12h')
    town.ok("bob", 'commit "Post the minutes" by:friday effort:1h')
    out = town.ok("carol", "successors")
    assert "coordinator role — `successor coordinator @name`" in out
    assert "#1 Run the Christmas market (Bob, 12h) — `successor 1 @name`" in out
    assert "Post the minutes" not in out, "small commitments need no successor"


def test_bad_or_unpermitted_successors_are_refused(town: Chat) -> None:
    town.ok("olga", 'join org:"Riverside Gazette" observer')
    town.ok("bob", 'commit "Run the Christmas market" by:2026-12-19 effort:12h')
    refuse(town, "bob", "successor coordinator @carol", "Only coordinators name successors for roles")
    refuse(town, "carol", "successor 1 @alice", "#1 is Bob's commitment; only they or a coordinator can change it",
           example=False)
    refuse(town, "bob", "successor 1 @bob", "#1 is already yours")
    refuse(town, "alice", "successor coordinator @olga", "Olga is an observer")
    refuse(town, "alice", "successor coordinator @zed", "@zed isn't a member of Riverside Partnership")
    refuse(town, "alice", "successor 9 @bob", "There is no commitment #9")
    refuse(town, "alice", "successor coordinator", "Say who: who steps in")
    refuse(town, "alice", "successor", "Say for what")
    refuse(town, "olga", "successor 1 @carol", "Observers can read Riverside Partnership but not change it")
    other = Chat(town.sessions, workspace="other")
    other.ok("mallory", 'setup "Elsewhere" kind:task-force')
    other.ok("mallory", "member add @eve")
    refuse(other, "mallory", "successor 1 @eve", "There is no commitment #1 in Elsewhere")


def test_gaps_are_flagged_to_coordinators_then_silent_once_named(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Run the Christmas market" by:2027-01-30 effort:12h')
    town.ok("alice", "member role @carol coordinator")
    sweep(town, inbox)
    assert [text for _, text in inbox.take_all() if "step in" in text] == [], "a new partnership settles in first"
    town.advance(days=14)
    sweep(town, inbox)
    flagged = [(who, text) for who, text in inbox.take_all() if "step in" in text]
    assert {who for who, _ in flagged} == {"@alice", "@carol"}
    text = dict(flagged)["@alice"]
    assert "Nobody is named to step in as coordinator of Riverside Partnership if Alice, Carol were away" in text
    assert "#1 Run the Christmas market (12h), held by Bob (Chamber of Trade), has nobody named" in text
    town.ok("alice", "successor coordinator @bob")
    town.ok("alice", "successor 1 @carol")
    town.advance(days=40)
    sweep(town, inbox)
    assert [text for _, text in inbox.take_all() if "step in" in text] == []


def test_a_leaving_coordinator_names_their_successor(town: Chat) -> None:
    town.ok("alice", "member role @bob coordinator")
    town.ok("alice", "successor coordinator @carol")
    out = town.ok("alice", "leave")
    assert "Alice is no longer in Riverside Partnership." in out
    assert "Their named successor as coordinator is Carol (Riverside Trust): `member role @carol coordinator`" in out
    out = town.ok("bob", "member remove @carol")
    assert ("They were named to step in for coordinator; that is cleared, so coordinators: name someone else "
            "with `successor`.") in out


def test_nobody_is_named_successor_to_themselves(town: Chat) -> None:
    town.ok("bob", 'commit "Run the Christmas market" by:2026-12-19 effort:12h')
    refuse(town, "alice", "successor coordinator @alice", "You are a coordinator already",
           "`successor coordinator @name`")
    town.ok("alice", "member role @carol coordinator")
    refuse(town, "alice", "successor coordinator @carol", "Carol is a coordinator already")
    refuse(town, "bob", "successor 1 @bob", "#1 is already yours; name someone else")
    refuse(town, "alice", "successor 1 @bob", "#1 is already Bob's; name someone else")
    assert all_of(town.sessions, Successor) == []


def test_a_successor_who_became_coordinator_is_no_successor_to_themselves(town: Chat, inbox: Inbox) -> None:
    """Sam was named to step in for the coordinators, then made one: `successors` showed
    "coordinator: sam" with sam the only coordinator left."""
    town.ok("alice", "successor coordinator @bob")
    town.ok("alice", "member role @bob coordinator")
    town.ok("alice", "leave")
    out = town.ok("carol", "successors")
    assert "coordinator: Bob" not in out
    assert ("coordinator role (Bob, named before, is a coordinator now) — `successor coordinator @name`") in out
    assert "Every role and large commitment has someone to step in." not in out
    town.advance(days=15)
    sweep(town, inbox)
    assert any("Nobody is named to step in as coordinator of Riverside Partnership if Bob were away" in text
               for who, text in inbox.take_all() if who == "@bob"), "the gap is nudged, as health and successors say"


def test_a_commitment_handed_to_its_successor_shows_the_gap(town: Chat) -> None:
    town.ok("bob", 'commit "Run the Christmas market" by:2026-12-19 effort:12h')
    town.ok("bob", "successor 1 @carol")
    town.ok("bob", "reassign 1 @carol")
    out = town.ok("alice", "successors")
    assert "(Bob): Carol" not in out and "(Carol): Carol" not in out
    assert "#1 Run the Christmas market (Carol, 12h) (Carol, named before, holds it now) — `successor 1 @name`" in out


def test_leaving_clears_only_what_is_still_open(town: Chat) -> None:
    """Tom was named for #5, which was already done when he left: the coordinators were told
    to name someone else for it."""
    town.ok("bob", 'commit "Run the Christmas market" by:2026-12-19 effort:12h')
    town.ok("bob", 'commit "Print the posters" by:2026-12-12 effort:9h')
    town.ok("bob", "successor 1 @carol")
    town.ok("bob", "successor 2 @carol")
    town.ok("bob", "done 2")
    out = town.ok("carol", "leave")
    assert "They were named to step in for #1; that is cleared" in out
    assert "#2" not in out
    [kept] = all_of(town.sessions, Successor)
    assert kept.commitment_id == 2, "the record of who was ready for done work stays as it was"


def test_successors_of_a_wound_up_partnership_suggest_nothing_that_is_refused(town: Chat) -> None:
    """Once wound up, `successors` still said "`successor coordinator @name`", which is refused there."""
    town.ok("bob", 'commit "Run the fair" by:2026-12-20 effort:10h')
    town.ok("alice", 'partnership wind-up "The council takes it on" open:keep')
    out = town.ok("carol", "successors")
    assert "coordinator role" in out and "#1 Run the fair (Bob, 10h)" in out
    assert "`successor" not in out
    refuse(town, "alice", "successor coordinator @carol", "wound up")


def test_large_recurring_work_with_nobody_to_step_in_is_told_once_not_every_week(town: Chat) -> None:
    """An 8h weekly job with nobody named: coordinators were told again at each new occurrence."""
    town.ok("bob", 'commit "Run the weekly market" by:friday every:week effort:8h')
    inbox = Inbox()
    for _ in range(35):
        town.advance(days=1)
        sweep(town, inbox)
    told = inbox.to("@alice", "has nobody named to step in if Bob were away")
    assert len(told) == 1, told
