"""Trust: joining needs a coordinator's approval where the partnership says so (join
requests), a removed member or an imposed observer stays so across leave and join, a
partnership says whether latecomers count in its decisions; and the database itself refuses
what must never happen, whatever code path tries: a partnership left without a coordinator,
a finished commitment finished again, an open commitment held by someone who has left, a
settled decision (or a response to it) changed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each rule: a name, the table and moment it guards, the condition (on NEW and OLD) that
# breaks it, and the refusal. The same rules become SQLite triggers and PostgreSQL functions.
RULES = [
    ('partnership_keeps_a_coordinator', 'AFTER UPDATE OF role, left_at ON members',
     "OLD.role = 'coordinator' AND OLD.left_at IS NULL"
     " AND (NEW.role <> 'coordinator' OR NEW.left_at IS NOT NULL)"
     " AND (SELECT closed_at FROM partnerships WHERE id = OLD.partnership_id) IS NULL"
     " AND NOT EXISTS (SELECT 1 FROM members WHERE partnership_id = OLD.partnership_id"
     " AND role = 'coordinator' AND left_at IS NULL)",
     'a partnership keeps at least one coordinator'),
    ('member_leaves_no_open_commitment', 'BEFORE UPDATE OF left_at ON members',
     "OLD.left_at IS NULL AND NEW.left_at IS NOT NULL"
     " AND EXISTS (SELECT 1 FROM commitments WHERE owner_id = NEW.id AND status = 'open')",
     'a member leaves no open commitment behind'),
    ('commitment_owner_is_in', 'BEFORE INSERT ON commitments',
     "NEW.status = 'open' AND (SELECT left_at FROM members WHERE id = NEW.owner_id) IS NOT NULL",
     'an open commitment belongs to a current member'),
    ('commitment_owner_stays_in', 'BEFORE UPDATE OF owner_id, status ON commitments',
     "NEW.status = 'open' AND (SELECT left_at FROM members WHERE id = NEW.owner_id) IS NOT NULL",
     'an open commitment belongs to a current member'),
    ('commitment_ends_once', 'BEFORE UPDATE OF status ON commitments',
     "OLD.status <> 'open' AND NEW.status <> 'open' AND NEW.status <> OLD.status",
     'a finished commitment is reopened before it ends another way'),
    ('decision_settled_stays', 'BEFORE UPDATE ON decisions',
     "OLD.status <> 'open'",
     'a settled decision never changes'),
    ('response_to_open_decision', 'BEFORE INSERT ON decision_responses',
     "(SELECT status FROM decisions WHERE id = NEW.decision_id) <> 'open'",
     'a settled decision takes no more responses'),
    ('response_stays_after_settling', 'BEFORE UPDATE ON decision_responses',
     "(SELECT status FROM decisions WHERE id = NEW.decision_id) <> 'open'",
     'a settled decision takes no more responses'),
]


def create_rules() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    for name, moment, broken, rule in RULES:
        if postgres:
            returns = 'NULL' if moment.startswith('AFTER') else 'NEW'
            op.execute(f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF {broken} THEN
                        RAISE EXCEPTION 'refused: {rule}' USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN {returns};
                END $$""")
            op.execute(f'CREATE TRIGGER {name} {moment} FOR EACH ROW EXECUTE FUNCTION {name}()')
        else:
            op.execute(f"CREATE TRIGGER {name} {moment} FOR EACH ROW WHEN {broken}"
                       f" BEGIN SELECT RAISE(ABORT, 'refused: {rule}'); END")


def drop_rules() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    for name, moment, _, _ in reversed(RULES):
        table = moment.rsplit(' ', 1)[1]
        op.execute(f'DROP TRIGGER {name} ON {table}' if postgres else f'DROP TRIGGER {name}')
        if postgres:
            op.execute(f'DROP FUNCTION {name}()')


def upgrade() -> None:
    with op.batch_alter_table('partnerships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('joining', sa.Enum('open', 'approval', name='ck_joining', native_enum=False, create_constraint=True, length=32), nullable=True))
        batch_op.add_column(sa.Column('count_latecomers', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('role_imposed', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('join_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('coordinator', 'member', 'observer', name='ck_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('approved', sa.Boolean(), nullable=True),
    sa.CheckConstraint('(decided_at IS NULL) = (approved IS NULL)', name='ck_join_request_decided'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('join_requests', schema=None) as batch_op:
        batch_op.create_index('uq_join_requests_pending', ['partnership_id', 'person_id'], unique=True, sqlite_where=sa.text('decided_at IS NULL'), postgresql_where=sa.text('decided_at IS NULL'))
    create_rules()


def downgrade() -> None:
    drop_rules()
    with op.batch_alter_table('join_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_join_requests_pending', sqlite_where=sa.text('decided_at IS NULL'), postgresql_where=sa.text('decided_at IS NULL'))
    op.drop_table('join_requests')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('role_imposed')
        batch_op.drop_column('removed')
    with op.batch_alter_table('partnerships', schema=None) as batch_op:
        batch_op.drop_column('count_latecomers')
        batch_op.drop_column('joining')
