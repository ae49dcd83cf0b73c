"""The partnership agreement: its versions and each partner organisation's sign-off, what
partners pledge and deliver, shared goals with their readings and the work serving them,
declarations of interest, and whether those who declare one in a proposal are counted on it.

Partner organisations get rows of their own (`partner_organisations`), from the first member
of one joining to the last leaving, so a newcomer organisation and one that left are seen
for sure. Nothing existing is rewritten: they are made as partnerships next change their
members or their agreement.

Revision ID: 0021_agreement
Revises: 0020_email
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models


revision: str = '0021_agreement'
down_revision: str | Sequence[str] | None = '0020_email'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('agreement_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('goals', sa.Text(), nullable=True),
    sa.Column('roles', sa.Text(), nullable=True),
    sa.Column('decisions', sa.Text(), nullable=True),
    sa.Column('joining', sa.Text(), nullable=True),
    sa.Column('review', sa.Text(), nullable=True),
    sa.Column('changed', sa.String(length=120), nullable=False),
    sa.Column('why', sa.Text(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('id', 'partnership_id', name='uq_agreement_versions_id_partnership'),
    sa.UniqueConstraint('partnership_id', 'number', name='uq_agreement_versions_number')
    )
    op.create_table('goals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('measure', sa.String(length=300), nullable=False),
    sa.Column('baseline', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('target', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('dropped_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('drop_reason', sa.Text(), nullable=True),
    sa.CheckConstraint('(dropped_at IS NULL) = (drop_reason IS NULL)', name='ck_goal_dropped'),
    sa.CheckConstraint('baseline <> target', name='ck_goal_moves'),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('id', 'partnership_id', name='uq_goals_id_partnership'),
    sa.UniqueConstraint('partnership_id', 'number', name='uq_goals_number')
    )
    op.create_table('partner_organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('joined_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('left_at', storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('id', 'partnership_id', name='uq_partner_organisations_id_partnership')
    )
    with op.batch_alter_table('partner_organisations', schema=None) as batch_op:
        batch_op.create_index('uq_partner_organisations_present', ['partnership_id', 'key'], unique=True, sqlite_where=sa.text('left_at IS NULL'), postgresql_where=sa.text('left_at IS NULL'))

    op.create_table('agreement_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('signed_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('asked_again_at', storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id', 'partnership_id'], ['members.id', 'members.partnership_id'], ),
    sa.ForeignKeyConstraint(['organisation_id', 'partnership_id'], ['partner_organisations.id', 'partner_organisations.partnership_id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id', 'partnership_id'], ['agreement_versions.id', 'agreement_versions.partnership_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('agreement_signatures', schema=None) as batch_op:
        batch_op.create_index('ix_agreement_signatures_partnership', ['partnership_id'], unique=False)
        batch_op.create_index('uq_agreement_signatures_standing', ['version_id', 'organisation_id'], unique=True, sqlite_where=sa.text('asked_again_at IS NULL'), postgresql_where=sa.text('asked_again_at IS NULL'))

    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('organisation', sa.String(length=120), nullable=True),
    sa.Column('kind', sa.Enum('time', 'money', 'premises', 'equipment', 'in-kind', name='ck_contributionkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('delivered_on', sa.Date(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('undone_at', storage.models.UTCDateTime(), nullable=True),
    sa.CheckConstraint("(kind = 'money') = (currency IS NOT NULL)", name='ck_delivery_currency'),
    sa.CheckConstraint("(kind IN ('time', 'money')) = (amount IS NOT NULL)", name='ck_delivery_measured'),
    sa.CheckConstraint('amount IS NULL OR amount > 0', name='ck_delivery_amount'),
    sa.ForeignKeyConstraint(['member_id', 'partnership_id'], ['members.id', 'members.partnership_id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('partnership_id', 'number', name='uq_deliveries_number')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_partnership', ['partnership_id', 'undone_at'], unique=False)

    op.create_table('goal_readings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('taken_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('undone_at', storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['goal_id', 'partnership_id'], ['goals.id', 'goals.partnership_id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id', 'partnership_id'], ['members.id', 'members.partnership_id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('goal_readings', schema=None) as batch_op:
        batch_op.create_index('ix_goal_readings_goal', ['goal_id', 'taken_on'], unique=False)
        batch_op.create_index('ix_goal_readings_partnership', ['partnership_id'], unique=False)

    op.create_table('pledges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('organisation', sa.String(length=120), nullable=True),
    sa.Column('kind', sa.Enum('time', 'money', 'premises', 'equipment', 'in-kind', name='ck_contributionkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('period', sa.Enum('week', 'month', 'year', 'once', name='ck_period', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('ended_at', storage.models.UTCDateTime(), nullable=True),
    sa.CheckConstraint("(kind = 'money') = (currency IS NOT NULL)", name='ck_pledge_currency'),
    sa.CheckConstraint("(kind IN ('time', 'money')) = (amount IS NOT NULL AND period IS NOT NULL)", name='ck_pledge_measured'),
    sa.CheckConstraint('amount IS NULL OR amount > 0', name='ck_pledge_amount'),
    sa.ForeignKeyConstraint(['member_id', 'partnership_id'], ['members.id', 'members.partnership_id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('partnership_id', 'number', name='uq_pledges_number')
    )
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.create_index('ix_pledges_partnership', ['partnership_id', 'ended_at'], unique=False)

    op.create_table('commitment_goals',
    sa.Column('commitment_id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitments.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['goal_id', 'partnership_id'], ['goals.id', 'goals.partnership_id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('commitment_id')
    )
    with op.batch_alter_table('commitment_goals', schema=None) as batch_op:
        batch_op.create_index('ix_commitment_goals_goal', ['goal_id'], unique=False)

    op.create_table('interests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('withdrawn_at', storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['decision_id', 'partnership_id'], ['decisions.id', 'decisions.partnership_id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id', 'partnership_id'], ['members.id', 'members.partnership_id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('partnership_id', 'number', name='uq_interests_number')
    )
    with op.batch_alter_table('interests', schema=None) as batch_op:
        batch_op.create_index('ix_interests_decision', ['decision_id'], unique=False)
        batch_op.create_index('ix_interests_partnership', ['partnership_id', 'withdrawn_at'], unique=False)

    # In place, not batch mode: a batch rebuild of `partnerships` drops the table under the foreign
    # keys that point at it, which SQLite refuses once there are rows (see 0013).
    op.add_column('partnerships', sa.Column('interests_excluded', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column('partnerships', 'interests_excluded')

    with op.batch_alter_table('interests', schema=None) as batch_op:
        batch_op.drop_index('ix_interests_partnership')
        batch_op.drop_index('ix_interests_decision')

    op.drop_table('interests')
    with op.batch_alter_table('commitment_goals', schema=None) as batch_op:
        batch_op.drop_index('ix_commitment_goals_goal')

    op.drop_table('commitment_goals')
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_index('ix_pledges_partnership')

    op.drop_table('pledges')
    with op.batch_alter_table('goal_readings', schema=None) as batch_op:
        batch_op.drop_index('ix_goal_readings_partnership')
        batch_op.drop_index('ix_goal_readings_goal')

    op.drop_table('goal_readings')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_partnership')

    op.drop_table('deliveries')
    with op.batch_alter_table('agreement_signatures', schema=None) as batch_op:
        batch_op.drop_index('uq_agreement_signatures_standing', sqlite_where=sa.text('asked_again_at IS NULL'), postgresql_where=sa.text('asked_again_at IS NULL'))
        batch_op.drop_index('ix_agreement_signatures_partnership')

    op.drop_table('agreement_signatures')
    with op.batch_alter_table('partner_organisations', schema=None) as batch_op:
        batch_op.drop_index('uq_partner_organisations_present', sqlite_where=sa.text('left_at IS NULL'), postgresql_where=sa.text('left_at IS NULL'))

    op.drop_table('partner_organisations')
    op.drop_table('goals')
    op.drop_table('agreement_versions')
