"""Succession: who steps in for a role or a large commitment, so the partnership never rests on one person.

A successor is named for a role (`coordinator`, or any role the partnership uses, like
`treasurer`) or for one commitment. Coordinators hear, through the nudges, of the
coordinator role and of large commitments with nobody named; once named, they hear no more.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.commitments import ensure_may_change, ensure_open, ensure_takes_work, find_commitment
from handlers.context import Context
from handlers.describe import hours, member_label
from handlers.errors import UserError
from handlers.parsing import Args
from handlers.recheck import Asked, about, not_coordinating, rechecks
from handlers.registry import Access, command
from handlers.reply import Audience, Item, Reply, Section
from storage.models import Commitment, CommitmentStatus, Member, Partnership, Role, Successor
from storage.nudges import DueNudge, Waiting

COORDINATOR = Role.COORDINATOR.value
# A commitment this large (hours of effort) should have someone ready to take it over.
LARGE_EFFORT = 8.0
# A partnership this young is still finding its feet: no succession warnings yet.
SETTLING_IN = timedelta(days=14)
_ROLE = re.compile(r"[a-z][a-z-]{0,59}")


def covered(successor: Successor | None, holder_id: int | None = None) -> bool:
    """Whether a named successor can still step in: see `unable`."""
    return successor is not None and unable(successor, holder_id) is None


def unable(successor: Successor, holder_id: int | None = None) -> str | None:
    """Why a named successor can no longer step in (None when they can): they left, became
    an observer, hold the commitment themselves, or (for the coordinator role) became a
    coordinator, so nobody would be left to step in for the coordinators."""
    m = successor.successor
    name = m.person.display_name
    if not m.active:
        return f"{name}, named before, has left"
    if m.role is Role.OBSERVER:
        return f"{name}, named before, is an observer now"
    if m.id == holder_id:
        return f"{name}, named before, holds it now"
    if successor.role == COORDINATOR and m.role is Role.COORDINATOR:
        return f"{name}, named before, is a coordinator now"
    return None


@dataclass(frozen=True)
class Gaps:
    """What has nobody to step in: the coordinator role, and large open commitments."""

    coordinator: bool
    commitments: list[Commitment]


def gaps(successors: Iterable[Successor], large: Iterable[Commitment]) -> Gaps:
    """One partnership's gaps, from its successors and its large open commitments."""
    named = list(successors)
    by_role = {s.role: s for s in named if s.role}
    by_commitment = {s.commitment_id: s for s in named if s.commitment_id}
    return Gaps(not covered(by_role.get(COORDINATOR)),
                [c for c in large if not covered(by_commitment.get(c.id), c.owner_id)])


def large_open(session: Session, partnership_ids: Iterable[int]) -> list[Commitment]:
    return list(session.scalars(
        select(Commitment).where(Commitment.partnership_id.in_(list(partnership_ids)),
                                 Commitment.status == CommitmentStatus.OPEN, Commitment.effort_hours >= LARGE_EFFORT)
        .order_by(Commitment.due_at, Commitment.id)))


def named(session: Session, partnership_ids: Iterable[int]) -> list[Successor]:
    return list(session.scalars(select(Successor).where(Successor.partnership_id.in_(list(partnership_ids)))
                                .order_by(Successor.role, Successor.commitment_id)))


@command(
    "successor",
    usage="successor <role or commitment number> @name",
    examples=("successor coordinator @bob", "successor 12 @carol", "successor treasurer @dave"),
)
def successor(ctx: Context, args: Args) -> Reply:
    """Name who steps in: for a role (coordinators name them) or for a commitment (its owner or a coordinator).

    Naming someone else replaces the earlier successor."""
    me = ctx.require_member()
    if not args.words:
        raise UserError("Say for what: a role like `coordinator`, or a commitment number.")
    first = args.words[0].text.strip().lstrip("#")
    commitment = find_commitment(ctx, args.take_id("commitment")) if first.isdigit() else None
    role = None if commitment else args.take_word("role").lower()
    who = ctx.find_member(args.take_mention("who steps in"))
    args.finish()
    ensure_takes_work(who)
    if commitment is not None:
        ensure_may_change(ctx, commitment)
        ensure_open(ctx, commitment)
        if who.id == commitment.owner_id:
            whose = "yours" if who.id == me.id else f"{who.person.display_name}'s"
            raise UserError(f"#{commitment.number} is already {whose}; name someone else.",
                            f"Type `successor {commitment.number} @name`.")
        row = ctx.session.scalar(select(Successor).where(Successor.commitment_id == commitment.id))
        what = f"#{commitment.number} {commitment.title}"
        said = f"on {what} if {commitment.owner.person.display_name} cannot"
    else:
        assert role is not None
        if not _ROLE.fullmatch(role):
            raise UserError(f"`{role[:40]}` isn't a role name.", "Use one word, like `successor coordinator @bob`.")
        if me.role is not Role.COORDINATOR:
            raise UserError("Only coordinators name successors for roles.",
                            f"Ask one of them: `successor {role} @{who.person.user_id}`.")
        if role == COORDINATOR and who.role is Role.COORDINATOR:
            already = "You are" if who.id == me.id else f"{who.person.display_name} is"
            raise UserError(f"{already} a coordinator already; a successor is who steps in if the coordinators cannot.",
                            "Name a member who is not a coordinator: `successor coordinator @name`.")
        row = ctx.session.scalar(select(Successor).where(Successor.partnership_id == me.partnership_id,
                                                         Successor.role == role))
        what, said = f"the {role} role", f"as {role} if needed"
    if row is None:
        row = Successor(partnership_id=me.partnership_id, role=role,
                        commitment_id=commitment.id if commitment else None, successor_id=who.id,
                        named_by_id=ctx.person.id, named_at=ctx.now)
        ctx.session.add(row)
    else:
        row.successor_id, row.named_by_id, row.named_at = who.id, ctx.person.id, ctx.now
    ctx.session.flush()
    ctx.record("successor", f"named {member_label(who)} successor for {what}", subject=commitment)
    return Reply(text=f"{member_label(who)} steps in {said}.", audience=Audience.CHANNEL)


