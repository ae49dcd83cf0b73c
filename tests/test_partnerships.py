"""Partnerships: setup with every kind, showing and editing them, listing, and linking channels."""

from __future__ import annotations

from datetime import date

import pytest

from storage.models import ChannelLink, Commitment, Event, Formality, Member, Partnership, PartnershipKind, ReviewCadence, Role
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse


@pytest.mark.parametrize("kind", ["steering-group", "task-force", "development-trust", "umbrella-forum"])
def test_setup_with_each_sustained_kind_stores_it_with_a_quarterly_review(chat: Chat, kind: str) -> None:
    out = chat.ok("alice", f'setup "Riverside Partnership" kind:{kind}')
    assert "Riverside Partnership is set up" in out
    assert f"Kind: {kind} (informal)" in out
    [p] = all_of(chat.sessions, Partnership)
    assert p.kind is PartnershipKind(kind)
    assert p.review_cadence is ReviewCadence.QUARTERLY
    assert p.next_review_on == date(2027, 2, 24)
    assert "Review: quarterly, next Wed 24 Feb 2027" in out


def test_setup_makes_the_founder_coordinator_and_links_the_channel(chat: Chat) -> None:
    out = chat.ok("alice", 'setup "Riverside Partnership" kind:task-force')
    assert "You are its first coordinator. This channel is now its home." in out
    assert "Coordinators: Alice" in out
    [member] = all_of(chat.sessions, Member)
    assert member.role is Role.COORDINATOR
    [link] = all_of(chat.sessions, ChannelLink)
    assert (link.workspace, link.channel) == ("town", "general")


def test_project_setup_needs_an_end_date(chat: Chat) -> None:
    refuse(chat, "alice", 'setup "Market Square Project" kind:project', "add `end:` with its end date, like `end:2027-02-24`")
    assert all_of(chat.sessions, Partnership) == []


def test_project_setup_with_end_date_formality_and_everything(chat: Chat) -> None:
    out = chat.ok(
        "alice",
        'setup "Market Square Project" kind:project end:2027-06-30 formality:formal '
        'purpose:"A new market square" terms:"Meets monthly; decisions by consensus" goals:"Open by June"',
    )
    assert "Kind: project (formal)" in out
    assert "Purpose: A new market square" in out
    assert "Terms of reference: Meets monthly; decisions by consensus" in out
    assert "Goals: Open by June" in out
    assert "Ends: Wed 30 Jun 2027" in out
    [p] = all_of(chat.sessions, Partnership)
    assert (p.kind, p.formality, p.end_date) == (PartnershipKind.PROJECT, Formality.FORMAL, date(2027, 6, 30))
    assert p.terms == "Meets monthly; decisions by consensus"
    assert p.review_cadence is None  # a project ends rather than being reviewed, unless asked


def test_project_end_date_in_the_past_is_refused(chat: Chat) -> None:
    refuse(chat, "alice", 'setup "Market Square Project" kind:project end:2026-01-01', "must be after today")


@pytest.mark.parametrize(
    ("cadence", "next_on", "shown"),
    [("monthly", date(2026, 12, 24), "Thu 24 Dec"), ("quarterly", date(2027, 2, 24), "Wed 24 Feb 2027"),
     ("half-yearly", date(2027, 5, 24), "Mon 24 May 2027"), ("yearly", date(2027, 11, 24), "Wed 24 Nov 2027")],
)
def test_review_cadence_sets_the_next_review_date(chat: Chat, cadence: str, next_on: date, shown: str) -> None:
    out = chat.ok("alice", f'setup "Riverside Partnership" kind:umbrella-forum review:{cadence}')
    assert f"Review: {cadence}, next {shown}" in out
    [p] = all_of(chat.sessions, Partnership)
    assert p.review_cadence is ReviewCadence(cadence) and p.next_review_on == next_on


def test_setup_without_kind_lists_the_kinds(chat: Chat) -> None:
    refuse(chat, "alice", 'setup "Riverside Partnership"', "`kind:`", "steering-group", "project")


def test_setup_without_a_name_asks_for_one(chat: Chat) -> None:
    refuse(chat, "alice", "setup kind:task-force", "Say the partnership name")


def test_a_name_the_person_sees_is_refused_in_any_case(town: Chat) -> None:
    refuse(town, "dave", 'setup "riverside  PARTNERSHIP" kind:task-force', "This channel's partnership is already called",
           "`setup")
    town.channel = "elsewhere"
    refuse(town, "bob", 'setup "riverside  PARTNERSHIP" kind:task-force', "One of your partnerships is already called")


