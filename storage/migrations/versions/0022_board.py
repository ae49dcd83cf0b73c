"""Decisions a board can rely on: results hidden until a proposal closes, the reminder's time
as a partnership setting, an outcome statement with a review date, proxy votes, and ranked choice.

On SQLite, `decisions` and `decision_responses` are rebuilt (batch mode) to change their checks
and add a foreign key, with foreign keys off (see storage.database.migrate), so nothing refers
to a row that is gone; their triggers go with the old tables, and are made again here.

Revision ID: 0022_board
Revises: 0021_agreement
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models


revision: str = '0022_board'
down_revision: str | Sequence[str] | None = '0021_agreement'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rules 0008_trust made on these tables, as it made them.
RULES = [
    ('decision_settled_stays', 'BEFORE UPDATE ON decisions', "OLD.status <> 'open'",
     'a settled decision never changes'),
    ('response_to_open_decision', 'BEFORE INSERT ON decision_responses',
     "(SELECT status FROM decisions WHERE id = NEW.decision_id) <> 'open'",
     'a settled decision takes no more responses'),
    ('response_stays_after_settling', 'BEFORE UPDATE ON decision_responses',
     "(SELECT status FROM decisions WHERE id = NEW.decision_id) <> 'open'",
     'a settled decision takes no more responses'),
]
MODES = "mode IN ('consensus', 'vote'{})"
POSITIONS = "position IN ('agree', 'abstain', 'disagree', 'block', 'yes', 'no'{})"


def upgrade() -> None:
    op.create_table('proxies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('giver_id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('withdrawn_at', storage.models.UTCDateTime(), nullable=True),
    sa.CheckConstraint('(decision_id IS NULL) <> (until IS NULL)', name='ck_proxy_scope'),
    sa.CheckConstraint('giver_id <> holder_id', name='ck_proxy_not_self'),
    sa.ForeignKeyConstraint(['decision_id', 'partnership_id'], ['decisions.id', 'decisions.partnership_id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['giver_id', 'partnership_id'], ['members.id', 'members.partnership_id'], ),
    sa.ForeignKeyConstraint(['holder_id', 'partnership_id'], ['members.id', 'members.partnership_id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_proxies_giver', 'proxies', ['partnership_id', 'giver_id', 'withdrawn_at'], unique=False)
    # In place, not batch mode: a batch rebuild of `partnerships` drops the table under the foreign
    # keys that point at it, which SQLite refuses once there are rows (see 0013).
    op.add_column('partnerships', sa.Column('remind_hours', sa.Integer(), server_default='24', nullable=False))
    forget_rules()
    with op.batch_alter_table('decisions') as batch_op:
        batch_op.add_column(sa.Column('results_hidden', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('statement', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('review_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('options', sa.Text(), nullable=True))
        batch_op.drop_constraint('ck_decisionmode', type_='check')
        batch_op.create_check_constraint('ck_decisionmode', MODES.format(", 'ranked'"))
        batch_op.create_check_constraint('ck_decision_ranked_options', "(mode = 'ranked') = (options IS NOT NULL)")
    with op.batch_alter_table('decision_responses') as batch_op:
        batch_op.add_column(sa.Column('cast_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ranking', sa.Text(), nullable=True))
        batch_op.create_foreign_key('fk_decision_responses_cast_by', 'people', ['cast_by_id'], ['id'])
        batch_op.drop_constraint('ck_position', type_='check')
        batch_op.create_check_constraint('ck_position', POSITIONS.format(", 'ranked'"))
        batch_op.create_check_constraint('ck_response_ranking', "(position = 'ranked') = (ranking IS NOT NULL)")
    restore_rules()


def downgrade() -> None:
    op.execute("DELETE FROM decisions WHERE mode = 'ranked'")
    forget_rules()
    with op.batch_alter_table('decision_responses') as batch_op:
        batch_op.drop_constraint('ck_response_ranking', type_='check')
        batch_op.drop_constraint('ck_position', type_='check')
        batch_op.create_check_constraint('ck_position', POSITIONS.format(''))
        batch_op.drop_constraint('fk_decision_responses_cast_by', type_='foreignkey')
        batch_op.drop_column('ranking')
        batch_op.drop_column('cast_by_id')
    with op.batch_alter_table('decisions') as batch_op:
        batch_op.drop_constraint('ck_decision_ranked_options', type_='check')
        batch_op.drop_constraint('ck_decisionmode', type_='check')
        batch_op.create_check_constraint('ck_decisionmode', MODES.format(''))
        batch_op.drop_column('options')
        batch_op.drop_column('review_on')
        batch_op.drop_column('statement')
        batch_op.drop_column('results_hidden')
    restore_rules()
    op.drop_column('partnerships', 'remind_hours')
    op.drop_index('ix_proxies_giver', table_name='proxies')
    op.drop_table('proxies')


def forget_rules() -> None:
    """On SQLite, drop the rules before rebuilding: a trigger naming `decisions` stops the rebuilt
    table being renamed to it, and they would go with the old tables anyway."""
    if op.get_bind().dialect.name == 'sqlite':
        for name, _, _, _ in RULES:
            op.execute(f'DROP TRIGGER IF EXISTS {name}')


def restore_rules() -> None:
    """Make SQLite's rules again on the rebuilt tables (PostgreSQL altered them in place and kept them)."""
    if op.get_bind().dialect.name != 'sqlite':
        return
    for name, moment, broken, rule in RULES:
        op.execute(f"CREATE TRIGGER {name} {moment} FOR EACH ROW WHEN {broken}"
                   f" BEGIN SELECT RAISE(ABORT, 'refused: {rule}'); END")
