"""Nudges that are still true when they go out: a nudge that waited (quiet hours, a batch, a
retry, a restart) is asked again before it is sent, and one no longer true is cancelled,
with its reason, once, and never sent.

The clock is the chat's; sweeps run at `chat.now`. Quiet hours are the defaults, 21:00 to
08:00 in each person's zone (UTC here). What people receive is read from a recording
delivery; what was cancelled and why, from the database.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot import scheduler
from handlers.nudges import derive, still_true
from handlers.recheck import CHECKS
from storage.database import make_engine, session_factory
from storage.models import Nudge
from storage.nudges import Waiting
from tests.conftest import Chat
from tests.test_nudges import Inbox, Killed, at, ledger, sweep
from tests.test_scheduler_postgres import together


def of_kind(chat: Chat, kind: str) -> list[Nudge]:
    return [n for n in ledger(chat) if n.kind == kind]


def moment(when: str) -> datetime:
    return datetime.fromisoformat(when).replace(tzinfo=UTC)


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


# Held for quiet hours, and overtaken by events overnight.

def test_a_handover_held_overnight_then_dropped_is_cancelled_not_sent(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Sweep the bandstand" by:2026-12-10')
    at(town, "2026-11-24T22:30")  # quiet hours for carol
    town.ok("bob", "reassign 1 @carol")
    sweep(town, inbox)
    [waiting] = of_kind(town, "handover")
    assert inbox.to("@carol") == [] and waiting.sent_at is None and waiting.cancelled_at is None

    town.ok("alice", 'drop 1 "The council sweeps it now"')
    at(town, "2026-11-24T22:35")
    # The dry run says what the next sweep will cancel, and why, and changes nothing.
    [carol] = [b for b in scheduler.preview(town.sessions, town.now)[0] if b.recipient == "@Carol"]
    assert [(n.kind, why) for n, why in carol.cancelled] == [("handover", "#1 Sweep the bandstand was dropped")]
    assert carol.now == [] and carol.later == []
    [still] = of_kind(town, "handover")
    assert still.cancelled_at is None

    assert sweep(town, inbox).cancelled == ["handover"], "cancelled at once, not at the morning's send"
    at(town, "2026-11-25T08:30")
    report = sweep(town, inbox)
    assert inbox.to("@carol") == [] and report.cancelled == []
    [cancelled] = of_kind(town, "handover")
    assert cancelled.sent_at is None and cancelled.cancelled_at == moment("2026-11-24T22:35")
    assert cancelled.cancel_reason == "#1 Sweep the bandstand was dropped"


def test_a_decline_overtaken_overnight_reaches_neither_the_leaver_nor_the_coordinators(
        town: Chat, inbox: Inbox) -> None:
    """The issue's morning: "It is back with you; hand it on" to a member who had left,
    about work another member had already accepted."""
    town.ok("dev", 'join org:"Youth Club" sector:community capacity:5h')
    town.ok("bob", 'commit "Sweep the bandstand" by:2026-12-10')
    town.ok("bob", "reassign 1 @carol")
    sweep(town, inbox)
    assert inbox.to("@carol", "Bob handed you #1 Sweep the bandstand")
    inbox.take_all()

    at(town, "2026-11-24T22:30")
    town.ok("carol", 'decline 1 "I am away that week"')  # back with bob; bob and alice are told
    sweep(town, inbox)
    assert inbox.messages == [], "quiet hours"
    town.ok("alice", "reassign 1 @dev")
    town.ok("dev", "accept 1")
    town.ok("bob", "leave")

    at(town, "2026-11-25T08:30")
    sweep(town, inbox)
    assert inbox.to("@bob") == []
    assert [text for _, text in inbox.messages if "declined" in text or "handed you" in text] == []
    reasons = {n.person.user_id: n.cancel_reason for n in of_kind(town, "decline")}
    assert reasons == {"bob": "Bob is no longer a member of Riverside Partnership", "alice": "#1 is Dev's now"}
    [handover] = of_kind(town, "handover")[1:]  # the first, to carol, went before
    assert handover.cancel_reason == "Dev accepted #1 first" and handover.sent_at is None


def test_a_handover_accepted_by_someone_else_is_not_sent_to_the_member_who_left(town: Chat, inbox: Inbox) -> None:
    town.ok("dev", 'join org:"Youth Club" sector:community capacity:5h')
    town.ok("bob", 'commit "Sweep the bandstand" by:2026-12-10')
    at(town, "2026-11-24T22:30")
    town.ok("bob", "reassign 1 @carol")
    sweep(town, inbox)
    town.ok("alice", "reassign 1 @dev")
    town.ok("dev", "accept 1")
    town.ok("carol", "leave")
    at(town, "2026-11-25T08:30")
    sweep(town, inbox)
    assert inbox.to("@carol") == [] and inbox.to("@dev") == []
    assert [n.cancel_reason for n in of_kind(town, "handover")] == ["#1 was handed on again, to Dev",
                                                                    "Dev accepted #1 first"]


def test_a_reminder_for_work_done_overnight_is_cancelled_and_owed_again_if_reopened(
        town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')  # Fri 27 Nov
    at(town, "2026-11-26T22:00")  # due within two days, in bob's quiet hours
    sweep(town, inbox)
    [waiting] = ledger(town)
    assert waiting.kind == "due-soon" and waiting.sent_at is None
    town.ok("bob", "done 1")
    at(town, "2026-11-27T08:30")
    sweep(town, inbox)
    assert inbox.to("@bob") == []

    # Undone: the same reminder is true again, and owed again under the same key.
    town.ok("bob", 'reopen 1 "Only half were delivered"')
    town.advance(minutes=5)
    sweep(town, inbox)
    [message] = inbox.to("@bob")
    assert "#1 Deliver 500 leaflets is due Fri 27 Nov" in message
    first, second = ledger(town)
    assert first.key == second.key
    assert (first.sent_at, first.cancel_reason) == (None, "#1 Deliver 500 leaflets was marked done")
    assert second.sent_at == town.now and second.cancelled_at is None


def test_a_coordinator_who_left_overnight_is_not_sent_the_coordinators_note(town: Chat, inbox: Inbox) -> None:
    town.ok("alice", "member role @bob coordinator")
    town.ok("alice", "nudge set concern_stale_days:7")
    town.ok("carol", 'concern "The market budget favours the council" kind:priorities')
    at(town, "2026-12-01T22:00")  # open seven days, in quiet hours
    sweep(town, inbox)
    assert len(of_kind(town, "concern-stale")) == 2
    assert [who for who, _ in inbox.messages if who.startswith("@")] == [], "quiet hours"
    town.ok("bob", "leave")
    at(town, "2026-12-02T08:30")
    sweep(town, inbox)
    assert inbox.to("@bob") == []
    assert inbox.to("@alice", "Concern #1 The market budget favours the council")
    [gone] = [n for n in of_kind(town, "concern-stale") if n.person and n.person.user_id == "bob"]
    assert gone.cancel_reason == "Bob is no longer a member of Riverside Partnership" and gone.sent_at is None


def test_someone_who_went_away_overnight_hears_nothing_then_what_is_still_true_on_return(
        town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    at(town, "2026-11-28T22:00")  # overdue, in quiet hours
    sweep(town, inbox)
    town.ok("bob", "away 2026-11-29 2026-12-02")
    at(town, "2026-11-29T08:30")
    sweep(town, inbox)
    assert inbox.to("@bob") == []
    [held] = of_kind(town, "overdue")
    assert held.cancel_reason == "Bob is away until 2026-12-02"
    at(town, "2026-12-03T09:00")
    sweep(town, inbox)
    [back] = inbox.to("@bob", "#1 Deliver 500 leaflets was due Fri 27 Nov")
    assert [n.sent_at is not None for n in of_kind(town, "overdue")] == [False, True]


def test_a_handover_to_someone_who_went_away_overnight_waits_for_their_return(town: Chat, inbox: Inbox) -> None:
    """What a command told someone is theirs to hear on return: not cancelled, held."""
    town.ok("bob", 'commit "Run the stall" by:2026-12-20')
    at(town, "2026-11-24T22:30")
    town.ok("bob", "reassign 1 @carol")
    sweep(town, inbox)
    town.ok("carol", "away 2026-11-25 2026-11-27")
    at(town, "2026-11-25T08:30")
    sweep(town, inbox)
    assert inbox.to("@carol") == []
    [waiting] = of_kind(town, "handover")
    assert waiting.cancelled_at is None and waiting.sent_at is None
    at(town, "2026-11-28T08:30")
    sweep(town, inbox)
    assert len(inbox.to("@carol", "Bob handed you #1 Run the stall")) == 1


# Asked again just before sending: in a batch, after a claim, after a restart.

def test_a_batch_with_one_nudge_gone_stale_while_it_waited_to_go_sends_only_the_live_ones(
        town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", 'commit "Print posters" by:2026-11-28')
    at(town, "2026-11-30T10:00")  # a Monday: the digest goes first, then the reminders
    # While the channel's digest is being delivered, bob marks #1 done: his message, claimed
    # with both reminders in it, is asked again before it goes.
    inbox.meanwhile["#general"] = lambda: town.ok("bob", "done 1")
    report = sweep(town, inbox)
    assert inbox.messages[0][0] == "#general"
    [message] = inbox.to("@bob")
    assert "#2 Print posters was due Sat 28 Nov" in message and "Deliver leaflets" not in message
    [stale] = [n for n in of_kind(town, "overdue") if n.cancelled_at is not None]
    assert stale.cancel_reason == "#1 Deliver leaflets was marked done" and stale.sent_at is None
    assert report.cancelled == ["overdue"]
    assert all(n.sent_at is not None for n in ledger(town) if n.cancelled_at is None)


def test_someone_who_goes_away_while_their_message_waits_to_go_is_sent_it_on_return(
        town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Book the hall" by:2026-12-10')
    town.ok("bob", 'commit "Run the stall" by:2026-12-12')
    town.ok("bob", "reassign 1 @alice")  # alice's message goes first
    town.ok("bob", "reassign 2 @carol")
    inbox.meanwhile["@alice"] = lambda: town.ok("carol", "away 2026-11-24 2026-11-26")
    report = sweep(town, inbox)
    assert inbox.to("@carol") == [] and report.cancelled == []
    [waiting] = [n for n in of_kind(town, "handover") if n.person and n.person.user_id == "carol"]
    assert (waiting.sent_at, waiting.cancelled_at, waiting.claimed_by) == (None, None, None)
    at(town, "2026-11-27T10:00")
    sweep(town, inbox)
    assert len(inbox.to("@carol", "Bob handed you #2 Run the stall")) == 1


def test_a_restart_between_claim_and_send_cancels_what_went_stale_once(
        town: Chat, inbox: Inbox, engine: Engine) -> None:
    town.ok("bob", 'commit "Sweep the bandstand" by:2026-12-10')
    town.ok("bob", "reassign 1 @carol")
    inbox.killing.add("@carol")
    with pytest.raises(Killed):
        sweep(town, inbox, worker="dead-process")
    [held] = of_kind(town, "handover")
    assert held.claimed_by == "dead-process" and held.sent_at is None
    town.ok("alice", 'drop 1 "The council sweeps it now"')

    inbox.killing.clear()
    restarted = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        fresh = session_factory(restarted)
        town.advance(minutes=1)
        assert sweep(town, inbox, fresh).cancelled == [], "the dead sweeper's live lease is respected"
        town.advance(minutes=5)
        # The note that the drop left the question standing no more waited for the question, on its
        # way when the work was dropped: never marked sent, it goes unsent too.
        assert sweep(town, inbox, fresh).cancelled == ["handover", "closed-first"]
        town.advance(minutes=5)
        assert sweep(town, inbox, fresh).cancelled == []
    finally:
        restarted.dispose()
    assert inbox.to("@carol") == []
    [cancelled] = of_kind(town, "handover")
    assert cancelled.cancel_reason == "#1 Sweep the bandstand was dropped" and cancelled.claimed_by is None


def test_racing_sweepers_cancel_the_stale_once_and_send_the_rest_once(town: Chat, engine: Engine) -> None:
    """Sweepers in several processes (threads with engines of their own) released together on
    the morning after: one cancels each stale nudge, and each live one goes once."""
    town.ok("bob", 'commit "Sweep the bandstand" by:2026-12-10')
    town.ok("bob", 'commit "Deliver leaflets" by:2026-11-24')
    town.ok("carol", 'commit "Book the hall" by:2026-11-24')
    at(town, "2026-11-25T22:30")
    town.ok("bob", "reassign 1 @carol")
    sweep(town, Inbox())  # all held for quiet hours
    town.ok("alice", 'drop 1 "The council sweeps it now"')
    town.ok("carol", "done 3")
    at(town, "2026-11-26T08:30")

    inbox = Inbox()
    lock = threading.Lock()
    cancelled: list[str] = []

    def race(index: int, sessions: sessionmaker[Session]) -> None:
        class Locked(Inbox):
            def take(self, recipient: str, reply: object) -> None:
                with lock:
                    inbox.take(recipient, reply)  # type: ignore[arg-type]

        try:
            report = scheduler.sweep(sessions, Locked(), "console", now=town.now, worker=f"sweeper-{index}")
        except OperationalError:  # SQLite has one writer: a sweep that loses retries next time
            return
        with lock:
            cancelled.extend(report.cancelled)

    together(engine, race, count=3)
    sweep(town, inbox)  # whatever a loser on SQLite left

    assert sorted(cancelled) == ["handover", "overdue"]
    gone = {n.kind: n.cancel_reason for n in ledger(town) if n.cancelled_at is not None}
    assert gone == {"handover": "#1 Sweep the bandstand was dropped", "overdue": "#3 Book the hall was marked done"}
    assert inbox.to("@carol") == []
    [bob] = inbox.to("@bob")
    assert "#2 Deliver leaflets was due" in bob
    keys = [n.key for n in ledger(town)]
    assert len(keys) == len(set(keys)), "nothing recorded twice, nothing cancelled twice"
    assert all(n.sent_at is not None for n in ledger(town) if n.cancelled_at is None)


# Words that went stale while the nudge waited, and a date that moved.

def test_a_waiting_reminder_goes_in_todays_words_or_not_at_all(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("bob", 'commit "Print posters" by:friday')
    at(town, "2026-11-28T22:00")  # both overdue, in quiet hours
    sweep(town, inbox)
    town.ok("bob", 'edit 1 title:"Deliver 800 leaflets"')
    town.ok("bob", "edit 2 by:2026-12-04")
    at(town, "2026-11-29T08:30")
    sweep(town, inbox)
    [message] = inbox.to("@bob")
    assert "#1 Deliver 800 leaflets was due Fri 27 Nov" in message
    assert "Print posters" not in message
    [moved] = [n for n in of_kind(town, "overdue") if n.cancelled_at is not None]
    assert moved.cancel_reason == "#2 is now due 2026-12-04"


# Every kind has its check, and the checks ask no more than the derivations.

def test_every_kind_of_nudge_has_its_check() -> None:
    derived_apart, told = {"away"}, {"handover", "decline", "changed", "minutes-draft", "account-link"}
    assert set(scheduler.ORDER) | derived_apart | told <= set(CHECKS)


def test_what_the_sweep_derives_its_checks_find_true(town: Chat) -> None:
    """A check stricter than its derivation would cancel a nudge the next sweep derives again,
    over and over: at each moment, every nudge derived passes its check."""
    town.ok("dev", 'join org:"Youth Club" sector:community capacity:2h volunteer')
    town.ok("alice", "partnership edit review:monthly end:2027-01-20")
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", 'commit "Paint the signs" by:2026-12-20 effort:30h')
    town.ok("carol", 'commit "Book the hall" by:2026-12-22 effort:9h')
    town.ok("dev", 'commit "Run the stall" by:2026-12-23')
    town.ok("carol", "away 2026-12-20 2026-12-31")
    town.ok("carol", 'concern "Meetings clash with school pick-up" kind:time')
    town.ok("alice", 'propose "Move meetings to Thursdays" closes:2026-12-25')
    town.ok("alice", 'agreement edit purpose:"Revive the riverside together"')
    town.ok("alice", 'propose "Buy a gazebo" closes:2026-12-09')
    town.ok("alice", 'close 2 "Bought; see how it does" review:2026-12-18')
    town.ok("alice", 'meeting propose "Steering group" slots:"2026-12-29 18:00" closes:2026-12-18')  # the sweep settles it
    town.ok("alice", 'meeting propose "Planning group" slots:"2026-12-29 17:00"')
    town.ok("alice", "meeting schedule 2 slot:1")  # its agenda and the day before
    town.ok("alice", 'meeting propose "Nobody\'s group" slots:"2026-12-30 18:00" closes:2026-12-18')
    for who in ("alice", "bob", "carol", "dev"):
        town.ok(who, "meeting answer 3 no")  # the coordinators are told nobody can come
    kinds: set[str] = set()
    for when in ("2026-11-26T10:00", "2026-11-30T10:00", "2026-12-09T10:00", "2026-12-18T10:00", "2026-12-25T10:00",
                 "2026-12-28T10:00", "2026-12-29T10:00"):
        at(town, when)
        if when.startswith("2026-12-29"):
            town.ok("alice", "review start")
        with town.sessions() as session:
            due, _ = derive(session, town.now)
            rows = [Waiting(i, d.partnership_id, d.kind, d.text, d.person_id, d.channel, None, d.key)
                    for i, d in enumerate(due)]
            verdicts = still_true(session, rows, town.now)
            session.rollback()
        assert {rows[i].key: v.reason for i, v in verdicts.items()} == {}
        kinds |= {d.kind for d in due}
    assert kinds == {*scheduler.ORDER, "away"}, "every kind the sweep derives was asked about"
