"""Sweeps measured apart from the bot: one catch-up sweep shared by several sweeper processes.

`python -m bench.sweepers DATABASE_URL API_URL NOW` is one sweeper: it connects, prints
`ready`, waits for a line on its standard input, sweeps Slack's nudges once at `NOW` (ISO
8601) through the Web API at API_URL, and prints how many messages it sent. `together`
starts several, lets them go at the same moment and times them to the last one's end.
Between measurements `fresh_ledger` takes the ledger back to the nudges the workload filled,
so every catch-up sweep starts from the same owed state.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime

from sqlalchemy import Engine, text

from bench.workload import PLATFORM
from tests.slack_recorder import BOT_TOKEN

MARK = "bench_ledger_mark"


def fresh_ledger(engine: Engine) -> None:
    """Forget what earlier sweeps of this database recorded: nudges past the highest the
    workload filled (noted on the first call), the warnings told, the sweeps finished,
    which partnerships were derived when and which nudges were held back until when."""
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE IF NOT EXISTS {MARK} (upto BIGINT)"))
        upto = connection.scalar(text(f"SELECT upto FROM {MARK}"))
        if upto is None:
            upto = connection.scalar(text("SELECT coalesce(max(id), 0) FROM nudges"))
            connection.execute(text(f"INSERT INTO {MARK} VALUES (:upto)"), {"upto": upto})
        connection.execute(text("DELETE FROM nudges WHERE id > :upto"), {"upto": upto})
        connection.execute(text("DELETE FROM episodes"))
        connection.execute(text("DELETE FROM sweeps"))
        connection.execute(text("UPDATE partnerships SET derived = NULL, derived_at = NULL, derive_after = NULL"))
        connection.execute(text("UPDATE nudges SET not_before = NULL WHERE not_before IS NOT NULL"))


def together(url: str, api_url: str, now: datetime, count: int) -> tuple[float, list[int]]:
    """`count` sweeper processes sweeping at `now` from the same moment: the seconds until
    the last is done, and the messages each sent."""
    processes = [subprocess.Popen([sys.executable, "-m", "bench.sweepers", url, api_url, now.isoformat()],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(count)]
    for process in processes:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise SystemExit("a sweeper did not start")
    started = time.perf_counter()
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.close()
    sent = [int(process.stdout.read().strip() or 0) for process in processes if process.stdout]
    for process in processes:
        process.wait()
    return time.perf_counter() - started, sent


def main(url: str, api_url: str, now: str) -> None:
    from bot import scheduler
    from bot.slack.delivery import Delivery
    from storage.database import make_engine, session_factory

    sessions = session_factory(make_engine(url))
    delivery = Delivery(api_url, BOT_TOKEN)
    print("ready", flush=True)
    sys.stdin.readline()
    report = scheduler.sweep(sessions, delivery, PLATFORM, datetime.fromisoformat(now))
    print(len(report.sent), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
