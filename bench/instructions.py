"""Instructions a command takes, counted by valgrind: a figure a busy machine does not move.

    python -m bench.instructions --n 1000 --pg-url postgresql://postgres@127.0.0.1:5432/partnerbot_bench

On a shared machine the same code's CPU time per command moved by half within minutes, and
its req/s by a third; instructions executed stay put to a fraction of a percent, so a change
of a few percent can be seen. Uses the size `python -m bench --reuse` filled (it must
exist). Runs the benchmark's mix in process (`handlers.handle`, each kind in turn, random
speakers) under `valgrind --tool=callgrind` twice, for `--few` and for `--many` commands,
and divides the difference by the commands between: what start-up, imports and warming up
cost cancels out. Needs valgrind (Debian's package); takes a minute or two.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile

from sqlalchemy.engine import make_url

from bench.__main__ import COMMANDS, ROOT, typed_by
from bench.workload import forget_bench_tasks, speakers_in
from bot.config import normalise_database_url
from storage.database import make_engine, session_factory


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


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--few", type=int, default=100)
    parser.add_argument("--many", type=int, default=300)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                           "postgresql://postgres@127.0.0.1:5432/partnerbot_bench"))
    parser.add_argument("--type", type=int, help=argparse.SUPPRESS)  # the child's own
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.type is not None:
        typed(args.url, args.type)
        return
    url = make_url(normalise_database_url(args.pg_url)).update_query_dict(
        {"options": f"-csearch_path=bench_n{args.n}"}).render_as_string(hide_password=False)
    few, many = counted(url, args.few), counted(url, args.many)
    each = (many - few) / (args.many - args.few)
    print(f"N = {args.n}: {each / 1e6:.2f} million instructions a command of the mix "
          f"({args.many - args.few} commands, {len(COMMANDS)} kinds in turn)")


if __name__ == "__main__":
    main()
