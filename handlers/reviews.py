"""Reviews: the regular review of a sustained partnership, or a project's wrap-up, with a health check.

Every member rates the six risks partnerships fail by (wrong time, wrong people, too few
resources, too little time, wrong goal, unreachable goal) from 1 to 5; coordinators close
the review with what was decided (continue, change course or wind up), which sets the next
review date from the cadence, or winds the partnership up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers import ending, life
from handlers.context import Context
from handlers.dates import show_day, show_moment
from handlers.describe import member_label
from handlers.errors import UserError
from handlers.parsing import MAX_NOTE, Args, check_text
from handlers.partnerships import next_review
from handlers.recheck import Asked, about, rechecks
from handlers.registry import Access, command
from handlers.reply import Action, Audience, Item, Reply, Section, plural
from storage import queries
from storage.models import (
    Member,
    Partnership,
    Review,
    ReviewAnswer,
    ReviewKind,
    ReviewOutcome,
    Risk,
    Role,
)
from storage.nudges import DueNudge, Waiting

RISKS = [r.value for r in Risk]
OUTCOMES = [o.value for o in ReviewOutcome]
QUESTIONS = {
    Risk.RIGHT_TIME: "Is this the right time for the partnership?",
    Risk.RIGHT_PEOPLE: "Are the right people involved?",
    Risk.ENOUGH_RESOURCES: "Are there enough resources?",
    Risk.ENOUGH_TIME: "Is there enough time?",
    Risk.RIGHT_GOAL: "Are we working towards the right goal?",
    Risk.ACHIEVABLE_GOAL: "Can the goal reasonably be achieved?",
}
SCORE_HINT = "Score each risk from 1 (a real worry) to 5 (going well), like `review answer enough-time:2`."
ANSWER_ALL = ("review answer " + " ".join(f"{r}:4" for r in RISKS) + ' comment:"..."')


@dataclass(frozen=True)
class RiskScore:
    """The average score one risk got, from how many answers."""

    risk: Risk
    average: float | None
    answers: int


def scores(answers: Iterable[ReviewAnswer]) -> list[RiskScore]:
    """Each risk's average, lowest (most worrying) first; unanswered risks last."""
    given: dict[Risk, list[int]] = {risk: [] for risk in Risk}
    for a in answers:
        given[a.risk].append(a.score)
    rows = [RiskScore(risk, sum(s) / len(s) if s else None, len(s)) for risk, s in given.items()]
    return sorted(rows, key=lambda r: (r.average is None, r.average or 0))


def score_line(s: RiskScore) -> str:
    if s.average is None:
        return f"{s.risk.value}: no answers yet — {QUESTIONS[s.risk]}"
    return f"{s.risk.value}: {s.average:.1f}/5 ({plural(s.answers, 'answer')}) — {QUESTIONS[s.risk]}"


def open_review(session: Session, partnership_id: int) -> Review | None:
    return session.scalar(select(Review).where(Review.partnership_id == partnership_id, Review.closed_at.is_(None)))


def require_open_review(ctx: Context) -> Review:
    review = open_review(ctx.session, ctx.require_partnership().id)
    if review is None:
        raise UserError(f"{ctx.require_partnership().name} has no review open.",
                        "A coordinator opens one with `review start`.")
    return review


def answers_to(session: Session, review_ids: list[int]) -> list[ReviewAnswer]:
    if not review_ids:
        return []
    return list(session.scalars(select(ReviewAnswer).where(ReviewAnswer.review_id.in_(review_ids))
                                .order_by(ReviewAnswer.answered_at, ReviewAnswer.id)))


def kind_name(review: Review) -> str:
    return "wrap-up review" if review.kind is ReviewKind.WRAP_UP else "review"


def parse_score(value: str, risk: str) -> int:
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= 5:
        raise UserError(f"`{text[:20]}` isn't a score for {risk}.", SCORE_HINT)
    return int(text)


