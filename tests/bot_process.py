"""`partnerbot run` as a real process serving Slack over HTTP, for tests that start, kill and
restart it; and signed slash commands sent to it the way Slack sends them.

Settings reach the process through its environment only, as a user would give them; the
Slack Web API it talks to is the local recorder.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode

from tests.environment import user_environment
from tests.slack_recorder import BOT_TOKEN, SECRET, Recorder, sign
from tests.test_console import PARTNERBOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(process: subprocess.Popen[str], port: int, log: Path | None = None) -> None:
    """Until the process answers HTTP (any status: a gunicorn master listens before its workers
    have booted); fails with its output (piped, or written to `log`) if it exits or takes a minute."""
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                return
        except HTTPError:
            return
        except (URLError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = log.read_text() if log else process.communicate()[0]
                raise AssertionError(f"{process.args[0]} did not start serving: {output}") from None
            time.sleep(0.1)


@dataclass
class BotProcess:
    """One `partnerbot run`; `start()` again after `kill()` is a restart on the same port."""

    database_url: str
    recorder: Recorder
    cwd: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None

    @property
    def log(self) -> Path:
        """Where the process writes: a file, not a pipe, since a pipe nobody reads fills up
        and then blocks every thread of the bot that logs (as an outage's retries do)."""
        return self.cwd / "partnerbot.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def start(self) -> str:
        env = user_environment(DATABASE_URL=self.database_url, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET,
                               SLACK_API_URL=self.recorder.url, PORT=str(self.port))
        with self.log.open("a") as log:
            self.process = subprocess.Popen([str(PARTNERBOT), "run"], cwd=self.cwd, env=env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT, text=True)
        wait_for_port(self.process, self.port, self.log)
        return self.url

    def kill(self) -> None:
        """SIGKILL: no clean-up, no flushing, as when a machine loses power."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)



def command_fields(text: str, trigger: str, user: str = "UALICE", channel: str = "C1", team: str = "T1",
                   response_url: str = "http://127.0.0.1:1/unused") -> dict[str, str]:
    """A slash command as Slack posts it; `trigger` is the id its retries share."""
    return {"team_id": team, "channel_id": channel, "user_id": user, "user_name": user.lower(),
            "command": "/partner", "text": text, "trigger_id": trigger, "response_url": response_url}


def post(url: str, body: bytes, content_type: str = "application/x-www-form-urlencoded",
         retry_num: int | None = None, timestamp: str | None = None, signature: str | None = None,
         timeout: float = 10) -> tuple[int, str]:
    """POST a signed request; the HTTP status and body, or (0, reason) when the connection failed."""
    stamp = timestamp or str(int(time.time()))
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
               "X-Slack-Signature": signature or sign(body, stamp)}
    if retry_num is not None:
        headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return int(answer.status), answer.read().decode()
    except HTTPError as refused:
        return int(refused.code), refused.read().decode()
    except (URLError, OSError) as failed:
        return 0, str(failed)


def slash(url: str, fields: dict[str, str], retry_num: int | None = None) -> int:
    return post(url, urlencode(fields).encode(), retry_num=retry_num)[0]


def answered(recorder: Recorder, body: str, ephemerals: int) -> dict[str, Any]:
    """What a slash command answered: the message its 200 carried or, when the command
    outlasted Slack's deadline and the 200 went bare, the ephemeral message posted after it
    (the one after the `ephemerals` there were before)."""
    if body.strip():
        return dict(json.loads(body))
    return recorder.wait_for("chat.postEphemeral", ephemerals + 1, timeout=30)[-1].params
