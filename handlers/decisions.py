"""Decisions: proposals settled by consensus or by vote, with the outcome and its reasons recorded.

Consensus (participatory) passes unless someone blocks; a vote (representational) needs a
quorum of the members to respond and a share of yes. Either way the outcome says what each
perspective (professional experts, local users...) thought, so a split is seen, not buried.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from handlers import accounts
from handlers.context import Context, zone
from handlers.dates import end_of_day, show_day, show_due, show_moment
from handlers.describe import member_label
from handlers.email import announcements
from handlers.errors import UserError
from handlers.judgements import runoff
from handlers.meetings.record import meeting_day, taken_at
from handlers.parsing import MAX_NOTE, Args, check_text, choose
from handlers.recheck import Asked, about, day_in, not_coordinating, rechecks
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
    Event,
    Interest,
    Meeting,
    Member,
    Partnership,
    Position,
    Proxy,
    Role,
)
from storage.nudges import DueNudge, Waiting

log = logging.getLogger(__name__)

MODES = [m.value for m in DecisionMode]
# A ranked choice's options: how many, and how long each.
MIN_OPTIONS, MAX_OPTIONS, MAX_OPTION = 2, 10, 80
RESULTS = ["shown", "hidden"]
# The responses each kind of decision takes.
ALLOWED = {DecisionMode.CONSENSUS: CONSENSUS_POSITIONS, DecisionMode.VOTE: VOTE_POSITIONS,
           DecisionMode.RANKED: (Position.RANKED, Position.ABSTAIN)}
DEFAULT_OPEN_DAYS = 7
DEFAULT_QUORUM = 50
# A decision closed by the sweep is announced if its announcement is still owed this long after.
ANNOUNCE_WITHIN = timedelta(days=3)
RECENT = timedelta(days=30)
# The log's action for a response changed on a hidden ballot (see `hidden_changes`).
CHANGED = "respond-change"
# A decision's review reminder not sent within this of its day (the bot was down) is not sent late.
REVIEW_LATE = timedelta(days=7)
# The perspective of members who gave none, in the tally by perspective.
UNTAGGED = "no perspective given"
# The order tallies read in.
ORDER = [Position.AGREE, Position.YES, Position.DISAGREE, Position.NO, Position.BLOCK, Position.RANKED,
         Position.ABSTAIN]


def closing(d: Decision, now: datetime) -> bool:
    """Past its closing time and not yet settled: it takes no more responses, and the next
    sweep records and announces its outcome. Every surface shows it so, never as open."""
    return d.status is DecisionStatus.OPEN and d.closes_at <= now


def has_closed(d: Decision, now: datetime) -> bool:
    """Settled, or past its closing time (`closing`): its count is done, with the interests and
    proxies standing then, so nothing given or taken back now changes it."""
    return d.status is not DecisionStatus.OPEN or d.closes_at <= now


def proposer_zone(d: Decision) -> ZoneInfo:
    """The zone a proposal's close is a day in: its proposer's, who set it, as a due date is its
    owner's day; the chat says it so, the agenda too, and the page says the zone with the time."""
    return zone(d.proposer.person.timezone)


def closed_moment(d: Decision) -> datetime:
    """When it stopped taking responses: its closing time, or earlier when closed early or
    withdrawn; not when the sweep got round to recording its outcome. Settled ones are dated and ordered by it."""
    return min(d.closed_at, d.closes_at) if d.closed_at else d.closes_at


def as_closed(d: Decision, now: datetime) -> datetime | None:
    """The moment a decision past its closing time is counted at (see `count_responses`); None
    while it still takes responses, counted as things stand."""
    return d.closes_at if d.closes_at <= now else None


def closed_unsettled(d: Decision, p: Partnership, tz: ZoneInfo, now: datetime) -> str:
    """`closed Tue 8 Dec, outcome being recorded`, from the record alone, for a decision that is `closing`.

    A wound-up or ended partnership's decisions wait for it to reopen (see `nudges`)."""
    after = "outcome recorded if the partnership reopens" if p.over(now) \
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
    unseen = "; how each member responded stays hidden until it closes" if d.results_hidden else ""
    if d.mode is DecisionMode.CONSENSUS:
        return f"By consensus: it passes unless someone blocks{quorum}{unseen}"
    if d.mode is DecisionMode.RANKED:
        return f"By ranked choice among {', '.join(options_of(d))}{quorum}{unseen}. {runoff.METHOD}"
    need = f"at least {d.threshold}% yes among yes and no" if d.threshold else "more yes than no"
    return f"By vote: it passes with {need}{quorum}{unseen}"


def options_of(d: Decision) -> list[str]:
    """A ranked choice's options, in the order proposed."""
    return list(json.loads(d.options)) if d.options else []


def read_options(text: str) -> str:
    """`options:"Lights, Benches, Planters"` as the JSON the decision keeps, or a clear refusal."""
    options = [" ".join(o.split()) for o in text.split(",") if o.strip()]
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise UserError(f"A ranked choice has {MIN_OPTIONS} to {MAX_OPTIONS} options, separated by commas; "
                        f"that is {len(options)}.", 'Type `options:"Lights, Benches, Planters"`.')
    for option in options:
        check_text(option, "option", MAX_OPTION)
    if len({o.casefold() for o in options}) < len(options):
        raise UserError("Two options have the same name; give each its own.", 'Type `options:"Lights, Benches"`.')
    return json.dumps(options)


def read_ranking(d: Decision, text: str) -> list[int]:
    """`Benches, Lights` as the options' places, most wanted first; options left out are ranked below all."""
    options = options_of(d)
    places = {o.casefold(): n for n, o in enumerate(options)}
    ranking: list[int] = []
    for word in (" ".join(w.split()) for w in text.split(",") if w.strip()):
        place = places.get(word.casefold())
        if place is None:
            raise UserError(f"`{word[:40]}` isn't an option of #{d.number}. Its options: {', '.join(options)}.",
                            f"Type `rank {d.number} {', '.join(options)}`, most wanted first.")
        if place in ranking:
            raise UserError(f"{options[place]} is ranked twice; rank each option once.",
                            f"Type `rank {d.number} {', '.join(options)}`, most wanted first.")
        ranking.append(place)
    if not ranking:
        raise UserError("Say how you rank the options.", f"Type `rank {d.number} {', '.join(options)}`, most wanted first.")
    return ranking


# A hidden ballot's results stay unseen while it is open, and for good once withdrawn: it never closed.
UNSEEN = (DecisionStatus.OPEN, DecisionStatus.WITHDRAWN)


