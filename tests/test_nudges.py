"""Nudges: who hears what on which day, batching, caps, quiet hours, snoozes, settings,
and a sweep that fails or dies part-way losing nothing and repeating nothing.

The clock is the chat's: each sweep runs at `chat.now`, and tests move it with `advance`.
What people receive is read from a recording delivery; what is owed, from the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot import scheduler
from bot.scheduler import SweepReport
from handlers import nudges
from handlers.reply import Audience, Reply
from storage.database import make_engine, session_factory
from storage.models import Nudge, Person
from storage.nudges import Waiting
from tests.conftest import Chat, snapshot
from tests.test_bad_input import refuse


class Killed(BaseException):
    """The process dying in the middle of a delivery (not an error the sweep can catch)."""


@dataclass
class Inbox:
    """A recording delivery: every message the bot sends, as (recipient, plain text)."""

    messages: list[tuple[str, str]] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    killing: set[str] = field(default_factory=set)
    # Run once while delivering to a recipient: what happens elsewhere during a slow send.
    meanwhile: dict[str, Callable[[], object]] = field(default_factory=dict)

    def send_to_person(self, workspace: str, user_id: str, *, reply: Reply,
                       partnership_channel: str | None = None) -> None:
        assert reply.audience is Audience.PERSONAL
        self.take(f"@{user_id}", reply)

    def send_to_channel(self, workspace: str, channel: str, *, reply: Reply) -> None:
        assert reply.audience is Audience.CHANNEL
        self.take(f"#{channel}", reply)

    def take(self, recipient: str, reply: Reply) -> None:
        if recipient in self.meanwhile:
            self.meanwhile.pop(recipient)()
        if recipient in self.killing:
            raise Killed()
        if recipient in self.failing:
            raise ConnectionError("the chat platform is down")
        self.messages.append((recipient, reply.plain()))

    def to(self, recipient: str, about: str = "") -> list[str]:
        """Messages a recipient got, or only those mentioning `about`."""
        return [text for who, text in self.messages if who == recipient and about in text]

    def take_all(self) -> list[tuple[str, str]]:
        taken, self.messages = self.messages, []
        return taken


def sweep(chat: Chat, inbox: Inbox, sessions: sessionmaker[Session] | None = None,
          worker: str | None = None) -> SweepReport:
    return scheduler.sweep(sessions or chat.sessions, inbox, "console", now=chat.now, worker=worker)


def ledger(chat: Chat) -> list[Nudge]:
    with chat.sessions() as session:
        return list(session.scalars(select(Nudge).order_by(Nudge.id)))


def at(chat: Chat, when: str) -> None:
    """Move the clock forward to an ISO moment (UTC)."""
    moment = datetime.fromisoformat(when).replace(tzinfo=chat.now.tzinfo)
    assert moment >= chat.now, "the clock only moves forward"
    chat.now = moment


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


# Commitments: due soon and overdue to the owner, long overdue to the coordinators.

def test_due_soon_reaches_the_owner_once(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday effort:3h')  # Fri 27 Nov
    sweep(town, inbox)
    assert inbox.take_all() == [], "just logged, due in three days: nobody is reminded yet"

    at(town, "2026-11-26T10:00")
    sweep(town, inbox)
    [(who, text)] = inbox.take_all()
    assert who == "@bob"
    assert "#1 Deliver 500 leaflets is due Fri 27 Nov" in text and "`done 1`" in text

    town.advance(hours=2)
    sweep(town, inbox)
    assert inbox.take_all() == []


def test_overdue_to_owner_then_escalated_to_coordinators(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    at(town, "2026-11-28T10:00")  # the day after it was due
    sweep(town, inbox)
    [(who, text)] = inbox.take_all()
    assert who == "@bob" and "#1 Deliver 500 leaflets was due Fri 27 Nov" in text

    at(town, "2026-11-30T09:00")  # not yet three whole days past the end of its day: not for the coordinators
    sweep(town, inbox)
    assert [who for who, _ in inbox.take_all() if who.startswith("@")] == []

    at(town, "2026-12-01T10:00")
    sweep(town, inbox)
    personal = [(who, text) for who, text in inbox.take_all() if who.startswith("@")]
    assert [who for who, _ in personal] == ["@alice"]
    # Counted as `overdue` counts it (the nudge said one day fewer: whole days since 23:59:59).
    assert "#1 Deliver 500 leaflets, held by Bob (Chamber of Trade), is 4 days overdue" in personal[0][1]
    assert "due Fri 27 Nov (4 days overdue)" in town.ok("alice", "overdue")


def test_done_commitments_are_not_chased(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("bob", "done 1")
    at(town, "2026-12-02T10:00")
    sweep(town, inbox)
    assert [who for who, _ in inbox.messages if who.startswith("@")] == []


def test_a_nudge_missed_while_down_goes_out_once(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    sweep(town, inbox)
    at(town, "2026-12-03T10:00")  # down for a week: every sweep in between was missed
    sweep(town, inbox)
    bob = inbox.to("@bob")
    assert len(bob) == 1
    assert "was due Fri 27 Nov" in bob[0] and "is due" not in bob[0], "the stale 'due soon' is not sent late"
    assert len(inbox.to("@alice")) == 1
    inbox.take_all()
    for _ in range(3):
        town.advance(minutes=5)
        sweep(town, inbox)
    assert inbox.messages == []


# Batching, daily cap, quiet hours.

def test_one_person_gets_one_message_per_sweep(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("bob", 'commit "Print the posters" by:thursday')
    town.ok("bob", 'commit "Paint the signs" by:friday effort:20h')  # far over his 4h a week
    at(town, "2026-11-28T10:00")
    sweep(town, inbox)
    [message] = inbox.to("@bob")
    assert "#1 Deliver 500 leaflets was due" in message
    assert "#2 Print the posters was due" in message
    assert "#3 Paint the signs was due" in message
    assert "You're carrying a lot in Riverside Partnership" in message
    assert message.startswith("Reminders from partnerbot\nRiverside Partnership")


def test_daily_cap_defers_without_dropping(town: Chat, inbox: Inbox) -> None:
    town.ok("alice", "nudge set daily_cap:1 max_open:1")
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    at(town, "2026-11-28T10:00")
    sweep(town, inbox)
    assert len(inbox.to("@bob")) == 1

    town.ok("alice", 'commit @bob "Book the hall" by:2026-12-20')  # two open: over max_open
    town.advance(hours=2)
    report = sweep(town, inbox)
    assert len(inbox.to("@bob")) == 1, "one message a day, as set"
    assert report.deferred == 1
    waiting = [n for n in ledger(town) if n.kind == "overload-note"]
    assert len(waiting) == 1 and waiting[0].sent_at is None

    at(town, "2026-11-29T09:00")  # a new day in bob's zone
    sweep(town, inbox)
    bob = inbox.to("@bob")
    assert len(bob) == 2 and "You're carrying a lot" in bob[1]


def test_quiet_hours_follow_each_persons_time_zone(town: Chat, inbox: Inbox) -> None:
    town.ok("carol", "tz Asia/Tokyo")
    town.ok("carol", 'commit "Recruit litter pickers" by:2026-11-26')
    town.ok("bob", 'commit "Deliver 500 leaflets" by:2026-11-26')
    at(town, "2026-11-27T13:00")  # 13:00 for bob, 22:00 for carol
    report = sweep(town, inbox)
    assert len(inbox.to("@bob")) == 1
    assert inbox.to("@carol") == []
    assert report.deferred == 1

    at(town, "2026-11-27T22:30")  # 22:30 for bob (quiet), 07:30 for carol (still quiet)
    sweep(town, inbox)
    assert inbox.to("@carol") == []

    at(town, "2026-11-27T23:30")  # 08:30 on Saturday for carol
    sweep(town, inbox)
    [message] = inbox.to("@carol")
    assert "#1 Recruit litter pickers was due Thu 26 Nov" in message
    assert len(inbox.to("@bob")) == 1


def test_a_deferred_nudge_that_stops_being_true_is_never_sent(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    at(town, "2026-11-28T23:00")  # overdue, but quiet hours for bob
    sweep(town, inbox)
    assert [n.kind for n in ledger(town)] == ["overdue"]
    town.ok("bob", "done 1")
    at(town, "2026-11-29T09:00")
    report = sweep(town, inbox)
    assert inbox.to("@bob") == []
    [cancelled] = ledger(town)
    assert cancelled.sent_at is None and cancelled.cancelled_at == town.now
    assert cancelled.cancel_reason == "#1 Deliver 500 leaflets was marked done"
    assert report.cancelled == ["overdue"]


# Snoozing a commitment's reminders.

def test_snooze_holds_reminders_until_it_ends(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    at(town, "2026-11-26T10:00")
    out = town.ok("bob", "snooze 1 3")
    assert "until Sun 29 Nov" in out
    sweep(town, inbox)
    at(town, "2026-11-28T10:00")
    sweep(town, inbox)
    assert inbox.to("@bob") == []

    at(town, "2026-11-29T10:00")
    sweep(town, inbox)
    [message] = inbox.to("@bob")
    assert "was due Fri 27 Nov" in message


def test_an_owners_snooze_does_not_hide_it_from_coordinators_but_a_coordinators_does(
        town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("carol", 'commit "Recruit litter pickers" by:friday')
    at(town, "2026-11-30T10:00")
    town.ok("bob", "snooze 1 5")
    town.ok("alice", "snooze 2 5")
    at(town, "2026-12-01T10:00")
    sweep(town, inbox)
    [message] = inbox.to("@alice")
    assert "#1 Deliver 500 leaflets" in message
    assert "#2" not in message
    assert inbox.to("@bob") == [] and inbox.to("@carol") == []


def test_snooze_off_brings_reminders_back(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    at(town, "2026-11-28T10:00")
    town.ok("bob", "snooze 1 monday")
    sweep(town, inbox)
    assert inbox.to("@bob") == []
    assert "back on" in town.ok("bob", "snooze 1 off")
    sweep(town, inbox)
    assert len(inbox.to("@bob")) == 1


def test_bad_snoozes_are_refused_and_change_nothing(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("bob", 'commit "Print posters" by:friday')
    town.ok("bob", "done 2")
    before = snapshot(town.sessions)
    assert "only they or a coordinator" in town.refused("carol", "snooze 1 3")
    assert "at most 60 days" in town.refused("bob", "snooze 1 90")
    assert "is today: snooze until a day still to come" in town.refused("bob", "snooze 1 today")
    assert "can't read" in town.refused("bob", "snooze 1 someday-ish")
    assert "#2 was already marked done by Bob" in town.refused("bob", "snooze 2 3")
    assert "no commitment #9" in town.refused("bob", "snooze 9 3")
    assert "isn't snoozed" in town.refused("bob", "snooze 1 off")
    assert "Say for how long" in town.refused("bob", "snooze 1")
    assert snapshot(town.sessions) == before


def test_a_snooze_to_a_past_date_says_it_has_passed(town: Chat) -> None:
    """`snooze 14 2020-01-01` said "at least a day, up to 60"."""
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    refuse(town, "bob", "snooze 1 2020-01-01", "Wed 1 Jan 2020 has passed: snooze until a day still to come",
           "`snooze 1 tomorrow`")
    refuse(town, "bob", "snooze 1 today", "Tue 24 Nov is today: snooze until a day still to come")


# Settings.

def test_coordinators_change_thresholds_and_they_take_effect(town: Chat, inbox: Inbox) -> None:
    out = town.ok("alice", "nudge set due_soon_days:5 quiet_start:22:30 quiet_end:7")
    assert "due_soon_days: 5" in out and "quiet_start: 22:30" in out and "quiet_end: 07:00" in out
    shown = town.ok("bob", "nudge settings")
    assert "due_soon_days: 5 (default 2)" in shown and "daily_cap: 3 —" in shown

    town.ok("bob", 'commit "Book the hall" by:2026-11-29')
    town.advance(days=1)  # due in four days: inside five
    sweep(town, inbox)
    assert "#1 Book the hall is due Sun 29 Nov" in inbox.to("@bob")[0]

    town.ok("alice", "nudge set due_soon_days:default")
    assert "due_soon_days: 2 —" in town.ok("alice", "nudge settings")


def test_bad_settings_are_refused_and_change_nothing(town: Chat) -> None:
    before = snapshot(town.sessions)
    assert "Only coordinators" in town.refused("bob", "nudge set daily_cap:2")
    assert "from 1 to 24" in town.refused("alice", "nudge set daily_cap:0")
    assert "from 1 to 24" in town.refused("alice", "nudge set daily_cap:lots")
    assert "time of day" in town.refused("alice", "nudge set quiet_start:25:00")
    assert "`snooze_days` isn't a nudge setting" in town.refused("alice", "nudge set snooze_days:3")
    assert "isn't an option" in town.refused("alice", "nudge set snooze:3")
    assert "Say what to change" in town.refused("alice", "nudge set")
    assert snapshot(town.sessions) == before


# Overload, concerns, key people.

def test_overload_kind_note_to_volunteer_and_helpers_to_coordinator(town: Chat, inbox: Inbox) -> None:
    town.ok("carol", 'flex time "Two extra evenings a month"')
    town.ok("dev", 'join org:"Youth Club" sector:community capacity:5h volunteer')
    town.ok("bob", 'commit "Paint the signs" by:friday effort:12h')
    sweep(town, inbox)
    [note] = inbox.to("@bob")
    assert "You're carrying a lot in Riverside Partnership just now (~12h/week against 4h capacity)" in note
    assert "not that you're falling short" in note
    [alert] = inbox.to("@alice")
    assert "Bob (Chamber of Trade), a volunteer, has more than they can carry" in alert
    assert ("spare capacity: Alice (~6h/week free), Carol (~3h/week free), Dev (~5h/week free)" in alert
            and "offered more time: Carol" in alert)
    assert inbox.to("@carol") == [] and inbox.to("@dev") == []

    town.advance(days=1)
    sweep(town, inbox)
    assert len(inbox.to("@bob", "carrying a lot")) == 1, "once per episode while it stays the same"
    town.ok("bob", 'commit "Frame the signs" by:friday effort:2h')  # 2h more
    sweep(town, inbox)
    worse = inbox.to("@bob", "carrying a lot")
    assert len(worse) == 2 and "~14h/week" in worse[1], "again when it gets worse"
    assert "Since the note of Tue 24 Nov: 1 → 2 open, 12h → 14h left, ~12h → ~14h a week." in worse[1]
    [again] = inbox.to("@alice", "1 → 2 open")
    assert "has more than they can carry (~14h/week against 4h capacity). Since the note of Tue 24 Nov: 1 → 2 open" in again
    town.advance(days=1)
    sweep(town, inbox)
    assert len(inbox.to("@bob", "carrying a lot")) == 2, "nothing changed: not told again"


def test_an_overload_is_not_told_again_as_days_pass_with_nothing_changed(town: Chat, inbox: Inbox) -> None:
    """The defect: an overload note repeated two days later with the same figure and no word of
    what changed. Days passing (and a week turning) change nothing that was said."""
    town.ok("bob", 'commit "Paint the signs" by:2026-12-22 effort:40h')  # 28 days: 10h a week against 4h
    sweep(town, inbox)
    assert len(inbox.to("@alice", "has more than they can carry (~10h/week")) == 1
    for day in ("2026-11-26", "2026-11-30", "2026-12-02"):  # Thursday, the next Monday, Wednesday
        at(town, f"{day}T10:00")
        sweep(town, inbox)
    assert len(inbox.to("@alice", "has more than they can carry")) == 1
    assert len(inbox.to("@bob", "carrying a lot")) == 1


def test_who_could_help_offers_only_work_that_lightens_this_week(town: Chat, inbox: Inbox) -> None:
    """The defect: with Bob over capacity, the nudge and `health` advised handing Carol #3, which
    cannot start before December and so counted 0h in his week: done as advised, Bob stayed as
    overloaded. Only work that counts this week is offered, or nothing when none of it fits."""
    town.ok("bob", 'commit "Deliver leaflets" by:2026-11-27 effort:3h')  # 1: 3h this week
    town.ok("bob", 'commit "Survey" by:2026-12-15 effort:10h')  # 2: 10h over 21 days, 3.3h this week
    town.ok("bob", 'commit "Fair stall" by:2026-12-31 effort:6h from:2026-12-07')  # 3: nothing this week
    town.ok("alice", 'commit "Budget" by:2026-11-27 effort:5h')  # 4: Alice has 1h free
    town.ok("carol", 'commit "Book hall" by:2026-11-27 effort:1h')  # 5: Carol has 2h free
    sweep(town, inbox)
    [alert] = inbox.to("@alice", "more than they can carry")
    assert "(~6.3h/week against 4h capacity)" in alert
    assert "would fit" not in alert and "reassign" not in alert and "reassign" not in inbox.to("@bob")[0]
    shown = town.ok("alice", "health").split("Over capacity\n", 1)[1]
    assert "reassign" not in shown
    assert ("Nobody has room for it without going over: move a date (`edit 2 by:...`) or find someone new to "
            "take part.") in shown

    town.advance(hours=1)
    town.ok("bob", 'commit "Ring round" by:2026-11-27 effort:1.5h')  # 6: 1.5h this week, fits Carol's 2h
    sweep(town, inbox)
    advice = "#6 Ring round would fit Carol's spare time: `reassign 6 @carol`."
    assert advice in inbox.to("@alice", "more than they can carry")[1]
    assert advice in inbox.to("@bob", "carrying a lot")[1]
    assert "Hand something on: `reassign 6 @carol` (Carol has room)." in town.ok("alice", "health")
    town.ok("bob", "reassign 6 @carol")
    town.ok("carol", "accept 6")
    assert "~6.3h/week of 4h capacity" in town.ok("alice", "load @bob"), "following the advice lightened his week"


def test_too_many_open_commitments_counts_as_overload(town: Chat, inbox: Inbox) -> None:
    town.ok("alice", "nudge set max_open:2")
    for title in ("Leaflets", "Posters", "Signs"):
        town.ok("bob", f'commit "{title}" by:2026-12-20')
    sweep(town, inbox)
    assert "(3 open commitments)" in inbox.to("@bob")[0]


def test_a_concern_left_open_too_long_reaches_coordinators(town: Chat, inbox: Inbox) -> None:
    town.ok("alice", "nudge set concern_stale_days:7")
    town.ok("bob", 'concern "The market budget favours the council" kind:priorities severity:high')
    town.advance(days=6)
    sweep(town, inbox)
    assert inbox.to("@alice") == []
    town.advance(days=1)
    sweep(town, inbox)
    [message] = inbox.to("@alice")
    assert "Concern #1 The market budget favours the council (high) has been open 7 days" in message
    town.advance(days=1)
    sweep(town, inbox)
    assert len(inbox.to("@alice")) == 1
    town.advance(days=6)  # a second stale period: reminded again
    sweep(town, inbox)
    assert len(inbox.to("@alice", "Concern #1")) == 2
    town.ok("alice", 'resolve 1 "Split 50/50"')
    town.advance(days=7)
    sweep(town, inbox)
    assert len(inbox.to("@alice", "Concern #1")) == 2
    assert inbox.to("@bob") == []


def test_key_person_dependency(town: Chat, inbox: Inbox) -> None:
    for title in ("Leaflets", "Posters", "Signs"):
        town.ok("bob", f'commit "{title}" by:2026-12-20')
    town.ok("carol", 'commit "Litter pick" by:2026-12-20')
    sweep(town, inbox)
    [message] = inbox.to("@alice")
    assert "Bob (Chamber of Trade) holds 3 of the 4 open commitments in Riverside Partnership (75%)" in message


def test_a_key_person_is_told_again_only_when_they_hold_more_not_when_the_month_turns(town: Chat, inbox: Inbox) -> None:
    """The defect: "gwen holds 4 of the 7" went out on 30 Nov and again on 1 Dec, the month having changed."""
    town.ok("alice", "successor coordinator @carol")
    for title in ("Leaflets", "Posters", "Signs", "Stalls"):
        town.ok("bob", f'commit "{title}" by:2026-12-20')
    for title in ("Litter pick", "Bunting", "Raffle"):
        town.ok("carol", f'commit "{title}" by:2026-12-20')
    at(town, "2026-11-30T10:00")
    sweep(town, inbox)
    assert len(inbox.to("@alice", "holds 4 of the 7")) == 1
    at(town, "2026-12-01T10:00")
    sweep(town, inbox)
    assert len(inbox.to("@alice", "holds")) == 1, "a new month is not news"
    town.ok("carol", "done 5")  # 4 of 6: a bigger share, but no more held
    sweep(town, inbox)
    assert len(inbox.to("@alice", "holds")) == 1
    town.ok("bob", 'commit "Bunting" by:2026-12-20 again')  # 5 of 7
    sweep(town, inbox)
    [again] = inbox.to("@alice", "holds 5 of the 7")
    assert "(71%). On Mon 30 Nov it was 4 of 7." in again
    for n in (1, 2, 3, 4):
        town.ok("bob", f"done {n}")  # 1 of 3: no longer a key person, the episode ends
    sweep(town, inbox)
    town.advance(days=1)  # within Alice's daily cap
    for title in ("Gazebo", "Tables"):
        town.ok("bob", f'commit "{title}" by:2026-12-20')  # 3 of 5: a new episode, told afresh
    sweep(town, inbox)
    [fresh] = inbox.to("@alice", "holds 3 of the 5")
    assert "it was" not in fresh


def test_the_owner_is_asked_once_how_far_along_work_is_when_a_judgement_hangs_on_it(town: Chat, inbox: Inbox) -> None:
    """Rather than guess at progress nobody reported, the bot asks its owner, once."""
    town.ok("bob", 'commit "Paint the signs" by:friday effort:6h')  # 6h before Friday: more than Bob's 4h a week
    town.ok("carol", 'commit "Ring round" by:friday effort:1h')  # nothing hangs on this one
    sweep(town, inbox)
    assert inbox.to("@bob", "How far along") == [], "just logged: its owner knows where it stands"
    town.advance(days=1)
    sweep(town, inbox)
    [asked] = inbox.to("@bob", "How far along")
    assert ("How far along is #1 Paint the signs, due Fri 27 Nov? Nothing is said of it yet, so `load` counts all 6h "
            "as still to do, more than you could give by then. Say it with `progress 1 50%` (or `left 1 3h`); "
            "`done 1` if it is finished.") in asked
    assert inbox.to("@carol", "How far along") == []
    town.advance(hours=2)
    sweep(town, inbox)
    assert len(inbox.to("@bob", "How far along")) == 1, "asked once"
    town.ok("bob", 'commit "Frame the signs" by:friday effort:5h')
    town.advance(days=1)
    with town.sessions() as session:
        bob = session.scalars(select(Person.id).where(Person.user_id == "bob")).one()
        asks = [Waiting(n, 1, "progress-ask", "", bob, None, None, f"progress-ask:c{c}:p{bob}") for n, c in ((1, 1), (2, 3))]
        assert nudges.still_true(session, asks, town.now) == {}
    town.ok("bob", "progress 1 50%")
    town.ok("alice", "reassign 3 @carol")
    with town.sessions() as session:
        assert {n: v.reason for n, v in nudges.still_true(session, asks, town.now).items()} == {
            1: "progress on #1 has been said since", 2: "#3 is Carol's now, asked to accept it"}
    sweep(town, inbox)
    assert len(inbox.to("@bob", "How far along")) == 1


def test_a_lone_coordinator_is_told_to_name_a_second(town: Chat, inbox: Inbox) -> None:
    town.advance(days=13)
    sweep(town, inbox)
    assert inbox.to("@alice") == [], "a new partnership is given time to settle in"
    town.advance(days=1)
    sweep(town, inbox)
    [message] = inbox.to("@alice")
    assert "You are the only coordinator of Riverside Partnership" in message
    at(town, "2027-01-04T10:00")  # a month and a year turn: the same situation, not told again
    sweep(town, inbox)
    assert len(inbox.to("@alice", "only coordinator")) == 1
    town.ok("alice", "member role @bob coordinator")
    town.ok("alice", "successor coordinator @carol")  # else the missing successor is flagged (test_succession)
    town.advance(days=40)
    sweep(town, inbox)
    assert len(inbox.to("@alice", "only coordinator")) == 1


# The channel: reviews, end dates, the weekly digest.

def test_review_soon_to_channel_and_overdue_to_coordinators(town: Chat, inbox: Inbox) -> None:
    town.ok("alice", "partnership edit review:monthly")  # next review Thu 24 Dec
    at(town, "2026-12-17T10:00")
    sweep(town, inbox)
    [message] = inbox.to("#general")
    assert "Riverside Partnership's monthly review is due Thu 24 Dec" in message
    at(town, "2026-12-25T10:00")
    sweep(town, inbox)
    [late] = inbox.to("@alice", "review")
    assert "review was due Thu 24 Dec" in late and "`partnership edit review:monthly`" in late
    town.ok("alice", "partnership edit review:monthly")
    town.advance(days=1)
    sweep(town, inbox)
    assert len(inbox.to("@alice", "review")) == 1


def test_a_project_nearing_its_end_plans_its_wrap_up(chat: Chat, inbox: Inbox) -> None:
    chat.ok("alice", 'setup "Market Square Project" kind:project end:2027-01-31')
    at(chat, "2026-12-31T10:00")
    sweep(chat, inbox)
    assert inbox.to("#general", "wrap-up") == []
    at(chat, "2027-01-01T10:00")
    sweep(chat, inbox)
    [message] = inbox.to("#general", "wrap-up")
    assert "Market Square Project ends Sun 31 Jan (30 days from now). Time to plan the wrap-up: agree" in message
    assert message.endswith("After its end date it is read-only, unless a coordinator gives it a new one.")


def test_weekly_digest_in_the_channel(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("carol", 'commit "Book the hall" by:2026-12-03')
    town.ok("bob", 'priority "Saturday footfall"')
    town.ok("bob", 'concern "Meetings clash with school pick-up" kind:time')
    town.ok("bob", "done 1")
    sweep(town, inbox)
    assert inbox.to("#general") == [], "no digest in the week a partnership starts"
    at(town, "2026-11-30T10:00")
    sweep(town, inbox)
    [digest] = inbox.to("#general")
    assert "The week in Riverside Partnership:" in digest
    assert "Done (1): #1 Deliver 500 leaflets (Bob)" in digest
    assert "Due in the next 7 days (1): #2 Book the hall (Carol, Thu 3 Dec)" in digest
    assert "Open concerns (1): #1 Meetings clash with school pick-up" in digest
    assert 'Priorities stated or changed: Bob: "Saturday footfall"' in digest
    assert "Next review: Wed 24 Feb 2027" in digest
    at(town, "2026-12-06T20:00")
    sweep(town, inbox)
    assert len(inbox.to("#general")) == 1, "one a week"


def test_the_digest_lists_overdue_work_once_under_its_own_heading(town: Chat, inbox: Inbox) -> None:
    """Overdue work is not "due in the next 7 days": it has its own line, named and counted once."""
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')  # Fri 27 Nov: overdue by Monday
    town.ok("carol", 'commit "Book the hall" by:2026-12-03')
    at(town, "2026-11-30T10:00")
    sweep(town, inbox)
    [digest] = inbox.to("#general")
    assert "Due in the next 7 days (1): #2 Book the hall (Carol, Thu 3 Dec)\n" in digest
    assert "Overdue (1): #1 Deliver 500 leaflets (Bob, due Fri 27 Nov)" in digest
    assert digest.count("Deliver 500 leaflets") == 1


def test_the_digest_says_an_overdue_review_is_overdue(town: Chat, inbox: Inbox) -> None:
    town.ok("alice", "partnership edit review:monthly")  # next review Thu 24 Dec
    at(town, "2026-12-28T10:00")  # the Monday after
    sweep(town, inbox)
    [digest] = inbox.to("#general", "The week in")
    assert "Review overdue since Thu 24 Dec: a coordinator opens it with `review start`" in digest
    assert "Next review" not in digest
    town.ok("alice", "review start")
    at(town, "2027-01-04T10:00")
    sweep(town, inbox)
    assert "Review under way (it was due Thu 24 Dec 2026)" in inbox.to("#general", "The week in")[-1]


def test_the_digest_shows_a_due_date_as_its_owner_set_it(town: Chat, inbox: Inbox) -> None:
    """A due date is the end of the owner's day: in New York that is the next morning in UTC,
    and the digest must still say the day the owner typed."""
    town.ok("carol", "tz America/New_York")
    town.ok("carol", 'commit "Book the hall" by:2026-12-03')
    at(town, "2026-11-30T10:00")
    sweep(town, inbox)
    [digest] = inbox.to("#general")
    assert "#1 Book the hall (Carol, Thu 3 Dec)" in digest
    at(town, "2026-12-07T08:00")
    sweep(town, inbox)
    assert len(inbox.to("#general")) == 2


# Failures and restarts.

def test_a_failed_send_is_retried_later_and_not_marked_sent(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("carol", 'commit "Book the hall" by:friday')
    at(town, "2026-11-28T10:00")
    inbox.failing.add("@bob")
    report = sweep(town, inbox)
    assert report.failed == 1
    assert inbox.to("@bob") == [] and len(inbox.to("@carol")) == 1
    [bobs] = [n for n in ledger(town) if n.person and n.person.user_id == "bob"]
    assert bobs.sent_at is None and bobs.attempts == 1 and "platform is down" in (bobs.last_error or "")
    assert bobs.claimed_by is None

    inbox.failing.clear()
    town.advance(minutes=5)
    sweep(town, inbox)
    assert len(inbox.to("@bob")) == 1 and len(inbox.to("@carol")) == 1
    assert all(n.sent_at is not None for n in ledger(town))
    town.advance(minutes=5)
    sweep(town, inbox)
    assert len(inbox.to("@bob")) == 1


def test_failures_back_off_and_are_retried_until_sent(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    at(town, "2026-11-28T10:00")
    inbox.failing.add("@bob")
    sweep(town, inbox)  # attempt 1; next try in a minute
    town.advance(minutes=1)
    sweep(town, inbox)  # attempt 2; next try in two minutes
    town.advance(minutes=1)
    assert sweep(town, inbox).failed == 0, "still waiting"
    town.advance(minutes=1)
    assert sweep(town, inbox).failed == 1
    [nudge] = ledger(town)
    assert nudge.attempts == 3 and nudge.sent_at is None
    inbox.failing.clear()
    town.advance(hours=1)
    sweep(town, inbox)
    assert len(inbox.to("@bob")) == 1
    [nudge] = ledger(town)
    assert nudge.sent_at == town.now


def test_a_sweep_that_loses_its_lease_during_a_slow_delivery_does_not_send_twice(
        town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("carol", 'commit "Book the hall" by:friday')
    at(town, "2026-11-28T10:00")
    later = town.now + scheduler.LEASE + timedelta(minutes=1)

    def another_sweeper_after_the_lease_ran_out() -> None:
        scheduler.sweep(town.sessions, inbox, "console", now=later, worker="other")

    # Delivering to bob takes so long that the first sweeper's leases run out meanwhile,
    # and another sweeper sends carol's (and bob's) message; the first must not send again.
    inbox.meanwhile["@bob"] = another_sweeper_after_the_lease_ran_out
    sweep(town, inbox, worker="slow")
    assert len(inbox.to("@carol")) == 1
    assert len(inbox.to("@bob")) == 2, "bob's send was already under way when the lease ran out"
    assert all(n.sent_at is not None for n in ledger(town))


def test_a_sweep_killed_between_claim_and_mark_loses_nothing(town: Chat, inbox: Inbox, engine: Engine) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    at(town, "2026-11-28T10:00")
    inbox.killing.add("@bob")
    with pytest.raises(Killed):
        sweep(town, inbox, worker="dead-process")
    [held] = ledger(town)
    assert held.sent_at is None and held.claimed_by == "dead-process"

    # A new process, with its own connections, starts while the dead one's lease is live...
    inbox.killing.clear()
    restarted = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        fresh = session_factory(restarted)
        sweep(town, inbox, fresh)
        assert inbox.to("@bob") == [], "a live lease is respected"
        # ...and once the lease runs out, delivers it, once.
        town.advance(minutes=6)
        sweep(town, inbox, fresh)
        town.advance(minutes=5)
        sweep(town, inbox, fresh)
    finally:
        restarted.dispose()
    assert len(inbox.to("@bob")) == 1
    [done] = ledger(town)
    assert done.sent_at == town.now - timedelta(minutes=5)


def test_nothing_lives_in_memory_a_restart_sends_whats_owed(town: Chat, inbox: Inbox, engine: Engine) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    at(town, "2026-11-28T23:00")  # owed, but bob's quiet hours: recorded, not sent
    sweep(town, inbox)
    assert [n.kind for n in ledger(town)] == ["overdue"]
    restarted = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        at(town, "2026-11-29T09:00")
        sweep(town, inbox, session_factory(restarted))
    finally:
        restarted.dispose()
    assert len(inbox.to("@bob")) == 1


def test_the_dry_run_shows_who_gets_what_and_changes_nothing(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("carol", "tz Asia/Tokyo")
    town.ok("carol", 'commit "Book the hall" by:friday')
    at(town, "2026-11-28T13:00")
    before = snapshot(town.sessions)
    batches = {b.recipient: b for b in scheduler.preview(town.sessions, town.now)[0]}
    assert snapshot(town.sessions) == before
    assert [n.kind for n in batches["@Bob"].now] == ["overdue"]
    assert batches["@Carol"].now == []
    [(waiting, why)] = batches["@Carol"].later
    assert "Book the hall" in waiting.text and why == "quiet hours until 08:00 their time"
