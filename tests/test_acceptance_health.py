"""The check the issue sets: a partnership with planted problems has each named by `health`
with what to do next, and `status` tells an observer what is happening, why and when."""

from __future__ import annotations

from tests.conftest import Chat
from tests.test_health import blocked_proposal


def signs(report: str) -> dict[str, list[str]]:
    """Each warning sign's heading and its lines (found, why it matters, what to do)."""
    found: dict[str, list[str]] = {}
    heading = ""
    for line in report.splitlines()[2:]:
        if line.startswith("  - "):
            found[heading].append(line[4:])
        else:
            heading = line
            found[heading] = []
    return found


def test_planted_problems_are_each_named_with_what_to_do(town: Chat) -> None:
    # Planted: no community sector (town has public, private, voluntary); Alice coordinates alone.
    town.ok("carol", 'concern "The towpath plan ignores wheelchair users" kind:people severity:high')
    town.advance(days=31)
    town.ok("bob", 'commit "Run the Christmas market" by:2026-12-30 effort:12h')  # Bob: a volunteer, 4h a week
    blocked_proposal(town, "Close the high street to cars", "bob", "Traders lose their deliveries")
    for user in ("alice", "bob", "carol"):
        town.ok(user, f'priority "{user} wants a lively riverside"')
        town.ok(user, f'flex time "{user} can give an evening"')
    town.ok("olga", "join observer")

    found = signs(town.ok("olga", "health"))
    expected = {
        "Sectors missing": ("Nobody here represents the community sector.", "`member add @name sector:community`"),
        # Nobody has 12 hours a week to spare, and an observer is offered no command they cannot run.
        "Over capacity": ("Bob (Chamber of Trade) · volunteer: ~12h/week against 4h",
                          "Nobody has room for it without going over; Bob or a coordinator (Alice) could move a date."),
        # 12h before Wed 30 Dec is more than a week of Bob's 4h: at risk, a date at stake.
        "Work at risk": ("#1 Run the Christmas market needs 12h before Wed 30 Dec, more than Bob's 4h a week",
                         "Bob or a coordinator can say how far along it is, move its date, hand it on or drop it."),
        "No successor named": ("Nobody is named to step in as coordinator (now: Alice)",
                               "`successor coordinator @bob`"),
        "Concerns open too long": ("#1 The towpath plan ignores wheelchair users (high, open 31 days)",
                                   '`resolve 1 "what was agreed"`'),
        "Blocked proposal": ('"Close the high street to cars" failed: Bob (Chamber of Trade) blocked it because '
                             '"Traders lose their deliveries"', '`propose "Close the high street to cars (revised)"'),
    }
    assert set(found) == set(expected)
    for name, (what, todo) in expected.items():
        assert what in found[name][0], name
        assert found[name][1].startswith("Why it matters: "), name
        assert found[name][2].startswith("What to do: ") and todo in found[name][2], name

    status = town.ok("olga", "status")
    what, why, when = (status.split(heading)[1] for heading in (
        "What is happening", "Why: recent decisions and reasons", "\nWhen"))
    assert "1 open commitment: 0 overdue, 1 due in the next 7 days" in what and "1 open concern" in what
    assert "closed #1 Close the high street to cars: failed — Responses: 1 block" in why
    assert "Blocked by Bob (Chamber of Trade): Traders lose their deliveries" in why
    assert "#1 Run the Christmas market (Bob): due Wed 30 Dec (in 5 days)" in when
    assert "Next review: Wed 24 Feb 2027" in when