def hidden(d: Decision) -> bool:
    """Whether its results (tallies, who said what) are unseen by everyone, coordinators too:
    asked for when it opened (`results:hidden`), and it was not settled by its count. Every
    surface that shows responses asks this."""
    return d.results_hidden and d.status in UNSEEN


def hidden_changes() -> ColumnElement[bool]:
    """The log's lines saying someone changed a response on a ballot still `hidden`: the history
    leaves them out, as a second `responded` would tell that a vote changed."""
    return (Event.action == CHANGED) & Event.subject_id.in_(
        select(Decision.id).where(Decision.results_hidden, Decision.status.in_(UNSEEN)))


def response_actions(d: Decision) -> tuple[Action, ...]:
    """Buttons (or hints) for responding; those needing a reason open a form on Slack."""
    if d.mode is DecisionMode.RANKED:
        return (Action("Rank...", f'rank {d.number} "..."', primary=True),)
    if d.mode is DecisionMode.CONSENSUS:
        return (Action("Agree", f"agree {d.number}", primary=True), Action("Disagree...", f'disagree {d.number} "..."'),
                Action("Block...", f'block {d.number} "..."'), Action("Abstain", f"abstain {d.number}"))
    return (Action("Yes", f"vote {d.number} yes"), Action("No", f"vote {d.number} no"),
            Action("Abstain", f"vote {d.number} abstain"))


def may_respond(ctx: Context) -> bool:
    """Whether the reader can respond at all (a member, not an observer, in a partnership not
    wound up or ended, where decisions wait), so a listing offers them no buttons that would be refused."""
    member = ctx.member
    return member is not None and member.role is not Role.OBSERVER and not ctx.over


def how_to_respond(d: Decision) -> str:
    if d.mode is DecisionMode.RANKED:
        return f"Rank the options with `rank {d.number} {', '.join(options_of(d))}`, most wanted first."
    if d.mode is DecisionMode.CONSENSUS:
        return f'Respond with `agree {d.number}`, `disagree {d.number} "why"`, `block {d.number} "why"` or `abstain {d.number}`.'
    return f"Vote with `vote {d.number} yes`, `vote {d.number} no` or `vote {d.number} abstain`."


def tally(positions: Iterable[Position]) -> str:
    counts = Counter(positions)
    return ", ".join(f"{counts[p]} {p.value}" for p in ORDER if counts[p]) or "no responses"


def why_not_counted(d: Decision, m: Member, latecomers: bool, left_out: AbstractSet[int] = frozenset(),
                    at: datetime | None = None) -> str | None:
    """Why a member's response does not count towards a decision (None when it does): only
    members still in (at `at`, its closing, once it has closed) and not observers decide it,
    not those `left_out` for an interest they declared in it (see `interested`), and (unless
    the partnership counts `latecomers`) only those who were in when it opened."""
    if m.left_at is not None and (at is None or m.left_at <= at):
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
    # Every interest standing in it, counted or not: the outcome lists them.
    interests: list[Interest] = field(default_factory=list)

    @property
    def waiting(self) -> list[Member]:
        """Entitled members who have not responded."""
        answered = {r.member_id for r in self.counted}
        return [m for m in self.entitled if m.id not in answered]


def count_responses(session: Session, d: Decision, members: list[Member] | None = None,
                    at: datetime | None = None) -> Count:
    """Who is entitled to decide `d` now, and which of its responses count; `members`, the
    partnership's active ones, when the caller counts several decisions and has read them once.

    Once it has closed, `at` its closing moment (`as_closed`): it is counted as things stood
    then, so a member leaving or a proxy withdrawn before the sweep records the outcome changes nothing."""
    if at is not None:
        members = queries.members_at(session, d.partnership_id, at)
    elif members is None:
        members = queries.active_members(session, d.partnership_id)
    responses = responses_to(session, [d.id])
    interests = declared_interests(session, d)
    latecomers, left_out = counts_latecomers(session, d), interested(session, d, interests)
    proxies = proxies_on(session, d.partnership_id, [d.id], [r for r in responses if r.cast_by_id is not None])

    def why(r: DecisionResponse) -> str | None:
        return why_not_counted(d, r.member, latecomers, left_out, at) or proxy_lapsed(r, proxies, at)

    return Count([m for m in members if why_not_counted(d, m, latecomers, left_out, at) is None],
                 [r for r in responses if why(r) is None],
                 [(r, reason) for r in responses if (reason := why(r))],
                 [m for m in members if m.id in left_out], interests)


@dataclass(frozen=True)
class Counted:
    """A decision's responses as they count, split, and how many could respond: the figures every
    surface (the chat, the public page, decisions.csv) gives."""

    responses: list[DecisionResponse]  # all of them, in the order given
    counted: list[DecisionResponse]
    entitled: int

    @property
    def not_counted(self) -> list[DecisionResponse]:
        return [r for r in self.responses if r not in self.counted]


def electorate(d: Decision, ever: list[Member], latecomers: bool, left_out: set[int]) -> set[int]:
    """Who could decide `d` when it closed: the members then (`queries.member_at`) whose response
    would count (`why_not_counted`, as it closed). For a decision closed before its count was recorded."""
    closed = closed_moment(d)
    return {m.id for m in ever
            if queries.member_at(m, closed) and why_not_counted(d, m, latecomers, left_out, closed) is None}


