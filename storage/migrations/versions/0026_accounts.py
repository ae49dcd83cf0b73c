"""Accounts: one person on several platforms (`link me`): another account points to the
person it was linked to, and the one-time codes that link them.

Revision ID: 0026_accounts
Revises: 0025_derivation
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models


revision: str = '0026_accounts'
down_revision: str | Sequence[str] | None = '0025_derivation'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('account_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('used_at', storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_hash')
    )
    with op.batch_alter_table('account_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_codes_person_id'), ['person_id'], unique=False)
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_of_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_people_account_of_id'), ['account_of_id'], unique=False)
        batch_op.create_foreign_key('fk_people_account_of', 'people', ['account_of_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_constraint('fk_people_account_of', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_people_account_of_id'))
        batch_op.drop_column('account_of_id')
    with op.batch_alter_table('account_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_codes_person_id'))
    op.drop_table('account_codes')
