"""Who watches commands being handled: the logs and the metrics (bot/observe.py) add
themselves to `watchers`, and `handle` tells them about each command, never its words."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Handled:
    """One command handled: who on which platform is left out, and so is what they typed."""

    platform: str
    command: str  # its name, or "unknown"
    outcome: str  # done, refused or failed
    seconds: float
    request_id: str


watchers: list[Callable[[Handled], None]] = []
# The command being handled, so every log line written meanwhile can name it.
request_id: ContextVar[str] = ContextVar("request_id", default="-")
