"""Buttons: each runs the command it carries, as if its clicker had typed it.

Mark done, Discuss, Resolve... carry their command (`done 12`); one that needs words
(`discuss 4 "..."`) opens a modal asking for them. The Home tab's buttons also open the
commitment and concern modals, and the tab is refreshed after a click in it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack.chat import SlackChat, channel_of, workspace_of
from bot.slack.delivery import deliver
from bot.slack.events import publish_home
from bot.slack.home import OPEN_COMMIT, OPEN_CONCERN
from bot.slack.modals import commit_modal, concern_modal, fill_modal, needs_words
from bot.slack.once import CONTEXT_KEY
from bot.slack.render import RUN
from handlers.stale import refusal, stale


def from_home(body: dict[str, Any]) -> bool:
    return (body.get("view") or {}).get("type") == "home"


def parse_value(value: str) -> tuple[str, str | None, bool]:
    """A button's command, from the Home tab the channel it acts in, and whether its numbers are
    the partnership's own (buttons posted before that carried database ids)."""
    try:
        data = json.loads(value)
    except ValueError:
        return value, None, False
    if not isinstance(data, dict) or not isinstance(data.get("run"), str):
        return value, None, False
    where = data.get("in")
    return data["run"], where if isinstance(where, str) and where else None, data.get("n") == 1


def register(app: App, chat: SlackChat) -> None:
    def run_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any) -> None:
        workspace, user = workspace_of(context, body), body["user"]["id"]
        command, hinted, numbered = parse_value(action.get("value", ""))
        channel = hinted or channel_of(body)
        home = from_home(body)
        if not numbered and stale(command):
            ack()
            deliver(client, refusal(), channel, user, body.get("response_url"))
            return
        if needs_words(command):
            ack()
            label = (action.get("text") or {}).get("text") or command.split()[0].capitalize()
            client.views_open(trigger_id=body["trigger_id"], view=fill_modal(command, label, channel, home))
            return
        if chat.run(client, workspace, user, channel, command, response_url=body.get("response_url"),
                    once=context.get(CONTEXT_KEY), ack=ack) is not None and home:
            publish_home(chat, client, workspace, user)

    def open_modal(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: Any) -> None:
        ack()
        workspace, user = workspace_of(context, body), body["user"]["id"]
        channel = action.get("value") or None
        if action["action_id"].startswith(OPEN_COMMIT):
            view = commit_modal(channel, user, chat.today(client, workspace, user), home=True)
        else:
            view = concern_modal(channel, home=True)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    app.action(re.compile(rf"^{RUN}_\d+$"))(run_button)
    app.action(re.compile(rf"^(?:{OPEN_COMMIT}|{OPEN_CONCERN})_\d+$"))(open_modal)