def as_counted(session: Session, p: Partnership, decisions: list[Decision], now: datetime,
               ever: list[Member] | None = None) -> dict[int, Counted]:
    """Each decision's responses as they count: an open one's as `count_responses` counts them (at
    its closing, once past it); a closed one's as `settle` recorded them with its outcome, or, for one
    closed without that record (settled before 0036, or withdrawn), as things stood when it closed.
    Closed ones in a fixed number of queries; `ever`, the partnership's members ever, if already read."""
    found: dict[int, Counted] = {}
    still_open = [d for d in decisions if d.status is DecisionStatus.OPEN]
    members = queries.active_members(session, p.id) if still_open else []
    for d in still_open:
        count = count_responses(session, d, members, as_closed(d, now))
        given = sorted([*count.counted, *(r for r, _ in count.not_counted)], key=lambda r: (r.responded_at, r.id))
        found[d.id] = Counted(given, count.counted, len(count.entitled))
    closed = [d for d in decisions if d.status is not DecisionStatus.OPEN]
    if not closed:
        return found
    by_decision: dict[int, list[DecisionResponse]] = {d.id: [] for d in closed}
    for r in responses_to(session, list(by_decision)):
        by_decision[r.decision_id].append(r)
    unrecorded = [d for d in closed if d.entitled is None]
    proxies = proxies_on(session, p.id, [d.id for d in unrecorded],
                         [r for d in unrecorded for r in by_decision[d.id] if r.cast_by_id is not None])
    left_out: dict[int, set[int]] = {d.id: set() for d in unrecorded}
    if p.interests_excluded and unrecorded:
        for decision_id, member_id in session.execute(select(Interest.decision_id, Interest.member_id).where(
                Interest.decision_id.in_(list(left_out)), Interest.withdrawn_at.is_(None))):
            left_out[decision_id].add(member_id)
    if unrecorded and ever is None:
        ever = queries.members_ever(session, p.id)
    for d in closed:
        responses = by_decision[d.id]
        if d.entitled is not None:
            counts, entitled = [r for r in responses if r.counted], d.entitled
        else:
            could = electorate(d, ever or [], p.count_latecomers, left_out[d.id])
            counts = [r for r in responses if r.member_id in could and not proxy_lapsed(r, proxies, closed_moment(d))]
            entitled = len(could)
        found[d.id] = Counted(responses, counts, entitled)
    return found


def proxies_on(session: Session, partnership_id: int, decision_ids: list[int],
               cast: list[DecisionResponse]) -> list[Proxy]:
    """Every proxy, withdrawn ones too, that could have let someone cast the responses `cast`
    on `decision_ids`: theirs on one of them, or dated; none read when nothing was cast by proxy."""
    if not cast:
        return []
    return list(session.scalars(select(Proxy).where(
        Proxy.partnership_id == partnership_id, Proxy.giver_id.in_({r.member_id for r in cast}),
        Proxy.decision_id.in_(decision_ids) | Proxy.decision_id.is_(None))))


def proxy_lapsed(r: DecisionResponse, proxies: Iterable[Proxy], at: datetime | None) -> str | None:
    """Why a response cast by proxy does not count at `at` (None: as things stand now), or None
    when it does or is the member's own: it stands only while the member's proxy on its decision
    is still the one who cast it, and they still take part (not left, not an observer)."""
    if r.cast_by_id is None or r.cast_by is None:
        return None
    standing = [p for p in proxies if p.giver_id == r.member_id and p.decision_id in (r.decision_id, None)
                and (p.withdrawn_at is None if at is None
                     else p.created_at <= at and (p.withdrawn_at is None or p.withdrawn_at > at))]
    # One on the decision itself comes before a dated one, as `standing_proxy` chooses.
    proxy = min(standing, key=lambda p: p.decision_id is None, default=None)
    name = r.cast_by.display_name
    if proxy is None or proxy.holder.person_id != r.cast_by_id:
        return f"cast by {name}, whose proxy no longer stands"
    if proxy.holder.left_at is not None and (at is None or proxy.holder.left_at <= at):
        return f"cast by {name}, who has left"
    if proxy.holder.role is Role.OBSERVER:
        return f"cast by {name}, now an observer"
    return None


def uncounted(session: Session, d: Decision, member: Member) -> str | None:
    """Why `member` is not counted on `d` (`joined after it opened`...), or None when they are."""
    return why_not_counted(d, member, counts_latecomers(session, d), interested(session, d))


def counts_latecomers(session: Session, d: Decision) -> bool:
    partnership = session.get(Partnership, d.partnership_id)
    return partnership is not None and partnership.count_latecomers


def declared_interests(session: Session, d: Decision) -> list[Interest]:
    """The interests declared in `d` (`interest 4 "..."`) and not withdrawn, in the order declared."""
    return list(session.scalars(select(Interest).where(Interest.decision_id == d.id, Interest.withdrawn_at.is_(None))
                                .order_by(Interest.number)))


def interested(session: Session, d: Decision, interests: list[Interest] | None = None) -> frozenset[int]:
    """The members who declared an interest in `d`, where the partnership leaves them out of
    the count (`partnership edit interests:exclude`); otherwise nobody."""
    partnership = session.get(Partnership, d.partnership_id)
    if partnership is None or not partnership.interests_excluded:
        return frozenset()
    return frozenset(i.member_id for i in (declared_interests(session, d) if interests is None else interests))


def interest_lines(interests: list[Interest]) -> str | None:
    """`Interests declared: Bob (Chamber of Trade): "I own the cafe".`, shown with the outcome."""
    if not interests:
        return None
    return "Interests declared: " + "; ".join(f'{member_label(i.member)}: "{i.text}"' for i in interests) + "."


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
        lines += [f"Blocked by {responder(r, member_label)}: {r.reason}" for r in blocks]
        lines += [f"Disagreement recorded from {responder(r, member_label)}" + (f": {r.reason}" if r.reason else ".")
                  for r in responses if r.position is Position.DISAGREE]
        if not responses:
            lines.append("Nobody responded, so there is no consensus.")
        passed = not blocks and not short_of_quorum and bool(responses)
    elif d.mode is DecisionMode.RANKED:
        options = options_of(d)
        result = runoff.count(len(options), [json.loads(r.ranking) for r in responses if r.ranking])
        lines.append(runoff.METHOD + ".")
        lines += [f"Round {n}: " + ", ".join(f"{options[o]} {votes}" for o, votes in sorted(
            round_.counts.items(), key=lambda item: (-item[1], item[0])))
                  + (f"; {options[round_.dropped]} dropped." if round_.dropped is not None else ".")
                  for n, round_ in enumerate(result.rounds, 1)]
        lines.append(f"Chosen: {options[result.winner]}." if result.winner is not None
                     else "No option was ranked, so none is chosen.")
        passed = result.winner is not None and not short_of_quorum
    else:
        yes, no = counts[Position.YES], counts[Position.NO]
        if d.threshold:
            share = 100 * yes / (yes + no) if yes + no else 0
            won = yes + no > 0 and share >= d.threshold
            lines.append(f"Yes was {round(share)}% of yes and no; it needed {d.threshold}%.")
        else:
            won = yes > no
        passed = won and not short_of_quorum
        lines += [f"{responder(r, member_label)}, {r.position.value}: {r.reason}" for r in responses if r.reason]
    split = by_perspective(d.mode, responses) if d.mode is not DecisionMode.RANKED else None
    if split:
        lines.append(split)
    lines.append("Counted: " + (", ".join(responder(r) for r in responses) or "nobody")
                 + (f"; did not respond: {', '.join(m.person.display_name for m in count.waiting)}"
                    if count.waiting else "") + ".")
    if count.not_counted:
        lines.append("Not counted: " + ", ".join(f"{r.member.person.display_name} ({why})"
                                                 for r, why in count.not_counted) + ".")
    responded = {r.member_id for r, _ in count.not_counted}
    silent = [m.person.display_name for m in count.declared if m.id not in responded]
    if silent:
        lines.append(f"Declared an interest, so not counted: {', '.join(silent)}.")
    if declared := interest_lines(count.interests):
        lines.append(declared)
    return (DecisionStatus.PASSED if passed else DecisionStatus.FAILED), lines


