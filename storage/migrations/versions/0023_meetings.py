"""Meetings: a time poll over candidate slots and members' answers, the meeting once
scheduled (its calendar sequence counting moves), its agenda items, the minutes' attendance,
and the decisions and actions taken at it, linked back to the meeting.

Revision ID: 0023_meetings
Revises: 0022_board
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models


revision: str = '0023_meetings'
down_revision: str | Sequence[str] | None = '0022_board'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=True),
    sa.Column('status', sa.Enum('polling', 'scheduled', 'cancelled', name='ck_meetingstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('closes_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('starts_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('scheduled_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('scheduled_by_id', sa.Integer(), nullable=True),
    sa.Column('quorum', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('cancelled_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('approved_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status <> 'scheduled' OR starts_at IS NOT NULL", name='ck_meeting_scheduled'),
    sa.CheckConstraint('(approved_at IS NULL) = (approved_by_id IS NULL)', name='ck_meeting_approved'),
    sa.CheckConstraint('quorum >= 1 AND quorum <= 100', name='ck_meeting_quorum'),
    sa.ForeignKeyConstraint(['approved_by_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scheduled_by_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('id', 'partnership_id', name='uq_meetings_id_partnership'),
    sa.UniqueConstraint('partnership_id', 'number', name='uq_meetings_number')
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index('ix_meetings_status', ['status', 'closes_at'], unique=False)

    op.create_table('agenda_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('carried', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['meeting_id', 'partnership_id'], ['meetings.id', 'meetings.partnership_id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.create_index('ix_agenda_items_meeting', ['meeting_id', 'position'], unique=False)

    op.create_table('meeting_attendees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('attendance', sa.Enum('present', 'apologies', name='ck_attendance', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id', 'partnership_id'], ['meetings.id', 'meetings.partnership_id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id', 'partnership_id'], ['members.id', 'members.partnership_id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('meeting_id', 'member_id', name='uq_meeting_attendees_member')
    )
    op.create_table('meeting_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('starts_at', storage.models.UTCDateTime(), nullable=False),
    sa.CheckConstraint('position >= 1 AND position <= 20', name='ck_meeting_slot_position'),
    sa.ForeignKeyConstraint(['meeting_id', 'partnership_id'], ['meetings.id', 'meetings.partnership_id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('meeting_id', 'position', name='uq_meeting_slots_position')
    )
    op.create_table('meeting_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.Enum('yes', 'maybe', 'no', name='ck_slotanswer', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('answered_at', storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id', 'partnership_id'], ['meetings.id', 'meetings.partnership_id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id', 'partnership_id'], ['members.id', 'members.partnership_id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_id'], ['meeting_slots.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slot_id', 'member_id', name='uq_meeting_answers_slot_member')
    )
    with op.batch_alter_table('meeting_answers', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_answers_meeting', ['meeting_id'], unique=False)

    op.create_table('meeting_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('commitment_id', sa.Integer(), nullable=True),
    sa.Column('interests', sa.Text(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.CheckConstraint('(decision_id IS NULL) <> (commitment_id IS NULL)', name='ck_meeting_outcome_one'),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitments.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id', 'partnership_id'], ['meetings.id', 'meetings.partnership_id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('commitment_id', name='uq_meeting_outcomes_commitment'),
    sa.UniqueConstraint('decision_id', name='uq_meeting_outcomes_decision')
    )


def downgrade() -> None:
    op.drop_table('meeting_outcomes')
    with op.batch_alter_table('meeting_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_answers_meeting')

    op.drop_table('meeting_answers')
    op.drop_table('meeting_slots')
    op.drop_table('meeting_attendees')
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_index('ix_agenda_items_meeting')

    op.drop_table('agenda_items')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_meetings_status')

    op.drop_table('meetings')
