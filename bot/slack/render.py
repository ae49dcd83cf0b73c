"""A neutral Reply as Block Kit: a header, mrkdwn text, fields, lists and buttons.

Every button runs a command a person could have typed (`done 12`), so clicking can never do
more than typing. Its value is JSON: `{"run": "done 12"}`, plus `"in": "C123"` when the
button sits somewhere without a channel of its own (the App Home tab).
"""

from __future__ import annotations

import json
from typing import Any

from handlers.reply import Action, Item, Reply, Section

Block = dict[str, Any]

MAX_MESSAGE_BLOCKS = 50
MAX_TEXT = 3000
MAX_HEADER = 150
MAX_FIELDS = 10
MAX_BUTTON_LABEL = 75
RUN = "run"  # action_id prefix of every command button: run_0, run_1...


def escape(text: str) -> str:
    """Slack's three control characters; everything else (backticks too) reads as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": clip(text, MAX_TEXT)}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def button_value(command: str, channel: str | None = None) -> str:
    value = {"run": command}
    if channel:
        value["in"] = channel
    return json.dumps(value, separators=(",", ":"))


class Renderer:
    """Renders one message or view; numbers its buttons so every action_id is unique."""

    def __init__(self, channel: str | None = None, max_blocks: int = MAX_MESSAGE_BLOCKS) -> None:
        self.channel = channel
        self.max_blocks = max_blocks
        self.buttons = 0

    def button(self, action: Action) -> Block:
        button: Block = {
            "type": "button",
            "action_id": f"{RUN}_{self.buttons}",
            "text": {"type": "plain_text", "text": clip(action.label, MAX_BUTTON_LABEL)},
            "value": button_value(action.command, self.channel),
        }
        if action.primary:
            button["style"] = "primary"
        self.buttons += 1
        return button

    def reply(self, reply: Reply) -> list[Block]:
        if reply.error:
            return [section(f":warning: {escape(reply.text or '')}")]
        blocks: list[Block] = []
        if reply.title:
            blocks.append({"type": "header", "text": {"type": "plain_text", "text": clip(reply.title, MAX_HEADER)}})
        if reply.text:
            blocks.append(section(escape(reply.text)))
        for start in range(0, len(reply.fields), MAX_FIELDS):
            chunk = reply.fields[start:start + MAX_FIELDS]
            blocks.append({"type": "section",
                           "fields": [mrkdwn(f"*{escape(label)}*\n{escape(value)}") for label, value in chunk]})
        # Keep room for the reply's own buttons and a closing note.
        room = self.max_blocks - len(blocks) - (2 if reply.actions else 1)
        for part in reply.sections:
            rendered = self.section(part, room)
            blocks += rendered
            room -= len(rendered)
        if reply.actions:
            blocks.append({"type": "actions", "elements": [self.button(a) for a in reply.actions[:25]]})
        return blocks[: self.max_blocks]

    def section(self, part: Section, room: int) -> list[Block]:
        blocks: list[Block] = []
        if part.heading:
            blocks.append(section(f"*{escape(part.heading)}*"))
        if not part.items:
            if part.empty:
                blocks.append(section(escape(part.empty)))
            return blocks
        full = [b for item in part.items for b in self.item(item)]
        if len(blocks) + len(full) <= room:
            return blocks + full
        # Too long for buttons on every line: a compact list, the commands still typeable.
        return blocks + compact(part.items, room - len(blocks))

    def item(self, item: Item) -> list[Block]:
        block = section(escape(item.text))
        if len(item.actions) == 1:
            block["accessory"] = self.button(item.actions[0])
            return [block]
        if item.actions:
            return [block, {"type": "actions", "elements": [self.button(a) for a in item.actions[:5]]}]
        return [block]


def compact(items: list[Item], room: int) -> list[Block]:
    """Items as bullet lines in as few sections as fit, with a note if some are left out."""
    blocks: list[Block] = []
    lines: list[str] = []
    for item in items:
        line = "• " + escape(item.text)
        if lines and len("\n".join(lines + [line])) > MAX_TEXT:
            blocks.append(section("\n".join(lines)))
            lines = []
        lines.append(clip(line, MAX_TEXT))
    if lines:
        blocks.append(section("\n".join(lines)))
    if len(blocks) > max(room - 1, 1):
        blocks = blocks[: max(room - 1, 1)]
        blocks.append({"type": "context", "elements": [mrkdwn("The list goes on; narrow it down, like `who leaflets`.")]})
    return blocks


def blocks(reply: Reply, channel: str | None = None, max_blocks: int = MAX_MESSAGE_BLOCKS) -> list[Block]:
    """The blocks people see for a reply; `channel` goes into button values (App Home)."""
    return Renderer(channel, max_blocks).reply(reply)


def fallback_text(reply: Reply) -> str:
    """The plain text Slack shows in notifications and to screen readers."""
    if reply.error:
        return clip(reply.text or "", MAX_TEXT)
    return clip(escape(reply.plain()), MAX_TEXT)
