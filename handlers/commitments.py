"""Commitments: who does what by when, the partnership's mechanism for delivery."""

from __future__ import annotations

from sqlalchemy import Select, case, select

from handlers.context import Context
from handlers.dates import parse_due, show_moment
from handlers.describe import commitment_item, member_label
from handlers.errors import UserError
from handlers.parsing import MAX_NOTE, Args, parse_hours
from handlers.registry import Access, command
from handlers.reply import Audience, Reply, Section, plural
from storage import queries
from storage.models import Commitment, CommitmentStatus, Role

LIST_LIMIT = 50
# A `who` search is a few words; each is one more condition on the query.
MAX_SEARCH_WORDS = 10
MAX_SEARCH = 200
# Status is stored as text, and "done" < "dropped" < "open" alphabetically: rank open first.
OPEN_FIRST = case((Commitment.status == CommitmentStatus.OPEN, 0), else_=1)


def open_commitments(partnership_id: int) -> Select[tuple[Commitment]]:
    return (
        select(Commitment)
        .where(Commitment.partnership_id == partnership_id, Commitment.status == CommitmentStatus.OPEN)
        .order_by(Commitment.due_at, Commitment.id)
    )


def find_commitment(ctx: Context, commitment_id: int) -> Commitment:
    return ctx.find_row(Commitment, commitment_id, "commitment", "who")


def ensure_may_change(ctx: Context, c: Commitment) -> None:
    """People change their own commitments; coordinators may change anyone's."""
    member = ctx.require_member()
    if c.owner_id != member.id and member.role is not Role.COORDINATOR:
        raise UserError(
            f"#{c.id} is {c.owner.person.display_name}'s commitment; only they or a coordinator can change it."
        )


def ensure_open(ctx: Context, c: Commitment) -> None:
    """Refuse to change a finished commitment, saying who finished it and when: the answer
    the second of two people clicking Mark done at once needs."""
    if c.status is CommitmentStatus.OPEN:
        return
    how = "marked done" if c.status is CommitmentStatus.DONE else "dropped"
    closed = queries.last_event(ctx.session, c.partnership_id, c.id, ("done", "drop"))
    by = f" by {closed.actor.display_name}" if closed is not None and closed.actor is not None else ""
    when = f" ({show_moment(c.closed_at, ctx.tz, ctx.now)})" if c.closed_at else ""
    raise UserError(f"#{c.id} was already {how}{by}{when}.", f"Type `history {c.id}` to see what happened.")


def listing(ctx: Context, title: str, rows: list[Commitment], empty: str, with_owner: bool = True) -> Reply:
    items = [commitment_item(c, ctx.tz, ctx.now, with_owner) for c in rows[:LIST_LIMIT]]
    reply = Reply(title=title, sections=[Section(None, items, empty=empty)])
    if len(rows) > LIST_LIMIT:
        reply.text = f"Showing the first {LIST_LIMIT} of {len(rows)}."
    return reply


@command(
    "commit",
    usage='commit "What" by:<date>',
    examples=('commit "Deliver 500 leaflets" by:friday effort:3h',
              'commit @bob "Book the hall" by:2026-12-01'),
    options=("by", "effort"),
)
def commit(ctx: Context, args: Args) -> Reply:
    """Log who does what by when: yourself, or (coordinators) someone else with @name.

    by: takes a date (`2026-12-01`, `friday`, `in 2 weeks`), read in your time zone.
    effort: is the hours it will take (`3h`, `90m`); it counts towards `load`."""
    me = ctx.require_member()
    owner = ctx.find_member(args.take_mention()) if args.peek_mention() else me
    title = args.take_text("commitment")
    args.finish()
    if "by" not in args.options:
        raise UserError("Say by when, like `by:friday` or `by:2026-12-01`.")
    if owner.id != me.id and me.role is not Role.COORDINATOR:
        raise UserError(
            "Only coordinators can log a commitment for someone else.",
            f'Ask {owner.person.display_name} to type `commit "{title[:40]}" by:{args.options["by"]}`.',
        )
    if owner.role is Role.OBSERVER:
        raise UserError(f"{owner.person.display_name} is an observer; make them a member first.")
    effort = parse_hours(args.options["effort"], "effort") if "effort" in args.options else None
    c = Commitment(
        partnership_id=owner.partnership_id,
        owner_id=owner.id,
        title=title,
        due_at=parse_due(args.options["by"], ctx.tz, ctx.now),
        effort_hours=effort,
        created_by_id=ctx.person.id,
        created_at=ctx.now,
    )
    ctx.session.add(c)
    ctx.session.flush()
    ctx.record("commit", f"#{c.id} {title} — {member_label(owner)}", subject_id=c.id)
    item = commitment_item(c, ctx.tz, ctx.now)
    return Reply(title="New commitment", text=item.text, actions=list(item.actions), audience=Audience.CHANNEL)


@command("done", usage="done <number>", examples=("done 12",))
def done(ctx: Context, args: Args) -> Reply:
    """Mark a commitment done."""
    c = find_commitment(ctx, args.take_id("commitment"))
    args.finish()
    ensure_may_change(ctx, c)
    ensure_open(ctx, c)
    c.status, c.closed_at = CommitmentStatus.DONE, ctx.now
    ctx.record("done", f"#{c.id} {c.title} — done", subject_id=c.id)
    return Reply(text=f"Done: #{c.id} {c.title} ({member_label(c.owner)}). Thank you!", audience=Audience.CHANNEL)


