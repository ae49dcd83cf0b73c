"""Warnings that remember what they said, and handovers kept as a record.

`episodes` replaces `overloads`: one row per member and kind of warning (overload, key
person, sole coordinator), with the figures last told and the ones told before, so a
repeat says what changed and a turning month repeats nothing. `handovers` keeps each
handing-over of a commitment (from whom, to whom, the answer), which give and take counts.
Overload episodes carry over (not back: a downgrade forgets
them, so at most one warning is told again); handovers before this migration were not recorded apart
from the event log's sentences, so give and take counts them from here on.

Revision ID: 0015_load
Revises: 0014_matrix_trust
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models


revision: str = '0015_load'
down_revision: str | Sequence[str] | None = '0014_matrix_trust'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('episodes',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('started_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('told_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('figures', sa.Text(), nullable=False),
    sa.Column('previous', sa.Text(), nullable=True),
    sa.Column('previous_at', storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'kind')
    )
    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_episodes_partnership_id'), ['partnership_id'], unique=False)

    # Episodes under way carry over, so nobody is warned again for the migration's sake.
    op.execute("INSERT INTO episodes (member_id, kind, partnership_id, started_at, told_at, figures) "
               "SELECT member_id, 'overload', partnership_id, started_at, told_at, "
               "'{\"weekly\": ' || CAST(weekly_hours AS TEXT) || ', \"open\": ' || CAST(open_count AS TEXT) "
               "|| ', \"overdue\": ' || CAST(overdue_count AS TEXT) || '}' FROM overloads")
    with op.batch_alter_table('overloads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_overloads_partnership_id'))
    op.drop_table('overloads')

    op.create_table('handovers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('commitment_id', sa.Integer(), nullable=False),
    sa.Column('from_member_id', sa.Integer(), nullable=False),
    sa.Column('to_member_id', sa.Integer(), nullable=False),
    sa.Column('handed_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('answer', sa.String(length=16), nullable=True),
    sa.Column('answered_at', storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitments.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_member_id', 'partnership_id'], ['members.id', 'members.partnership_id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_member_id', 'partnership_id'], ['members.id', 'members.partnership_id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handovers_commitment_id'), ['commitment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handovers_partnership_id'), ['partnership_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handovers_partnership_id'))
        batch_op.drop_index(batch_op.f('ix_handovers_commitment_id'))
    op.drop_table('handovers')

    op.create_table('overloads',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('started_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('told_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('weekly_hours', sa.Float(), nullable=False),
    sa.Column('open_count', sa.Integer(), nullable=False),
    sa.Column('overdue_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id')
    )
    with op.batch_alter_table('overloads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_overloads_partnership_id'), ['partnership_id'], unique=False)
    # Episodes are a memory of warnings told: without them, at most one warning is told again.
    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_episodes_partnership_id'))
    op.drop_table('episodes')
