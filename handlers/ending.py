"""Ending: winding a partnership up, and what becomes of the work still open then.

A wind-up strands no promise silently. With work still open, the coordinator is shown it
and asked, in the same one-line command, what becomes of it: `open:keep` keeps it as
closing tasks (their owners still finish, drop or hand them on, while nothing new starts),
`open:drop` drops it with the wind-up's reason, and `open:hand-on to:"Organisation"` hands
it to an organisation outside the partnership. Until they say, nothing is wound up.
`hand on` hands one commitment on, at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from handlers.commitments import (
    change,
    ensure_answered,
    ensure_may_change,
    ensure_open,
    find_commitment,
    handover_key,
    open_commitments,
    still_open,
    tell_closed,
)
from handlers.context import Context
from handlers.describe import due_said, member_label
from handlers.errors import UserError
from handlers.meetings.poll import call_off_ahead
from handlers.parsing import MAX_NOTE, Args, check_text, choose, quote
from handlers.registry import command
from handlers.reply import Audience, Item, Reply, Section, plural
from handlers.unanswered import back_to_giver, tell_asked
from storage import queries
from storage.models import (
    Commitment,
    CommitmentStatus,
    Concern,
    ConcernStatus,
    Decision,
    DecisionStatus,
    Meeting,
    Partnership,
    Role,
)
from storage.nudges import withdraw

KEEP, DROP, HAND_ON = "keep", "drop", "hand-on"
FATES = [KEEP, DROP, HAND_ON]
# The options a wind-up takes: what becomes of the open work, and who it is handed on to.
OPEN, TO = "open", "to"
OPTIONS = (OPEN, TO)
MAX_ORGANISATION = 120
EXAMPLE_ORGANISATION = '"Millbrook Library"'
# The reason given to what a wind-up drops or hands on: the wind-up's own, after this.
AT_WIND_UP = "At the wind-up: "
# The longest reason the question quotes back in each answer, so the answers stay short lines.
QUOTED_BACK = 200
TYPE_OVER = '"why"'
# Open work listed by number in a reply; the rest counted, for `who` to list.
LISTED = 20


@dataclass(frozen=True)
class Fate:
    """What becomes of the work still open at a wind-up: kept, dropped, or handed on `to` someone."""

    choice: str
    to: str | None = None


def fate_of(options: dict[str, str]) -> Fate | None:
    """The coordinator's `open:` (with `to:`), checked; None when they have not said."""
    to = check_text(options[TO], "organisation", MAX_ORGANISATION) if TO in options else None
    if OPEN not in options:
        if to is not None:
            raise UserError("`to:` names who takes the open work on.", f"Add `open:hand-on to:{quote(to)}`.")
        return None
    choice = choose(options[OPEN], FATES, "choice for the open work")
    if choice == HAND_ON and to is None:
        raise UserError("Say which organisation takes the open work on.",
                        f"Add it, like `open:hand-on to:{EXAMPLE_ORGANISATION}`.")
    if choice != HAND_ON and to is not None:
        raise UserError(f"`to:` is for handing the open work on, not for `open:{choice}`.",
                        f"Type `open:hand-on to:{quote(to)}`, or leave out `to:`.")
    return Fate(choice, to)


def open_work(ctx: Context) -> list[Commitment]:
    return open_commitments(ctx.session, ctx.require_partnership().id)


def line(ctx: Context, c: Commitment, due: bool = True) -> Item:
    """`#3 Open the warm space — Bob (Chamber of Trade) · due Tue 16 Feb`."""
    return Item(f"#{c.number} {c.title} — {member_label(c.owner)}"
                + (f" · due {due_said(c, ctx.now)}" if due else ""))


def listed(ctx: Context, heading: str, rows: list[Commitment], due: bool = True) -> Section:
    items = [line(ctx, c, due) for c in rows[:LISTED]]
    if len(rows) > LISTED:
        items.append(Item(f"and {len(rows) - LISTED} more: `who` lists them all"))
    return Section(heading, items)


def ask(ctx: Context, fate: Fate | None, wind_up: str, decided: str) -> Reply | None:
    """With work still open and no word of what becomes of it, the question, changing nothing:
    the open work, and the exact commands that answer it, each the wind-up command (`wind_up`)
    with its reason quoted back, or `"why"` to type over when the reason is too long to repeat."""
    work = open_work(ctx)
    if not work or fate is not None:
        return None
    typed = f"{wind_up} {quote(decided) if len(decided) <= QUOTED_BACK else TYPE_OVER}"
    p = ctx.require_partnership()
    first = work[0].number
    # No buttons: each answer carries the reason, which a Slack button would ask to type again.
    return Reply(
        title=f"Before {p.name} winds up: {plural(len(work), 'open commitment')}",
        text=" ".join(filter(None, ["Nothing is wound up yet. Say what becomes of the open work: type the same "
                                    "command with one of these at the end.", concerns_left(open_concerns(ctx))])),
        sections=[
            listed(ctx, "Still open", work),
            Section("What becomes of it", [
                Item(f"`{typed} open:keep`: kept as closing tasks; their owners still finish or drop them, and "
                     "nothing new starts"),
                Item(f"`{typed} open:drop`: dropped, with your reason"),
                Item(f"`{typed} open:hand-on to:{EXAMPLE_ORGANISATION}`: handed on to an organisation outside "
                     "the partnership, by name"),
                Item(f'Or settle some first, one by one: `done {first}`, `drop {first} "why"`, '
                     f"`hand on {first} to:{EXAMPLE_ORGANISATION}`, `reassign {first} @name`"),
            ]),
        ],
    )


