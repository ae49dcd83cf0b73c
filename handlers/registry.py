"""The command table: each command declares its words, options and who may use it.

A command is a plain function marked with `@command`. Its docstring is its help, and its
`access` is its permission rule, so neither can drift from the code that runs.
"""

from __future__ import annotations

import difflib
import enum
import functools
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass

from handlers.context import Context
from handlers.errors import UserError
from handlers.parsing import Args, Token, clipped, plain_name
from handlers.reply import Reply


class Access(enum.IntEnum):
    """Who may run a command; each level includes the ones above it."""

    ANYONE = 0  # no partnership needed (help, setup, my time zone)
    READ = 1  # anyone in the workspace, observers included: transparency
    MEMBER = 2  # active members and coordinators, not observers
    COORDINATOR = 3  # coordinators of the partnership


Handler = Callable[[Context, Args], Reply]


@dataclass(frozen=True)
class Command:
    name: str
    func: Handler
    usage: str
    examples: tuple[str, ...]
    access: Access
    options: frozenset[str]
    flags: frozenset[str]
    aliases: tuple[str, ...]
    # Whether it may change anything: such a command takes its partnership's lock first.
    changes: bool = True
    # A changing command still allowed once its partnership is wound up or past its end date:
    # leaving, reopening, and settling one of its closing tasks (work still open then).
    after_end: bool = False
    # Typed with nothing after it, it only reads (`flex` lists the offers), so it works there too.
    reads_alone: bool = False
    # Typed with only a number, it shows that one as this reading command does (`goal 1` is `goals 1`).
    shows: str | None = None
    # Says of one call that it only reads (`minutes 1` shows them, `minutes 1 approve` changes them).
    reads_when: Callable[[Args], bool] | None = None
    # Who may use it, for help, where the access rule tells only half: a list anyone reads, whose
    # changing forms only some may use (`flex`, `minutes`).
    who: str | None = None

    def changes_as_typed(self, args: Args) -> bool:
        """Whether this call of the command may change anything: one with a read-only bare form
        (`flex` lists, `flex time "..."` offers) decides per call, so listing takes no lock."""
        if self.reads_when is not None and self.reads_when(args):
            return False
        return self.changes and not (self.reads_alone and not (args.words or args.options or args.flags))

    @property
    def noted(self) -> bool:
        """Whether what follows its record's number is free words, a note, a reason or a view, as
        its usage declares with quotes there (`done <number> ["note"]`, `block <number> "why"`):
        a reply by mail may give them unquoted (`Done, thanks`, handlers/email/replies.py)."""
        return self.usage.startswith((f'{self.name} <number> "', f'{self.name} <number> ["'))

    @property
    def within(self) -> bool:
        """Whether it acts within one partnership, so `in:"Name"` may say which (from a direct
        message, or another partnership's channel); only the commands that need none refuse it."""
        return self.access is not Access.ANYONE

    @property
    def summary(self) -> str:
        """The docstring's first paragraph as one line: a sentence wrapped in the source is still whole."""
        return " ".join((inspect.getdoc(self.func) or "").split("\n\n", 1)[0].split())

    @property
    def details(self) -> str:
        parts = (inspect.getdoc(self.func) or "").split("\n\n", 1)
        return parts[1] if len(parts) > 1 else ""

    @property
    def topic(self) -> str:
        """The capability it belongs to: the first paragraph of its module's docstring, as one
        line, so a heading wrapped in the source is never shown cut mid-sentence."""
        module = sys.modules[self.func.__module__]
        return " ".join((inspect.getdoc(module) or self.func.__module__).split("\n\n", 1)[0].split())


COMMANDS: dict[str, Command] = {}
_ALIASES: dict[str, str] = {}
# Commands of several words under each of their first words (`member` -> `member add`, ...), as registered.
_FAMILIES: dict[str, list[Command]] = {}


def command(
    name: str,
    *,
    usage: str,
    examples: tuple[str, ...] = (),
    access: Access = Access.MEMBER,
    options: tuple[str, ...] = (),
    flags: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
    changes: bool = True,
    after_end: bool = False,
    reads_alone: bool = False,
    shows: str | None = None,
    reads_when: Callable[[Args], bool] | None = None,
    who: str | None = None,
) -> Callable[[Handler], Handler]:
    """Register a handler under one or two words (`commit`, `member add`).

    `changes=False` declares a command that only reads, so it never waits for a lock; a
    command that changes things is refused in a wound-up or ended partnership, unless it
    says `after_end=True` (leaving it, reopening it, settling a closing task) or `reads_alone=True`
    and is typed bare. `shows="goals"` sends `goal 1` to `goals 1`, for anyone who may read it."""

    def register(func: Handler) -> Handler:
        if name in COMMANDS:  # the later one would silently replace the first
            raise ValueError(f"two commands are named `{name}`: {COMMANDS[name].func.__module__} and {func.__module__}")
        COMMANDS[name] = Command(
            name, func, usage, examples or (usage,), access, frozenset(options), frozenset(flags), aliases, changes,
            after_end, reads_alone, shows, reads_when, who,
        )
        for alias in aliases:
            _ALIASES[alias] = name
        words = name.split()
        for count in range(1, len(words)):
            _FAMILIES.setdefault(" ".join(words[:count]), []).append(COMMANDS[name])
        return func

    return register


