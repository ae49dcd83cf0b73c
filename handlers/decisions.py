"""Decisions: proposals settled by consensus or by vote, with the outcome and its reasons recorded.

Consensus (participatory) passes unless someone blocks; a vote (representational) needs a
quorum of the members to respond and a share of yes. Either way the outcome says what each
perspective (professional experts, local users...) thought, so a split is seen, not buried.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.context import Context, zone
from handlers.dates import end_of_day, show_due, show_moment
from handlers.describe import member_label
from handlers.errors import UserError
from handlers.meetings.record import meeting_day, taken_at
from handlers.parsing import MAX_NOTE, Args, check_text, choose
from handlers.recheck import Asked, about, rechecks
from handlers.registry import Access, command
from handlers.reply import Action, Audience, Item, Reply, Section, plural
from storage import queries
from storage.models import (
    CONSENSUS_POSITIONS,
    VOTE_POSITIONS,
    ChannelLink,
    Decision,
    DecisionMode,
    DecisionResponse,
    DecisionStatus,
    Interest,
    Meeting,
    Member,
    Partnership,
    Position,
    Role,
)
from storage.nudges import DueNudge, Waiting

log = logging.getLogger(__name__)

MODES = [m.value for m in DecisionMode]
DEFAULT_OPEN_DAYS = 7
DEFAULT_QUORUM = 50
# Members who have not responded hear of it this long before it closes.
REMIND_BEFORE = timedelta(hours=24)
# A decision closed by the sweep is announced if its announcement is still owed this long after.
ANNOUNCE_WITHIN = timedelta(days=3)
RECENT = timedelta(days=30)
# The perspective of members who gave none, in the tally by perspective.
UNTAGGED = "no perspective given"
# The order tallies read in.
ORDER = [Position.AGREE, Position.YES, Position.DISAGREE, Position.NO, Position.BLOCK, Position.ABSTAIN]


def closing(d: Decision, now: datetime) -> bool:
    """Past its closing time and not yet settled: it takes no more responses, and the next
    sweep records and announces its outcome. Every surface shows it so, never as open."""
    return d.status is DecisionStatus.OPEN and d.closes_at <= now


def closed_unsettled(d: Decision, p: Partnership, tz: ZoneInfo, now: datetime) -> str:
    """`closed Tue 8 Dec, outcome being recorded`, from the record alone, for a decision that is `closing`.

    A wound-up or ended partnership's decisions wait for it to reopen (see `nudges`)."""
    after = "outcome recorded if the partnership reopens" if p.over(now.astimezone(tz).date()) \
        else "outcome being recorded"
    return f"closed {show_moment(d.closes_at, tz, now)}, {after}"


def find_decision(ctx: Context, decision_id: int) -> Decision:
    return ctx.find_row(Decision, decision_id, "decision", "decisions")


def percent(value: str, what: str, lowest: int) -> int:
    text = value.strip().removesuffix("%")
    if not text.isdigit() or not lowest <= int(text) <= 100:
        raise UserError(f"{what} is a percent from {lowest} to 100, like `{what}:60%`, not `{value[:20]}`.")
    return int(text)


def rules(d: Decision) -> str:
    """How this decision is settled, in a sentence."""
    quorum = f", with at least {d.quorum}% of the members responding" if d.quorum else ""
    if d.mode is DecisionMode.CONSENSUS:
        return f"By consensus: it passes unless someone blocks{quorum}"
    need = f"at least {d.threshold}% yes among yes and no" if d.threshold else "more yes than no"
    return f"By vote: it passes with {need}{quorum}"


def response_actions(d: Decision) -> tuple[Action, ...]:
    """Buttons (or hints) for responding; those needing a reason open a form on Slack."""
    if d.mode is DecisionMode.CONSENSUS:
        return (Action("Agree", f"agree {d.number}", primary=True), Action("Disagree...", f'disagree {d.number} "..."'),
                Action("Block...", f'block {d.number} "..."'), Action("Abstain", f"abstain {d.number}"))
    return (Action("Yes", f"vote {d.number} yes"), Action("No", f"vote {d.number} no"),
            Action("Abstain", f"vote {d.number} abstain"))