def responder(r: DecisionResponse, name: Callable[[Member], str] = lambda m: m.person.display_name) -> str:
    """`Gwen`, or `Bob for Gwen` when her proxy responded for her: every surface says so."""
    return f"{r.cast_by.display_name} for {name(r.member)}" if r.cast_by is not None else name(r.member)


def settle(session: Session, d: Decision, now: datetime, by: int | None, note: str | None = None) -> str | None:
    """Close a decision with its outcome (and `note`, say why it closed early) and log it;
    None if someone else closed it first.

    The decision's row is locked before its responses are read, so a response arriving at
    the same moment is either counted or refused as too late, and two sweeps (or a sweep
    and a coordinator) never both close it."""
    locked = queries.lock(session, Decision, d.id)
    if locked is None or locked.status is not DecisionStatus.OPEN:
        return None
    count = count_responses(session, d, at=min(now, d.closes_at))
    status, lines = work_out(d, count)
    if note:
        lines.insert(1, note)
    # Recorded while it is still open (a settled decision's responses never change), for the surfaces showing it later.
    session.execute(update(DecisionResponse).where(DecisionResponse.decision_id == d.id)
                    .values(counted=DecisionResponse.id.in_([r.id for r in count.counted])))
    d.entitled = len(count.entitled)
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
    usage='propose "What to decide" mode:consensus|vote|ranked closes:<date>',
    examples=('propose "Adopt the market plan" mode:consensus closes:friday',
              'propose "Move meetings to Thursdays" mode:vote quorum:50% threshold:60% closes:"in 2 weeks"',
              'propose "Choose the festival caterer" mode:vote results:hidden closes:friday',
              'propose "Which project first?" mode:ranked options:"Lights, Benches, Planters"'),
    options=("mode", "closes", "quorum", "threshold", "details", "results", "options"),
)
def propose(ctx: Context, args: Args) -> Reply:
    """Put a proposal to the partnership, to settle by consensus or by vote.

    mode:consensus (the default) passes unless someone blocks; mode:vote passes with more
    yes than no, or with threshold:60% yes among yes and no; mode:ranked options:"A, B, C"
    lets each member rank the options, counted by instant-runoff. quorum:50% is the share of
    members who must respond (votes default to 50%). closes: is a date in your time zone
    (default a week away); details:"..." says more; results:hidden keeps how each member
    responded unseen by everyone, coordinators too, until it closes."""
    member = ctx.require_member()
    title = args.take_text("proposal")
    args.finish()
    options = args.options
    mode = DecisionMode(choose(options.get("mode", "consensus"), MODES, "decision mode"))
    if mode is DecisionMode.CONSENSUS and "threshold" in options:
        raise UserError("A consensus has no threshold: it passes unless someone blocks.",
                        f'For a vote, type `propose "{title[:40]}" mode:vote threshold:{options["threshold"]}`.')
    if mode is DecisionMode.RANKED and "threshold" in options:
        raise UserError("A ranked choice has no threshold: the option with more than half of the rankings wins.",
                        f'Type `propose "{title[:40]}" mode:ranked options:"..."`.')
    if (mode is DecisionMode.RANKED) != ("options" in options):
        raise UserError("Options go with a ranked choice, and a ranked choice needs them." if mode is
                        DecisionMode.RANKED or "options" not in options else
                        "Options are for a ranked choice (`mode:ranked`).",
                        f'Type `propose "{title[:40]}" mode:ranked options:"Lights, Benches, Planters"`.')
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
        results_hidden=choose(options.get("results", "shown"), RESULTS, "results setting") == "hidden",
        options=read_options(options["options"]) if mode is DecisionMode.RANKED else None,
    )
    ctx.session.add(d)
    ctx.session.flush()
    said = rules(d)
    ctx.record("propose", f"proposed #{d.number} {title}, {said[0].lower()}{said[1:]}", subject=d, reason=d.details)
    text = f"{rules(d)}. Closes {show_due(closes, ctx.tz, ctx.now, True)}. {how_to_respond(d)}"
    return announcements.by_mail(ctx, Reply(
        title=f"Proposal #{d.number}: {title}, from {member_label(member)}",
        text=text if d.details is None else f"{d.details}\n{text}",
        actions=list(response_actions(d)), audience=Audience.CHANNEL, results_hidden=d.results_hidden),
        announcements.PROPOSAL, d)


