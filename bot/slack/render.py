"""A neutral Reply as Block Kit: a header, mrkdwn text, fields, lists and buttons.

Every button runs a command a person could have typed (`done 12`), so clicking can never do
more than typing. Its value is JSON: `{"run": "done 12", "n": 1}`, plus `"in": "C123"` when
the button sits somewhere without a channel of its own (the App Home tab). `n` marks numbers
counted per partnership: older buttons carried database ids (see handlers/stale.py).
"""

from __future__ import annotations

import json
from typing import Any

from handlers.reply import Action, Item, Reply, Section, cut_note

Block = dict[str, Any]

MAX_MESSAGE_BLOCKS = 50
MAX_TEXT = 3000  # a section's text
MAX_FIELD = 2000  # one of a section's fields
MAX_HEADER = 150
MAX_FIELDS = 10
MAX_BUTTON_LABEL = 75
MAX_BUTTON_VALUE = 2000
RUN = "run"  # action_id prefix of every command button: run_0, run_1...


def escape(text: str) -> str:
    """Slack's three control characters; everything else (backticks too) reads as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mrkdwn(text: str, limit: int = MAX_TEXT) -> Block:
    return {"type": "mrkdwn", "text": clip(text, limit)}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def sections(text: str) -> list[Block]:
    """Text as one section, or several when it is longer than one may hold: split at line
    breaks (or spaces) so nothing is lost."""
    parts: list[str] = []
    while len(text) > MAX_TEXT:
        at = max(text.rfind("\n", 0, MAX_TEXT), text.rfind(" ", 0, MAX_TEXT))
        at = at if at > MAX_TEXT // 2 else MAX_TEXT
        parts.append(text[:at])
        text = text[at:].lstrip("\n ")
    return [section(p) for p in [*parts, text] if p]


def note(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(escape(text))]}


def button_value(command: str, channel: str | None = None) -> str:
    value: dict[str, object] = {"run": command, "n": 1}
    if channel:
        value["in"] = channel
    return json.dumps(value, separators=(",", ":"))


class Renderer:
    """Renders one message or view; numbers its buttons so every action_id is unique."""

    def __init__(self, channel: str | None = None, max_blocks: int = MAX_MESSAGE_BLOCKS, buttons: int = 0) -> None:
        self.channel = channel
        self.max_blocks = max_blocks
        self.buttons = buttons  # buttons already numbered in the same view

    def button(self, action: Action) -> Block | None:
        value = button_value(action.command, self.channel)
        if len(value) > MAX_BUTTON_VALUE:
            return None  # a command too long to carry: the line still says what to type
        button: Block = {
            "type": "button",
            "action_id": f"{RUN}_{self.buttons}",
            "text": {"type": "plain_text", "text": clip(action.label, MAX_BUTTON_LABEL)},
            "value": value,
        }
        if action.primary:
            button["style"] = "primary"
        self.buttons += 1
        return button

    def row(self, actions: tuple[Action, ...] | list[Action], most: int) -> Block | None:
        elements = [b for b in map(self.button, actions[:most]) if b is not None]
        return {"type": "actions", "elements": elements} if elements else None

    def reply(self, reply: Reply) -> list[Block]:
        if reply.error:
            return sections(f":warning: {escape(reply.text or '')}")[:1]
        blocks: list[Block] = []
        if reply.title:
            blocks.append({"type": "header", "text": {"type": "plain_text", "text": clip(reply.title, MAX_HEADER)}})
        if reply.text:
            blocks += sections(escape(reply.text))
        blocks += self.fields(reply.fields)
        # Keep room for the reply's own buttons and a closing note.
        room = self.max_blocks - len(blocks) - (2 if reply.actions else 1)
        numbered = self.buttons
        full = [self.section(part) for part in reply.sections]
        if sum(map(len, full)) <= room:
            blocks += [b for rendered in full for b in rendered]
        else:
            # Too long for buttons on every line: compact lists, the commands still typeable.
            self.buttons = numbered
            for at, part in enumerate(reply.sections):
                rendered = self.section(part, room, reply.more)
                if len(rendered) > room:
                    left = sum(len(p.items) or 1 for p in reply.sections[at:])
                    blocks.append(note(cut_note(left, reply.more)))
                    break
                blocks += rendered
                room -= len(rendered)
        closing = self.row(reply.actions, 25) if reply.actions else None
        if closing:
            blocks.append(closing)
        return fit(blocks, self.max_blocks, reply.more)

    def fields(self, pairs: list[tuple[str, str]]) -> list[Block]:
        """Label and value pairs, ten to a section; a value too long for a field (2,000
        characters) gets a section of its own."""
        blocks: list[Block] = []
        short: list[Block] = []
        for label, value in pairs:
            text = f"*{escape(label)}*\n{escape(value)}"
            if len(text) <= MAX_FIELD:
                short.append(mrkdwn(text, MAX_FIELD))
            else:
                blocks += sections(text)
        return [{"type": "section", "fields": short[at:at + MAX_FIELDS]}
                for at in range(0, len(short), MAX_FIELDS)] + blocks

    def section(self, part: Section, room: int | None = None, more: str | None = None) -> list[Block]:
        """A titled list: a block per line with its buttons, or with `room` given, bullet
        lines packed into as few blocks as fit in it."""
        blocks: list[Block] = []
        if part.heading:
            blocks.append(section(f"*{escape(part.heading)}*"))
        if not part.items:
            if part.empty:
                blocks.append(section(escape(part.empty)))
            return blocks
        if room is None:
            return blocks + [b for item in part.items for b in self.item(item)]
        return blocks + compact(part.items, room - len(blocks), more)

    def item(self, item: Item) -> list[Block]:
        block = section(escape(item.text))
        if len(item.actions) == 1:
            button = self.button(item.actions[0])
            if button is not None:
                block["accessory"] = button
            return [block]
        row = self.row(item.actions, 5) if item.actions else None
        return [block, row] if row else [block]


def compact(items: list[Item], room: int, more: str | None = None) -> list[Block]:
    """Items as bullet lines in as few sections as fit, with a note if some are left out."""
    blocks: list[Block] = []
    lines: list[str] = []
    counts: list[int] = []
    for item in items:
        line = clip("• " + escape(item.text), MAX_TEXT)
        if lines and len("\n".join(lines + [line])) > MAX_TEXT:
            blocks.append(section("\n".join(lines)))
            counts.append(len(lines))
            lines = []
        lines.append(line)
    if lines:
        blocks.append(section("\n".join(lines)))
        counts.append(len(lines))
    if len(blocks) > max(room, 1):
        kept = max(room - 1, 1)
        blocks = blocks[:kept] + [note(cut_note(sum(counts[kept:]), more))]
    return blocks


def fit(blocks: list[Block], most: int, more: str | None) -> list[Block]:
    """At most `most` blocks: whatever would not fit makes way for a note saying so."""
    if len(blocks) <= most:
        return blocks
    closing = [blocks.pop()] if blocks[-1]["type"] == "actions" else []
    keep = most - 1 - len(closing)
    left = sum(max(1, b.get("text", {}).get("text", "").count("• ")) for b in blocks[keep:])
    return blocks[:keep] + [note(cut_note(left, more))] + closing


def blocks(reply: Reply, channel: str | None = None, max_blocks: int = MAX_MESSAGE_BLOCKS) -> list[Block]:
    """The blocks people see for a reply; `channel` goes into button values (App Home)."""
    return Renderer(channel, max_blocks).reply(reply)


def fallback_text(reply: Reply) -> str:
    """The plain text Slack shows in notifications and to screen readers; escaped like the
    blocks, since Slack reads mentions and links in it too."""
    return clip(escape((reply.text or "") if reply.error else reply.plain()), MAX_TEXT)
