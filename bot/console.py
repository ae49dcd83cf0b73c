"""The console chat: partnerbot in a terminal, or scripted through standard input.

A first-class platform like Slack and Matrix: it needs no network and no account, so a
newcomer sees the bot work in one command. `as <name>` switches who is typing, so one
terminal can play every partner.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from sqlalchemy.orm import Session, sessionmaker

from handlers import Actor, Reply, handle
from handlers.exports import write_files
from handlers.parsing import printable

PLATFORM = "console"
WORKSPACE = "local"
CHANNEL = "console"
EXPORTS = Path()
NAME_LIMIT = 40
_NAME = re.compile(rf"[A-Za-z0-9][\w.-]{{0,{NAME_LIMIT - 1}}}")


def render(reply: Reply, color: bool = False) -> str:
    """Plain text with light structure; bold titles and red errors on a terminal. Whatever
    people or platforms wrote is shown without its control characters or escape sequences,
    so a name cannot move the cursor or recolour the terminal."""

    def bold(text: str) -> str:
        return f"\033[1m{printable(text)}\033[0m" if color else printable(text)

    if reply.error:
        text = printable(reply.text or "")
        return f"\033[31m! {text}\033[0m" if color else f"! {text}"
    lines: list[str] = []
    if reply.title:
        lines.append(bold(reply.title))
    if reply.text:
        lines.append(printable(reply.text))
    lines += [printable(f"  {label}: {value}") for label, value in reply.fields]
    for section in reply.sections:
        if section.heading:
            lines.append(bold(section.heading))
        if not section.items and section.empty:
            lines.append(printable(f"  {section.empty}"))
        for item in section.items:
            actions = "".join(f"  [{a.label}: `{a.command}`]" for a in item.actions)
            lines.append(printable(f"  • {item.text}{actions}"))
    if reply.actions:
        lines.append(printable("  Next: " + "  ".join(f"`{a.command}`" for a in reply.actions)))
    return "\n".join(lines)


class Console:
    """Reads commands line by line and prints each reply."""

    def __init__(self, sessions: sessionmaker[Session], user: str, timezone: str,
                 stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, files: Path = EXPORTS,
                 workspace: str = WORKSPACE) -> None:
        self.sessions = sessions
        # The demo plays in a workspace of its own, apart from the partnerships typed here.
        self.workspace = workspace
        # Where files handed over in the chat (`export`) are saved, each set in a folder of its own.
        self.files = files
        self.user = user
        self.timezone = timezone
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty()
        # Nudges arrive from the scheduler's thread; one line at a time on the terminal.
        self._output = threading.Lock()

    @property
    def color(self) -> bool:
        return self.interactive and self.stdout.isatty()

    def actor(self) -> Actor:
        # A terminal is read by whoever sits at it: what is typed here is private.
        return Actor(PLATFORM, self.workspace, self.user, CHANNEL, display_name=self.user, timezone=self.timezone,
                     private=True, place="console")

    def say(self, text: str) -> None:
        with self._output:
            print(text, file=self.stdout, flush=True)

    def lines(self) -> Iterable[str]:
        if not self.interactive:
            yield from self.stdin
            return
        try:
            import readline  # noqa: F401  (line editing and history at the prompt)
        except ImportError:
            pass
        while True:
            try:
                yield input(f"{self.user}> ")
            except EOFError:
                self.say("")
                return

    def run(self) -> None:
        if self.interactive:
            self.say("partnerbot console. Type `help` for commands, `as <name>` to switch person, `quit` to leave.")
        for raw in self.lines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if not self.interactive:
                self.say(f"{self.user}> {line}")
            if line.lower() in ("quit", "exit"):
                break
            self.say(self.respond(line))
            if not self.interactive:
                self.say("")

    def respond(self, line: str) -> str:
        """Console-only words (`as`) first; everything else goes to the handlers."""
        word, _, rest = line.partition(" ")
        if word.lower() == "as":
            name = rest.strip().lstrip("@")
            if len(name) > NAME_LIMIT:
                return (f"! A name here is at most {NAME_LIMIT} characters; that one has {len(name)}. "
                        "Say who you are now, like `as bob`.")
            if not _NAME.fullmatch(name):
                return "! Say who you are now, like `as bob` (letters, digits, dots and dashes)."
            self.user = name
            return f"You are now {name}."
        reply = handle(line, self.actor(), self.sessions)
        shown = render(reply, color=self.color)
        if reply.private_note:  # the terminal is private: the asker reads it right under the reply
            shown += "\n" + printable(reply.private_note)
        if reply.attachments:
            folder = self.files / (reply.folder or "")
            written = write_files(reply.attachments, folder)
            shown += f"\n  Saved in {folder.resolve()}: " + ", ".join(p.name for p in written)
        return shown


class ConsoleDelivery:
    """Nudges in the console chat: one terminal plays everyone, so each shows who it is for."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def send_to_person(self, workspace: str, user_id: str, *, reply: Reply,
                       partnership_channel: str | None = None) -> None:
        self.show(f"@{user_id}", reply)

    def send_to_channel(self, workspace: str, channel: str, *, reply: Reply) -> None:
        self.show(f"#{channel}", reply)

    def show(self, recipient: str, reply: Reply) -> None:
        self.console.say(f"[nudge to {recipient}]\n{render(reply, color=self.console.color)}\n")