def respond(ctx: Context, decision_id: int, position: Position, args: Args,
            ranked: Callable[[Decision], list[int]] | None = None) -> Reply:
    """Record (or change) the acting member's position on a decision, or with `for:@gwen` the
    position of a member who named them their proxy; the same one again changes nothing.

    The decision's row is locked first, so a proxy's response and the member's own never
    cross: the member's own always replaces the proxy's, never the reverse."""
    d = find_decision(ctx, decision_id)
    reason = args.optional_text("reason", MAX_NOTE)
    for_whom = args.options.get("for")
    args.finish()
    voter = ctx.require_member()
    ensure_open(ctx, d)
    member = proxied(ctx, d, voter, for_whom) if for_whom else voter
    by = ctx.person.id if for_whom else None
    ranking = json.dumps(ranked(d)) if ranked is not None and d.mode is DecisionMode.RANKED else None
    if position not in ALLOWED[d.mode]:
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
                                         position=position, reason=reason, responded_at=ctx.now, cast_by_id=by,
                                         ranking=ranking))
    elif by is not None and current.cast_by_id is None:
        name = member.person.display_name
        raise UserError(f"{name} responded to #{d.number} themselves, and their own response stands.",
                        f"Type `decision {d.number}` to see who has responded.")
    elif current.position is position and reason in (None, current.reason) and current.cast_by_id == by \
            and current.ranking == ranking:
        # The same response again (without a reason, the one recorded stands): nothing to record.
        said = f"for {member.person.display_name} " if by else ""
        return Reply(text=f"You already responded {position.value} {said}on #{d.number} {d.title}; nothing changed.")
    else:
        was = (f" (replacing {current.cast_by.display_name}'s for them)" if current.cast_by is not None and by is None
               else f" (was {current.position.value})" if current.position is not position
               else " (ranking replaced)" if current.ranking != ranking
               else " (reason updated)" if current.reason else " (reason added)")
        current.position, current.reason, current.responded_at, current.cast_by_id = position, reason, ctx.now, by
        current.ranking = ranking
    ctx.session.flush()
    on = f"for {member.person.display_name} " if by else ""
    if hidden(d):
        # The log is read by everyone: it says who responded, not how, nor (see `hidden_changes`) that they changed it.
        again = current is not None and current.cast_by_id == by
        ctx.record(CHANGED if again else "respond", f"{'changed their response' if again else 'responded'} "
                   f"{on}on #{d.number} {d.title} (results hidden until it closes)", subject=d)
    else:
        ctx.record("respond", f"answered {position.value}{was} {on}on #{d.number} {d.title}", subject=d, reason=reason)
    count = count_responses(ctx.session, d)
    who = f"{ctx.person.display_name} for {member_label(member)}" if by else member_label(member)
    text = f"{who}: {answer(d, position, ranking)}{was} on #{d.number} {d.title}" + (f" — {reason}" if reason else "")
    why = why_not_counted(d, member, counts_latecomers(ctx.session, d), interested(ctx.session, d))
    if why:
        text += f"\nRecorded, but not counted: {'you' if by is None else member.person.display_name} {why}."
    if by is None and (twin := accounts.twins(ctx, member)):
        text += f"\n{twin}"
    if hidden(d):
        return Reply(text=f"{text}\nOnly you see this: results are hidden until #{d.number} closes; "
                          f"{len(count.waiting)} still to respond.", results_hidden=True)
    return Reply(text=f"{text}\nSo far: {tally(r.position for r in count.counted)}; "
                      f"{len(count.waiting)} still to respond.", audience=Audience.CHANNEL)


def answer(d: Decision, position: Position, ranking: str | None) -> str:
    """`yes`, or a ranking as `Benches > Lights > Planters`."""
    if ranking is None:
        return position.value
    options = options_of(d)
    return "ranked " + " > ".join(options[o] for o in json.loads(ranking))


def proxied(ctx: Context, d: Decision, holder: Member, mention: str) -> Member:
    """The member `for:@gwen` names, who named `holder` to respond for them on `d` (or on
    every proposal until a day not yet past). Only their own word counts: a proxy cannot
    hand it on, so there are no chains."""
    if not mention.startswith("@"):
        raise UserError(f"Say whom you respond for as `for:@name`, not `for:{mention[:30]}`.")
    giver = ctx.find_member(mention[1:])
    if giver.id == holder.id:
        raise UserError("You respond for yourself without `for:`.", f"Type `vote {d.number} yes`, say.")
    if why := uncounted(ctx.session, d, giver):
        raise UserError(f"{giver.person.display_name} is not counted on #{d.number} (they {why}), so nobody can "
                        "respond for them on it.", f"Type `decision {d.number}` to see who is.")
    found = standing_proxy(ctx.session, giver, d, ctx.now.astimezone(ctx.tz).date())
    if found is None or found.holder_id != holder.id:
        raise UserError(f"{giver.person.display_name} has not named you to respond for them on #{d.number}.",
                        f"They can, with `proxy {d.number} @{holder.person.user_id}`.")
    return giver


def standing_proxy(session: Session, giver: Member, d: Decision, today: date) -> Proxy | None:
    """Whom `giver` has named to respond for them on `d`: on it alone first, else until a day."""
    found = list(session.scalars(select(Proxy).where(
        Proxy.giver_id == giver.id, Proxy.withdrawn_at.is_(None),
        (Proxy.decision_id == d.id) | (Proxy.decision_id.is_(None) & (Proxy.until >= today)))))
    return min(found, key=lambda p: p.decision_id is None, default=None)


def ensure_unsettled(ctx: Context, d: Decision) -> None:
    """Refuse to touch a settled decision: once announced, it never changes."""
    if d.status is not DecisionStatus.OPEN:
        settled = "was already withdrawn" if d.status is DecisionStatus.WITHDRAWN else f"already {d.status.value}"
        when = f" on {show_moment(closed_moment(d), ctx.tz, ctx.now)}"
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


@command("agree", usage='agree <number> ["why"]', examples=("agree 3", 'agree 3 "Good for the market traders"'), options=("for",))
def agree(ctx: Context, args: Args) -> Reply:
    """Agree with a proposal decided by consensus, optionally saying why."""
    return respond(ctx, args.take_id("decision"), Position.AGREE, args)


@command("disagree", usage='disagree <number> "why"', examples=('disagree 3 "The costs are not clear yet"',), options=("for",))
def disagree(ctx: Context, args: Args) -> Reply:
    """Disagree with a consensus proposal without stopping it; your disagreement is recorded."""
    return respond(ctx, args.take_id("decision"), Position.DISAGREE, args)


@command("block", usage='block <number> "why"', examples=('block 3 "It breaks our agreement with the council"',),
         options=("for",))
def block(ctx: Context, args: Args) -> Reply:
    """Block a consensus proposal: it fails while your block stands. A block needs a reason."""
    return respond(ctx, args.take_id("decision"), Position.BLOCK, args)


@command("abstain", usage='abstain <number> ["why"]', examples=("abstain 3",), options=("for",))
def abstain(ctx: Context, args: Args) -> Reply:
    """Stand aside on a proposal (consensus or vote): you count as having responded."""
    return respond(ctx, args.take_id("decision"), Position.ABSTAIN, args)


@command("vote", usage="vote <number> yes|no|abstain [for:@name]",
         examples=("vote 4 yes", 'vote 4 no "Too soon"', "vote 4 yes for:@gwen"), options=("for",))
def vote(ctx: Context, args: Args) -> Reply:
    """Vote on a proposal decided by vote; vote again to change your mind before it closes.

    for:@gwen votes for a member who named you their proxy (`proxy 4 @you`); it is shown as
    yours for them, and their own vote, if they cast one before it closes, replaces it."""
    decision_id = args.take_id("decision")
    choices = [p.value for p in VOTE_POSITIONS]
    position = Position(args.take_word("vote", choices))
    if args.words and not args.words[0].quoted and args.words[0].text.lower() in choices:
        # `vote 4 yes yes` is a slip, not a reason: recording "yes" as why would mislead.
        raise UserError(f"`{args.words[0].text}` after `{position.value}` reads as a second vote; vote once.",
                        f'Type `vote {decision_id} {position.value}`, with any reason in quotes: '
                        f'`vote {decision_id} {position.value} "why"`.')
    return respond(ctx, decision_id, position, args)


