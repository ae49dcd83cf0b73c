"""Modal submissions: each becomes the command a person could have typed, and runs as one.

Field mistakes Slack can show beside the field (an effort that isn't hours) are answered in
the acknowledgement itself; the modal then closes and the command runs, its reply posted
like any other (a refusal reaches the person privately).
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack.chat import SlackChat, workspace_of
from bot.slack.events import publish_home
from bot.slack.modals import COMMIT, CONCERN, FILL, PLACEHOLDER, values
from bot.slack.once import CONTEXT_KEY
from handlers.errors import UserError
from handlers.parsing import parse_hours, quote


def commit_command(user: str, answers: dict[str, Any]) -> str:
    owner = answers.get("who")
    words = ["commit"]
    if owner and owner != user:
        words.append(f"<@{owner}>")  # Slack's own mention markup: this user id, nobody else
    words += [quote(answers.get("what") or ""), f"by:{answers.get('by') or ''}"]
    if answers.get("effort"):
        words.append(f"effort:{answers['effort'].strip()}")
    return " ".join(words)


def concern_command(answers: dict[str, Any]) -> str:
    words = ["concern", quote(answers.get("what") or ""), f"kind:{answers.get('kind') or 'other'}",
             f"severity:{answers.get('severity') or 'medium'}"]
    if "anonymous" in (answers.get("anonymous") or []):
        words.append("anonymous")
    return " ".join(words)


def field_errors(callback_id: str, answers: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for block_id in ("what", "words", "command"):
        if block_id in answers and not (answers[block_id] or "").strip():
            errors[block_id] = "Say it in a few words."
    if callback_id == COMMIT:
        if not answers.get("by"):
            errors["by"] = "Pick the day it will be done by."
        if answers.get("effort"):
            try:
                parse_hours(answers["effort"], "effort")
            except UserError:
                errors["effort"] = "Write the hours like 3h or 90m."
    return errors


def register(app: App, chat: SlackChat) -> None:
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any) -> None:
        answers = values(view)
        callback_id = view["callback_id"]
        errors = field_errors(callback_id, answers)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        workspace, user = workspace_of(context, body), body["user"]["id"]
        meta = json.loads(view.get("private_metadata") or "{}")
        if callback_id == COMMIT:
            command = commit_command(user, answers)
        elif callback_id == CONCERN:
            command = concern_command(answers)
        elif meta.get("run"):
            command = meta["run"].replace(PLACEHOLDER, quote(answers["words"]), 1)
        else:
            command = answers.get("command") or ""
        if chat.run(client, workspace, user, meta.get("channel"), command, once=context.get(CONTEXT_KEY), ack=ack) \
                is not None and meta.get("home"):
            publish_home(chat, client, workspace, user)

    for callback_id in (COMMIT, CONCERN, FILL):
        app.view(callback_id)(submitted)
