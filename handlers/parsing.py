"""Turning what a person typed into words, options and flags.

Chat text is forgiving: `commit Book the hall by:friday` works as well as
`commit "Book the hall" by:friday`; curly quotes from phones and other languages' quotes
(“ ” „ « » ‘ ’) quote too, a backslash lets a quote stand inside quoted text
(`"He said \\"hi\\""`), and only options a command declares are read as options, so
"ratio 3:1" stays text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import takewhile

from handlers.errors import UserError

MAX_INPUT = 4000
MAX_TITLE = 300
MAX_NOTE = 2000

# Each opening quote and the marks that may close it. A single ‘ opens only at the start of
# a word and ’ closes only at the end of one, so the apostrophe in "don’t" stays a letter.
QUOTES = {'"': '"\u201d\u201c', "\u201c": '\u201d"\u201c', "\u201e": '\u201c\u201d"', "\u00ab": "\u00bb",
          "\u2018": "\u2019"}
_SINGLE = "\u2018"
_ESCAPABLE = frozenset("\\" + "".join(QUOTES) + "".join(QUOTES.values()))
# Terminal escape sequences (CSI, OSC and two-character ones, 7- and 8-bit), then any other
# control, zero-width or direction-override character.
_ESCAPES = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
                      r"|\x1b[@-Z\\-_]?")
# ...and what is not text at all: lone surrogates and Unicode's noncharacters (U+FDD0 to U+FDEF,
# and the last two code points of every plane, U+FFFE and U+FFFF among them), which XML refuses:
# one in a title would make the Atom feed unreadable.
_NONCHARACTERS = "".join(rf"\U{plane:04X}FFFE\U{plane:04X}FFFF" for plane in range(17))
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufdd0-\ufdef" + _NONCHARACTERS + "]")
# Characters that take no room, zero-width spaces and joiners, direction marks and overrides: taken
# out, not made spaces, so "Lea<zero-width space>flets" is "Leaflets", the same title as another.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_KEY = re.compile(r"[A-Za-z][\w-]*:")
ID = re.compile(r"#?(\d{1,9})")  # a number as typed: `12` or `#12`
# A name typed without its @: a letter first, so no number, option or markup is taken for one.
BARE_NAME = re.compile(r"[^\W\d_][\w.-]{0,79}")


@dataclass(frozen=True)
class Token:
    text: str
    quoted: bool
    # An option whose value was quoted (`by:"next monday"`): nothing after it is part of it.
    value_quoted: bool = False
    # The option this word came straight after (`monday` in `by:next monday`), so a value
    # typed without its quotes can be pointed to.
    after: str = ""


def clean(text: str) -> str:
    """Strip terminal escapes, control, invisible and direction-override characters and noncharacters from typed text."""
    return _CONTROL.sub(" ", _INVISIBLE.sub("", _ESCAPES.sub(" ", text))).strip()


def printable(text: str) -> str:
    """Text from a platform or the database as safe to show on a terminal or in a chat: no
    escape sequences, no control characters (line breaks kept)."""
    return "\n".join(_CONTROL.sub("", _INVISIBLE.sub("", line)) for line in _ESCAPES.sub("", text).split("\n"))


def plain_name(text: str, limit: int = 120) -> str:
    """A display name as kept and shown: printable, on one line, at most `limit` characters."""
    return " ".join(printable(text).split())[:limit]


def tokenize(text: str) -> list[Token]:
    """Split into tokens, keeping quoted text (and key:"quoted value") together."""
    tokens: list[Token] = []
    at, end = 0, len(text)
    while at < end:
        if text[at].isspace():
            at += 1
            continue
        if opens_quote(text, at):
            value, at = quoted(text, at)
            tokens.append(Token(value, quoted=True))
            continue
        key = _KEY.match(text, at)
        if key and key.end() < end and opens_quote(text, key.end()):
            value, at = quoted(text, key.end())
            tokens.append(Token(key[0] + value, quoted=False, value_quoted=True))
            continue
        start = at
        while at < end and not text[at].isspace():
            at += 1
        tokens.append(Token(text[start:at], quoted=False))
    return tokens


def opens_quote(text: str, at: int) -> bool:
    return text[at] in QUOTES and (text[at] != _SINGLE or at + 1 < len(text))


def quoted(text: str, at: int) -> tuple[str, int]:
    """The text inside the quote opening at `at`, and where reading goes on. A backslash
    before a quote mark (or a backslash) keeps it as text; any other backslash is itself."""
    closers, single = QUOTES[text[at]], text[at] == _SINGLE
    value: list[str] = []
    at += 1
    while at < len(text):
        char = text[at]
        if char == "\\" and at + 1 < len(text) and text[at + 1] in _ESCAPABLE:
            value.append(text[at + 1])
            at += 2
            continue
        if char in closers and (not single or at + 1 == len(text) or text[at + 1].isspace()):
            return "".join(value), at + 1
        value.append(char)
        at += 1
    raise UserError('A quote is missing its closing `"`.',
                    'Wrap text in quotes: `"like this"`; write a quote inside it as `\\"`.')


def quote(text: str) -> str:
    """Any text as one quoted argument that reads back exactly as given (forms and buttons)."""
    escaped = "".join("\\" + c if c in _ESCAPABLE else c for c in " ".join(text.split()))
    return f'"{escaped}"'


def typed_again(head: str, options: dict[str, str], flags: Iterable[str] = ()) -> str:
    """`commit "Leaflets" by:friday again`: a command as it was typed, with `again`, for a refusal that
    asks first to say exactly what goes ahead."""
    return retyped(head, options, [*sorted(set(flags) - {"again"}), "again"])


def retyped(head: str, options: dict[str, str], flags: Iterable[str] = ()) -> str:
    """`commit "Leaflets" by:friday effort:3h`: a command as typed, with what a refusal changes in
    `options`, for it to suggest exactly."""
    return " ".join([head, *(f"{k}:{quote(v) if ' ' in v else v}" for k, v in options.items()), *flags])


def naming(partnership: str) -> str:
    """` in:"Riverside"`: what a command gets to act in that partnership wherever it is typed."""
    return f" in:{quote(partnership)}"


@dataclass
class Args:
    """A command's arguments; handlers take what they need, then call `finish()`."""

    words: list[Token]
    options: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    # The options the command takes, so `finish` can tell `by friday` was meant as `by:friday`.
    allowed: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, tokens: list[Token], options: frozenset[str], flags: frozenset[str]) -> Args:
        words: list[Token] = []
        found: dict[str, str] = {}
        found_flags: set[str] = set()
        following = ""  # the option the words being read came straight after
        for token in tokens:
            key, sep, value = token.text.partition(":")
            if not token.quoted and sep and key.lower() in options:
                if key.lower() in found:
                    raise UserError(f"`{key}:` is given twice; give it once.")
                if not value.strip():
                    raise UserError(f"`{key}:` needs a value, like `{key}:something`.")
                found[key.lower()] = value.strip()
                following = "" if token.value_quoted else key.lower()
            elif not token.quoted and token.text.lower() in flags:
                found_flags.add(token.text.lower())
                following = ""
            elif looks_like_option(token, key, value, options):
                allowed = ", ".join(f"`{o}:`" for o in sorted(options))
                raise UserError(f"`{key}:` isn't an option here. Options: {allowed}.")
            else:
                following = following if not token.quoted else ""
                words.append(Token(token.text, token.quoted, after=following))
        return cls(words, found, found_flags, options)

    def has_more(self) -> bool:
        return bool(self.words)

    def peek_mention(self) -> bool:
        return bool(self.words) and not self.words[0].quoted and self.words[0].text.startswith("@")

    def take_mention(self, what: str = "a person") -> str:
        """The next word as a mention, without its @. Where a person must be named, a plain
        name (`reassign 4 carol`) is taken as typed with its @: people often leave it off, and
        write `to` before it."""
        if len(self.words) > 1 and self.words[0].text.casefold() == "to" and not self.words[0].quoted:
            self.words.pop(0)
        if self.words and not self.peek_mention() and BARE_NAME.fullmatch(self.words[0].text) \
                and not self.words[0].quoted:
            return self.words.pop(0).text
        if not self.peek_mention():
            raise UserError(f"Say who: {what}, as `@name`.")
        name = self.words.pop(0).text[1:].strip()
        if not name:
            raise UserError(f"Say who: {what}, as `@name`.")
        return name

    def take_id(self, what: str) -> int:
        """The next word as an id such as `12` or `#12`."""
        if not self.words:
            raise UserError(f"Say which {what}, by its number (like `12`).")
        token = self.words.pop(0)
        match = ID.fullmatch(token.text.strip())
        if not match or token.quoted:
            raise UserError(f"`{token.text[:40]}` isn't {article(what)} {what} number; "
                            "use the number shown in lists, like `12`.")
        return int(match[1])

    def take_word(self, what: str, choices: list[str] | None = None) -> str:
        if not self.words:
            listed = f" ({', '.join(choices)})" if choices else ""
            raise UserError(f"Say which {what}{listed}.")
        word = self.words.pop(0).text
        if choices is not None:
            return choose(word, choices, what)
        return word

    def take_text(self, what: str, limit: int = MAX_TITLE) -> str:
        """Quoted text, or else every remaining plain word joined together."""
        if self.words and self.words[0].quoted:
            text = self.words.pop(0).text
        else:
            taken = []
            while self.words and not self.words[0].quoted:
                taken.append(self.words.pop(0).text)
            text = " ".join(taken)
        return check_text(text, what, limit)

    def optional_text(self, what: str, limit: int = MAX_NOTE) -> str | None:
        return self.take_text(what, limit) if self.words else None

    def finish(self) -> None:
        """Refuse anything left over, so a typo never silently vanishes."""
        if self.words:
            extra = " ".join(t.text for t in self.words)
            if len(extra) > 60:
                extra = extra[:57] + "..."
            first = self.words[0]
            if len(self.words) > 1 and not first.quoted and first.text.lower() in self.allowed - self.options.keys():
                value = self.words[1].text
                meant = f"{first.text.lower()}:{quote(value) if self.words[1].quoted or ' ' in value else value}"
                raise UserError(f"I didn't understand `{extra}` at the end. Did you mean `{meant}`?")
            rest = list(takewhile(lambda t: t.after == first.after, self.words)) if first.after else []
            if rest and not any(t.text.lower() in self.allowed for t in rest):
                meant = f"{first.after}:{quote(' '.join([self.options[first.after], *(t.text for t in rest)]))}"
                raise UserError(f"I didn't understand `{extra}` at the end. Did you mean `{meant}`, in quotes?")
            raise UserError(f"I didn't understand `{extra}` at the end.")


