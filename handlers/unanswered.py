"""Work closed while its handover still waits for an answer goes back to whoever handed it over.

A coordinator drops it, a wind-up drops or hands it on, or its day passes and the sweep marks
a recurring occurrence missed, before the one asked said yes: the one who handed it over is
the last who accepted it, so the record, a later `reopen commitment` and the next occurrence
are theirs, never someone's who never said yes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm import Session

from handlers.context import zone
from handlers.dates import same_day_in
from storage.models import Commitment, Handover, Member

# A handover's answer when the work was closed before the one asked answered.
CLOSED_FIRST = "closed first"


def back_to_giver(session: Session, c: Commitment, now: datetime) -> tuple[list[ColumnElement[bool]], dict[str, object]]:
    """The conditions and values to add to the update closing `c`, so that, if a handover of it
    waits for an answer, it goes back to its giver, and an `accept` at the same moment leaves
    one of them refused; the handover is answered `closed first`. Nothing to add otherwise."""
    if c.handover_from_id is None:
        return [], {}
    giver = session.get_one(Member, c.handover_from_id)
    # That handover alone: if `c` was read before an answer, a take-back or another handover
    # (the sweep reads before it locks), that answered it, and this changes nothing.
    session.execute(update(Handover).where(Handover.commitment_id == c.id, Handover.from_member_id == giver.id,
                                           Handover.to_member_id == c.owner_id, Handover.answer.is_(None))
                    .values(answer=CLOSED_FIRST, answered_at=now))
    return ([Commitment.owner_id == c.owner_id, Commitment.handover_from_id == giver.id],
            {"owner_id": giver.id, "handover_from_id": None, "handover_at": None,
             "due_at": same_day_in(c.due_at, zone(c.owner.timezone), zone(giver.timezone))})
