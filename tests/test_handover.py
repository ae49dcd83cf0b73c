"""Handing work over as partners mean it: the everyday words lead to the right command, work
handed to a member stays the partnership's, a handover can be taken back until it is answered,
working on it accepts it, and work logged for someone can be declined by them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from storage.models import Commitment, CommitmentStatus, Event, Handover, Member, Nudge
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse
from tests.test_nudges import Inbox, at, ledger, sweep
from tests.test_races import at_once, one_wins


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


def commitment(chat: Chat, number: int) -> Commitment:
    return next(c for c in all_of(chat.sessions, Commitment) if c.number == number)


def owner_of(chat: Chat, number: int) -> tuple[str, str | None]:
    """Who holds the commitment, and who handed it to them if they have not answered yet."""
    c = commitment(chat, number)
    giver = next((h for h in all_of(chat.sessions, Handover) if h.commitment_id == c.id and h.answer is None), None)
    return c.owner.person.user_id, None if giver is None or c.handover_from_id is None else "asked"


def actions(chat: Chat) -> list[str]:
    return [e.action for e in all_of(chat.sessions, Event)]


def suggested(refusal: str, start: str) -> str:
    """The command a refusal suggests, the one between backticks starting `start`."""
    found = re.findall(rf"`({re.escape(start)}[^`]*)`", refusal)
    assert found, f"no `{start}...` suggested in {refusal!r}"
    return found[0]


# The words people use


@pytest.mark.parametrize("typed", ["handover 1 @carol", "hand over 1 @carol", "handoff 1 @carol", "hand-over 1 @carol",
                                   "hand off 1 @carol"])
def test_the_everyday_words_for_a_handover_point_to_reassign_and_hand_on(town: Chat, typed: str) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:1h')
    said = refuse(town, "bob", typed, "To hand work to a member here, who is asked to accept it: `reassign 1 @carol`",
                  'to an organisation outside the partnership: `hand on 1 to:"Millbrook Library"`')
    assert "Did you mean `hand on`" not in said
    assert "Carol is asked to accept it" in town.ok("bob", suggested(said, "reassign"))


def test_help_for_handover_names_both_commands(town: Chat) -> None:
    refuse(town, "bob", "handover", "`reassign <number> @name`", '`hand on <number> to:"Millbrook Library"`')
    said = refuse(town, "bob", "help handover", "`help reassign`", "`help hand on`")
    assert "Hand a commitment to another member" in town.ok("bob", suggested(said, "help reassign"))


def test_delete_points_to_drop_not_delivered(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    said = refuse(town, "bob", "delete 1", "Did you mean `drop`?")
    assert "delivered" not in said
    assert "Drop a commitment" in town.ok("bob", suggested(said, "help drop"))


# `hand on` is for outside the partnership


@pytest.mark.parametrize("to", ["@carol", "carol", "Carol", '"Riverside Trust"'])
def test_hand_on_to_a_member_is_refused_and_points_to_reassign(town: Chat, to: str) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:1h')
    said = refuse(town, "bob", f"hand on 1 to:{to}", "is a member here; `hand on` is for an organisation outside",
                  "`reassign 1 @carol`")
    assert "Deliver leaflets" in town.ok("alice", "who"), "still the partnership's work"
    assert "Carol is asked to accept it" in town.ok("bob", suggested(said, "reassign"))
    assert owner_of(town, 1) == ("carol", "asked")


def test_hand_on_to_its_own_holder_says_it_is_theirs_already(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    refuse(town, "bob", "hand on 1 to:@bob", "Bob is a member here", "#1 is Bob's already", "`reassign 1 @name`")


def test_hand_on_to_an_outside_organisation_still_works(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    assert "handed on to Millbrook Library" in town.ok("bob", 'hand on 1 to:"Millbrook Library"')


def test_once_wound_up_a_partner_organisation_may_carry_a_closing_task_on(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("alice", 'partnership wind-up "The trust runs it now" open:keep')
    assert "handed on to Riverside Trust" in town.ok("bob", 'hand on 1 to:"Riverside Trust"')


# Taking a handover back before it is answered


def test_the_giver_is_pointed_to_taking_it_back_and_can(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:3h')
    town.ok("bob", "reassign 1 @carol")
    said = refuse(town, "bob", 'drop 1 "Handed to the wrong person"', "#1 Deliver leaflets is handed to Carol, "
                  "who has not answered yet", "To take it back first: `reassign 1 @bob`")
    refuse(town, "bob", "edit 1 by:saturday", "`reassign 1 @bob`")
    out = town.ok("bob", suggested(said, "reassign"))
    assert "#1 Deliver leaflets is back with Bob; Carol had not answered, and is no longer asked to take it on." in out
    assert owner_of(town, 1) == ("bob", None)
    [handover] = all_of(town.sessions, Handover)
    assert handover.answer == "withdrawn"
    sweep(town, inbox)
    assert not inbox.to("@carol"), "the question was withdrawn before it went out"
    refuse(town, "carol", "accept 1", "#1 Deliver leaflets is Bob's, and nothing waits for your answer")
    assert "Dropped #1 Deliver leaflets" in town.ok("bob", 'drop 1 "Handed to the wrong person"')
    assert "took #1 Deliver leaflets back from Carol (Riverside Trust), who had not answered" in \
        town.ok("alice", "history commitment 1")


def test_someone_already_asked_hears_the_handover_was_taken_back(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", "reassign 1 @carol")
    sweep(town, inbox)
    assert inbox.to("@carol", "Bob handed you #1 Deliver leaflets")
    town.ok("bob", "reassign 1 @bob")
    sweep(town, inbox)
    assert inbox.to("@carol", "#1 Deliver leaflets is back with Bob, who handed it to you: nothing waits for your answer")


def test_a_question_being_delivered_when_it_is_taken_back_is_followed_by_the_taken_back_note(
        town: Chat, inbox: Inbox) -> None:
    """Bob takes the work back while the question to Carol is being delivered (claimed, not yet
    marked sent), and another sweeper looks meanwhile: she got the question, and no note that it
    no longer stands followed. Now the note waits for the question, and goes once."""
    town.ok("bob", 'commit "Deliver leaflets" by:2026-12-08')
    town.ok("bob", "reassign 1 @carol")

    def taken_back_and_swept_meanwhile() -> None:
        assert "is back with Bob" in town.ok("bob", "reassign 1 @bob")
        sweep(town, inbox, worker="other")

    inbox.meanwhile["@carol"] = taken_back_and_swept_meanwhile
    sweep(town, inbox)
    assert inbox.to("@carol", "Bob handed you #1 Deliver leaflets") and not inbox.to("@carol", "nothing waits")
    sweep(town, inbox)
    sweep(town, inbox)
    assert inbox.to("@carol", "nothing waits") == inbox.to(
        "@carol", "#1 Deliver leaflets is back with Bob, who handed it to you: nothing waits for your answer now.")
    assert len(inbox.to("@carol", "nothing waits")) == 1


def test_a_question_withdrawn_while_claimed_and_never_sent_takes_its_taken_back_note_with_it(
        town: Chat, inbox: Inbox) -> None:
    """A question claimed when the work was taken back, then cancelled by its sweeper's last
    look rather than sent: Carol never saw it, so she is not told it no longer stands."""
    town.ok("bob", 'commit "Deliver leaflets" by:2026-12-08')
    town.ok("bob", "reassign 1 @carol")
    with town.sessions() as session, session.begin():
        question = session.scalar(select(Nudge).where(Nudge.kind == "handover"))
        assert question is not None
        question.claimed_by, question.claimed_until = "gone", town.now + timedelta(minutes=5)
    town.ok("bob", "reassign 1 @bob")
    [note] = [n for n in all_of(town.sessions, Nudge) if n.kind == "taken-back"]
    assert note.cancelled_at is None, "the question may yet reach her"
    with town.sessions() as session, session.begin():
        session.execute(update(Nudge).where(Nudge.kind == "handover")
                        .values(claimed_by=None, claimed_until=None))
    for _ in range(2):
        sweep(town, inbox)
        town.advance(days=1)
    assert not inbox.to("@carol")
    reasons = {n.kind: n.cancel_reason for n in all_of(town.sessions, Nudge)}
    assert reasons["taken-back"] == "the question about #1 never reached them", reasons


def test_someone_asked_hears_the_work_went_to_another_instead(town: Chat, inbox: Inbox) -> None:
    town.ok("dave", "join org:Library sector:public")
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", "reassign 1 @carol")
    sweep(town, inbox)
    town.advance(minutes=1)
    assert "Dave is asked to accept it" in town.ok("bob", "reassign 1 @dave")
    sweep(town, inbox)
    assert inbox.to("@carol", "#1 Deliver leaflets was handed to Dave instead: nothing waits for your answer now.")
    assert inbox.to("@dave", "Will you take it on?")


def test_the_taken_back_note_is_not_sent_once_she_is_asked_again(town: Chat, inbox: Inbox) -> None:
    """Checked again when sent: "nothing waits for your answer" is false once a new question does."""
    town.ok("bob", 'commit "Deliver leaflets" by:2026-12-20')
    town.ok("bob", "reassign 1 @carol")
    sweep(town, inbox)
    assert len(inbox.to("@carol", "Will you take it on?")) == 1
    today = town.now.date()
    town.ok("carol", f"away {today} {today + timedelta(days=1)}")  # what she is told waits for her return
    town.ok("bob", "reassign 1 @bob")
    town.advance(minutes=1)
    town.ok("bob", "reassign 1 @carol")
    sweep(town, inbox)
    town.advance(days=2)
    sweep(town, inbox)
    assert not inbox.to("@carol", "nothing waits for your answer")
    assert len(inbox.to("@carol", "Will you take it on?")) == 2


def test_a_coordinator_sending_it_back_to_whose_it_was_asks_nobody(town: Chat, inbox: Inbox) -> None:
    """It used to ask Bob to accept his own work."""
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("alice", "reassign 1 @carol")
    assert "is back with Bob" in town.ok("alice", "reassign 1 @bob")
    assert owner_of(town, 1) == ("bob", None)
    sweep(town, inbox)
    assert not inbox.to("@bob", "handed you")


def test_once_accepted_the_giver_is_told_whose_it_is_and_how_to_get_it_back(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", "reassign 1 @carol")
    town.ok("carol", "accept 1")
    said = refuse(town, "bob", "reassign 1 @bob", "Carol has accepted #1 Deliver leaflets, so it is theirs now",
                  "they type `reassign 1 @bob`")
    assert "Bob is asked to accept it" in town.ok("carol", suggested(said, "reassign"))


def test_others_are_refused_without_being_told_to_type_what_is_refused(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    said = refuse(town, "carol", "reassign 1 @carol", "#1 is Bob's commitment; only they or a coordinator can change it")
    assert "`reassign" not in said


# Working on it before answering accepts it


def test_done_before_accept_accepts_it_and_says_so(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", "reassign 1 @carol")
    out = town.ok("carol", "done 1")
    assert "Carol accepts #1 (handed over by Bob) by marking it done. Done: #1 Deliver leaflets, by Carol" in out
    [handover] = all_of(town.sessions, Handover)
    assert handover.answer == "accepted"
    assert actions(town)[-2:] == ["accept", "done"]
    sweep(town, inbox)
    assert not inbox.to("@carol", "handed you"), "nobody asks her to take on what she has done"


@pytest.mark.parametrize(("command", "said"), [("progress 1 50%", "by reporting progress on it"),
                                               ('edit 1 title:"Deliver 800 leaflets"', "by changing it")])
def test_working_on_it_before_accept_accepts_it(town: Chat, command: str, said: str) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:2h')
    town.ok("bob", "reassign 1 @carol")
    assert f"Carol accepts #1 (handed over by Bob) {said}." in town.ok("carol", command)
    assert owner_of(town, 1) == ("carol", None)
    refuse(town, "carol", 'decline 1 "Too much"', "is yours already")
    refuse(town, "bob", "reassign 1 @bob", "Carol has accepted #1")


# Declining work someone else logged for you


def test_work_logged_for_someone_can_be_declined_back_to_who_logged_it(town: Chat, inbox: Inbox) -> None:
    out = town.ok("alice", 'commit @carol "Run the stall" by:friday effort:6h')
    assert 'Carol can take it on with `accept 1`, or turn it down: `decline 1 "why"`.' in out
    out = town.ok("carol", 'decline 1 "I never agreed to this"')
    assert ("Carol declined #1 Run the stall, which Alice logged for them (I never agreed to this); it is back with "
            "Alice") in out
    c = commitment(town, 1)
    assert (c.owner.person.user_id, c.status) == ("alice", CommitmentStatus.OPEN)
    [declined] = [e for e in all_of(town.sessions, Event) if e.action == "decline"]
    assert declined.reason == "I never agreed to this"
    assert "drop" not in actions(town), "she declined it; she did not drop it"
    history = town.ok("alice", "history commitment 1")
    assert "Carol declined #1 Run the stall, which Alice logged for them; it is back with Alice" in history
    sweep(town, inbox)
    assert inbox.to("@alice", 'Carol declined #1 Run the stall, which Alice logged for them: "I never agreed to this". '
                              "It is back with you")
    assert "Run the stall" not in town.ok("carol", "mine")


@pytest.mark.parametrize("first", ["accept 1", "progress 1 20%", "edit 1 by:saturday", "snooze 1 2"])
def test_once_taken_on_or_worked_on_logged_work_is_no_longer_declined(town: Chat, first: str) -> None:
    town.ok("alice", 'commit @carol "Run the stall" by:friday effort:2h')
    town.ok("carol", first)
    refuse(town, "carol", 'decline 1 "Changed my mind"', "#1 Run the stall is yours already", '`drop 1 "why"`')


def test_accepting_logged_work_is_recorded(town: Chat) -> None:
    town.ok("alice", 'commit @carol "Run the stall" by:friday')
    assert "Carol takes on #1 Run the stall" in town.ok("carol", "accept 1")
    assert "Carol accepted #1 Run the stall, which Alice logged for them" in town.ok("alice", "history commitment 1")
    refuse(town, "carol", "accept 1", "is yours already")


def test_your_own_work_is_not_declined(town: Chat) -> None:
    town.ok("carol", 'commit "Run the stall" by:friday')
    refuse(town, "carol", 'decline 1 "No"', "#1 Run the stall is yours already")


def test_logged_work_whose_logger_left_goes_back_to_a_coordinator(town: Chat) -> None:
    town.ok("alice", "member role @bob coordinator")
    town.ok("bob", 'commit @carol "Run the stall" by:friday')
    town.ok("bob", "leave")
    assert "it is back with Alice" in town.ok("carol", 'decline 1 "Not me"')


# Races: one wins, the other is told


def test_taking_a_handover_back_and_accepting_it_at_once_leave_one_of_them(town: Chat) -> None:
    for n in range(1, 11):
        town.ok("bob", f'commit "Task {n}" by:friday')
        town.ok("bob", f"reassign {n} @carol")
        winner, refusal = one_wins(at_once(town, ("bob", f"reassign {n} @bob"), ("carol", f"accept {n}")))
        if winner == 0:
            assert owner_of(town, n) == ("bob", None)
            assert f"#{n} Task {n} is Bob's, and nothing waits for your answer" in (refusal.text or "")
        else:
            assert owner_of(town, n) == ("carol", None)
            assert f"Carol has accepted #{n} Task {n}" in (refusal.text or "")
        answers = [h.answer for h in all_of(town.sessions, Handover) if h.commitment_id == commitment(town, n).id]
        assert answers == [["withdrawn", "accepted"][winner]]


def test_taking_a_handover_back_and_marking_it_done_at_once_leave_one_of_them(town: Chat) -> None:
    for n in range(1, 11):
        town.ok("bob", f'commit "Task {n}" by:friday')
        town.ok("bob", f"reassign {n} @carol")
        winner, _ = one_wins(at_once(town, ("bob", f"reassign {n} @bob"), ("carol", f"done {n}")))
        c = commitment(town, n)
        assert (c.owner.person.user_id, c.status) == [("bob", CommitmentStatus.OPEN),
                                                      ("carol", CommitmentStatus.DONE)][winner]
    assert actions(town).count("accept") == actions(town).count("done")


def test_declining_logged_work_and_a_coordinator_handing_it_on_at_once_end_as_one_order_or_the_other(
        town: Chat) -> None:
    town.ok("dave", "join org:Library sector:public capacity:4h")
    for n in range(1, 11):
        town.ok("alice", f'commit @carol "Task {n}" by:friday')
        declined, handed = at_once(town, ("carol", f'decline {n} "Not me"'), ("alice", f"reassign {n} @dave"))
        assert not handed.error, handed.text
        assert owner_of(town, n) == ("dave", "asked")
        # Declined first: it was Alice's to hand on; handed first: Carol's decline is refused, and a
        # decline by Dave would return it to her.
        with town.sessions() as session:
            c = session.scalars(select(Commitment).where(Commitment.number == n)).one()
            giver = session.get_one(Member, c.handover_from_id).person.user_id
        assert giver == ("carol" if declined.error else "alice"), (declined.text, giver)
        if declined.error:
            assert "was handed to Dave, not to you" in (declined.text or "")


def test_accepting_and_declining_logged_work_at_once_leave_one_answer(town: Chat) -> None:
    for n in range(1, 11):
        town.ok("alice", f'commit @carol "Task {n}" by:friday')
        winner, refusal = one_wins(at_once(town, ("carol", f"accept {n}"), ("carol", f'decline {n} "Not me"')))
        assert owner_of(town, n) == [("carol", None), ("alice", None)][winner]
        assert f"#{n} Task {n} " in (refusal.text or "")
    assert actions(town).count("accept") + actions(town).count("decline") == 10


@pytest.mark.parametrize("command", ['drop 1 "not doing this"', 'hand on 1 to:"Millbrook Library"'])
def test_the_person_asked_answers_before_ending_the_work_or_sending_it_out(town: Chat, command: str) -> None:
    """Dropping it, or handing it out of the partnership, left the handover unanswered for good
    and its giver without a way to take it back."""
    town.ok("bob", 'commit "Book the hall" by:friday')
    town.ok("bob", "reassign 1 @carol")
    before = owner_of(town, 1)
    said = refuse(town, "carol", command, "#1 Book the hall was handed to you by Bob and waits for your answer",
                  'Take it on first with `accept 1`, or give it back: `decline 1 "why"`.')
    assert owner_of(town, 1) == before
    assert "back with Bob" in town.ok("carol", suggested(said, "decline").replace('"why"', '"Not mine to do"'))


# Work closed before the one asked to take it on answered


def test_work_dropped_at_a_wind_up_before_its_handover_was_answered_goes_back_to_its_giver(town: Chat) -> None:
    """A wind-up `open:drop` took work Bob had only asked Carol to take on: the record said it was
    Carol's, and `reopen commitment 1` after reopening made it hers, though she never said yes,
    and then she could no longer decline it."""
    town.ok("bob", 'commit "Grant bid" by:2026-12-08 effort:2h')
    town.ok("bob", "reassign 1 @carol")
    wound = town.ok("alice", 'partnership wind-up "Funding ended" open:drop')
    assert "#1 Grant bid — Bob (Chamber of Trade)" in wound
    town.ok("alice", 'partnership reopen "Wound up by mistake"')
    town.ok("alice", 'reopen commitment 1 "Wound up by mistake"')
    assert "#1 Grant bid" in town.ok("bob", "mine")
    assert "no open commitments" in town.ok("carol", "mine")
    with town.sessions() as session:
        assert [h.answer for h in session.scalars(select(Handover))] == ["closed first"]


def test_a_coordinator_dropping_work_before_its_handover_is_answered_leaves_it_with_its_giver(town: Chat) -> None:
    town.ok("bob", 'commit "Grant bid" by:2026-12-08 effort:2h')
    town.ok("bob", "reassign 1 @carol")
    town.ok("alice", 'drop 1 "The fund closed"')
    town.ok("alice", 'reopen commitment 1 "It reopened"')
    assert "#1 Grant bid" in town.ok("bob", "mine")
    assert "no open commitments" in town.ok("carol", "mine")


def test_a_drop_and_the_accept_it_races_leave_the_work_with_one_owner(town: Chat) -> None:
    """A drop reading the work still waiting for Carol's answer gives it back to Bob, unless
    Carol's accept lands first: then the drop is refused or drops it as hers, never both."""
    for n in range(1, 6):
        town.ok("bob", f'commit "Grant bid {n}" by:2026-12-08 effort:2h')
        town.ok("bob", f"reassign {n} @carol")
        drop, accept = at_once(town, ("alice", f'drop {n} "The fund closed"'), ("carol", f"accept {n}"))
        with town.sessions() as session:
            c = session.scalars(select(Commitment).where(Commitment.number == n)).one()
            owner = session.get_one(Member, c.owner_id).person.user_id
        expected = {(False, True): (CommitmentStatus.DROPPED, "bob"), (True, False): (CommitmentStatus.OPEN, "carol"),
                    (False, False): (CommitmentStatus.DROPPED, "carol")}
        assert (c.status, owner) == expected[(drop.error, accept.error)], (drop.plain(), accept.plain())


