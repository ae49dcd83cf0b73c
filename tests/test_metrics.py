"""The metrics /metrics serves, read as Prometheus reads them: before and after commands and a sweep."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics, scheduler
from handlers.nudges import Deriver, DueNudge
from handlers.registry import COMMANDS
from handlers.reply import Reply
from storage.models import Nudge, Partnership
from tests.conftest import Chat


def scrape(sessions: sessionmaker[Session]) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.exposition(sessions).decode()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(scraped: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


class Inbox:
    """Takes everyone's nudges but Bob's: Slack refuses his."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send_to_person(self, workspace: str, user_id: str, *, reply: Reply, partnership_channel: str | None = None) -> None:
        if user_id == "bob":
            raise RuntimeError("cannot_dm_bot")
        self.sent.append(user_id)

    def send_to_channel(self, workspace: str, channel: str, *, reply: Reply) -> None:
        self.sent.append(channel)


def test_commands_by_outcome_and_their_latency(town: Chat, engine: Engine, sessions: sessionmaker[Session],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    metrics.watch(engine)
    before = scrape(sessions)
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("carol", 'commit "Book the hall" by:friday')
    town.refused("carol", "done 1")  # Bob's, not hers
    town.refused("carol", "comit typo")

    def broken(*_: object) -> Reply:
        raise RuntimeError("a bug")

    monkeypatch.setitem(COMMANDS, "load", replace(COMMANDS["load"], func=broken))
    assert "Something went wrong" in town.say("alice", "load").plain()
    after = scrape(sessions)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("partnerbot_commands_total", platform="console", command="commit", outcome="done") == 2
    assert grew("partnerbot_commands_total", platform="console", command="done", outcome="refused") == 1
    assert grew("partnerbot_commands_total", platform="console", command="unknown", outcome="refused") == 1
    assert grew("partnerbot_commands_total", platform="console", command="load", outcome="failed") == 1
    assert grew("partnerbot_command_seconds_count", platform="console") == 5
    assert grew("partnerbot_command_seconds_bucket", platform="console", le="+Inf") == 5


def test_a_sweep_counts_nudges_by_kind_and_the_database_says_what_waits(
        town: Chat, engine: Engine, sessions: sessionmaker[Session]) -> None:
    metrics.watch(engine)
    for name in ("alice", "bob", "carol"):
        town.ok(name, f'commit "{name}: leaflets" by:friday effort:2h')
    town.ok("bob", 'concern "The budget favours the council" kind:priorities')
    before = scrape(sessions)
    swept_at = datetime(2026, 12, 15, 10, 0, tzinfo=UTC)

    report = scheduler.sweep(sessions, Inbox(), "console", now=swept_at)

    after = scrape(sessions)
    with sessions() as session:
        sent = Counter(session.scalars(select(Nudge.kind).where(Nudge.sent_at.is_not(None))))
        failed = Counter(session.scalars(select(Nudge.kind).where(Nudge.sent_at.is_(None), Nudge.attempts > 0)))
        waiting = len(session.scalars(select(Nudge.id).where(Nudge.sent_at.is_(None))).all())
    assert sent and failed and report.failed == 1
    for kinds, result in ((sent, "sent"), (failed, "failed")):
        for kind, n in kinds.items():
            labels = {"platform": "console", "kind": kind, "result": result}
            assert value(after, "partnerbot_nudges_total", **labels) - value(before, "partnerbot_nudges_total",
                                                                             **labels) == n, (kind, result)
    assert value(after, "partnerbot_sweep_seconds_count", platform="console") == \
        value(before, "partnerbot_sweep_seconds_count", platform="console") + 1
    assert value(after, "partnerbot_nudges_pending") == waiting > 0
    assert value(after, "partnerbot_sweep_last_success_timestamp_seconds", platform="console") >= swept_at.timestamp()


def test_partnerships_whose_derivation_failed_are_counted_until_one_derives(
        town: Chat, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator can alert on partnerships whose nudges wait on a derivation that fails."""
    derive_all = Deriver.all

    def failing(deriver: Deriver) -> list[DueNudge]:
        raise RuntimeError("a bad row")

    monkeypatch.setattr(Deriver, "all", failing)
    swept_at = datetime(2026, 12, 15, 10, 0, tzinfo=UTC)
    report = scheduler.sweep(sessions, Inbox(), "console", now=swept_at)
    assert report.underived == 1 and "1 partnership could not be derived (see the log)" in report.summary()
    assert value(scrape(sessions), "partnerbot_partnerships_underived") == 1
    with sessions.begin() as session:  # a partnership that has ended owes nothing: not counted
        session.execute(update(Partnership).values(end_date=date(2026, 12, 1), ends_at=datetime(2026, 12, 2, tzinfo=UTC)))
    assert value(scrape(sessions), "partnerbot_partnerships_underived") == 0
    with sessions.begin() as session:
        session.execute(update(Partnership).values(end_date=None, ends_at=None))

    monkeypatch.setattr(Deriver, "all", derive_all)
    assert scheduler.sweep(sessions, Inbox(), "console", now=swept_at.replace(hour=11)).derived == 1
    assert value(scrape(sessions), "partnerbot_partnerships_underived") == 0


def test_database_connections_in_use_against_the_limit(engine: Engine, sessions: sessionmaker[Session]) -> None:
    metrics.watch(engine)
    metrics.watch(engine)  # watched twice (the tests' engine serves every test): counted once
    idle = scrape(sessions)
    with sessions() as session:
        session.execute(text("SELECT 1"))  # holds a connection until the session closes
        busy = scrape(sessions)
    assert value(busy, "partnerbot_database_connections_in_use") == \
        value(idle, "partnerbot_database_connections_in_use") + 1
    assert value(busy, "partnerbot_database_connections_limit") >= 15  # this engine's pool of 5, plus 10 more
