"""Undo: `reopen <number>` takes up again what was closed by mistake, a commitment or a concern.

A commitment and a concern may share a number; `reopen` finds the closed one, and when both
are closed it asks which: `reopen commitment 4` or `reopen concern 4`. A dropped goal is
named, `reopen goal 4` (handlers/agreement/goals.py): goals share their numbers with both.
"""

from __future__ import annotations

from handlers import commitments, concerns, life
from handlers.context import Context
from handlers.errors import UserError
from handlers.parsing import Args
from handlers.registry import command
from handlers.reply import Reply
from storage import numbering
from storage.models import Commitment, CommitmentStatus, Concern, ConcernStatus


@command("reopen", usage='reopen <number> "why"', options=("code",), examples=('reopen 12 "Marked done by mistake"',),
         after_end=True)
def reopen(ctx: Context, args: Args) -> Reply:
    """Reopen a done or dropped commitment, or a resolved concern, saying why.

    Where a commitment and a concern share the number, say which: `reopen commitment 4`, `reopen concern 4`.
    A dropped goal is reopened by name: `reopen goal 4 "why"`. Once the partnership is over, a
    closing task settled by mistake is still reopened, as `reopen commitment` does; nothing else is."""
    if not args.words:
        raise UserError("Say which, by its number (like `reopen 12 \"why\"`).")
    number = Args([args.words[0]]).take_id("commitment or concern")
    partnership = ctx.require_partnership()
    # By the number the partnership shows (not the row's id, which another partnership's may share).
    c = numbering.by_number(ctx.session, Commitment, partnership.id, number)
    k = numbering.by_number(ctx.session, Concern, partnership.id, number)
    if "code" in args.options:  # only an anonymous concern has a reopen code
        return concern(ctx, args)
    closed_c = c is not None and c.status is not CommitmentStatus.OPEN
    closed_k = k is not None and k.status is ConcernStatus.RESOLVED
    if closed_c and closed_k:
        raise UserError(f"Commitment #{number} and concern #{number} are both closed: say which.",
                        f'Type `reopen commitment {number} "why"` or `reopen concern {number} "why"`.')
    if closed_k or (k is not None and c is None):
        return concern(ctx, args)
    return commitments.reopen(ctx, args)


def concern(ctx: Context, args: Args) -> Reply:
    """`reopen concern`, which is refused once the partnership is over, as typed in full."""
    life.ensure_running(ctx)
    return concerns.reopen(ctx, args)