def looks_like_option(token: Token, key: str, value: str, options: frozenset[str]) -> bool:
    """`efort:3h` looks like an option: refuse it rather than fold it into the text.

    Links (`https://...`) and words like `Budget:` are plain text."""
    return bool(
        options and not token.quoted and value and not value.startswith("/")
        and re.fullmatch(r"[a-z][a-z-]*", key)
    )


def check_text(text: str, what: str, limit: int) -> str:
    text = " ".join(text.split())
    # "Say what you decided", "Say the reason": a `what` that is a clause takes no article.
    clause = what.startswith(("what ", "why ", "how ", "who "))
    if not text:
        raise UserError(f"Say {what if clause else 'the ' + what}, in quotes.")
    if len(text) > limit:
        raise UserError(f"{what.capitalize() if clause else 'That ' + what} is {len(text):,} characters; "
                        f"keep it under {limit:,}.")
    return text


def choose(value: str, choices: list[str], what: str) -> str:
    """Match a word against a fixed list, case-insensitively, or explain the choices."""
    lowered = value.lower()
    if lowered in choices:
        return lowered
    raise UserError(f"`{clipped(value, 40)}` isn't {article(what)} {what}. Choose one of: {', '.join(choices)}.")


def clipped(text: str, limit: int) -> str:
    """What someone typed as a refusal quotes it back: at most `limit` characters, cut short with `...`."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


def article(noun: str) -> str:
    """`a` or `an`, as the noun is said: `an outcome`, `a kind`."""
    return "an" if noun[:1].lower() in "aeiou" else "a"


def parse_hours(value: str, what: str) -> float:
    """Hours like `3`, `3h`, `1.5h` or `90m`."""
    match = re.fullmatch(r"(\d{1,4}(?:\.\d{1,2})?)\s*(h|hrs?|hours?|m|mins?|minutes?)?", value.strip().lower())
    if not match:
        raise UserError(f"`{value[:40]}` isn't a number of hours for {what}; write it like `3h` or `90m`.")
    amount = float(match[1])
    return round(amount / 60, 2) if match[2] and match[2].startswith("m") else amount
