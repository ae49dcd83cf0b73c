"""Priorities: each partner's own goal, stated from the outset, with its history kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, func, select

from handlers.context import Context
from handlers.dates import show_moment
from handlers.describe import labelled, member_label
from handlers.judgements.load import members_now
from handlers.parsing import MAX_NOTE, Args
from handlers.registry import Access, command
from handlers.reply import Audience, Item, Reply, Section, plural
from storage.models import Member, Person, Priority, Role
from storage.queries import plain_rows


@command("priority", usage='priority "What matters most to you"',
         examples=('priority "Saturday footfall on the high street"',))
def set_priority(ctx: Context, args: Args) -> Reply:
    """State your priority in this partnership; the one it replaces stays in the history."""
    text = args.take_text("priority", MAX_NOTE)
    args.finish()
    member = ctx.require_member()
    current = ctx.session.scalar(
        select(Priority).where(Priority.member_id == member.id, Priority.replaced_at.is_(None))
    )
    if current is not None:
        if current.text == text:
            return Reply(text="That is already your priority; nothing changed.")
        current.replaced_at = ctx.now
    ctx.session.add(Priority(partnership_id=member.partnership_id, member_id=member.id, text=text, set_at=ctx.now))
    previous = f' (was: "{current.text}")' if current else ""
    ctx.record("priority", f'stated a priority: "{text}"{previous}')
    return Reply(text=f'{member_label(member)} states a priority: "{text}"{previous}', audience=Audience.CHANNEL)


def retire(ctx: Context, member: Member) -> None:
    """A member who leaves takes their priority into the history: it is no longer a partner's
    priority, but what they worked towards stays on record (with when they left)."""
    for current in ctx.session.scalars(select(Priority).where(Priority.member_id == member.id,
                                                              Priority.replaced_at.is_(None))):
        current.replaced_at = ctx.now


# The replaced priorities `priorities` shows; `priorities all` shows every one since the start.
RECENT = 5

# Built once, the partnership bound at each execution (see queries.CHANNEL_CONTEXT), and read as
# plain rows with the member's name and organisation joined in: a list builds no objects.
STATED = (select(Priority.member_id, Priority.text, Priority.set_at, Priority.replaced_at, Member.left_at,
                 Person.display_name, Member.organisation)
          .join(Member, Member.id == Priority.member_id).join(Person, Person.id == Member.person_id))
CURRENT = (STATED.where(Priority.partnership_id == bindparam("partnership_id"), Priority.replaced_at.is_(None))
           .order_by(Priority.set_at.desc()))
# The replaced ones, newest first, each row with how many there are in all (counted before the limit).
EARLIER = (STATED.add_columns(func.count().over())
           .where(Priority.partnership_id == bindparam("partnership_id"), Priority.replaced_at.is_not(None))
           .order_by(Priority.set_at.desc(), Priority.id.desc()))
LATEST = EARLIER.limit(RECENT)


@command("priorities", usage="priorities [all]", examples=("priorities", "priorities all"), access=Access.READ,
         changes=False, flags=("all",))
def priorities(ctx: Context, args: Args) -> Reply:
    """Everyone's current priority, who has not stated one, and the latest earlier ones with
    their dates (`all`: every one since the start). A partnership of some years has dozens of
    replaced priorities; today's answer should not be buried under them."""
    args.finish()
    partnership = ctx.require_partnership()
    everything = "all" in args.flags
    bound = {"partnership_id": partnership.id}
    current = plain_rows(ctx.session, CURRENT, bound)
    history = plain_rows(ctx.session, EARLIER if everything else LATEST, bound)
    replaced = history[0][-1] if history else 0
    stated = {p.member_id for p in current}
    silent = [m for m in members_now(ctx.session, partnership.id) if m.id not in stated and m.role is not Role.OBSERVER]

    def said(p: Row[Any]) -> str:
        return f'{labelled(p.display_name, p.organisation)}: "{p.text}"'

    def when(p: Row[Any]) -> str:
        return show_moment(p.set_at, ctx.tz, ctx.now)

    sections = [
        Section("Current", [Item(f"{said(p)} (since {when(p)})") for p in current],
                empty='Nobody has stated a priority yet: `priority "..."`.'),
    ]
    if silent:
        sections.append(Section("Not stated yet", [Item(labelled(m.display_name, m.organisation)) for m in silent]))

    def until(p: Row[Any]) -> str:
        left = ", when they left" if p.left_at is not None and p.left_at == p.replaced_at else ""
        return f"{show_moment(p.replaced_at, ctx.tz, ctx.now)}{left}"

    if history:
        older = replaced - len(history)  # none with `all`
        lines = [Item(f"{said(p)} ({when(p)} to {until(p)})") for p in history]
        if older:
            lines.append(Item(f"{plural(older, 'older one')}: `priorities all`."))
        sections.append(Section(f"Earlier (the latest {len(history)})" if older else "Earlier", lines))
    return Reply(title=f"Priorities in {partnership.name}", sections=sections)