@command("review start", usage="review start", access=Access.COORDINATOR)
def start(ctx: Context, args: Args) -> Reply:
    """Open a review and ask every member the six-risk health check (coordinators).

    A partnership with an end date (a project) gets a wrap-up review."""
    args.finish()
    p = ctx.require_partnership()
    current = open_review(ctx.session, p.id)
    if current is not None:
        raise UserError(f"A {kind_name(current)} is already open, since {show_moment(current.opened_at, ctx.tz, ctx.now)}.",
                        "Type `review` to see how it is going, or `review close continue \"what we decided\"`.")
    review = Review(partnership_id=p.id, kind=ReviewKind.WRAP_UP if p.end_date else ReviewKind.REGULAR,
                    opened_by_id=ctx.person.id, opened_at=ctx.now)
    ctx.session.add(review)
    ctx.session.flush()
    ctx.record("review-start", f"opened a {kind_name(review)}", subject=review)
    return Reply(
        title=f"{p.name}: {kind_name(review)} opened",
        text="Everyone: how is the partnership doing? " + SCORE_HINT
        + " Add `comment:\"...\"` to say why; `review` shows the answers so far.",
        sections=[Section("The six risks", [Item(f"{risk.value} — {q}") for risk, q in QUESTIONS.items()])],
        actions=[Action("Answer", ANSWER_ALL)],
        audience=Audience.CHANNEL,
    )


@command(
    "review answer",
    usage="review answer <risk>:<1-5> ...",
    examples=(ANSWER_ALL.replace('"..."', '"We are stretched"'),
              'review answer enough-time 2 "We are stretched"'),
    options=(*RISKS, "comment"),
)
def answer(ctx: Context, args: Args) -> Reply:
    """Answer the open review's health check: each risk from 1 (a real worry) to 5 (going well).

    Risks: right-time, right-people, enough-resources, enough-time, right-goal,
    achievable-goal. Give several as `risk:score`, or one as `risk score "comment"`;
    answering again changes your score."""
    member = ctx.require_member()
    review = require_open_review(ctx)
    given = {Risk(risk): parse_score(value, risk) for risk, value in args.options.items() if risk in RISKS}
    comment = check_text(args.options["comment"], "comment", MAX_NOTE) if "comment" in args.options else None
    if args.has_more():
        risk = Risk(args.take_word("risk", RISKS))
        given[risk] = parse_score(args.take_word(f"score for {risk.value} (1 to 5)"), risk.value)
        comment = args.optional_text("comment", MAX_NOTE) or comment
    args.finish()
    if not given:
        raise UserError("Say a score for at least one risk.", SCORE_HINT)
    mine = {a.risk: a for a in answers_to(ctx.session, [review.id]) if a.member_id == member.id}
    for risk, score in given.items():
        row = mine.get(risk)
        if row is None:
            mine[risk] = ReviewAnswer(review_id=review.id, partnership_id=review.partnership_id, member_id=member.id,
                                      risk=risk, score=score, comment=comment, answered_at=ctx.now)
            ctx.session.add(mine[risk])
        else:
            row.score, row.answered_at, row.comment = score, ctx.now, comment or row.comment
    said = ", ".join(f"{risk.value} {score}" for risk, score in given.items())
    ctx.record("review-answer", f"answered the {kind_name(review)}: {said}", subject=review, reason=comment)
    left = [r for r in RISKS if Risk(r) not in mine]
    return Reply(text=f"Thank you: {said}." + (f" Still to rate: {', '.join(left)}." if left else
                                                " You have rated all six."))


@command("review", usage="review", access=Access.READ, changes=False)
def show(ctx: Context, args: Args) -> Reply:
    """The open review: who has answered, and each risk's average, lowest first; else the last review."""
    args.finish()
    p = ctx.require_partnership()
    review = open_review(ctx.session, p.id)
    today = ctx.now.astimezone(ctx.tz).date()
    if review is None:
        last = ctx.session.scalar(select(Review).where(Review.partnership_id == p.id)
                                  .order_by(Review.opened_at.desc(), Review.id.desc()).limit(1))
        reply = Reply(title=f"Reviews of {p.name}")
        if last is not None and last.outcome is not None and last.closed_at is not None:
            reply.fields.append(("Last review", f"{show_moment(last.closed_at, ctx.tz, ctx.now)}: "
                                                f"{last.outcome.value} — {last.decision}"))
            reply.sections.append(Section("Its health check (lowest first)", [
                Item(score_line(s)) for s in scores(answers_to(ctx.session, [last.id]))]))
        else:
            reply.text = "No review held yet."
        if p.next_review_on:
            reply.fields.append(("Next review", show_day(p.next_review_on, today)))
        if not p.over(ctx.now):
            reply.actions = [Action("Start a review", "review start")]
        return reply
    answers = answers_to(ctx.session, [review.id])
    rated: dict[int, set[Risk]] = {}
    for a in answers:
        rated.setdefault(a.member_id, set()).add(a.risk)
    # An answer that rates only some risks is partial: it says which are still to rate.
    partly = [Item(f"{member_label(m)}: still to rate {', '.join(r.value for r in Risk if r not in rated[m.id])}")
              for m in {a.member_id: a.member for a in answers}.values() if len(rated[m.id]) < len(RISKS)]
    waiting = [member_label(m) for m in queries.active_members(ctx.session, p.id)
               if m.role is not Role.OBSERVER and m.id not in rated]
    # A comment is said of the whole answer it came with, so it names no risk: listed by risk, a
    # later score for one of them, with a comment of its own, left the first said of the rest alone.
    comments = dict.fromkeys((member_label(a.member), a.comment) for a in answers if a.comment)
    sections = [Section("Health check (lowest first)", [Item(score_line(s)) for s in scores(answers)])]
    if partly:
        sections.append(Section("Partly answered", partly))
    sections.append(Section("Comments", [Item(f"{who}: {text}") for who, text in comments], empty="None yet."))
    return Reply(
        title=f"{p.name}: {kind_name(review)} open since {show_moment(review.opened_at, ctx.tz, ctx.now)}",
        fields=[("Answered", f"{len(rated) - len(partly)} of {len(rated) + len(waiting)} in full"
                             + (f", {len(partly)} in part" if partly else "")),
                ("Not yet", ", ".join(waiting) or "everyone has answered")],
        sections=sections,
        actions=[Action("Answer", ANSWER_ALL)],
    )


