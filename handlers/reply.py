"""Replies made of neutral parts, which each chat adapter renders its own way.

Handlers never format for a platform. The only inline markup allowed in text is
`backticks` around something to type, which every renderer knows how to show.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Audience(enum.Enum):
    """Who should see a reply: only the person who asked, or the whole channel."""

    PERSONAL = "personal"
    CHANNEL = "channel"


@dataclass(frozen=True)
class Action:
    """A suggested next step: a button where the platform has them, a hint elsewhere."""

    label: str
    command: str
    primary: bool = False  # the step most people take next; platforms may highlight it


@dataclass(frozen=True)
class Item:
    """One line of a list, with the actions that apply to it (e.g. Mark done)."""

    text: str
    actions: tuple[Action, ...] = ()
    # The record it is about, as (kind, database id), when a platform threads by record (email).
    about: tuple[str, int] | None = None
    # A copy into the chat of what someone did elsewhere (a command by mail): for the people in
    # the room, not sent on to those who read the partnership elsewhere (its author among them).
    echo: bool = False


@dataclass(frozen=True)
class Section:
    """A titled list; `empty` is said instead when the list has no items."""

    heading: str | None
    items: list[Item]
    empty: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A file handed over with a reply: uploaded where the platform takes files, saved elsewhere."""

    filename: str
    mimetype: str
    content: bytes


@dataclass
class Reply:
    title: str | None = None
    text: str | None = None
    fields: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    audience: Audience = Audience.PERSONAL
    error: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    # The attachments' name together: the folder a platform that saves files puts them in.
    folder: str | None = None
    # Said anonymously: adapters show it so that nothing ties it to the message that asked
    # (no reply to it, no thread, no mention) and keep any refusal private.
    discreet: bool = False
    # Where an announcement belongs when that is not where the command was typed (the
    # partnership's channel, for an anonymous concern sent in a direct message).
    channel: str | None = None
    # How to see what a list cut to fit the platform leaves out (`history page:2`); when
    # unset, renderers suggest a narrower command.
    more: str | None = None
    # Only the asker may read it (a sign-in link): a platform that cannot show a reply to one
    # person in a shared room sends it to them directly instead.
    secret: bool = False
    # Words only the asker sees, delivered apart from the announcement (an anonymous concern's
    # reopen code): each adapter sends them to the asker alone, never into the reply itself.
    private_note: str | None = None
    # About a proposal whose responses are unseen until it closes: adapters offer no public
    # way to answer it (a Matrix poll or reaction shows everyone who chose what).
    results_hidden: bool = False

    def plain(self) -> str:
        """All the reply's words as plain text: for logs, tests and the simplest renderers."""
        lines: list[str] = []
        if self.title:
            lines.append(self.title)
        if self.text:
            lines.append(self.text)
        lines += [f"{label}: {value}" for label, value in self.fields]
        for section in self.sections:
            if section.heading:
                lines.append(section.heading)
            if not section.items and section.empty:
                lines.append(f"  {section.empty}")
            lines += [f"  - {item.text}" for item in section.items]
        if self.actions:
            lines.append("Next: " + " | ".join(f"`{a.command}`" for a in self.actions))
        return "\n".join(lines)


NARROWER = "type a narrower command to see the rest, like `who leaflets` or `commitments @name`"


def cut_note(left: int, more: str | None) -> str:
    """What a renderer says under a list it had to cut to fit its platform."""
    return f"Cut to fit: {plural(left, 'more line')} not shown; {more or NARROWER}."


def plural(count: int, noun: str) -> str:
    """`1 concern`, `3 concerns`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def error(text: str, discreet: bool = False) -> Reply:
    return Reply(text=text, error=True, discreet=discreet)
