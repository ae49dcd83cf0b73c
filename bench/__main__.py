"""`python -m bench`: how fast partnerbot answers and sweeps as the network of partnerships grows.

For each database and each size N it generates a workload (bench/workload.py), then:
- runs partnerbot's Slack app and a bare Bolt app that only acknowledges, each in its own
  process behind the same HTTP server, and sends both the same signed /partner commands,
  one at a time: the time to Slack's 200 (p50, p99), and for partnerbot the time to its
  reply reaching the local Slack Web API (the tests' recorder), which covers signature,
  Bolt, handler, database and the Web API call; then throughput with several clients at
  once, until every reply (for the bare app, every 200) has arrived, and the app process's
  CPU time per request meanwhile; then the same for an unknown word (the floor: Bolt, the
  dispatch and one Web API call, no database work);
- counts the SQL statements of each kind of command, and times each kind's CPU in process
  (`handlers.handle`, no HTTP, so neither the server nor the clients share the figure; a busy
  machine still moves it, and bench/instructions.py counts instructions, which it does not);
- times two nudge sweeps and counts their statements: the first catches up on everything
  owed (as many sweeps as the partnerships due take: each derives a chunk of them), the
  second runs five minutes later, as the scheduler would; then the catch-up again (from the
  ledger as filled) by one sweeper process, and by two sharing it (bench/sweepers.py); then a
  zone's midnight, every partnership due at once, worked off by one sweeper process and by
  two: the first chunk's sweep, the whole wave, the sweeps it took and the peak memory;
- reports the bot process's peak memory (VmHWM, its peak resident set);
- renders one partnership's public page and dashboard (bench/web.py): p50, p99 and the
  statements per render;
- runs every command's statements under EXPLAIN (ANALYZE, BUFFERS) (bench/explain.py);
- sends 1,000 queued mails through a local SMTP server (bench/mail.py), against the server's
  own pace, counting connections (once per database, whatever N).
`--parts` picks what to measure; `--busy K` keeps K cores busy while serving is measured,
and the output says how loaded the machine was. PostgreSQL runs in a database the benchmark
creates and drops (`--pg-url`), each size in a schema of its own; `--reuse` keeps it and
fills a size only once. bench/path.py shows where each millisecond of one command goes.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bench.agenda import Drafting, agenda_draft
from bench.agenda import rows as agenda_rows
from bench.explain import explain, plans, report
from bench.mail import Mailing, send_mail
from bench.mail import rows as mail_rows
from bench.memory import peak_memory
from bench.sweepers import Worked, fresh_ledger, midnight, together
from bench.web import Rendering, render_times
from bench.web import rows as page_rows
from bench.workload import BENCH_TASK, Partner, filled, forget_bench_tasks, generate, load, record_fill, speakers_in
from bot import scheduler
from bot.config import normalise_database_url
from bot.slack.delivery import Delivery
from handlers import Actor, handle
from storage import derivation
from storage.database import empty, make_engine, session_factory, upgrade
from tests.slack_recorder import BOT_TOKEN, SECRET, Recorder, sign

ROOT = Path(__file__).resolve().parent.parent
# Each `commit` names a task of its own ({} is filled in per request): a title already open is
# asked about, not logged. A kept (--reuse) database forgets the last run's tasks before the
# next (workload.BENCH_TASK).
COMMANDS = ["who", "mine", "load", "concerns", "members", "overdue", "priorities", "flex", "partnership",
            f'commit "{BENCH_TASK} {{}}" by:friday effort:1h']
SHOWN = {"chat.postMessage", "chat.postEphemeral", "response_url"}
# The floor under any command: a word no command has, answered with a short refusal through
# the Web API, so Bolt, the dispatch and the reply's call are all it costs.
FLOOR = ["frobnicate"]


@dataclass
class Serving:
    """One app's figures at one size, in ms: to the 200 (the acknowledgement Slack waits for)
    and, for partnerbot, to the reply reaching the Web API; req/s with several clients."""

    ack_p50: float = 0.0
    ack_p99: float = 0.0
    reply_p50: float = 0.0
    reply_p99: float = 0.0
    throughput: float = 0.0
    peak_mb: float = 0.0
    cpu_ms: float = 0.0  # the app process's CPU time per request while serving several clients


@dataclass
class Sweeping:
    seconds: float
    statements: int
    messages: int
    shares: tuple[int, ...] = ()  # with several sweeper processes, the messages each sent
    sweeps: int = 1  # a catch-up takes a sweep for each chunk of the partnerships due


@dataclass
class Result:
    db: str
    n: int
    rows: int
    load_seconds: float
    bare: Serving | None = None
    full: Serving | None = None
    floor: Serving | None = None
    statements: dict[str, int] = field(default_factory=dict)
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU per command in process, by kind and "mix"
    catch_up: Sweeping | None = None
    steady: Sweeping | None = None
    # The catch-up sweep again, in separate sweeper processes: one alone, then two sharing it.
    sweepers: list[Sweeping] = field(default_factory=list)
    # A zone's midnight (every partnership due), worked off by one sweeper process, then by two:
    # the seconds to the last one's end, and what each did.
    midnights: list[tuple[float, list[Worked]]] = field(default_factory=list)
    pages: list[Rendering] = field(default_factory=list)
    explained: str = ""
    agenda: Drafting | None = None


class StatementCounter:
    """Counts the SQL statements an engine sends, via SQLAlchemy's before_cursor_execute."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self.seen)

    def seen(self, *_args: object) -> None:
        self.count += 1

    @contextmanager
    def measure(self) -> Iterator[Callable[[], int]]:
        start = self.count
        yield lambda: self.count - start


