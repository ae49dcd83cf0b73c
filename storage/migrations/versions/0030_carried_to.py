"""Carried agenda items: `agenda_items.carried_to` names the meeting a carried item went to, None
while it waits for one to be proposed, so an item carried while the next meeting was already
proposed, or to a meeting then cancelled, is no longer lost.

Items carried before are taken as delivered where a later meeting's agenda holds them (as the
draft copied them); the rest were lost, and now wait for the next meeting proposed.

Revision ID: 0030_carried_to
Revises: 0029_ends_at
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0030_carried_to'
down_revision: str | Sequence[str] | None = '0029_ends_at'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DELIVERED = """
UPDATE agenda_items SET carried_to = (
    SELECT meetings.number FROM agenda_items AS copy JOIN meetings ON meetings.id = copy.meeting_id
    WHERE copy.partnership_id = agenda_items.partnership_id AND copy.source = 'carried'
      AND copy.meeting_id > agenda_items.meeting_id
      AND (copy.title = agenda_items.title OR copy.title = 'Carried: ' || agenda_items.title)
    ORDER BY copy.meeting_id LIMIT 1)
WHERE carried
"""


def upgrade() -> None:
    op.add_column('agenda_items', sa.Column('carried_to', sa.Integer(), nullable=True))
    op.execute(DELIVERED)


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN, as in 0027: a batch rebuild would trip 0008's triggers.
    op.drop_column('agenda_items', 'carried_to')