def may_respond(ctx: Context) -> bool:
    """Whether the reader can respond at all (a member, not an observer), so a listing offers
    them no buttons that would be refused."""
    member = ctx.member
    return member is not None and member.role is not Role.OBSERVER


def how_to_respond(d: Decision) -> str:
    if d.mode is DecisionMode.CONSENSUS:
        return f'Respond with `agree {d.number}`, `disagree {d.number} "why"`, `block {d.number} "why"` or `abstain {d.number}`.'
    return f"Vote with `vote {d.number} yes`, `vote {d.number} no` or `vote {d.number} abstain`."


def tally(positions: Iterable[Position]) -> str:
    counts = Counter(positions)
    return ", ".join(f"{counts[p]} {p.value}" for p in ORDER if counts[p]) or "no responses"


def why_not_counted(d: Decision, m: Member, latecomers: bool, left_out: frozenset[int] = frozenset()) -> str | None:
    """Why a member's response does not count towards a decision (None when it does): only
    members still in and not observers decide it, not those `left_out` for an interest they
    declared in it (see `interested`), and (unless the partnership counts
    `latecomers`) only those who were in when it opened."""
    if not m.active:
        return "has left"
    if m.role is Role.OBSERVER:
        return "an observer"
    if m.id in left_out:
        return "declared an interest"
    if not latecomers and m.joined_at > d.created_at:
        return "joined after it opened"
    return None


@dataclass(frozen=True)
class Count:
    """A decision's electorate and its responses, split into those that count and those that don't."""

    entitled: list[Member]
    counted: list[DecisionResponse]
    not_counted: list[tuple[DecisionResponse, str]]
    # Members left out for an interest they declared in it, whether or not they responded.
    declared: list[Member] = field(default_factory=list)

    @property
    def waiting(self) -> list[Member]:
        """Entitled members who have not responded."""
        answered = {r.member_id for r in self.counted}
        return [m for m in self.entitled if m.id not in answered]


def count_responses(session: Session, d: Decision) -> Count:
    """Who is entitled to decide `d` now, and which of its responses count."""
    members = queries.active_members(session, d.partnership_id)
    responses = responses_to(session, [d.id])
    latecomers, left_out = counts_latecomers(session, d), interested(session, d)
    return Count([m for m in members if why_not_counted(d, m, latecomers, left_out) is None],
                 [r for r in responses if why_not_counted(d, r.member, latecomers, left_out) is None],
                 [(r, why) for r in responses if (why := why_not_counted(d, r.member, latecomers, left_out))],
                 [m for m in members if m.id in left_out])


def counts_latecomers(session: Session, d: Decision) -> bool:
    partnership = session.get(Partnership, d.partnership_id)
    return partnership is not None and partnership.count_latecomers


def interested(session: Session, d: Decision) -> frozenset[int]:
    """The members who declared an interest in `d` (`interest 4 "..."`), where the partnership leaves
    them out of the count (`partnership edit interests:exclude`); otherwise nobody."""
    partnership = session.get(Partnership, d.partnership_id)
    if partnership is None or not partnership.interests_excluded:
        return frozenset()
    return frozenset(session.scalars(select(Interest.member_id).where(Interest.decision_id == d.id,
                                                                      Interest.withdrawn_at.is_(None))))


# Working out the outcome.

def leaning(mode: DecisionMode, counts: Counter[Position]) -> str | None:
    """Where one group came down; None when it only abstained."""
    if mode is DecisionMode.CONSENSUS:
        if counts[Position.BLOCK]:
            return "block"
        yes, no = counts[Position.AGREE], counts[Position.DISAGREE]
    else:
        yes, no = counts[Position.YES], counts[Position.NO]
    if not yes and not no:
        return None
    return "for" if yes > no else "against" if no > yes else "split"


