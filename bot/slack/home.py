"""The App Home tab: my commitments with their dates, my load against my capacity, open
concerns in my partnerships and the next review, one partnership after another.

Built from the same neutral parts as the commands (commitment and concern lines, the load
calculation), rendered by `render`, so the tab and `/partner mine` never disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.slack.render import Block, Renderer, escape, section
from handlers.concerns import open_concerns
from handlers.context import Actor, Context
from handlers.dates import show_day
from handlers.describe import commitment_item
from handlers.judgements.load import describe_load, workloads
from handlers.reply import Item, Reply, Section
from storage import queries
from storage.lines import LINES, lines
from storage.models import Commitment, CommitmentStatus, Partnership, Role

PLATFORM = "slack"
MAX_HOME_BLOCKS = 100
MIN_PART = 6  # blocks a partnership needs at the least: its name, a line of each list, a note
OPEN_COMMIT = "open_commit"
OPEN_CONCERN = "open_concern"


def partnership_reply(ctx: Context, p: Partnership, member_id: int, role: Role) -> Reply:
    now, tz = ctx.now, ctx.tz
    today = now.astimezone(tz).date()
    mine = lines(ctx.session, LINES.where(Commitment.owner_id == member_id, Commitment.status == CommitmentStatus.OPEN)
                 .order_by(Commitment.due_at))
    loads = [w for w in workloads(ctx.session, p.id, now) if w.member.id == member_id]
    fields: list[tuple[str, str]] = []
    if p.next_review_on:
        fields.append(("Next review", show_day(p.next_review_on, today)))
    if p.end_date:
        fields.append(("Ends", show_day(p.end_date, today)))
    load_line = describe_load(loads[0], today) if loads else (
        "You are an observer here." if role is Role.OBSERVER else "No load yet.")
    return Reply(
        title=p.name,
        fields=fields,
        sections=[
            Section("Your commitments", [commitment_item(c, tz, now, False, live=not p.over(now)) for c in mine],
                    empty="You have no open commitments here."),
            Section("Your load", [Item(load_line)]),
            Section("Open concerns", open_concerns(ctx, p.id), empty="No open concerns."),
        ],
    )


def home_view(sessions: sessionmaker[Session], workspace: str, user: str, now: datetime) -> dict[str, Any]:
    """The Home tab for one person, as a view for views.publish, in their own time zone."""
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": "Your partnerships"}}]
    with sessions() as session:
        person = queries.find_person(session, PLATFORM, workspace, user)
        memberships = queries.memberships(session, person.id) if person else []
        if not memberships:
            blocks.append(section(
                "You're not in a partnership yet. In a partnership's channel, type "
                '`/partner join org:"Your organisation" sector:community`, or start one with '
                '`/partner setup "Riverside Partnership" kind:task-force`.'))
        # Read only: the session is never committed, and the person exists (they have memberships),
        # so the context reads their stored time zone.
        ctx = Context(session, Actor(PLATFORM, workspace, user, user), now)
        buttons = 0
        for at, m in enumerate(memberships):
            p = m.partnership
            # The partnership's Slack channel, so Home buttons act in the right partnership.
            channel = queries.home_channel(session, PLATFORM, workspace, p.id)
            # What is left of the tab's 100 blocks, less a divider, the form buttons and a
            # last note; a partnership's long lists are compacted to fit it.
            room = MAX_HOME_BLOCKS - len(blocks) - 3
            if room < MIN_PART:
                left = ", ".join(n.partnership.name for n in memberships[at:])
                blocks.append(section(escape(f"…and more in {left}: type `/partner mine` to see it all.")))
                break
            renderer = Renderer(channel, max_blocks=room, buttons=buttons)
            reply = partnership_reply(ctx, p, m.id, m.role)
            reply.more = "type `/partner mine` to see them all"
            part = renderer.reply(reply)
            buttons = renderer.buttons
            if m.role is not Role.OBSERVER:
                part.append({"type": "actions", "elements": [
                    {"type": "button", "action_id": f"{OPEN_COMMIT}_{p.id}", "value": channel or "",
                     "text": {"type": "plain_text", "text": "Log a commitment"}},
                    {"type": "button", "action_id": f"{OPEN_CONCERN}_{p.id}", "value": channel or "",
                     "text": {"type": "plain_text", "text": "Raise a concern"}},
                ]})
            blocks += part + [{"type": "divider"}]
    return {"type": "home", "blocks": blocks}
