"""`status`: anyone, observers included, sees what is happening, why, and when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import START, Chat
from tests.test_health import answered_review, blocked_proposal


def test_an_observer_sees_what_why_and_when(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("carol", 'concern "Stalls block the towpath" kind:process')
    town.ok("carol", 'concern "The budget split favours the council" kind:priorities')
    town.ok("alice", 'resolve 2 "Split 50/50 from April"')
    town.ok("carol", 'priority "A towpath people can walk"')
    blocked_proposal(town, "Close the high street to cars", "bob", "Traders lose their deliveries")
    town.ok("carol", 'propose "Move the market to Saturdays" mode:vote closes:friday')
    answered_review(town, {"bob": "right-time:4"})
    town.timezones["olga"] = "America/New_York"
    town.ok("olga", "join observer")
    shown = town.ok("olga", "status")
    what, why, priorities, when = (shown.split(heading)[1] for heading in (
        "What is happening", "Why: recent decisions and reasons", "Partners' priorities", "\nWhen"))
    assert "Revive the riverside" in shown
    assert "1 open commitment: 0 overdue, 1 due in the next 7 days" in what
    assert "1 open concern (`concerns` lists them)" in what
    assert 'Deciding #2 "Move the market to Saturdays" by vote, closes Fri 27 Nov 18:59' in what
    assert ("A regular review is open since Tue 24 Nov 05:00: 1 member answered so far, 1 of them in part "
            "(`review` says what is missing)") in what
    assert "Alice closed #1 Close the high street to cars: failed — Responses: 1 block (1 of 3 members)." in why
    assert "Blocked by Bob (Chamber of Trade): Traders lose their deliveries" in why
    assert "Alice resolved concern #2 The budget split favours the council — Split 50/50 from April" in why
    assert "towpath people" not in why.split("Partners' priorities")[0], "a priority is no decision or reason"
    assert 'Carol (Riverside Trust), since Tue 24 Nov 05:00: "A towpath people can walk"' in priorities
    assert "#1 Deliver leaflets (Bob): due Fri 27 Nov (in 3 days)" in when
    assert 'Decision #2 "Move the market to Saturdays" closes Fri 27 Nov 18:59' in when
    assert "Next review: Wed 24 Feb 2027" in when


def test_a_quiet_partnership_says_so(town: Chat) -> None:
    shown = town.ok("bob", "status")
    assert "0 open commitments: 0 overdue, 0 due in the next 7 days" in shown
    assert "No decisions or reasons recorded yet." in shown
    assert "Next review: Wed 24 Feb 2027" in shown


def test_overdue_work_is_named_and_capped(town: Chat) -> None:
    for n, title in enumerate(("Deliver leaflets", "Book the hall", "Print posters", "Ring the council")):
        town.ok("bob" if n % 2 else "carol", f'commit "{title}" by:2026-11-2{5 + n}')
    town.ok("bob", 'commit "Paint the benches" by:2026-12-20')
    town.now = START + timedelta(days=7)
    shown = town.ok("bob", "status")
    assert "5 open commitments: 4 overdue, 0 due in the next 7 days" in shown
    assert ("Overdue: #1 Deliver leaflets (Carol, due Wed 25 Nov); #2 Book the hall (Bob, due Thu 26 Nov); "
            "#3 Print posters (Carol, due Fri 27 Nov) and 1 more (`overdue` lists them)") in shown


def test_a_late_review_says_it_is_overdue(town: Chat) -> None:
    town.now = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
    shown = town.ok("bob", "status")
    assert "Review overdue since Wed 24 Feb" in shown and "Next review" not in shown
