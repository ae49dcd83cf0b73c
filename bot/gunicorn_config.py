"""gunicorn settings for partnerbot's web app:

    gunicorn -c python:bot.gunicorn_config 'bot.slack.wsgi:application' --workers 4 --bind 0.0.0.0:3000

The workers count their metrics in one folder (PROMETHEUS_MULTIPROC_DIR, a fresh one unless
set), so /metrics adds up every worker whichever one answers the scrape; a worker that
exits is marked dead, so its gauges stop counting. The folder is set before anything
imports prometheus-client, which chooses how to count when first imported. With
PARTNERBOT_METRICS_ADDRESS set, the master process serves them there (one address, however
many workers), reading the database without keeping a connection a forked worker would share.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="partnerbot-metrics-")


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def when_ready(server: Any) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from bot import metrics
    from bot.config import load_settings
    from storage.database import session_factory

    settings = load_settings()
    if settings.metrics_address is not None:
        metrics.serve_privately(settings, session_factory(create_engine(settings.database_url, poolclass=NullPool)))