def test_a_stranger_learns_nothing_from_a_name_and_takes_none_from_others(town: Chat) -> None:
    """Whether a name is used elsewhere in the workspace changes nothing in the answer."""
    town.channel = "elsewhere"
    taken = town.ok("mallory", 'setup "Riverside Partnership" kind:task-force')
    town.channel = "somewhere"
    free = town.ok("mallory", 'setup "Hill Forum" kind:task-force')
    assert taken.replace("Riverside Partnership", "NAME") == free.replace("Hill Forum", "NAME")
    town.channel = "general"
    assert "Revive the riverside" in town.ok("bob", "partnership")  # Alice's is untouched, and still hers
    town.channel = "third"
    town.ok("alice", 'use "Riverside Partnership"')  # the one she coordinates, not Mallory's
    assert "Coordinators: Alice" in town.ok("bob", "partnership")
    town.channel = "fourth"
    assert "You coordinate no partnership called" in town.refused("bob", 'use "Riverside Partnership"')


def test_two_of_ones_own_partnerships_with_one_name_are_told_apart_then_renamed(town: Chat) -> None:
    town.channel = "elsewhere"
    town.ok("zoe", 'setup "Riverside Partnership" kind:task-force')
    town.ok("carol", 'join org:"Riverside Trust" sector:voluntary')
    town.ok("carol", 'commit "Count the swans" by:friday')
    town.channel = "dm-carol"
    said = town.refused("carol", 'done 1 in:"riverside partnership"')
    assert "2 of your partnerships are called Riverside Partnership" in said
    assert "coordinated by Alice" in said and "coordinated by Zoe" in said and "partnership edit name:" in said
    town.channel = "general"
    town.ok("alice", 'partnership edit name:"Riverside North"')
    town.channel = "dm-carol"
    assert "Count the swans" in town.ok("carol", 'done 1 in:"riverside partnership"')
    town.channel = "general"
    assert "Riverside North" in town.ok("carol", "partnership")
    town.channel = "hills"
    town.ok("alice", 'setup "Hill Forum" kind:task-force')
    town.channel = "general"
    refuse(town, "alice", 'partnership edit name:"HILL forum"', "One of your partnerships is already called Hill Forum")


def test_setup_records_an_event(chat: Chat) -> None:
    chat.ok("alice", 'setup "Riverside Partnership" kind:task-force')
    [event] = all_of(chat.sessions, Event)
    assert event.action == "setup" and event.actor.user_id == "alice"
    assert "Riverside Partnership" in event.summary


