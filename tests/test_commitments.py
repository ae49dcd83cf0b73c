"""Commitments: who does what by when; dates in each person's zone, stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.models import Commitment, CommitmentStatus, Event
from tests.conftest import START, Chat, snapshot
from tests.test_bad_input import all_of, refuse


def the_commitment(chat: Chat, number: int = 1) -> Commitment:
    return next(c for c in all_of(chat.sessions, Commitment) if c.id == number)


def events(chat: Chat, action: str) -> list[Event]:
    return [e for e in all_of(chat.sessions, Event) if e.action == action]


# Logging commitments


def test_commit_for_yourself_stores_owner_title_effort_and_due_date(town: Chat) -> None:
    out = town.ok("bob", 'commit "Deliver 500 leaflets" by:friday effort:3h')
    assert "#1 Deliver 500 leaflets — Bob (Chamber of Trade) · due Fri 27 Nov (in 3 days) · 3h" in out
    assert "`done 1`" in out
    c = the_commitment(town)
    assert c.owner.person.user_id == "bob" and c.created_by_id == c.owner.person_id
    assert c.title == "Deliver 500 leaflets" and c.effort_hours == 3.0 and c.status is CommitmentStatus.OPEN
    assert c.due_at == datetime(2026, 11, 27, 23, 59, 59, tzinfo=UTC)


def test_commit_without_quotes_takes_the_plain_words(town: Chat) -> None:
    town.ok("bob", "commit Book the hall by:tomorrow")
    assert the_commitment(town).title == "Book the hall"


def test_effort_in_minutes(town: Chat) -> None:
    town.ok("bob", 'commit "Phone the printer" by:friday effort:90m')
    assert the_commitment(town).effort_hours == 1.5


def test_commit_records_an_event(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    [event] = events(town, "commit")
    assert event.actor.user_id == "bob" and event.subject_id == 1 and "Deliver leaflets" in event.summary
    assert event.created_at == START


def test_coordinator_commits_someone_else(town: Chat) -> None:
    out = town.ok("alice", 'commit @carol "Book the town hall" by:"in 2 weeks" effort:1h')
    assert "#1 Book the town hall — Carol (Riverside Trust) · due Tue 8 Dec (in 14 days) · 1h" in out
    c = the_commitment(town)
    assert c.owner.person.user_id == "carol"
    [event] = events(town, "commit")
    assert event.actor.user_id == "alice"


# Warnings at the moment of entry: the same as `reassign` gives, from the same code.


@pytest.fixture
def gwen(town: Chat) -> Chat:
    """Gwen, a volunteer giving 5h a week, away 10-20 Feb 2027."""
    town.ok("alice", 'member add @gwen org:"Food Bank" sector:community capacity:5h volunteer')
    town.ok("gwen", "away 2027-02-10 2027-02-20")
    return town


def test_work_due_while_its_owner_is_away_is_said_with_who_has_room(gwen: Chat) -> None:
    """The defect: `commit @gwen ... by:2027-02-17` while she is away until 20 Feb said nothing."""
    out = gwen.ok("alice", 'commit @gwen "Sweep the bandstand" by:2027-02-17')
    assert ("Note: Gwen is away Wed 10 Feb 2027 – Sat 20 Feb 2027, when #1 is due (Wed 17 Feb 2027). "
            "Room: Alice (~6h/week free), Bob (~4h/week free), Carol (~3h/week free).") in out
    assert the_commitment(gwen).owner.person.user_id == "gwen", "warned, and logged"
    gwen.ok("alice", 'commit "Order the salt" by:2027-02-17')
    handed = gwen.ok("alice", "reassign 2 @gwen")
    assert "Note: Gwen is away Wed 10 Feb 2027 – Sat 20 Feb 2027, when #2 is due (Wed 17 Feb 2027)." in handed
    assert "Room: Bob (~4h/week free), Carol (~3h/week free)." in handed, "the one handing it on is not offered it back"


def test_work_that_takes_its_owner_over_capacity_is_said_with_their_figures(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:2h')
    out = town.ok("alice", 'commit @bob "Paint the signs" by:2026-12-08 effort:6h')  # 14 days: 3h a week, 5h with the leaflets
    assert "This takes Bob over capacity: ~5h/week against 4h. Room: Alice (~6h/week free), Carol (~3h/week free)." in out
    assert "Is 6h right?" not in out, "6h in two weeks is within what Bob gives"
    assert "over capacity" not in town.ok("carol", 'commit "Ring the printer" by:friday effort:1h')


def test_room_for_more_than_anyone_has_says_how_much_nobody_has(town: Chat) -> None:
    """The defect: with Alice 6h a week free, a 7h-a-week job read "Room: nobody with an hour a
    week to spare", which Alice could see was untrue."""
    out = town.ok("alice", 'commit @carol "Run the stall" by:friday effort:7h')
    assert "This takes Carol over capacity: ~7h/week against 3h." in out
    assert out.endswith("Room: nobody with ~7h/week to spare.\nNext: `done 1` | `snooze 1 3`")


