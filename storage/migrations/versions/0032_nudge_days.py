"""Reminders keyed by their owner's due day, and concerns open since their reopening.

The keys of due-soon, overdue and escalation
nudges named the due moment's UTC date, which moves when the owner changes zone or the work
changes hands (the day stays), so the same reminder went out twice. They now name the day
on the owner's calendar (`overdue:c12:2026-11-27:p3`).

Rows already in the ledger are rewritten to the key the sweep now derives for them, so an
upgrade sends nothing again: a row whose date is the commitment's due moment's UTC date is
about its current due day. Others are about it if they say so (a reminder's words name the
day, "was due Fri 27 Nov"), or, for an escalation (whose words do not), if their UTC date is
one a due moment at the end of that day has in some zone (the day or the next). Any other
row was about a day the work has since moved from, and keeps its key. Where two rows come to
name one day (the defect had sent it twice), the one sent keeps it; a waiting twin is cancelled.
Downgrading names the UTC date again, where it is free.

`concerns.reopened_at`: a reopened concern has been open since its reopening, so the first
stale-concern nudge comes a full `concern_stale_days` after it, not at once for the weeks it
stood resolved. Concerns reopened before take the time of their last reopening from the event log.

Revision ID: 0032_nudge_days
Revises: 0031_scheduled_on
Create Date: 2026-12-08
"""
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0032_nudge_days'
down_revision: str | Sequence[str] | None = '0031_scheduled_on'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = re.compile(r'(due-soon|overdue|escalation):c(\d+):(\d{4}-\d{2}-\d{2})((?::.*)?)')
SAID = re.compile(r'\bdue (\w{3} \d{1,2} \w{3})\b')
TWIN = 'sent already for the same due day'

nudges = sa.table('nudges', sa.column('id', sa.Integer), sa.column('key', sa.String), sa.column('kind', sa.String),
                  sa.column('text', sa.Text), sa.column('sent_at', storage.models.UTCDateTime()),
                  sa.column('cancelled_at', storage.models.UTCDateTime()), sa.column('cancel_reason', sa.String))
commitments = sa.table('commitments', sa.column('id', sa.Integer), sa.column('owner_id', sa.Integer),
                       sa.column('due_at', storage.models.UTCDateTime()))
members = sa.table('members', sa.column('id', sa.Integer), sa.column('person_id', sa.Integer))
people = sa.table('people', sa.column('id', sa.Integer), sa.column('timezone', sa.String))


def current_day(due_at: datetime, tz: str) -> date:
    """The day a due moment ends, on its owner's calendar."""
    try:
        return due_at.astimezone(ZoneInfo(tz)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return due_at.date()


def owner_day(kind: str, day: date, text: str, due_at: datetime, tz: str) -> date | None:
    """The owner's due day a key's UTC `day` was about, if it was the current one (None: an earlier one)."""
    current = current_day(due_at, tz)
    if day == due_at.date():
        return current
    if kind != 'escalation':
        said = SAID.search(text)
        return current if said and said[1] == f'{current:%a} {current.day} {current:%b}' else None
    return current if day in (current, current + timedelta(days=1)) else None


def rekey(upgrading: bool) -> None:
    """Rename the reminders' keys to their owner's day (or back to the UTC date), keeping keys unique."""
    bind = op.get_bind()
    owned = {cid: (due_at, tz) for cid, due_at, tz in bind.execute(
        sa.select(commitments.c.id, commitments.c.due_at, people.c.timezone)
        .join(members, members.c.id == commitments.c.owner_id).join(people, people.c.id == members.c.person_id))}
    live: dict[str, tuple[int, bool]] = {}
    renames: list[tuple[int, str, str, bool]] = []
    for nudge_id, key, kind, text, sent in bind.execute(
            sa.select(nudges.c.id, nudges.c.key, nudges.c.kind, nudges.c.text, nudges.c.sent_at.is_not(None))
            .where(nudges.c.kind.in_(['due-soon', 'overdue', 'escalation']), nudges.c.cancelled_at.is_(None))
            .order_by(nudges.c.sent_at.is_(None), nudges.c.id)):
        live[key] = (nudge_id, sent)
        found = KEY.fullmatch(key)
        if found is None or int(found[2]) not in owned:
            continue
        due_at, tz = owned[int(found[2])]
        day = date.fromisoformat(found[3])
        if upgrading:
            target = owner_day(kind, day, text, due_at, tz)
        else:
            target = due_at.date() if day == current_day(due_at, tz) else None
        if target is not None and target != day:
            renames.append((nudge_id, key, f'{found[1]}:c{found[2]}:{target.isoformat()}{found[4]}', sent))
    for nudge_id, key, new, sent in renames:  # the sent first
        holder = live.get(new)
        if holder is not None:
            other, other_sent = holder
            if not sent:  # a waiting twin of one sent, or owed, under that key
                cancel(nudge_id)
                del live[key]
                continue
            if other_sent:  # both went out (the defect): each keeps its own key
                continue
            cancel(other)  # the sent one takes the key from its waiting twin
        del live[key]
        live[new] = (nudge_id, sent)
        bind.execute(nudges.update().where(nudges.c.id == nudge_id).values(key=new))


def cancel(nudge_id: int) -> None:
    """Cancel a waiting twin, saying why."""
    op.get_bind().execute(nudges.update().where(nudges.c.id == nudge_id, nudges.c.sent_at.is_(None))
                          .values(cancelled_at=datetime.now(UTC), cancel_reason=TWIN))


def upgrade() -> None:
    rekey(upgrading=True)
    op.add_column('concerns', sa.Column('reopened_at', storage.models.UTCDateTime(), nullable=True))
    op.execute("UPDATE concerns SET reopened_at = (SELECT max(events.created_at) FROM events"
               " WHERE events.subject_kind = 'concern' AND events.subject_id = concerns.id"
               " AND events.action = 'reopen')")


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN, as in 0027: a batch rebuild would trip 0008's triggers.
    op.drop_column('concerns', 'reopened_at')
    rekey(upgrading=False)
