"""The coordinators' dashboard: the partnership's state as charts, for a board meeting.

`dashboard` in the chat gives a coordinator a sign-in link that works once, for 15
minutes; only a hash of it is stored. Signing in opens a session that ends eight hours
later however much it is used, or at once on signing out; its cookie carries a random
token of which the database keeps only the hash, so neither a backup nor the key that
signs cookies lets anyone make one. The dashboard's figures come from the handlers the
chat uses (`health`'s check and its load tally, the reviews' scores), so a chart and its
chat command never disagree. Each chart carries a sentence saying what it shows and the
table behind it, for anyone who cannot see the picture.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handlers.agreement.overview import Framework, framework
from handlers.context import Context, zone
from handlers.dates import due_day_in
from handlers.describe import hours
from handlers.health import Checker, Health
from handlers.judgements.balance import HEAD
from handlers.members import missing_sectors
from handlers.parsing import Args
from handlers.publishing import site_address
from handlers.registry import Access, command
from handlers.reply import Reply, plural
from handlers.reviews import answers_to, scores
from storage.models import (
    Commitment,
    CommitmentStatus,
    Concern,
    ConcernStatus,
    DashboardSession,
    Member,
    Partnership,
    Person,
    Review,
    ReviewAnswer,
    Risk,
    Role,
    Sector,
    SignInLink,
    SiteKey,
)

LINK_LIFETIME = timedelta(minutes=15)
# However often it is used: a board meeting's working day, then sign in again.
SESSION_LIFETIME = timedelta(hours=8)
# How long an expired link or session (or a day's mail count, handlers/email/addresses.py) is
# kept before it is deleted: the web's clock, which decides whether one still works (or counts on
# it), may run behind the database's, which a sweep goes by.
KEPT_PAST_EXPIRY = timedelta(minutes=5)
WEEKS = 8
REVIEWS_SHOWN = 4
AGES = ((7, "under a week"), (14, "1–2 weeks"), (28, "2–4 weeks"), (None, "over 4 weeks"))


# Sign-in -------------------------------------------------------------------------------

def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Only a sign-in link is written, nothing of the partnership: a wound-up one's dashboard stays readable.
@command("dashboard", usage="dashboard", access=Access.COORDINATOR, after_end=True)
def dashboard(ctx: Context, args: Args) -> Reply:
    """A private link to this partnership's dashboard (coordinators): it works once, for 15 minutes.

    The dashboard shows load against capacity for the next eight weeks, work planned against
    done per week, concerns by age, the six risks across the last reviews, give and take by
    organisation, and the sectors at the table."""
    args.finish()
    p = ctx.require_partnership()
    token = secrets.token_urlsafe(32)
    ctx.session.add(SignInLink(token_hash=digest(token), partnership_id=p.id, person_id=ctx.person.id,
                               created_at=ctx.now, expires_at=ctx.now + LINK_LIFETIME))
    return Reply(title=f"Dashboard of {p.name}",
                 text=f"Your sign-in link, for you only: it works once, within 15 minutes.\n"
                      f"{site_address()}/signin/{token}", secret=True)


def link_usable(session: Session, token: str, now: datetime) -> bool:
    """Whether a link could still sign in, without using it up (the page that asks to confirm)."""
    return session.scalar(select(SignInLink.id).where(
        SignInLink.token_hash == digest(token), SignInLink.used_at.is_(None), SignInLink.expires_at > now)) is not None


def link_holder(session: Session, token: str) -> tuple[int, int] | None:
    """Whose link a token is, (partnership id, person id), used or not: to say why it does not sign in."""
    found = session.execute(select(SignInLink.partnership_id, SignInLink.person_id)
                            .where(SignInLink.token_hash == digest(token))).first()
    return (found[0], found[1]) if found else None


def sign_in(session: Session, token: str, now: datetime) -> str | None:
    """Use a sign-in link: a new session's token, or None when the link is unknown, used or expired.

    The update only applies to a link not yet used, so of two people (or two tabs) opening
    it at once exactly one gets in. The person must still coordinate the partnership."""
    used = session.execute(update(SignInLink).where(
        SignInLink.token_hash == digest(token), SignInLink.used_at.is_(None), SignInLink.expires_at > now)
        .values(used_at=now).returning(SignInLink.partnership_id, SignInLink.person_id)).first()
    if used is None:
        return None
    partnership_id, person_id = used
    if not coordinates(session, partnership_id, person_id):
        return None
    opened = secrets.token_urlsafe(32)
    session.add(DashboardSession(token_hash=digest(opened), partnership_id=partnership_id, person_id=person_id,
                                 created_at=now, expires_at=now + SESSION_LIFETIME))
    return opened


def signed_in(session: Session, token: str, now: datetime) -> tuple[int, int] | None:
    """Whose session a cookie's token is, (partnership id, person id): None once it has ended,
    expired or was never opened."""
    found = session.execute(select(DashboardSession.partnership_id, DashboardSession.person_id).where(
        DashboardSession.token_hash == digest(token), DashboardSession.ended_at.is_(None),
        DashboardSession.expires_at > now)).first()
    return (found[0], found[1]) if found else None


def sign_out(session: Session, token: str, now: datetime) -> None:
    """End a session on the server: its cookie, copied anywhere, opens nothing from now on."""
    session.execute(update(DashboardSession).where(DashboardSession.token_hash == digest(token),
                                                   DashboardSession.ended_at.is_(None)).values(ended_at=now))


def forget_spent(session: Session, now: datetime) -> None:
    """Delete the sign-in links and sessions that can sign nobody in any more (used, ended, or
    expired for `KEPT_PAST_EXPIRY`), so neither table grows for ever. Run by each nudge sweep,
    off any request's path; deleting a row another sweeper deletes at the same moment is harmless."""
    gone = now - KEPT_PAST_EXPIRY
    session.execute(delete(SignInLink).where(or_(SignInLink.used_at.is_not(None), SignInLink.expires_at <= gone)))
    session.execute(delete(DashboardSession).where(or_(DashboardSession.ended_at.is_not(None),
                                                       DashboardSession.expires_at <= gone)))


