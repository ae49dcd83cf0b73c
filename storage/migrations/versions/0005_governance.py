"""Governance: decisions and the responses to them, reviews with their health-check
answers, successors for roles and commitments; members' perspectives; a partnership's
closing date (a wound-up project).

Revision ID: 0005_governance
Revises: 0003
Create Date: 2026-11-26
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = '0005_governance'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('regular', 'wrap-up', name='ck_reviewkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.Enum('continue', 'change-course', 'wind-up', name='ck_reviewoutcome', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('decision', sa.Text(), nullable=True),
    sa.CheckConstraint('(closed_at IS NULL) = (outcome IS NULL)', name='ck_review_closed'),
    sa.ForeignKeyConstraint(['closed_by_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['opened_by_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('id', 'partnership_id', name='uq_reviews_id_partnership')
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_partnership_opened', ['partnership_id', 'opened_at'], unique=False)
        batch_op.create_index('uq_reviews_one_open', ['partnership_id'], unique=True, sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))

    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('proposer_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('mode', sa.Enum('consensus', 'vote', name='ck_decisionmode', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('quorum', sa.Integer(), nullable=True),
    sa.Column('threshold', sa.Integer(), nullable=True),
    sa.Column('closes_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.Enum('open', 'passed', 'failed', 'withdrawn', name='ck_decisionstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(status = 'open') = (closed_at IS NULL)", name='ck_decision_closed'),
    sa.CheckConstraint("mode = 'vote' OR threshold IS NULL", name='ck_decision_threshold_vote'),
    sa.CheckConstraint('quorum IS NULL OR (quorum >= 0 AND quorum <= 100)', name='ck_decision_quorum'),
    sa.CheckConstraint('threshold IS NULL OR (threshold > 0 AND threshold <= 100)', name='ck_decision_threshold'),
    sa.ForeignKeyConstraint(['closed_by_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposer_id', 'partnership_id'], ['members.id', 'members.partnership_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('id', 'partnership_id', name='uq_decisions_id_partnership')
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index('ix_decisions_partnership_status', ['partnership_id', 'status', 'closes_at'], unique=False)
        batch_op.create_index('ix_decisions_status_closes', ['status', 'closes_at'], unique=False)

    op.create_table('review_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('risk', sa.Enum('right-time', 'right-people', 'enough-resources', 'enough-time', 'right-goal', 'achievable-goal', name='ck_risk', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('score >= 1 AND score <= 5', name='ck_review_score'),
    sa.ForeignKeyConstraint(['member_id', 'partnership_id'], ['members.id', 'members.partnership_id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['review_id', 'partnership_id'], ['reviews.id', 'reviews.partnership_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('review_id', 'member_id', 'risk')
    )
    op.create_table('decision_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Enum('agree', 'abstain', 'disagree', 'block', 'yes', 'no', name='ck_position', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('responded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("position <> 'block' OR reason IS NOT NULL", name='ck_block_reason'),
    sa.ForeignKeyConstraint(['decision_id', 'partnership_id'], ['decisions.id', 'decisions.partnership_id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id', 'partnership_id'], ['members.id', 'members.partnership_id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('decision_id', 'member_id')
    )
    op.create_table('successors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=60), nullable=True),
    sa.Column('commitment_id', sa.Integer(), nullable=True),
    sa.Column('successor_id', sa.Integer(), nullable=False),
    sa.Column('named_by_id', sa.Integer(), nullable=False),
    sa.Column('named_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(role IS NULL) <> (commitment_id IS NULL)', name='ck_successor_for'),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitments.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['named_by_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['successor_id', 'partnership_id'], ['members.id', 'members.partnership_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('commitment_id', name='uq_successors_commitment'),
    sa.UniqueConstraint('partnership_id', 'role', name='uq_successors_role')
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('perspective', sa.String(length=60), nullable=True))

    with op.batch_alter_table('partnerships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('partnerships', schema=None) as batch_op:
        batch_op.drop_column('closed_at')

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('perspective')

    op.drop_table('successors')
    op.drop_table('decision_responses')
    op.drop_table('review_answers')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_decisions_status_closes')
        batch_op.drop_index('ix_decisions_partnership_status')

    op.drop_table('decisions')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('uq_reviews_one_open', sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))
        batch_op.drop_index('ix_reviews_partnership_opened')

    op.drop_table('reviews')