@command("rank", usage="rank <number> <options, most wanted first> [for:@name]",
         examples=("rank 5 Benches, Lights, Planters",), options=("for",))
def rank(ctx: Context, args: Args) -> Reply:
    """Rank the options of a ranked choice, most wanted first; rank again to replace your ranking.

    Options you leave out count below all you ranked."""
    decision_id = args.take_id("decision")
    text = args.take_text("ranking", MAX_NOTE)
    return respond(ctx, decision_id, Position.RANKED, args, lambda d: read_ranking(d, text))


@command("withdraw", usage='withdraw <number> ["why"]', examples=("withdraw 3", 'withdraw 3 "We need the costs first"'))
def withdraw(ctx: Context, args: Args) -> Reply:
    """Withdraw an open proposal: its proposer or a coordinator; or (coordinators) a decision
    recorded in a meeting's minutes by mistake, until the minutes are approved."""
    d = find_decision(ctx, args.take_id("decision"))
    reason = args.optional_text("reason", MAX_NOTE)
    args.finish()
    member = ctx.require_member()
    # Only a settled decision can have been taken at a meeting (its minutes record it settled).
    taken = taken_at(ctx.session, [d.id]).get(d.id) if d.status in (DecisionStatus.PASSED, DecisionStatus.FAILED) else None
    if taken is not None and taken.approved_at is None:
        return withdraw_from_minutes(ctx, d, taken, member, reason)
    if d.proposer_id != member.id and not ctx.is_coordinator():
        raise UserError(f"Only {d.proposer.person.display_name}, who proposed #{d.number}, or a coordinator can withdraw it.")
    ensure_open(ctx, d)
    d.status, d.closed_at, d.closed_by_id = DecisionStatus.WITHDRAWN, ctx.now, ctx.person.id
    d.outcome = f"Withdrawn by {member_label(member)}" + (f": {reason}" if reason else ".")
    ctx.record("decision-withdraw", f"withdrew #{d.number} {d.title}", subject=d, reason=reason)
    return Reply(text=f"Proposal #{d.number} {d.title} is withdrawn. {d.outcome}", audience=Audience.CHANNEL)


def withdraw_from_minutes(ctx: Context, d: Decision, m: Meeting, member: Member, reason: str | None) -> Reply:
    """Undo a decision recorded in draft minutes: kept, withdrawn, so the minutes say what happened."""
    ctx.require_coordinator()
    if not reason:
        raise UserError(f"Say why #{d.number} comes out of meeting {m.number}'s minutes, so everyone can see.",
                        f'Type `withdraw {d.number} "recorded by mistake"`.')
    d.status, d.closed_by_id = DecisionStatus.WITHDRAWN, ctx.person.id
    d.outcome = f"Withdrawn from the draft minutes of meeting {m.number} by {member_label(member)}: {reason}"
    ctx.record("decision-withdraw", f"withdrew #{d.number} {d.title} from the minutes of meeting {m.number}",
               subject=d, reason=reason)
    return Reply(text=f"Decision #{d.number} {d.title} is withdrawn from meeting {m.number}'s minutes: {reason}",
                 audience=Audience.CHANNEL)


@command("results", usage="results <number> hidden|shown", examples=("results 3 hidden",))
def results(ctx: Context, args: Args) -> Reply:
    """Hide a proposal's results until it closes, or show them again: its proposer or a
    coordinator, and only before anyone has responded, who answered trusting the setting."""
    d = find_decision(ctx, args.take_id("decision"))
    want = args.take_word("results setting", RESULTS) == "hidden"
    args.finish()
    member = ctx.require_member()
    if d.proposer_id != member.id and not ctx.is_coordinator():
        raise UserError(f"Only {d.proposer.person.display_name}, who proposed #{d.number}, or a coordinator can "
                        "change how its results are shown.")
    ensure_open(ctx, d)
    if d.results_hidden == want:
        return Reply(text=f"#{d.number}'s results are already {'hidden until it closes' if want else 'shown'}; "
                          "nothing changed.")
    answered = len(responses_to(ctx.session, [d.id]))
    if answered:
        raise UserError(f"{plural(answered, 'member')} already responded to #{d.number} with its results "
                        f"{'shown' if want else 'hidden until it closes'}, so that stays as it is.",
                        f"To change it, `withdraw {d.number}` and propose it again.")
    d.results_hidden = want
    said = "hidden until it closes" if want else "shown as people respond"
    ctx.record("decision-results", f"set the results of #{d.number} {d.title} {said}", subject=d)
    return Reply(text=f"Results of #{d.number} {d.title} are now {said}.", audience=Audience.CHANNEL,
                 results_hidden=want)


@command("close", usage='close <number> "what was decided" [review:<date>]',
         examples=("close 3", 'close 3 "The council needs an answer today"',
                   'close 3 "We pedestrianise the square on market days" review:"in 6 months"'),
         access=Access.COORDINATOR, options=("review",))
def close(ctx: Context, args: Args) -> Reply:
    """Close a decision now and announce the outcome, in your words (coordinators).

    What you write is the outcome statement, shown with the outcome; closing before its
    date while anyone entitled has not responded needs it, as the reason everyone reads.
    review:<date> reminds the coordinators to look at the decision again on that day."""
    d = find_decision(ctx, args.take_id("decision"))
    reason = args.optional_text("what was decided", MAX_NOTE)
    review = ctx.day(args.options["review"]) if "review" in args.options else None
    args.finish()
    today = ctx.now.astimezone(ctx.tz).date()
    if review is not None and review <= today:
        raise UserError(f"The review date {show_day(review, today)} must be after today.",
                        f'Type `close {d.number} "what was decided" review:"in 6 months"`.')
    ensure_unsettled(ctx, d)
    note = None
    if d.closes_at > ctx.now:
        waiting = count_responses(ctx.session, d).waiting
        if waiting and reason is None:
            names = ", ".join(m.person.display_name for m in waiting[:10]) + (" and others" if len(waiting) > 10 else "")
            raise UserError(f"#{d.number} is open until {show_due(d.closes_at, ctx.tz, ctx.now, True)} and "
                            f"{plural(len(waiting), 'member')} entitled to respond {'has' if len(waiting) == 1 else 'have'}"
                            f" not yet ({names}). Closing early needs a reason everyone can read.",
                            f'Type `close {d.number} "why it cannot wait"`.')
        note = f"Closed early by {member_label(ctx.require_member())}."
    if reason:
        note = "\n".join(filter(None, [note, statement_line(ctx, reason)]))
    d.statement, d.review_on = reason, review
    text = settle(ctx.session, d, ctx.now, ctx.person.id, note)
    if text is None:
        raise UserError(f"#{d.number} was closed a moment ago.", f"Type `decision {d.number}` to see the outcome.")
    return Reply(text=text + (f"\n{review_line(d, today)}" if review else ""), audience=Audience.CHANNEL)


