"""Declining: turn down a commitment handed to you, or (coordinators) a request to join.

Two things can be declined: a commitment handed to you, or logged for you by someone else
and not yet taken on (`decline 12 "why"`), and, for
coordinators, someone's request to join (`decline @dave`). A number names the first, a
person the second, so the one word serves both.
"""

from __future__ import annotations

from handlers import handover, members
from handlers.context import Context
from handlers.errors import UserError
from handlers.parsing import ID, Args
from handlers.registry import command
from handlers.reply import Reply


@command("decline", usage='decline <number> "why"',
         examples=('decline 12 "I am away that week"', 'decline @dave "We only take organisations on the board"'),
         after_end=True)
def decline(ctx: Context, args: Args) -> Reply:
    """Turn down a commitment handed to you, saying why, or (coordinators) a request to join: `decline @name`.

    A declined commitment goes back to whoever handed it over (or logged it for you, until you
    take it on or act on it), and the coordinators hear of it."""
    if not args.words:
        raise UserError("Say what you decline: a commitment handed to you by its number, or a request to join.",
                        'Type `decline 12 "why"`, or `decline @name` (coordinators).')
    first = args.words[0]
    if ID.fullmatch(first.text.strip()) and not first.quoted:
        return handover.decline(ctx, args)
    return members.decline_request(ctx, args)
