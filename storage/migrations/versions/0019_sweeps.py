"""Nudges still true when sent: one that stopped being true is cancelled, with the reason,
instead of sent or silently deleted.

The key stays unique among nudges not cancelled (a partial unique index), so a cancelled
nudge leaves its key free for the same nudge to be owed again once it is true again.

Revision ID: 0019_sweeps
Revises: 0018_speed
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models


revision: str = '0019_sweeps'
down_revision: str | Sequence[str] | None = '0018_speed'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0002 left the key's unique constraint unnamed: PostgreSQL named it itself, and SQLite's
# rebuild (batch mode, nothing points at `nudges`) names the reflected one by this convention.
UNNAMED = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
OWED = sa.text("cancelled_at IS NULL")


def key_constraint() -> str:
    return "uq_nudges_key" if op.get_bind().dialect.name == "sqlite" else "nudges_key_key"


def upgrade() -> None:
    with op.batch_alter_table('nudges', naming_convention=UNNAMED) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', storage.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=True))
        batch_op.drop_constraint(key_constraint(), type_='unique')
        batch_op.create_check_constraint('ck_nudge_sent_or_cancelled', 'sent_at IS NULL OR cancelled_at IS NULL')
        batch_op.drop_index('ix_nudges_pending')
        batch_op.create_index('ix_nudges_pending', ['sent_at', 'cancelled_at', 'claimed_until'], unique=False)
    op.create_index('uq_nudges_key', 'nudges', ['key'], unique=True, sqlite_where=OWED, postgresql_where=OWED)


def downgrade() -> None:
    # Cancelled nudges owe nothing, and their keys may repeat: they go before the key is unique again.
    op.execute("DELETE FROM nudges WHERE cancelled_at IS NOT NULL")
    op.drop_index('uq_nudges_key', table_name='nudges')
    with op.batch_alter_table('nudges', naming_convention=UNNAMED) as batch_op:
        batch_op.drop_index('ix_nudges_pending')
        batch_op.create_index('ix_nudges_pending', ['sent_at', 'claimed_until'], unique=False)
        batch_op.drop_constraint('ck_nudge_sent_or_cancelled', type_='check')
        batch_op.create_unique_constraint(key_constraint(), ['key'])
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_at')