def by_perspective(mode: DecisionMode, responses: list[DecisionResponse]) -> str | None:
    """Each perspective's tally, and whether the groups came down the same way; None when nobody
    who responded gave a perspective."""
    groups: dict[str, Counter[Position]] = {}
    for r in responses:
        groups.setdefault(r.member.perspective or UNTAGGED, Counter())[r.position] += 1
    if set(groups) <= {UNTAGGED}:
        return None
    # Members who gave no perspective are a group of their own, listed last.
    parts = "; ".join(f"{name}: {tally(counts.elements())}"
                      for name, counts in sorted(groups.items(), key=lambda group: (group[0] == UNTAGGED, group[0])))
    if len(groups) == 1:
        return f"By perspective: {parts} (only one perspective responded)."
    leanings = {lean for counts in groups.values() if (lean := leaning(mode, counts))}
    agreed = len(leanings) <= 1 and "split" not in leanings
    return f"By perspective: {parts} — the groups {'agree' if agreed else 'disagree'}."


def work_out(d: Decision, count: Count) -> tuple[DecisionStatus, list[str]]:
    """The outcome of a decision from the responses that count, with the reasons that decided it."""
    responses, eligible = count.counted, len(count.entitled)
    counts = Counter(r.position for r in responses)
    lines = [f"Responses: {tally(counts.elements())} ({len(responses)} of {plural(eligible, 'member')})."]
    turnout = 100 * len(responses) / eligible if eligible else 0
    short_of_quorum = d.quorum is not None and turnout < d.quorum
    if short_of_quorum:
        lines.append(f"Turnout {round(turnout)}% is below the quorum of {d.quorum}%.")
    if d.mode is DecisionMode.CONSENSUS:
        blocks = [r for r in responses if r.position is Position.BLOCK]
        lines += [f"Blocked by {member_label(r.member)}: {r.reason}" for r in blocks]
        lines += [f"Disagreement recorded from {member_label(r.member)}" + (f": {r.reason}" if r.reason else ".")
                  for r in responses if r.position is Position.DISAGREE]
        if not responses:
            lines.append("Nobody responded, so there is no consensus.")
        passed = not blocks and not short_of_quorum and bool(responses)
    else:
        yes, no = counts[Position.YES], counts[Position.NO]
        if d.threshold:
            share = 100 * yes / (yes + no) if yes + no else 0
            won = yes + no > 0 and share >= d.threshold
            lines.append(f"Yes was {round(share)}% of yes and no; it needed {d.threshold}%.")
        else:
            won = yes > no
        passed = won and not short_of_quorum
        lines += [f"{member_label(r.member)}, {r.position.value}: {r.reason}" for r in responses if r.reason]
    split = by_perspective(d.mode, responses)
    if split:
        lines.append(split)
    lines.append("Counted: " + (", ".join(r.member.person.display_name for r in responses) or "nobody")
                 + (f"; did not respond: {', '.join(m.person.display_name for m in count.waiting)}"
                    if count.waiting else "") + ".")
    if count.not_counted:
        lines.append("Not counted: " + ", ".join(f"{r.member.person.display_name} ({why})"
                                                 for r, why in count.not_counted) + ".")
    responded = {r.member_id for r, _ in count.not_counted}
    silent = [m.person.display_name for m in count.declared if m.id not in responded]
    if silent:
        lines.append(f"Declared an interest, so not counted: {', '.join(silent)}.")
    return (DecisionStatus.PASSED if passed else DecisionStatus.FAILED), lines


def settle(session: Session, d: Decision, now: datetime, by: int | None, note: str | None = None) -> str | None:
    """Close a decision with its outcome (and `note`, say why it closed early) and log it;
    None if someone else closed it first.

    The decision's row is locked before its responses are read, so a response arriving at
    the same moment is either counted or refused as too late, and two sweeps (or a sweep
    and a coordinator) never both close it."""
    locked = queries.lock(session, Decision, d.id)
    if locked is None or locked.status is not DecisionStatus.OPEN:
        return None
    status, lines = work_out(d, count_responses(session, d))
    if note:
        lines.insert(1, note)
    d.status, d.outcome, d.closed_at, d.closed_by_id = status, "\n".join(lines), now, by
    session.flush()
    queries.record_event(session, d.partnership_id, by, "decision-close", f"closed #{d.number} {d.title}: {status.value}",
                         now, subject=d, reason=d.outcome)
    return announcement(d)