@command("drop", usage='drop <number> "reason"', examples=('drop 12 "The venue cancelled the fair"',))
def drop(ctx: Context, args: Args) -> Reply:
    """Drop a commitment that will not happen, saying why, so everyone can see."""
    c = find_commitment(ctx, args.take_id("commitment"))
    reason = args.take_text("reason for dropping it", MAX_NOTE)
    args.finish()
    ensure_may_change(ctx, c)
    ensure_open(ctx, c)
    c.status, c.closed_at, c.drop_reason = CommitmentStatus.DROPPED, ctx.now, reason
    ctx.record("drop", f"#{c.id} {c.title} — dropped", subject_id=c.id, reason=reason)
    return Reply(text=f"Dropped #{c.id} {c.title}: {reason}", audience=Audience.CHANNEL)


@command("reassign", usage="reassign <number> @name", examples=("reassign 12 @carol",))
def reassign(ctx: Context, args: Args) -> Reply:
    """Hand a commitment to another member: your own, or anyone's if you coordinate."""
    c = find_commitment(ctx, args.take_id("commitment"))
    new_owner = ctx.find_member(args.take_mention("who takes it over"))
    args.finish()
    ensure_may_change(ctx, c)
    ensure_open(ctx, c)
    if new_owner.id == c.owner_id:
        raise UserError(f"#{c.id} is already {new_owner.person.display_name}'s.")
    if new_owner.role is Role.OBSERVER:
        raise UserError(f"{new_owner.person.display_name} is an observer; make them a member first.")
    old = c.owner
    c.owner_id = new_owner.id
    c.owner = new_owner
    ctx.record("reassign", f"#{c.id} {c.title}: {member_label(old)} -> {member_label(new_owner)}", subject_id=c.id)
    return Reply(text=f"#{c.id} {c.title} now belongs to {member_label(new_owner)} (was {old.person.display_name}).",
                 audience=Audience.CHANNEL)


@command("who", usage="who [words]", examples=("who leaflets", "who"), access=Access.READ, changes=False)
def who(ctx: Context, args: Args) -> Reply:
    """Who is responsible for what: open commitments matching your words, or all of them by person."""
    partnership = ctx.require_partnership()
    words = [t.text for t in args.words]
    args.words.clear()
    if not words:
        rows = ctx.session.scalars(open_commitments(partnership.id)).all()
        by_owner: dict[int, list[Commitment]] = {}
        for c in rows:
            by_owner.setdefault(c.owner_id, []).append(c)
        sections = [
            Section(member_label(cs[0].owner), [commitment_item(c, ctx.tz, ctx.now, False) for c in cs])
            for cs in by_owner.values()
        ]
        return Reply(title=f"Who does what in {partnership.name}", sections=sections or [
            Section(None, [], empty='No open commitments. Log one: `commit "What" by:friday`.')],
            more="narrow it down by a word of the title, like `who leaflets`, or by person: `commitments @name`")
    if len(words) > MAX_SEARCH_WORDS or sum(map(len, words)) > MAX_SEARCH:
        raise UserError(f"That search is {plural(len(words), 'word')} long; search by a few words "
                        f"(up to {MAX_SEARCH_WORDS}), like `who leaflets`.")
    query = select(Commitment).where(Commitment.partnership_id == partnership.id)
    for word in words:
        query = query.where(Commitment.title.icontains(word[:100], autoescape=True))
    rows = ctx.session.scalars(query.order_by(OPEN_FIRST, Commitment.due_at).limit(LIST_LIMIT + 1)).all()
    phrase = " ".join(words)
    shown = phrase if len(phrase) <= 60 else phrase[:57] + "..."
    return listing(ctx, f"Who: {shown}", list(rows), f"No commitment mentions \"{shown}\". Type `who` to see them all.")


@command("mine", usage="mine", access=Access.ANYONE, changes=False)
def mine(ctx: Context, args: Args) -> Reply:
    """Your open commitments in every partnership you are in here, soonest first."""
    args.finish()
    memberships = {m.id: m.partnership for m in queries.memberships(ctx.session, ctx.person.id)}
    rows = ctx.session.scalars(
        select(Commitment)
        .where(Commitment.owner_id.in_(memberships), Commitment.status == CommitmentStatus.OPEN)
        .order_by(Commitment.due_at)
    ).all()
    grouped: dict[int, list[Commitment]] = {}
    for c in rows:
        grouped.setdefault(c.partnership_id, []).append(c)
    names = {p.id: p.name for p in memberships.values()}
    sections = [Section(names[pid], [commitment_item(c, ctx.tz, ctx.now, False) for c in cs])
                for pid, cs in grouped.items()]
    return Reply(title="Your commitments", sections=sections or [
        Section(None, [], empty="You have no open commitments.")])


@command("commitments", usage="commitments @name", examples=("commitments @bob",), access=Access.READ, changes=False)
def commitments_of(ctx: Context, args: Args) -> Reply:
    """One member's commitments: open ones first, then what they finished lately."""
    member = ctx.find_member(args.take_mention("whose commitments"))
    args.finish()
    rows = ctx.session.scalars(
        select(Commitment).where(Commitment.owner_id == member.id)
        .order_by(OPEN_FIRST, Commitment.closed_at.desc(), Commitment.due_at).limit(LIST_LIMIT + 1)
    ).all()
    return listing(ctx, f"Commitments of {member_label(member)}", list(rows),
                   f"{member.person.display_name} has no commitments yet.", with_owner=False)


@command("overdue", usage="overdue", access=Access.READ, changes=False)
def overdue(ctx: Context, args: Args) -> Reply:
    """Open commitments past their due date, most overdue first."""
    args.finish()
    partnership = ctx.require_partnership()
    rows = ctx.session.scalars(open_commitments(partnership.id).where(Commitment.due_at < ctx.now)).all()
    return listing(ctx, f"Overdue in {partnership.name}", list(rows), "Nothing is overdue.")
