"""The bot process under test: `python -m bench.server full|bare`, serving until stopped.

`full` is partnerbot's own Slack app (bot/slack/app.py) with its settings from the
environment, as `partnerbot run` has them, minus the nudge scheduler (sweeps are measured
on their own); `bare` is a Bolt app that only acknowledges, the floor we compare against.
Both are served by the same server, so the difference is what partnerbot adds. The port
is printed on the first line of standard output.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

from slack_bolt import Ack, App

from bot.config import load_settings, open_database
from bot.slack.app import build_app, serve
from bot.slack.delivery import web_client


def bare_app() -> App:
    settings = load_settings(env_file=None)
    app = App(signing_secret=settings.slack_signing_secret or "",
              client=web_client(settings.slack_api_url, settings.slack_bot_token))

    @app.command("/partner")
    def partner(ack: Ack) -> None:
        ack()

    return app


def main(mode: str) -> None:
    settings = load_settings(env_file=None)
    app = build_app(settings, open_database(settings)) if mode == "full" else bare_app()
    server = serve(app, "127.0.0.1", 0)

    def stop(_signal: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(server.server_port, flush=True)
    try:
        server.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main(sys.argv[1])
