"""What a page shows of the framework (handlers/agreement/overview.py): plain data, the same
figures as the chat, read in a fixed number of statements however much there is; and the
sign-off nudges derived for every partnership at once."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from handlers.agreement import terms
from handlers.agreement.overview import Framework, framework
from tests.conftest import START, Chat
from tests.test_governance_sweep import counting

UTC = ZoneInfo("UTC")


def grow(chat: Chat, n: int) -> None:
    """n more organisations (each signing, pledging and delivering), goals with readings and work, interests."""
    for _ in range(n):
        goal = len(chat.timezones) + 1  # one goal for each newcomer
        who = f"member{goal}"
        chat.timezones[who] = "UTC"
        chat.ok(who, f'join org:"Organisation {who}" sector:community')
        chat.ok(who, "agreement sign 1")
        chat.ok(who, 'pledge time:"2h a week" money:"£100 a year" premises:"A room"')
        chat.ok(who, 'delivered money:£20 "Stamps"')
        chat.ok("alice", f'goal "Goal {who}" measure:"count" baseline:10 target:20 by:2027-06-30')
        chat.ok(who, f"reading {goal} 12")  # readings start the day a goal is set
        chat.advance(days=1)  # and take one figure a day
        chat.ok(who, f"reading {goal} 13")
        chat.ok(who, f'commit "Work for {who}" by:friday goal:{goal}')
        chat.ok(who, f'interest "Interest of {who}"')


def framework_of(chat: Chat) -> tuple[int, Framework]:
    engine = chat.sessions.kw["bind"]
    with counting(engine) as statements, chat.sessions() as session:
        seen = framework(session, 1, chat.now, UTC)
    return len(statements), seen


def test_a_page_reads_the_framework_in_statements_that_do_not_grow(town: Chat) -> None:
    town.ok("alice", 'agreement edit roles:"Each brings what it pledges"')
    grow(town, 1)
    small, seen = framework_of(town)
    assert (len(seen.goals), len(seen.agreement.signed if seen.agreement else []), len(seen.interests)) == (1, 1, 1)
    grow(town, 12)
    large, seen = framework_of(town)
    assert (len(seen.goals), len(seen.partners), len(seen.interests)) == (13, 13, 13)
    assert sum(len(g.readings) for g in seen.goals) == 26 and sum(len(g.work) for g in seen.goals) == 13
    assert large == small <= 10, (small, large)


def test_the_page_data_says_what_the_chat_says(town: Chat) -> None:
    town.ok("alice", 'agreement edit roles:"Each brings what it pledges" decisions:"By consensus"')
    for who in ("alice", "bob", "carol"):
        town.ok(who, "agreement sign 1")
    town.ok("alice", 'goal "Footfall up 10%" measure:"weekly footfall count" baseline:1200 target:1320 by:2027-08-31')
    town.ok("bob", 'commit "Count Saturday footfall" by:friday goal:1')
    town.ok("carol", 'commit "Run the river fair" by:2026-12-20 goal:1')
    town.ok("carol", "done 2")
    town.ok("bob", 'pledge money:"£500 a year"')
    town.advance(days=100)
    town.ok("bob", "reading 1 1350")
    _, seen = framework_of(town)
    assert seen.agreement is not None and seen.agreement.in_force and not seen.agreement.waiting
    assert seen.agreement.in_force_since == START
    assert seen.agreement.sections == [("Purpose", "Revive the riverside"),
                                       ("Roles, and what each partner brings", "Each brings what it pledges"),
                                       ("How decisions are made", "By consensus")]
    [goal] = seen.goals
    assert (goal.percent, goal.progress, goal.current) == (125, Decimal(1), Decimal(1350))
    assert goal.said in town.ok("bob", "goals")
    assert (goal.open, goal.overdue, goal.done) == (1, 1, 1)
    assert [(w.number, w.status, w.overdue, w.days_late) for w in goal.work] == [(1, "open", True, 0), (2, "done", False, 0)]
    [partner] = seen.partners
    assert (partner.partner, partner.pledges[0].pledged, partner.pledges[0].kept, partner.pledges[0].short) == (
        "Chamber of Trade", "£500 a year", "£0 delivered of £136.89 due so far", True)


def test_sign_off_nudges_are_derived_for_every_partnership_in_fixed_statements(chat: Chat) -> None:
    def partnership(n: int) -> None:
        chat.channel = f"room{n}"
        chat.ok("alice", f'setup "Partnership {n}" kind:task-force')
        chat.ok("alice", 'join org:"Council" sector:public')
        chat.ok("bob", f'join org:"Trust {n}" sector:voluntary')
        chat.ok("alice", 'agreement edit roles:"Ours"')

    def derived() -> tuple[int, int]:
        with counting(chat.sessions.kw["bind"]) as statements, chat.sessions() as session:
            due = terms.nudges(session, chat.now)
        return len(statements), len(due)

    partnership(1)
    one, due = derived()
    assert due == 1
    for n in range(2, 7):
        partnership(n)
    many, due = derived()
    assert due == 6 and many == one, (one, many)
