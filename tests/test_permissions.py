"""Who may do what: observers read but never change; coordinators run the partnership;
strangers and other workspaces see nothing of it; and every change leaves an Event row."""

from __future__ import annotations

import pytest

from handlers.registry import COMMANDS, Access
from storage.models import Event
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse


@pytest.fixture
def observed(town: Chat) -> Chat:
    """The town with an observer (olga) and some work under way to read."""
    town.ok("olga", 'join org:"Riverside Gazette" observer')
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:3h')
    town.ok("bob", 'concern "Budget split"')
    town.ok("bob", 'flex time "Two evenings"')
    town.ok("bob", 'priority "Saturday footfall"')
    return town


@pytest.mark.parametrize(
    "command",
    ["partnership", "members", "who", "who leaflets", "commitments @bob", "overdue", "concerns", "concerns 1",
     "flex", "flex who time", "priorities", "load", "mine", "partnerships", "help"],
)
def test_observer_can_read_everything(observed: Chat, command: str) -> None:
    assert observed.ok("olga", command)


@pytest.mark.parametrize(
    "command",
    ['commit "Write it up" by:friday', "done 1", 'drop 1 "No"', "reassign 1 @carol", 'concern "Too slow"',
     'discuss 1 "I agree"', "reopen 1", 'priority "Good press"', "flex withdraw 1"],
)
def test_observer_cannot_change_anything(observed: Chat, command: str) -> None:
    refuse(observed, "olga", command, "Observers can read Riverside Partnership but not change it",
           "`member role @olga member`")


def test_observer_cannot_offer_flexibility(observed: Chat) -> None:
    refuse(observed, "olga", 'flex money "£50"', "Observers can read the partnership but not offer flexibility",
           "Type `flex` to see the offers; a coordinator can make you a member with `member role @olga member`.")


@pytest.mark.parametrize(
    "command",
    ['partnership edit goals:"Other"', "member add @dave", "member role @carol coordinator", "member remove @carol",
     'resolve 1 "Sorted"'],
)
def test_members_and_observers_cannot_do_coordinator_work(observed: Chat, command: str) -> None:
    for who in ("bob", "olga"):
        refuse(observed, who, command, "Only coordinators of Riverside Partnership can do that (coordinators: Alice)",
               example=False)


def test_coordinator_only_commands_are_declared_so() -> None:
    for name in ("partnership edit", "member add", "member role", "member remove", "resolve"):
        assert COMMANDS[name].access is Access.COORDINATOR, name


def test_observer_promoted_to_member_can_then_commit(observed: Chat) -> None:
    observed.ok("alice", "member role @olga member")
    assert "Write it up — Olga (Riverside Gazette)" in observed.ok("olga", 'commit "Write it up" by:friday')


def test_stranger_can_read_but_must_join_to_change(observed: Chat) -> None:
    assert "Deliver leaflets" in observed.ok("zed", "who")
    refuse(observed, "zed", 'concern "Who are you all?"', "You're not a member of Riverside Partnership yet",
           '`join org:"Your organisation" sector:community`')


def test_other_workspace_cannot_reach_this_workspaces_rows(observed: Chat) -> None:
    other = Chat(observed.sessions, workspace="other")
    other.ok("mallory", 'setup "Elsewhere" kind:task-force')
    for command, noun in (("done 1", "commitment"), ("concerns 1", "concern"), ('resolve 1 "Mine now"', "concern"),
                          ("reassign 1 @mallory", "commitment")):
        refuse(other, "mallory", command, f"There is no {noun} #1 in Elsewhere")
    for command in ("who", "load", "flex", "priorities", "members"):
        out = other.ok("mallory", command)
        assert "Bob" not in out and "Deliver leaflets" not in out and "Two evenings" not in out


