"""Commitments that can be corrected, reopened, measured, repeated and handed over, and a
load people can believe: what members see, and what the database holds, at each step."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import OperationalError

from handlers import Actor, Reply, handle
from storage.models import Commitment, CommitmentStatus, Concern, ConcernStatus, Event, Handover, Member, Nudge, Person
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse
from tests.test_nudges import Inbox, at, sweep


def commitment(chat: Chat, number: int) -> Commitment:
    return next(c for c in all_of(chat.sessions, Commitment) if c.id == number)


def told(chat: Chat, kind: str) -> list[Nudge]:
    return [n for n in all_of(chat.sessions, Nudge) if n.kind == kind]


def load_line(chat: Chat, who: str) -> str:
    return next(line for line in chat.ok("alice", "load").splitlines() if line.startswith(f"  - {who} ("))


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


# Corrections


def test_owner_edits_and_each_change_keeps_old_and_new(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday effort:3h')
    out = town.ok("bob", 'edit 1 by:2026-12-04 effort:4h title:"Deliver 800 leaflets"')
    assert 'title "Deliver 500 leaflets" → "Deliver 800 leaflets"' in out
    assert "due Fri 27 Nov → Fri 4 Dec" in out and "effort 3h → 4h" in out
    c = commitment(town, 1)
    assert (c.title, c.effort_hours, c.due_at) == ("Deliver 800 leaflets", 4.0, datetime(2026, 12, 4, 23, 59, 59, tzinfo=UTC))
    history = town.ok("carol", "history 1")
    assert 'Bob changed #1 Deliver 800 leaflets: title "Deliver 500 leaflets" → "Deliver 800 leaflets"' in history
    assert "effort 3h → 4h" in history
    assert told(town, "changed") == [], "the owner made the change: nobody to tell"


def test_coordinator_edit_tells_the_owner(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:3h')
    town.ok("alice", "edit 1 effort:5h")
    [note] = told(town, "changed")
    assert "Alice changed your commitment #1 Deliver leaflets: effort 3h → 5h." in note.text
    sweep(town, inbox)
    assert inbox.to("@bob", "Alice changed your commitment #1")


def test_an_owner_hears_once_when_someone_else_closes_their_work(town: Chat, inbox: Inbox) -> None:
    """Alice dropped Bob's work, marked it done or handed it on, and Bob was never told: he could
    still be at it (the hand-on note was cancelled unsent, as a change to work no longer open)."""
    for title in ("Deliver leaflets", "Book the hall", "Run the stall", "Count the chairs"):
        town.ok("bob", f'commit "{title}" by:friday')
    town.ok("alice", 'drop 1 "The fair is cancelled"')
    town.ok("alice", 'done 2 "The council booked it"')
    town.ok("alice", 'hand on 3 to:"Millbrook Library"')
    town.ok("bob", 'drop 4 "Nobody came"')
    for _ in range(2):
        sweep(town, inbox)
        town.advance(days=1)
    said = "\n".join(inbox.to("@bob"))
    assert ('Alice closed your commitment #1 Deliver leaflets: dropped ("The fair is cancelled"). Nothing more '
            'waits for you on it. If it should go on, `reopen commitment 1 "why"` opens it again.') in said
    assert 'closed your commitment #2 Book the hall: marked done ("The council booked it").' in said
    assert "closed your commitment #3 Run the stall: handed on to Millbrook Library." in said
    assert said.count("closed your commitment") == 3, "once each, and his own drop is not told back to him"
    assert not inbox.to("@alice", "closed your commitment")
    assert [n.person_id for n in told(town, "closed")] == [commitment(town, 1).owner.person_id] * 3


def test_an_owner_is_not_told_of_a_close_undone_before_the_note_went(town: Chat, inbox: Inbox) -> None:
    """Held for Bob's quiet hours, the note is asked again when sent: reopened since, or reopened
    and closed again, it no longer says how the work stands."""
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", 'commit "Book the hall" by:friday')
    at(town, "2026-11-24T22:00")
    town.ok("alice", 'drop 1 "The fair is cancelled"')
    town.ok("alice", 'drop 2 "The hall is closed"')
    sweep(town, inbox)
    town.ok("alice", 'reopen commitment 1 "The fair is on after all"')
    town.advance(minutes=5)
    town.ok("bob", 'reopen commitment 2 "It opens again"')
    town.ok("bob", "done 2")
    at(town, "2026-11-25T09:00")
    sweep(town, inbox)
    assert not inbox.to("@bob", "closed your commitment")
    assert {n.text.split(":")[0]: n.cancel_reason for n in told(town, "closed")} == {
        "Alice closed your commitment #1 Deliver leaflets": "#1 Deliver leaflets was reopened",
        "Alice closed your commitment #2 Book the hall": "#2 Book the hall was reopened and closed again since"}
    assert all(n.sent_at is None for n in told(town, "closed"))


def test_owners_hear_what_a_wind_up_closed_without_a_reopen_that_would_be_refused(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("alice", 'commit "Book the hall" by:friday')
    town.ok("alice", 'partnership wind-up "Funding ended" open:drop')
    sweep(town, inbox)
    [note] = inbox.to("@bob", "closed your commitment")
    assert note.endswith('Alice closed your commitment #1 Deliver leaflets: dropped ("At the wind-up: Funding ended"). '
                         "Nothing more waits for you on it.")
    assert not inbox.to("@alice", "closed your commitment")


def test_edit_is_refused_to_others_and_for_bad_input(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:3h')
    refuse(town, "carol", "edit 1 effort:5h", "#1 is Bob's commitment")
    refuse(town, "bob", "edit 1", "Say what to change", "`edit 1 by:friday`")
    refuse(town, "bob", "edit 1 by:yesterday", "is in the past")
    refuse(town, "bob", "edit 1 effort:lots", "isn't a number of hours")
    refuse(town, "bob", "edit 1 effort:3h", "already reads like that")
    refuse(town, "bob", "edit 1 colour:red", "isn't an option here")
    refuse(town, "bob", "edit 99 effort:2h", "There is no commitment #99")
    refuse(town, "bob", f'edit 1 title:"{"x" * 400}"', "keep it under 300")
    refuse(town, "bob", "edit 1 from:2027-01-05", "is after the due date")
    town.ok("bob", "done 1")
    refuse(town, "bob", "edit 1 effort:5h", "#1 was already marked done by Bob")


def test_reopen_undoes_done_and_drop_with_the_reason(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", "done 1")
    out = town.ok("bob", 'reopen 1 "Only half were delivered"')
    assert "#1 Deliver leaflets is open again (it was done): Only half were delivered." in out
    c = commitment(town, 1)
    assert c.status is CommitmentStatus.OPEN and c.closed_at is None
    town.ok("alice", 'drop 1 "Printer let us down"')
    town.ok("alice", 'reopen commitment 1 "A new printer"')
    assert "Alice reopened #1 Deliver leaflets, which was dropped — A new printer" in town.ok("olga", "history 1")
    refuse(town, "bob", 'reopen 1 "again"', "already open")
    refuse(town, "bob", "reopen 1", "Say why it is reopened")
    town.ok("bob", "done 1")
    refuse(town, "carol", 'reopen 1 "mine now"', "#1 is Bob's commitment")


def test_work_is_not_reopened_in_the_name_of_someone_who_left_or_now_observes(town: Chat) -> None:
    """A coordinator undoing `done` for a member who has since left was told someone else had
    changed it at that moment, again at every try; for an observer, the work came back where no
    load counted it and its owner could not close it."""
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", "done 1")
    town.ok("bob", "leave")
    refuse(town, "alice", 'reopen 1 "Only half were delivered"', "#1 Deliver leaflets was Bob's, who has left",
           '`commit @name "Deliver leaflets" by:friday`')
    town.ok("carol", 'commit "Book the hall" by:friday effort:2h')
    town.ok("carol", "done 2")
    town.ok("alice", "member role @carol observer")
    refuse(town, "alice", 'reopen 2 "Not booked after all"', "#2 Book the hall was Carol's, who is an observer now",
           "`member role @name member`")
    assert [c.status for c in all_of(town.sessions, Commitment)] == [CommitmentStatus.DONE, CommitmentStatus.DONE]
    town.ok("alice", "member role @carol member")
    town.ok("alice", 'reopen 2 "Not booked after all"')
    assert commitment(town, 2).status is CommitmentStatus.OPEN


def test_reopened_work_counts_in_full_again_not_as_the_nothing_left_when_it_closed(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:3h')
    town.ok("bob", "progress 1 100%")
    town.ok("bob", "done 1")
    town.ok("bob", 'reopen 1 "Only half were delivered"')
    c = commitment(town, 1)
    assert (c.left_hours, c.progress_at) == (None, None)
    assert "1 open (3h left)" in load_line(town, "Bob")


def test_reopen_asks_which_when_a_commitment_and_a_concern_share_the_number(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", "done 1")
    town.ok("carol", 'concern "The towpath is unsafe"')
    town.ok("alice", 'resolve 1 "Fenced"')
    refuse(town, "alice", 'reopen 1 "why"', "both closed", '`reopen commitment 1 "why"`')
    town.ok("alice", 'reopen concern 1 "Fence fell"')
    town.ok("alice", 'reopen 1 "Half done"')  # only the commitment is closed now
    assert commitment(town, 1).status is CommitmentStatus.OPEN


def test_reopen_finds_the_number_in_this_partnership_whatever_other_partnerships_hold(town: Chat) -> None:
    """`reopen 1` means this partnership's #1s, though another partnership's rows hold the low
    database ids: with its commitment #1 and concern #1 both closed, it asks which."""
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("carol", 'concern "The towpath is unsafe"')
    town.channel = "hills"
    town.ok("dave", 'setup "Hills Forum" kind:task-force')
    town.ok("dave", 'commit "Walk the ridge" by:friday')
    town.ok("dave", "done 1")
    town.ok("dave", 'concern "The stile is broken"')
    town.ok("dave", 'resolve 1 "Mended"')

    refuse(town, "dave", 'reopen 1 "why"', "both closed", '`reopen commitment 1 "why"`')
    town.ok("dave", 'reopen concern 1 "It broke again"')
    with town.sessions() as session:
        assert {k.title: k.status for k in session.scalars(select(Concern))} == {
            "The towpath is unsafe": ConcernStatus.OPEN, "The stile is broken": ConcernStatus.OPEN}
        assert {c.title: c.status for c in session.scalars(select(Commitment))} == {
            "Deliver leaflets": CommitmentStatus.OPEN, "Walk the ridge": CommitmentStatus.DONE}