def test_partnership_shows_purpose_coordinators_members_and_open_work(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("carol", 'concern "Budget split"')
    out = town.ok("carol", "partnership")
    assert out.splitlines()[0] == "Riverside Partnership"
    assert "Purpose: Revive the riverside" in out
    assert "Coordinators: Alice" in out
    assert "Members: 3" in out
    assert "1 commitment" in out and "1 concern" in out
    assert '`partnership edit terms:"..."`' in out  # suggests what is still missing


def test_info_is_an_alias_for_partnership(town: Chat) -> None:
    assert town.ok("bob", "info") == town.ok("bob", "partnership")


def test_partnership_in_an_unlinked_channel_explains_how_to_link(town: Chat) -> None:
    town.channel = "random"
    refuse(town, "dave", "partnership", "isn't linked to a partnership", "`use <name>`")


def test_coordinator_edits_goals_and_review(town: Chat) -> None:
    out = town.ok("alice", 'partnership edit goals:"Footfall up 10% by summer" review:monthly')
    assert "Changed goals, review." in out
    assert "Goals: Footfall up 10% by summer" in out
    assert "Review: monthly, next Thu 24 Dec" in out
    [p] = all_of(town.sessions, Partnership)
    assert p.goals == "Footfall up 10% by summer" and p.next_review_on == date(2026, 12, 24)
    edit = [e for e in all_of(town.sessions, Event) if e.action == "edit"]
    assert len(edit) == 1 and edit[0].actor.user_id == "alice" and "goals" in edit[0].summary


def test_member_cannot_edit_the_partnership(town: Chat) -> None:
    text = refuse(town, "bob", 'partnership edit goals:"Something else"', "Only coordinators", "Alice", example=False)
    assert "Ask" in text
    assert all_of(town.sessions, Partnership)[0].goals is None


def test_edit_with_nothing_to_change_lists_the_settings(town: Chat) -> None:
    refuse(town, "alice", "partnership edit", "Say what to change", "`purpose:`", "`review:`")


def test_edit_to_project_without_an_end_date_is_refused(town: Chat) -> None:
    refuse(town, "alice", "partnership edit kind:project", "add `end:`")
    assert all_of(town.sessions, Partnership)[0].kind is PartnershipKind.UMBRELLA_FORUM


def test_edit_to_project_with_an_end_date_is_accepted(town: Chat) -> None:
    out = town.ok("alice", "partnership edit kind:project end:2027-03-31")
    assert "Kind: project" in out and "Ends: Wed 31 Mar 2027" in out


def test_partnerships_lists_mine_and_this_channels_and_no_others(town: Chat) -> None:
    town.channel = "hills"
    town.ok("dave", 'setup "Hill Towns" kind:task-force')
    town.channel = "general"
    out = town.ok("bob", "partnerships")
    assert "Hill Towns" not in out
    assert "Riverside Partnership — umbrella-forum (you are in it, this channel)" in out
    both = town.ok("dave", "partnerships")
    assert "Hill Towns — task-force (you are in it)" in both and "Riverside Partnership — umbrella-forum (this channel)" in both
    assert both.index("Hill Towns") < both.index("Riverside Partnership")
    # A stranger in an unlinked channel learns of neither.
    town.channel = "random"
    assert "Hill Towns" not in town.ok("zed", "partnerships") and "Riverside" not in town.ok("zed", "partnerships")


def test_partnerships_when_there_are_none_says_how_to_start(chat: Chat) -> None:
    out = chat.ok("alice", "partnerships")
    assert 'You are in none yet, and this channel has none.' in out and '`setup "Name" kind:task-force`' in out


def test_setup_in_a_linked_channel_leaves_the_link_and_says_how_to_use(town: Chat) -> None:
    out = town.ok("alice", 'setup "Hill Towns" kind:task-force')
    assert 'type `use "Hill Towns"` where you want this one' in out
    assert town.ok("bob", "partnership").splitlines()[0] == "Riverside Partnership"


def test_use_links_another_channel_to_a_partnership(town: Chat) -> None:
    town.channel = "riverside-market"
    out = town.ok("alice", 'use "Riverside Partnership"')
    assert "This channel now works with Riverside Partnership." in out
    assert town.ok("bob", "partnership").splitlines()[0] == "Riverside Partnership"
    links = all_of(town.sessions, ChannelLink)
    assert sorted(link.channel for link in links) == ["general", "riverside-market"]
    assert any(e.action == "use" for e in all_of(town.sessions, Event))


def test_one_channel_holds_one_partnership_at_a_time(town: Chat) -> None:
    town.ok("alice", 'setup "Hill Towns" kind:task-force')
    town.ok("alice", 'use "Hill Towns"')
    assert town.ok("bob", "partnership").splitlines()[0] == "Hill Towns"
    [link] = all_of(town.sessions, ChannelLink)
    assert link.channel == "general"
    assert link.partnership_id == next(p.id for p in all_of(town.sessions, Partnership) if p.name == "Hill Towns")


def test_two_partnerships_in_two_channels_keep_their_own_work(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.channel = "hills"
    town.ok("dave", 'setup "Hill Towns" kind:task-force')
    town.ok("dave", 'commit "Survey bus stops" by:friday')
    hills = town.ok("dave", "who")
    assert "Survey bus stops" in hills and "Deliver leaflets" not in hills
    town.channel = "general"
    riverside = town.ok("alice", "who")
    assert "Deliver leaflets" in riverside and "Survey bus stops" not in riverside


def test_only_a_coordinator_of_the_target_can_use_it(town: Chat) -> None:
    town.channel = "random"
    refuse(town, "bob", 'use "Riverside Partnership"', "You coordinate no partnership called Riverside Partnership")


def test_use_cannot_take_over_a_channel_of_a_partnership_you_do_not_coordinate(town: Chat) -> None:
    town.channel = "hills"
    town.ok("dave", 'setup "Hill Towns" kind:task-force')
    town.channel = "general"
    refuse(town, "dave", 'use "Hill Towns"', "This channel belongs to Riverside Partnership")
    assert town.ok("bob", "partnership").splitlines()[0] == "Riverside Partnership"


def test_use_an_unknown_partnership_points_to_the_list(town: Chat) -> None:
    refuse(town, "alice", 'use "Nowhere Partnership"', "You coordinate no partnership called Nowhere Partnership",
           "`partnerships`")


def test_direct_message_acts_on_your_only_partnership(town: Chat) -> None:
    reply = town.say("bob", "partnership", channel="dm-bob")
    assert not reply.error and reply.plain().splitlines()[0] == "Riverside Partnership"


def test_another_workspace_never_sees_this_workspaces_partnerships(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", 'concern "Budget split"')
    other = Chat(town.sessions, workspace="other")
    listing = other.ok("alice", "partnerships")
    assert "Riverside" not in listing and "You are in none yet" in listing
    refuse(other, "alice", "who", "isn't linked to a partnership")
    refuse(other, "alice", "done 1", "isn't linked to a partnership")
    refuse(other, "alice", 'use "Riverside Partnership"', "You coordinate no partnership called Riverside Partnership")
    assert "You have no open commitments." in other.ok("bob", "mine")


def test_same_name_may_be_used_in_another_workspace(town: Chat) -> None:
    other = Chat(town.sessions, workspace="other")
    other.ok("alice", 'setup "Riverside Partnership" kind:task-force')
    other.ok("alice", 'commit "Other workspace job" by:friday')
    assert "Other workspace job" not in town.ok("alice", "who")
    assert len(all_of(town.sessions, Partnership)) == 2
    assert [c.title for c in all_of(town.sessions, Commitment)] == ["Other workspace job"]