# The bot under test ---------------------------------------------------------------------

@contextmanager
def bot(mode: str, url: str, recorder: Recorder) -> Iterator[tuple[str, Callable[[], float], Callable[[], float]]]:
    """Start `python -m bench.server mode`; yields its events URL, a function that stops
    it and returns its peak memory in MB, and one that reads the CPU seconds it has used."""
    process = subprocess.Popen([sys.executable, "-m", "bench.server", mode], cwd=ROOT, env=bot_environment(url, recorder),
                               stdout=subprocess.PIPE, text=True)
    peak = 0.0

    def stop() -> float:
        nonlocal peak
        if process.returncode is None:
            peak = peak_memory(process.pid)
            process.terminate()
            process.wait(timeout=30)
        return peak

    try:
        port = process.stdout.readline().strip() if process.stdout else ""
        if not port.isdigit():
            raise SystemExit(f"the {mode} bot did not start")
        yield f"http://127.0.0.1:{port}/slack/events", stop, lambda: cpu_seconds(process.pid)
    finally:
        stop()


def bot_environment(url: str, recorder: Recorder) -> dict[str, str]:
    """The bot's settings: the database at `url` and the recorder as Slack's Web API, and none
    of the platforms' settings this shell may hold (nor its PYTHONPATH, so a bot served from
    another checkout runs that checkout's code)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MATRIX_", "DATABASE_", "PYTHONPATH"))}
    env.update(DATABASE_URL=url, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=recorder.url)
    return env


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far, user and system, in seconds (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def slash(url: str, who: Partner, command: str, number: int) -> tuple[str, bool]:
    """One signed /partner request, as Slack sends it; once it is acknowledged, returns its
    trigger id and whether the 200 carried the answer (a personal one does: delivery.answer)."""
    trigger = f"{number}.{time.time_ns()}.trigger"
    body = urlencode({"token": "legacy", "team_id": who.workspace, "team_domain": who.workspace.lower(),
                      "channel_id": who.channel, "channel_name": "town", "user_id": who.user_id,
                      "user_name": who.user_id.lower(), "command": "/partner", "text": command,
                      "trigger_id": trigger, "api_app_id": "A1",
                      "response_url": "http://127.0.0.1:1/unused"}).encode()
    stamp = str(int(time.time()))
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sign(body, stamp)})
    with urllib.request.urlopen(request, timeout=30) as answer:
        if answer.status != 200:
            raise RuntimeError(f"/partner {command} answered {answer.status}")
        return trigger, bool(answer.read().strip())


def shown(recorder: Recorder) -> int:
    with recorder.changed:
        return sum(c.method in SHOWN for c in recorder.calls_made)


def wait_shown(recorder: Recorder, count: int) -> None:
    with recorder.changed:
        if not recorder.changed.wait_for(lambda: sum(c.method in SHOWN for c in recorder.calls_made) >= count, 60):
            raise RuntimeError("replies did not arrive")


def measure(mode: str, url: str, recorder: Recorder, speakers: list[Partner], requests: int,
            concurrency: int, commands: list[str] = COMMANDS) -> Serving:
    rng = random.Random(11)
    replies = mode == "full"
    run = uuid.uuid4().hex[:6]
    work = [(rng.choice(speakers), rng.choice(commands).format(f"{run}-{i}")) for i in range(requests)]
    with bot(mode, url, recorder) as (events, stop, cpu):
        for number, (who, command) in enumerate(work[:50]):  # warm up: connections, caches
            before = shown(recorder)
            if not slash(events, who, command, number)[1] and replies:
                wait_shown(recorder, before + 1)
        acks, latencies = [], []
        for number, (who, command) in enumerate(work):
            before = shown(recorder)
            started = time.perf_counter()
            _, carried = slash(events, who, command, number)
            acks.append(time.perf_counter() - started)
            if replies:  # the answer came in the 200, or is posted through the Web API
                if not carried:
                    wait_shown(recorder, before + 1)
                latencies.append(time.perf_counter() - started)
        before = shown(recorder)
        started, used = time.perf_counter(), cpu()
        with ThreadPoolExecutor(concurrency) as pool:
            in_200 = sum(pool.map(lambda item: slash(events, item[1][0], item[1][1], item[0])[1], enumerate(work)))
        if replies:
            wait_shown(recorder, before + len(work) - in_200)
        elapsed, used = time.perf_counter() - started, cpu() - used
        peak = stop()
    serving = Serving(*spread(acks), throughput=len(work) / elapsed, peak_mb=peak, cpu_ms=1000 * used / len(work))
    if latencies:
        serving.reply_p50, serving.reply_p99 = spread(latencies)
    return serving


def spread(seconds: list[float]) -> tuple[float, float]:
    """p50 and p99, in ms."""
    return 1000 * statistics.median(seconds), 1000 * statistics.quantiles(seconds, n=100)[98]


# In-process measurements ---------------------------------------------------------------------

def statements_per_command(engine: Engine, counter: StatementCounter, speakers: list[Partner]) -> dict[str, int]:
    sessions = session_factory(engine)
    who = speakers[len(speakers) // 2]
    actor = Actor("slack", who.workspace, who.user_id, who.channel, display_name="Bench", timezone="UTC")
    counts = {}
    for command in (typed.format(uuid.uuid4().hex[:6]) for typed in COMMANDS):
        with counter.measure() as seen:
            reply = handle(command, actor, sessions)
        if reply.error:
            raise RuntimeError(f"{command} was refused: {reply.text}")
        counts[command.split()[0]] = seen()
    return counts


def typed_by(sessions: sessionmaker[Session], command: str, who: Partner) -> None:
    """One command in process, typed by `who` with no display name (so nobody is renamed); a
    refusal is an error, since it costs less than the command and the figures would flatter."""
    reply = handle(command, Actor("slack", who.workspace, who.user_id, who.channel, timezone="UTC"), sessions)
    if reply.error:
        raise RuntimeError(f"{command} was refused: {reply.text}")


def cpu_per_command(engine: Engine, speakers: list[Partner], rounds: int = 100) -> dict[str, float]:
    """Each kind of command's CPU time in process, in ms (`time.process_time`), typed `rounds`
    times by random speakers after a round to warm up; "mix" is the average of the kinds, as
    the served mix sends them."""
    sessions = session_factory(engine)
    rng = random.Random(13)
    run = uuid.uuid4().hex[:6]

    def typed(command: str, times: int) -> float:
        started = time.process_time()
        for i in range(times):
            typed_by(sessions, command.format(f"{run}-{times}-{i}"), rng.choice(speakers))
        return time.process_time() - started

    for command in COMMANDS:
        typed(command, 1)
    took = {command.split()[0]: 1000 * typed(command, rounds) / rounds for command in COMMANDS}
    return {"mix": statistics.mean(took.values()), **took}


def sweeps(engine: Engine, counter: StatementCounter, recorder: Recorder, now: datetime) -> tuple[Sweeping, Sweeping]:
    """The catch-up over the ledger as filled (sweeps until nothing is left due), and the next
    sweep five minutes later."""
    fresh_ledger(engine)
    sessions = session_factory(engine)
    delivery = Delivery(recorder.url, BOT_TOKEN)
    with counter.measure() as seen:
        started = time.perf_counter()
        reports = list(scheduler.work_off(sessions, delivery, "slack", now))
        catch_up = Sweeping(time.perf_counter() - started, seen(), sum(len(r.sent) for r in reports),
                            sweeps=len(reports))
    with counter.measure() as seen:
        started = time.perf_counter()
        report = scheduler.sweep(sessions, delivery, "slack", now + timedelta(minutes=scheduler.SWEEP_MINUTES))
        steady = Sweeping(time.perf_counter() - started, seen(), len(report.sent))
    return catch_up, steady


def shared_sweeps(engine: Engine, url: str, recorder: Recorder, now: datetime) -> list[Sweeping]:
    """The same catch-up by one sweeper process, then by two at once (bench/sweepers.py)."""
    runs = []
    for count in (1, 2):
        fresh_ledger(engine)
        seconds, worked = together(url, recorder.url, now, count)
        runs.append(Sweeping(seconds, 0, sum(w.sent for w in worked), tuple(w.sent for w in worked),
                             sum(w.sweeps for w in worked)))
    return runs


def midnights(engine: Engine, url: str, recorder: Recorder, moment: datetime) -> list[tuple[float, list[Worked]]]:
    """A zone's midnight at `moment`, every partnership due at once, worked off by one sweeper
    process, then (due again) by two."""
    runs = []
    for count in (1, 2):
        midnight(engine, moment)
        runs.append(together(url, recorder.url, moment, count))
    return runs


# Databases ------------------------------------------------------------------------------

@contextmanager
def database(kind: str, pg_url: str, keep: bool) -> Iterator[Callable[[int], str]]:
    """A database of its own for the benchmark, removed afterwards (unless `keep`); yields
    the URL for each size, on PostgreSQL a schema of its own (`bench_n1000`), so a kept
    database holds every size filled and `--reuse` finds them again."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="partnerbot-bench-") as folder:
            yield lambda n: f"sqlite:///{folder}/bench_n{n}.db"
        return
    url = make_url(normalise_database_url(pg_url))
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}):
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    owner = create_engine(url, isolation_level="AUTOCOMMIT")

    def schema(n: int) -> str:
        with owner.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS bench_n{n}"))
        return url.update_query_dict({"options": f"-csearch_path=bench_n{n}"}).render_as_string(hide_password=False)

    try:
        yield schema
    finally:
        owner.dispose()
        if not keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        admin.dispose()


