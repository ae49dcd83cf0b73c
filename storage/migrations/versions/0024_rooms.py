"""Rooms: one-time codes that link another room, on any platform, to a partnership.

Revision ID: 0024_rooms
Revises: 0023_meetings
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models


revision: str = '0024_rooms'
down_revision: str | Sequence[str] | None = '0023_meetings'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('room_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('expires_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('used_at', storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['people.id']),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_hash')
    )
    with op.batch_alter_table('room_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_codes_partnership_id'), ['partnership_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('room_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_room_codes_partnership_id'))
    op.drop_table('room_codes')
