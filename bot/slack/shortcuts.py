"""Message shortcuts: turn any message into a commitment or a concern.

The message's words fill the modal (still editable), and the result is announced in the
channel the message was in.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack.chat import SlackChat, channel_of, workspace_of
from bot.slack.modals import commit_modal, concern_modal
from bot.slack.people import normalise
from handlers.parsing import MAX_TITLE, clean

TO_COMMITMENT = "message_to_commitment"
TO_CONCERN = "message_to_concern"


def message_words(body: dict[str, Any]) -> str:
    text = " ".join(clean(normalise((body.get("message") or {}).get("text") or "")).split())
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1] + "…"


def register(app: App, chat: SlackChat) -> None:
    def to_commitment(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
        ack()
        workspace, user, channel = workspace_of(context, body), body["user"]["id"], channel_of(body)
        client.views_open(trigger_id=body["trigger_id"],
                          view=commit_modal(channel, user, chat.today(client, workspace, user), title=message_words(body)))

    def to_concern(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=concern_modal(channel_of(body), title=message_words(body)))

    app.shortcut(TO_COMMITMENT)(to_commitment)
    app.shortcut(TO_CONCERN)(to_concern)
