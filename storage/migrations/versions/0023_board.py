"""Decisions a board can rely on: results hidden until a proposal closes, the reminder's time
as a partnership setting, an outcome statement with a review date, and proxy votes.

Revision ID: 0023_board
Revises: 0021_agreement
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models


revision: str = '0023_board'
down_revision: str | Sequence[str] | None = '0021_agreement'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('proxies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('giver_id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('withdrawn_at', storage.models.UTCDateTime(), nullable=True),
    sa.CheckConstraint('(decision_id IS NULL) <> (until IS NULL)', name='ck_proxy_scope'),
    sa.CheckConstraint('giver_id <> holder_id', name='ck_proxy_not_self'),
    sa.ForeignKeyConstraint(['decision_id', 'partnership_id'], ['decisions.id', 'decisions.partnership_id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['giver_id', 'partnership_id'], ['members.id', 'members.partnership_id'], ),
    sa.ForeignKeyConstraint(['holder_id', 'partnership_id'], ['members.id', 'members.partnership_id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_proxies_giver', 'proxies', ['partnership_id', 'giver_id', 'withdrawn_at'], unique=False)
    # In place, not batch mode: a batch rebuild drops a table under the foreign keys pointing at it (see 0021).
    op.add_column('partnerships', sa.Column('remind_hours', sa.Integer(), server_default='24', nullable=False))
    op.add_column('decisions', sa.Column('results_hidden', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('decisions', sa.Column('statement', sa.Text(), nullable=True))
    op.add_column('decisions', sa.Column('review_on', sa.Date(), nullable=True))
    # Nothing refers to responses, so rebuilding them (SQLite adds a foreign key no other way) is safe.
    with op.batch_alter_table('decision_responses') as batch_op:
        batch_op.add_column(sa.Column('cast_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_decision_responses_cast_by', 'people', ['cast_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('decision_responses') as batch_op:
        batch_op.drop_column('cast_by_id')
    op.drop_column('decisions', 'review_on')
    op.drop_column('decisions', 'statement')
    op.drop_column('decisions', 'results_hidden')
    op.drop_column('partnerships', 'remind_hours')
    op.drop_index('ix_proxies_giver', table_name='proxies')
    op.drop_table('proxies')
