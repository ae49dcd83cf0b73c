"""Ending: a commitment handed on to an organisation outside the partnership (at a wind-up, or
with `hand on`) keeps the organisation's name. It stays `dropped` to the partnership, whose
work it no longer is, so no rule of 0008 changes.

In place, not batch mode: a batch rebuild of `commitments` drops the table, and with foreign
keys on SQLite's DROP TABLE deletes the nudges and snoozes that cascade from it.

Revision ID: 0016_ending
Revises: 0015_load
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0016_ending'
down_revision: str | Sequence[str] | None = '0015_load'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('commitments', sa.Column('handed_to', sa.String(120), nullable=True))


def downgrade() -> None:
    # Who took the work on is kept in the reason, so going back loses nothing people can read.
    op.execute("UPDATE commitments SET drop_reason = 'Handed on to ' || handed_to"
               " || CASE WHEN drop_reason IS NULL THEN '' ELSE ': ' || drop_reason END"
               " WHERE handed_to IS NOT NULL")
    op.drop_column('commitments', 'handed_to')
