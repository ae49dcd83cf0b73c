"""Derive failures: a partnership whose derivation fails waits, behind the others, before the
sweep tries it again (storage/derivation.py), so a few that always fail cannot fill every chunk.

Revision ID: 0027_derive_failures
Revises: 0026_accounts
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0027_derive_failures'
down_revision: str | Sequence[str] | None = '0026_accounts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('partnerships', sa.Column('derive_failures', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN, as in 0025_derivation: a batch rebuild would trip 0008's triggers.
    op.drop_column('partnerships', 'derive_failures')
