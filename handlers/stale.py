"""Buttons, reactions and polls posted before numbers were counted per partnership named rows by
their database id (`done 57`). Run now, that number could be another row's, so they are refused
rather than run; the adapters mark what they post since (see bot/slack/render.py, bot/matrix/polls.py).
"""

from __future__ import annotations

from handlers.reply import Reply, error

# Commands whose first argument is a commitment's, concern's or decision's number.
NUMBERED = frozenset({"done", "snooze", "accept", "decline", "discuss", "resolve", "reopen",
                      "agree", "disagree", "block", "abstain", "vote"})


def stale(command: str) -> bool:
    """Whether an unmarked (old) button's command names a row by a number that has changed meaning."""
    words = command.split()
    return len(words) > 1 and words[0].lower() in NUMBERED and words[1].lstrip("#").isdigit()


def refusal() -> Reply:
    return error("That button is older than the numbers this partnership uses now, so nothing was done: "
                 "it might have acted on something else. Type the command with the number shown in "
                 "`who`, `concerns` or `decisions`.")
