"""How partnership things read in replies, shared by every command that lists them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from handlers.context import zone
from handlers.dates import days_overdue, due_day_in, show_due
from handlers.parsing import naming
from handlers.recurring import Rule
from handlers.reply import Action, Item, plural
from storage.lines import CommitmentLine
from storage.models import Commitment, CommitmentStatus, Member


def member_label(member: Member) -> str:
    """`Bob (Chamber of Trade)`."""
    return labelled(member.person.display_name, member.organisation)


def labelled(name: str, organisation: str | None) -> str:
    """A member's label from plain values, for callers holding rows rather than a `Member`."""
    return f"{name} ({organisation})" if organisation else name


def hours(value: float) -> str:
    return f"{value:g}h"


def left_said(left: float, effort: float | None) -> str:
    """`2h of 8h left`; more left than the effort first given says so: `12h left, more than
    the 8h estimated`, not `12h of 8h left`."""
    if not effort:
        return f"{hours(left)} left"
    if left > effort:
        return f"{hours(left)} left, more than the {hours(effort)} estimated"
    return f"{hours(left)} of {hours(effort)} left"


def outcome(c: Commitment) -> str:
    """Where a commitment stands, in a word: open, done, dropped, or handed-on (dropped by the
    partnership because an organisation outside it took it on)."""
    return "handed-on" if c.status is CommitmentStatus.DROPPED and c.handed_to else c.status.value


def owner_zone(c: Commitment | CommitmentLine) -> ZoneInfo:
    """The zone a commitment's due date is a day in: its owner's. Every reader sees that day."""
    return zone(c.owner_timezone)


def due_day(c: Commitment | CommitmentLine) -> date:
    """The day a commitment is due, on its owner's calendar: what every surface shows as its due day."""
    return due_day_in(c.due_at, owner_zone(c))


def due_said(c: Commitment | CommitmentLine, now: datetime) -> str:
    """`Fri 27 Nov (in 3 days)`: its owner's due day, and how far off it is for them, whoever reads it."""
    return show_due(c.due_at, owner_zone(c), now)


def days_late(c: Commitment | CommitmentLine) -> int:
    """Whole days between the due day and the day it was done, on its owner's calendar (0: on time or not done)."""
    if c.status is not CommitmentStatus.DONE or c.closed_at is None:
        return 0
    return max(0, (c.closed_at.astimezone(owner_zone(c)).date() - due_day(c)).days)


def lateness(c: Commitment | CommitmentLine, now: datetime) -> int:
    """How late it is: still open past its due date, the days `overdue` counts (`days_overdue`);
    done, how late it was done (`days_late`); otherwise 0. The page and the export give this one figure."""
    if c.status is CommitmentStatus.OPEN and c.due_at < now:
        return days_overdue(c.due_at, owner_zone(c), now)
    return days_late(c)


def late_said(c: Commitment | CommitmentLine) -> str:
    """`, 3 days late` for work done after its due date; empty otherwise."""
    late = days_late(c)
    return f", {plural(late, 'day')} late" if late else ""


def commitment_item(c: CommitmentLine, tz: ZoneInfo, now: datetime, with_owner: bool = True,
                    where: str | None = None, buttons: bool = True, live: bool = True) -> Item:
    """One commitment as a list line, with Mark done / Snooze where it is still open and the
    reader may use them (`buttons`: a list of others' work offers none that would be refused;
    `live`: not in a wound-up or ended partnership, which nudges nobody, so no Snooze, and makes
    no next occurrence of recurring work, so no "repeats").

    Numbers count within a partnership, so a list spanning several (`mine`) names each line's
    partnership in its buttons (`where`); clicked anywhere, they act on this commitment."""
    parts = [f"#{c.number} {c.title}"]
    if with_owner:
        parts.append(f"— {labelled(c.owner_name, c.owner_organisation)}")
    if c.status is CommitmentStatus.OPEN:
        parts.append(f"· due {due_said(c, now)}")
    elif c.status is CommitmentStatus.DONE and c.closed_at:
        parts.append(f"· done {c.closed_at.astimezone(tz):%a %-d %b}{late_said(c)}")
        if c.done_note:
            parts.append(f"· note: {c.done_note}")
    elif c.handed_to:
        parts.append(f"· handed on to {c.handed_to}" + (f": {c.drop_reason}" if c.drop_reason else ""))
    else:
        parts.append(f"· dropped: {c.drop_reason}")
    if c.status is CommitmentStatus.OPEN and c.left_hours is not None:
        parts.append(f"· {left_said(c.left_hours, c.effort_hours)}")
    elif c.effort_hours:
        parts.append(f"· {hours(c.effort_hours)}")
    if c.rule is not None and live:
        parts.append(f"· repeats every {Rule(c.rule).said}")
    if c.status is CommitmentStatus.OPEN and c.handover_from_id is not None:
        parts.append(f"· handed over, waiting for {c.owner_name} to `accept {c.number}`")
    within = naming(where) if where else ""
    actions: tuple[Action, ...] = ()
    if c.status is CommitmentStatus.OPEN and buttons:
        actions = (Action("Mark done", f"done {c.number}{within}", primary=True),
                   *([Action("Snooze 3 days", f"snooze {c.number} 3{within}")] if live else []))
    return Item(" ".join(parts), actions)


def sentence(text: str) -> str:
    """`text` ending as a sentence does: a full stop added unless it already ends in one, or in ? or !
    (a title like "Which project first?")."""
    return text if text.endswith((".", "?", "!")) else f"{text}."
