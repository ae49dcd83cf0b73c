"""partnerbot's Slack app as a WSGI application, for a production server with many processes:

    gunicorn 'bot.slack.wsgi:application' --workers 4 --threads 8 --bind 0.0.0.0:3000

Each worker process connects (DATABASE_POOL_SIZE, DATABASE_MAX_OVERFLOW), migrates (under
PostgreSQL's advisory lock, so many starting together migrate once), and runs its own nudge
scheduler unless PARTNERBOT_SWEEP=off leaves that to one `partnerbot sweeper`: the ledger
sends each nudge exactly once however many processes sweep. Load the
app in the workers, not the master (no `--preload`): threads and connections do not
survive a fork.
"""

from __future__ import annotations

import atexit
from contextlib import ExitStack

from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot import logs, scheduler
from bot.config import load_settings, open_database
from bot.slack.app import build_app, delivery


def create() -> SlackRequestHandler:
    settings = load_settings()
    logs.configure(settings)
    if not (settings.slack_signing_secret and (settings.slack_bot_token or settings.slack_oauth)):
        raise SystemExit("Slack over HTTP needs SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN "
                         "(or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET).")
    sessions = open_database(settings)
    background = ExitStack()
    background.enter_context(scheduler.sweeping(settings, sessions, delivery(settings, sessions), "slack"))
    atexit.register(background.close)
    return SlackRequestHandler(build_app(settings, sessions))


application = create()
