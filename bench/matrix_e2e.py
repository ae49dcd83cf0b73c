"""`python -m bench.matrix_e2e`: what encryption costs a Matrix command, on a real Synapse.

Starts a throwaway Synapse (as the tests do: `.venv-synapse`), the bot on a scratch SQLite
database and an Element-like person with keys of their own, then times the same command
(`partnership`) from the person's message to the bot's answer as the person's client reads
it (decrypted, in the encrypted room), one at a time, in a plain and in an encrypted room.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from storage.database import make_engine, upgrade
from tests.matrix_homeserver import Homeserver, Person, RunningBot, matrix_settings, synapse_python, unique


def timed(person: Person, room_id: str, bot: str, rounds: int) -> list[float]:
    """Seconds from sending each command to reading its answer."""
    spent = []
    for _ in range(rounds):
        start = time.perf_counter()
        person.ask(room_id, "!partner partnership", bot)
        spent.append(time.perf_counter() - start)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="commands timed in each room")
    rounds = parser.parse_args().rounds
    python = synapse_python()
    if python is None:
        raise SystemExit("Synapse is not installed: python3 -m venv .venv-synapse && "
                         ".venv-synapse/bin/pip install matrix-synapse")
    with tempfile.TemporaryDirectory() as folder:
        server = Homeserver(python, Path(folder))
        server.start()
        engine = make_engine(f"sqlite:///{folder}/partnerbot.db")
        upgrade(engine)
        sessions = sessionmaker(bind=engine, expire_on_commit=False)
        bot_id = server.register(unique("partnerbot"))[0]
        started = time.perf_counter()
        bot = RunningBot(matrix_settings(server, bot_id, sessions), sessions)
        print(f"bot up (login, keys published, first sync): {time.perf_counter() - started:.2f} s")
        alice = Person(server, "alice")
        try:
            figures = {}
            for name, encrypted in (("plain room", False), ("encrypted room", True)):
                room = alice.room_with_bot(bot_id, encrypted=encrypted)
                alice.ask(room, f'!partner setup "Riverside {name}" kind:task-force', bot_id)
                figures[name] = timed(alice, room, bot_id, rounds)
            for name, spent in figures.items():
                ordered = sorted(spent)
                print(f"{name:15} command to answer read: p50 {statistics.median(ordered) * 1000:.0f} ms, "
                      f"p90 {ordered[int(len(ordered) * 0.9) - 1] * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms "
                      f"({rounds} commands)")
        finally:
            alice.close()
            bot.stop()
            engine.dispose()
            server.stop()


if __name__ == "__main__":
    main()
