"""`/partner <command>`: the same commands as the console, answered in Block Kit.

Acknowledged at once (Slack allows three seconds); the command then runs and its reply is
posted: announcements in the channel, personal answers ephemerally. `/partner commit` and
`/partner concern` on their own open the modals instead.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack.chat import SlackChat, workspace_of
from bot.slack.modals import commit_modal, concern_modal

COMMAND = "/partner"


def register(app: App, chat: SlackChat) -> None:
    def partner(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
        ack()
        workspace, user, channel = workspace_of(context, body), body["user_id"], body.get("channel_id")
        text = (body.get("text") or "").strip()
        if text.lower() in ("commit", "concern"):
            view = (commit_modal(channel, user, chat.today(client, workspace, user)) if text.lower() == "commit"
                    else concern_modal(channel))
            client.views_open(trigger_id=body["trigger_id"], view=view)
            return
        chat.run(client, workspace, user, channel, text or "help",
                 response_url=body.get("response_url"), fallback_name=body.get("user_name"))

    app.command(COMMAND)(partner)
