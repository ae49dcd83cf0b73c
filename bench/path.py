"""One command through the whole path, stage by stage: where each millisecond goes.

    python -m bench.path --n 100 --pg-url postgresql://postgres@127.0.0.1:5432/partnerbot_bench

Uses the size `python -m bench --reuse` filled (it must exist). Starts the bot as `bench.server
full` does, in its own process, with stamps (time.perf_counter, one clock for every process on
the machine) taken as each request passes: the WSGI server hands it to the app, Bolt
dispatches it, the listener starts on its worker, the command starts, sends COMMIT and has
it back, the acknowledgement, the reply's Web API call. The client stamps sending, the 200 and the
reply shown: the 200 itself when it carries the answer (a personal one), else the reply's arrival
at the recorder (the Web API). Prints the median of each stage, one command
at a time, for a command that only reads and one that changes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url

from bench.__main__ import ROOT, slash
from bench.workload import BENCH_TASK, forget_bench_tasks, speakers_in
from bot.config import normalise_database_url
from tests.slack_recorder import BOT_TOKEN, SECRET, Recorder

STAGES = ["wsgi", "dispatch", "listener", "acked", "command", "committed", "done", "deliver"]


def serve() -> None:
    """The bot, stamping each request's stages into the file named by BENCH_PATH_STAMPS."""
    from flask import Flask
    from slack_bolt import App
    from slack_bolt.context.ack import Ack
    from sqlalchemy.orm import Session

    import bench.server
    import bot.config
    import bot.slack.chat
    from storage import database

    stamps: dict[str, dict[str, float]] = {}
    here = threading.local()

    def stamp(stage: str, key: str | None = None) -> None:
        key = key or getattr(here, "key", None)
        if key is not None:
            stamps.setdefault(key, {}).setdefault(stage, time.perf_counter())

    def wrap(owner: Any, name: str, before: Callable[..., None]) -> None:
        original = getattr(owner, name)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            before(*args, **kwargs)
            return original(*args, **kwargs)

        setattr(owner, name, wrapped)

    def on_wsgi(*_: Any) -> None:
        here.key, here.wsgi = None, time.perf_counter()

    def on_dispatch(_app: App, request: Any) -> None:
        here.key = str(request.body.get("trigger_id"))
        stamps.setdefault(here.key, {})["wsgi"] = here.wsgi
        stamp("dispatch")

    def on_run(_chat: Any, *args: Any, once: Any = None, **kwargs: Any) -> None:
        here.key = once.key.removeprefix("trigger:") if once is not None else None
        stamp("listener")

    wrap(Flask, "wsgi_app", on_wsgi)
    wrap(App, "dispatch", on_dispatch)
    wrap(bot.slack.chat.SlackChat, "run", on_run)
    wrap(Ack, "__call__", lambda *a, **k: stamp("acked"))
    wrap(bot.slack.chat, "handle", lambda *a, **k: stamp("command"))
    wrap(bot.slack.chat, "deliver", lambda *a, **k: (stamp("done"), stamp("deliver")))
    make_engine = database.make_engine

    def engine_stamping_commits(*args: Any, **kwargs: Any) -> Any:
        engine = make_engine(*args, **kwargs)
        event.listen(engine, "commit", lambda _connection: stamp("COMMIT sent"))
        event.listen(engine, "before_cursor_execute", lambda *_: setattr(here, "sent", time.perf_counter()))
        event.listen(engine, "after_cursor_execute", lambda *_: waited(time.perf_counter() - here.sent))
        return engine

    def waited(seconds: float) -> None:
        """Time spent in statements (sending, the database's work, the answer), summed per request."""
        key = getattr(here, "key", None)
        if key is not None:
            found = stamps.setdefault(key, {})
            found["in statements"] = found.get("in statements", 0.0) + seconds
            found["statements"] = found.get("statements", 0.0) + 1

    event.listen(Session, "after_commit", lambda _session: stamp("commit returned"))
    database.make_engine = engine_stamping_commits
    bot.config.make_engine = engine_stamping_commits  # type: ignore[attr-defined]

    def save(*_: Any) -> None:
        Path(os.environ["BENCH_PATH_STAMPS"]).write_text(json.dumps(stamps))
        raise KeyboardInterrupt

    import signal
    signal.signal(signal.SIGTERM, save)
    bench.server.signal.signal = lambda *_: None  # type: ignore[assignment]  (keep ours)
    bench.server.main("full")