def responded_said(count: Count) -> str:
    """`2 responded`, and `, 1 not counted` for responses that do not count (see `why_not_counted`)."""
    aside = f", {len(count.not_counted)} not counted" if count.not_counted else ""
    return f"{len(count.counted)} responded{aside}"


def statement_line(ctx: Context, statement: str) -> str:
    return f"Outcome statement by {member_label(ctx.require_member())}: {statement}"


def review_line(d: Decision, today: date) -> str:
    return f"Coordinators will be reminded to review it on {show_day(d.review_on, today)}." if d.review_on else ""


# An open proposal of a wound-up or ended partnership: it takes no response and is not decided
# (see `closed_unsettled`); a reopening gives it back the time it had left (partnerships.reopen).
PAUSED = "paused: decided only if the partnership reopens, with the time it had left"


def decision_item(ctx: Context, d: Decision, count: Count | None = None, taken: Meeting | None = None) -> Item:
    """One decision as `decisions` lists it; an open one with its responses as they count (`count`)."""
    responded = responded_said(count) if count is not None else ""
    if closing(d, ctx.now):
        return Item(f"#{d.number} {d.title} · {d.mode.value} · "
                    f"{closed_unsettled(d, ctx.require_partnership(), ctx.tz, ctx.now)} · {responded}")
    if d.status is DecisionStatus.OPEN and ctx.over:
        return Item(f"#{d.number} {d.title} · {d.mode.value} · {PAUSED} · {responded}")
    if d.status is DecisionStatus.OPEN:
        return Item(f"#{d.number} {d.title} · {d.mode.value} · closes {show_due(d.closes_at, ctx.tz, ctx.now, True)} · "
                    f"{responded}", response_actions(d) if may_respond(ctx) else ())
    held = meeting_day(taken, ctx.tz, ctx.now) if taken is not None else None
    if held and d.status is DecisionStatus.WITHDRAWN:  # never taken: recorded by mistake, then withdrawn
        return Item(f"#{d.number} {d.title} · withdrawn from the draft minutes of the meeting of {held}")
    when = show_moment(closed_moment(d), ctx.tz, ctx.now)
    at = f" · taken at the meeting of {held}" if held else ""
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
    # Responses as `decision N` and the vote's own reply count them: one who left, or joined
    # after it opened, responded but does not count.
    members = queries.active_members(ctx.session, partnership.id)
    counts = {d.id: count_responses(ctx.session, d, members, as_closed(d, ctx.now))
              for d in rows if d.status is DecisionStatus.OPEN}
    still_open = [decision_item(ctx, d, counts[d.id]) for d in rows
                  if d.status is DecisionStatus.OPEN and not closing(d, ctx.now)]
    closed = [decision_item(ctx, d, counts[d.id]) for d in rows if closing(d, ctx.now)]
    taken = taken_at(ctx.session, [d.id for d in rows if d.status is not DecisionStatus.OPEN])
    settled = [decision_item(ctx, d, taken=taken.get(d.id)) for d in sorted(
        (d for d in rows if d.status is not DecisionStatus.OPEN), key=lambda d: (closed_moment(d), d.id), reverse=True)]
    sections = [Section("Paused", still_open, empty="None.") if ctx.over else
                Section("Open", still_open, empty='None open. Propose one: `propose "What to decide" closes:friday`.')]
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
    # Why each response does not count, while it is open; a settled one's outcome says so.
    why_not: dict[int, str] = {}
    fields = [("Proposed by", f"{member_label(d.proposer)}, {show_moment(d.created_at, ctx.tz, ctx.now)}")]
    if d.status is DecisionStatus.OPEN:
        count = count_responses(ctx.session, d, at=as_closed(d, ctx.now))
        why_not = {r.id: why for r, why in count.not_counted}
        waiting = [Item(member_label(m)) for m in count.waiting]
    if closing(d, ctx.now):
        fields.append(("Status", closed_unsettled(d, ctx.require_partnership(), ctx.tz, ctx.now)))
        sections = [Section("Did not respond", waiting, empty="Everyone entitled responded.")]
    elif d.status is DecisionStatus.OPEN and ctx.over:
        fields.append(("Status", PAUSED))
        sections = [Section("Not responded yet", waiting, empty="Everyone entitled has responded.")]
    elif d.status is DecisionStatus.OPEN:
        fields.append(("Closes", show_due(d.closes_at, ctx.tz, ctx.now, True)))
        sections = [Section("Not responded yet", waiting, empty="Everyone entitled has responded.")]
    else:
        fields.append(("Status", f"{d.status.value}, {show_moment(closed_moment(d), ctx.tz, ctx.now)}"))
        if d.review_on:
            fields.append(("Review", show_day(d.review_on, ctx.now.astimezone(ctx.tz).date())))
        sections = [Section("Outcome", [Item(line) for line in (d.outcome or "").splitlines()])]
    unseen = hidden(d)
    if unseen:
        responses.sort(key=lambda r: r.id)  # in the order they first responded: a later one would tell of a change
    items = [Item(responder(r, member_label) + ("" if unseen else f" · {answer(d, r.position, r.ranking)}")
                  + (f" — {r.reason}" if r.reason and not unseen else "")
                  + (f" (not counted: {why_not[r.id]})" if r.id in why_not else ""))
             for r in responses]
    heading = ("Responded (how stays hidden: it was withdrawn)" if d.status is DecisionStatus.WITHDRAWN
               else "Responded (how is hidden until it closes)") if unseen else "Responses"
    if d.status is DecisionStatus.OPEN:
        sections.append(Section("Interests declared", [Item(f'{member_label(i.member)}: "{i.text}"')
                                                        for i in declared_interests(ctx.session, d)],
                                empty="None." if closing(d, ctx.now)
                                else f'None. Declare yours: `interest {d.number} "what you have at stake"`.'))
    reply = Reply(title=f"Decision #{d.number}: {d.title}", text="\n".join(filter(None, [d.details, rules(d) + "."])),
                  fields=fields, sections=[Section(heading, items, empty="No responses yet."), *sections],
                  results_hidden=d.results_hidden)
    if d.status is DecisionStatus.OPEN and not closing(d, ctx.now) and not ctx.over and may_respond(ctx):
        reply.actions = list(response_actions(d))
    return reply


