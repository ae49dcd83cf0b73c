"""Prometheus metrics, in prometheus-client's text format at /metrics (bot/health.py).

Counted in each process: commands by platform, name and outcome (done, refused, failed) and
their latency; nudges sent, deferred and failed by kind, and how long sweeps take; database
connections in use. Read from the database at each scrape, so they hold whichever process
swept: pending nudges and each platform's last successful sweep. Under gunicorn, set
PROMETHEUS_MULTIPROC_DIR (bot/gunicorn_config.py does) and every worker's counts add up.

Nobody outside gets them by default. PARTNERBOT_METRICS_TOKEN serves them on PORT behind a
bearer token (bot/health.py); PARTNERBOT_METRICS_ADDRESS serves them without one on a private
address of their own (`serve_privately`), which only the machine or its network reaches.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from handlers.watching import Handled, watchers
from storage import derivation
from storage.models import Nudge, Sweep

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.web.server import Server

log = logging.getLogger(__name__)

COMMANDS = Counter("partnerbot_commands", "Commands handled, by platform, command and outcome (done, refused, failed)",
                   ["platform", "command", "outcome"])
COMMAND_SECONDS = Histogram("partnerbot_command_seconds", "Time to handle a command, in seconds", ["platform"],
                            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
NUDGES = Counter("partnerbot_nudges", "Nudges sent, deferred (each sweep that held one back), failed and "
                 "cancelled (no longer true when asked again), by kind", ["platform", "kind", "result"])
SWEEP_SECONDS = Histogram("partnerbot_sweep_seconds", "Time a nudge sweep took, in seconds", ["platform"],
                          buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
CONNECTIONS_IN_USE = Gauge("partnerbot_database_connections_in_use", "Database connections checked out now",
                           multiprocess_mode="livesum")
CONNECTIONS_LIMIT = Gauge("partnerbot_database_connections_limit",
                          "Database connections the processes may open (pool size plus overflow)",
                          multiprocess_mode="livesum")


def count_command(handled: Handled) -> None:
    COMMANDS.labels(handled.platform, handled.command, handled.outcome).inc()
    COMMAND_SECONDS.labels(handled.platform).observe(handled.seconds)


def swept(platform: str, seconds: float, sent: Iterable[str], deferred: Iterable[str], failed: Iterable[str],
          cancelled: Iterable[str] = ()) -> None:
    """Count one finished sweep and the kinds of the nudges it sent, deferred, failed and cancelled."""
    SWEEP_SECONDS.labels(platform).observe(seconds)
    for result, kinds in (("sent", sent), ("deferred", deferred), ("failed", failed), ("cancelled", cancelled)):
        for kind, n in Tally(kinds).items():
            NUDGES.labels(platform, kind, result).inc(n)


# The engines already counted: watching one twice would count each of its connections twice.
watched: weakref.WeakSet[Engine] = weakref.WeakSet()


def watch(engine: Engine) -> None:
    """Count this process's commands, and the connections its engine holds."""
    if count_command not in watchers:
        watchers.append(count_command)
    if engine in watched:
        return
    watched.add(engine)
    pool = engine.pool
    CONNECTIONS_LIMIT.inc(getattr(pool, "size", lambda: 0)() + max(0, getattr(pool, "_max_overflow", 0)))
    event.listen(engine, "checkout", lambda *_: CONNECTIONS_IN_USE.inc())
    event.listen(engine, "checkin", lambda *_: CONNECTIONS_IN_USE.dec())


class FromDatabase:
    """What every process shares, read at each scrape: pending nudges, partnerships whose
    derivation failed, each platform's last sweep."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        with self.sessions() as session:
            pending = session.scalar(select(func.count()).select_from(Nudge).where(Nudge.owed())) or 0
            underived = derivation.underived(session, datetime.now(UTC))
            last = session.execute(select(Sweep.platform, Sweep.finished_at)).all()
        yield GaugeMetricFamily("partnerbot_nudges_pending", "Nudges recorded and not yet sent", value=pending)
        yield GaugeMetricFamily("partnerbot_partnerships_underived",
                                "Partnerships whose last nudge derivation failed (see the log); tried again later",
                                value=underived)
        family = GaugeMetricFamily("partnerbot_sweep_last_success_timestamp_seconds",
                                   "When each platform's last nudge sweep finished (Unix time)", labels=["platform"])
        for platform, finished_at in last:
            family.add_metric([platform], finished_at.timestamp())
        yield family


def exposition(sessions: sessionmaker[Session]) -> bytes:
    """Every metric in the text format: this process's (or all workers'), then the database's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)  # type: ignore[no-untyped-call]
    else:
        counted = REGISTRY
    shared = CollectorRegistry(auto_describe=False)
    shared.register(FromDatabase(sessions))  # type: ignore[arg-type]
    return generate_latest(counted) + generate_latest(shared)


def serve_privately(settings: Settings, sessions: sessionmaker[Session]) -> Server | None:
    """Serve /metrics, without a token, on PARTNERBOT_METRICS_ADDRESS (a private address), in a
    thread of its own; nothing when it is not set."""
    if settings.metrics_address is None:
        return None
    from bot.web.server import serve

    host, port = settings.metrics_address
    server = serve(scrapes(sessions), host, port)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.warning("Metrics: http://%s:%s/metrics (a private address: no token asked)", host, server.server_port)
    return server


def scrapes(sessions: sessionmaker[Session]) -> Callable[[dict[str, Any], Callable[..., Any]], list[bytes]]:
    """A WSGI app answering /metrics and nothing else."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Only /metrics is here.\n"]
        body = exposition(sessions)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Cache-Control", "no-store")])
        return [body]

    return app
