"""`history`: the event log with filters, in the reader's zone, anonymity kept."""

from __future__ import annotations

from tests.conftest import Chat


def test_filters_by_person_subject_and_number(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("carol", 'concern "Meetings clash with school pick-up" kind:time')
    town.ok("bob", "done 1")
    everything = town.ok("carol", "history")
    assert everything.index("Bob marked #1 Deliver leaflets done") < everything.index("Bob committed to #1 Deliver leaflets")
    assert "Carol raised concern #1 Meetings clash with school pick-up (time, medium)" in everything
    by_bob = town.ok("carol", "history who:@bob")
    assert "Deliver leaflets" in by_bob and "Meetings clash" not in by_bob
    concerns = town.ok("carol", "history about:concerns")
    assert "Meetings clash" in concerns and "leaflets" not in concerns
    one = town.ok("carol", "history commitment 1 about:commitments")
    assert one.count("Deliver leaflets") == 2 and "joined" not in one


def test_since_a_date_and_times_in_the_readers_zone(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.advance(days=10)
    town.ok("bob", 'commit "Book the hall" by:friday')
    recent = town.ok("carol", "history since:2026-12-01")
    assert "Book the hall" in recent and "Deliver leaflets" not in recent
    town.timezones["dan"] = "America/New_York"
    town.ok("dan", "join observer")
    assert "Fri 4 Dec 05:00 Bob committed to #2 Book the hall" in town.ok("dan", "history about:commitments")
    assert "Fri 4 Dec 10:00 Bob committed to #2 Book the hall" in town.ok("carol", "history about:commitments")


def test_anonymous_concerns_stay_anonymous(town: Chat) -> None:
    town.ok("bob", 'concern "The chair talks over volunteers" anonymous')
    shown = town.ok("carol", "history about:concerns")
    assert "someone raised concern #1 The chair talks over volunteers" in shown
    assert "Bob" not in shown
    assert "chair" not in town.ok("carol", "history who:@bob")


def test_pages_of_twenty_with_a_way_to_older_ones(town: Chat) -> None:
    for n in range(25):
        town.ok("bob", f'priority "Goal {n}"')
    first = town.ok("carol", "history about:priorities")
    assert '"Goal 24" (was' in first and '"Goal 4" (was' not in first
    assert "`history about:priorities page:2`" in first
    second = town.ok("carol", "history about:priorities page:2")
    assert '"Goal 4" (was' in second and '"Goal 24"' not in second and "page:3" not in second


def test_bad_filters_are_refused_with_what_to_type(town: Chat) -> None:
    assert "isn't a subject" in town.refused("carol", "history about:gossip")
    assert "never been a member" in town.refused("carol", "history who:@zed")
    assert "isn't a page number" in town.refused("carol", "history page:x")
    assert "can't read" in town.refused("carol", "history since:whenever")
