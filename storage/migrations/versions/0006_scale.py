"""Scale: indexes for the nudge sweep, which reads every partnership's open commitments
(by due date) and the past week's done ones (by when they closed) in one query each.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.create_index('ix_commitments_status_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_commitments_status_closed', ['status', 'closed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.drop_index('ix_commitments_status_closed')
        batch_op.drop_index('ix_commitments_status_due')
