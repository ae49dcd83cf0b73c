"""Workspace = team id: one workspace's users cannot see or change another's partnerships,
even with the same channel id, the same user id, or a button copied from the other."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Commitment, CommitmentStatus, Partnership, Person
from tests.slack_recorder import SlackHarness, button, state, text_of

pytest_plugins = ("tests.slack_fixtures",)


def refusal(slack: SlackHarness) -> str:
    return text_of(slack.last("ack").params["blocks"])


def test_another_workspace_cannot_see_the_partnership(riverside: SlackHarness) -> None:
    riverside.run('commit "Deliver 500 leaflets" by:"in 2 weeks"', user="UBOB")
    for command in ("who", "partnership", "load", "concerns", "members"):
        riverside.command(command, user="UMALLORY", team="T2", channel="C1")
        assert "isn't linked to a partnership" in refusal(riverside), command
    riverside.command("partnerships", user="UMALLORY", team="T2", channel="C1")
    assert "Riverside" not in refusal(riverside)
    riverside.command("who leaflets", user="UBOB", team="T2", channel="C1")
    assert "Deliver 500 leaflets" not in refusal(riverside)


def test_another_workspace_cannot_change_it(riverside: SlackHarness) -> None:
    announced = riverside.run('commit "Deliver 500 leaflets" by:"in 2 weeks"', user="UBOB")
    riverside.run('concern "The budget split" kind:priorities', user="UCAROL")
    before = state(riverside.sessions)
    # Same user ids, same channel id, other team: typed, or clicking a copied button.
    for command in ("done 1", 'drop 1 "gone"', 'resolve 1 "nothing"', 'discuss 1 "hello"', "member remove @UBOB",
                    'partnership edit goals:"Take over"', 'use "Riverside Partnership"'):
        riverside.command(command, user="UALICE", team="T2", channel="C1")
        assert refusal(riverside).startswith(":warning:"), command
    riverside.click(button(announced.params["blocks"], "Mark done"), user="UBOB", team="T2", channel="C1")
    with riverside.sessions() as session:
        assert session.scalars(select(Commitment.status)).one() is CommitmentStatus.OPEN
    assert refusal(riverside).startswith(":warning:")
    assert state(riverside.sessions) == before


def test_the_same_name_may_exist_in_both_workspaces(riverside: SlackHarness) -> None:
    riverside.run('setup "Riverside Partnership" kind:task-force', user="UMALLORY", team="T2", channel="C9")
    riverside.run('join org:"Ferry Co" sector:private', user="UMALLORY", team="T2", channel="C9")
    riverside.run('commit "Run the ferry" by:"in 2 weeks"', user="UMALLORY", team="T2", channel="C9")
    listing = riverside.run("who", user="UBOB", team="T1", channel="C1")
    assert "Run the ferry" not in text_of(listing.params["blocks"])
    with riverside.sessions() as session:
        assert sorted(session.scalars(select(Partnership.workspace))) == ["T1", "T2"]
        assert session.scalars(select(Person.workspace).where(Person.user_id == "UMALLORY")).one() == "T2"
