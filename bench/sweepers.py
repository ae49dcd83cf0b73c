"""Sweeps measured apart from the bot: a catch-up, or a zone's midnight, shared by several
sweeper processes.

`python -m bench.sweepers DATABASE_URL API_URL NOW` is one sweeper: it connects, prints
`ready`, waits for a line on its standard input, sweeps Slack's nudges at `NOW` (ISO 8601)
through the Web API at API_URL until no partnership is left due (a sweep derives a chunk of
them, `storage.derivation.CHUNK`), and prints what it did (`Worked`). `together` starts
several, lets them go at the same moment and times them to the last one's end. Between
measurements `fresh_ledger` takes the ledger back to the nudges the workload filled, so every
catch-up starts from the same owed state; `midnight` makes every partnership due at once.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, event, text

from bench.memory import peak_memory
from bench.workload import PLATFORM
from tests.slack_recorder import BOT_TOKEN

MARK = "bench_ledger_mark"


# What `fresh_ledger` deletes from and rewrites: the rows it leaves dead are the benchmark's own.
RESET = ("nudges", "episodes", "sweeps", "partnerships")


def fresh_ledger(engine: Engine) -> None:
    """Forget what earlier sweeps of this database recorded: nudges past the highest the
    workload filled (noted on the first call), the warnings told, the sweeps finished,
    which partnerships were derived when and which nudges were held back until when.

    On PostgreSQL it then vacuums what it reset. No deployment deletes its ledger, but the
    benchmark does before every catch-up, and where autovacuum is off (this machine's server)
    the dead rows piled up run after run: 990,958 in `nudges` once, and the next sweep at
    N = 10,000 took 5.37 s over them against 0.60 s after a vacuum (BENCHMARKS.md)."""
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
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:  # VACUUM runs alone
            connection.execute(text(f"VACUUM (ANALYZE) {', '.join(RESET)}"))


def midnight(engine: Engine, moment: datetime) -> None:
    """Make every partnership due at `moment` with nothing changed, as a midnight in a zone
    nearly every partnership has a member in does (BENCHMARKS.md, "Sweeps at scale")."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE partnerships SET derive_after = :moment"), {"moment": moment})


@dataclass(frozen=True)
class Worked:
    """What one sweeper process did: its sweeps until nothing was left due (or it left the rest
    to another), the first one's seconds and statements, the messages it sent, its peak memory."""

    sweeps: int
    first: float
    statements: int
    sent: int
    peak_mb: float

    def line(self) -> str:
        return f"{self.sweeps} {self.first} {self.statements} {self.sent} {self.peak_mb}"

    @classmethod
    def read(cls, line: str) -> Worked:
        sweeps, first, statements, sent, peak = line.split()
        return cls(int(sweeps), float(first), int(statements), int(sent), float(peak))


def together(url: str, api_url: str, now: datetime, count: int) -> tuple[float, list[Worked]]:
    """`count` sweeper processes sweeping at `now` from the same moment: the seconds until
    the last is done, and what each did."""
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
    worked = [Worked.read(process.stdout.read()) for process in processes if process.stdout]
    for process in processes:
        process.wait()
    return time.perf_counter() - started, worked


def main(url: str, api_url: str, now: str) -> None:
    from bot import scheduler
    from bot.slack.delivery import Delivery
    from storage.database import make_engine, session_factory

    engine = make_engine(url)
    statements = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def seen(*_args: object) -> None:
        statements[0] += 1

    sessions = session_factory(engine)
    delivery = Delivery(api_url, BOT_TOKEN)
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    reports = scheduler.work_off(sessions, delivery, PLATFORM, datetime.fromisoformat(now))
    sent = len(next(reports).sent)
    first, first_statements = time.perf_counter() - started, statements[0]
    sweeps = 1
    for report in reports:
        sweeps += 1
        sent += len(report.sent)
    peak_mb = peak_memory()
    print(Worked(sweeps, round(first, 3), first_statements, sent, round(peak_mb, 1)).line(), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
