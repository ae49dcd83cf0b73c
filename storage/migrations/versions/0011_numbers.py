"""Numbers people can say out loud: commitments, concerns, decisions and flexibility offers are
numbered within their partnership, and each event says what kind of row it is about.

Existing rows are numbered per partnership in id order. Events get their subject's kind from
their action; summaries that named a subject by its database id (`#17 Book the hall`) name it
by its new number, and each old summary gets a verb, as history now prints `Bob marked #3 ...`.
Unsent nudges' buttons (`accept 17`) carry the new number too.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""
import importlib.util
import json
import re
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBERED = {'commitment': 'commitments', 'concern': 'concerns', 'decision': 'decisions', 'offer': 'flexibilities'}
# Each action's subject kind, as the handlers logged them.
KINDS = {
    'commitment': ('commit', 'done', 'drop', 'reassign', 'snooze', 'commitment-edit', 'commitment-reopen', 'progress',
                   'accept', 'decline', 'missed', 'successor'),
    'concern': ('concern', 'discuss', 'resolve', 'reopen'),
    'decision': ('propose', 'respond', 'decision-close', 'decision-withdraw'),
    'offer': ('flex', 'flex-withdraw'),
    'review': ('review-start', 'review-answer', 'review-close'),
    'member': ('join-approve', 'member-add', 'member-role', 'member-perspective', 'member-remove'),
    'join-request': ('join-request', 'join-decline'),
}
# The verb an old summary that began with its subject (`#3 Book the hall — done`) reads with;
# any other old summary reads `Bob logged: ...`.
VERBS = {
    'commit': 'logged', 'done': 'marked', 'drop': 'marked', 'missed': 'marked', 'reassign': 'reassigned',
    'snooze': 'updated', 'commitment-edit': 'changed', 'commitment-reopen': 'marked', 'progress': 'updated',
    'propose': 'proposed', 'respond': 'answered', 'decision-close': 'marked', 'decision-withdraw': 'marked',
    'concern': 'raised concern', 'discuss': 'added a', 'resolve': 'marked', 'reopen': 'marked',
}
LOGGED = 'logged:'
HANDOVER = re.compile(r'^(accept|decline) (\d+)')


def trust_rules() -> ModuleType:
    """0008's triggers: SQLite's batch mode rebuilds the tables they name, and one refuses any
    update to a settled decision, so they are dropped around this migration and made again."""
    spec = importlib.util.spec_from_file_location('trust_0008', Path(__file__).with_name('0008_trust.py'))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    rules = trust_rules()
    rules.drop_rules()
    for table in NUMBERED.values():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('number', sa.Integer(), nullable=True))
        # Each row's place among its partnership's rows, in id order.
        op.execute(f'UPDATE {table} SET number = (SELECT count(*) FROM {table} AS earlier'
                   f' WHERE earlier.partnership_id = {table}.partnership_id AND earlier.id <= {table}.id)')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('number', existing_type=sa.Integer(), nullable=False)
            batch_op.create_unique_constraint(f'uq_{table}_number', ['partnership_id', 'number'])
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_kind', sa.String(length=20), nullable=True))
        batch_op.create_index('ix_events_subject', ['partnership_id', 'subject_kind', 'subject_id'], unique=False)
    events = sa.table('events', sa.column('subject_kind'), sa.column('subject_id'), sa.column('action'))
    for kind, actions in KINDS.items():
        op.execute(events.update().where(events.c.action.in_(actions), events.c.subject_id.is_not(None))
                   .values(subject_kind=kind))
    renumber(upgrading=True)
    rules.create_rules()


def downgrade() -> None:
    rules = trust_rules()
    rules.drop_rules()
    renumber(upgrading=False)
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_subject')
        batch_op.drop_column('subject_kind')
    for table in reversed(NUMBERED.values()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'uq_{table}_number', type_='unique')
            batch_op.drop_column('number')
    rules.create_rules()


def renumber(upgrading: bool) -> None:
    """Rewrite what people read or click from database ids to numbers, or (downgrading) back."""
    bind = op.get_bind()
    numbers = {(kind, row_id): number for kind, table in NUMBERED.items()
               for row_id, number in bind.execute(sa.text(f'SELECT id, number FROM {table}'))}
    ids = {(kind, number, partnership): row_id for kind, table in NUMBERED.items()
           for row_id, number, partnership in bind.execute(sa.text(f'SELECT id, number, partnership_id FROM {table}'))}
    for event_id, partnership, action, kind, subject, summary in bind.execute(sa.text(
            'SELECT id, partnership_id, action, subject_kind, subject_id, summary FROM events')).all():
        new = summary
        if kind in NUMBERED and (kind, subject) in numbers:
            shown, meant = (subject, numbers[kind, subject]) if upgrading else (numbers[kind, subject], subject)
            new = re.sub(rf'#{shown}\b', f'#{meant}', new, count=1)
        if action == 'missed':  # `...; next #18`, the occurrence made in its place
            found = re.search(r'; next #(\d+)', new)
            if found:
                was = int(found[1])
                meant = numbers.get(('commitment', was)) if upgrading else ids.get(('commitment', was, partnership))
                new = f'{new[:found.start(1)]}{meant or was}{new[found.end(1):]}'
        verb = VERBS.get(action) if new.startswith(('#', 'concern #', 'note on concern #')) else LOGGED
        if upgrading:
            new = f'{verb or LOGGED} {new}'
        elif new.startswith(f'{VERBS.get(action, LOGGED)} '):
            new = new.removeprefix(f'{VERBS.get(action, LOGGED)} ')
        elif new.startswith(f'{LOGGED} '):
            new = new.removeprefix(f'{LOGGED} ')
        if new != summary:
            bind.execute(sa.text('UPDATE events SET summary = :summary WHERE id = :id'), {'summary': new, 'id': event_id})
    for nudge_id, partnership, actions in bind.execute(sa.text(
            'SELECT id, partnership_id, actions FROM nudges WHERE actions IS NOT NULL AND sent_at IS NULL')).all():
        buttons = json.loads(actions)
        for button in buttons:
            found = HANDOVER.match(button[1])
            if found:
                was = int(found[2])
                now = numbers.get(('commitment', was)) if upgrading else ids.get(('commitment', was, partnership))
                button[1] = f'{found[1]} {now or was}' + button[1][found.end():]
        bind.execute(sa.text('UPDATE nudges SET actions = :actions WHERE id = :id'),
                     {'actions': json.dumps(buttons), 'id': nudge_id})