def test_an_effort_more_than_its_owner_could_give_in_time_is_questioned(gwen: Chat) -> None:
    """The defect: `effort:500h` due in three days went through without a word. It is logged (nothing
    typed is lost) and questioned with the arithmetic, and how to correct it."""
    out = gwen.ok("alice", 'commit @gwen "Clear the allotments" by:friday effort:500h')
    assert ("Is 500h right? #1 Clear the allotments needs 500h before Fri 27 Nov, more than Gwen's 5h a week. "
            "To change it: `edit 1 effort:...` or `edit 1 by:...`.") in out
    assert the_commitment(gwen).effort_hours == 500
    # Over more than a week the arithmetic is in days: 5h a week for the 28 days to 22 Dec is 20h.
    out = gwen.ok("gwen", 'commit "Plan the spring fair" by:2026-12-22 effort:30h')
    assert ("Is 30h right? #2 Plan the spring fair needs 30h before Tue 22 Dec: at 5h a week, Gwen can give about "
            "20h in the 28 days left.") in out


def test_a_title_like_an_open_commitments_asks_first_and_again_logs_it(town: Chat) -> None:
    """The defect: a second "Find a sponsor", identical to an open one, went through without a word."""
    town.ok("bob", 'commit "Find a sponsor" by:2026-12-18')
    before = snapshot(town.sessions)
    refused = town.refused("alice", 'commit @carol "find a  sponsor." by:"in 2 weeks" effort:2h')
    assert refused == ("#1 Find a sponsor is already open (Bob's, due Fri 18 Dec). Is this the same one? Nothing was "
                       'logged. If it is another, add `again`: `commit @carol "find a sponsor." by:"in 2 weeks" effort:2h '
                       "again`.")
    assert snapshot(town.sessions) == before
    # What was typed wrong is said first: the question's own suggestion would be refused for it.
    refuse(town, "alice", 'commit @carol "Find a sponsor" by:13/13', "isn't a real date")
    refuse(town, "alice", 'commit @carol "Find a sponsor" by:friday effort:lots', "isn't a number of hours")
    refuse(town, "alice", 'commit @carol "Find a sponsor" by:friday until:march', "`until:` is for recurring work")
    out = town.ok("alice", 'commit @carol "find a sponsor." by:"in 2 weeks" effort:2h again')
    assert "#2 find a sponsor. — Carol (Riverside Trust) · due Tue 8 Dec (in 14 days) · 2h" in out
    town.ok("bob", "done 1")
    town.ok("carol", "done 2")
    town.ok("bob", 'commit "Find a sponsor" by:2026-12-18')  # only open work is asked about
    assert [c.status for c in all_of(town.sessions, Commitment)][-1] is CommitmentStatus.OPEN


def test_mention_by_display_name_in_any_case(town: Chat) -> None:
    town.ok("alice", 'commit @CAROL "Book the town hall" by:friday')
    assert the_commitment(town).owner.person.user_id == "carol"


def test_member_cannot_commit_someone_else(town: Chat) -> None:
    refuse(town, "bob", 'commit @carol "Book the hall" by:friday', "Only coordinators can log a commitment for someone else",
           '`commit "Book the hall" by:friday`')
    assert all_of(town.sessions, Commitment) == []


def test_commit_for_an_observer_is_refused(town: Chat) -> None:
    town.ok("olga", "join observer")
    refuse(town, "alice", 'commit @olga "Write it up" by:friday', "Olga is an observer")


def test_non_member_cannot_commit(town: Chat) -> None:
    refuse(town, "zed", 'commit "Something" by:friday', "You're not a member of Riverside Partnership yet", "`join")


# Dates


