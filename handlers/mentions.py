"""How people named in free text read where the public reads it: the page, its feeds, published minutes.

With names off, no person's name or id appears: someone mentioned in a title, a reason or
an agreement (`@U024BE7LH`, `@bob:example.org`, a member's display name) reads "someone".
"""

from __future__ import annotations

import re

from storage.models import Member

SOMEONE = "someone"
# Ids as each platform writes a mention: Matrix's `@bob:example.org`, Slack's `@U024BE7LH` (or
# its raw `<@U024BE7LH|bob>`), and any other `@word` (the console's, or a name typed by hand).
IDS = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>|(?<![\w@])@[\w.=/+-]+:[A-Za-z0-9.-]+(?::\d{1,5})?"
               r"|(?<![\w@])@\w[\w.-]*")

class Mentions:
    """How people named in free text read on the public page, its feed and its calendar.

    Names on: a mention of a member reads as their display name. Names off: any id or
    mention, and any member's display name written out, reads "someone"."""

    def __init__(self, people: list[Member], names: bool) -> None:
        self.names = names
        self.shown: dict[str, str] = {}
        for m in people:
            self.shown[m.person.user_id.casefold()] = m.person.display_name
            self.shown.setdefault(m.person.display_name.casefold(), m.person.display_name)
        # A name of one letter (or none) would blank ordinary words: such a person is still
        # found by their id.
        words = sorted((w for w in self.shown if len(w) > 1 and re.search(r"\w", w)), key=len, reverse=True)
        known = "|".join(re.escape(w) for w in words)
        self.pattern = re.compile((rf"(?<![\w@])@?(?:{known})(?![\w])|" if known else "") + IDS.pattern,
                                  re.IGNORECASE)

    def __call__(self, text: str) -> str:
        return self.pattern.sub(self.replace, text)

    def replace(self, found: re.Match[str]) -> str:
        if not self.names:
            return SOMEONE
        word = found[0].removeprefix("<").removesuffix(">").split("|")[0].removeprefix("@").casefold()
        return self.shown.get(word, found[0])