def fill(kind: str, engine: Engine, n: int, reuse: bool) -> tuple[int, float, list[Partner]]:
    """The workload of `n` partnerships in the engine's database: its rows, the seconds they
    took to load, and the speakers. With `reuse`, a database filled by an earlier run at this
    size is taken as it is (brought to the newest migration), less the commitments earlier runs
    logged: left open, they would swell every partnership's open work run after run."""
    if reuse and (earlier := filled(engine, n)) is not None:
        print(f"{kind} N={n}: reusing the rows filled before", file=sys.stderr, flush=True)
        upgrade(engine)
        forget_bench_tasks(engine)
        return *earlier, speakers_in(engine)
    print(f"{kind} N={n}: generating...", file=sys.stderr, flush=True)
    empty(engine)
    upgrade(engine)
    rows, speakers = generate(n, datetime.now(UTC))
    started = time.perf_counter()
    load(engine, rows)
    seconds = time.perf_counter() - started
    record_fill(engine, n, rows.count(), seconds)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    return rows.count(), seconds, speakers


def run_size(kind: str, url: str, n: int, args: argparse.Namespace) -> Result:
    if kind == "sqlite":
        Path(make_url(url).database or "").unlink(missing_ok=True)
    engine = make_engine(url)
    rows, seconds, speakers = fill(kind, engine, n, args.reuse)
    result = Result(kind, n, rows, seconds)
    counter = StatementCounter(engine)
    recorder = Recorder()
    recorder.latency = args.api_ms / 1000
    try:
        parts = args.parts.split(",")
        if "serving" in parts:
            print(f"{kind} N={n}: serving...", file=sys.stderr, flush=True)
            result.cpu_ms = cpu_per_command(engine, speakers)  # first, before the served commits add open work
            with spinning(args.busy):
                result.bare = measure("bare", url, recorder, speakers, args.requests, args.concurrency)
                result.full = measure("full", url, recorder, speakers, args.requests, args.concurrency)
                result.floor = measure("full", url, recorder, speakers, args.requests, args.concurrency, FLOOR)
            result.statements = statements_per_command(engine, counter, speakers)
        if "sweeps" in parts:
            print(f"{kind} N={n}: sweeping...", file=sys.stderr, flush=True)
            now = datetime.now(UTC)
            result.catch_up, result.steady = sweeps(engine, counter, recorder, now)
            result.sweepers = shared_sweeps(engine, url, recorder, now)
            print(f"{kind} N={n}: a zone's midnight...", file=sys.stderr, flush=True)
            result.midnights = midnights(engine, url, recorder, now + timedelta(minutes=2 * scheduler.SWEEP_MINUTES))
        if "explain" in parts and engine.dialect.name == "postgresql":
            print(f"{kind} N={n}: explaining every command's statements...", file=sys.stderr, flush=True)
            found = explain(engine)
            result.explained = report(n, found)
            Path(f"bench-explain-n{n}.txt").write_text(plans(found))
        if "pages" in parts:
            print(f"{kind} N={n}: rendering pages...", file=sys.stderr, flush=True)
            result.pages = render_times(engine, counter.measure, url, speakers[len(speakers) // 2], args.renders)
        if "agenda" in parts:
            print(f"{kind} N={n}: drafting an agenda...", file=sys.stderr, flush=True)
            result.agenda = agenda_draft(engine, counter.measure)
    finally:
        recorder.close()
        engine.dispose()
    return result


def table(results: list[Result]) -> str:
    """The tables of the parts measured (`--parts sweeps` prints the sweeps' alone)."""
    lines = [*page_rows((r.db, r.n, r.pages) for r in results if r.pages), ""]
    if any(r.agenda for r in results):
        lines += [*agenda_rows((r.db, r.n, r.agenda) for r in results if r.agenda), ""]
    lines += [r.explained + "\n" for r in results if r.explained]
    if any(r.catch_up for r in results):
        lines += ["| db | N | catch-up (sweeps) | statements | messages | next sweep | statements | messages |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for r in results:
            c, s = r.catch_up, r.steady
            if c and s:
                lines.append(f"| {r.db} | {r.n} | {c.seconds:.2f} s ({c.sweeps}) | {c.statements} | {c.messages} "
                             f"| {s.seconds:.2f} s | {s.statements} | {s.messages} |")
        lines.append("")
    if any(r.sweepers for r in results):
        lines += ["| db | N | catch-up, 1 sweeper process | messages | 2 sweeper processes | messages |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        lines += [f"| {r.db} | {r.n} | {one.seconds:.2f} s | {one.messages} | {two.seconds:.2f} s "
                  f"| {two.messages} ({' + '.join(map(str, two.shares))}) |"
                  for r in results if r.sweepers for one, two in [r.sweepers]]
        lines.append("")
    if any(r.midnights for r in results):
        lines += [f"A zone's midnight: every partnership due at once, {derivation.CHUNK} derived a sweep.", "",
                  "| db | N | first chunk's sweep | statements | whole wave | sweeps | messages | peak memory "
                  "| 2 sweeper processes | sweeps (each) | messages (each) |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        lines += [f"| {r.db} | {r.n} | {only.first:.2f} s | {only.statements} | {alone:.2f} s | {only.sweeps} "
                  f"| {only.sent} | {only.peak_mb:.0f} MB | {shared:.2f} s "
                  f"| {' + '.join(str(w.sweeps) for w in two)} | {' + '.join(str(w.sent) for w in two)} |"
                  for r in results if r.midnights for (alone, [only]), (shared, two) in [r.midnights]]
        lines.append("")
    if not any(r.full for r in results):
        return "\n".join(lines)
    lines += [
        "| db | N | rows (filled in) | bare 200 p50 | bare 200 p99 | bare req/s | partnerbot 200 p50 "
        "| partnerbot 200 p99 | 200 ratio | reply p50 | reply p99 | partnerbot req/s | req/s ratio "
        "| CPU per request, bare / partnerbot | peak memory |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        b, f = r.bare or Serving(), r.full or Serving()
        lines.append(f"| {r.db} | {r.n} | {r.rows:,} ({r.load_seconds:.0f} s) "
                     f"| {b.ack_p50:.1f} ms | {b.ack_p99:.1f} ms | {b.throughput:.0f} "
                     f"| {f.ack_p50:.1f} ms | {f.ack_p99:.1f} ms | {f.ack_p50 / b.ack_p50 if b.ack_p50 else 0:.2f}x "
                     f"| {f.reply_p50:.1f} ms | {f.reply_p99:.1f} ms | {f.throughput:.0f} "
                     f"| {f.throughput / b.throughput if b.throughput else 0:.2f}x "
                     f"| {b.cpu_ms:.1f} / {f.cpu_ms:.1f} ms | {f.peak_mb:.0f} MB |")
    lines += ["", "The floor: an unknown word, refused through the Web API (Bolt, the dispatch and one reply call).", "",
              "| db | N | floor reply p50 | floor reply p99 | floor req/s | floor req/s ratio | floor CPU per request |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {r.db} | {r.n} | {f.reply_p50:.1f} ms | {f.reply_p99:.1f} ms | {f.throughput:.0f} "
              f"| {f.throughput / b.throughput if b.throughput else 0:.2f}x | {f.cpu_ms:.1f} ms |"
              for r in results if r.floor for b, f in [(r.bare or Serving(), r.floor)]]
    names = list(results[0].statements) if results else []
    lines += ["", "| db | N | " + " | ".join(names) + " |", "| --- | ---: |" + " ---: |" * len(names)]
    for r in results:
        lines.append(f"| {r.db} | {r.n} | " + " | ".join(str(r.statements.get(k, "")) for k in names) + " |")
    kinds = list(results[0].cpu_ms) if results else []
    lines += ["", "CPU per command in process (handlers.handle, no HTTP), in ms:", "",
              "| db | N | " + " | ".join(kinds) + " |", "| --- | ---: |" + " ---: |" * len(kinds)]
    lines += [f"| {r.db} | {r.n} | " + " | ".join(f"{r.cpu_ms.get(k, 0):.1f}" for k in kinds) + " |" for r in results]
    return "\n".join(lines)


@contextmanager
def spinning(processes: int) -> Iterator[None]:
    """`processes` busy loops meanwhile, each taking a core: a machine other work shares, as
    issue 23's throughput target is checked on ("one core taken by a busy loop", BENCHMARKS.md).
    The bare app, bound by Bolt's 10 ms poll, loses less to them than partnerbot, bound by its CPU."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def conditions(busy: int) -> str:
    """How busy the machine was as the run ended: the figures move with it."""
    one, five, _ = os.getloadavg()
    taken = f"; {busy} core{'s' if busy != 1 else ''} taken by a busy loop while serving" if busy else ""
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores{taken}"


def interpreter() -> str:
    """Which Python ran the bot processes (they run this one): its build alone moved their CPU
    per request by 30% on one machine (BENCHMARKS.md, "The interpreter's build")."""
    return f"Python {platform.python_version()}, installed in {sys.base_prefix} ({platform.python_compiler()})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", default="10,100,1000", help="partnership counts to try (default: 10,100,1000)")
    parser.add_argument("--db", default="sqlite,postgresql", help="databases (default: sqlite,postgresql)")
    parser.add_argument("--requests", type=int, default=500, help="commands per measurement (default: 500)")
    parser.add_argument("--concurrency", type=int, default=8, help="clients at once for throughput (default: 8)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                           "postgresql://postgres@127.0.0.1:5432/partnerbot_bench"),
                        help="a PostgreSQL database to create, fill and drop (default: $BENCH_DATABASE_URL or "
                             "postgresql://postgres@127.0.0.1:5432/partnerbot_bench)")
    parser.add_argument("--parts", default="serving,sweeps,pages,agenda,mail",
                        help="what to measure: serving (Slack commands), sweeps (nudges), pages (web render), "
                             "mail (1,000 mails through SMTP), explain (every command's statements under EXPLAIN "
                             "ANALYZE, PostgreSQL; full plans in bench-explain-nN.txt), agenda (drafting a meeting's "
                             "agenda); default serving,sweeps,pages,agenda,mail")
    parser.add_argument("--api-ms", type=float, default=0,
                        help="milliseconds the local Slack Web API takes to answer each call, as Slack's own do over "
                             "the internet (default: 0; the serving figures want 0)")
    parser.add_argument("--busy", type=int, default=0,
                        help="processes spinning on a core each while serving is measured: a busy machine "
                             "(default: 0)")
    parser.add_argument("--renders", type=int, default=200, help="renders per page for its p50 (default: 200)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the PostgreSQL database, and use the rows an earlier --reuse run filled at the "
                             "same size instead of filling again (N = 10,000 takes minutes to fill)")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.n.split(",")]
    results: list[Result] = []
    mailings: list[Mailing] = []
    for kind in args.db.split(","):
        with database(kind, args.pg_url, args.keep or args.reuse) as url_for:
            if "mail" in args.parts.split(","):
                print(f"{kind}: sending mail...", file=sys.stderr, flush=True)
                mailings.append(send_mail(kind, url_for(0)))
            if set(args.parts.split(",")) - {"mail"}:
                results += [run_size(kind, url_for(n), n, args) for n in sizes]
    print(interpreter(), conditions(args.busy), "", table(results), sep="\n")
    if mailings:
        print("", *mail_rows(mailings), sep="\n")


if __name__ == "__main__":
    main()
