"""A neutral Reply as a Matrix notice: HTML for Element, and a plain-text body for the rest.

Notices (`m.notice`) are what bots send: clients show them quietly and other bots leave them
alone. Commands shown in `backticks` carry the room's prefix (`!partner done 12`), so what a
reply says to type is exactly what works; a reply to a message threads onto it.
"""

from __future__ import annotations

import json
import re
from functools import cache
from html import escape
from typing import Any

from bot.matrix.people import HTML
from handlers.registry import COMMANDS, canonical
from handlers.reply import Action, Item, Reply, Section, cut_note

Content = dict[str, Any]

# Matrix refuses events over 64 KiB (as UTF-8 JSON, with the envelope the homeserver adds):
# a notice's content, both bodies and its relations together, stays under this.
MAX_BYTES = 60_000
# Beyond this the reply is sent as plain text alone, cut: never more than MAX_BYTES.
MAX_PLAIN = 18_000
_CODE = re.compile(r"`([^`\n]+)`")


@cache
def command_words() -> frozenset[str]:
    """The first word of every command (`member` for `member add`); all are registered on import."""
    return frozenset(name.split()[0] for name in COMMANDS)


class Renderer:
    """Renders one reply twice over, as HTML and as plain text, from the same parts."""

    def __init__(self, prefix: str, max_items: int | None = None) -> None:
        self.prefix = prefix
        self.max_items = max_items  # list lines to show in all, across every section
        self.shown = 0
        self.left = 0
        self.html: list[str] = []
        self.plain: list[str] = []

    def typeable(self, code: str) -> str:
        """`done 12` as typed in a room: with the prefix, when it is a command."""
        word = code.split(maxsplit=1)[0].lower() if code.strip() else ""
        known = canonical(word) in command_words()
        return f"{self.prefix} {code}" if known and not code.startswith(self.prefix) else code

    def inline(self, text: str) -> tuple[str, str]:
        """Text with its `commands` as code: (HTML, plain)."""
        html, plain, at = [], [], 0
        for match in _CODE.finditer(text):
            html.append(escape(text[at:match.start()]))
            plain.append(text[at:match.start()])
            code = self.typeable(match[1])
            html.append(f"<code>{escape(code)}</code>")
            plain.append(f"`{code}`")
            at = match.end()
        html.append(escape(text[at:]))
        plain.append(text[at:])
        return "".join(html).replace("\n", "<br>"), "".join(plain)

    def line(self, html_before: str, plain_before: str, text: str, html_after: str = "", plain_after: str = "") -> None:
        html, plain = self.inline(text)
        self.html.append(html_before + html + html_after)
        self.plain.append(plain_before + plain + plain_after)

    def hints(self, actions: tuple[Action, ...] | list[Action]) -> str:
        return " · ".join(f"{a.label}: `{a.command}`" for a in actions)

    def reply(self, reply: Reply) -> tuple[str, str]:
        if reply.error:
            self.line("⚠️ ", "⚠️ ", reply.text or "")
            return "".join(self.html), "\n".join(self.plain)
        if reply.title:
            self.html.append(f"<strong>{escape(reply.title)}</strong><br>")
            self.plain.append(reply.title)
        if reply.text:
            self.line("<p>", "", reply.text, "</p>")
        for label, value in reply.fields:
            self.line(f"<strong>{escape(label)}</strong>: ", f"{label}: ", value, "<br>")
        for part in reply.sections:
            self.section(part)
        if self.left:
            self.line("<p><em>", "", cut_note(self.left, reply.more), "</em></p>")
        if reply.actions:
            self.line("<p>Next: ", "Next: ", " · ".join(f"`{a.command}`" for a in reply.actions), "</p>")
        return "".join(self.html), "\n".join(self.plain)

    def section(self, part: Section) -> None:
        room = len(part.items) if self.max_items is None else max(0, self.max_items - self.shown)
        if part.items and not room:
            self.left += len(part.items)  # not even its heading: the note at the end counts it
            return
        if part.heading:
            self.html.append(f"<p><strong>{escape(part.heading)}</strong></p>")
            self.plain.append(part.heading)
        if not part.items:
            if part.empty:
                self.line("<p><em>", "  ", part.empty, "</em></p>")
            return
        shown = part.items[:room]
        self.shown += len(shown)
        self.left += len(part.items) - len(shown)
        self.html.append("<ul>")
        for item in shown:
            self.item(item)
        self.html.append("</ul>")

    def item(self, item: Item) -> None:
        text = item.text + (f" ({self.hints(item.actions)})" if item.actions else "")
        self.line("<li>", "  • ", text, "</li>")


def content_of(reply: Reply, prefix: str, max_items: int | None) -> Content:
    """Intentional mentions, empty unless a reply names its reader: with `m.mentions` present,
    `@room` or a name in the text never pings anyone."""
    html, plain = Renderer(prefix, max_items).reply(reply)
    return {"msgtype": "m.notice", "body": plain, "format": HTML, "formatted_body": html, "m.mentions": {}}


def size(content: Content) -> int:
    """The content's size as the homeserver counts it (UTF-8 JSON), with room for a reply's relations."""
    return len(json.dumps(content, ensure_ascii=False).encode()) + 1_000


def notice(reply: Reply, prefix: str) -> Content:
    """The event content for a reply, shortened if it is too long: as many list lines as fit
    (found by halving), then a note saying how many are left out and how to see them."""
    whole = content_of(reply, prefix, None)
    if size(whole) <= MAX_BYTES:
        return whole
    fits, too_many = 0, sum(len(s.items) for s in reply.sections)
    while too_many - fits > 1:
        middle = (fits + too_many) // 2
        if size(content_of(reply, prefix, middle)) <= MAX_BYTES:
            fits = middle
        else:
            too_many = middle
    content = content_of(reply, prefix, fits)
    if size(content) <= MAX_BYTES:
        return content
    # Long words, not long lists (it cannot happen with what people may type): plain text, cut.
    body = content["body"]
    return {"msgtype": "m.notice", "body": body[:MAX_PLAIN] + "… (cut to fit)" if len(body) > MAX_PLAIN else body,
            "m.mentions": {}}


def replying(content: Content, event_id: str, sender: str, source: dict[str, Any]) -> Content:
    """The content as a reply to one message (and in its thread, if it was in one)."""
    relates: dict[str, Any] = {"m.in_reply_to": {"event_id": event_id}}
    original = (source.get("content") or {}).get("m.relates_to") or {}
    if original.get("rel_type") == "m.thread" and original.get("event_id"):
        relates.update(rel_type="m.thread", event_id=original["event_id"], is_falling_back=False)
    return {**content, "m.relates_to": relates, "m.mentions": {"user_ids": [sender]}}
