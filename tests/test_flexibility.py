"""Flexibility: offers of time, money, priorities or resources, listed, filtered and withdrawn."""

from __future__ import annotations

import pytest

from storage.models import Event, FlexDimension, Flexibility
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse


def test_flex_offer_is_stored_announced_and_logged(town: Chat) -> None:
    out = town.ok("carol", 'flex time "Two extra evenings a month until the launch"')
    assert 'Carol (Riverside Trust) can flex on time: "Two extra evenings a month until the launch" (#1)' in out
    [offer] = all_of(town.sessions, Flexibility)
    assert offer.dimension is FlexDimension.TIME and offer.member.person.user_id == "carol"
    assert offer.withdrawn_at is None
    [event] = [e for e in all_of(town.sessions, Event) if e.action == "flex"]
    assert event.actor.user_id == "carol" and event.subject_id == offer.id


@pytest.mark.parametrize("dimension", ["time", "money", "priorities", "resources"])
def test_each_dimension_is_accepted(town: Chat, dimension: str) -> None:
    town.ok("bob", f'flex {dimension} "Something to give"')
    assert all_of(town.sessions, Flexibility)[0].dimension is FlexDimension(dimension)


def test_flex_lists_every_open_offer_by_dimension(town: Chat) -> None:
    town.ok("carol", 'flex time "Two extra evenings"')
    town.ok("alice", 'flex money "Up to £500 from the events budget"')
    out = town.ok("bob", "flex")
    assert out.splitlines()[0] == "Flexibility in Riverside Partnership"
    assert '#1 time: Carol (Riverside Trust): "Two extra evenings" (since Tue 24 Nov)' in out
    assert '#2 money: Alice (Town Council): "Up to £500 from the events budget"' in out


def test_flex_with_no_offers_invites_one(town: Chat) -> None:
    assert 'No offers yet. Add yours: `flex time "..."`.' in town.ok("bob", "flex")


def test_flex_who_filters_by_dimension(town: Chat) -> None:
    town.ok("carol", 'flex time "Two extra evenings"')
    town.ok("bob", 'flex time "Saturday mornings"')
    town.ok("alice", 'flex money "£500"')
    out = town.ok("alice", "flex who time")
    assert out.splitlines()[0] == "Who can flex on time"
    assert 'Carol (Riverside Trust): "Two extra evenings"' in out and 'Bob (Chamber of Trade): "Saturday mornings"' in out
    assert "£500" not in out


def test_flex_who_with_nobody_says_so(town: Chat) -> None:
    assert "Nobody has offered resources yet." in town.ok("bob", "flex who resources")


def test_flex_who_needs_a_known_dimension(town: Chat) -> None:
    refuse(town, "bob", "flex who patience", "`patience` isn't a kind of flexibility", "time, money")


def test_withdraw_your_own_offer(town: Chat) -> None:
    town.ok("carol", 'flex time "Two extra evenings"')
    town.advance(days=5)
    assert "Withdrew offer #1." in town.ok("carol", "flex withdraw 1")
    [offer] = all_of(town.sessions, Flexibility)
    assert offer.withdrawn_at == town.now
    assert "Two extra evenings" not in town.ok("bob", "flex")
    assert [e.action for e in all_of(town.sessions, Event)][-1] == "flex-withdraw"


def test_cannot_withdraw_someone_elses_offer(town: Chat) -> None:
    town.ok("carol", 'flex time "Two extra evenings"')
    refuse(town, "bob", "flex withdraw 1", "Offer #1 is Carol's; only they or a coordinator can withdraw it")
    assert all_of(town.sessions, Flexibility)[0].withdrawn_at is None


def test_withdrawing_twice_is_refused(town: Chat) -> None:
    town.ok("carol", 'flex time "Two extra evenings"')
    town.ok("carol", "flex withdraw 1")
    refuse(town, "carol", "flex withdraw 1", "#1", "`flex`")


def test_flex_needs_the_offer_text(town: Chat) -> None:
    refuse(town, "bob", "flex time", "Say the offer")


def test_a_coordinator_may_withdraw_anyones_offer(town: Chat) -> None:
    town.ok("carol", 'flex time "Two extra evenings"')
    assert "Withdrew offer #1 (Carol's)." in town.ok("alice", "flex withdraw 1")
    assert all_of(town.sessions, Flexibility)[0].withdrawn_at == town.now
    [logged] = [e for e in all_of(town.sessions, Event) if e.action == "flex-withdraw"]
    assert logged.actor.user_id == "alice" and logged.reason == "withdrawn by Alice" and logged.subject_id == 1


def test_the_same_offer_twice_is_refused_naming_the_standing_one(town: Chat) -> None:
    town.ok("carol", 'flex time "An extra 2 hours a month"')
    refuse(town, "carol", 'flex time "an extra 2  hours a month"',
           'You already offered that, as #1 (time: "An extra 2 hours a month"); nothing changed.', "`flex withdraw 1`")
    # The same words are a new offer of another kind, from someone else, or once the first is withdrawn.
    town.ok("carol", 'flex resources "An extra 2 hours a month"')
    town.ok("bob", 'flex time "An extra 2 hours a month"')
    town.ok("carol", "flex withdraw 1")
    assert "(#4)" in town.ok("carol", 'flex time "An extra 2 hours a month"')
    assert [(f.number, f.withdrawn_at is None) for f in all_of(town.sessions, Flexibility)] == [
        (1, False), (2, True), (3, True), (4, True)]
