"""Date order: each person says whether they write numeric dates day first (31/03/2027, the
default) or month first (03/31/2027).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | Sequence[str] | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place, not batch mode: a batch rebuild of `people` drops the old table under every
    # member row's foreign key, which SQLite refuses once anyone has joined.
    op.add_column('people', sa.Column('month_first', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    # In place too: SQLite drops a column itself since 3.35.
    op.drop_column('people', 'month_first')
