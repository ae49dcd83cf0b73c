"""Living work: corrections, progress, handovers, recurring commitments, time away and
overload episodes.

Commitments gain a start (`from:`), what is left and when it was said, a note on `done`,
a pending handover and the series a recurring one belongs to; people an away window;
nudges the buttons they carry; overloads the episode each overloaded member is in.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op
import sqlalchemy as sa

import storage.models


revision: str = '0009'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def trust_rules() -> ModuleType:
    """0008's triggers: SQLite's batch mode rebuilds `commitments`, which its triggers name, so
    they are dropped around the rebuild and made again, the same on both databases."""
    spec = importlib.util.spec_from_file_location("trust_0008", Path(__file__).with_name("0008_trust.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    rules = trust_rules()
    rules.drop_rules()
    op.create_table('commitment_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('commitment_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_series_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('overloads',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('started_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('told_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('weekly_hours', sa.Float(), nullable=False),
    sa.Column('open_count', sa.Integer(), nullable=False),
    sa.Column('overdue_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id')
    )
    with op.batch_alter_table('overloads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_overloads_partnership_id'), ['partnership_id'], unique=False)

    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('starts_at', storage.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('left_hours', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('progress_at', storage.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('done_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('handover_from_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('handover_at', storage.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint('uq_commitments_series_due', ['series_id', 'due_at'])
        batch_op.create_check_constraint('ck_left', 'left_hours IS NULL OR left_hours >= 0')
        batch_op.create_foreign_key('fk_commitments_handover_from', 'members', ['handover_from_id'], ['id'])
        batch_op.create_foreign_key('fk_commitments_series', 'commitment_series', ['series_id'], ['id'],
                                    ondelete='SET NULL')

    with op.batch_alter_table('nudges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actions', sa.Text(), nullable=True))

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('away_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('away_until', sa.Date(), nullable=True))
    rules.create_rules()


def downgrade() -> None:
    rules = trust_rules()
    rules.drop_rules()
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('away_until')
        batch_op.drop_column('away_from')

    with op.batch_alter_table('nudges', schema=None) as batch_op:
        batch_op.drop_column('actions')

    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.drop_constraint('fk_commitments_series', type_='foreignkey')
        batch_op.drop_constraint('fk_commitments_handover_from', type_='foreignkey')
        batch_op.drop_constraint('ck_left', type_='check')
        batch_op.drop_constraint('uq_commitments_series_due', type_='unique')
        batch_op.drop_column('series_id')
        batch_op.drop_column('handover_at')
        batch_op.drop_column('handover_from_id')
        batch_op.drop_column('done_note')
        batch_op.drop_column('progress_at')
        batch_op.drop_column('left_hours')
        batch_op.drop_column('starts_at')

    with op.batch_alter_table('overloads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_overloads_partnership_id'))
    op.drop_table('overloads')
    with op.batch_alter_table('commitment_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitment_series_partnership_id'))
    op.drop_table('commitment_series')
    rules.create_rules()