@command(
    "review close",
    usage='review close continue|change-course|wind-up "what we decided"',
    examples=('review close continue "Keep going; recruit a community-sector partner by March"',
              'review close wind-up "The market is running; hand it to the Chamber" open:keep',
              'review close wind-up "The funding ended" open:hand-on to:"Millbrook Library"'),
    access=Access.COORDINATOR,
    options=ending.OPTIONS,
)
def close(ctx: Context, args: Args) -> Reply:
    """Close the open review with its outcome and what you decided (coordinators).

    continue or change-course sets the next review date from the cadence; wind-up closes
    the partnership (its history stays readable). Work still open is listed first, and
    nothing is wound up until you say what becomes of it: `open:keep` (closing tasks),
    `open:drop`, or `open:hand-on to:"Organisation"`."""
    review = require_open_review(ctx)
    outcome = ReviewOutcome(args.take_word("outcome", OUTCOMES))
    decided = args.take_text("what you decided", MAX_NOTE)
    args.finish()
    if outcome is not ReviewOutcome.WIND_UP:
        if args.options:
            raise UserError("`open:` and `to:` say what becomes of open work at a wind-up; "
                            f"`{outcome.value}` keeps the work going.", f"Type `review close {outcome.value} \"...\"`.")
        return conclude(ctx, review, outcome, decided)
    fate = ending.fate_of(args.options)
    return ending.ask(ctx, fate, "review close wind-up", decided) or conclude(ctx, review, outcome, decided, fate)


@command(
    "partnership wind-up",
    usage='partnership wind-up "why"',
    examples=('partnership wind-up "The funding ended" open:keep',
              'partnership wind-up "The library runs the warm space now" open:hand-on to:"Millbrook Library"'),
    access=Access.COORDINATOR,
    options=ending.OPTIONS,
    after_end=True,
)
def wind_up(ctx: Context, args: Args) -> Reply:
    """Wind the partnership up now, saying why (coordinators), without a health check.

    It is a wrap-up review closed at once (an open review closes with it). Work still open
    is listed first, and nothing is wound up until you say what becomes of it: `open:keep`
    (closing tasks), `open:drop`, or `open:hand-on to:"Organisation"`. One past its end
    date can be wound up too, to settle the work it left open."""
    decided = args.take_text("why", MAX_NOTE)
    args.finish()
    p = ctx.require_partnership()
    if p.closed_at is not None:
        raise UserError(f"{p.name} {life.standing(ctx, p)}; there is nothing more to wind up.",
                        'A coordinator can reopen it: `partnership reopen "why"`.')
    fate = ending.fate_of(args.options)
    asked = ending.ask(ctx, fate, "partnership wind-up", decided)
    if asked is not None:
        return asked
    review = open_review(ctx.session, p.id)
    if review is not None:
        return conclude(ctx, review, ReviewOutcome.WIND_UP, decided, fate)
    review = Review(partnership_id=p.id, kind=ReviewKind.WRAP_UP, opened_by_id=ctx.person.id, opened_at=ctx.now)
    ctx.session.add(review)
    ctx.session.flush()
    return conclude(ctx, review, ReviewOutcome.WIND_UP, decided, fate, checked=False)


