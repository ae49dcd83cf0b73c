"""Recurring work as its users found it: one open occurrence at a time, occurrences moved on
their own, a missed one called missed, and refusals whose suggestions work when typed."""

from __future__ import annotations

import re

from tests.conftest import Chat
from tests.test_bad_input import refuse


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