def let_go(ctx: Context, c: Commitment, reason: str | None, to: str | None = None) -> None:
    """Drop an open commitment, or hand it on `to` an organisation outside the partnership: a
    conditional update, so it ends once however many act at once; a waiting handover goes too."""
    still, back, unanswered = back_to_giver(ctx.session, c, ctx.now)
    change(ctx, c, still_open(), *still, status=CommitmentStatus.DROPPED, closed_at=ctx.now, drop_reason=reason,
           handed_to=to, **back)
    if back:  # back with its giver: the owner read before is not the owner now
        ctx.session.refresh(c, ["owner"])
    did, why = f"handed on to {to}" if to else "dropped", f' ("{reason}")' if reason else ""
    tell_asked(ctx.session, c, unanswered, f"was {did} by {ctx.person.display_name}{why}", ctx.now, ctx.person.id)
    # What a wind-up closed is not reopened alone: the partnership is reopened first.
    tell_closed(ctx, c, did + why, reopens=reason is None or not reason.startswith(AT_WIND_UP))
    withdraw(ctx.session, c.partnership_id, handover_key(c),
             f"#{c.number} was handed on to {to}" if to else f"#{c.number} was dropped",
             ctx.now)
    if to is not None:
        ctx.record("hand-on", f"handed #{c.number} {c.title} on to {to}", subject=c, reason=reason)
    else:
        ctx.record("drop", f"dropped #{c.number} {c.title}", subject=c, reason=reason)


def open_concerns(ctx: Context) -> list[int]:
    """The numbers of the concerns still open, which a wind-up leaves open for a coordinator to resolve."""
    return list(ctx.session.scalars(select(Concern.number).where(
        Concern.partnership_id == ctx.require_partnership().id, Concern.status == ConcernStatus.OPEN)
        .order_by(Concern.number)))


def numbered(numbers: list[int]) -> str:
    """`#2, #5 and 3 more`: the first few of a list, for a sentence."""
    more = f" and {len(numbers) - LISTED} more" if len(numbers) > LISTED else ""
    return ", ".join(f"#{n}" for n in numbers[:LISTED]) + more


def concerns_left(numbers: list[int]) -> str:
    """`Its open concerns (#2, #5) stay open: a coordinator can still resolve them (...)`; empty with none."""
    if not numbers:
        return ""
    one = len(numbers) == 1
    return (f"Its open {'concern' if one else 'concerns'} ({numbered(numbers)}) {'stays' if one else 'stay'} open: a coordinator "
            f'can still record what was agreed (`resolve {numbers[0]} "what was agreed"`).')


def proposals_paused(numbers: list[int]) -> str:
    """`Its open proposals (#1, #3) are paused: ...`; empty with none."""
    if not numbers:
        return ""
    one = len(numbers) == 1
    return (f"Its open {'proposal' if one else 'proposals'} ({numbered(numbers)}) {'is' if one else 'are'} paused: decided only "
            "if it reopens, with the time left now.")


@dataclass(frozen=True)
class Settled:
    """What became of the work open at a wind-up, and the concerns it left open."""

    fate: Fate | None
    work: list[Commitment]
    concerns: list[int]
    meetings: list[Meeting]
    proposals: list[int]  # the numbers of those paused, decided only if it reopens

    @property
    def summary(self) -> str:
        """`kept 2 open commitments as closing tasks`, for the event log and the reply."""
        meetings = f"; called off {plural(len(self.meetings), 'meeting')} to come" if self.meetings else ""
        if not self.work or self.fate is None:
            return "nothing was open" + meetings
        n = plural(len(self.work), "open commitment")
        return {KEEP: f"kept {n} as closing tasks", DROP: f"dropped {n}",
                HAND_ON: f"handed {n} on to {self.fate.to}"}[self.fate.choice] + meetings

    def sections(self, ctx: Context) -> list[Section]:
        called_off = [Section(f"Meetings called off ({len(self.meetings)})",
                              [Item(f"{m.number}. {m.title}") for m in self.meetings])] if self.meetings else []
        if not self.work or self.fate is None:
            return called_off
        heading = {KEEP: "Closing tasks", DROP: "Dropped", HAND_ON: f"Handed on to {self.fate.to}"}[self.fate.choice]
        return [listed(ctx, f"{heading} ({len(self.work)})", self.work, due=self.fate.choice == KEEP), *called_off]

    def next_steps(self) -> str:
        left = " ".join(filter(None, [concerns_left(self.concerns), proposals_paused(self.proposals)]))
        if self.fate is None or self.fate.choice != KEEP or not self.work:
            return " ".join(filter(None, ["Nothing new can start in it.", left]))
        first = self.work[0].number
        return " ".join(filter(None, [
            f"Nothing new can start in it; its closing tasks can still be finished (`done {first}`), "
            f'dropped (`drop {first} "why"`) or handed on, and then their owners can `leave`.', left]))