def coordinates(session: Session, partnership_id: int, person_id: int) -> bool:
    """Whether the person coordinates the partnership now: checked on every dashboard view too."""
    return session.scalar(select(Member.id).where(
        Member.partnership_id == partnership_id, Member.person_id == person_id, Member.left_at.is_(None),
        Member.role == Role.COORDINATOR)) is not None


def signing_key(session: Session, now: datetime) -> str:
    """The key that signs dashboard cookies: made by the first process to ask, then shared."""
    found = session.get(SiteKey, "session")
    if found is not None:
        return found.value
    try:
        with session.begin_nested():
            session.add(SiteKey(name="session", value=secrets.token_hex(32), created_at=now))
    except IntegrityError:  # another process made it at the same moment: use theirs
        pass
    value = session.scalar(select(SiteKey.value).where(SiteKey.name == "session"))
    assert value is not None
    return value


# The dashboard's figures ----------------------------------------------------------------

@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]


@dataclass(frozen=True)
class Chart:
    """One chart: its data, a sentence saying what it shows, and the table behind it."""

    key: str
    title: str
    summary: str
    kind: str  # bar, hbar (names on the bars, for long names) or line
    labels: list[str]
    series: list[Series]
    head: list[str]
    rows: list[list[str]]
    unit: str = ""
    scale: tuple[int, int] | None = None  # a fixed axis, whole steps (the risks' 1 to 5)

    @property
    def top(self) -> float:
        """The largest value (at least 1): the full length of a bar."""
        return max([1.0, *(v for s in self.series for v in s.values if v is not None)])


@dataclass
class Dashboard:
    partnership: Partnership
    today: date
    health: Health
    charts: list[Chart] = field(default_factory=list)
    # Goals against their targets, and what each partner pledged against what it delivered.
    framework: Framework | None = None


def week_starts(today: date, count: int, back: int = 0) -> list[date]:
    start = today - timedelta(days=today.weekday())  # weeks start on Monday
    return [start + timedelta(weeks=k - back) for k in range(count)]


