"""`health`: each warning sign appears for a state made for it, and only then."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Chat


def name_successor(chat: Chat, user: str, what: str = "coordinator") -> None:
    chat.ok("alice", f"successor {what} @{user}")


def blocked_proposal(chat: Chat, title: str, blocker: str, reason: str) -> int:
    """A consensus proposal Alice puts, `blocker` blocks, and Alice closes: it fails. Returns its number."""
    number = int(re.search(r"Proposal #(\d+)", chat.ok("alice", f'propose "{title}" mode:consensus'))[1])
    chat.ok(blocker, f'block {number} "{reason}"')
    chat.ok("alice", f'close {number} "We have heard enough"')
    return number


def answered_review(chat: Chat, scores: dict[str, str]) -> None:
    """Alice opens a review; each user answers with `risk:score ...`."""
    chat.ok("alice", "review start")
    for user, answers in scores.items():
        chat.ok(user, f"review answer {answers}")


@pytest.fixture
def healthy(town: Chat) -> Chat:
    """Every sector at the table, every partner's priority and flexibility stated, nothing late."""
    town.ok("alice", 'member add @dave org:"Allotment Society" sector:community capacity:2h volunteer')
    for user in ("alice", "bob", "carol", "dave"):
        town.ok(user, f'priority "{user} wants a lively riverside"')
        town.ok(user, f'flex time "{user} can give an evening"')
    name_successor(town, "bob")
    return town


def health(chat: Chat, user: str = "alice") -> str:
    return chat.ok(user, "health")


def test_a_healthy_partnership_says_so_briefly(healthy: Chat) -> None:
    shown = health(healthy)
    assert "Healthy: no warning signs" in shown
    assert len(shown.splitlines()) == 2


def test_observers_may_read_it(healthy: Chat) -> None:
    healthy.ok("olga", "join observer")
    assert "Health of Riverside Partnership" in health(healthy, "olga")


def test_missing_sector_is_named_with_who_to_invite(healthy: Chat) -> None:
    assert "Sectors missing" not in health(healthy)
    healthy.ok("alice", "member remove @dave")
    shown = health(healthy)
    assert "Nobody here represents the community sector." in shown
    assert "`member add @name sector:community`" in shown
    assert "Why it matters:" in shown


def test_too_few_members(healthy: Chat) -> None:
    assert "Too few" not in health(healthy)
    healthy.ok("alice", "member remove @dave")
    healthy.ok("alice", "member remove @carol")
    shown = health(healthy)
    assert "Too few at the table" in shown and "Only 2 members take part" in shown
    assert "`member add @name sector:voluntary`" in shown


def test_more_members_than_a_manageable_core(healthy: Chat) -> None:
    for n in range(8):
        healthy.ok("alice", f"member add @m{n} sector:community")
    assert "Too many" not in health(healthy)
    healthy.ok("alice", "member add @m8 sector:community")
    shown = health(healthy)
    assert "Too many at the table" in shown and "13 members take part" in shown
    assert "`member role @name observer`" in shown


def test_volunteer_over_capacity_with_what_to_hand_on(healthy: Chat) -> None:
    healthy.ok("bob", 'commit "Deliver leaflets" by:friday effort:3h')
    assert "Over capacity" not in health(healthy)
    healthy.ok("bob", 'commit "Print posters" by:friday effort:2h')
    shown = health(healthy)
    assert "Bob (Chamber of Trade) · volunteer: ~5h/week against 4h" in shown
    assert "`reassign 1 @alice`" in shown


def test_one_person_carrying_too_much(healthy: Chat) -> None:
    for user, title in (("alice", "Book hall"), ("bob", "Leaflets"), ("carol", "Stalls"), ("dave", "Bunting")):
        healthy.ok(user, f'commit "{title}" by:2026-12-20')
    assert "carrying too much" not in health(healthy)
    healthy.ok("alice", 'commit "Insurance" by:2026-12-20')
    healthy.ok("alice", 'commit "Licence" by:2026-12-20')
    healthy.ok("alice", 'commit "Toilets" by:2026-12-20')
    shown = health(healthy)
    assert "One person carrying too much" in shown
    assert "Alice (Town Council) holds 4 of the 7 open commitments (57%)" in shown
    assert "`reassign 1 @" in shown


def test_overdue_commitment_is_named(healthy: Chat) -> None:
    healthy.ok("carol", 'commit "Book the hall" by:tomorrow')
    assert "Overdue" not in health(healthy)
    healthy.advance(days=3)
    shown = health(healthy)
    assert "#1 Book the hall, held by Carol, due Wed 25 Nov (2 days overdue)" in shown
    assert "`done 1`" in shown and "`reassign 1 @name`" in shown


def test_concern_open_too_long(healthy: Chat) -> None:
    healthy.ok("bob", 'concern "The budget split favours the council" severity:high')
    healthy.advance(days=13)
    assert "Concerns open too long" not in health(healthy)
    healthy.advance(days=18)
    shown = health(healthy)
    assert "#1 The budget split favours the council (high, open 31 days)" in shown
    assert '`resolve 1 "what was agreed"`' in shown