def announcement(d: Decision) -> str:
    return f"Decision #{d.number} {d.title}: {d.status.value.upper()}.\n{d.outcome}"


# Commands.

@command(
    "propose",
    usage='propose "What to decide" mode:consensus|vote closes:<date>',
    examples=('propose "Adopt the market plan" mode:consensus closes:friday',
              'propose "Move meetings to Thursdays" mode:vote quorum:50% threshold:60% closes:"in 2 weeks"'),
    options=("mode", "closes", "quorum", "threshold", "details"),
)
def propose(ctx: Context, args: Args) -> Reply:
    """Put a proposal to the partnership, to settle by consensus or by vote.

    mode:consensus (the default) passes unless someone blocks; mode:vote passes with more
    yes than no, or with threshold:60% yes among yes and no. quorum:50% is the share of
    members who must respond (votes default to 50%). closes: is a date in your time zone
    (default a week away); details:"..." says more."""
    member = ctx.require_member()
    title = args.take_text("proposal")
    args.finish()
    options = args.options
    mode = DecisionMode(choose(options.get("mode", "consensus"), MODES, "decision mode"))
    if mode is DecisionMode.CONSENSUS and "threshold" in options:
        raise UserError("A consensus has no threshold: it passes unless someone blocks.",
                        f'For a vote, type `propose "{title[:40]}" mode:vote threshold:{options["threshold"]}`.')
    quorum = percent(options["quorum"], "quorum", 0) if "quorum" in options else None
    if quorum is None and mode is DecisionMode.VOTE:
        quorum = DEFAULT_QUORUM
    if "closes" in options:
        closes = ctx.due(options["closes"])
    else:
        closes = end_of_day(ctx.now.astimezone(ctx.tz).date() + timedelta(days=DEFAULT_OPEN_DAYS), ctx.tz)
    d = Decision(
        partnership_id=member.partnership_id, number=ctx.number(Decision), proposer_id=member.id, title=title,
        mode=mode, quorum=quorum,
        threshold=percent(options["threshold"], "threshold", 1) if "threshold" in options else None,
        details=check_text(options["details"], "details", MAX_NOTE) if "details" in options else None,
        closes_at=closes, created_at=ctx.now,
    )
    ctx.session.add(d)
    ctx.session.flush()
    said = rules(d)
    ctx.record("propose", f"proposed #{d.number} {title}, {said[0].lower()}{said[1:]}", subject=d, reason=d.details)
    text = f"{rules(d)}. Closes {show_due(closes, ctx.tz, ctx.now)}. {how_to_respond(d)}"
    return Reply(title=f"Proposal #{d.number}: {title}, from {member_label(member)}",
                 text=text if d.details is None else f"{d.details}\n{text}",
                 actions=list(response_actions(d)), audience=Audience.CHANNEL)


def respond(ctx: Context, decision_id: int, position: Position, args: Args) -> Reply:
    """Record (or change) the acting member's position on a decision; the same one again changes nothing."""
    d = find_decision(ctx, decision_id)
    reason = args.optional_text("reason", MAX_NOTE)
    args.finish()
    member = ctx.require_member()
    ensure_open(ctx, d)
    if position not in (CONSENSUS_POSITIONS if d.mode is DecisionMode.CONSENSUS else VOTE_POSITIONS):
        raise UserError(f"#{d.number} is decided by {d.mode.value}, so `{position.value}` doesn't apply.", how_to_respond(d))
    if position is Position.BLOCK and reason is None:
        raise UserError("A block stops the decision, so it needs a reason everyone can read.",
                        f'Type `block {d.number} "why it cannot go ahead"`.')
    current = ctx.session.scalar(
        select(DecisionResponse).where(DecisionResponse.decision_id == d.id, DecisionResponse.member_id == member.id)
    )
    was = ""
    if current is None:
        ctx.session.add(DecisionResponse(decision_id=d.id, partnership_id=d.partnership_id, member_id=member.id,
                                         position=position, reason=reason, responded_at=ctx.now))
    elif current.position is position and reason in (None, current.reason):
        # The same response again (without a reason, the one recorded stands): nothing to record.
        return Reply(text=f"You already responded {position.value} on #{d.number} {d.title}; nothing changed.")
    else:
        was = (f" (was {current.position.value})" if current.position is not position
               else " (reason updated)" if current.reason else " (reason added)")
        current.position, current.reason, current.responded_at = position, reason, ctx.now
    ctx.session.flush()
    ctx.record("respond", f"answered {position.value}{was} on #{d.number} {d.title}",
               subject=d, reason=reason)
    count = count_responses(ctx.session, d)
    text = f"{member_label(member)}: {position.value}{was} on #{d.number} {d.title}" + (f" — {reason}" if reason else "")
    why = why_not_counted(d, member, counts_latecomers(ctx.session, d), interested(ctx.session, d))
    if why:
        text += f"\nRecorded, but not counted: you {why}."
    return Reply(text=f"{text}\nSo far: {tally(r.position for r in count.counted)}; "
                      f"{len(count.waiting)} still to respond.", audience=Audience.CHANNEL)