def measure(url: str, commands: list[str], requests: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    recorder = Recorder()
    received: dict[int, float] = {}
    serve_call = recorder.serve

    def stamped(handler: Any, raw: bytes) -> None:
        if "chat.post" in handler.path or "/response/" in handler.path:
            received.setdefault(len(received), time.perf_counter())
        serve_call(handler, raw)

    recorder.serve = stamped  # type: ignore[method-assign]
    engine = create_engine(url)
    forget_bench_tasks(engine)
    speakers = speakers_in(engine)
    engine.dispose()
    stamps_file = Path(f"/tmp/bench-path-{os.getpid()}.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MATRIX_", "DATABASE_"))}
    env.update(DATABASE_URL=url, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=recorder.url,
               BENCH_PATH_STAMPS=str(stamps_file))
    process = subprocess.Popen([sys.executable, "-m", "bench.path", "--serve"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, text=True)
    rng = random.Random(5)
    run = uuid.uuid4().hex[:6]  # a title of its own for each `commit`: an open one's twin is asked about
    sent: list[tuple[str, float, float, int]] = []
    try:
        port = process.stdout.readline().strip() if process.stdout else ""
        events = f"http://127.0.0.1:{port}/slack/events"
        for number in range(requests + 20):
            command = commands[number % len(commands)].format(f"{run}-{number}")
            who = rng.choice(speakers)
            before = len(received)
            started = time.perf_counter()
            trigger, carried = slash(events, who, command, number)
            answered = time.perf_counter()
            if not carried:  # posted through the Web API, not carried in the 200
                with recorder.changed:
                    recorder.changed.wait_for(lambda seen=before: len(received) > seen, 30)
            if number >= 20:
                sent.append((trigger, started, answered, answered if carried else received[before]))
    finally:
        process.terminate()
        process.wait(30)
        recorder.close()
    stamps = json.loads(stamps_file.read_text())
    stamps_file.unlink()
    stages: dict[str, list[float]] = {}
    sums: dict[str, list[float]] = {}
    for trigger, started, answered, shown in sent:
        seen = stamps.get(trigger, {})
        points = {"sent": started, **seen, "200 received": answered, "reply shown": shown}
        totals = {name: points.pop(name, 0.0) for name in ("in statements", "statements")}
        for stage, moment in points.items():
            stages.setdefault(stage, []).append(1000 * (moment - started))
        totals["in statements"] *= 1000
        for name, value in totals.items():
            sums.setdefault(name, []).append(value)
    return stages, sums


def main() -> None:
    if "--serve" in sys.argv:
        serve()
        return
    parser = argparse.ArgumentParser(prog="python -m bench.path", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                           "postgresql://postgres@127.0.0.1:5432/partnerbot_bench"))
    args = parser.parse_args()
    url = make_url(normalise_database_url(args.pg_url)).update_query_dict(
        {"options": f"-csearch_path=bench_n{args.n}"}).render_as_string(hide_password=False)
    for commands in (["who", "load", "members"], [f'commit "{BENCH_TASK} {{}}" by:friday effort:1h']):
        stages, sums = measure(url, commands, args.requests)
        print(f"\n{' / '.join(commands)} at N = {args.n}: ms after sending, median of {args.requests}")
        order = sorted(stages, key=lambda s: statistics.median(stages[s]))
        previous = 0.0
        for stage in order:
            at = statistics.median(stages[stage])
            print(f"  {stage:18s} {at:6.2f}  (+{at - previous:.2f})")
            previous = at
        print(f"  of which in the command's {statistics.median(sums['statements']):.0f} statements (sending, the "
              f"database's work, reading the answer): {statistics.median(sums['in statements']):.2f}")


if __name__ == "__main__":
    main()
