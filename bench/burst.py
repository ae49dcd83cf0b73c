"""How many simultaneous requests one `partnerbot run` process holds in HTTP mode:

    .venv/bin/python -m bench.burst --sizes 100,200,400,800

Starts `partnerbot run` on a scratch SQLite database (or --pg-url) with the Slack recorder as
Slack's Web API, sets up a partnership, then for each size fires that many signed slash
commands at the same instant (a thread each, released together) and prints how many were
answered 200, answered otherwise, or lost (connection refused or reset, or no answer in
time), how long the burst took, and whether every command was acted on.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode

from tests.slack_recorder import BOT_TOKEN, SECRET, Recorder, sign

PARTNERBOT = Path(sys.executable).with_name("partnerbot")


def command(text: str, trigger: str, user: str = "UALICE") -> bytes:
    """A slash command's body, as Slack posts it; `trigger` is the id its retries would share."""
    return urlencode({"team_id": "T1", "channel_id": "C1", "user_id": user, "user_name": user.lower(),
                      "command": "/partner", "text": text, "trigger_id": trigger,
                      "response_url": "http://127.0.0.1:1/unused"}).encode()


def post(url: str, body: bytes, timeout: float) -> str:
    """Send one signed request; what came of it: `200`, another status, or `lost: why`."""
    stamp = str(int(time.time()))
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(body, stamp)})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return str(answer.status)
    except HTTPError as answered:
        return str(answered.code)
    except (URLError, OSError) as failed:
        return f"lost: {getattr(failed, 'reason', failed)}"


def fire(url: str, bodies: list[bytes], timeout: float = 30) -> tuple[Counter[str], float]:
    """Send every body at the same instant; the outcomes counted, and the seconds the burst took."""
    outcomes: list[str] = []
    start = threading.Barrier(len(bodies) + 1)

    def one(body: bytes) -> None:
        start.wait()
        outcomes.append(post(url, body, timeout))

    threads = [threading.Thread(target=one, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return Counter(outcomes), time.perf_counter() - began


@contextmanager
def bot(database_url: str, recorder: Recorder, folder: Path) -> Iterator[str]:
    """`partnerbot run` in HTTP mode; yields its /slack/events URL once it answers."""
    port = free_port()
    # Settings only as given here; a test's clock (tests/clock) is kept, so signatures agree.
    env = {k: v for k, v in os.environ.items()
           if k == "PARTNERBOT_TEST_CLOCK_OFFSET" or not k.startswith(("SLACK_", "MATRIX_", "DATABASE_", "PARTNERBOT_"))}
    env.update(DATABASE_URL=database_url, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET,
               SLACK_API_URL=recorder.url, PORT=str(port), PARTNERBOT_SWEEP="off")
    process = subprocess.Popen([str(PARTNERBOT), "run"], cwd=folder, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/slack/events"
    try:
        deadline = time.monotonic() + 60
        while post(url, b"", 5).startswith("lost"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("partnerbot run did not start serving")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.burst", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,200,400", help="simultaneous requests per burst")
    parser.add_argument("--pg-url", help="a PostgreSQL database to use instead of a scratch SQLite file")
    args = parser.parse_args()
    recorder = Recorder()
    with tempfile.TemporaryDirectory() as folder:
        url = args.pg_url or f"sqlite:///{Path(folder) / 'burst.db'}"
        with bot(url, recorder, Path(folder)) as endpoint:
            for n, text in enumerate(['setup "Riverside Partnership" kind:task-force',
                                      "join org:Council sector:public capacity:40h"]):
                assert post(endpoint, command(text, f"setup{n}"), 30) == "200"
            for size in (int(s) for s in args.sizes.split(",")):
                bodies = [command("partnership", f"{size}.{i}") for i in range(size)]
                outcomes, took = fire(endpoint, bodies)
                print(f"{size:5d} at once: {dict(sorted(outcomes.items()))} in {took:.2f} s", flush=True)
    recorder.close()


if __name__ == "__main__":
    main()
