"""What each partner brings: pledges and deliveries, exact decimals with their currency, kept
against each pledge, and counted as giving in give and take."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from handlers.judgements.balance import balances
from storage.models import Delivery, Pledge
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse


@pytest.mark.parametrize(("typed", "amount", "currency", "shown"), [
    ("£500", "500", "GBP", "£500"), ("€1,200.50", "1200.50", "EUR", "€1,200.50"), ('"300 USD"', "300", "USD", "$300"),
    ('"GBP 12.5"', "12.50", "GBP", "£12.50"), ("$0.10", "0.10", "USD", "$0.10"), ('"75 eur"', "75", "EUR", "€75"),
])
def test_money_is_a_decimal_with_its_currency(town: Chat, typed: str, amount: str, currency: str, shown: str) -> None:
    out = town.ok("bob", f'delivered money:{typed} "Printing"')
    assert f"Chamber of Trade delivered money {shown}: Printing (#1, Tue 24 Nov)." in out
    [row] = all_of(town.sessions, Delivery)
    assert (row.amount, row.currency) == (Decimal(amount), currency)
    assert isinstance(row.amount, Decimal)


@pytest.mark.parametrize(("typed", "expected"), [
    ("money:500", "`500` isn't an amount of money with its currency"),
    ("money:£1.234", "`£1.234` isn't an amount of money with its currency"),
    ("money:£0", "`£0` isn't an amount from 0.01 to 1,000,000,000"),
    ('money:"£5 a year"', "A delivery is what was given, once: it has no period"),
    ("money:£2,000,000,000", "isn't an amount from 0.01"),
    ("money:£1000000000000", "`£1000000000000` isn't an amount from 0.01 to 1,000,000,000"),
    ("time:100000000h", "`100000000h` isn't a number of hours from 0.01 to 10,000"),
    ("time:lots", "`lots` isn't a number of hours"),
    ("time:0h", "`0h` isn't a number of hours from 0.01"),
    ("money:£5 time:2h", "Say what was delivered, one kind at a time"),
    ('"Printing"', "Say what was delivered: `time:`, `money:`"),
    ("money:£5 on:tomorrow", "Wed 25 Nov is still to come"),
    ("money:£5 on:someday", "I can't read `someday` as a date"),
    (f'money:£5 "{"x" * 400}"', "What it was for is 400 characters; keep it under 300"),
])
def test_bad_deliveries_are_refused_saying_what_to_type(town: Chat, typed: str, expected: str) -> None:
    refuse(town, "bob", f"delivered {typed}", expected)


def test_a_pledge_too_large_is_refused_naming_the_largest_amount(town: Chat) -> None:
    refuse(town, "bob", 'pledge money:"£1000000000000 a year"',
           "`£1000000000000 a year` isn't an amount from 0.01 to 1,000,000,000")


def test_deliveries_add_up_exactly(town: Chat) -> None:
    for _ in range(3):
        town.ok("bob", 'delivered money:£0.10 "Stamps"')
    town.ok("bob", 'delivered money:£0.20 "Stamps"')
    assert "Delivered in all: £0.50" in town.ok("carol", "pledges")


def test_a_pledge_is_kept_against_what_was_due_by_now(town: Chat) -> None:
    out = town.ok("bob", 'pledge time:"4h a month" money:"£1,200 a year" note:"From the events budget"')
    assert "Chamber of Trade pledges #1 time: 4h a month; #2 money: £1,200 a year. Note: From the events budget." in out
    town.ok("carol", 'pledge premises:"The boathouse on Sundays" equipment:"A gazebo"')
    town.advance(days=91)
    town.ok("bob", 'delivered money:£120 "Printing the leaflets"')
    out = town.ok("bob", 'delivered time:"90m" "Stewarding the fair"')
    assert "Against its pledge #1: time: 4h a month (From the events budget), since Tue 24 Nov 2026: 1.5h " \
           "delivered of 11.96h due so far." in out
    out = town.ok("alice", "pledges")
    assert "#2 money: £1,200 a year (From the events budget), since Tue 24 Nov 2026: £120 delivered of £298.97 " \
           "due so far" in out
    assert "#3 premises: The boathouse on Sundays, since Tue 24 Nov 2026: delivered nothing yet" in out
    assert "Nothing pledged or delivered yet\n  - Town Council" in out
    assert "What each partner brings\n  - Chamber of Trade: time: 4h a month" in town.ok("alice", "agreement")


def test_a_delivery_that_does_not_count_towards_the_pledge_says_why(town: Chat) -> None:
    town.ok("bob", 'pledge money:"€100"')  # 1
    town.ok("bob", 'pledge time:"2h a week"')  # 2
    out = town.ok("bob", 'delivered money:£100 "Cash"')
    assert out.endswith("Chamber of Trade delivered money £100: Cash (#1, Tue 24 Nov). It does not count towards its "
                        "pledge #1 (money: €100 once): it is in GBP and the pledge in EUR.")
    out = town.ok("bob", 'delivered time:3h on:2026-11-01 "Stewarding"')
    assert out.endswith("(#2, Sun 1 Nov). It does not count towards its pledge #2 (time: 2h a week): it was given on "
                        "Sun 1 Nov, before the pledge was made on Tue 24 Nov.")
    listed = town.ok("alice", "pledges")
    assert "#1 money: €100 once, since Tue 24 Nov: €0 of €100 delivered" in listed
    assert "#2 time: 2h a week, since Tue 24 Nov: 0h delivered so far" in listed
    out = town.ok("bob", 'delivered money:€40 "Cash in euro"')
    assert out.endswith("Against its pledge #1: money: €100 once, since Tue 24 Nov: €40 of €100 delivered.")


def test_a_new_pledge_replaces_the_last_of_its_kind(town: Chat) -> None:
    town.ok("bob", 'pledge money:"£500 a year"')
    town.ok("dave", 'join org:"Chamber of Trade" sector:private')
    out = town.ok("dave", 'pledge money:£800')
    assert "Chamber of Trade pledges #2 money: £800 once (replacing #1)." in out
    assert [p.ended_at is None for p in all_of(town.sessions, Pledge)] == [False, True]
    assert "£500" not in town.ok("alice", "pledges")


def test_a_partner_changes_its_own_record_and_a_coordinator_any(town: Chat) -> None:
    town.ok("bob", 'pledge time:"2h a week"')
    town.ok("bob", 'delivered time:3h "Leafleting"')
    refuse(town, "carol", "pledge withdraw 1", "Pledge #1 is Chamber of Trade's; only its members or a coordinator")
    refuse(town, "carol", "delivered undo 1", "Delivery #1 is Chamber of Trade's")
    town.ok("dave", 'join org:"Chamber of Trade" sector:private')
    assert "Undid #1: Chamber of Trade's time 3h: Leafleting no longer counts. Why: Entered twice" in \
        town.ok("dave", 'delivered undo 1 "Entered twice"')
    refuse(town, "bob", "delivered undo 1", "Delivery #1 was already undone")
    assert "Withdrew pledge #1 of Chamber of Trade" in town.ok("alice", "pledge withdraw 1")
    refuse(town, "bob", "pledge withdraw 1", "Pledge #1 no longer stands")
    refuse(town, "bob", "pledge withdraw 9", "There is no pledge #9 in Riverside Partnership", "`pledges`")


def test_observers_pledge_nothing(town: Chat) -> None:
    town.ok("olga", 'join org:"Riverside Gazette" observer')
    refuse(town, "olga", 'pledge money:"£50"', "Observers can read Riverside Partnership but not change it")


def test_a_member_with_no_organisation_pledges_for_themselves(town: Chat) -> None:
    town.ok("alice", "member add @zoe")
    assert "Zoe pledges #1 time: 3h a week." in town.ok("zoe", 'pledge time:"3 hours per week"')
    out = town.ok("zoe", "leave")
    assert "Pledge #1 of Zoe ends" in out


def test_delivered_contributions_are_giving_in_give_and_take(town: Chat) -> None:
    for n in (1, 2):
        town.ok("alice", f'commit "Task {n}" by:friday effort:2h')
        town.ok("alice", f"reassign {n} @bob")
        town.ok("bob", f"accept {n}")
    health = town.ok("alice", "health")
    assert "Give and take out of balance" in health and "Town Council: gave 0" in health
    town.ok("alice", 'pledge money:"£2,000 a year"')
    assert "Give and take out of balance" in town.ok("alice", "health"), "a pledge is promised, not given"
    town.ok("alice", 'delivered money:£250 "Hall hire for the fair"')
    health = town.ok("alice", "health")
    assert "Give and take out of balance" not in health
    with town.sessions() as session:
        council = next(b for b in balances(session, 1) if b.partner == "Town Council")
    assert council.describe() == ("Town Council: gave 1 (delivered 0, 0h; took on 0 from others, 0h; contributed 1: "
                                  "£250), asked 2 (2 commitments handed to others, 4h)")
    files = {a.filename: a.content.decode() for a in town.say("alice", "export").attachments}
    assert "| Town Council | 1 | 0 | 0h | 0 | 0h | 1 (£250) | 2 | 4h |" in files["health.md"]


def test_contributions_are_exported_with_what_ended(town: Chat) -> None:
    town.ok("bob", 'pledge money:"€500 a year" note:"Events budget"')
    town.ok("bob", 'delivered money:€120.50 "Leaflets" on:2026-11-20')
    town.ok("bob", 'delivered undo 1 "Wrong amount"')
    files = {a.filename: a.content.decode() for a in town.say("alice", "export").attachments}
    lines = files["contributions.csv"].splitlines()
    assert lines[0].startswith("type,number,partner,recorded_by,kind,amount,currency,period")
    assert lines[1] == ("pledge,1,Chamber of Trade,Bob,money,500.00,EUR,year,€500 a year,Events budget,2026-11-24,"
                        "2026-11-24 10:00,,UTC")
    assert lines[2] == ("delivery,1,Chamber of Trade,Bob,money,120.50,EUR,,€120.50,Leaflets,2026-11-20,"
                        "2026-11-24 10:00,2026-11-24 10:00,UTC")
    assert "- Pledged money: €500 a year; nothing" not in files["agreement.md"]
    assert "### Chamber of Trade\n\n- Pledged money: €500 a year; €0 delivered so far" in files["agreement.md"]


def test_the_history_tells_each_step(town: Chat) -> None:
    town.ok("bob", 'pledge premises:"The shop window" note:"December only"')
    town.ok("bob", 'delivered premises:"The shop window" "Christmas display"')
    out = town.ok("alice", "history about:contributions")
    assert "Bob recorded #1 delivered for Chamber of Trade: premises The shop window: Christmas display" in out
    assert out.endswith("Bob pledged for Chamber of Trade: premises The shop window (December only)")
    assert "pledged for Chamber of Trade" in town.ok("alice", "history pledge 1")
    with town.sessions() as session:
        assert session.scalar(select(Pledge.text)) == "The shop window (December only)"
