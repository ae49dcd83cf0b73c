"""Nudges: the ledger of messages the bot sends on its own, per-partnership thresholds,
and snoozed commitment reminders.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table('nudge_settings',
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('due_soon_days', sa.Integer(), nullable=True),
    sa.Column('escalate_after_days', sa.Integer(), nullable=True),
    sa.Column('concern_stale_days', sa.Integer(), nullable=True),
    sa.Column('review_soon_days', sa.Integer(), nullable=True),
    sa.Column('end_soon_days', sa.Integer(), nullable=True),
    sa.Column('max_open', sa.Integer(), nullable=True),
    sa.Column('max_overdue', sa.Integer(), nullable=True),
    sa.Column('key_share', sa.Integer(), nullable=True),
    sa.Column('quiet_start', sa.Integer(), nullable=True),
    sa.Column('quiet_end', sa.Integer(), nullable=True),
    sa.Column('daily_cap', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('partnership_id')
    )
    op.create_table('snoozes',
    sa.Column('commitment_id', sa.Integer(), nullable=False),
    sa.Column('until', sa.DateTime(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitments.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('commitment_id')
    )
    op.create_table('nudges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=128), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.CheckConstraint('(person_id IS NULL) <> (channel IS NULL)', name='ck_nudge_recipient'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('nudges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nudges_partnership_id'), ['partnership_id'], unique=False)
        batch_op.create_index('ix_nudges_pending', ['sent_at', 'claimed_until'], unique=False)
        batch_op.create_index('ix_nudges_person_sent', ['person_id', 'sent_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table('nudges', schema=None) as batch_op:
        batch_op.drop_index('ix_nudges_person_sent')
        batch_op.drop_index('ix_nudges_pending')
        batch_op.drop_index(batch_op.f('ix_nudges_partnership_id'))

    op.drop_table('nudges')
    op.drop_table('snoozes')
    op.drop_table('nudge_settings')
