"""`status`: anyone, observers included, sees what is happening, why, and when."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.models import Decision, DecisionMode
from tests.conftest import Chat
from tests.test_health import answered_review, blocked_proposal, member_id


def open_proposal(chat: Chat, title: str, closes: datetime) -> None:
    proposer, partnership, _ = member_id(chat, "alice")
    with chat.sessions.begin() as session:
        session.add(Decision(partnership_id=partnership, proposer_id=proposer, title=title, mode=DecisionMode.VOTE,
                             quorum=50, closes_at=closes, created_at=chat.now))


def test_an_observer_sees_what_why_and_when(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("carol", 'concern "Stalls block the towpath" kind:process')
    town.ok("carol", 'concern "The budget split favours the council" kind:priorities')
    town.ok("alice", 'resolve 2 "Split 50/50 from April"')
    town.ok("carol", 'priority "A towpath people can walk"')
    blocked_proposal(town, "Close the high street to cars", "bob", "Traders lose their deliveries")
    open_proposal(town, "Move the market to Saturdays", datetime(2026, 11, 27, 17, 0, tzinfo=UTC))
    answered_review(town, {"bob": {}})
    town.timezones["olga"] = "America/New_York"
    town.ok("olga", "join observer")
    shown = town.ok("olga", "status")
    what, why, when = (shown.split(heading)[1] for heading in (
        "What is happening", "Why: recent decisions and reasons", "\nWhen"))
    assert "Revive the riverside" in shown
    assert "1 open commitment: 0 overdue, 1 due in the next 7 days" in what
    assert "1 open concern (`concerns` lists them)" in what
    assert 'Deciding #2 "Move the market to Saturdays" by vote, closes Fri 27 Nov 12:00' in what
    assert "A regular review is open since Tue 24 Nov 05:00: 0 members answered so far" in what
    assert '#1 "Close the high street to cars" failed: Blocked: Traders lose their deliveries' in why
    assert "Alice: concern #2 The budget split favours the council resolved — Split 50/50 from April" in why
    assert 'Carol: Carol (Riverside Trust): "A towpath people can walk"' in why
    assert "#1 Deliver leaflets (Bob): due Fri 27 Nov (in 3 days)" in when
    assert "Next review: Wed 24 Feb 2027" in when


def test_a_quiet_partnership_says_so(town: Chat) -> None:
    shown = town.ok("bob", "status")
    assert "0 open commitments: 0 overdue, 0 due in the next 7 days" in shown
    assert "No decisions or reasons recorded yet." in shown
    assert "Next review: Wed 24 Feb 2027" in shown
