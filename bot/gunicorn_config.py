"""gunicorn settings for partnerbot's web app:

    gunicorn -c python:bot.gunicorn_config 'bot.slack.wsgi:application' --workers 4 --bind 0.0.0.0:3000

The workers count their metrics in one folder (PROMETHEUS_MULTIPROC_DIR, a fresh one unless
set), so /metrics adds up every worker whichever one answers the scrape; a worker that
exits is marked dead, so its gauges stop counting. The folder is set before anything
imports prometheus-client, which chooses how to count when first imported.
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
