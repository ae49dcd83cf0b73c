"""Work closed while its handover still waits for an answer goes back to whoever handed it over.

A coordinator drops it, a wind-up drops or hands it on, or its day passes and the sweep marks
a recurring occurrence missed, before the one asked said yes: the one who handed it over is
the last who accepted it, so the record, a later `reopen commitment` and the next occurrence
are theirs, never someone's who never said yes. The one asked, if the question reached them,
is told once that it no longer stands (they may be planning to do it); a question not sent
yet is cancelled unseen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from handlers.context import zone
from handlers.dates import same_day_in
from handlers.recheck import Asked, Wait, moment_in, rechecks, reopened, told_at
from storage.models import Commitment, Handover, Member, Nudge
from storage.nudges import Waiting, tell

# A handover's answer when the work was closed before the one asked answered.
CLOSED_FIRST = "closed first"
# What the question asking someone to accept work is keyed by, and the notes that it no longer
# stands, after the work was closed first or taken back (`handlers.handover.unask`): the same
# handover after each (`question_key`), so a note finds the question it follows.
QUESTION, NOTE, TAKEN_BACK = "told:handover:", "told:closed-first:", "told:taken-back:"
NOTES = (NOTE, TAKEN_BACK)


def handover_key(c: Commitment) -> str:
    """What every nudge asking someone to accept `c` starts with; the moment and the person follow."""
    return f"{QUESTION}c{c.id}:"


def question_key(c: Commitment, handed_at: datetime, person_id: int) -> str:
    """The nudge asking someone to accept `c`, handed to them at `handed_at`."""
    return told_at(QUESTION, c, handed_at, person_id)


@dataclass(frozen=True)
class Unanswered:
    """A handover of work being closed that waits for an answer: who was asked, by whom, since when."""

    asked: Member
    giver: Member
    handed_at: datetime


def back_to_giver(session: Session, c: Commitment, now: datetime) -> tuple[
        list[ColumnElement[bool]], dict[str, object], Unanswered | None]:
    """The conditions and values to add to the update closing `c`, so that, if a handover of it
    waits for an answer, it goes back to its giver, and an `accept` at the same moment leaves
    one of them refused; the handover is answered `closed first`, and returned, for `tell_asked`
    once the close has won. Nothing to add otherwise."""
    if c.handover_from_id is None:
        return [], {}, None
    giver = session.get_one(Member, c.handover_from_id)
    # That handover alone: if `c` was read before an answer, a take-back or another handover
    # (the sweep reads before it locks), that answered it, and this changes nothing.
    session.execute(update(Handover).where(Handover.commitment_id == c.id, Handover.from_member_id == giver.id,
                                           Handover.to_member_id == c.owner_id, Handover.answer.is_(None))
                    .values(answer=CLOSED_FIRST, answered_at=now))
    return ([Commitment.owner_id == c.owner_id, Commitment.handover_from_id == giver.id],
            {"owner_id": giver.id, "handover_from_id": None, "handover_at": None,
             "due_at": same_day_in(c.due_at, zone(c.owner.timezone), zone(giver.timezone))},
            # Set with the giver by every handover; without it, no question names the handover.
            Unanswered(c.owner, giver, c.handover_at) if c.handover_at is not None else None)


def tell_asked(session: Session, c: Commitment, unanswered: Unanswered | None, how: str, now: datetime,
               by: int | None = None) -> None:
    """Once closing `c` has won, tell whoever was asked, once, that the question no longer stands
    (`how`: what became of the work), if it reached them or is on its way (`closed_first_note_holds`
    says which when the note is sent); one not claimed yet is cancelled unseen by the sweep's
    check. Its row is locked, so a sweeper claiming it at this moment is seen to have. Nothing for
    whoever closed it (`by`)."""
    if unanswered is None or unanswered.asked.person_id == by:
        return
    person_id = unanswered.asked.person_id
    note = note_after(session, c, question_key(c, unanswered.handed_at, person_id), NOTE)
    if note is None:
        return
    giver = unanswered.giver.person.display_name
    tell(session, note, c.partnership_id, "closed-first",
         f"#{c.number} {c.title}, which {giver} handed you, {how} before you answered. It stays {giver}'s: "
         "nothing waits for your answer now, and it is not yours to do.", now, person_id=person_id)


def note_after(session: Session, c: Commitment, question: str, prefix: str) -> str | None:
    """The key of the note (`prefix`, one of `NOTES`) that the question keyed `question` no longer
    stands, when the question reached its recipient or is being delivered (claimed): the note
    follows it (`question_reached` waits for it). None when it never went out (it was withdrawn
    unseen). Its row is locked, so a sweeper claiming it at this moment is seen to have."""
    if session.scalar(select(Nudge.id).where(Nudge.partnership_id == c.partnership_id, Nudge.key == question,
                                             Nudge.cancelled_at.is_(None),
                                             or_(Nudge.sent_at.is_not(None), Nudge.claimed_by.is_not(None)))
                      .limit(1).with_for_update()) is None:
        return None
    return prefix + question.removeprefix(QUESTION)


def followed(key: str) -> str | None:
    """The key of the question a note that it no longer stands follows; None for another nudge,
    or a taken-back note written before its key named the handover (written once sent)."""
    for prefix in NOTES:
        if key.startswith(prefix) and moment_in(key) is not None:
            return QUESTION + key.removeprefix(prefix)
    return None


def questions(asked: Asked) -> dict[str, str]:
    """How each question the notes being asked about follow stands: `sent`, `owed` (on its way,
    or failed and waiting to be tried again) or `cancelled` (one query)."""
    notes = [(row.partnership_id, question) for row in asked.rows if (question := followed(row.key))]
    if not notes:
        return {}
    rank = {"cancelled": 0, "owed": 1, "sent": 2}
    found: dict[str, str] = {}
    # Through the partnerships' own index: the one on `key` covers only rows not cancelled.
    for key, sent_at, cancelled_at in asked.session.execute(
            select(Nudge.key, Nudge.sent_at, Nudge.cancelled_at)
            .where(Nudge.partnership_id.in_({p for p, _ in notes}), Nudge.key.in_({q for _, q in notes}))):
        state = "sent" if sent_at is not None else "cancelled" if cancelled_at is not None else "owed"
        if rank[state] > rank[found.get(key, "cancelled")]:
            found[key] = state
    return found


@rechecks("closed-first", after_end=True)
def closed_first_note_holds(asked: Asked, row: Waiting) -> str | None:
    """The work still closed (reopened, it is its giver's, or asked of someone again), and the
    question it answers reached its recipient: one still on its way when the work was closed
    may yet be cancelled, and the note waits for it."""
    c = asked.commitment(row)
    if (why := reopened(c)) or c is None:
        return why
    return question_reached(asked, row, c)


def question_reached(asked: Asked, row: Waiting, c: Commitment) -> str | None:
    """None once the question a note follows (`followed`) was sent; a `Wait` while it is still
    on its way, for the note may yet be cancelled with it; why not once it was cancelled."""
    question = followed(row.key)
    if question is None:
        return None
    state = asked.read(questions).get(question, "cancelled")
    if state == "owed":
        return Wait(f"the question about #{c.number} is still on its way")
    return None if state == "sent" else f"the question about #{c.number} never reached them"