def wind_up(ctx: Context, decided: str, fate: Fate | None) -> Settled:
    """Wind the partnership up: the open work kept, dropped or handed on as the coordinator said
    (`ask` first: with work open, `fate` is given), its meetings to come called off, then no
    review is due and it is read-only."""
    p = ctx.require_partnership()
    work = open_work(ctx)
    assert fate is not None or not work, "ask what becomes of open work before winding up"
    if fate is not None and fate.choice != KEEP:
        for c in work:
            let_go(ctx, c, f"{AT_WIND_UP}{decided}", fate.to)
    p.closed_at, p.next_review_on = ctx.now, None
    called_off = call_off_ahead(ctx.session, p.id, ctx.now, ctx.person.id, f"{AT_WIND_UP}{decided}")
    paused = list(ctx.session.scalars(select(Decision.number).where(
        Decision.partnership_id == p.id, Decision.status == DecisionStatus.OPEN, Decision.closes_at > ctx.now)
        .order_by(Decision.number)))
    return Settled(fate, work, open_concerns(ctx), called_off, paused)


def at_wind_up(ctx: Context, p: Partnership) -> list[Commitment]:
    """What the wind-up itself dropped or handed on: closed at its very moment, with its reason."""
    if p.closed_at is None:
        return []
    return list(ctx.session.scalars(select(Commitment).where(
        Commitment.partnership_id == p.id, Commitment.status == CommitmentStatus.DROPPED,
        Commitment.closed_at == p.closed_at, Commitment.drop_reason.startswith(AT_WIND_UP, autoescape=True))
        .order_by(Commitment.number)))


def ensure_outside(ctx: Context, c: Commitment, to: str) -> None:
    """Refuse to hand work on to someone in the partnership: it would leave the partnership's
    work with nobody asked. A member's organisation counts too while the partnership runs; once
    it is over, a partner organisation may carry a closing task on outside it."""
    members = [m for m in queries.active_members(ctx.session, c.partnership_id) if m.role is not Role.OBSERVER]
    person = ctx.matching(to.removeprefix("@"), members)
    partner = [] if person or ctx.over else [m for m in members if (m.organisation or "").casefold() == to.casefold()]
    if not person and not partner:
        return
    named = (person or partner)[0]
    name = named.person.display_name
    who = name if person else f"{to} is {name}'s organisation, and {name}"
    said = f"{who} is a member here; `hand on` is for an organisation outside the partnership."
    if named.id == c.owner_id:
        raise UserError(said, f"#{c.number} is {name}'s already; to hand it to another member: "
                              f"`reassign {c.number} @name`.")
    raise UserError(said, f"To hand #{c.number} to {name}, who is asked to accept it: "
                          f"`reassign {c.number} @{named.person.user_id}`.")


@command(
    "hand on",
    usage='hand on <number> to:"Organisation" ["why"]',
    examples=('hand on 12 to:"Millbrook Library"',
              'hand on 12 to:"Millbrook Library" "They run the warm space from January"'),
    options=(TO,),
    after_end=True,
)
def hand_on(ctx: Context, args: Args) -> Reply:
    """Hand a commitment on to an organisation outside the partnership (its owner or a coordinator).

    It leaves the partnership's work, as `drop` would, and the record names who took it on:
    `who`, `history`, the exports and the public page. It works in a wound-up partnership
    too, for its closing tasks; `reopen commitment 12 "why"` takes it back."""
    c = find_commitment(ctx, args.take_id("commitment"))
    why = args.optional_text("why", MAX_NOTE)
    args.finish()
    if TO not in args.options:
        raise UserError(f"Say who takes #{c.number} on.", f"Type `hand on {c.number} to:{EXAMPLE_ORGANISATION}`.")
    to = check_text(args.options[TO], "organisation", MAX_ORGANISATION)
    ensure_may_change(ctx, c)
    ensure_open(ctx, c)
    ensure_answered(ctx, c)
    ensure_outside(ctx, c, to)
    let_go(ctx, c, why, to)
    return Reply(text=f"#{c.number} {c.title} is handed on to {to}" + (f": {why}" if why else "")
                 + f". It is no longer the partnership's to do; `reopen commitment {c.number} \"why\"` takes it back.",
                 audience=Audience.CHANNEL)