def ensure_unsettled(ctx: Context, d: Decision) -> None:
    """Refuse to touch a settled decision: once announced, it never changes."""
    if d.status is not DecisionStatus.OPEN:
        settled = "was already withdrawn" if d.status is DecisionStatus.WITHDRAWN else f"already {d.status.value}"
        when = f" on {show_moment(d.closed_at, ctx.tz, ctx.now)}" if d.closed_at else ""
        raise UserError(f"#{d.number} {d.title} {settled}{when}, and a settled decision doesn't change.",
                        f"Type `decision {d.number}` to see why; propose it again if things have moved on.")


def ensure_open(ctx: Context, d: Decision) -> None:
    """Refuse a response (or a withdrawal) once a decision is settled or past its closing time."""
    ensure_unsettled(ctx, d)
    if closing(d, ctx.now):
        raise UserError(f"#{d.number} {d.title} {closed_unsettled(d, ctx.require_partnership(), ctx.tz, ctx.now)}.",
                        f"Type `decision {d.number}` to see the responses.")


def responses_to(session: Session, decision_ids: list[int]) -> list[DecisionResponse]:
    if not decision_ids:
        return []
    return list(session.scalars(select(DecisionResponse).where(DecisionResponse.decision_id.in_(decision_ids))
                                .order_by(DecisionResponse.responded_at, DecisionResponse.id)))


@command("agree", usage="agree <number>", examples=("agree 3", 'agree 3 "Good for the market traders"'))
def agree(ctx: Context, args: Args) -> Reply:
    """Agree with a proposal decided by consensus, optionally saying why."""
    return respond(ctx, args.take_id("decision"), Position.AGREE, args)


@command("disagree", usage='disagree <number> "why"', examples=('disagree 3 "The costs are not clear yet"',))
def disagree(ctx: Context, args: Args) -> Reply:
    """Disagree with a consensus proposal without stopping it; your disagreement is recorded."""
    return respond(ctx, args.take_id("decision"), Position.DISAGREE, args)


@command("block", usage='block <number> "why"', examples=('block 3 "It breaks our agreement with the council"',))
def block(ctx: Context, args: Args) -> Reply:
    """Block a consensus proposal: it fails while your block stands. A block needs a reason."""
    return respond(ctx, args.take_id("decision"), Position.BLOCK, args)


@command("abstain", usage="abstain <number>", examples=("abstain 3",))
def abstain(ctx: Context, args: Args) -> Reply:
    """Stand aside on a proposal (consensus or vote): you count as having responded."""
    return respond(ctx, args.take_id("decision"), Position.ABSTAIN, args)


