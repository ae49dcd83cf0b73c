"""An anonymous raiser's notes: `concern_notes.author_id` may be empty, for a note added to a
concern's discussion with the raiser's code (`discuss N "..." anonymous code:...`), so the
note keeps no name, as the concern keeps none.

Downgrading deletes those notes: the older schema has no way to keep a note without an author.

Revision ID: 0035_anonymous_notes
Revises: 0034_new_address
Create Date: 2027-01-04
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0035_anonymous_notes'
down_revision: str | Sequence[str] | None = '0034_new_address'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # concern_notes has no triggers (0008's are on other tables), so SQLite's batch rebuild is safe.
    with op.batch_alter_table('concern_notes', schema=None) as batch_op:
        batch_op.alter_column('author_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute('DELETE FROM concern_notes WHERE author_id IS NULL')
    with op.batch_alter_table('concern_notes', schema=None) as batch_op:
        batch_op.alter_column('author_id', existing_type=sa.Integer(), nullable=False)
