"""How partnership things read in replies, shared by every command that lists them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.dates import show_due
from handlers.reply import Action, Item
from storage.models import Commitment, CommitmentStatus, Member


def member_label(member: Member) -> str:
    """`Bob (Chamber of Trade)`."""
    return labelled(member.person.display_name, member.organisation)


def labelled(name: str, organisation: str | None) -> str:
    """A member's label from plain values, for callers holding rows rather than a `Member`."""
    return f"{name} ({organisation})" if organisation else name


def hours(value: float) -> str:
    return f"{value:g}h"


def commitment_item(c: Commitment, tz: ZoneInfo, now: datetime, with_owner: bool = True) -> Item:
    """One commitment as a list line, with Mark done / Snooze where it is still open."""
    parts = [f"#{c.id} {c.title}"]
    if with_owner:
        parts.append(f"— {member_label(c.owner)}")
    if c.status is CommitmentStatus.OPEN:
        parts.append(f"· due {show_due(c.due_at, tz, now)}")
    elif c.status is CommitmentStatus.DONE and c.closed_at:
        parts.append(f"· done {c.closed_at.astimezone(tz):%a %-d %b}")
    else:
        parts.append(f"· dropped: {c.drop_reason}")
    if c.effort_hours:
        parts.append(f"· {hours(c.effort_hours)}")
    actions = ((Action("Mark done", f"done {c.id}", primary=True), Action("Snooze 3 days", f"snooze {c.id} 3"))
               if c.status is CommitmentStatus.OPEN else ())
    return Item(" ".join(parts), actions)