@command("vote", usage="vote <number> yes|no|abstain", examples=("vote 4 yes", 'vote 4 no "Too soon"'))
def vote(ctx: Context, args: Args) -> Reply:
    """Vote on a proposal decided by vote; vote again to change your mind before it closes."""
    decision_id = args.take_id("decision")
    choices = [p.value for p in VOTE_POSITIONS]
    position = Position(args.take_word("vote", choices))
    if args.words and not args.words[0].quoted and args.words[0].text.lower() in choices:
        # `vote 4 yes yes` is a slip, not a reason: recording "yes" as why would mislead.
        raise UserError(f"`{args.words[0].text}` after `{position.value}` reads as a second vote; vote once.",
                        f'Type `vote {decision_id} {position.value}`, with any reason in quotes: '
                        f'`vote {decision_id} {position.value} "why"`.')
    return respond(ctx, decision_id, position, args)


@command("withdraw", usage="withdraw <number>", examples=("withdraw 3", 'withdraw 3 "We need the costs first"'))
def withdraw(ctx: Context, args: Args) -> Reply:
    """Withdraw an open proposal: its proposer or a coordinator."""
    d = find_decision(ctx, args.take_id("decision"))
    reason = args.optional_text("reason", MAX_NOTE)
    args.finish()
    member = ctx.require_member()
    if d.proposer_id != member.id and not ctx.is_coordinator():
        raise UserError(f"Only {d.proposer.person.display_name}, who proposed #{d.number}, or a coordinator can withdraw it.")
    ensure_open(ctx, d)
    d.status, d.closed_at, d.closed_by_id = DecisionStatus.WITHDRAWN, ctx.now, ctx.person.id
    d.outcome = f"Withdrawn by {member_label(member)}" + (f": {reason}" if reason else ".")
    ctx.record("decision-withdraw", f"withdrew #{d.number} {d.title}", subject=d, reason=reason)
    return Reply(text=f"Proposal #{d.number} {d.title} is withdrawn. {d.outcome}", audience=Audience.CHANNEL)


@command("close", usage='close <number> "why now"', examples=("close 3", 'close 3 "The council needs an answer today"'),
         access=Access.COORDINATOR)
def close(ctx: Context, args: Args) -> Reply:
    """Close a decision now and announce the outcome (coordinators).

    Closing before its date while anyone entitled has not responded needs a reason, which
    is announced with the outcome."""
    d = find_decision(ctx, args.take_id("decision"))
    reason = args.optional_text("reason", MAX_NOTE)
    args.finish()
    ensure_unsettled(ctx, d)
    note = None
    if d.closes_at > ctx.now:
        waiting = count_responses(ctx.session, d).waiting
        if waiting and reason is None:
            names = ", ".join(m.person.display_name for m in waiting[:10]) + (" and others" if len(waiting) > 10 else "")
            raise UserError(f"#{d.number} is open until {show_due(d.closes_at, ctx.tz, ctx.now)} and "
                            f"{plural(len(waiting), 'member')} entitled to respond {'has' if len(waiting) == 1 else 'have'}"
                            f" not yet ({names}). Closing early needs a reason everyone can read.",
                            f'Type `close {d.number} "why it cannot wait"`.')
        note = f"Closed early by {member_label(ctx.require_member())}" + (f": {reason}" if reason else ".")
    text = settle(ctx.session, d, ctx.now, ctx.person.id, note)
    if text is None:
        raise UserError(f"#{d.number} was closed a moment ago.", f"Type `decision {d.number}` to see the outcome.")
    return Reply(text=text, audience=Audience.CHANNEL)


def decision_item(ctx: Context, d: Decision, responded: int, taken: Meeting | None = None) -> Item:
    if closing(d, ctx.now):
        return Item(f"#{d.number} {d.title} · {d.mode.value} · "
                    f"{closed_unsettled(d, ctx.require_partnership(), ctx.tz, ctx.now)} · {responded} responded")
    if d.status is DecisionStatus.OPEN:
        return Item(f"#{d.number} {d.title} · {d.mode.value} · closes {show_due(d.closes_at, ctx.tz, ctx.now)} · "
                    f"{responded} responded", response_actions(d) if may_respond(ctx) else ())
    when = show_moment(d.closed_at or d.closes_at, ctx.tz, ctx.now)
    at = f" · taken at the meeting of {meeting_day(taken, ctx.tz, ctx.now)}" if taken is not None else ""
    return Item(f"#{d.number} {d.title} · {d.status.value} {when}{at}")


