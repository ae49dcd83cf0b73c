"""Slack answering 429 (rate limited, with Retry-After) or 5xx (an outage): every kind of
message the bot sends is retried until Slack takes it, and nothing is lost or sent twice.

Replies to commands and clicks (chat.postMessage, chat.postEphemeral, and a response_url where
the bot may not post) retry within the request; a nudge Slack still refuses after the
retries stays owed, and a later sweep sends it once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import scheduler
from bot.slack.delivery import Delivery
from storage.models import Nudge
from tests.slack_recorder import BOT_TOKEN, Call, Recorder, SlackHarness, button, state, text_of
from tests.test_faults_crash import partnership

pytest_plugins = ("tests.slack_fixtures",)


def tries(calls: list[Call]) -> list[str]:
    """The words of each attempt, in order."""
    return [text_of(c.params.get("blocks") or []) for c in calls]


def test_a_private_answer_is_retried_through_an_outage(riverside: SlackHarness) -> None:
    """A click's personal answer (a slash command's rides in its 200) goes by chat.postEphemeral."""
    announced = riverside.run('commit "Book the hall" by:"in 2 weeks"', user="UBOB")
    earlier, posts = len(riverside.said("chat.postEphemeral")), len(riverside.said("chat.postMessage"))
    riverside.recorder.fail("chat.postEphemeral", status=500, retry_after=None)  # backs off by itself
    riverside.recorder.fail("chat.postEphemeral", status=503, retry_after="0")
    riverside.click(button(announced.params["blocks"], "Snooze 3 days"), user="UBOB")
    attempts = tries(riverside.said("chat.postEphemeral")[earlier:])
    assert len(attempts) == 3 and len(set(attempts)) == 1
    assert "Book the hall" in attempts[-1]
    assert len(riverside.said("chat.postMessage")) == posts  # nothing else was sent


def test_an_announcement_is_retried_as_long_as_slack_asks(riverside: SlackHarness) -> None:
    riverside.recorder.fail("chat.postMessage", status=429, retry_after="1", times=2)
    riverside.command('commit "Deliver 500 leaflets" by:"in 2 weeks"', user="UBOB")
    attempts = [words for words in tries(riverside.said()) if "Deliver 500 leaflets" in words]
    assert len(attempts) == 3
    assert state(riverside.sessions)["commitments"] == 1


def test_the_response_url_is_retried_too(riverside: SlackHarness) -> None:
    """In a private channel the bot is not in, a click's answer goes by response_url, which
    Slack can rate-limit or fail like any other call."""
    announced = riverside.run('commit "Book the hall" by:"in 2 weeks"', user="UBOB")
    riverside.recorder.fail("chat.postEphemeral", status=200, retry_after=None, error="channel_not_found")
    riverside.recorder.fail("response_url", status=429, retry_after="0")
    riverside.recorder.fail("response_url", status=502, retry_after="0")
    riverside.click(button(announced.params["blocks"], "Snooze 3 days"), user="UBOB", channel="GSECRET")
    attempts = riverside.said("response_url")
    assert len(attempts) == 3
    assert "Book the hall" in text_of(attempts[-1].params["blocks"])


def overdue(sessions: sessionmaker[Session]) -> datetime:
    """Bob's commitment in Slack workspace T1 went overdue yesterday; returns now."""
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    partnership(sessions, now - timedelta(days=10)).ok("UBOB", 'commit "Deliver 500 leaflets" by:tomorrow')
    return now


def reminders(recorder: Recorder) -> list[Call]:
    return [c for c in recorder.calls("chat.postMessage")
            if c.params["channel"] == "UBOB" and "Deliver 500 leaflets" in text_of(c.params["blocks"])]


def test_a_nudge_slack_keeps_refusing_is_sent_once_by_a_later_sweep(
        sessions: sessionmaker[Session], recorder: Recorder) -> None:
    now = overdue(sessions)
    delivery = Delivery(recorder.url, BOT_TOKEN)
    recorder.fail("chat.postMessage", status=503, retry_after="0", times=100)
    first = scheduler.sweep(sessions, delivery, "slack", now=now)
    assert first.failed >= 1 and reminders(recorder)  # tried, and retried, in vain
    with sessions() as session:
        owed = session.scalars(select(Nudge).where(Nudge.person_id.is_not(None), Nudge.sent_at.is_(None))).all()
        assert owed and all(n.attempts == 1 and n.last_error for n in owed)
    recorder.failures.clear()
    refused = len(reminders(recorder))
    scheduler.sweep(sessions, delivery, "slack", now=now + timedelta(seconds=30))
    assert len(reminders(recorder)) == refused, "retried before its back-off"
    scheduler.sweep(sessions, delivery, "slack", now=now + timedelta(hours=1))
    scheduler.sweep(sessions, delivery, "slack", now=now + timedelta(hours=2))
    assert len(reminders(recorder)) == refused + 1
    with sessions() as session:
        assert session.scalars(select(Nudge).where(Nudge.sent_at.is_(None))).all() == []


def test_a_rate_limited_nudge_goes_in_the_same_sweep(sessions: sessionmaker[Session], recorder: Recorder) -> None:
    now = overdue(sessions)
    recorder.fail("chat.postMessage", status=429, retry_after="0", times=2)
    report = scheduler.sweep(sessions, Delivery(recorder.url, BOT_TOKEN), "slack", now=now)
    assert report.failed == 0 and reminders(recorder)
    assert len(recorder.calls("chat.postMessage")) == len(report.sent) + 2  # two refused, then taken
    with sessions() as session:
        assert session.scalars(select(Nudge).where(Nudge.sent_at.is_(None))).all() == []