def test_partner_who_never_stated_priority_or_flexibility(healthy: Chat) -> None:
    healthy.ok("alice", 'member add @eve org:"Youth Club" sector:voluntary')
    shown = health(healthy)
    assert "Priorities or flexibility never stated" in shown
    assert "eve (Youth Club): no priority and no flexibility" in shown
    healthy.ok("eve", 'priority "Somewhere for teenagers"')
    assert "Eve (Youth Club): no flexibility." in health(healthy)
    healthy.ok("eve", 'flex resources "The club minibus"')
    assert "never stated" not in health(healthy)


def test_review_overdue(healthy: Chat) -> None:
    healthy.advance(days=92)
    assert "Review overdue" not in health(healthy)
    healthy.advance(days=2)
    shown = health(healthy)
    assert "Review overdue" in shown and "The review was due Wed 24 Feb (2 days ago)" in shown
    assert "`review start`" in shown


def test_give_and_take_counts_work_delivered_and_handed_over_not_who_typed(healthy: Chat) -> None:
    """The defect: a coordinator who logged agreed work for others was told her council "gave 4,
    asked 9 ... ask Millbrook Town Council to take something on". Logging work is not asking."""
    healthy.ok("alice", 'commit @bob "Leaflets" by:2026-12-20')
    healthy.ok("alice", 'commit @carol "Stalls" by:2026-12-20')
    healthy.ok("alice", 'commit @dave "Bunting" by:2026-12-20')
    healthy.ok("alice", 'commit "Insurance" by:2026-12-20 effort:2h')
    healthy.ok("alice", 'commit "Licence" by:2026-12-20 effort:3h')
    assert "Give and take" not in health(healthy), "logging agreed work for others is neither giving nor asking"
    healthy.ok("alice", "reassign 4 @bob")
    healthy.ok("bob", "accept 4")
    healthy.ok("alice", "reassign 5 @carol")
    assert "Give and take" not in health(healthy), "a handover not yet accepted has taken nothing"
    healthy.ok("carol", "accept 5")
    shown = health(healthy)
    # Two of the council's jobs taken on by other partners, 2h + 3h; nothing of its own delivered yet.
    assert ("Town Council: gave 0 (delivered 0, 0h; took on 0 from others, 0h), asked 2 (2 commitments handed "
            "to others, 5h)") in shown
    assert 'Talk with Town Council about what it could take on in return: `commit "what we will do" by:2026-12-08`' in shown
    healthy.ok("alice", 'commit "Book hall" by:2026-12-20 effort:1h')
    healthy.ok("alice", "done 6")  # gives 1, asks 2: no longer more than twice what it gives
    assert "Give and take" not in health(healthy)


def test_a_declined_handover_is_neither_given_nor_asked(healthy: Chat) -> None:
    for title in ("Insurance", "Licence"):
        healthy.ok("alice", f'commit "{title}" by:2026-12-20 effort:2h')
    healthy.ok("alice", "reassign 1 @bob")
    healthy.ok("bob", 'decline 1 "No time"')
    healthy.ok("alice", "reassign 2 @carol")
    healthy.ok("carol", "done 2")  # done without a word: taken on all the same
    healthy.ok("alice", "reassign 1 @dave")
    healthy.ok("dave", "accept 1")
    shown = health(healthy)
    assert ("Town Council: gave 0 (delivered 0, 0h; took on 0 from others, 0h), asked 2 (2 commitments handed "
            "to others, 4h)") in shown


def give_and_take(chat: Chat) -> dict[str, list[str]]:
    """The give-and-take table of the `health.md` export, as a reader sees it: each partner's row by name."""
    files = {a.filename: a.content.decode() for a in chat.say("alice", "export").attachments}
    table = files["health.md"].split("## Give and take", 1)[1].split("\n## ", 1)[0]
    rows = ([v.strip() for v in line.strip("|").split(" | ")] for line in table.splitlines()
            if line.startswith("| ") and not line.startswith(("| Partner", "| ---")))
    return {row[0]: row for row in rows}


