"""Roles that stick: a removed member or an imposed observer cannot undo it by leaving and
joining, and joining needs a coordinator's approval where the partnership says so."""

from __future__ import annotations

import json

from sqlalchemy import select

from storage.models import JoinRequest, Member, Person, Role
from tests.conftest import Chat, snapshot
from tests.slack_recorder import SlackHarness, button, text_of
from tests.test_bad_input import refuse

pytest_plugins = ("tests.slack_fixtures",)


def member(chat: Chat, user: str) -> Member | None:
    """The user's active membership, if any."""
    with chat.sessions() as session:
        return session.scalar(select(Member).join(Member.person).where(Person.user_id == user,
                                                                       Member.left_at.is_(None)))


def test_a_removed_member_cannot_rejoin_without_a_coordinator(town: Chat) -> None:
    town.ok("alice", "member remove @carol")
    asked = town.ok("carol", 'join org:"Riverside Trust" sector:voluntary')
    assert "Carol asks to join Riverside Partnership" in asked and "was removed before" in asked
    assert member(town, "carol") is None
    refuse(town, "carol", 'commit "Sneak back in" by:friday', "You're not a member of Riverside Partnership")
    refuse(town, "carol", "join", "You asked to join Riverside Partnership", "not answered yet")
    listed = town.ok("alice", "members")
    assert "Asking to join" in listed and "Carol (asked Tue 24 Nov, as member)" in listed
    welcome = town.ok("alice", "approve @carol")
    assert "Welcome to Riverside Partnership, Carol" in welcome and "Approved by Alice" in welcome
    found = member(town, "carol")
    assert found is not None and (found.role, found.organisation, found.removed) == (
        Role.MEMBER, "Riverside Trust", False)
    assert "Asking to join" not in town.ok("alice", "members")


def test_an_observer_made_by_a_coordinator_stays_one_across_leave_and_join(town: Chat) -> None:
    town.ok("alice", "member role @bob observer")
    town.ok("bob", "leave")
    again = town.ok("bob", "join sector:private")
    assert "observer" in again and "a coordinator made you an observer" in again
    refuse(town, "bob", 'commit "Take over" by:friday', "Observers can read Riverside Partnership but not change it")
    found = member(town, "bob")
    assert found is not None and found.role is Role.OBSERVER


def test_an_observer_by_choice_may_come_back_as_a_member(town: Chat) -> None:
    town.ok("dave", "join sector:community observer")
    town.ok("dave", "leave")
    town.ok("dave", "join sector:community")
    found = member(town, "dave")
    assert found is not None and found.role is Role.MEMBER


def test_a_coordinator_who_leaves_and_rejoins_is_a_member(town: Chat) -> None:
    town.ok("alice", "member role @bob coordinator")
    town.ok("alice", "leave")
    town.ok("alice", "join sector:public")
    found = member(town, "alice")
    assert found is not None and found.role is Role.MEMBER


def test_a_formal_partnership_approves_newcomers_and_a_decline_is_told(chat: Chat) -> None:
    chat.ok("alice", 'setup "Market Square Project" kind:project end:2027-06-30 formality:formal')
    assert "Joining: a coordinator approves newcomers" in chat.ok("alice", "partnership")
    asked = chat.ok("bob", 'join org:"Chamber of Trade" sector:private')
    assert "needs a coordinator's approval to join" in asked and "Bob, you'll see the answer here" in asked
    refuse(chat, "bob", "approve @bob", "You're not a member of Market Square Project yet")
    refuse(chat, "alice", "approve @carol", "@carol hasn't asked to join Market Square Project", "`members`")
    refuse(chat, "bob", "join sector:bogus", "You asked to join")
    told = chat.ok("alice", 'decline @bob "We only take organisations on the market board"')
    assert "Alice declined Bob's request to join Market Square Project: We only take organisations" in told
    assert member(chat, "bob") is None
    chat.ok("alice", "partnership edit joining:open")
    chat.ok("bob", "join sector:private")
    assert member(chat, "bob") is not None


def test_decline_of_a_person_is_a_coordinators_and_of_a_number_a_handover(chat: Chat) -> None:
    """`decline @x` turns down a request to join and `decline 12` a handover: one word, two meanings."""
    chat.ok("alice", 'setup "Market Square Project" kind:project end:2027-06-30 formality:formal')
    chat.ok("alice", "member add @carol sector:voluntary")
    chat.ok("bob", "join sector:private")
    before = snapshot(chat.sessions)
    refuse(chat, "carol", "decline @bob", "Only coordinators of Market Square Project can do that (coordinators: Alice)",
           example=False)
    refuse(chat, "alice", "decline", "Say what you decline", '`decline 12 "why"`, or `decline @name`')
    refuse(chat, "carol", 'decline 7 "busy"', "#7")
    assert snapshot(chat.sessions) == before
    assert "declined Bob's request" in chat.ok("alice", "decline @bob")


def test_bad_details_are_refused_when_asking_not_when_approving(chat: Chat) -> None:
    chat.ok("alice", 'setup "Market Square Project" kind:project end:2027-06-30 formality:formal')
    refuse(chat, "bob", "join sector:bogus", "sector")
    with chat.sessions() as session:
        assert session.scalars(select(JoinRequest)).all() == []


def test_adding_someone_who_asked_answers_their_request(chat: Chat) -> None:
    chat.ok("alice", 'setup "Market Square Project" kind:project end:2027-06-30 formality:formal')
    chat.ok("bob", "join sector:private")
    chat.ok("alice", "member add @bob sector:private")
    with chat.sessions() as session:
        request = session.scalars(select(JoinRequest)).one()
    assert request.approved is True
    assert "Asking to join" not in chat.ok("alice", "members")


def test_latecomers_count_when_the_partnership_says_so(town: Chat) -> None:
    town.ok("alice", "partnership edit latecomers:count")
    assert "Latecomers: counted in decisions opened before they joined" in town.ok("alice", "partnership")
    town.ok("bob", 'propose "Adopt the market plan" closes:friday')
    town.advance(minutes=5)
    town.ok("dave", "join sector:community")
    for user in ("alice", "bob", "carol", "dave"):
        town.ok(user, "agree 1")
    assert "4 agree (4 of 4 members)" in town.ok("alice", "close 1")


def test_slack_shows_coordinators_approve_and_decline_buttons(riverside: SlackHarness) -> None:
    riverside.run("partnership edit joining:approval")
    asked = riverside.run('join org:"Mallory Ltd" sector:private', user="UMALLORY")
    blocks = asked.params["blocks"]
    assert asked.method == "chat.postMessage" and "Mallory asks to join Riverside Partnership" in text_of(blocks)
    approve = button(blocks, "Approve", "approve @UMALLORY")
    assert json.loads(button(blocks, "Decline")["value"])["run"] == "decline @UMALLORY"
    riverside.click(approve, user="UBOB")
    assert "Only coordinators" in text_of(riverside.last("chat.postEphemeral").params["blocks"])
    riverside.click(approve, user="UALICE")
    assert "Welcome to Riverside Partnership, Mallory" in text_of(riverside.last("chat.postMessage").params["blocks"])
    riverside.click(approve, user="UALICE")
    assert "hasn't asked to join" in text_of(riverside.last("chat.postEphemeral").params["blocks"])
