"""Recurring work as its users found it: one open occurrence at a time, occurrences moved on
their own, a missed one called missed, and refusals whose suggestions work when typed."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from storage.models import Commitment, CommitmentStatus, Event, Snooze
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse
from tests.test_nudges import Inbox, sweep
from tests.test_races import at_once

OPEN, DONE, MISSED = CommitmentStatus.OPEN, CommitmentStatus.DONE, CommitmentStatus.DROPPED


def suggested(refusal: str, start: str) -> str:
    """The command a refusal suggests, the one between backticks starting `start`."""
    found = re.search(rf"`({re.escape(start)}[^`]*)`", refusal)
    assert found, f"no `{start}...` suggested in {refusal!r}"
    return found[1]


def test_a_from_after_the_due_date_suggests_a_start_that_works(town: Chat) -> None:
    """On a Friday, `from:monday` was suggested for work due that Friday, and refused the same way."""
    town.advance(days=3)  # Friday 27 Nov
    refusal = refuse(town, "bob", 'commit "Weekly litter" every:friday from:monday effort:1h',
                     "from:Mon 30 Nov is after the due date (Fri 27 Nov)")
    start = suggested(refusal, "from:")
    assert start == "from:today"
    assert "Weekly litter" in town.ok("bob", f'commit "Weekly litter" every:friday {start} effort:1h')
    refusal = refuse(town, "bob", 'commit "One-off" by:today from:monday', "is after the due date")
    assert "One-off" in town.ok("bob", f'commit "One-off" by:today {suggested(refusal, "from:")}')


def test_a_start_suggested_for_overdue_work_is_its_due_day(town: Chat) -> None:
    town.ok("bob", 'commit "Sweep the bandstand" by:friday')
    town.advance(days=10)  # Friday's gone: `from:today` would be after it too
    refusal = refuse(town, "bob", "edit 1 from:monday", "is after the due date (Fri 27 Nov)")
    start = suggested(refusal, "from:")
    assert start == "from:2026-11-27"
    assert "from " in town.ok("bob", f"edit 1 {start}")


# One open occurrence at a time


def occurrences(chat: Chat) -> list[tuple[int, CommitmentStatus, bool]]:
    """Each commitment's number, status and whether it is still in a series."""
    return [(c.number, c.status, c.series_id is not None) for c in all_of(chat.sessions, Commitment)]


def warm_space(chat: Chat) -> None:
    """Carol's warm space every Tuesday, done once (#1), so #2 is due Tue 1 Dec."""
    chat.ok("carol", 'commit "Open the warm space" every:tuesday until:2027-03-31 effort:2h')
    assert "Next: #2" in chat.ok("carol", "done 1")


def test_a_past_occurrence_reopened_and_done_makes_no_second_open_one(town: Chat) -> None:
    """`done` of a reopened #1 made #3 beside the open #2, with #1's title and effort."""
    warm_space(town)
    out = town.ok("carol", 'reopen 1 "not yet"')
    assert "It no longer repeats: its series goes on with #2, so closing this one makes no new occurrence." in out
    refuse(town, "carol", 'drop 1 "closed" series', "doesn't repeat")
    out = town.ok("carol", 'done 1 "late but done"')
    assert "Next:" not in out
    assert occurrences(town) == [(1, DONE, False), (2, OPEN, True)]


def test_a_missed_occurrence_reopened_is_late_work_the_sweep_leaves_open(town: Chat) -> None:
    warm_space(town)
    town.advance(days=8)  # Wednesday 2 Dec: #2 missed, #3 made
    sweep(town, Inbox())
    town.ok("carol", 'reopen 2 "We did open; nobody said"')
    town.advance(days=1)
    sweep(town, Inbox())
    assert occurrences(town) == [(1, DONE, True), (2, OPEN, False), (3, OPEN, True)], "not missed again, nothing new"
    assert "Next:" not in town.ok("carol", "done 2")
    assert occurrences(town)[-1] == (3, OPEN, True)


def test_missed_says_the_series_ended_only_when_it_has(town: Chat) -> None:
    """The old `done` of a reopened occurrence left the next one made already; the sweep then
    said "the series has ended" of a series going on."""
    warm_space(town)
    with town.sessions.begin() as session:  # #3, as the old `done 1` of a reopened #1 made it
        two = session.get_one(Commitment, 2)
        session.add(Commitment(partnership_id=two.partnership_id, number=3, owner_id=two.owner_id, title=two.title,
                               due_at=datetime(2026, 12, 8, 23, 59, 59, tzinfo=UTC), created_at=town.now,
                               series_id=two.series_id))
    town.advance(days=8)
    sweep(town, Inbox())
    missed = [e.summary for e in all_of(town.sessions, Event) if e.action == "missed"]
    assert missed == ["marked #2 Open the warm space missed"]
    town.ok("carol", 'commit "Sweep the bandstand" every:wednesday until:2026-12-08')
    town.advance(days=1)
    sweep(town, Inbox())
    missed = [e.summary for e in all_of(town.sessions, Event) if e.action == "missed"]
    assert missed[-1] == "marked #4 Sweep the bandstand missed; the series has ended"


