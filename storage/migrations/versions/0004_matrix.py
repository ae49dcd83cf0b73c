"""Matrix: the bot's stored login and sync token, messages already answered, and the
direct-message room it shares with each person.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('matrix_accounts',
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('device_id', sa.String(length=255), nullable=True),
    sa.Column('access_token', sa.String(length=512), nullable=True),
    sa.Column('next_batch', sa.String(length=255), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('matrix_events',
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('room_id', sa.String(length=255), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    with op.batch_alter_table('matrix_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_matrix_events_received_at'), ['received_at'], unique=False)

    op.create_table('matrix_direct_rooms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bot_user_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('room_id', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('bot_user_id', 'user_id')
    )


def downgrade() -> None:
    op.drop_table('matrix_direct_rooms')
    with op.batch_alter_table('matrix_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_matrix_events_received_at'))
    op.drop_table('matrix_events')
    op.drop_table('matrix_accounts')
