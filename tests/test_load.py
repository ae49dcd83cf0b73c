"""Load: weekly hours of open work against each member's capacity, so volunteers don't burn out."""

from __future__ import annotations

from tests.conftest import Chat


def line_for(out: str, name: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(f"  - {name} (") or f"CAPACITY: {name} (" in line)


def test_five_hours_due_this_week_puts_a_four_hour_volunteer_over_capacity(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday effort:5h')
    out = town.ok("carol", "load")
    bob = line_for(out, "Bob")
    assert bob.startswith("  - OVER CAPACITY: Bob (Chamber of Trade) · volunteer: ~5h/week of 4h capacity")
    assert "1 open (5h left)" in bob
    assert "Over capacity: Bob." in out
    assert "Spare capacity: Alice (~6h/week free), Carol (~3h/week free)." in out


def test_within_capacity_is_not_flagged(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:4h')
    out = town.ok("carol", "load")
    assert "OVER CAPACITY" not in out and "Nobody is over capacity." in out
    assert "Bob (Chamber of Trade) · volunteer: ~4h/week of 4h capacity" in line_for(out, "Bob")


def test_effort_due_later_is_spread_over_the_weeks_left(town: Chat) -> None:
    town.ok("carol", 'commit "Recruit litter-pickers" by:2026-12-21 effort:8h')  # about four weeks away
    out = town.ok("alice", "load")
    carol = line_for(out, "Carol")
    assert "~2h/week of 3h capacity" in carol and "OVER CAPACITY" not in carol


def test_load_adds_up_several_commitments(town: Chat) -> None:
    town.ok("carol", 'commit "Book the hall" by:tomorrow effort:2h')
    town.ok("carol", 'commit "Ring the printer" by:friday effort:90m')
    out = town.ok("alice", "load")
    carol = line_for(out, "Carol")
    assert "OVER CAPACITY" in carol and "~3.5h/week of 3h capacity · 2 open (3.5h left)" in carol


def test_finished_commitments_no_longer_count(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:5h')
    town.ok("bob", "done 1")
    out = town.ok("alice", "load")
    assert "OVER CAPACITY" not in out and "~0h/week of 4h capacity · 0 open (0h left)" in line_for(out, "Bob")


def test_overdue_work_counts_in_full_and_is_named(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:tomorrow effort:2h')
    town.advance(days=3)
    bob = line_for(town.ok("alice", "load"), "Bob")
    assert "~2h/week" in bob and "1 open (2h left), 1 overdue" in bob


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


def test_observers_are_not_in_the_load(town: Chat) -> None:
    town.ok("olga", 'join org:"Riverside Gazette" observer')
    assert "Olga" not in town.ok("alice", "load")
