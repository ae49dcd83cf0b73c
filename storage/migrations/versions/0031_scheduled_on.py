"""A recurring occurrence's rule day: `commitments.scheduled_on` keeps the day its series' rule
gave it once `edit by:` moves it, so the next occurrence keeps the rule's day instead of
following the moved date (and a move past `until:` no longer ends the series).

Rows before are taken as due on their rule's day (None), as they were read.

Revision ID: 0031_scheduled_on
Revises: 0030_carried_to
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0031_scheduled_on'
down_revision: str | Sequence[str] | None = '0030_carried_to'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('commitments', sa.Column('scheduled_on', sa.Date(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN, as in 0027: a batch rebuild would trip 0008's triggers.
    op.drop_column('commitments', 'scheduled_on')