def conclude(ctx: Context, review: Review, outcome: ReviewOutcome, decided: str,
             fate: ending.Fate | None = None, checked: bool = True) -> Reply:
    """Close the review with its outcome: the next review date, or the partnership wound up.
    `checked`: members were asked the health check, so its lowest scores are shown."""
    p = ctx.require_partnership()
    review.closed_at, review.closed_by_id, review.outcome, review.decision = ctx.now, ctx.person.id, outcome, decided
    today = ctx.now.astimezone(ctx.tz).date()
    summary, sections = f"closed the {kind_name(review)}: {outcome.value}", []
    if outcome is ReviewOutcome.WIND_UP:
        # The end date stays as planned: the record shows whether it ended early.
        settled = ending.wind_up(ctx, decided, fate)
        summary += f"; {settled.summary}"
        sections = settled.sections(ctx)
        after = (f"{p.name} is wound up as of {show_day(today, today)}. {settled.next_steps()} Its history stays "
                 'readable, and a coordinator can reopen it with `partnership reopen "why"`.')
    elif p.review_cadence is not None:
        p.next_review_on = next_review(p.review_cadence, today)
        after = f"Next {p.review_cadence.value} review: {show_day(p.next_review_on, today)}."
    else:
        after = "No further review is scheduled."
    ctx.record("review-close", summary, subject=review, reason=decided)
    if checked:
        lowest = [s for s in scores(answers_to(ctx.session, [review.id])) if s.average is not None][:3]
        sections.append(Section("Lowest-scoring risks", [Item(score_line(s)) for s in lowest], empty="Nobody answered."))
    return Reply(
        title=f"{p.name}: {kind_name(review)} closed — {outcome.value}",
        text=f"Decided: {decided}\n{after}",
        sections=sections,
        audience=Audience.CHANNEL,
    )


# The sweep: ask every member of an open review, once, for all partnerships in a fixed number of queries.

def nudges(session: Session, now: datetime) -> list[DueNudge]:
    """A health-check request to each member who has not rated all six risks of an open review."""
    reviews = list(session.scalars(select(Review).join(Partnership, Partnership.id == Review.partnership_id)
                                   .where(Review.closed_at.is_(None), ~Partnership.over(now))))
    ids = {r.partnership_id for r in reviews}
    names = {pid: name for pid, name in session.execute(select(Partnership.id, Partnership.name)
                                                         .where(Partnership.id.in_(ids)))}
    people: dict[int, list[Member]] = {}
    for m in session.scalars(select(Member).where(Member.partnership_id.in_(ids), Member.left_at.is_(None),
                                                  Member.role != Role.OBSERVER)):
        people.setdefault(m.partnership_id, []).append(m)
    rated: dict[tuple[int, int], int] = {}
    for a in answers_to(session, [r.id for r in reviews]):
        rated[a.review_id, a.member_id] = rated.get((a.review_id, a.member_id), 0) + 1
    return [
        DueNudge(f"review-ask:r{r.id}:p{m.person_id}", r.partnership_id, "review-ask",
                 f"{names[r.partnership_id]} is holding its {kind_name(r)}: how is it going? " + SCORE_HINT
                 + " `review` shows the questions and the answers so far.", person_id=m.person_id)
        for r in reviews for m in people.get(r.partnership_id, []) if rated.get((r.id, m.id), 0) < len(RISKS)
    ]


def asked_about(asked: Asked) -> dict[int, tuple[Review, dict[int, int]]]:
    """The reviews the nudges name, and how many risks each member has rated in each."""
    found = {r.id: (r, {}) for r in asked.session.scalars(select(Review).where(Review.id.in_(asked.named("r"))))}
    for a in answers_to(asked.session, list(found)):
        rated = found[a.review_id][1]
        rated[a.member_id] = rated.get(a.member_id, 0) + 1
    return found


@rechecks("review-ask")
def review_ask_holds(asked: Asked, row: Waiting) -> str | None:
    """The review still open, and its recipient not yet done rating the six risks."""
    review, rated = asked.read(asked_about).get(about(row.key, "r") or 0, (None, {}))
    if review is None or review.closed_at is not None:
        return "the review was closed"
    m = asked.recipient(row)
    if m is not None and rated.get(m.id, 0) >= len(RISKS):
        return f"{m.person.display_name} has rated all six risks"
    return None

