"""`/partner <command>`: the same commands as the console, answered in Block Kit.

Acknowledged as soon as the command's transaction commits (Slack allows three seconds), so
a 200 means the change is kept. A personal answer rides in that 200, which Slack shows the
person alone; an announcement is then posted in the channel. `/partner commit` and
`/partner concern` on their own open the modals instead.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack.chat import SlackChat, workspace_of
from bot.slack.modals import commit_modal, concern_modal
from bot.slack.once import CONTEXT_KEY

COMMAND = "/partner"


def register(app: App, chat: SlackChat) -> None:
    def partner(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
        workspace, user, channel = workspace_of(context, body), body["user_id"], body.get("channel_id")
        text = (body.get("text") or "").strip()
        if text.lower() in ("commit", "concern"):
            ack()
            view = (commit_modal(channel, user, chat.today(client, workspace, user)) if text.lower() == "commit"
                    else concern_modal(channel))
            client.views_open(trigger_id=body["trigger_id"], view=view)
            return
        chat.run(client, workspace, user, channel, text or "help",
                 response_url=body.get("response_url"), fallback_name=body.get("user_name"),
                 once=context.get(CONTEXT_KEY), ack=ack, answer_in_ack=True)

    app.command(COMMAND)(partner)