# Progress, notes, lateness and load


def test_progress_and_left_count_only_what_is_left(town: Chat) -> None:
    town.ok("bob", 'commit "Paint the signs" by:2026-12-22 effort:8h')  # four weeks
    assert "~2h/week of 4h capacity · 1 open (8h left)" in load_line(town, "Bob")
    out = town.ok("bob", "progress 1 75%")
    assert "#1 Paint the signs: 2h of 8h left" in out
    assert "· 1 open (2h left)" in load_line(town, "Bob") and "~0.5h/week" in load_line(town, "Bob")
    town.ok("bob", "left 1 1h")
    assert commitment(town, 1).left_hours == 1.0
    assert "1h of 8h left" in town.ok("carol", "who")
    refuse(town, "bob", "progress 1 150%", "isn't a percent")
    refuse(town, "bob", "progress 1", "Say how far along")
    refuse(town, "bob", "left 1 soon", "isn't a number of hours")
    refuse(town, "carol", "left 1 2h", "#1 is Bob's commitment")
    town.ok("bob", 'commit "Phone round" by:friday')
    refuse(town, "bob", "progress 2 50%", "no effort to take a percent of", "`left 2 2h`")


def test_more_left_than_the_estimate_says_so_rather_than_12h_of_8h(town: Chat) -> None:
    """The job turned out bigger: what is left counts in full, and nobody reads `12h of 8h`."""
    town.ok("bob", 'commit "Paint the signs" by:2026-12-22 effort:8h')
    out = town.ok("bob", "left 1 12h")
    assert "#1 Paint the signs: 12h left, more than the 8h estimated" in out
    assert "`edit 1 effort:12h`" in out
    assert "12h left, more than the 8h estimated" in town.ok("carol", "who")
    assert "· 1 open (12h left)" in load_line(town, "Bob")
    assert "All done?" in town.ok("bob", "left 1 0h") and "0h of 8h left" in town.ok("carol", "who")


