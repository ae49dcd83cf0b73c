"""Reopen codes: an anonymous concern keeps the hash of a code only its raiser was shown, so
they can reopen it later without their name ever being stored.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | Sequence[str] | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place, not batch mode: a batch rebuild of `concerns` drops the table under the foreign
    # keys that point at it, which SQLite refuses once there are rows.
    op.add_column('concerns', sa.Column('reopen_code_hash', sa.String(64), nullable=True))


def downgrade() -> None:
    # In place too: SQLite drops a column itself since 3.35.
    op.drop_column('concerns', 'reopen_code_hash')
