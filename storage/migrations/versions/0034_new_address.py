"""An address replacing a confirmed one waits for its code in `email_addresses.new_address`,
so mail (and the replies that act) stay with the confirmed address until the new one is
confirmed: changing address by mail no longer locks an email-only member out, and nothing
carrying their reply token goes to an address nobody confirmed.

Rows before have no address waiting (None).

Revision ID: 0034_new_address
Revises: 0033_credited_as_then
Create Date: 2027-01-15
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0034_new_address'
down_revision: str | Sequence[str] | None = '0033_credited_as_then'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('email_addresses', sa.Column('new_address', sa.String(length=254), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN, as in 0031.
    op.drop_column('email_addresses', 'new_address')
