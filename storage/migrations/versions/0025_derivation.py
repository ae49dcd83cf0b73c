"""Derivation: what the nudge sweep needs to derive only the partnerships that changed, or that
a moment (a due date, a local midnight) has come for (storage/derivation.py), and to plan only
the nudges no longer held back (quiet hours, a daily cap, time away).

Every partnership starts never derived, so the first sweep after it derives them all; every
nudge starts held back by nothing, so it plans them all.

Revision ID: 0025_derivation
Revises: 0024_rooms
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models


revision: str = '0025_derivation'
down_revision: str | Sequence[str] | None = '0024_rooms'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('partnerships', sa.Column('changes', sa.Integer(), server_default='0', nullable=False))
    op.add_column('partnerships', sa.Column('derived', sa.Integer(), nullable=True))
    op.add_column('partnerships', sa.Column('derived_at', storage.models.UTCDateTime(), nullable=True))
    op.add_column('partnerships', sa.Column('derive_after', storage.models.UTCDateTime(), nullable=True))
    op.add_column('nudges', sa.Column('not_before', storage.models.UTCDateTime(), nullable=True))
    op.create_index('ix_nudges_not_before', 'nudges', ['not_before'], unique=False,
                    sqlite_where=sa.text('sent_at IS NULL AND cancelled_at IS NULL'),
                    postgresql_where=sa.text('sent_at IS NULL AND cancelled_at IS NULL'))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later): rebuilding `partnerships` in a
    # batch would trip the triggers that name it (0008_trust).
    op.drop_index('ix_nudges_not_before', table_name='nudges')
    op.drop_column('nudges', 'not_before')
    for column in ('derive_after', 'derived_at', 'derived', 'changes'):
        op.drop_column('partnerships', column)