def test_every_change_writes_an_event_with_who_and_what(town: Chat) -> None:
    steps = [
        ("alice", 'partnership edit goals:"Footfall up 10%"', "edit"),
        ("dave", 'join org:"Youth Club" sector:community', "join"),
        ("alice", "member add @erin", "member-add"),
        ("alice", "member role @erin coordinator", "member-role"),
        ("bob", 'priority "Saturday footfall"', "priority"),
        ("bob", 'commit "Deliver leaflets" by:friday', "commit"),
        ("bob", 'commit "Run the fair" by:friday', "commit"),
        ("bob", "reassign 1 @carol", "reassign"),
        ("carol", "done 1", "accept done"),  # done before answering the handover accepts it, in the record too
        ("bob", 'drop 2 "The venue cancelled"', "drop"),
        ("bob", 'concern "Budget split"', "concern"),
        ("carol", 'discuss 1 "Match-fund it?"', "discuss"),
        ("alice", 'resolve 1 "Split 50/50"', "resolve"),
        ("bob", 'reopen concern 1 "It changed again"', "reopen"),
        ("carol", 'flex time "Two evenings"', "flex"),
        ("carol", "flex withdraw 1", "flex-withdraw"),
        ("alice", "member remove @erin", "member-remove"),
        ("dave", "leave", "member-remove"),
    ]
    for user, command, action in steps:
        before = len(all_of(town.sessions, Event))
        town.ok(user, command)
        new = all_of(town.sessions, Event)[before:]
        assert [e.action for e in new] == action.split(), command
        assert new[0].actor.user_id == user and new[0].summary and new[0].created_at == town.now, command
    reasons = {e.action: e.reason for e in all_of(town.sessions, Event) if e.reason}
    assert reasons == {"drop": "The venue cancelled", "resolve": "Split 50/50", "reopen": "It changed again",
                       "discuss": "Match-fund it?"}


def test_reading_writes_no_events(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    before = len(all_of(town.sessions, Event))
    for command in ("partnership", "members", "who", "mine", "commitments @bob", "overdue", "concerns", "flex",
                    "priorities", "load", "help"):
        town.ok("carol", command)
    assert len(all_of(town.sessions, Event)) == before


@pytest.mark.parametrize("command", ["who", "who leaflets", "commitments @bob", "overdue", "concerns", "concerns 1",
                                     "decisions", "decision 1", "concerns 2"])
@pytest.mark.parametrize(("reader", "wound_up"), [
    ("alice", False), ("bob", False), ("carol", False), ("olga", False),
    ("alice", True), ("bob", True),  # wound up, a coordinator and a member: the others are offered no more
], ids=["alice", "bob", "carol", "olga", "alice-wound-up", "bob-wound-up"])
def test_every_button_a_listing_offers_its_reader_is_accepted(observed: Chat, command: str, reader: str,
                                                              wound_up: bool) -> None:
    """`commitments @tom` offered gwen [Mark done: `done 1`], and `concerns` offered every member
    [Resolve]: buttons refused once clicked; so did a wound-up partnership's [Discuss]. Each one
    offered is tried, as that reader."""
    observed.ok("alice", 'propose "Adopt the market plan"')
    observed.ok("carol", 'concern "Parking" kind:other')
    observed.ok("alice", 'resolve 2 "Two spaces for traders"')
    if wound_up:
        observed.ok("alice", 'partnership wind-up "The fair is over" open:keep')
    reply = observed.say(reader, command)
    # Each line's buttons, the one that closes it (Mark done, Resolve: the primary) pressed last.
    offered = [a.command for item in (i for s in reply.sections for i in s.items)
               for a in sorted(item.actions, key=lambda a: a.primary)]
    offered += [a.command for a in sorted(reply.actions, key=lambda a: a.primary)]
    for button in offered:
        filled = button.replace('"..."', '"Said in a test"').replace('"what was agreed"', '"Agreed in a test"')
        reply = observed.say(reader, filled)
        assert not reply.error, f"{reader} was offered `{button}` in `{command}`, then refused: {reply.text}"
        observed.advance(seconds=1)
