"""Priorities: each partner states its own goal; replaced ones are kept with their dates."""

from __future__ import annotations

from storage.models import Event, Priority
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse


def test_priority_is_stored_and_announced(town: Chat) -> None:
    out = town.ok("bob", 'priority "Saturday footfall on the high street"')
    assert "Bob (Chamber of Trade) states a priority: \"Saturday footfall on the high street\"" in out
    [p] = all_of(town.sessions, Priority)
    assert p.member.person.user_id == "bob" and p.set_at == town.now and p.replaced_at is None
    [event] = [e for e in all_of(town.sessions, Event) if e.action == "priority"]
    assert event.actor.user_id == "bob"


def test_changing_priority_keeps_the_old_one_with_dates(town: Chat) -> None:
    town.ok("bob", 'priority "Saturday footfall"')
    town.advance(days=7)
    out = town.ok("bob", 'priority "A monthly riverside market"')
    assert '(was: "Saturday footfall")' in out
    old, new = all_of(town.sessions, Priority)
    assert old.text == "Saturday footfall" and old.replaced_at == town.now
    assert new.text == "A monthly riverside market" and new.replaced_at is None
    listing = town.ok("alice", "priorities")
    current, earlier = listing.index("Current"), listing.index("Earlier")
    assert '"A monthly riverside market" (since Tue 1 Dec)' in listing[current:earlier]
    assert 'Bob (Chamber of Trade): "Saturday footfall" (Tue 24 Nov to Tue 1 Dec)' in listing[earlier:]


def test_same_priority_again_changes_nothing(town: Chat) -> None:
    town.ok("bob", 'priority "Saturday footfall"')
    assert "That is already your priority; nothing changed." in town.ok("bob", 'priority "Saturday footfall"')
    assert len(all_of(town.sessions, Priority)) == 1


def test_priorities_names_who_has_not_stated_one(town: Chat) -> None:
    town.ok("olga", "join observer")
    town.ok("bob", 'priority "Saturday footfall"')
    out = town.ok("olga", "priorities")
    assert out.splitlines()[0] == "Priorities in Riverside Partnership"
    not_stated = out[out.index("Not stated yet"):]
    assert "Alice (Town Council)" in not_stated and "Carol (Riverside Trust)" in not_stated
    assert "Bob" not in not_stated and "Olga" not in not_stated


def test_priorities_when_nobody_has_stated_one(town: Chat) -> None:
    assert "Nobody has stated a priority yet" in town.ok("bob", "priorities")


def test_each_partner_has_their_own_current_priority(town: Chat) -> None:
    town.ok("bob", 'priority "Saturday footfall"')
    town.ok("carol", 'priority "A clean, safe riverside path"')
    out = town.ok("alice", "priorities")
    assert 'Bob (Chamber of Trade): "Saturday footfall"' in out
    assert 'Carol (Riverside Trust): "A clean, safe riverside path"' in out
    assert "Earlier" not in out


def test_priority_needs_text(town: Chat) -> None:
    refuse(town, "bob", "priority", "Say the priority")


def test_a_former_members_priority_moves_to_the_history(town: Chat) -> None:
    """Tom left, and his priority stayed under "Partners' priorities"."""
    town.ok("bob", 'priority "Saturday footfall"')
    town.ok("carol", 'priority "A cleaner river"')
    town.advance(days=7)
    town.ok("bob", "leave")
    status = town.ok("alice", "status")
    assert "Saturday footfall" not in status and '"A cleaner river"' in status.split("Partners' priorities")[1]
    listing = town.ok("alice", "priorities")
    current, earlier = listing.index("Current"), listing.index("Earlier")
    assert "Saturday footfall" not in listing[current:earlier]
    assert 'Bob (Chamber of Trade): "Saturday footfall" (Tue 24 Nov to Tue 1 Dec, when they left)' in listing[earlier:]
    bob = next(p for p in all_of(town.sessions, Priority) if p.text == "Saturday footfall")
    assert bob.replaced_at == town.now
    town.ok("alice", "member remove @carol")
    assert "A cleaner river" not in town.ok("alice", "status"), "removing someone moves theirs too"


def test_priorities_shows_the_latest_earlier_ones_and_all_shows_every_one(town: Chat) -> None:
    """Years of replaced priorities would bury today's: the latest five, and how to see the rest."""
    for week in range(8):
        town.ok("bob", f'priority "Aim {week}"')
        town.advance(days=7)
    listing = town.ok("carol", "priorities")
    current, earlier = listing.index("Current"), listing.index("Earlier (the latest 5)")
    assert '"Aim 7"' in listing[current:earlier]
    shown = [week for week in range(7) if f'"Aim {week}"' in listing[earlier:]]
    assert shown == [2, 3, 4, 5, 6]  # the newest five of the seven replaced
    assert listing[earlier:].index('"Aim 6"') < listing[earlier:].index('"Aim 2"')  # newest first
    assert "2 older ones: `priorities all`." in listing
    every = town.ok("carol", "priorities all")
    assert all(f'"Aim {week}"' in every for week in range(8)) and "older" not in every
    assert "Earlier (the latest" not in every


def test_priorities_with_few_earlier_ones_says_nothing_of_older(town: Chat) -> None:
    town.ok("bob", 'priority "Saturday footfall"')
    town.ok("bob", 'priority "A monthly market"')
    listing = town.ok("carol", "priorities")
    assert "Earlier\n" in listing and "older" not in listing and "latest" not in listing


def test_priorities_refuses_other_words(town: Chat) -> None:
    refuse(town, "bob", "priorities everything", "everything")