def test_work_done_and_handed_over_stays_with_the_organisation_it_was_done_for(healthy: Chat) -> None:
    """The defect: once bob joined again for the Library, the Chamber's three deliveries went with
    him and `health` told the coordinators the Chamber "gave 0, asked 2"."""
    for title in ("A", "B", "C"):
        healthy.ok("bob", f'commit "{title}" by:2026-12-20 effort:2h')
    for number in (1, 2, 3):
        healthy.ok("bob", f"done {number}")
    healthy.ok("bob", 'commit "D" by:2026-12-20 effort:2h')  # 4
    healthy.ok("bob", 'commit "E" by:2026-12-20 effort:2h')  # 5
    for number in (4, 5):
        healthy.ok("bob", f"reassign {number} @carol")
        healthy.ok("carol", f"accept {number}")
    before = give_and_take(healthy)
    assert "Give and take" not in health(healthy)
    healthy.advance(hours=1)
    healthy.ok("bob", 'join org:"Millbrook Library" sector:public')
    assert "Give and take" not in health(healthy), "the Chamber still gave 3 and asked 2"
    after = give_and_take(healthy)
    assert after["Chamber of Trade"] == before["Chamber of Trade"] == [
        "Chamber of Trade", "3", "3", "6h", "0", "0h", "0", "2", "4h"]
    assert after["Millbrook Library"] == ["Millbrook Library", "0", "0", "0h", "0", "0h", "0", "0", "0h"]
    # What bob does from now on is the Library's, and his handovers are its asks.
    healthy.ok("bob", 'commit "F" by:2026-12-20 effort:1h')  # 6
    healthy.ok("bob", "done 6")
    healthy.ok("bob", 'commit "G" by:2026-12-20 effort:3h')  # 7
    healthy.ok("bob", "reassign 7 @dave")
    healthy.ok("dave", "accept 7")
    now = give_and_take(healthy)
    assert now["Chamber of Trade"] == before["Chamber of Trade"]
    assert now["Millbrook Library"] == ["Millbrook Library", "1", "1", "1h", "0", "0h", "0", "1", "3h"]
    assert now["Riverside Trust"][:6] == ["Riverside Trust", "2", "0", "0h", "2", "4h"]


def test_coordinator_without_a_successor(town: Chat) -> None:
    shown = town.ok("alice", "health")
    assert "Nobody is named to step in as coordinator (now: Alice)" in shown
    assert "`successor coordinator @bob`" in shown
    name_successor(town, "bob")
    assert "No successor named" not in town.ok("alice", "health")


def test_large_commitment_without_a_successor(healthy: Chat) -> None:
    healthy.ok("alice", 'commit "Write the funding bid" by:2027-03-01 effort:7h')
    assert "No successor named" not in health(healthy)
    healthy.ok("alice", 'commit "Run the festival" by:2027-03-01 effort:12h')
    shown = health(healthy)
    assert "#2 Run the festival (Alice, 12h) has no successor" in shown and "Write the funding bid" not in shown
    assert "`successor 2 @bob`" in shown
    name_successor(healthy, "carol", "2")
    assert "No successor named" not in health(healthy)


def test_blocked_proposal_names_its_reason(healthy: Chat) -> None:
    blocked_proposal(healthy, "Close the high street to cars", "bob", "Traders lose their deliveries")
    shown = health(healthy)
    assert ('#1 "Close the high street to cars" failed: Bob (Chamber of Trade) blocked it because '
            '"Traders lose their deliveries"') in shown
    assert '`propose "Close the high street to cars (revised)" mode:consensus closes:2026-12-01`' in shown
    healthy.advance(days=31)
    assert "Blocked proposal" not in health(healthy)


def test_latest_review_answers_lowest_first(healthy: Chat) -> None:
    assert "review answers" not in health(healthy)
    answered_review(healthy, {"bob": "right-goal:4 enough-time:2", "carol": "right-goal:5 enough-time:1"})
    shown = health(healthy)
    assert "Latest review answers (open, opened Tue 24 Nov; lowest first)" in shown
    assert shown.index("enough-time: 1.5/5 (2 answers)") < shown.index("right-goal: 4.5/5 (2 answers)")
    healthy.ok("alice", 'review close continue "Carry on, with more hands"')
    assert "Latest review answers (closed, opened Tue 24 Nov; lowest first)" in health(healthy)


def test_an_open_review_silences_review_overdue(healthy: Chat) -> None:
    healthy.advance(days=94)
    assert "Review overdue" in health(healthy)
    answered_review(healthy, {"bob": "right-time:3"})
    assert "Review overdue" not in health(healthy)


def test_a_wound_up_partnership_is_checked_only_for_what_can_still_be_settled(town: Chat) -> None:
    """Wound up, `health` still said "Sectors missing → `member add @name ...`" and "No successor
    named → `successor coordinator @bob`", each then refused as the partnership is read-only."""
    town.ok("bob", 'commit "Return the hall keys" by:tomorrow')
    town.ok("carol", 'concern "Who pays the last invoice?"')
    before = health(town)
    assert "Sectors missing" in before and "No successor" in before
    town.ok("alice", 'partnership wind-up "The funding ended" open:keep')
    town.advance(days=31)
    shown = health(town)
    assert ("Riverside Partnership was wound up on Tue 24 Nov by Alice: only what can still be settled, its closing "
            "tasks and open concerns, is checked. 2 warning signs, each with what to do next.") in shown
    assert "#1 Return the hall keys, held by Bob" in shown and "#1 Who pays the last invoice?" in shown
    assert "Sectors missing" not in shown and "No successor" not in shown and "member add" not in shown
    town.ok("bob", "done 1")
    town.ok("alice", 'resolve 1 "The council pays it"')
    assert "is checked. No warning signs in the partnership's state." in health(town)