@command("successors", usage="successors", access=Access.READ, changes=False)
def successors(ctx: Context, args: Args) -> Reply:
    """Who steps in for each role and large commitment, and what has nobody named."""
    args.finish()
    p = ctx.require_partnership()
    rows = named(ctx.session, [p.id])
    titles = {c.id: c for c in ctx.session.scalars(select(Commitment).where(
        Commitment.id.in_([s.commitment_id for s in rows if s.commitment_id]),
        Commitment.status == CommitmentStatus.OPEN))}
    # Only who can still step in is named; the rest are listed as the gaps they are.
    items = [Item(f"{s.role}: {member_label(s.successor)}") for s in rows if s.role and covered(s)]
    items += [Item(f"#{c.number} {c.title} ({c.owner.person.display_name}): {member_label(s.successor)}")
              for s in rows if s.commitment_id and (c := titles.get(s.commitment_id)) and covered(s, c.owner_id)]
    missing = gaps(rows, large_open(ctx.session, [p.id]))
    by_role = {s.role: s for s in rows if s.role}
    by_commitment = {s.commitment_id: s for s in rows if s.commitment_id}

    def why(s: Successor | None, holder_id: int | None = None) -> str:
        reason = unable(s, holder_id) if s is not None else None
        return f" ({reason})" if reason else ""

    def name_one(what: str | int) -> str:
        """How to name one, while the partnership runs: once over, `successor` is refused."""
        return "" if ctx.over else f" — `successor {what} @name`"

    lacking = [Item(f"coordinator role{why(by_role.get(COORDINATOR))}{name_one(COORDINATOR)}")] \
        if missing.coordinator else []
    lacking += [Item(f"#{c.number} {c.title} ({c.owner.person.display_name}, {hours(c.effort_hours or 0)})"
                     f"{why(by_commitment.get(c.id), c.owner_id)}{name_one(c.number)}")
                for c in missing.commitments]
    lacking += [Item(f"{s.role} role ({reason}){name_one(s.role)}") for s in rows
                if s.role and s.role != COORDINATOR and (reason := unable(s))]
    return Reply(title=f"Successors in {p.name}", sections=[
        Section("Named", items, empty="Nobody is named yet."),
        Section("Nobody named", lacking, empty="Every role and large commitment has someone to step in."),
    ])


def handover_note(ctx: Context, leaving: Member) -> str | None:
    """What a departure means for succession: the named successor of a leaving coordinator;
    and what the leaver was named to step in for, cleared now (and logged) for the
    coordinators to name someone else."""
    rows = named(ctx.session, [leaving.partnership_id])
    notes = []
    if leaving.role is Role.COORDINATOR:
        mine = next((s for s in rows if s.role == COORDINATOR and covered(s, leaving.id)), None)
        if mine is not None:
            notes.append(f"Their named successor as coordinator is {member_label(mine.successor)}: "
                         f"`member role @{mine.successor.person.user_id} coordinator` makes it so.")
        else:
            notes.append("Nobody was named to succeed them as coordinator.")
    # What they were to step in for and is still open: a role, or an open commitment. Where
    # the work is done or dropped, the record of who was ready stays as it was.
    numbers: dict[int, int] = {row_id: number for row_id, number in ctx.session.execute(select(
        Commitment.id, Commitment.number).where(
            Commitment.id.in_([s.commitment_id for s in rows if s.successor_id == leaving.id and s.commitment_id]),
            Commitment.status == CommitmentStatus.OPEN))}
    # Roles first, then commitments: the same order on every database.
    stepping_in = sorted((s for s in rows if s.successor_id == leaving.id and (s.role or s.commitment_id in numbers)),
                         key=lambda s: (s.role is None, s.role or "", s.commitment_id or 0))
    if stepping_in:
        what = ", ".join(s.role or f"#{numbers.get(s.commitment_id or 0, s.commitment_id)}" for s in stepping_in)
        for s in stepping_in:
            ctx.session.delete(s)
        ctx.record("successor-clear", f"cleared {member_label(leaving)} as successor for {what}, as they left")
        notes.append(f"They were named to step in for {what}; that is cleared, so coordinators: name someone else "
                     "with `successor`.")
    return " ".join(notes) or None