# The sweep: reminders, and closing what is due, for every partnership in a fixed number of queries.

def nudges(session: Session, now: datetime) -> list[DueNudge]:
    """Reminders to members who have not responded, and the outcome of decisions past closing."""
    # A wound-up or ended partnership's decisions wait, unsettled and unannounced, for it to reopen.
    live = select(Partnership.id).where(~Partnership.over(now))
    open_rows = list(session.scalars(select(Decision).where(Decision.status == DecisionStatus.OPEN,
                                                            Decision.partnership_id.in_(live))))
    partnership_ids = {d.partnership_id for d in open_rows}
    people: dict[int, list[Member]] = {}
    for m in session.scalars(select(Member).where(Member.partnership_id.in_(partnership_ids),
                                                  Member.left_at.is_(None), Member.role != Role.OBSERVER)):
        people.setdefault(m.partnership_id, []).append(m)
    # How long before closing each partnership reminds (`partnership edit reminders:24h`); 0 for never.
    ahead = {pid: timedelta(hours=hours) for pid, hours in session.execute(
        select(Partnership.id, Partnership.remind_hours).where(Partnership.id.in_(partnership_ids)))}
    due: list[DueNudge] = []
    for d in open_rows:
        if d.closes_at <= now:
            settle(session, d, now, None)
        elif (before := ahead[d.partnership_id]) and d.closes_at - before <= now and d.closes_at - d.created_at > before:
            # Whom the count still waits on: one whose proxy's response lapsed is reminded too.
            due += [reminder(d, m, now) for m in count_responses(session, d, people.get(d.partnership_id, [])).waiting]
    closed = list(session.scalars(select(Decision).where(
        Decision.status.in_([DecisionStatus.PASSED, DecisionStatus.FAILED]), Decision.closed_by_id.is_(None),
        Decision.closed_at >= now - ANNOUNCE_WITHIN, Decision.partnership_id.in_(live))))
    homes = home_channels(session, {d.partnership_id for d in closed})
    due += [DueNudge(f"decision-closed:d{d.id}", d.partnership_id, "decision-closed", announcement(d),
                     channel=homes[d.partnership_id]) for d in closed if d.partnership_id in homes]
    return due + reviews_due(session, now, live)


def reviews_due(session: Session, now: datetime, live: Select[tuple[int]]) -> list[DueNudge]:
    """A reminder to each coordinator on the day a decision's review falls (`close ... review:`),
    that day in their own zone; one missed for a while is not sent late."""
    rows = list(session.scalars(select(Decision).where(
        Decision.review_on.is_not(None), Decision.review_on <= now.date() + timedelta(days=1),
        Decision.review_on >= now.date() - REVIEW_LATE, Decision.partnership_id.in_(live))))
    if not rows:
        return []
    coordinators: dict[int, list[Member]] = {}
    for m in session.scalars(select(Member).where(Member.partnership_id.in_({d.partnership_id for d in rows}),
                                                  Member.left_at.is_(None), Member.role == Role.COORDINATOR)):
        coordinators.setdefault(m.partnership_id, []).append(m)
    return [DueNudge(f"decision-review:d{d.id}:p{m.person_id}:{d.review_on}", d.partnership_id, "decision-review",
                     f"Today is the day to review decision #{d.number} {d.title} ({d.status.value}): is it working "
                     f"as meant? Type `decision {d.number}` to read its outcome; propose again if it needs changing.",
                     person_id=m.person_id)
            for d in rows if d.review_on is not None for m in coordinators.get(d.partnership_id, [])
            if now.astimezone(zone(m.person.timezone)).date() >= d.review_on]


def asked_about(asked: Asked) -> dict[int, Decision]:
    """The decisions the nudges name."""
    return {d.id: d for d in asked.session.scalars(select(Decision).where(Decision.id.in_(asked.named("d"))))}


def waited_on(asked: Asked) -> dict[int, set[int]]:
    """Whom each open decision a reminder names still waits on, as its count says (`Count.waiting`)."""
    named = {i for row in asked.rows if row.kind in ("decision-remind", announcements.PROPOSAL)
             and (i := about(row.key, "d")) is not None}
    return {d.id: {m.id for m in count_responses(asked.session, d).waiting}
            for d in asked.read(asked_about).values() if d.id in named and d.status is DecisionStatus.OPEN}


@rechecks("decision-review")
def review_holds(asked: Asked, row: Waiting) -> str | None:
    """A review reminder: the decision still has that review date, its recipient still coordinates."""
    d = asked.read(asked_about).get(about(row.key, "d") or 0)
    if d is None:
        return "the proposal is gone"
    if d.review_on != day_in(row.key):
        return f"the review of #{d.number} is no longer due that day"
    return not_coordinating(asked.recipient(row))


@rechecks("decision-remind", "decision-closed", announcements.PROPOSAL)
def decision_holds(asked: Asked, row: Waiting) -> str | None:
    """A reminder, or a proposal announced by mail: the proposal still open and not yet closing,
    its recipient still without a response (and reading by mail). An outcome: the proposal
    still settled as announced."""
    if row.kind == announcements.PROPOSAL and (why := announcements.not_by_mail(asked, row)):
        return why
    d = asked.read(asked_about).get(about(row.key, "d") or 0)
    if d is None:
        return "the proposal is gone"
    if row.kind == "decision-closed":
        settled = d.status in (DecisionStatus.PASSED, DecisionStatus.FAILED)
        return None if settled else f"proposal #{d.number} is {d.status.value} now"
    if d.status is not DecisionStatus.OPEN or d.closes_at <= asked.now:
        return f"proposal #{d.number} has closed"
    m = asked.recipient(row)
    if m is not None and m.role is Role.OBSERVER:
        return f"{m.person.display_name} is an observer now"
    if m is not None and m.id not in asked.read(waited_on).get(d.id, set()):
        return f"{m.person.display_name} has responded to proposal #{d.number}, or is not counted on it"
    return None


def reminder(d: Decision, m: Member, now: datetime) -> DueNudge:
    closes = show_due(d.closes_at, zone(m.person.timezone), now, True)
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
