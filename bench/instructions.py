"""Instructions a command takes, counted by valgrind: a figure a busy machine does not move.

    python -m bench.instructions --n 1000 --pg-url postgresql://postgres@127.0.0.1:5432/partnerbot_bench

On a shared machine the same code's CPU time per command moved by half within minutes, and
its req/s by a third; instructions executed stay put to a fraction of a percent, so a change
of a few percent can be seen. Uses the size `python -m bench --reuse` filled (it must
exist). Runs the benchmark's mix in process (`handlers.handle`, each kind in turn, random
speakers) under `valgrind --tool=callgrind` twice, for `--few` and for `--many` commands,
and divides the difference by the commands between: what start-up, imports and warming up
cost cancels out. Needs valgrind (Debian's package); takes a minute or two.

With `--served read|floor|mix|bare`, counts a served request instead: the bot (`bench.server full`)
runs under callgrind, is warmed up with 60 requests, then its counters are zeroed and
`--many` requests sent by 8 clients at once (the read commands of the mix, the floor's
unknown word, or the whole mix), and its count divided by them: Bolt, the HTTP server, the
command and the reply, everything a request costs the bot's process in user space. `bare`
sends the mix to the bare Bolt app instead (`bench.server bare`, which only acknowledges):
what the framework and the server cost alone, on a scale the machine's speed does not move.
`--root` serves another checkout's code (a `git worktree` of the commit to compare with).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.__main__ import COMMANDS, FLOOR, ROOT, bot_environment, shown, slash, typed_by, wait_shown
from bench.workload import forget_bench_tasks, speakers_in
from bot.config import normalise_database_url
from storage.database import make_engine, session_factory
from tests.slack_recorder import Recorder

SERVED = {"read": COMMANDS[:-1], "floor": FLOOR, "mix": COMMANDS, "bare": COMMANDS}


def typed(url: str, count: int) -> None:
    """The mix's first `count` commands, in this process (the child valgrind watches)."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    forget_bench_tasks(engine)
    speakers = speakers_in(engine)
    rng = random.Random(2)
    for i in range(count):
        typed_by(sessions, COMMANDS[i % len(COMMANDS)].format(f"i{i}"), rng.choice(speakers))


def counted(url: str, count: int) -> int:
    """The instructions a process typing `count` commands executes, start to end."""
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={scratch}/out",
                               sys.executable, "-m", "bench.instructions", "--type", str(count), "--url", url],
                              cwd=ROOT, env=os.environ, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"valgrind said no count:\n{done.stderr[-2000:]}")
    return int(found[1])


def served(url: str, kind: str, count: int, root: Path) -> int:
    """The instructions the bot's process executes serving `count` requests of `kind`."""
    engine = make_engine(url)
    forget_bench_tasks(engine)
    speakers = speakers_in(engine)
    engine.dispose()
    recorder = Recorder()
    rng, run = random.Random(3), uuid.uuid4().hex[:6]
    work = [(rng.choice(speakers), rng.choice(SERVED[kind]).format(f"{run}-{i}")) for i in range(60 + count)]
    replies = kind != "bare"  # the bare app only acknowledges
    with tempfile.TemporaryDirectory() as scratch:
        bot = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={scratch}/out",
                                sys.executable, "-m", "bench.server", "full" if replies else "bare"], cwd=root,
                               env=bot_environment(url, recorder),
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            events = f"http://127.0.0.1:{bot.stdout.readline().strip() if bot.stdout else ''}/slack/events"
            for number, (who, command) in enumerate(work[:60]):
                before = shown(recorder)
                if not slash(events, who, command, number)[1] and replies:
                    wait_shown(recorder, before + 1)
            subprocess.run(["callgrind_control", "--zero", str(bot.pid)], check=True, capture_output=True)
            before = shown(recorder)
            with ThreadPoolExecutor(8) as pool:
                in_200 = sum(pool.map(lambda item: slash(events, *item[1], item[0])[1], enumerate(work[60:])))
            if replies:  # a change's announcement is posted after its 200
                wait_shown(recorder, before + count - in_200)
            subprocess.run(["callgrind_control", "--dump", str(bot.pid)], check=True, capture_output=True)
            dumped = "".join(path.read_text() for path in Path(scratch).glob("out.*"))
        finally:
            bot.terminate()
            bot.wait()
    found = re.search(r"^summary: (\d+)", dumped, re.M)
    if found is None:
        raise SystemExit("callgrind wrote no summary")
    return int(found[1])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--few", type=int, default=100)
    parser.add_argument("--many", type=int, default=300)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                           "postgresql://postgres@127.0.0.1:5432/partnerbot_bench"))
    parser.add_argument("--served", choices=sorted(SERVED), help="count a served request of this kind instead")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose bot is served (with --served)")
    parser.add_argument("--type", type=int, help=argparse.SUPPRESS)  # the child's own
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.type is not None:
        typed(args.url, args.type)
        return
    url = make_url(normalise_database_url(args.pg_url)).update_query_dict(
        {"options": f"-csearch_path=bench_n{args.n}"}).render_as_string(hide_password=False)
    if args.served:
        each = served(url, args.served, args.many, args.root) / args.many
        print(f"N = {args.n}: {each / 1e6:.2f} million instructions a served request ({args.served}, {args.many} requests "
              f"from 8 clients, {args.root})")
        return
    few, many = counted(url, args.few), counted(url, args.many)
    each = (many - few) / (args.many - args.few)
    print(f"N = {args.n}: {each / 1e6:.2f} million instructions a command of the mix "
          f"({args.many - args.few} commands, {len(COMMANDS)} kinds in turn)")


if __name__ == "__main__":
    main()