def load_chart(checker: Checker) -> Chart:
    """Each member's hours needed in each of the next eight weeks, against what they can give.

    The figures are the checker's tally, the one `load` and `health` make, so the first week
    is the week `load` shows; overdue work has a column of its own rather than a week, and
    work with no effort given is named, as `load` names it."""
    loads = checker.loads
    labels = [f"{checker.today + timedelta(weeks=k):%-d %b}" for k in range(WEEKS)]
    series, rows, over, overdue, unestimated = [], [], [], [], []
    for w in loads:
        name = w.member.display_name
        series.append(Series(name, [round(100 * h / cap) if cap else None
                                    for h, cap in zip(w.weeks, w.capacities, strict=True)]))
        cap = w.member.capacity_hours
        rows.append([name, hours(cap) if cap is not None else "not stated",
                     hours(w.overdue_hours) if w.overdue_count else "—", *(hours(h) for h in w.weeks)])
        weeks_over = [k for k in range(WEEKS) if w.over_in(k)]
        if weeks_over:
            over.append(f"{name} (week from {labels[weeks_over[0]]})")
        if w.overdue_count:
            overdue.append(f"{name} {plural(w.overdue_count, 'commitment')} ({hours(w.overdue_hours)})")
        if w.unestimated_count:
            unestimated.append(f"{name} {plural(w.unestimated_count, 'commitment')}")
    summary = ("Over capacity: " + ", ".join(over) + "." if over else "Nobody is over capacity in the next eight weeks.")
    if overdue:
        summary += " Overdue, not in the weeks: " + ", ".join(overdue) + "."
    if unestimated:  # counted as no hours, so the weeks look lighter than they are
        summary += " With no effort given, so not in the weeks: " + ", ".join(unestimated) + "."
    return Chart("load", "Load against capacity, next eight weeks", summary, "line", labels, series,
                 ["Member", "Capacity a week", "Overdue", *(f"Week from {lab}" for lab in labels)], rows,
                 unit="% of capacity")


def planned_chart(session: Session, p: Partnership, now: datetime, tz: ZoneInfo) -> Chart:
    """Commitments due each of the last eight weeks against those done in it."""
    starts = week_starts(now.astimezone(tz).date(), WEEKS, back=WEEKS - 1)
    first = datetime.combine(starts[0], datetime.min.time(), tz)
    rows_ = session.execute(
        select(Commitment.due_at, Person.timezone, Commitment.closed_at, Commitment.status)
        .join(Member, Member.id == Commitment.owner_id).join(Person, Person.id == Member.person_id)
        .where(Commitment.partnership_id == p.id, Commitment.status != CommitmentStatus.DROPPED,
               # a day early: the end of an owner's due day in the first week can come before it begins here
               or_(Commitment.due_at >= first - timedelta(days=1), Commitment.closed_at >= first))).all()

    def week_of(day: date) -> int | None:
        k = (day - starts[0]).days // 7
        return k if 0 <= k < WEEKS else None

    # The week its owner's due day falls in, the day every other surface shows; done, the reader's day it was done.
    due = Counter(week_of(due_day_in(r.due_at, zone(r.timezone))) for r in rows_)
    done = Counter(week_of(r.closed_at.astimezone(tz).date())
                   for r in rows_ if r.status is CommitmentStatus.DONE and r.closed_at is not None)
    labels = [f"{d:%-d %b}" for d in starts]
    planned = [due[k] for k in range(WEEKS)]
    made = [done[k] for k in range(WEEKS)]
    summary = (f"Over the last eight weeks {plural(sum(planned), 'commitment')} fell due and {sum(made)} "
               f"{'was' if sum(made) == 1 else 'were'} done; this week {planned[-1]} due, {made[-1]} done.")
    return Chart("planned", "Planned against done, per week", summary, "bar", labels,
                 [Series("Due (planned)", list(map(float, planned))), Series("Done", list(map(float, made)))],
                 ["Week of", "Due", "Done"], [[lab, str(a), str(b)] for lab, a, b in zip(labels, planned, made, strict=True)])


def concerns_chart(session: Session, p: Partnership, now: datetime) -> Chart:
    """Open concerns by how long they have waited: a tension left open festers."""
    opened = session.scalars(select(Concern.open_since).where(
        Concern.partnership_id == p.id, Concern.status == ConcernStatus.OPEN)).all()
    counts = [0] * len(AGES)
    for since in opened:
        days = Concern.days_open(since, now)
        counts[next(i for i, (limit, _) in enumerate(AGES) if limit is None or days < limit)] += 1
    labels = [name for _, name in AGES]
    old = counts[-1] + counts[-2]
    summary = plural(len(opened), "open concern") + (f", {old} of them open over two weeks." if old
                                                       else ", none open over two weeks.")
    return Chart("concerns", "Open concerns by age", summary, "bar", labels, [Series("Open concerns", list(map(float, counts)))],
                 ["Age", "Open concerns"], [[lab, str(n)] for lab, n in zip(labels, counts, strict=True)])


