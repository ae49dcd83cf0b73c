"""Several bot processes sweeping one PostgreSQL database send each nudge exactly once.

Each sweeper has its own engine and connections, as separate processes would, and they
start together on a barrier and sweep repeatedly at the same moment, so they contend for
the same rows. Only PostgreSQL runs several writers at once; SQLite has one writer.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot import scheduler
from handlers.nudges import derive
from handlers.reply import Reply
from storage import derivation
from storage import nudges as ledger
from storage.database import make_engine, session_factory, transaction
from storage.models import Nudge, Partnership
from tests.conftest import Chat

pytestmark = pytest.mark.skipif(
    not os.environ.get("PARTNERBOT_TEST_DATABASE_URL", "").startswith("postgres"),
    reason="concurrent sweepers need PostgreSQL: set PARTNERBOT_TEST_DATABASE_URL=postgresql://...",
)

SWEEPERS = 4
SWEEPS_EACH = 3


class SharedInbox:
    """A delivery several sweepers share: every nudge line each recipient was sent."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[str] = []
        self.lines: list[tuple[str, str]] = []

    def send_to_person(self, workspace: str, user_id: str, *, reply: Reply,
                       partnership_channel: str | None = None) -> None:
        self.take(f"@{user_id}", reply)

    def send_to_channel(self, workspace: str, channel: str, *, reply: Reply) -> None:
        self.take(f"#{channel}", reply)

    def take(self, recipient: str, reply: Reply) -> None:
        with self.lock:
            self.messages.append(recipient)
            self.lines += [(recipient, item.text) for section in reply.sections for item in section.items]


def busy_partnership(town: Chat) -> None:
    """Seven people with overdue work, a stale concern and a week of history: many nudges."""
    for name in ("dev", "erin", "frank", "gina"):
        town.ok(name, f'join org:"{name.title()} Ltd" sector:private capacity:2h volunteer')
    for name in ("alice", "bob", "carol", "dev", "erin", "frank", "gina"):
        for task in ("leaflets", "posters", "stalls"):
            town.ok(name, f'commit "{name}: {task}" by:friday effort:2h')
    town.ok("bob", 'concern "The budget favours the council" kind:priorities')
    town.now = datetime(2026, 12, 15, 10, 0, tzinfo=UTC)


def together(engine: Engine, work: Callable[[int, sessionmaker[Session]], None], count: int = SWEEPERS) -> None:
    """Run `work` in `count` threads at once, each with its own engine (as separate processes
    would have), released together by a barrier; re-raise the first thing that went wrong."""
    url = engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url) for _ in range(count)]
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait()
            work(index, session_factory(engines[index]))
        except BaseException as exc:  # reported below, with the thread's own traceback
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for each in engines:
            each.dispose()
    if errors:
        raise errors[0]


def test_concurrent_sweepers_send_each_nudge_exactly_once(town: Chat, engine: Engine) -> None:
    busy_partnership(town)
    inbox = SharedInbox()

    def sweep_repeatedly(index: int, sessions: sessionmaker[Session]) -> None:
        for _ in range(SWEEPS_EACH):
            scheduler.sweep(sessions, inbox, "console", now=town.now, worker=f"sweeper-{index}")

    together(engine, sweep_repeatedly)

    with town.sessions() as session:
        owed = [(f"@{n.person.user_id}" if n.person else f"#{n.channel}", n.text)
                for n in session.scalars(select(Nudge))]
        unsent = session.scalars(select(Nudge).where(Nudge.sent_at.is_(None))).all()
    assert len(owed) > 20, "the scenario should owe plenty of nudges"
    assert unsent == []
    delivered = Counter(inbox.lines)
    assert delivered == Counter(owed), "every recorded nudge delivered, nothing else"
    assert max(delivered.values()) == 1, "nothing delivered twice"
    # Batching holds across processes: each recipient got all of its nudges in one message.
    assert max(Counter(inbox.messages).values()) == 1
    assert {"@alice", "@bob", "@gina", "#general"} <= set(inbox.messages)


def test_sweepers_share_a_midnight_chunk_by_chunk(town: Chat, engine: Engine,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Four sweepers at once, each sweeping until nothing is due: one derives a chunk at a time,
    the others take the next chunks as they come; every nudge owed goes once."""
    monkeypatch.setattr(derivation, "CHUNK", 1)
    for channel, coordinator, owner in (("market", "mia", "ned"), ("library", "olga", "pat"),
                                        ("garden", "quinn", "rosa")):
        town.channel = channel
        town.ok(coordinator, f'setup "{channel.title()} Group" kind:task-force')
        town.ok(owner, f'join org:"{owner.title()} Ltd" sector:private capacity:2h volunteer')
        town.ok(owner, f'commit "{owner}: posters" by:friday effort:2h')
    town.channel = "general"
    busy_partnership(town)
    inbox = SharedInbox()

    def sweep_until_done(index: int, sessions: sessionmaker[Session]) -> None:
        for _ in scheduler.work_off(sessions, inbox, "console", now=town.now, worker=f"sweeper-{index}"):
            pass

    together(engine, sweep_until_done)

    with town.sessions() as session:
        assert set(session.scalars(select(Partnership.derived_at))) == {town.now}, "all four derived"
        owed = [(f"@{n.person.user_id}" if n.person else f"#{n.channel}", n.text)
                for n in session.scalars(select(Nudge))]
        unsent = session.scalars(select(Nudge).where(Nudge.sent_at.is_(None))).all()
    assert unsent == []
    delivered = Counter(inbox.lines)
    assert delivered == Counter(owed), "every recorded nudge delivered, nothing else"
    assert max(delivered.values()) == 1, "nothing delivered twice"
    assert {"@ned", "@pat", "@rosa", "@gina"} <= {who for who, text in owed if "posters was due" in text}


def test_recording_the_same_nudges_at_once_keeps_one_row_each(town: Chat, engine: Engine) -> None:
    busy_partnership(town)

    def record(index: int, sessions: sessionmaker[Session]) -> None:
        with transaction(sessions) as session:
            due, _ = derive(session, town.now)
            ledger.record(session, due, town.now)

    together(engine, record)
    with town.sessions() as session:
        keys = session.scalars(select(Nudge.key)).all()
    assert len(keys) == len(set(keys)) > 20
