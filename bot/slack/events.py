"""Events: the App Home tab, published fresh each time someone opens it; a user's new name."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.chat import SlackChat, workspace_of
from bot.slack.home import home_view
from bot.slack.once import CONTEXT_KEY, claim


def publish_home(chat: SlackChat, client: WebClient, workspace: str, user: str) -> None:
    client.views_publish(user_id=user, view=home_view(chat.sessions, workspace, user, datetime.now(UTC)))


def register(app: App, chat: SlackChat) -> None:
    def app_home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient, context: Any) -> None:
        if event.get("tab", "home") != "home":
            return
        mark = context.get(CONTEXT_KEY)
        if mark is not None and not claim(chat.sessions, mark):
            return
        publish_home(chat, client, workspace_of(context, body), event["user"])

    def user_change(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        chat.people.rename(chat.sessions, workspace_of(context, body), event.get("user") or {})

    app.event("app_home_opened")(app_home_opened)
    app.event("user_change")(user_change)
