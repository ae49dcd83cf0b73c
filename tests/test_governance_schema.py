"""The governance tables refuse what must never happen, whatever code path tries."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage.models import (
    Decision,
    DecisionMode,
    DecisionResponse,
    Member,
    Partnership,
    Position,
    Review,
    ReviewAnswer,
    Risk,
)
from tests.conftest import START, Chat


def _rows(session: Session) -> tuple[Partnership, Member]:
    partnership = session.scalars(select(Partnership)).one()
    member = session.scalars(select(Member).where(Member.partnership_id == partnership.id)).first()
    assert member is not None
    return partnership, member


def _decision(session: Session) -> Decision:
    partnership, member = _rows(session)
    decision = Decision(partnership_id=partnership.id, number=1, proposer_id=member.id, title="Adopt the plan",
                        mode=DecisionMode.CONSENSUS, closes_at=START, created_at=START)
    session.add(decision)
    session.flush()
    return decision


def _refused(sessions: sessionmaker[Session], *rows: object) -> None:
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add_all(rows)


def test_a_block_needs_a_reason_and_one_response_per_member(town: Chat) -> None:
    with town.sessions.begin() as session:
        decision = _decision(session)
        _, member = _rows(session)
        ids = dict(decision_id=decision.id, partnership_id=decision.partnership_id, member_id=member.id)
        session.add(DecisionResponse(**ids, position=Position.AGREE, responded_at=START))
    _refused(town.sessions, DecisionResponse(**ids, position=Position.DISAGREE, responded_at=START))
    with town.sessions() as session:
        other = session.scalars(select(Member).where(Member.id != member.id)).first()
        assert other is not None
    _refused(town.sessions, DecisionResponse(decision_id=decision.id, partnership_id=decision.partnership_id,
                                             member_id=other.id, position=Position.BLOCK, responded_at=START))


def test_a_vote_threshold_stays_a_percent(town: Chat) -> None:
    with town.sessions() as session:
        partnership, member = _rows(session)
    _refused(town.sessions, Decision(partnership_id=partnership.id, number=1, proposer_id=member.id, title="x",
                                     mode=DecisionMode.VOTE, threshold=120, closes_at=START, created_at=START))


def test_scores_run_from_1_to_5_and_one_review_is_open_at_a_time(town: Chat) -> None:
    with town.sessions.begin() as session:
        partnership, member = _rows(session)
        review = Review(partnership_id=partnership.id, opened_by_id=member.person_id, opened_at=START)
        session.add(review)
        session.flush()
    answer = dict(review_id=review.id, partnership_id=partnership.id, member_id=member.id,
                  risk=Risk.RIGHT_TIME, answered_at=START)
    _refused(town.sessions, ReviewAnswer(**answer, score=6))
    _refused(town.sessions, ReviewAnswer(**answer, score=0))
    _refused(town.sessions, Review(partnership_id=partnership.id, opened_by_id=member.person_id, opened_at=START))