def test_ten_hours_due_in_three_months_with_nothing_said_asks_rather_than_guesses(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Write the funding bid" by:2027-02-23 effort:10h')  # 91 days: 10h x 7/91 = 0.77h a week
    assert "~0.8h/week" in load_line(town, "Bob")
    town.advance(days=80)  # Fri 12 Feb, 11 days left and nothing said: all 10h counted, 10h x 7/11 = 6.36h a week
    assert "OVER CAPACITY: Bob (Chamber of Trade) · volunteer: ~6.4h/week of 4h capacity" in town.ok("alice", "load")
    # At 4h a week he gives 4 x 11/7 = 6.3h by then: the bid is at risk, and he is asked, once.
    assert ("#1 Write the funding bid needs 10h before Tue 23 Feb: at 4h a week, Bob can give about 6.3h in the "
            "11 days left (nothing said of its progress yet)") in town.ok("alice", "load")
    sweep(town, inbox)
    [asked] = inbox.to("@bob", "How far along")
    assert ("How far along is #1 Write the funding bid, due Tue 23 Feb? Nothing is said of it yet, so `load` counts "
            "all 10h as still to do, more than you could give by then.") in asked
    assert "`progress 1 50%`" in asked
    town.advance(hours=1)
    sweep(town, inbox)
    assert len(inbox.to("@bob", "How far along")) == 1, "asked once"
    town.ok("bob", "left 1 3h")  # progress said: 3h x 7/11 = 1.9h a week, within what he gives
    line = load_line(town, "Bob")
    assert "~1.9h/week" in line and "OVER CAPACITY" not in line and "At risk" not in town.ok("alice", "load")


def test_work_from_a_later_date_weighs_nothing_until_then(town: Chat) -> None:
    town.ok("bob", 'commit "Run the spring fair" by:2027-03-20 from:2027-03-01 effort:9h')
    assert "~0h/week" in load_line(town, "Bob")
    town.advance(days=97)  # 1 March
    assert "~3.3h/week" in load_line(town, "Bob")  # 9h over the 19 days from 1 March up to the 20th: 3.3h a week


def test_done_keeps_a_note_and_says_how_late(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.advance(days=6)  # due Friday 27, done Monday 30
    out = town.ok("bob", 'done 1 "800 delivered, 200 left at the library"')
    assert "Done: #1 Deliver leaflets, by Bob (Chamber of Trade), 3 days late." in out
    assert "Note: 800 delivered, 200 left at the library" in out
    assert "· done Mon 30 Nov, 3 days late · note: 800 delivered" in town.ok("carol", "who leaflets")
    assert "Bob marked #1 Deliver leaflets done, 3 days late — 800 delivered" in town.ok("carol", "history 1")
    files = {a.filename: a.content.decode() for a in town.say("alice", "export").attachments}
    header, row = files["commitments.csv"].splitlines()[:2]
    assert "days_late" in header and ',3,"800 delivered, 200 left at the library",' in row


# Recurring work


def test_recurring_work_makes_one_occurrence_at_a_time(town: Chat, inbox: Inbox) -> None:
    out = town.ok("carol", 'commit "Open the warm space" every:tuesday until:2027-03-31 effort:2h')
    assert "due Tue 24 Nov (today)" in out and "every Tuesday until Wed 31 Mar 2027" in out
    out = town.ok("carol", 'done 1 "Twelve came"')
    assert "Next: #2 Open the warm space, due Tue 1 Dec" in out
    assert [c.status for c in all_of(town.sessions, Commitment)] == [CommitmentStatus.DONE, CommitmentStatus.OPEN]
    town.advance(days=8)  # Wednesday 2 Dec: Tuesday passed without `done`
    sweep(town, inbox)
    sweep(town, inbox)
    rows = all_of(town.sessions, Commitment)
    assert [(c.id, c.status) for c in rows] == [(1, CommitmentStatus.DONE), (2, CommitmentStatus.DROPPED),
                                               (3, CommitmentStatus.OPEN)]
    assert rows[2].due_at == datetime(2026, 12, 8, 23, 59, 59, tzinfo=UTC) and rows[2].effort_hours == 2
    assert "partnerbot marked #2 Open the warm space missed; next #3, due Tue 8 Dec" in town.ok("alice", "history")


def test_dropping_one_occurrence_skips_to_the_next_and_series_stops_it(town: Chat) -> None:
    """`drop` of one week's warm space ("the hall is closed") silently ended the series until March."""
    town.ok("carol", 'commit "Open the warm space" every:tuesday until:2027-03-31 effort:2h')
    out = town.ok("carol", 'drop 1 "The hall is closed this week"')
    assert ("Dropped #1 Open the warm space: The hall is closed this week\nNext: #2 Open the warm space, due Tue 1 Dec "
            "(in 7 days). To stop the series instead: `drop 2 \"why\" series`.") in out
    assert [c.status for c in all_of(town.sessions, Commitment)] == [CommitmentStatus.DROPPED, CommitmentStatus.OPEN]
    out = town.ok("carol", 'drop 2 "The warm space closes for the winter" series')
    assert "Dropped #2 Open the warm space and its series (every Tuesday): The warm space closes for the winter" in out
    assert "Next:" not in out
    assert [c.status for c in all_of(town.sessions, Commitment)] == [CommitmentStatus.DROPPED] * 2
    assert "Carol dropped #2 Open the warm space and its series (every Tuesday)" in town.ok("alice", "history")
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    refuse(town, "bob", 'drop 3 "Not needed" series', "doesn't repeat", '`drop 3 "Not needed"`')


def test_recurring_every_two_weeks_and_month_and_its_end(town: Chat) -> None:
    town.ok("bob", 'commit "Litter pick" every:2 weeks by:2026-11-28 until:2026-12-20')
    out = town.ok("bob", "done 1")
    assert "Next: #2 Litter pick, due Sat 12 Dec" in out
    assert "Next:" not in town.ok("bob", "done 2"), "26 Dec is after until:"
    town.ok("bob", 'commit "Newsletter" every:month by:2026-11-30')
    assert "due Wed 30 Dec" in town.ok("bob", "done 3")
    refuse(town, "bob", 'commit "Sweep" every:sometimes', "isn't a repeat I know", "`every:tuesday`")
    refuse(town, "bob", 'commit "Sweep" by:friday until:2027-01-01', "`until:` is for recurring work")
    refuse(town, "bob", 'commit "Sweep" every:monday until:2026-11-01', "is before the first occurrence")


def test_a_recurring_occurrence_is_rolled_on_once_by_racing_sweeps(town: Chat, inbox: Inbox) -> None:
    town.ok("carol", 'commit "Open the warm space" every:tuesday effort:2h')
    town.advance(days=1)
    def sweeper() -> None:
        try:
            sweep(town, Inbox())
        except OperationalError:  # SQLite has one writer: a sweep that loses retries next time
            pass

    threads = [threading.Thread(target=sweeper) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [c.status for c in all_of(town.sessions, Commitment)] == [CommitmentStatus.DROPPED, CommitmentStatus.OPEN]
    assert len([e for e in all_of(town.sessions, Event) if e.action == "missed"]) == 1


# Handing over


def test_reassign_asks_the_new_owner_who_accepts(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Book the hall" by:friday effort:1h')
    out = town.ok("bob", "reassign 1 @carol")
    assert "passes from Bob to Carol (Riverside Trust); Carol is asked to accept it." in out
    sweep(town, inbox)
    [message] = inbox.to("@carol")
    assert "Bob handed you #1 Book the hall" in message and "`accept 1`" in message
    refuse(town, "bob", "accept 1", "was handed to Carol, not to you")
    assert "waiting for Carol to `accept 1`" in town.ok("alice", "who")
    assert "Carol takes on #1 Book the hall" in town.ok("carol", "accept 1")
    refuse(town, "carol", "accept 1", "nothing waits for an answer")
    assert commitment(town, 1).handover_from_id is None


def test_a_handover_held_for_quiet_hours_names_the_due_day_without_a_stale_countdown(town: Chat, inbox: Inbox) -> None:
    at(town, "2026-11-24T23:30")
    town.ok("bob", 'commit "Deliver leaflets" by:2026-11-26 effort:1h')
    town.ok("bob", "reassign 1 @carol")
    sweep(town, inbox)
    assert not inbox.to("@carol"), "held for quiet hours"
    at(town, "2026-11-25T08:05")
    sweep(town, inbox)
    [message] = inbox.to("@carol", "Bob handed you #1 Deliver leaflets")
    assert "due Thu 26 Nov, 1h." in message and "in 2 days" not in message


def test_a_coordinator_taking_work_over_is_not_asked_to_accept_it(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Book the hall" by:friday effort:1h')
    out = town.ok("alice", "reassign 1 @alice")
    assert "#1 Book the hall passes from Bob to Alice (Town Council), who takes it on." in out
    assert "asked to accept" not in out
    c = commitment(town, 1)
    assert c.owner.person.user_id == "alice" and c.handover_from_id is None
    sweep(town, inbox)
    assert not inbox.to("@alice", "handed you"), "nobody asks Alice what she has just done"
    refuse(town, "alice", "accept 1", "#1 Book the hall is yours already")
    assert "waiting for" not in town.ok("alice", "who")
    # Taken on all the same, for give and take: the handover is kept, answered.
    [handover] = all_of(town.sessions, Handover)
    assert (handover.answer, handover.answered_at is not None) == ("accepted", True)


def test_decline_returns_it_and_tells_the_coordinators(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Book the hall" by:friday')
    town.ok("bob", "reassign 1 @carol")
    refuse(town, "carol", "decline 1", "Say why")
    out = town.ok("carol", 'decline 1 "I am away that week"')
    assert "Carol declined #1 Book the hall (I am away that week); it is back with Bob" in out
    c = commitment(town, 1)
    assert c.owner.person.user_id == "bob" and c.handover_from_id is None
    sweep(town, inbox)
    assert inbox.to("@alice", 'Carol declined #1 Book the hall: "I am away that week". It is back with Bob')
    assert inbox.to("@bob", "It is back with you")
    assert not inbox.to("@carol", "handed you"), "the handover was answered before it was sent"
    assert "I am away that week" in town.ok("alice", "history 1")
    # Carol changes her mind: nothing is handed to her now, and it was never "handed to Bob".
    said = refuse(town, "carol", "accept 1", "#1 Book the hall is Bob's, and nothing waits for your answer.",
                  "`reassign 1 @carol`")
    assert "handed to Bob" not in said


def test_a_handover_redirected_before_its_answer_still_goes_back_to_whose_it_was(town: Chat) -> None:
    """Carol was asked and never answered: a coordinator sending it to Dave instead leaves it Bob's
    to come back to, and Carol holds nothing she never agreed to."""
    town.ok("dave", 'join org:Library sector:public capacity:2h')
    town.ok("bob", 'commit "Print posters" by:friday effort:2h')
    town.ok("alice", "reassign 1 @carol")
    out = town.ok("alice", "reassign 1 @dave")
    assert "#1 Print posters passes from Bob to Dave" in out and "from Carol" not in out
    assert "Dave declined #1 Print posters (away that week); it is back with Bob" in \
        town.ok("dave", 'decline 1 "away that week"')
    c = commitment(town, 1)
    assert c.owner.person.user_id == "bob" and c.handover_from_id is None
    assert "Print posters" not in town.ok("carol", "mine")
    with town.sessions() as session:
        who = {m.id: m.person.user_id for m in session.scalars(select(Member))}
    asked = [(who[h.from_member_id], who[h.to_member_id], h.answer) for h in all_of(town.sessions, Handover)]
    assert asked == [("bob", "carol", "passed on"), ("bob", "dave", "declined")]


def test_reassign_over_capacity_is_allowed_but_says_so_and_who_has_room(town: Chat) -> None:
    town.ok("carol", 'commit "Run the stall" by:friday effort:2h')
    town.ok("bob", 'commit "Paint the signs" by:friday effort:3h')
    out = town.ok("bob", "reassign 2 @carol")
    assert "Accepting it would take Carol over capacity: ~5h/week against 3h." in out
    assert "Room: Alice (~6h/week free)." in out
    assert commitment(town, 2).owner.person.user_id == "carol"


def test_handover_buttons_in_a_nudge(town: Chat, inbox: Inbox) -> None:
    town.ok("alice", 'commit @bob "Book the hall" by:friday')
    town.ok("alice", "reassign 1 @carol")
    [nudge] = told(town, "handover")
    assert '"Accept", "accept 1"' in (nudge.actions or "") and '"Decline", "decline 1 \\"...\\""' in (nudge.actions or "")


# Away


def test_the_away_warning_never_advises_handing_work_to_a_successor_away_then_too(town: Chat, inbox: Inbox) -> None:
    town.ok("carol", "away 2026-12-20 2026-12-27")
    town.ok("bob", 'commit "Deliver leaflets" by:2026-12-22 effort:2h')
    town.ok("bob", "successor 1 @carol")
    town.ok("bob", "away 2026-12-21 2026-12-23")
    sweep(town, inbox)
    [warning] = inbox.to("@alice", "#1 Deliver leaflets is due Tue 22 Dec")
    assert "Carol, named to step in, is away then too." in warning and "`reassign 1 @name`" in warning
    assert "`reassign 1 @carol`" not in warning
    assert not inbox.to("@carol", "You are named to step in on it")


def test_away_lists_the_work_due_then_in_every_partnership_the_person_is_in(town: Chat) -> None:
    """Days away hold in every partnership, yet the reply listed only the channel's own work:
    Carol's survey for the Hinterland Forum, due while she is away, went unmentioned."""
    town.say("alice", 'setup "Hinterland Forum" kind:umbrella-forum purpose:"Villages around the town"', "hinterland")
    town.say("carol", 'join org:"Riverside Trust" sector:voluntary capacity:2h', "hinterland")
    town.say("carol", 'commit "Village survey" by:2026-12-05 effort:2h', "hinterland")
    town.ok("carol", 'commit "Grant bid" by:2026-12-08 effort:2h')
    out = town.ok("carol", "away 2026-12-01 2026-12-10")
    assert "Due while away: #1 Village survey (Hinterland Forum); #1 Grant bid." in out
    suggested = re.search(r"`(successor [^`]*)`", out)
    assert suggested and suggested[1] == 'successor 1 @name in:"Hinterland Forum"'
    assert "steps in on #1 Village survey" in town.ok("carol", suggested[1].replace("@name", "@alice"))


def test_away_means_no_nudges_no_capacity_and_due_work_flagged(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:2026-12-22 effort:2h')
    town.ok("bob", 'commit "Book the hall" by:2026-12-10')
    town.ok("bob", "successor 1 @carol")
    out = town.ok("bob", "away 2026-12-20 2027-01-03")
    assert "Bob is away Sun 20 Dec – Sun 3 Jan 2027" in out and "Due while away: #1 Deliver leaflets" in out
    assert "You're away Sun 20 Dec" in town.ok("bob", "away")
    sweep(town, inbox)
    assert inbox.to("@alice", "Bob (Chamber of Trade) is away Sun 20 Dec – Sun 3 Jan 2027, and #1 Deliver leaflets "
                              "is due Tue 22 Dec") and inbox.to("@alice", "`reassign 1 @carol`")
    assert inbox.to("@carol", "You are named to step in on it")
    assert not inbox.to("@alice", "#2 Book the hall is due"), "only work due while away"
    town.advance(days=26)  # 20 December: away
    assert "away until Sun 3 Jan 2027, so no capacity" in load_line(town, "Bob")
    inbox.take_all()
    sweep(town, inbox)
    assert inbox.to("@bob") == [], "no nudges while away, though #2 is overdue"
    town.advance(days=15)  # 4 January: back
    sweep(town, inbox)
    assert inbox.to("@bob", "#2 Book the hall was due")


def test_a_handover_to_someone_away_waits_until_they_are_back(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", "away 2026-11-24 2026-11-30")
    town.ok("carol", 'commit "Run the stall" by:2026-12-10')
    assert "Note: Bob is away until Mon 30 Nov, and hears of it on return." in town.ok("carol", "reassign 1 @bob")
    sweep(town, inbox)
    assert inbox.to("@bob") == []
    town.advance(days=7)  # Tuesday 1 December
    sweep(town, inbox)
    assert inbox.to("@bob", "Carol handed you #1 Run the stall")


def away_windows(town: Chat) -> dict[str, tuple[str, str]]:
    """Each person's first and last day away, as stored."""
    with town.sessions() as session:
        return {p.user_id: (str(p.away_from), str(p.away_until)) for p in session.scalars(select(Person))}


def test_away_for_a_week_or_a_weekend_said_in_words(town: Chat) -> None:
    """The clock says Tuesday 24 November 2026."""
    assert "Mon 30 Nov" in town.ok("bob", "away next week") and "Sun 6 Dec" in town.ok("bob", "away")
    town.ok("carol", "away the weekend")
    town.ok("alice", "away this week")
    assert away_windows(town) == {"bob": ("2026-11-30", "2026-12-06"), "carol": ("2026-11-28", "2026-11-29"),
                                  "alice": ("2026-11-24", "2026-11-29")}
    refuse(town, "bob", "away next fortnight", "can't read `next` as a date")


def test_away_next_weekend_or_a_whole_month_said_in_words(town: Chat) -> None:
    """Tuesday 24 November 2026: next weekend is the one after this; December is next month."""
    town.ok("bob", "away next weekend")
    town.ok("carol", "away next month")
    town.ok("alice", "away this month")
    assert away_windows(town) == {"bob": ("2026-12-05", "2026-12-06"), "carol": ("2026-12-01", "2026-12-31"),
                                  "alice": ("2026-11-24", "2026-11-30")}
    assert "Tue 1 Dec" in town.ok("carol", "away") and "Thu 31 Dec" in town.ok("carol", "away")


def test_away_bad_input_and_off(town: Chat) -> None:
    refuse(town, "bob", "away 2027-01-03 2026-12-20", "is before the first", "`away 2026-12-20 2027-01-03`")
    refuse(town, "bob", "away 2026-12-20", "Say the last day away too")
    refuse(town, "bob", "away 2025-01-01 2025-01-02", "has passed")
    # Said it has passed, not told to swap the days into `away 2026-11-23 2026-11-24`, itself refused.
    assert "is before the first" not in refuse(town, "bob", "away until:yesterday", "Mon 23 Nov has passed")
    refuse(town, "bob", "away soon later", "can't read `soon` as a date")
    refuse(town, "bob", "away off", "You're not marked away")
    town.ok("bob", "away 2026-12-20 2026-12-24")
    out = town.ok("bob", "away until:2026-12-01")
    assert "(Only one time away is kept: this replaces Sun 20 Dec – Thu 24 Dec.)" in out
    with town.sessions() as session:
        bob = session.scalars(select(Person).where(Person.user_id == "bob")).one()
        assert (str(bob.away_from), str(bob.away_until)) == ("2026-11-24", "2026-12-01")
    assert "no longer marked away" in town.ok("bob", "away off")


# Races: two people at once, or one click twice; one wins, the other is told, nothing is done twice.


def racing(engine: Engine, chat: Chat, *turns: tuple[str, str]) -> list[Reply]:
    """Run each (user, command) in its own thread, all reading before any writes a commitment."""
    gate = threading.Barrier(len(turns), timeout=5)
    held = threading.local()

    def wait_at_first_write(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE COMMITMENTS") and not getattr(held, "done", False):
            held.done = True
            try:
                gate.wait()
            except threading.BrokenBarrierError:
                pass

    replies: list[Reply] = []

    def run(user: str, command: str) -> None:
        actor = Actor(chat.platform, chat.workspace, user, chat.channel, display_name=user.capitalize())
        replies.append(handle(command, actor, chat.sessions, now=chat.now))

    event.listen(engine, "before_cursor_execute", wait_at_first_write)
    try:
        threads = [threading.Thread(target=run, args=turn) for turn in turns]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        event.remove(engine, "before_cursor_execute", wait_at_first_write)
    return replies


def test_the_same_done_twice_at_once_is_done_once(engine: Engine, town: Chat) -> None:
    town.ok("carol", 'commit "Open the warm space" every:tuesday effort:2h')
    replies = racing(engine, town, ("carol", "done 1"), ("carol", "done 1"))
    assert sorted(r.error for r in replies) == [False, True]
    assert "#1" in (next(r.text for r in replies if r.error) or ""), "the loser is told what happened to #1"
    assert [c.status for c in all_of(town.sessions, Commitment)] == [CommitmentStatus.DONE, CommitmentStatus.OPEN]
    assert len([e for e in all_of(town.sessions, Event) if e.action == "done"]) == 1


def test_the_same_drop_of_one_occurrence_twice_at_once_skips_one_week_once(engine: Engine, town: Chat) -> None:
    town.ok("carol", 'commit "Open the warm space" every:tuesday effort:2h')
    replies = racing(engine, town, ("carol", 'drop 1 "Hall closed"'), ("carol", 'drop 1 "Hall closed"'))
    assert sorted(r.error for r in replies) == [False, True]
    assert "#1" in (next(r.text for r in replies if r.error) or ""), "the loser is told what happened to #1"
    assert [c.status for c in all_of(town.sessions, Commitment)] == [CommitmentStatus.DROPPED, CommitmentStatus.OPEN]
    assert len([e for e in all_of(town.sessions, Event) if e.action == "drop"]) == 1


def test_two_edits_at_once_take_turns_and_each_says_what_it_changed(engine: Engine, town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:3h')
    racing(engine, town, ("bob", "edit 1 effort:4h"), ("alice", "edit 1 effort:6h"))
    edits = [e.summary for e in all_of(town.sessions, Event) if e.action == "commitment-edit"]
    final = commitment(town, 1).effort_hours
    # One after the other: the second's old value is the first's new one, and the last one stands.
    if len(edits) == 2:
        first_new = edits[0].rsplit("→ ", 1)[1]
        assert f"effort {first_new} →" in edits[1] and edits[1].endswith(f"→ {final:g}h")
    else:
        assert len(edits) == 1 and edits[0].endswith(f"→ {final:g}h")


def test_accept_and_reassign_at_once_end_as_one_order_or_the_other(engine: Engine, town: Chat) -> None:
    town.ok("bob", 'commit "Book the hall" by:friday')
    town.ok("bob", "reassign 1 @carol")
    replies = racing(engine, town, ("carol", "accept 1"), ("alice", "reassign 1 @alice"))
    # Accept then reassign both land; reassign first leaves nothing for Carol to accept. Alice
    # takes it over herself, so nothing waits for an answer either way.
    assert not next(r for r in replies if "Alice" in (r.text or "") and not r.error).error
    c = commitment(town, 1)
    assert c.owner.person.user_id == "alice" and c.handover_from_id is None
    accepted = [e for e in all_of(town.sessions, Event) if e.action == "accept"]
    assert len(accepted) == sum(not r.error for r in replies) - 1


def test_accept_clicked_twice_accepts_once(engine: Engine, town: Chat) -> None:
    town.ok("bob", 'commit "Book the hall" by:friday')
    town.ok("bob", "reassign 1 @carol")
    replies = racing(engine, town, ("carol", "accept 1"), ("carol", "accept 1"))
    assert sorted(r.error for r in replies) == [False, True]
    assert len([e for e in all_of(town.sessions, Event) if e.action == "accept"]) == 1
