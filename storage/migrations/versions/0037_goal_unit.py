"""A goal keeps its unit (`goals.unit`: `hours`, `volunteers`, `%`), so a reading typed in another
unit is refused instead of counted as if in the goal's.

Goals set before this have none (NULL): a plain number, as they were read until now.

Revision ID: 0037_goal_unit
Revises: 0036_counted_as_settled
Create Date: 2026-12-08
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0037_goal_unit'
down_revision: str | Sequence[str] | None = '0036_counted_as_settled'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, no batch rebuild: it keeps every trigger and constraint on goals as it is.
    op.add_column('goals', sa.Column('unit', sa.String(length=30), nullable=True))


def downgrade() -> None:
    # DROP COLUMN (SQLite 3.35+) keeps them too.
    op.drop_column('goals', 'unit')
