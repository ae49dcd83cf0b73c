"""A handover on Slack: the new owner gets a direct message with Accept / Decline buttons,
and clicking them (through the real Bolt app, over signed HTTP) answers the handover."""

from __future__ import annotations

from sqlalchemy import select

from bot import scheduler
from bot.slack.delivery import Delivery
from storage.models import Commitment, Event
from tests.slack_recorder import BOT_TOKEN, SlackHarness, awake, button, text_of

pytest_plugins = ("tests.slack_fixtures",)


def handover_dm(riverside: SlackHarness, user: str) -> list[dict]:  # type: ignore[type-arg]
    """Sweep, as the scheduler does after the command (at an hour nobody is asleep), and return
    the direct message's blocks."""
    scheduler.sweep(riverside.sessions, Delivery(riverside.recorder.url, BOT_TOKEN), "slack", now=awake())
    dm = next(c for c in reversed(riverside.said("chat.postMessage")) if c.params["channel"] == user)
    return dm.params["blocks"]


def test_accept_button_in_the_handover_message(riverside: SlackHarness) -> None:
    riverside.run('commit "Book the hall" by:"in 2 weeks" effort:1h', user="UBOB")
    riverside.run("reassign 1 @UCAROL", user="UBOB")
    blocks = handover_dm(riverside, "UCAROL")
    assert "Bob handed you #1 Book the hall" in text_of(blocks)
    riverside.click(button(blocks, "Accept", "accept 1"), user="UCAROL", channel="DCAROL")
    assert "Carol takes on #1 Book the hall" in text_of(riverside.last("chat.postMessage").params["blocks"])
    with riverside.sessions() as session:
        c = session.scalars(select(Commitment)).one()
        assert c.owner.person.user_id == "UCAROL" and c.handover_from_id is None
    riverside.click(button(blocks, "Accept", "accept 1"), user="UCAROL", channel="DCAROL")  # clicked again
    assert "nothing waits for an answer" in text_of(riverside.last("chat.postEphemeral").params["blocks"])
    with riverside.sessions() as session:
        assert len([e for e in session.scalars(select(Event)) if e.action == "accept"]) == 1


def test_decline_button_asks_why_and_returns_the_work(riverside: SlackHarness) -> None:
    riverside.run('commit "Book the hall" by:"in 2 weeks"', user="UBOB")
    riverside.run("reassign 1 @UCAROL", user="UBOB")
    blocks = handover_dm(riverside, "UCAROL")
    riverside.click(button(blocks, "Decline"), user="UCAROL", channel="DCAROL")
    modal = riverside.last("views.open").params["view"]
    riverside.submit(modal, {"words": {"type": "plain_text_input", "value": "I am away that week"}}, user="UCAROL")
    assert "Carol declined #1 Book the hall (I am away that week); it is back with Bob" in text_of(
        riverside.last("chat.postMessage").params["blocks"])
    with riverside.sessions() as session:
        assert session.scalars(select(Commitment)).one().owner.person.user_id == "UBOB"
    scheduler.sweep(riverside.sessions, Delivery(riverside.recorder.url, BOT_TOKEN), "slack", now=awake())
    told = [c for c in riverside.said("chat.postMessage") if c.params["channel"] == "UALICE"]
    assert told and 'Carol declined #1 Book the hall: "I am away that week"' in text_of(told[-1].params["blocks"])
