"""Email as a channel: addresses and where nudges go, reply threads, the outbox, mail received, followers, limits.

Revision ID: 0020_email
Revises: 0019_sweeps
Create Date: 2026-12-08
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0020_email'
down_revision: str | Sequence[str] | None = '0019_sweeps'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _mode(name: str) -> sa.Enum:
    return sa.Enum('chat', 'email', 'both', name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table('email_addresses',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('mode', _mode('ck_notifymode'), nullable=False),
    sa.Column('wanted', _mode('ck_notifymode_wanted'), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=True),
    sa.Column('code_sent_at', sa.DateTime(), nullable=True),
    sa.Column('code_failures', sa.Integer(), nullable=False),
    sa.Column('unsubscribe', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id'),
    sa.UniqueConstraint('unsubscribe')
    )
    op.create_index('ix_email_addresses_address', 'email_addresses', ['address'])
    op.create_table('email_threads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_key', sa.String(length=120), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=True),
    sa.Column('subject_kind', sa.String(length=20), nullable=True),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('thread_key'),
    sa.UniqueConstraint('token')
    )
    op.create_index('ix_email_threads_person_id', 'email_threads', ['person_id'])
    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('in_reply_to', sa.String(length=250), nullable=True),
    sa.Column('refs', sa.Text(), nullable=True),
    sa.Column('unsubscribe', sa.String(length=64), nullable=True),
    sa.Column('answer', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['thread_id'], ['email_threads.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_index('ix_mail_outbox_pending', 'mail_outbox', ['sent_at', 'claimed_until'])
    op.create_table('mail_received',
    sa.Column('message_key', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('message_key')
    )
    op.create_index('ix_mail_received_received_at', 'mail_received', ['received_at'])
    op.create_table('followers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('sent_through', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('partnership_id', 'address'),
    sa.UniqueConstraint('token')
    )
    op.create_index('ix_followers_partnership_id', 'followers', ['partnership_id'])
    op.create_table('mail_limits',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    op.drop_table('mail_limits')
    op.drop_index('ix_followers_partnership_id', table_name='followers')
    op.drop_table('followers')
    op.drop_index('ix_mail_received_received_at', table_name='mail_received')
    op.drop_table('mail_received')
    op.drop_index('ix_mail_outbox_pending', table_name='mail_outbox')
    op.drop_table('mail_outbox')
    op.drop_index('ix_email_threads_person_id', table_name='email_threads')
    op.drop_table('email_threads')
    op.drop_index('ix_email_addresses_address', table_name='email_addresses')
    op.drop_table('email_addresses')
