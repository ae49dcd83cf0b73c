"""A partnership linked to a Slack channel and a Matrix room shows one record on both: the
real Bolt app (with the Slack recorder) and the real Matrix bot on Synapse, in one run."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import scheduler
from bot.slack.app import delivery as slack_delivery
from storage.models import DecisionResponse
from tests.matrix_homeserver import Person, RunningBot
from tests.slack_recorder import SlackHarness, text_of
from tests.test_matrix_delivery import notices

pytest_plugins = ("tests.matrix_fixtures", "tests.slack_fixtures")

DIGEST = "The week in Riverside Partnership"


def test_one_record_on_slack_and_matrix(riverside: SlackHarness, people: Callable[[str], Person],
                                        start_bot: Callable[..., RunningBot], bot_account: str,
                                        sessions: sessionmaker[Session]) -> None:
    shown = text_of(riverside.run("link room").params.get("blocks") or [])
    code = re.search(r"use code:([a-z0-9-]+)", shown)
    assert code is not None, shown

    bot = start_bot()
    dan = people("dan")
    room = dan.room_with_bot(bot_account)
    linked = dan.ask(room, f"!partner use code:{code[1]}", bot_account)["body"]
    assert "This room now works with Riverside Partnership" in linked
    joined = dan.ask(room, '!partner join org:"Plaza Traders" sector:private', bot_account)["body"]
    assert "you are a separate member from any account of yours on another platform" in joined

    # A commitment made on Slack is the one Matrix lists; one made on Matrix, the one Slack lists.
    riverside.run('commit "Deliver 500 leaflets" by:"in 10 days"', user="UBOB")
    assert "Deliver 500 leaflets" in dan.ask(room, "!partner status", bot_account)["body"]
    dan.ask(room, '!partner commit "Sweep the plaza" by:"in 10 days"', bot_account)
    assert "Sweep the plaza" in dan.ask(room, "!partner mine", bot_account)["body"]
    assert "Sweep the plaza" in text_of(riverside.run("status").params.get("blocks") or [])
    rooms = dan.ask(room, "!partner rooms", bot_account)["body"]
    assert "1. slack C1" in rooms and f"2. matrix {room}" in rooms

    # Nine days on, the week's digest reaches the Slack channel and the Matrix room, once each,
    # however often each platform sweeps.
    later = datetime.combine(datetime.now(UTC).date() + timedelta(days=9), time(12), tzinfo=UTC)
    slack = slack_delivery(riverside.settings, sessions)
    sent: list[scheduler.Outgoing] = []
    for _ in range(2):
        for platform, through in (("slack", slack), ("matrix", bot.bot.delivery)):
            report = scheduler.sweep(sessions, through, platform, now=later)
            assert report.failed == 0
            sent += report.sent
    digests = [c.params for c in riverside.said() if DIGEST in text_of(c.params.get("blocks") or [])
               or DIGEST in c.params.get("text", "")]
    assert [d["channel"] for d in digests] == ["C1"]
    in_room = dan.wait("the digest in the Matrix room",
                       lambda: [n for n in notices(dan, room, bot_account) if DIGEST in n] or None)
    assert len(in_room) == 1
    # Each message went out once, on its recipient's own platform: a Matrix person's only on Matrix.
    assert sorted((m.platform, m.channel) for m in sent if m.channel) == [("matrix", room), ("slack", "C1")]
    assert ("matrix", dan.mxid.removeprefix("@")) in [(m.platform, m.user_id) for m in sent]
    assert all(m.platform == ("matrix" if ":" in m.user_id else "slack") for m in sent if m.user_id)
    assert not any("Sweep the plaza" in text_of(c.params.get("blocks") or []) for c in riverside.said()
                   if c.params["channel"] != "C1")


def test_one_person_on_slack_and_matrix(riverside: SlackHarness, people: Callable[[str], Person],
                                        start_bot: Callable[..., RunningBot], bot_account: str,
                                        sessions: sessionmaker[Session]) -> None:
    """Bob on Slack links his Matrix account: from Matrix he is the one member Slack knows,
    with his Slack work and his one vote."""
    code = re.search(r"use code:([a-z0-9-]+)", text_of(riverside.run("link room").params.get("blocks") or []))
    assert code is not None
    start_bot()
    bob = people("bob")
    room = bob.room_with_bot(bot_account)
    bob.ask(room, f"!partner use code:{code[1]}", bot_account)
    riverside.run('commit "Deliver 500 leaflets" by:"in 10 days"', user="UBOB")
    riverside.run('propose "Meet on Thursdays" mode:vote')
    riverside.run("vote 1 yes", user="UBOB")
    asked = riverside.run("link me", user="UBOB")
    assert asked.method == "ack" and asked.params["response_type"] == "ephemeral", "the code is for Bob's eyes only"
    mine = re.search(r"use code:([a-z0-9-]+)", text_of(asked.params.get("blocks") or []))
    assert mine is not None
    linked = bob.ask(room, f"!partner use code:{mine[1]}", bot_account)["body"]
    assert "now the same person as your slack account" in linked
    assert "Deliver 500 leaflets" in bob.ask(room, "!partner mine", bot_account)["body"]
    assert "was yes" in bob.ask(room, "!partner vote 1 no", bot_account)["body"]
    with sessions() as session:
        votes = [(r.member.person.platform, r.member.person.user_id, r.position.value)
                 for r in session.scalars(select(DecisionResponse))]
    assert votes == [("slack", "UBOB", "no")], "one vote, Bob's, changed from Matrix"
