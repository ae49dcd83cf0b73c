"""Minutes undo: a decision recorded in a meeting's draft minutes by mistake can be withdrawn
until the minutes are approved. 0008's rule that a settled decision never changes now lets
that one change through, and nothing else: to withdrawn, once, while the minutes it is in are a
draft.

Revision ID: 0028_minutes_undo
Revises: 0027_derive_failures
Create Date: 2026-12-07
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0028_minutes_undo'
down_revision: str | Sequence[str] | None = '0027_derive_failures'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME, MOMENT, RULE = 'decision_settled_stays', 'BEFORE UPDATE ON decisions', 'a settled decision never changes'
BEFORE = "OLD.status <> 'open'"
AFTER = ("OLD.status <> 'open' AND NOT (OLD.status <> 'withdrawn' AND NEW.status = 'withdrawn'"
         " AND EXISTS (SELECT 1 FROM meeting_outcomes JOIN meetings ON meetings.id = meeting_outcomes.meeting_id"
         " WHERE meeting_outcomes.decision_id = OLD.id AND meetings.approved_at IS NULL))")


def upgrade() -> None:
    rule(AFTER)


def downgrade() -> None:
    rule(BEFORE)


def rule(broken: str) -> None:
    """0008's rule on decisions again, broken by `broken`: a PostgreSQL function replaced in place,
    a SQLite trigger made again."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"""CREATE OR REPLACE FUNCTION {NAME}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF {broken} THEN
                    RAISE EXCEPTION 'refused: {RULE}' USING ERRCODE = 'check_violation';
                END IF;
                RETURN NEW;
            END $$""")
        return
    op.execute(f'DROP TRIGGER IF EXISTS {NAME}')
    op.execute(f"CREATE TRIGGER {NAME} {MOMENT} FOR EACH ROW WHEN {broken}"
               f" BEGIN SELECT RAISE(ABORT, 'refused: {RULE}'); END")
