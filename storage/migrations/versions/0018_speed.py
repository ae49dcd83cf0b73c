"""Indexes a command's path needs at N = 10,000: a member's priorities and flexibility offers.

`priority` looks up the member's current priority, and `leave` and `member remove` their open
offers, by member: without these indexes PostgreSQL read the whole table (385,000 priorities
and 42,000 offers at 10,000 partnerships) each time (BENCHMARKS.md, "Every command's statements").

Revision ID: 0018_speed
Revises: 0017_web_trust
Create Date: 2026-12-06
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0018_speed'
down_revision: str | Sequence[str] | None = '0017_web_trust'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_priorities_member', 'priorities', ['member_id'])
    op.create_index('ix_flex_member', 'flexibilities', ['member_id'])


def downgrade() -> None:
    op.drop_index('ix_flex_member', table_name='flexibilities')
    op.drop_index('ix_priorities_member', table_name='priorities')
