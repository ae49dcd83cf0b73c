"""Load: weekly hours of open work against each member's capacity, so volunteers don't burn out.

The clock starts on Tue 24 Nov 2026 (tests/conftest.py); everyone is in UTC. Each figure is
worked out by hand in the comment beside it: what is left, spread evenly over the days from
today (or its `from:` day) up to its due day; a week's load is what falls in the next seven.
"""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from handlers.dashboard import dashboard_of
from storage.models import Partnership
from tests.conftest import Chat


def line_for(out: str, name: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(f"  - {name} (") or f"CAPACITY: {name} (" in line)


def at_risk(out: str) -> list[str]:
    """The lines under `At risk` in a `load` reply."""
    lines = out.splitlines()
    if "At risk" not in lines:
        return []
    return [line[4:] for line in lines[lines.index("At risk") + 1:] if line.startswith("  - ")]


def test_five_hours_due_this_week_puts_a_four_hour_volunteer_over_capacity(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday effort:5h')  # due in 3 days: all 5h this week
    out = town.ok("carol", "load")
    bob = line_for(out, "Bob")
    assert bob.startswith("  - OVER CAPACITY: Bob (Chamber of Trade) · volunteer: ~5h/week of 4h capacity")
    assert "1 open (5h left)" in bob
    assert "Over capacity: Bob." in out
    assert "Spare capacity: Alice (~6h/week free), Carol (~3h/week free)." in out
    # 5h before Friday is more than his 4h a week: at risk, with what to do about it.
    [risk] = at_risk(out)
    assert risk.startswith("#1 Deliver 500 leaflets needs 5h before Fri 27 Nov, more than Bob's 4h a week "
                           "(nothing said of its progress yet). `progress 1 50%` if it is further along")
    assert '`reassign 1 @name` to share it, or `drop 1 "why"`' in risk


def test_one_members_load_is_their_line_and_risks_from_everyones(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday effort:5h')
    town.ok("carol", 'commit "Book the hall" by:friday effort:1h')
    everyone = town.ok("alice", "load")
    bob = town.ok("carol", "load @bob")
    assert bob.splitlines()[0] == "Load of Bob (Chamber of Trade)"
    assert line_for(bob, "Bob") == line_for(everyone, "Bob")
    assert at_risk(bob) == at_risk(everyone) and len(at_risk(bob)) == 1
    spare = "Spare capacity: Carol (~2h/week free), Alice (~6h/week free)."
    assert f"Over capacity: could someone take something on? {spare}" in bob and spare in everyone
    carol = town.ok("bob", "load @carol")
    assert line_for(carol, "Carol") == line_for(everyone, "Carol")
    assert "Bob" not in carol and at_risk(carol) == [] and "Over capacity" not in carol
    town.ok("olga", 'join org:"Riverside Gazette" observer')
    assert "is an observer, so carries no load" in town.refused("alice", "load @olga")
    assert "@dave isn't a member of Riverside Partnership" in town.refused("alice", "load @dave")


def test_a_handover_counts_against_whoever_handed_it_until_it_is_accepted(town: Chat) -> None:
    """The defect: as soon as Bob typed `reassign`, `load` and `health` counted the leaflets against
    Carol, over her capacity before she had agreed to take them, and Bob dropped to 0h."""
    town.ok("carol", 'commit "Ring the printer" by:friday effort:1h')  # 1
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:3h')  # 2
    handed = town.ok("bob", "reassign 2 @carol")
    assert "Carol is asked to accept it. Accepting it would take Carol over capacity: ~4h/week against 3h." in handed, \
        "the warning says what accepting it would mean"
    out = town.ok("alice", "load")
    assert "Nobody is over capacity." in out
    assert "~3h/week of 4h capacity · 1 open (3h left; 1 handed over, not yet accepted)" in line_for(out, "Bob")
    carol = line_for(out, "Carol")
    assert carol == ("  - Carol (Riverside Trust) · volunteer: ~1h/week of 3h capacity · 1 open (1h left) "
                     "· 1 handed to them, not yet accepted (~3h this week)")
    assert "Over capacity" not in town.ok("alice", "health")
    town.ok("carol", "accept 2")
    out = town.ok("alice", "load")
    assert "Over capacity: Carol." in out
    assert line_for(out, "Carol").startswith("  - OVER CAPACITY: Carol (Riverside Trust) · volunteer: ~4h/week of 3h")
    assert "~0h/week of 4h capacity · 0 open (0h left)" in line_for(out, "Bob")
    assert "Carol (Riverside Trust) · volunteer: ~4h/week against 3h." in town.ok("alice", "health")


def test_work_at_risk_while_handed_over_is_due_on_its_owners_day(town: Chat) -> None:
    """The defect: handed from Auckland to Los Angeles and not yet accepted, the hall, due Sunday
    for Carol, its owner (as `who` says), was at risk "before Mon 30 Nov" in `load` and `health`:
    the day its due moment falls on in Bob's zone, who carries it meanwhile."""
    town.ok("bob", "tz Pacific/Auckland")
    town.ok("carol", "tz America/Los_Angeles")
    town.ok("bob", 'commit "Book the hall" by:2026-11-29 effort:20h')
    town.ok("bob", "reassign 1 @carol")
    assert "#1 Book the hall · due Sun 29 Nov" in town.ok("alice", "who")
    assert at_risk(town.ok("alice", "load"))[0].startswith("#1 Book the hall needs 20h before Sun 29 Nov, more than Bob's")
    assert "#1 Book the hall needs 20h before Sun 29 Nov" in town.ok("alice", "health")


def test_within_capacity_is_not_flagged(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:4h')
    out = town.ok("carol", "load")
    assert "OVER CAPACITY" not in out and "Nobody is over capacity." in out
    assert "Bob (Chamber of Trade) · volunteer: ~4h/week of 4h capacity" in line_for(out, "Bob")
    assert at_risk(out) == [], "4h in a week is what Bob gives"


def test_effort_due_later_is_spread_over_the_days_left(town: Chat) -> None:
    # 24 Nov to 21 Dec is 27 days: 8h x 7/27 = 2.07h a week.
    town.ok("carol", 'commit "Recruit litter-pickers" by:2026-12-21 effort:8h')
    carol = line_for(town.ok("alice", "load"), "Carol")
    assert "~2.1h/week of 3h capacity" in carol and "OVER CAPACITY" not in carol


def test_load_adds_up_several_commitments(town: Chat) -> None:
    town.ok("carol", 'commit "Book the hall" by:tomorrow effort:2h')
    town.ok("carol", 'commit "Ring the printer" by:friday effort:90m')
    out = town.ok("alice", "load")
    carol = line_for(out, "Carol")
    assert "OVER CAPACITY" in carol and "~3.5h/week of 3h capacity · 2 open (3.5h left)" in carol
    assert at_risk(out) == [], "neither alone is more than Carol's 3h a week"


def test_work_with_no_effort_given_is_named_apart(town: Chat) -> None:
    """The defect: Bob with seven open jobs, five of them without an effort, read "7 open (3h
    left)" beside "~1.7h/week free", as if the five were nothing."""
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:2h')
    town.ok("bob", 'commit "Hang bunting" by:friday')
    town.ok("bob", 'commit "Ring the printer" by:friday')
    assert "· 3 open (2h left; 2 not estimated)" in line_for(town.ok("alice", "load"), "Bob")
    assert "With no effort given, so not in the weeks: Bob 2 commitments." in load_summary(town)
    town.ok("bob", "left 3 1h")  # an hour left said: estimated now
    town.ok("bob", "edit 2 effort:1h")
    assert "· 3 open (4h left)" in line_for(town.ok("alice", "load"), "Bob")
    assert "no effort given" not in load_summary(town)


def load_summary(chat: Chat) -> str:
    """What the dashboard's load chart says under it."""
    with chat.sessions() as session:
        board = dashboard_of(session, session.scalars(select(Partnership)).one(), chat.now, UTC)
        return next(c.summary for c in board.charts if c.key == "load")


def test_finished_commitments_no_longer_count(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:5h')
    town.ok("bob", "done 1")
    out = town.ok("alice", "load")
    assert "OVER CAPACITY" not in out and "~0h/week of 4h capacity · 0 open (0h left)" in line_for(out, "Bob")


def test_overdue_work_is_counted_apart_with_its_hours(town: Chat) -> None:
    """Overdue work is not spread into the weeks to come: it shows as overdue, with its hours."""
    town.ok("bob", 'commit "Deliver leaflets" by:tomorrow effort:2h')
    town.ok("bob", 'commit "Paint the signs" by:2026-12-11 effort:6h')  # 17 days
    town.advance(days=3)  # Fri 27 Nov: the leaflets are 2 days overdue; 14 days left on the signs: 3h a week
    bob = line_for(town.ok("alice", "load"), "Bob")
    assert "~3h/week of 4h capacity · 2 open (8h left), 1 overdue (2h)" in bob and "OVER CAPACITY" not in bob


def test_most_loaded_against_capacity_comes_first(town: Chat) -> None:
    town.ok("carol", 'commit "Book the hall" by:friday effort:2h')  # 2 of 3
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:1h')  # 1 of 4
    lines = [line for line in town.ok("alice", "load").splitlines() if line.startswith("  - ")]
    assert "Carol" in lines[0] and "Bob" in lines[1]


def test_member_without_capacity_is_never_flagged(town: Chat) -> None:
    town.ok("dave", 'join org:"Youth Club" sector:community')
    town.ok("dave", 'commit "Design the poster" by:tomorrow effort:20h')
    out = town.ok("alice", "load")
    dave = line_for(out, "Dave")
    assert "~20h/week (capacity not stated)" in dave and "OVER CAPACITY" not in dave
    assert at_risk(out) == [], "20h fits a full-time week"
    town.ok("dave", 'commit "Paint the mural" by:tomorrow effort:45h')
    assert at_risk(town.ok("alice", "load")) == [
        "#2 Paint the mural needs 45h before Wed 25 Nov, more than a full-time week (40h) (nothing said of its "
        'progress yet). `progress 2 50%` if it is further along, `edit 2 by:...` for more time, `reassign 2 @name` '
        'to share it, or `drop 2 "why"`.']


def test_observers_are_not_in_the_load(town: Chat) -> None:
    town.ok("olga", 'join org:"Riverside Gazette" observer')
    assert "Olga" not in town.ok("alice", "load")


def test_reporting_progress_never_makes_the_picture_worse(town: Chat) -> None:
    """The defect: 9h left on work due in two days read ~0.7h a week and "Nobody is over capacity";
    after an honest `progress 1 50%` it read ~6.9h a week, OVER CAPACITY. Now silence counts all
    of it as left, and every report of progress can only lower the figures."""
    town.ok("alice", 'member add @gwen org:"Food Bank" sector:community capacity:5h volunteer')
    town.ok("gwen", 'commit "Sort the winter coats" by:2027-01-26 effort:9h')
    # 24 Nov to 26 Jan is 63 days: 9h x 7/63 = 1h a week.
    assert "~1h/week of 5h capacity · 1 open (9h left)" in line_for(town.ok("alice", "load"), "Gwen")
    town.advance(days=61)  # Sun 24 Jan, two days before it is due, nothing said of progress
    silent = town.ok("alice", "load")
    assert "OVER CAPACITY: Gwen (Food Bank) · volunteer: ~9h/week of 5h capacity · 1 open (9h left)" in silent
    assert "Over capacity: Gwen." in silent
    [risk] = at_risk(silent)
    assert risk.startswith("#1 Sort the winter coats needs 9h before Tue 26 Jan, more than Gwen's 5h a week "
                           "(nothing said of its progress yet).")
    town.ok("gwen", "progress 1 50%")  # 4.5h left, all of it due this week
    said = town.ok("alice", "load")
    assert "Gwen (Food Bank) · volunteer: ~4.5h/week of 5h capacity · 1 open (4.5h left)" in said
    assert "OVER CAPACITY" not in said and at_risk(said) == []
    town.ok("gwen", "left 1 6h")  # more left than she thought: worse, because the work is
    assert "~6h/week" in line_for(town.ok("alice", "load"), "Gwen")


def test_progress_said_early_counts_the_same_as_progress_said_late(town: Chat) -> None:
    """Two volunteers in the same real situation, one who said how far along a week ago and one
    who says it today, read the same: the spread no longer restarts at the day progress is said."""
    town.ok("alice", 'member add @gwen org:"Food Bank" sector:community capacity:5h volunteer')
    town.ok("alice", 'member add @hal org:"Scouts" sector:community capacity:5h volunteer')
    town.ok("gwen", 'commit "Sort the coats" by:2026-12-22 effort:12h')
    town.ok("hal", 'commit "Sort the toys" by:2026-12-22 effort:12h')
    town.ok("gwen", "left 1 6h")
    town.advance(days=7)  # Tue 1 Dec: 21 days left
    town.ok("hal", "left 2 6h")
    out = town.ok("alice", "load")  # 6h x 7/21 = 2h a week, for both
    assert "~2h/week of 5h capacity · 1 open (6h left)" in line_for(out, "Gwen")
    assert "~2h/week of 5h capacity · 1 open (6h left)" in line_for(out, "Hal")


def test_an_ended_partnership_flags_nobody(town: Chat) -> None:
    town.ok("bob", 'commit "Paint the signs" by:2026-11-30 effort:12h')
    town.ok("alice", "partnership edit end:2026-11-25")
    assert "Over capacity: Bob." in town.ok("alice", "load")
    town.advance(days=2)  # Thu 26 Nov: it ended yesterday
    out = town.ok("alice", "load")
    assert "ended on its end date, Wed 25 Nov: nobody is flagged over capacity or at risk." in out
    assert "OVER CAPACITY" not in out and at_risk(out) == []
    assert "~12h/week of 4h capacity" in line_for(out, "Bob"), "the figures stay readable"
    health = town.ok("alice", "health")
    assert "Over capacity" not in health and "Work at risk" not in health


def test_a_wound_up_partnership_flags_nobody(town: Chat) -> None:
    town.ok("bob", 'commit "Paint the signs" by:2026-11-30 effort:12h')
    town.ok("alice", "review start")
    town.ok("alice", 'review close wind-up "The funding ended" open:keep')  # the signs are a closing task
    out = town.ok("alice", "load")
    assert "was wound up on" in out and "nobody is flagged over capacity or at risk" in out
    assert "OVER CAPACITY" not in out
    assert "Over capacity" not in town.ok("alice", "health")


def test_the_readme_worked_example(town: Chat) -> None:
    """README, "Load, at risk, give and take": Bob, who gives 4h a week, on Tue 24 Nov."""
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:3h')  # all 3h this week
    town.ok("bob", 'commit "Paint the signs" by:2026-12-22 effort:8h')  # 8h x 7/28 = 2h
    town.ok("bob", 'commit "Build the stall" by:2026-12-18 from:2026-12-01 effort:6h')  # nothing yet
    out = town.ok("alice", "load")
    assert "OVER CAPACITY: Bob (Chamber of Trade) · volunteer: ~5h/week of 4h capacity" in out
    assert at_risk(out) == []
    town.ok("bob", "progress 2 50%")  # 4h x 7/28 = 1h
    out = town.ok("alice", "load")
    assert "Bob (Chamber of Trade) · volunteer: ~4h/week of 4h capacity · 3 open (13h left)" in out
    assert "OVER CAPACITY" not in out


def test_days_away_take_their_share_of_a_weeks_capacity(town: Chat) -> None:
    """Carol gives 3h a week and is away Thu 26 - Sun 29 Nov: of the seven days from Tue 24 Nov
    she is here three (Tue, Wed, Mon), so this week she can give 3h x 3/7 = 1.3h."""
    town.ok("carol", "away 2026-11-26 2026-11-29")
    out = town.ok("carol", 'commit "Book the hall" by:friday effort:2h')
    assert "Note: Carol is away Thu 26 Nov – Sun 29 Nov, when #1 is due (Fri 27 Nov)." in out
    load = town.ok("alice", "load")
    assert ("OVER CAPACITY: Carol (Riverside Trust) · volunteer: ~2h/week of 1.3h capacity this week (3h a week, "
            "away 4 days of 7) · 1 open (2h left)") in load
    assert at_risk(load)[0].startswith(
        "#1 Book the hall needs 2h before Fri 27 Nov, more than the 1.3h of Carol's 3h a week left after 4 days away")
    town.advance(days=2)  # Thu 26 Nov: away today, so not flagged; her due work is flagged for cover instead
    carol = line_for(town.ok("alice", "load"), "Carol")
    assert carol.startswith("  - Carol (Riverside Trust) · volunteer: ~2h/week · away until Sun 29 Nov, so no capacity")
