"""Trust, second round: partnership names unique only among what one person sees, server-side
dashboard sessions, and a record of where `partnerbot publish --out` wrote each page.

A name taken in a workspace no longer stops anyone else using it (the bot refuses only a name
the person already sees), so its unique constraint becomes a plain index. On SQLite that means
rebuilding `partnerships`, which a dozen tables refer to with ON DELETE CASCADE: with foreign
keys on, dropping the old table would empty them all, so this runs with them off
(storage.database.migrate) and refuses otherwise. The old table is renamed aside, with
references left naming `partnerships` (legacy_alter_table), and dropped once copied.

Downgrading makes names unique again: a repeated name in a workspace gets ` (2)`, ` (3)`, ... in
the order the partnerships were made.

Revision ID: 0017_web_trust
Revises: 0016_ending
Create Date: 2026-12-02
"""
import re
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017_web_trust'
down_revision: str | Sequence[str] | None = '0016_ending'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_COLUMNS = ['platform', 'workspace', 'name_key']
_UNIQUE = re.compile(r',\s*(?:CONSTRAINT\s+\S+\s+)?UNIQUE\s*\(\s*platform,\s*workspace,\s*name_key\s*\)', re.IGNORECASE)


def upgrade() -> None:
    op.create_table('published_copies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('folder', sa.Text(), nullable=False),
    sa.Column('written_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('partnership_id', 'folder', name='uq_published_copies_folder')
    )
    op.create_table('dashboard_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnerships.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    if op.get_bind().dialect.name == 'sqlite':
        rebuild_partnerships(lambda sql: _UNIQUE.sub('', sql, count=1))
    else:
        op.drop_constraint(name_constraint(), 'partnerships', type_='unique')
    op.create_index('ix_partnerships_name', 'partnerships', NAME_COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index('ix_partnerships_name', table_name='partnerships')
    number_repeated_names()
    if op.get_bind().dialect.name == 'sqlite':
        rebuild_partnerships(lambda sql: sql[:sql.rstrip().rindex(')')].rstrip()
                             + ', \n\tUNIQUE (platform, workspace, name_key)\n)')
    else:
        op.create_unique_constraint(None, 'partnerships', NAME_COLUMNS)
    op.drop_table('dashboard_sessions')
    op.drop_table('published_copies')


def name_constraint() -> str:
    """PostgreSQL's name for the unique constraint 0001 made without naming it."""
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints('partnerships'):
        if constraint['column_names'] == NAME_COLUMNS and constraint['name']:
            return constraint['name']
    raise RuntimeError('partnerships has no unique constraint on its name to drop')


def rebuild_partnerships(change: Callable[[str], str]) -> None:
    """Make `partnerships` again from its own CREATE statement, as `change` rewrites it, keeping
    every row and every row that refers to one."""
    bind = op.get_bind()
    if bind.exec_driver_sql('PRAGMA foreign_keys').scalar():
        raise RuntimeError('migrate with foreign keys off (storage.database.migrate does), or rebuilding '
                           'partnerships would delete every row referring to it')
    # A statement that changes nothing but opens SQLite's transaction, which the sqlite3 module only
    # opens before a change to rows: so the table is never left half rebuilt.
    bind.exec_driver_sql('UPDATE partnerships SET id = id WHERE 0')
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'partnerships'").scalar()
    new = change(sql)
    if new == sql:
        raise RuntimeError('could not find the name constraint in the partnerships table')
    columns = ', '.join(f'"{row[1]}"' for row in bind.exec_driver_sql('PRAGMA table_info(partnerships)'))
    bind.exec_driver_sql('PRAGMA legacy_alter_table = ON')  # references keep the name `partnerships`
    try:
        bind.exec_driver_sql('ALTER TABLE partnerships RENAME TO _partnerships_old')
        bind.exec_driver_sql(new)
        bind.exec_driver_sql(f'INSERT INTO partnerships ({columns}) SELECT {columns} FROM _partnerships_old')
        bind.exec_driver_sql('DROP TABLE _partnerships_old')  # nothing refers to it: no cascade
    finally:
        bind.exec_driver_sql('PRAGMA legacy_alter_table = OFF')


def number_repeated_names() -> None:
    """Give each repeated name in a workspace a number, so the names can be unique again."""
    bind = op.get_bind()
    rows = bind.execute(sa.text('SELECT id, platform, workspace, name, name_key FROM partnerships ORDER BY id')).all()
    taken = {(r.platform, r.workspace, r.name_key) for r in rows}
    seen: set[tuple[str, str, str]] = set()
    for r in rows:
        if (r.platform, r.workspace, r.name_key) not in seen:
            seen.add((r.platform, r.workspace, r.name_key))
            continue
        n = 2
        while (r.platform, r.workspace, key_of(numbered(r.name, n))) in taken:
            n += 1
        name = numbered(r.name, n)
        taken.add((r.platform, r.workspace, key_of(name)))
        bind.execute(sa.text('UPDATE partnerships SET name = :name, name_key = :key WHERE id = :id'),
                     {'name': name, 'key': key_of(name), 'id': r.id})


def numbered(name: str, n: int) -> str:
    return f'{name[:120 - len(f" ({n})")]} ({n})'


def key_of(name: str) -> str:
    """As storage.queries.name_key makes it then (a migration keeps its own copy)."""
    return ' '.join(name.split()).casefold()
