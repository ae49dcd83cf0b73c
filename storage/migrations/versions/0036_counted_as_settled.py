"""A settled decision keeps how it was counted: `decisions.entitled` (how many could decide it
when it closed) and `decision_responses.counted` (whether each response counted), recorded with
its outcome, so the public page shows the figures the outcome gave, not a count made again
later from roles and settings that have changed since.

Decisions settled before this have neither (NULL): the page works those out from the record, as before.

Revision ID: 0036_counted_as_settled
Revises: 0035_anonymous_notes
Create Date: 2027-01-05
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0036_counted_as_settled'
down_revision: str | Sequence[str] | None = '0035_anonymous_notes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, no batch rebuild: 0008's triggers on both tables must stay.
    op.add_column('decisions', sa.Column('entitled', sa.Integer(), nullable=True))
    op.add_column('decision_responses', sa.Column('counted', sa.Boolean(), nullable=True))


def downgrade() -> None:
    # DROP COLUMN (SQLite 3.35+) keeps the triggers too.
    op.drop_column('decision_responses', 'counted')
    op.drop_column('decisions', 'entitled')
