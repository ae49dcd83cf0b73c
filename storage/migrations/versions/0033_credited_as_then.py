"""Give and take as named then: `commitments.delivered_for` keeps the organisation a commitment's
owner spoke for when it was marked done, and `handovers.from_organisation` / `to_organisation`
those the giver and the taker spoke for when it was handed, so a member who changes organisation
(`join org:...` again) no longer takes their past work with them.

Rows before cannot say what was spoken for then: they are credited to each member's organisation
now, as they were read until now.

Revision ID: 0033_credited_as_then
Revises: 0032_nudge_days
Create Date: 2027-01-04
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0033_credited_as_then'
down_revision: str | Sequence[str] | None = '0032_nudge_days'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DELIVERED = """
UPDATE commitments SET delivered_for = (SELECT members.organisation FROM members WHERE members.id = commitments.owner_id)
WHERE status = 'done'
"""
HANDED = """
UPDATE handovers SET
    from_organisation = (SELECT members.organisation FROM members WHERE members.id = handovers.from_member_id),
    to_organisation = (SELECT members.organisation FROM members WHERE members.id = handovers.to_member_id)
"""


def upgrade() -> None:
    op.add_column('commitments', sa.Column('delivered_for', sa.String(length=120), nullable=True))
    op.add_column('handovers', sa.Column('from_organisation', sa.String(length=120), nullable=True))
    op.add_column('handovers', sa.Column('to_organisation', sa.String(length=120), nullable=True))
    op.execute(DELIVERED)
    op.execute(HANDED)


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN, as in 0027: a batch rebuild would trip 0008's triggers.
    op.drop_column('handovers', 'to_organisation')
    op.drop_column('handovers', 'from_organisation')
    op.drop_column('commitments', 'delivered_for')