@pytest.mark.parametrize(
    ("when", "due"),
    [
        ("2026-12-01", datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)),
        ("2026-12-1", datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)),
        ("friday", datetime(2026, 11, 27, 23, 59, 59, tzinfo=UTC)),
        ("tomorrow", datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC)),
        ("today", datetime(2026, 11, 24, 23, 59, 59, tzinfo=UTC)),
        ('"in 2 weeks"', datetime(2026, 12, 8, 23, 59, 59, tzinfo=UTC)),
        ('"in 5 days"', datetime(2026, 11, 29, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_due_date_forms_mean_the_end_of_that_day(town: Chat, when: str, due: datetime) -> None:
    town.ok("bob", f'commit "Deliver leaflets" by:{when}')
    assert the_commitment(town).due_at == due


def test_dates_are_read_in_the_persons_time_zone_and_stored_in_utc(sessions) -> None:
    chat = Chat(sessions, timezones={"alice": "America/Los_Angeles", "bob": "Asia/Tokyo"})
    chat.ok("alice", 'setup "Riverside Partnership" kind:task-force')
    chat.ok("bob", "join")
    chat.ok("alice", 'commit "West coast job" by:2026-12-01')
    chat.ok("bob", 'commit "Tokyo job" by:2026-12-01')
    west, tokyo = all_of(sessions, Commitment)
    assert west.due_at == datetime(2026, 12, 2, 7, 59, 59, tzinfo=UTC)  # 23:59:59 PST
    assert tokyo.due_at == datetime(2026, 12, 1, 14, 59, 59, tzinfo=UTC)  # 23:59:59 JST


def test_tomorrow_depends_on_where_you_are(sessions) -> None:
    # 10:00 UTC on Tuesday is already Wednesday 00:00 on Kiritimati (UTC+14).
    chat = Chat(sessions, timezones={"alice": "Pacific/Kiritimati"})
    chat.ok("alice", 'setup "Riverside Partnership" kind:task-force')
    out = chat.ok("alice", 'commit "Island job" by:tomorrow')
    assert "due Thu 26 Nov (tomorrow)" in out
    assert the_commitment(chat).due_at == datetime(2026, 11, 26, 9, 59, 59, tzinfo=UTC)


def test_tz_command_changes_how_dates_are_read(town: Chat) -> None:
    town.ok("bob", "tz Asia/Tokyo")
    town.ok("bob", 'commit "Deliver leaflets" by:2026-12-01')
    assert the_commitment(town).due_at == datetime(2026, 12, 1, 14, 59, 59, tzinfo=UTC)


def test_a_due_date_reads_as_its_owners_day_in_any_readers_zone(town: Chat) -> None:
    town.ok("bob", "tz Asia/Tokyo")
    town.ok("bob", 'commit "Deliver leaflets" by:2026-12-01')  # 14:59 UTC on Tue 1 Dec
    assert "due Tue 1 Dec" in town.ok("bob", "who")
    town.ok("alice", "tz Pacific/Kiritimati")  # UTC+14: the moment is already Wed 2 Dec there
    assert "due Tue 1 Dec" in town.ok("alice", "who"), "it said Wed 2 Dec: a day Bob never typed"


def test_date_in_the_past_in_your_zone_is_refused(sessions) -> None:
    # 10:00 UTC on Tuesday is already Wednesday on Kiritimati (UTC+14): Tuesday is the past there.
    chat = Chat(sessions, timezones={"alice": "Pacific/Kiritimati", "bob": "UTC"})
    chat.ok("alice", 'setup "Riverside Partnership" kind:task-force')
    chat.ok("bob", "join")
    refuse(chat, "alice", 'commit "Too late" by:2026-11-24', "Tue 24 Nov is in the past")
    chat.ok("bob", 'commit "Still today here" by:2026-11-24')


# done, drop, reassign


def test_done_marks_it_done_and_records_who(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.advance(days=1)
    out = town.ok("bob", "done 1")
    assert "Done: #1 Deliver leaflets, by Bob (Chamber of Trade). Thank you!" in out
    c = the_commitment(town)
    assert c.status is CommitmentStatus.DONE and c.closed_at == town.now
    [event] = events(town, "done")
    assert event.actor.user_id == "bob" and event.subject_id == 1


def test_done_accepts_a_hash_number(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", "done #1")
    assert the_commitment(town).status is CommitmentStatus.DONE


def test_done_twice_is_refused(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", "done 1")
    refuse(town, "bob", "done 1", "#1 was already marked done by Bob")


def test_someone_else_cannot_mark_your_commitment_done(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    refuse(town, "carol", "done 1", "#1 is Bob's commitment; only they or a coordinator can change it")
    assert the_commitment(town).status is CommitmentStatus.OPEN


def test_coordinator_can_mark_anyones_done(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("alice", "done 1")
    assert the_commitment(town).status is CommitmentStatus.DONE


def test_drop_keeps_the_reason_in_the_commitment_and_the_event(town: Chat) -> None:
    town.ok("bob", 'commit "Run the craft fair" by:friday')
    out = town.ok("bob", 'drop 1 "The venue cancelled the fair"')
    assert "Dropped #1 Run the craft fair: The venue cancelled the fair" in out
    c = the_commitment(town)
    assert c.status is CommitmentStatus.DROPPED and c.drop_reason == "The venue cancelled the fair"
    [event] = events(town, "drop")
    assert event.reason == "The venue cancelled the fair" and event.actor.user_id == "bob"
    assert "dropped: The venue cancelled the fair" in town.ok("alice", "commitments @bob")


def test_drop_needs_a_reason(town: Chat) -> None:
    town.ok("bob", 'commit "Run the craft fair" by:friday')
    refuse(town, "bob", "drop 1", "Say the reason for dropping it", '`drop <number> "reason" [series]`')


def test_member_cannot_drop_anothers_commitment(town: Chat) -> None:
    town.ok("bob", 'commit "Run the craft fair" by:friday')
    refuse(town, "carol", 'drop 1 "Not needed"', "#1 is Bob's commitment")


def test_owner_reassigns_their_own_commitment(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    out = town.ok("bob", "reassign 1 @carol")
    assert "#1 Deliver leaflets passes from Bob to Carol (Riverside Trust); Carol is asked to accept it." in out
    assert the_commitment(town).owner.person.user_id == "carol"
    [event] = events(town, "reassign")
    assert event.actor.user_id == "bob"
    assert event.summary == "handed #1 Deliver leaflets from Bob (Chamber of Trade) to Carol (Riverside Trust)"


def test_coordinator_reassigns_anyones_commitment(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("alice", "reassign 1 @carol")
    assert the_commitment(town).owner.person.user_id == "carol"


def test_a_person_named_without_the_at_is_understood(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    assert "passes from Bob to Carol" in town.ok("alice", "reassign 1 to carol")
    assert the_commitment(town).owner.person.user_id == "carol"
    assert "Commitments of Carol (Riverside Trust)" in town.ok("bob", "commitments Carol")
    refuse(town, "carol", "reassign 1 nobody", "@nobody isn't a member of Riverside Partnership")
    refuse(town, "carol", "reassign 1 42", "Say who: who takes it over, as `@name`")
    refuse(town, "carol", 'reassign 1 "bob"', "Say who: who takes it over, as `@name`")


def test_member_cannot_reassign_anothers_commitment(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    refuse(town, "carol", "reassign 1 @carol", "#1 is Bob's commitment")
    assert the_commitment(town).owner.person.user_id == "bob"


def test_reassign_to_the_same_owner_is_refused(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    refuse(town, "bob", "reassign 1 @bob", "#1 is already yours.", "`reassign 1 @name`")
    refuse(town, "alice", "reassign 1 @bob", "#1 is already Bob's.")


def test_reassign_to_an_observer_is_refused(town: Chat) -> None:
    town.ok("olga", "join observer")
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    refuse(town, "bob", "reassign 1 @olga", "Olga is an observer")


def test_reassign_a_finished_commitment_is_refused(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", "done 1")
    refuse(town, "bob", "reassign 1 @carol", "#1 was already marked done by Bob")


def test_reassign_then_remove_the_former_owner(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("alice", "reassign 1 @carol")
    town.ok("alice", "member remove @bob")
    assert "Deliver leaflets · due" in town.ok("carol", "mine")


# Listing


def test_who_with_words_finds_matching_commitments_case_insensitively(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("carol", 'commit "Book the hall" by:friday')
    out = town.ok("carol", "who LEAFLETS")
    assert out.splitlines()[0] == "Who: LEAFLETS"
    assert "#1 Deliver 500 leaflets — Bob (Chamber of Trade) · due Fri 27 Nov" in out
    assert "Book the hall" not in out


def test_who_with_words_lists_open_before_finished(town: Chat) -> None:
    town.ok("bob", 'commit "Leaflets for the fair" by:tomorrow')
    town.ok("bob", 'commit "Leaflets for the market" by:friday')
    town.ok("bob", "done 1")
    out = town.ok("carol", "who leaflets")
    assert out.index("Leaflets for the market") < out.index("Leaflets for the fair")
    assert "#1 Leaflets for the fair — Bob (Chamber of Trade) · done Tue 24 Nov" in out


def test_who_with_no_match_says_so(town: Chat) -> None:
    out = town.ok("carol", "who bunting")
    assert 'No commitment mentions "bunting". Type `who` to see them all.' in out


def test_who_asked_who_has_time_points_to_load(town: Chat) -> None:
    out = town.ok("alice", "who has too much?")
    assert 'No commitment mentions "too much". `load` shows who has room or too much on.' in out
    assert "`load` shows who has room" in town.ok("alice", "who is free")
    town.ok("bob", 'commit "Book a room for the fair" by:friday')
    assert "#1 Book a room for the fair" in town.ok("alice", "who room"), "a title that has the word is found"


def test_who_answers_the_question_as_people_ask_it(town: Chat) -> None:
    """The defect: "who is responsible for the leaflets?" searched for that whole phrase, and
    found nothing; so did "who leaflets?" and "who does the bunting"."""
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("carol", 'commit "Hang the bunting" by:friday')
    for asked in ("who is responsible for the leaflets?", "who leaflets?", "Who's doing the LEAFLETS?"):
        out = town.ok("alice", asked)
        assert out.splitlines()[0].casefold() == "who: leaflets", asked
        assert "#1 Deliver 500 leaflets — Bob" in out and "bunting" not in out, asked
    assert "#2 Hang the bunting — Carol" in town.ok("alice", "who does the bunting")
    assert "Who does what in Riverside Partnership" in town.ok("alice", "who is responsible?")


@pytest.mark.parametrize(("title", "asked"), [("Print the leaflet", "leaflets"), ("Plan the party", "parties"),
                                             ("Book the bus", "buses"), ("Run the class", "class")])
def test_who_finds_a_singular_by_its_plural(town: Chat, title: str, asked: str) -> None:
    town.ok("bob", f'commit "{title}" by:friday')
    assert f"#1 {title} — Bob" in town.ok("carol", f"who {asked}")


@pytest.mark.parametrize("asked", ["who is booking the hall?", "who booked the hall", "who books the hall?",
                                   "who is printing the leaflets?", "who printed the leaflet"])
def test_who_finds_a_title_by_the_verb_in_any_form(town: Chat, asked: str) -> None:
    """The defect: "who is booking the hall?" answered "No commitment mentions" though carol had
    it, so a partner would conclude nobody did and do it twice."""
    town.ok("carol", 'commit "Book the town hall" by:friday')
    town.ok("carol", 'commit "Print the leaflet" by:friday')
    out = town.ok("bob", asked)
    assert "No commitment mentions" not in out
    assert ("#1 Book the town hall — Carol" in out) == ("hall" in asked), out
    assert ("#2 Print the leaflet — Carol" in out) == ("leaflet" in asked), out


def test_who_finds_the_stem_in_titles_in_any_form(town: Chat) -> None:
    town.ok("carol", 'commit "Booking the hall for the planning meeting" by:friday')
    town.ok("bob", 'commit "Carry the chairs" by:friday')
    for asked in ("who books the hall", "who planned the meeting", "who is planning"):
        assert "#1 Booking the hall for the planning meeting — Carol" in town.ok("alice", asked), asked
    assert "#2 Carry the chairs — Bob" in town.ok("alice", "who carried the chairs?")
    assert "No commitment mentions" in town.ok("alice", "who has the bed")  # "bed" is no -ed form of "b"


def test_who_with_a_members_name_lists_theirs(town: Chat) -> None:
    """The defect: `who carol` said no commitment mentions "carol"; it answers as `who @carol`."""
    town.ok("carol", 'commit "Book the town hall" by:friday')
    town.ok("bob", 'commit "Print the leaflet" by:friday')
    for asked in ("who carol", "who Carol?"):
        out = town.ok("bob", asked)
        assert out == town.ok("bob", "who @carol"), asked
        assert out.splitlines()[0] == "Commitments of Carol (Riverside Trust)" and "leaflet" not in out
    # A title that has the word comes first: the search is for work.
    town.ok("bob", 'commit "Thank Carol for the hall" by:friday')
    assert "#3 Thank Carol for the hall — Bob" in town.ok("alice", "who carol")


def test_who_of_a_person_lists_theirs(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("carol", 'commit "Hang the bunting" by:friday')
    out = town.ok("alice", "who @bob")
    assert out.splitlines()[0] == "Commitments of Bob (Chamber of Trade)"
    assert "#1 Deliver leaflets" in out and "bunting" not in out
    refuse(town, "alice", "who @zed", "@zed isn't a member of Riverside Partnership")


def test_who_treats_percent_and_underscore_literally(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    assert "No commitment mentions" in town.ok("carol", "who %")


def test_who_groups_open_commitments_by_person(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("carol", 'commit "Book the hall" by:"in 2 weeks"')
    town.ok("bob", 'commit "Collect the banner" by:tomorrow')
    town.ok("carol", 'commit "Finished job" by:friday')
    town.ok("carol", "done 4")
    lines = town.ok("alice", "who").splitlines()
    assert lines[0] == "Who does what in Riverside Partnership"
    bob, carol = lines.index("Bob (Chamber of Trade)"), lines.index("Carol (Riverside Trust)")
    assert lines[bob + 1] == "  - #3 Collect the banner · due Wed 25 Nov (tomorrow)"
    assert lines[bob + 2] == "  - #1 Deliver leaflets · due Fri 27 Nov (in 3 days)"
    assert "  - #2 Book the hall · due Tue 8 Dec (in 14 days)" in lines[carol + 1:]
    assert not any("Finished job" in line for line in lines)


def test_who_with_nothing_open_says_how_to_commit(town: Chat) -> None:
    assert 'No open commitments. Log one: `commit "What" by:friday`.' in town.ok("bob", "who")


def test_mine_lists_your_open_commitments_across_partnerships(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("carol", 'commit "Book the hall" by:friday')
    town.channel = "hills"
    town.ok("dave", 'setup "Hill Towns" kind:task-force')
    town.ok("bob", "join sector:private")
    town.ok("bob", 'commit "Survey bus stops" by:tomorrow')
    town.channel = "dm-bob"
    out = town.ok("bob", "mine")
    assert out.splitlines()[0] == "Your commitments"
    assert "Hill Towns" in out and "Riverside Partnership" in out
    assert "#1 Survey bus stops · due Wed 25 Nov (tomorrow)" in out
    assert "#1 Deliver leaflets · due Fri 27 Nov (in 3 days)" in out
    assert "Book the hall" not in out


def test_mine_leaves_out_finished_work(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", "done 1")
    assert "You have no open commitments." in town.ok("bob", "mine")


def test_commitments_of_a_member_lists_open_first_then_finished(town: Chat) -> None:
    town.ok("bob", 'commit "Old task" by:tomorrow')
    town.ok("bob", 'commit "Leaflets" by:friday')
    town.ok("bob", 'commit "Banner" by:"in 2 weeks"')
    town.ok("bob", "done 1")
    town.ok("bob", 'drop 3 "Cancelled"')
    out = town.ok("carol", "commitments @bob")
    assert out.splitlines()[0] == "Commitments of Bob (Chamber of Trade)"
    assert out.index("#2 Leaflets · due Fri 27 Nov") < out.index("#1 Old task · done Tue 24 Nov")
    assert out.index("#2 Leaflets") < out.index("#3 Banner · dropped: Cancelled")


def test_commitments_of_someone_with_none(town: Chat) -> None:
    assert "Carol has no commitments yet." in town.ok("bob", "commitments @carol")


def test_overdue_lists_what_is_past_due_as_time_passes(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("carol", 'commit "Book the hall" by:"in 2 weeks"')
    assert "Nothing is overdue." in town.ok("alice", "overdue")
    town.advance(days=3)  # Friday 10:00: due tonight, not yet overdue
    assert "Nothing is overdue." in town.ok("alice", "overdue")
    assert "due Fri 27 Nov (today)" in town.ok("alice", "who")
    town.advance(days=2)  # Sunday
    out = town.ok("alice", "overdue")
    assert "#1 Deliver leaflets — Bob (Chamber of Trade) · due Fri 27 Nov (2 days overdue)" in out
    assert "Book the hall" not in out


def test_overdue_orders_the_most_overdue_first_and_drops_done_ones(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("carol", 'commit "Book the hall" by:tomorrow')
    town.ok("carol", 'commit "Ring the printer" by:tomorrow')
    town.ok("carol", "done 3")
    town.advance(days=7)
    out = town.ok("alice", "overdue")
    assert out.index("Book the hall") < out.index("Deliver leaflets")
    assert "Ring the printer" not in out


def test_more_work_for_someone_already_over_capacity_says_so(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:5h')  # 5h this week against 4h
    out = town.ok("alice", 'commit @bob "Ring the printer" by:friday effort:1h')
    assert "Bob was already over capacity; with this, ~6h/week against 4h." in out
    assert "Room: Alice (~6h/week free), Carol (~3h/week free)." in out