def test_reopening_a_past_occurrence_and_closing_the_current_one_at_once_leave_one_open_in_the_series(
        town: Chat) -> None:
    warm_space(town)
    town.ok("carol", 'done 2 "Eight came"')  # #3 due Tue 8 Dec
    replies = at_once(town, ("carol", 'reopen 2 "Only half the evening"'), ("alice", 'done 3 "Ten came"'))
    assert not any(r.error for r in replies), [r.plain() for r in replies]
    assert occurrences(town) == [(1, DONE, True), (2, OPEN, False), (3, DONE, True), (4, OPEN, True)]


# One occurrence moved


def test_moving_one_occurrence_moves_it_alone_and_the_next_keeps_the_rules_day(town: Chat) -> None:
    """`edit 1 by:thursday` moved the whole series to Thursdays while `who` said every Tuesday."""
    town.ok("carol", 'commit "Open the warm space" every:tuesday until:2026-12-10 effort:2h')
    out = town.ok("carol", "edit 1 by:thursday")
    assert out == ("Changed #1 Open the warm space: due Tue 24 Nov → Thu 26 Nov. Only this occurrence moves: "
                   "the series still repeats every Tuesday until Thu 10 Dec.")
    assert "due Thu 26 Nov (in 2 days) · 2h · repeats every Tuesday" in town.ok("carol", "who warm")
    assert "Next: #2 Open the warm space, due Tue 1 Dec" in town.ok("carol", "done 1")


def test_moving_an_occurrence_past_until_does_not_end_the_series(town: Chat) -> None:
    town.ok("carol", 'commit "Open the warm space" every:tuesday until:2026-12-10 effort:2h')
    assert "the series still repeats every Tuesday until Thu 10 Dec" in town.ok("carol", "edit 1 by:2026-12-12")
    assert "Next: #2 Open the warm space, due Tue 1 Dec" in town.ok("carol", "done 1")
    town.ok("carol", "edit 2 by:2026-12-03")
    town.advance(days=10)  # Friday 4 Dec: #2's new day passed, missed; #3 on the rule's Tuesday
    sweep(town, Inbox())
    assert [(c.number, c.status, c.due_at.date()) for c in all_of(town.sessions, Commitment)][1:] == [
        (2, MISSED, datetime(2026, 12, 3).date()), (3, OPEN, datetime(2026, 12, 8).date())]


def test_two_moves_of_one_occurrence_at_once_keep_the_rules_day(town: Chat) -> None:
    town.ok("carol", 'commit "Open the warm space" every:tuesday effort:2h')
    at_once(town, ("carol", "edit 1 by:thursday"), ("alice", "edit 1 by:wednesday"))
    [one] = all_of(town.sessions, Commitment)
    assert one.scheduled_on == datetime(2026, 11, 24).date() and one.due_at.date() in (
        datetime(2026, 11, 25).date(), datetime(2026, 11, 26).date())
    assert "Next: #2 Open the warm space, due Tue 1 Dec" in town.ok("carol", "done 1")


# Missed, not dropped


def test_a_missed_occurrence_is_called_missed_with_how_to_reopen_it(town: Chat) -> None:
    """`done 2` on a missed occurrence said "#2 was already dropped", though nobody dropped it."""
    warm_space(town)
    town.advance(days=8)
    sweep(town, Inbox())
    for command in ('done 2 "late but done"', "snooze 2 off", 'drop 2 "hall shut"'):
        refuse(town, "carol", command, "#2 was missed: its day, Tue 1 Dec, passed without `done`.",
               '`reopen 2 "why"`')
    assert "open again (it was missed)" in town.ok("carol", 'reopen 2 "We did open"')


# Snoozed work that recurs