# Whoever was asked hears, once, that work closed before they answered is no longer theirs


def closed_first_notes(chat: Chat) -> list[Nudge]:
    return [n for n in ledger(chat) if n.kind == "closed-first"]


def test_someone_asked_hears_once_that_the_work_was_dropped_before_they_answered(town: Chat, inbox: Inbox) -> None:
    """Carol was asked to take Bob's grant bid on; a coordinator dropped it before she answered,
    and nobody told her: she could still be writing it."""
    town.ok("bob", 'commit "Grant bid" by:2026-12-08 effort:2h')
    town.ok("bob", "reassign 1 @carol")
    sweep(town, inbox)
    assert inbox.to("@carol", "Bob handed you #1 Grant bid")
    town.ok("alice", 'drop 1 "The fund closed"')
    for _ in range(2):
        sweep(town, inbox)
        town.advance(days=1)
    [note] = inbox.to("@carol", "before you answered")
    assert note.endswith('#1 Grant bid, which Bob handed you, was dropped by Alice ("The fund closed") before you '
                         "answered. It stays Bob's: nothing waits for your answer now, and it is not yours to do.")
    assert not inbox.to("@bob", "before you answered") and not inbox.to("@alice", "before you answered")


def test_the_note_is_not_sent_once_the_work_is_reopened(town: Chat, inbox: Inbox) -> None:
    """Checked again when sent: held for Carol's quiet hours, it no longer holds once the work is open again."""
    town.ok("bob", 'commit "Grant bid" by:2026-12-08')
    town.ok("bob", "reassign 1 @carol")
    sweep(town, inbox)
    at(town, "2026-11-24T22:00")  # Carol's quiet hours: what she is told waits for the morning
    town.ok("alice", 'drop 1 "The fund closed"')
    sweep(town, inbox)
    town.ok("alice", 'reopen commitment 1 "The fund reopened"')
    at(town, "2026-11-25T09:00")
    sweep(town, inbox)
    assert not inbox.to("@carol", "before you answered")
    [note] = closed_first_notes(town)
    assert note.sent_at is None and note.cancel_reason == "#1 Grant bid was reopened"


