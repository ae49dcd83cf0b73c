"""Fixtures for the Matrix tests (loaded with `pytest_plugins = ("tests.matrix_fixtures",)`):
one Synapse for the whole session, people, and the bot on a fresh account per test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.matrix.undecryptable import GIVE_UP
from tests.matrix_homeserver import INSTALL, Homeserver, Person, RunningBot, matrix_settings, synapse_python, unique


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeserver]:
    python = synapse_python()
    if python is None:
        reason = f"Synapse is not installed; install it with `{INSTALL}` (or set PARTNERBOT_SYNAPSE_PYTHON)"
        if os.environ.get("CI"):
            pytest.fail(reason + ". CI must run the Matrix tests.")
        pytest.skip(reason)
    server = Homeserver(python, Path(tmp_path_factory.mktemp("synapse")))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def people(homeserver: Homeserver) -> Iterator[Callable[[str], Person]]:
    """Makes people (alice, bob...) on the homeserver; closes their clients afterwards."""
    made: list[Person] = []

    def person(name: str) -> Person:
        made.append(Person(homeserver, name))
        return made[-1]

    yield person
    for p in made:
        p.close()


@pytest.fixture
def bot_account(homeserver: Homeserver) -> str:
    """A fresh Matrix account for the bot (each test has a fresh database too)."""
    return homeserver.register(unique("partnerbot"))[0]


@pytest.fixture
def start_bot(homeserver: Homeserver, bot_account: str,
              sessions: sessionmaker[Session]) -> Iterator[Callable[..., RunningBot]]:
    """Starts the bot (again, after a stop) with settings changed as given; stops it at the end."""
    running: list[RunningBot] = []

    def start(give_up: float = GIVE_UP, **changes: object) -> RunningBot:
        running.append(RunningBot(matrix_settings(homeserver, bot_account, sessions, **changes), sessions, give_up))
        return running[-1]

    yield start
    for bot in running:
        bot.stop()