def test_a_snooze_holds_for_the_next_occurrences_made_before_it_ends(town: Chat) -> None:
    """`snooze 1 10` said no reminders until then, yet the next occurrence made meanwhile was reminded."""
    town.ok("carol", 'commit "Weekly litter" every:tuesday effort:1h')
    out = town.ok("carol", "snooze 1 10")
    assert "No reminders about #1 Weekly litter until Fri 4 Dec, nor about its next occurrences made before then." in out
    town.ok("carol", "done 1")  # #2 due Tue 1 Dec
    town.advance(days=8)  # Wednesday 2 Dec: #2 missed, and #3 made while the snooze holds
    sweep(town, Inbox())
    with town.sessions() as session:
        held = {s.commitment_id: s.until for s in session.scalars(select(Snooze))}
    assert held == {1: town.now.replace(day=4, hour=10), 2: town.now.replace(day=4, hour=10),
                    3: town.now.replace(day=4, hour=10)}
    assert "Reminders about #3 Weekly litter are back on." in town.ok("carol", "snooze 3 off")


def test_done_and_snooze_off_at_once_carry_the_snooze_only_if_it_still_held(town: Chat) -> None:
    for n in range(1, 6):
        town.ok("carol", f'commit "Weekly task {n}" every:tuesday effort:1h')
        town.ok("carol", f"snooze {2 * n - 1} 10")
        done, off = at_once(town, ("carol", f"done {2 * n - 1}"), ("alice", f"snooze {2 * n - 1} off"))
        assert not done.error
        with town.sessions() as session:
            carried = session.get(Snooze, 2 * n) is not None
        assert carried is bool(off.error), (off.plain(), carried)


# Who steps in on recurring work


def test_who_steps_in_on_recurring_work_steps_in_on_its_next_occurrences(town: Chat) -> None:
    """`successor 1 @carol` on weekly work lapsed with its first week: `successors` listed the
    next occurrence as having nobody named, and the coordinators were asked, every week, to name one."""
    town.ok("bob", 'commit "Weekly litter pick" by:friday every:week effort:8h')  # Fri 27 Nov
    town.ok("alice", "successor 1 @carol")
    town.ok("bob", "done 1")  # #2 due Fri 4 Dec
    town.advance(days=14)  # #2 missed on Sat 5 Dec, #3 due Fri 11 Dec made by the sweep
    inbox = Inbox()
    sweep(town, inbox)
    listed = town.ok("alice", "successors")
    assert "#3 Weekly litter pick (Bob): Carol (Riverside Trust)" in listed
    assert "successor 3 @name" not in listed
    assert not inbox.to("@alice", "nobody named to step in if Bob were away")


# Recurring work and the partnership's end date


def test_recurring_work_makes_no_occurrence_due_after_the_partnership_ends(town: Chat) -> None:
    """Weekly work rolled on past the partnership's end date: the sweep made an occurrence due
    after it, a promise left open in a partnership that had ended and could not be changed."""
    town.ok("bob", 'commit "Weekly litter pick" by:friday every:week effort:2h')  # Fri 27 Nov
    town.ok("carol", 'commit "Monthly report" by:"in 5 days" every:month until:2027-03-01 effort:2h')  # Sun 29 Nov
    # Brought before the series' last day afterwards: an until: after it is refused when typed.
    town.ok("alice", "partnership edit end:2026-12-15")
    assert "It was the last occurrence: the next would fall after the partnership's end date, Tue 15 Dec." in town.ok(
        "carol", "done 2")
    for _ in range(21):
        town.advance(days=1)
        sweep(town, Inbox())
    with town.sessions() as session:
        due = [c.due_at.date().isoformat() for c in session.scalars(
            select(Commitment).where(Commitment.title == "Weekly litter pick").order_by(Commitment.id))]
        missed = session.scalars(select(Event.summary).where(Event.action == "missed").order_by(Event.id)).all()
    assert due == ["2026-11-27", "2026-12-04", "2026-12-11"]
    assert missed[-1] == "marked #4 Weekly litter pick missed; the series has ended"


def test_an_occurrence_missed_before_its_handover_was_answered_goes_on_with_its_giver(town: Chat) -> None:
    """Bob asked Carol to take his weekly job on; she had not answered when its day passed, and
    the sweep made the next occurrence hers outright, which she could no longer decline."""
    town.ok("bob", 'commit "Weekly pick" by:friday every:week effort:2h')  # Fri 27 Nov
    town.ok("bob", "reassign 1 @carol")
    town.advance(days=4)
    sweep(town, Inbox())
    assert "#2 Weekly pick" in town.ok("bob", "mine")
    assert "no open commitments" in town.ok("carol", "mine")
    with town.sessions() as session:
        missed = session.get_one(Commitment, 1)
        assert (missed.status, missed.owner.person.user_id) == (MISSED, "bob")
