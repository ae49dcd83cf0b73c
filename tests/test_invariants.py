"""What must never happen is refused by the database itself, whatever code path tries it:
the rules of migration 0008, checked with plain SQL on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.conftest import Chat


def refused(chat: Chat, statement: str) -> None:
    """The statement breaks a rule: the database refuses it and nothing changes."""
    with pytest.raises(IntegrityError, match="refused"), chat.sessions.begin() as session:
        session.execute(text(statement))


def allowed(chat: Chat, statement: str) -> None:
    with chat.sessions.begin() as session:
        session.execute(text(statement))


def test_a_partnership_keeps_a_coordinator(town: Chat) -> None:
    refused(town, "UPDATE members SET left_at = CURRENT_TIMESTAMP WHERE role = 'coordinator'")
    refused(town, "UPDATE members SET role = 'member' WHERE role = 'coordinator'")
    town.ok("alice", "member role @bob coordinator")
    allowed(town, "UPDATE members SET role = 'member' WHERE person_id = "
                  "(SELECT id FROM people WHERE user_id = 'alice')")
    allowed(town, "UPDATE partnerships SET closed_at = CURRENT_TIMESTAMP")
    allowed(town, "UPDATE members SET role = 'member' WHERE role = 'coordinator'")


def test_a_finished_commitment_ends_once_and_an_open_one_has_a_current_owner(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    refused(town, "UPDATE members SET left_at = CURRENT_TIMESTAMP WHERE id = (SELECT owner_id FROM commitments)")
    town.ok("bob", "done 1")
    refused(town, "UPDATE commitments SET status = 'dropped'")
    allowed(town, "UPDATE commitments SET status = 'open', closed_at = NULL")
    allowed(town, "UPDATE commitments SET status = 'dropped', closed_at = CURRENT_TIMESTAMP")
    town.ok("bob", "leave")
    refused(town, "UPDATE commitments SET status = 'open', closed_at = NULL")
    refused(town, "INSERT INTO commitments (partnership_id, owner_id, title, due_at, status, created_at) "
                  "SELECT partnership_id, owner_id, 'Sneaked in', due_at, 'open', created_at FROM commitments")


def test_a_settled_decision_never_changes(town: Chat) -> None:
    town.ok("bob", 'propose "Adopt the market plan" closes:friday')
    town.ok("bob", "agree 1")
    town.ok("bob", "withdraw 1")
    refused(town, "UPDATE decisions SET status = 'passed', outcome = 'Passed after all'")
    refused(town, "UPDATE decision_responses SET position = 'block', reason = 'Too late'")
    refused(town, "INSERT INTO decision_responses (decision_id, partnership_id, member_id, position, responded_at) "
                  "SELECT decision_id, partnership_id, member_id + 1, 'agree', responded_at FROM decision_responses")
