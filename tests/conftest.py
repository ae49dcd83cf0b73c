"""Shared fixtures: a fresh, migrated database per test, and a chat driven through the handlers.

Tests run on SQLite by default and on PostgreSQL when PARTNERBOT_TEST_DATABASE_URL is set
(CI sets it), so every test checks both databases.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.config import normalise_database_url
from handlers import Actor, Reply, handle
from storage.database import make_engine, session_factory, upgrade
from storage.models import Base

# A Tuesday morning, so "friday" and "tomorrow" mean the same in every run.
START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_database_url(tmp_path: Path) -> str:
    url = os.environ.get("PARTNERBOT_TEST_DATABASE_URL")
    return normalise_database_url(url) if url else f"sqlite:///{tmp_path / 'partnerbot.db'}"


def reset(engine: Engine) -> None:
    """Give PostgreSQL an empty schema, so each test starts from nothing."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(test_database_url(tmp_path))
    reset(engine)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@dataclass
class Chat:
    """People typing in one channel of one workspace, with a clock the test moves."""

    sessions: sessionmaker[Session]
    now: datetime = START
    platform: str = "console"
    workspace: str = "town"
    channel: str = "general"
    timezones: dict[str, str] = field(default_factory=dict)
    # Like the console: nobody else sees what is typed (False: a shared room).
    private: bool = True

    def say(self, user: str, command: str, channel: str | None = None) -> Reply:
        actor = Actor(self.platform, self.workspace, user, channel or self.channel,
                      display_name=user.capitalize(), timezone=self.timezones.get(user), private=self.private)
        return handle(command, actor, self.sessions, now=self.now)

    def ok(self, user: str, command: str) -> str:
        """Say something that must succeed; return what the person sees."""
        reply = self.say(user, command)
        assert not reply.error, f"{command!r} was refused: {reply.text}"
        return reply.plain()

    def refused(self, user: str, command: str) -> str:
        """Say something that must be refused; return the explanation."""
        reply = self.say(user, command)
        assert reply.error, f"{command!r} was accepted: {reply.plain()}"
        assert "Traceback" not in reply.plain()
        return reply.text or ""

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def chat(sessions: sessionmaker[Session]) -> Chat:
    return Chat(sessions)


@pytest.fixture
def town(chat: Chat) -> Chat:
    """A partnership with a coordinator (alice) and members from three sectors."""
    chat.ok("alice", 'setup "Riverside Partnership" kind:umbrella-forum purpose:"Revive the riverside"')
    chat.ok("alice", 'join org:"Town Council" sector:public capacity:6h')
    chat.ok("bob", 'join org:"Chamber of Trade" sector:private capacity:4h volunteer')
    chat.ok("carol", 'join org:"Riverside Trust" sector:voluntary capacity:3h volunteer')
    return chat


def snapshot(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Row counts of every table: equal before and after means nothing changed."""
    with sessions() as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) or 0
                for t in Base.metadata.sorted_tables}