@command("decisions", usage="decisions", access=Access.READ, aliases=("proposals",), changes=False)
def decisions(ctx: Context, args: Args) -> Reply:
    """Open proposals, and decisions settled in the last 30 days."""
    args.finish()
    partnership = ctx.require_partnership()
    rows = list(ctx.session.scalars(
        select(Decision).where(Decision.partnership_id == partnership.id,
                               (Decision.status == DecisionStatus.OPEN) | (Decision.closed_at >= ctx.now - RECENT))
        .order_by(Decision.closes_at, Decision.id)))
    counts = Counter(r.decision_id for r in responses_to(ctx.session, [d.id for d in rows]))
    still_open = [decision_item(ctx, d, counts[d.id]) for d in rows
                  if d.status is DecisionStatus.OPEN and not closing(d, ctx.now)]
    closed = [decision_item(ctx, d, counts[d.id]) for d in rows if closing(d, ctx.now)]
    taken = taken_at(ctx.session, [d.id for d in rows if d.status is not DecisionStatus.OPEN])
    settled = [decision_item(ctx, d, counts[d.id], taken.get(d.id)) for d in reversed(rows)
               if d.status is not DecisionStatus.OPEN]
    sections = [Section("Open", still_open, empty='None open. Propose one: `propose "What to decide" closes:friday`.')]
    if closed:
        sections.append(Section("Closed, outcome to come", closed))
    sections.append(Section("Settled lately", settled, empty="None in the last 30 days."))
    return Reply(title=f"Decisions in {partnership.name}", sections=sections)


@command("decision", usage="decision <number>", examples=("decision 3",), access=Access.READ, changes=False)
def decision(ctx: Context, args: Args) -> Reply:
    """One decision: its rules, who responded how (and why), who hasn't, and the outcome."""
    d = find_decision(ctx, args.take_id("decision"))
    args.finish()
    responses = responses_to(ctx.session, [d.id])
    latecomers, left_out = counts_latecomers(ctx.session, d), interested(ctx.session, d)
    fields = [("Proposed by", f"{member_label(d.proposer)}, {show_moment(d.created_at, ctx.tz, ctx.now)}")]
    if closing(d, ctx.now):
        fields.append(("Status", closed_unsettled(d, ctx.require_partnership(), ctx.tz, ctx.now)))
        waiting = [Item(member_label(m)) for m in count_responses(ctx.session, d).waiting]
        sections = [Section("Did not respond", waiting, empty="Everyone entitled responded.")]
    elif d.status is DecisionStatus.OPEN:
        fields.append(("Closes", show_due(d.closes_at, ctx.tz, ctx.now)))
        waiting = [Item(member_label(m)) for m in count_responses(ctx.session, d).waiting]
        sections = [Section("Not responded yet", waiting, empty="Everyone entitled has responded.")]
    else:
        fields.append(("Status", f"{d.status.value}, {show_moment(d.closed_at or d.closes_at, ctx.tz, ctx.now)}"))
        sections = [Section("Outcome", [Item(line) for line in (d.outcome or "").splitlines()])]
    items = [Item(f"{member_label(r.member)} · {r.position.value}" + (f" — {r.reason}" if r.reason else "")
                  + (f" (not counted: {why})"
                     if d.status is DecisionStatus.OPEN and (why := why_not_counted(d, r.member, latecomers, left_out))
                     else ""))
             for r in responses]
    reply = Reply(title=f"Decision #{d.number}: {d.title}", text="\n".join(filter(None, [d.details, rules(d) + "."])),
                  fields=fields, sections=[Section("Responses", items, empty="No responses yet."), *sections])
    if d.status is DecisionStatus.OPEN and not closing(d, ctx.now) and may_respond(ctx):
        reply.actions = list(response_actions(d))
    return reply


# The sweep: reminders, and closing what is due, for every partnership in a fixed number of queries.