def find(tokens: list[Token]) -> tuple[Command, list[Token]]:
    """The command the first one or two words name, and the tokens after it."""
    words = [t.text.lower() for t in tokens[:2] if not t.quoted]
    handing = next((n for n in (2, 1) if " ".join(words[:n]) in HANDING_OVER and len(words) >= n), 0)
    if handing:
        raise handing_over(" ".join(t.text for t in tokens[:handing]), tokens[handing:])
    if len(words) == 2 and f"{words[0]} {words[1]}" in COMMANDS:
        return COMMANDS[f"{words[0]} {words[1]}"], tokens[2:]
    if words:
        verb = canonical(words[0])
        if verb in COMMANDS:
            cmd, rest = COMMANDS[verb], tokens[1:]
            if cmd.shows and len(rest) == 1 and not rest[0].quoted and rest[0].text.isdigit():
                return COMMANDS[cmd.shows], rest
            return cmd, rest
        family = subcommands(words[0])
        if family:
            choices = ", ".join(f"`{c.usage}`" for c in family)
            raise UserError(f"`{words[0]}` needs one more word: {choices}.")
    typed = tokens[0].text if tokens else ""
    shown = clipped(typed, 30)
    close = suggest(typed)
    if close:
        raise UserError(f"I don't know `{shown}`. Did you mean `{close}`?",
                        f"Type `help {close}` to see how, or `help` to see every command.")
    raise UserError(f"I don't know `{shown}`.", "Type `help` to see every command.")


# Everyday words people type for what a command does under another name.
EVERYDAY = {"undo": "reopen", "cancel": "drop", "complete": "done", "finish": "done", "finished": "done",
            "assign": "reassign", "tasks": "who", "todo": "mine", "wind": "partnership wind-up",
            "wind-up": "partnership wind-up", "task": "commit",
            "respond": "discuss", "reply": "discuss", "comment": "discuss", "settle": "resolve",
            "raise": "concern", "worry": "concern", "issue": "concern", "holiday": "away", "vacation": "away",
            "invite": "member add", "quit": "leave", "poll": "propose", "delete": "drop"}

# Everyday words for handing work over, which is one of two commands: to a member here, who is
# asked to accept it (`reassign`), or to an organisation outside the partnership (`hand on`).
HANDING_OVER = {"handover", "handoff", "hand-over", "hand-off", "hand over", "hand off"}


def handing_over(typed: str, rest: list[Token]) -> UserError:
    """Point `handover 1 @carol` to both ways of handing work over, with what was typed filled in."""
    number = next((t.text.lstrip("#") for t in rest if not t.quoted and t.text.lstrip("#").isdigit()), "<number>")
    who = next((f"@{plain_name(t.text[1:], 60)}" for t in rest if not t.quoted and t.text.startswith("@")
                and len(t.text) > 1), "@name")
    return UserError(f"I don't know `{typed[:30]}`.",
                     f"To hand work to a member here, who is asked to accept it: `reassign {number} {who}`; "
                     f'to an organisation outside the partnership: `hand on {number} to:"Millbrook Library"`.')


@functools.lru_cache(maxsize=512)
def suggest(typed: str) -> str | None:
    """The command (or alias) `typed` most likely means, if any is close enough: an everyday
    word for it, or a misspelling. Kept, as one unknown word is looked up three times
    (acknowledging, counting, answering)."""
    if typed.lower() in EVERYDAY:
        return EVERYDAY[typed.lower()]
    names = sorted({n.split()[0] for n in COMMANDS} | set(COMMANDS) | set(_ALIASES))
    close = difflib.get_close_matches(typed.lower(), names, n=1, cutoff=0.6)
    return close[0] if close else None


def canonical(word: str) -> str:
    """The command an alias stands for (`timezone` -> `tz`), or the word itself."""
    return _ALIASES.get(word, word)


def subcommands(verb: str) -> list[Command]:
    """The commands named by `verb` and more words (`member` -> `member add`, ...)."""
    return list(_FAMILIES.get(verb, ()))
