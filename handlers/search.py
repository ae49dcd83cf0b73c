"""What a `who` search looks for when people ask the way they speak.

"who is responsible for the leaflets?" searches for `leaflets`: the words of a question
around the thing asked about, and the punctuation at the ends of words, are taken off; a
plural also finds its singular (`leaflets` finds "Print the leaflet"), and a verb's -ing or
-ed form its stem (`booking` finds "Book the town hall", and `book` "Booking the hall").
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import InstrumentedAttribute

from handlers.parsing import Token

# The words a question about who does something is made of, never what it is about.
ASKING = frozenset("""
    a an the this that these those our my your their its
    who whos who's whom which what when is are was were will would be been being
    responsible for of to in on at about with by from
    does do doing did done handles handle handling handled owns own owning owned
    charge taking take takes care looking look looks after working work works
    has have having got getting get gets sorting sort sorts
    anyone anybody someone somebody please
""".split())
# Words that ask who has time rather than who does a thing (`who has too much`, `who is free`).
LOAD = frozenset("busy overloaded overworked stretched free spare room capacity much available".split())
PUNCTUATION = "?!.,;:'\"()[]“”‘’"
# A plural whose singular takes off "es" (buses, boxes, churches, brushes); others take off "s".
ES_AFTER = ("s", "x", "z", "ch", "sh")
VOWELS = frozenset("aeiouy")
# A doubled last consonant is one letter in the stem (planning, plan), but for these (filling, fill).
DOUBLED_KEPT = frozenset("lsz")


def search_words(tokens: Sequence[Token]) -> list[str]:
    """The words to look for: a quoted phrase as it is, plain words without the question's
    words and their punctuation; empty when the question named nothing (`who is responsible?`)."""
    found = []
    for token in tokens:
        if token.quoted:
            found.append(token.text)
            continue
        word = token.text.strip(PUNCTUATION)
        if word and word.casefold() not in ASKING:
            found.append(word)
    return found


def singular(word: str) -> str:
    """`leaflets` -> `leaflet`, `parties` -> `party`, `buses` -> `bus`; a word that is no
    plural (`class`, `bus`) as it is."""
    lower = word.casefold()
    if len(lower) <= 3 or not lower.endswith("s") or lower.endswith(("ss", "us", "is")):
        return word
    if lower.endswith("ies"):
        return word[:-3] + "y"
    if lower.endswith("es") and lower[:-2].endswith(ES_AFTER):
        return word[:-2]
    return word[:-1]


def stem(word: str) -> str:
    """`booking`, `booked` -> `book`; `planning` -> `plan`; `carried` -> `carry`; `making` ->
    `mak`, the start every form shares, so a title holds it whatever form it uses (a search
    looks for the stem within titles). Other words, and ones too short to be a form (`sing`,
    `bed`), as `singular` has them."""
    lower = word.casefold()
    if lower.endswith("ied") and len(lower) > 4:
        return word[:-3] + "y"
    for ending in ("ing", "ed"):
        base = lower.removesuffix(ending)
        if base != lower and len(base) >= 3 and VOWELS & set(base):
            if len(base) >= 4 and base[-1] == base[-2] and base[-1] not in VOWELS | DOUBLED_KEPT:
                base = base[:-1]
            return word[:len(base)]
    return singular(word)


def mentions(column: InstrumentedAttribute[str], word: str) -> ColumnElement[bool]:
    """`column` holds `word`, ignoring case, or its singular or stem; `%` and `_` are plain characters."""
    forms = dict.fromkeys((word[:100], singular(word)[:100], stem(word)[:100]))
    return or_(*(column.icontains(form, autoescape=True) for form in forms))


def asks_about_load(words: Sequence[str]) -> bool:
    """Whether a search that found nothing was a question for `load` (`who has room?`)."""
    return any(word.casefold() in LOAD for word in words)
