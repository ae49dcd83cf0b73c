"""A partnership's end as one moment: `ends_at`, the midnight after its last day in the zone of
the coordinator who set it. Every surface and sweep judges the end by it, where each used to
take its own day (the reader's, or the sweep's UTC) and they disagreed for hours.

Rows set before keep the moment they ended by in the sweeps: the midnight after the end date in UTC.

Revision ID: 0029_ends_at
Revises: 0028_minutes_undo
Create Date: 2026-12-07
"""
from collections.abc import Sequence
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = '0029_ends_at'
down_revision: str | Sequence[str] | None = '0028_minutes_undo'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('partnerships', sa.Column('ends_at', sa.DateTime(), nullable=True))
    partnerships = sa.table('partnerships', sa.column('id', sa.Integer), sa.column('end_date', sa.Date),
                            sa.column('ends_at', sa.DateTime))
    connection = op.get_bind()
    ending = connection.execute(sa.select(partnerships.c.id, partnerships.c.end_date)
                                .where(partnerships.c.end_date.is_not(None))).all()
    if ending:  # stored as naive UTC, as every timestamp (storage.models.UTCDateTime)
        connection.execute(partnerships.update().where(partnerships.c.id == sa.bindparam('pid'))
                           .values(ends_at=sa.bindparam('moment')),
                           [{'pid': pid, 'moment': datetime.combine(end + timedelta(days=1), time())}
                            for pid, end in ending])


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN, as in 0027: a batch rebuild would trip 0008's triggers.
    op.drop_column('partnerships', 'ends_at')
