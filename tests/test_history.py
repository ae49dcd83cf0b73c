"""`history`: the event log with filters, in the reader's zone, anonymity kept."""

from __future__ import annotations

import re

from storage.models import Event
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse
from tests.test_nudges import at


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


def test_a_page_past_the_end_names_the_last_one(town: Chat) -> None:
    """`history page:9999` said "Nothing in the log matches"."""
    for n in range(25):
        town.ok("bob", f'priority "Goal {n}"')
    refuse(town, "carol", "history about:priorities page:9999", "There is no page 9999: 25 entries fill 2 pages.",
           "`history about:priorities page:2`")
    refuse(town, "carol", "history who:@carol page:3", "There is no page 3: 1 entry fills 1 page.", "`history who:@carol`")
    refuse(town, "carol", "history about:reviews page:2", "Nothing in the log matches, on any page.",
           "`history about:reviews`")
    assert "Nothing in the log matches." in town.ok("carol", "history about:reviews")


def test_a_refusal_that_points_to_history_points_to_one_it_accepts(town: Chat) -> None:
    """`done 3` on a done commitment suggested `history 3`, refused when a decision #3 exists too."""
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", 'propose "Adopt the market plan"')
    town.ok("bob", "done 1")
    for again in ("done 1", 'drop 1 "No longer needed"', "progress 1 50%"):
        said = refuse(town, "bob", again, "#1 was already marked done by Bob")
        [suggested] = re.findall(r"`(history[^`]*)`", said)
        assert suggested == "history commitment 1"
        assert "Bob marked #1 Deliver leaflets done" in town.ok("bob", suggested)


def test_a_meetings_time_reads_in_each_readers_zone(town: Chat) -> None:
    """Alice (London) moved the meeting to 18:00; the log said "to Thu 8 Jul 17:00 at Park (UTC)" to
    everyone, a zone nobody typed. It keeps the moment with its zone, and each reader sees their own time."""
    town.ok("alice", "tz Europe/London")
    town.ok("bob", "tz America/New_York")
    at(town, "2027-07-01T10:00")
    town.ok("alice", 'meeting propose "Summer fair" slots:"2027-07-07 18:00" place:"Park"')
    town.ok("alice", "meeting schedule 1 slot:1")
    town.ok("alice", 'meeting move 1 to:"2027-07-08 18:00"')
    theirs = town.ok("alice", "history about:meetings")
    assert "Alice moved meeting 1 Summer fair to Thu 8 Jul 18:00 at Park" in theirs
    assert "Alice scheduled meeting 1 Summer fair for Wed 7 Jul 18:00 at Park (slot 1)" in theirs
    bobs = town.ok("bob", "history about:meetings")
    assert "Alice moved meeting 1 Summer fair to Thu 8 Jul 13:00 at Park" in bobs and "UTC" not in bobs
    summaries = [e.summary for e in all_of(town.sessions, Event) if e.action.startswith("meeting-")]
    assert "moved meeting 1 Summer fair to 2027-07-08T17:00+00:00 at Park" in summaries


def test_a_title_that_only_looks_like_a_moment_reads_as_typed(town: Chat) -> None:
    town.ok("bob", 'commit "Ring at 2027-02-30T10:00Z" by:friday')
    assert "Bob committed to #1 Ring at 2027-02-30T10:00Z" in town.ok("carol", "history")


def test_every_subject_covers_what_its_commands_log(town: Chat) -> None:
    """Putting the public page up, and a newcomer asking and being let in, were in the log
    but under no `about:`, so `history about:partnership` or `about:members` never showed them."""
    town.ok("alice", "publish on")
    town.ok("alice", "partnership edit joining:approval")
    town.ok("dan", 'join org:"Corner Shop" sector:community')
    town.ok("alice", "approve @dan")
    assert "Alice put the public page up, without people's names" in town.ok("carol", "history about:partnership")
    members = town.ok("carol", "history about:members")
    assert "Dan asked to join as member" in members and "Alice approved Dan (Corner Shop) joining" in members