def nudges(session: Session, now: datetime) -> list[DueNudge]:
    """Reminders to members who have not responded, and the outcome of decisions past closing."""
    # A wound-up or ended partnership's decisions wait, unsettled and unannounced, for it to reopen.
    live = select(Partnership.id).where(~Partnership.over(now.date()))
    open_rows = list(session.scalars(select(Decision).where(Decision.status == DecisionStatus.OPEN,
                                                            Decision.partnership_id.in_(live))))
    partnership_ids = {d.partnership_id for d in open_rows}
    people: dict[int, list[Member]] = {}
    for m in session.scalars(select(Member).where(Member.partnership_id.in_(partnership_ids),
                                                  Member.left_at.is_(None), Member.role != Role.OBSERVER)):
        people.setdefault(m.partnership_id, []).append(m)
    by_decision: dict[int, list[DecisionResponse]] = {}
    for r in responses_to(session, [d.id for d in open_rows]):
        by_decision.setdefault(r.decision_id, []).append(r)
    due: list[DueNudge] = []
    for d in open_rows:
        members, responses = people.get(d.partnership_id, []), by_decision.get(d.id, [])
        if d.closes_at <= now:
            settle(session, d, now, None)
        elif d.closes_at - REMIND_BEFORE <= now and d.closes_at - d.created_at > REMIND_BEFORE:
            answered = {r.member_id for r in responses}
            due += [reminder(d, m, now) for m in members if m.id not in answered]
    closed = list(session.scalars(select(Decision).where(
        Decision.status.in_([DecisionStatus.PASSED, DecisionStatus.FAILED]), Decision.closed_by_id.is_(None),
        Decision.closed_at >= now - ANNOUNCE_WITHIN, Decision.partnership_id.in_(live))))
    homes = home_channels(session, {d.partnership_id for d in closed})
    due += [DueNudge(f"decision-closed:d{d.id}", d.partnership_id, "decision-closed", announcement(d),
                     channel=homes[d.partnership_id]) for d in closed if d.partnership_id in homes]
    return due


def asked_about(asked: Asked) -> dict[int, tuple[Decision, set[int]]]:
    """The decisions the nudges name, and who has responded to each."""
    ids = asked.named("d")
    found = {d.id: (d, set()) for d in asked.session.scalars(select(Decision).where(Decision.id.in_(ids)))}
    for r in responses_to(asked.session, list(found)):
        found[r.decision_id][1].add(r.member_id)
    return found


@rechecks("decision-remind", "decision-closed")
def decision_holds(asked: Asked, row: Waiting) -> str | None:
    """A reminder: the proposal still open and not yet closing, its recipient still without a
    response. An outcome: the proposal still settled as announced."""
    d, responded = asked.read(asked_about).get(about(row.key, "d") or 0, (None, set()))
    if d is None:
        return "the proposal is gone"
    if row.kind == "decision-closed":
        settled = d.status in (DecisionStatus.PASSED, DecisionStatus.FAILED)
        return None if settled else f"proposal #{d.number} is {d.status.value} now"
    if d.status is not DecisionStatus.OPEN or d.closes_at <= asked.now:
        return f"proposal #{d.number} has closed"
    m = asked.recipient(row)
    if m is not None and m.id in responded:
        return f"{m.person.display_name} has responded to proposal #{d.number}"
    if m is not None and m.role is Role.OBSERVER:
        return f"{m.person.display_name} is an observer now"
    return None


def reminder(d: Decision, m: Member, now: datetime) -> DueNudge:
    closes = show_due(d.closes_at, zone(m.person.timezone), now)
    return DueNudge(f"decision-remind:d{d.id}:p{m.person_id}", d.partnership_id, "decision-remind",
                    f"Proposal #{d.number} {d.title} closes {closes} and you haven't responded yet. {how_to_respond(d)}",
                    person_id=m.person_id)


def home_channels(session: Session, partnership_ids: set[int]) -> dict[int, str]:
    """Each partnership's home channel (its first linked one), in one query."""
    homes: dict[int, str] = {}
    for link in session.scalars(select(ChannelLink).where(ChannelLink.partnership_id.in_(partnership_ids))
                                .order_by(ChannelLink.id)):
        homes.setdefault(link.partnership_id, link.channel)
    return homes