def risks_chart(session: Session, p: Partnership, tz: ZoneInfo) -> Chart:
    """The six risks' average score (1 a worry, 5 going well) in each of the last reviews."""
    reviews = list(reversed(session.scalars(select(Review).where(
        Review.partnership_id == p.id, select(ReviewAnswer.id).where(ReviewAnswer.review_id == Review.id).exists())
        .order_by(Review.opened_at.desc(), Review.id.desc()).limit(REVIEWS_SHOWN)).all()))
    answers = answers_to(session, [r.id for r in reviews])
    per_review = {r.id: {s.risk: s.average for s in scores(a for a in answers if a.review_id == r.id)} for r in reviews}
    labels = [f"{r.opened_at.astimezone(tz):%-d %b %Y}" for r in reviews]
    series = [Series(risk.value, [per_review[r.id].get(risk) for r in reviews]) for risk in Risk]
    overall = [mean([v for v in per_review[r.id].values() if v is not None]) for r in reviews]
    if len(reviews) < 2:
        trend = "Only one review has answers so far: no trend yet." if reviews else "No review has answers yet."
    else:
        change = (overall[-1] or 0) - (overall[-2] or 0)
        trend = ("The partnership's trend: " + ("improving" if change > 0.2 else "worsening" if change < -0.2 else "steady")
                 + f" (average {overall[-2]:.1f} then {overall[-1]:.1f} out of 5).")
    rows = [[risk.value, *("—" if v is None else f"{v:.1f}" for v in s.values)] for risk, s in zip(Risk, series, strict=True)]
    return Chart("risks", "The six risks across the last reviews", trend, "line", labels, series,
                 ["Risk", *labels], rows, unit="average score, 1 to 5", scale=(1, 5))


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def balance_chart(report: Health) -> Chart:
    """What each partner gives (work delivered, others' work taken on, contributions) and asks (its work taken
    on by others); its table is the one health.md gives, with the figures the bars draw."""
    labels = [b.partner for b in report.balances]
    takers = [b.partner for b in report.balances if b.out_of_balance]
    summary = ("Out of balance: " + ", ".join(takers) + " ask far more than they give." if takers
               else "Every partner gives about as much as it asks.")
    return Chart("balance", "Give and take by organisation", summary, "hbar", labels,
                 [Series("Gives", [float(b.gives) for b in report.balances]),
                  Series("Asks", [float(b.asks) for b in report.balances])],
                 list(HEAD), [b.cells() for b in report.balances])


def sectors_chart(checker: Checker) -> Chart:
    counts = Counter(m.sector for m in checker.doers)
    labels = [s.value for s in Sector]
    missing = [s.value for s in missing_sectors(checker.members)]
    summary = ("Missing from the table: " + ", ".join(missing) + "." if missing else "All four sectors are at the table.")
    return Chart("sectors", "Sectors at the table", summary, "bar", labels,
                 [Series("Members", [float(counts[s]) for s in Sector])],
                 ["Sector", "Members"], [[s.value, str(counts[s])] for s in Sector])


def dashboard_of(session: Session, p: Partnership, now: datetime, tz: ZoneInfo, reader: Member | None = None) -> Dashboard:
    """Every chart of the dashboard, from the same reads as `load` and `health`; its warning signs
    give `reader` (the coordinator signed in) the commands `health` gives them in the chat."""
    checker = Checker(session, p, now, tz, reader, weeks=WEEKS)
    report = checker.health()
    board = Dashboard(p, now.astimezone(tz).date(), report)
    board.charts = [load_chart(checker), planned_chart(session, p, now, tz), concerns_chart(session, p, now),
                    risks_chart(session, p, tz), balance_chart(report), sectors_chart(checker)]
    board.framework = framework(session, p.id, now, tz)
    return board