# The sweep: gaps in succession for every partnership, in a fixed number of queries.

def nudges(session: Session, now: datetime, only: Collection[int]) -> list[DueNudge]:
    """To the coordinators of the partnerships `only` names: the coordinator role (monthly) and
    each large commitment (once) with nobody named."""
    if not only:
        return []
    partnerships = list(session.scalars(select(Partnership).where(~Partnership.over(now),
                                                                  Partnership.created_at <= now - SETTLING_IN,
                                                                  Partnership.id.in_(only))))
    ids = [p.id for p in partnerships]
    coordinators: dict[int, list[Member]] = {}
    for m in session.scalars(select(Member).where(Member.partnership_id.in_(ids), Member.left_at.is_(None),
                                                  Member.role == Role.COORDINATOR)):
        coordinators.setdefault(m.partnership_id, []).append(m)
    rows: dict[int, list[Successor]] = {}
    for s in named(session, ids):
        rows.setdefault(s.partnership_id, []).append(s)
    large: dict[int, list[Commitment]] = {}
    for c in large_open(session, ids):
        large.setdefault(c.partnership_id, []).append(c)
    month = f"{now:%Y-%m}"
    due: list[DueNudge] = []
    for p in partnerships:
        missing = gaps(rows.get(p.id, []), large.get(p.id, []))
        leads = coordinators.get(p.id, [])
        names = ", ".join(m.person.display_name for m in leads)
        for m in leads:
            if missing.coordinator:
                due.append(DueNudge(
                    f"succession-role:p{p.id}:{COORDINATOR}:{month}:p{m.person_id}", p.id, "succession",
                    f"Nobody is named to step in as coordinator of {p.name} if {names} were away. "
                    "Name someone: `successor coordinator @name`.", person_id=m.person_id))
            due += [DueNudge(
                f"succession-commitment:{subject(c)}:p{m.person_id}", p.id, "succession",
                f"#{c.number} {c.title} ({hours(c.effort_hours or 0)}), held by {member_label(c.owner)}, has nobody named to "
                f"step in if {c.owner.person.display_name} were away: `successor {c.number} @name`.",
                person_id=m.person_id) for c in missing.commitments]
    return due


def subject(c: Commitment) -> str:
    """What a nudge about a gap is about: the commitment, or for recurring work its series, so
    coordinators are told once of the work, not again at each occurrence."""
    return f"s{c.series_id}" if c.series_id is not None else f"c{c.id}"


def asked_about(asked: Asked) -> dict[int, Gaps]:
    """The gaps in succession of each partnership the nudges are in."""
    ids = {row.partnership_id for row in asked.rows}
    rows: dict[int, list[Successor]] = {}
    for s in named(asked.session, ids):
        rows.setdefault(s.partnership_id, []).append(s)
    large: dict[int, list[Commitment]] = {}
    for c in large_open(asked.session, ids):
        large.setdefault(c.partnership_id, []).append(c)
    return {pid: gaps(rows.get(pid, []), large.get(pid, [])) for pid in ids}


@rechecks("succession")
def nobody_named_yet(asked: Asked, row: Waiting) -> str | None:
    """Still nobody named to step in: as coordinator, or on the large commitment (or recurring
    work) the nudge names."""
    missing = asked.read(asked_about)[row.partnership_id]
    if row.key.startswith("succession-commitment:"):
        series = about(row.key, "s")
        if series is not None:  # recurring work: any of its open occurrences still uncovered
            if all(c.series_id != series for c in missing.commitments):
                return "someone is named to step in on the recurring work, or none of it is open"
            return not_coordinating(asked.recipient(row))
        c, why = asked.open_commitment(row)
        if c is None:
            return why
        if all(m.id != c.id for m in missing.commitments):
            return f"someone is named to step in on #{c.number}"
    elif not missing.coordinator:
        return "a successor as coordinator is named"
    return not_coordinating(asked.recipient(row))