def test_a_question_not_yet_sent_is_cancelled_unseen_and_nothing_follows_it(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Grant bid" by:2026-12-08')
    at(town, "2026-11-24T22:00")
    town.ok("bob", "reassign 1 @carol")  # the question waits for Carol's morning
    town.ok("alice", 'drop 1 "The fund closed"')
    at(town, "2026-11-25T09:00")
    sweep(town, inbox)
    assert not inbox.to("@carol")
    assert closed_first_notes(town) == []


def test_a_coordinator_asked_who_drops_the_work_is_not_told_what_they_did(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Grant bid" by:2026-12-08')
    town.ok("bob", "reassign 1 @alice")
    sweep(town, inbox)
    town.ok("alice", 'drop 1 "The fund closed"')
    sweep(town, inbox)
    assert not inbox.to("@alice", "before you answered") and closed_first_notes(town) == []


def test_someone_asked_hears_of_a_wind_up_and_of_a_missed_day(town: Chat, inbox: Inbox) -> None:
    """A wind-up dropping the work, and the sweep marking an occurrence missed, tell them too;
    the partnership being over holds back no note about its closing tasks."""
    town.ok("bob", 'commit "Grant bid" by:2026-12-08')
    town.ok("bob", "reassign 1 @carol")
    town.ok("bob", 'commit "Weekly pick" by:friday every:week')  # Fri 27 Nov
    town.ok("bob", "reassign 2 @carol")
    sweep(town, inbox)
    at(town, "2026-11-28T10:00")
    sweep(town, inbox)
    sweep(town, inbox)
    [missed] = inbox.to("@carol", "before you answered")
    assert "#2 Weekly pick, which Bob handed you, was missed: its day, Fri 27 Nov, passed before you answered. " \
        "It stays Bob's" in missed
    town.ok("alice", 'partnership wind-up "Funding ended" open:drop')
    sweep(town, inbox)
    sweep(town, inbox)
    [wound] = inbox.to("@carol", "#1 Grant bid, which Bob handed you")
    assert '#1 Grant bid, which Bob handed you, was dropped by Alice ("At the wind-up: Funding ended") before you ' \
        "answered. It stays Bob's" in wound
    assert len(inbox.to("@carol", "before you answered")) == 2


def test_a_note_waits_for_a_question_still_on_its_way_when_the_work_closed(town: Chat, inbox: Inbox) -> None:
    """The drop lands while the question is being delivered, and another sweeper looks at the
    note meanwhile: it waits for the question, rather than being cancelled as never sent."""
    town.ok("bob", 'commit "Grant bid" by:2026-12-08')
    town.ok("bob", "reassign 1 @carol")

    def dropped_and_swept_meanwhile() -> None:
        town.ok("alice", 'drop 1 "The fund closed"')
        sweep(town, inbox, worker="other")

    inbox.meanwhile["@carol"] = dropped_and_swept_meanwhile
    sweep(town, inbox)
    assert inbox.to("@carol", "Bob handed you #1 Grant bid") and not inbox.to("@carol", "before you answered")
    sweep(town, inbox)
    sweep(town, inbox)
    assert len(inbox.to("@carol", "before you answered")) == 1


# A coordinator's `done` on work whose handover waits for an answer


def test_a_coordinators_done_before_the_handover_is_answered_leaves_it_with_its_giver(town: Chat, inbox: Inbox) -> None:
    """Alice marked done work Bob had handed to Carol, who had not answered: it was credited to
    Carol's Riverside Trust, though she never said yes, the handover waited for her answer for
    ever, and nobody told her."""
    town.ok("bob", 'commit "Grant bid" by:2026-12-08 effort:2h')
    town.ok("bob", "reassign 1 @carol")
    sweep(town, inbox)
    out = town.ok("alice", 'done 1 "Sent on Monday"')
    assert ("Done: #1 Grant bid, by Bob (Chamber of Trade). Carol had not answered yet, so it stays with Bob, "
            "who handed it over. Thank you!") in out
    c = commitment(town, 1)
    assert (c.status, c.owner.person.user_id, c.delivered_for, c.handover_from_id, c.handover_at) == (
        CommitmentStatus.DONE, "bob", "Chamber of Trade", None, None)
    [handover] = all_of(town.sessions, Handover)
    assert (handover.answer, handover.answered_at) == ("closed first", town.now)
    for _ in range(2):
        sweep(town, inbox)
        town.advance(days=1)
    [note] = inbox.to("@carol", "before you answered")
    assert note.endswith('#1 Grant bid, which Bob handed you, was marked done by Alice ("Sent on Monday") before you '
                         "answered. It stays Bob's: nothing waits for your answer now, and it is not yours to do.")
    refuse(town, "carol", "accept 1", "#1 Grant bid is Bob's, and nothing waits for your answer")
    assert "no open commitments" in town.ok("carol", "mine")
    assert inbox.to("@bob", 'Alice closed your commitment #1 Grant bid: marked done ("Sent on Monday").')


def test_a_done_and_the_accept_it_races_leave_the_work_with_one_owner_and_one_answer(town: Chat) -> None:
    """A done reading the work still waiting for Carol's answer credits Bob, unless her accept
    lands first: then the done is refused or credits her, who said yes, never both."""
    for n in range(1, 6):
        town.ok("bob", f'commit "Grant bid {n}" by:2026-12-08 effort:2h')
        town.ok("bob", f"reassign {n} @carol")
        done, accept = at_once(town, ("alice", f"done {n}"), ("carol", f"accept {n}"))
        c = commitment(town, n)
        [answer] = [h.answer for h in all_of(town.sessions, Handover) if h.commitment_id == c.id]
        expected = {(False, True): (CommitmentStatus.DONE, "bob", "Chamber of Trade", "closed first"),
                    (True, False): (CommitmentStatus.OPEN, "carol", None, "accepted"),
                    (False, False): (CommitmentStatus.DONE, "carol", "Riverside Trust", "accepted")}
        assert (c.status, c.owner.person.user_id, c.delivered_for, answer) == expected[(done.error, accept.error)], (
            done.plain(), accept.plain())
