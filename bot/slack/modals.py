"""The modals: log a commitment, raise a concern, and fill in a button's missing text.

Each modal carries where it was opened from (`private_metadata`: the channel, and for the
fill-in modal the command waiting for its text), so its submission runs in that partnership.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from bot.slack.render import clip, escape
from handlers.parsing import MAX_NOTE, MAX_TITLE
from storage.models import ConcernKind, Severity

COMMIT = "commit_modal"
CONCERN = "concern_modal"
FILL = "fill_modal"
PLACEHOLDER = '"..."'

View = dict[str, Any]


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def text_input(block_id: str, label: str, *, initial: str | None = None, multiline: bool = False,
               optional: bool = False, max_length: int = MAX_TITLE, placeholder: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "multiline": multiline,
                               "max_length": max_length}
    if initial:
        element["initial_value"] = clip(initial, max_length)
    if placeholder:
        element["placeholder"] = plain(placeholder)
    return {"type": "input", "block_id": block_id, "label": plain(label), "element": element, "optional": optional}


def options(values: list[str]) -> list[dict[str, Any]]:
    return [{"text": plain(v.capitalize()), "value": v} for v in values]


def select(block_id: str, label: str, values: list[str], initial: str) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": plain(label),
            "element": {"type": "static_select", "action_id": "value", "options": options(values),
                        "initial_option": options([initial])[0]}}


def metadata(**values: str | None) -> str:
    return json.dumps({k: v for k, v in values.items() if v}, separators=(",", ":"))


def modal(callback_id: str, title: str, submit: str, channel: str | None, home: bool,
          blocks: list[dict[str, Any]]) -> View:
    """A form; its metadata remembers where it was opened, so the answer goes back there."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata(channel=channel, home="1" if home else None),
        "title": plain(title),
        "submit": plain(submit),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def commit_modal(channel: str | None, user: str, today: date, title: str | None = None, home: bool = False) -> View:
    """Who does what by when: what, a person picker, a date picker and the effort."""
    return modal(COMMIT, "Log a commitment", "Log it", channel, home, [
        text_input("what", "What will be done", initial=title, placeholder="Deliver 500 leaflets"),
        {"type": "input", "block_id": "who", "label": plain("Who does it"),
         "element": {"type": "users_select", "action_id": "value", "initial_user": user}},
        {"type": "input", "block_id": "by", "label": plain("By when"),
         "element": {"type": "datepicker", "action_id": "value", "initial_date": today.isoformat()}},
        text_input("effort", "Effort (hours it will take)", optional=True, max_length=10, placeholder="3h"),
    ])


def concern_modal(channel: str | None, title: str | None = None, home: bool = False) -> View:
    """A tension or problem, raised while it is fresh: what, kind, severity, anonymous or not."""
    return modal(CONCERN, "Raise a concern", "Raise it", channel, home, [
        text_input("what", "What worries you", initial=title, multiline=True,
                   placeholder="The budget split favours the council"),
        select("kind", "Kind", [k.value for k in ConcernKind], ConcernKind.OTHER.value),
        select("severity", "Severity", [s.value for s in Severity], Severity.MEDIUM.value),
        {"type": "input", "block_id": "anonymous", "optional": True, "label": plain("Anonymous"),
         "element": {"type": "checkboxes", "action_id": "value", "options": [
             {"text": plain("Raise it anonymously: my name is not kept at all"), "value": "anonymous"}]}},
    ])


PROMPTS = {"discuss": "Your view", "resolve": "What was agreed", "drop": "Why it is dropped"}
_QUOTED = re.compile(r'(\b[a-z][\w-]*:)?"([^"]*)"')
_PLACEHOLDER_MENTION = re.compile(r"(?<!\S)@name\b")


def needs_words(command: str) -> bool:
    """A button command with something to fill in (`discuss 4 "..."`, `@name`) is a
    template: clicking asks for the words instead of running it as written."""
    return '"' in command or bool(_PLACEHOLDER_MENTION.search(command))


def fill_modal(command: str, label: str, channel: str | None, home: bool = False) -> View:
    """Ask for a template's words: one text to fill in (`discuss 4 "..."`), or, for a
    template with several parts (`join org:"..." sector:...`), the command to edit and run."""
    quoted = list(_QUOTED.finditer(command))
    verb = command.split()[0]
    if len(quoted) == 1 and not quoted[0][1] and not _PLACEHOLDER_MENTION.search(command):
        example = quoted[0][2]
        template = command[: quoted[0].start()] + PLACEHOLDER + command[quoted[0].end():]
        field = text_input("words", PROMPTS.get(verb, label), multiline=True, max_length=MAX_NOTE,
                           placeholder=None if example in ("...", "") or verb in PROMPTS else example[:150])
        run: str | None = template
        shown = template.replace(PLACEHOLDER, "…")
    else:
        field = text_input("command", "Fill in and run", initial=command, max_length=MAX_NOTE)
        run, shown = None, command
    return {
        "type": "modal",
        "callback_id": FILL,
        "private_metadata": metadata(channel=channel, run=run, home="1" if home else None),
        "title": plain(clip(label, 24)),
        "submit": plain("Send"),
        "close": plain("Cancel"),
        "blocks": [
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"`{escape(clip(shown, 2900))}`"}]},
            field,
        ],
    }


def values(view: View) -> dict[str, Any]:
    """A submitted view's answers by block id."""
    found: dict[str, Any] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        element = actions.get("value") or next(iter(actions.values()), {})
        kind = element.get("type")
        if kind == "users_select":
            found[block_id] = element.get("selected_user")
        elif kind == "datepicker":
            found[block_id] = element.get("selected_date")
        elif kind == "static_select":
            found[block_id] = (element.get("selected_option") or {}).get("value")
        elif kind == "checkboxes":
            found[block_id] = [o.get("value") for o in element.get("selected_options") or []]
        else:
            found[block_id] = element.get("value")
    return found


