"""The nudge scheduler: periodic sweeps that send what the partnership state says is owed.

A sweep, whether APScheduler runs it every few minutes or `partnerbot tick` runs it:
1. derives every due nudge (handlers/nudges.py) of the partnerships changed since their last
   derivation or reaching a moment that could change it (storage/derivation.py), a chunk of
   them at most (`derivation.CHUNK`: the changed ones first, then the ones whose moment came
   longest ago; one whose derivation failed waits, then comes after them), and of the
   batched kinds everywhere, and records it in the ledger under its
   key, a chunk in one transaction; a key already there is left alone (a waiting one takes
   the words of the sweep that derives it again), so a restart, a crash or a missed sweep
   loses nothing and repeats nothing. Waiting nudges that no
   longer hold (the work done, the handover answered, the person gone) are cancelled,
   each with its reason;
2. plans the pending nudges it may send now: quiet hours and daily caps defer a nudge (it
   stays pending, and later plans leave it out until the moment it may go, unless its
   partnership changes meanwhile), and each recipient's nudges become one message; then leases them a round
   of messages at a time, skipping what another sweeper holds, so sweepers share the work;
3. for each message, just before delivering it and under the same lease, asks again
   whether each of its nudges still holds (`handlers.nudges.still_true`), cancels the ones
   that don't and sends the rest through the adapter's `Delivery`, then marks them sent;
   a failed delivery gives its nudges back for a later sweep (which asks again);
4. deletes the dashboard's spent sign-in links and sessions (`handlers.dashboard.forget_spent`),
   the mail's daily counts of days gone by (`handlers.email.addresses.forget_spent_counts`) and,
   a batch a transaction, the marks of mail taken on that no copy of it could need any more
   and the outbox's rows sent as long ago (`handlers.email.replies.forget_old_mail`).
APScheduler only says *when* to sweep; it keeps nothing (its job stores must not be
shared between schedulers), so every process may run one against the same database.

A zone's midnight makes nearly every partnership due at once (BENCHMARKS.md, "Sweeps at
scale"): a sweep that left partnerships due (`SweepReport.more_due`) is followed by the next at
once. APScheduler's job runs again as soon as it ends, `partnerbot tick` sweeps until none is
left (`work_off`), `partnerbot sweeper` sweeps again, and a sweeper that waited on another's
derivation takes the next chunk (if any is left) while that one delivers. A recipient with new
nudges in partnerships of different chunks gets a message per chunk; at a midnight those are
mostly people of that zone, in their quiet hours, whose held nudges go together when the
hours end.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.config import Settings
from handlers.away import away_now
from handlers.context import zone
from handlers.dashboard import forget_spent
from handlers.dispatch import commands_within, within
from handlers.email.addresses import forget_spent_counts
from handlers.email.replies import forget_old_mail
from handlers.nudges import (
    Derived,
    back_from_away,
    day_start,
    derive,
    quiet,
    quiet_ends,
    settle,
    show_setting,
    still_true,
    thresholds_for,
)
from handlers.reply import Action, Audience, Item, Reply, Section, plural
from storage import derivation, queries
from storage import nudges as ledger
from storage.database import database_now, take_write_lock, transaction, without_jit
from storage.models import Partnership, Person

log = logging.getLogger(__name__)

# Longer than any delivery takes; a sweep that dies holding a lease frees it after this.
LEASE = timedelta(minutes=5)
SWEEP_MINUTES = 5
# Channel-wide news before reminders, reminders before warnings.
ORDER = ["digest", "decision-closed", "meeting-scheduled", "meeting-tomorrow", "meeting-agenda", "review-soon", "ending",
         "review-ask", "decision-remind", "meeting-answer", "meeting-unsettled", "decision-review", "agreement-unsigned",
         "due-soon", "overdue", "progress-ask", "overload-note", "escalation", "overload", "review-overdue",
         "concern-stale", "key-person", "sole-coordinator", "succession"]


class Delivery(Protocol):
    """What each chat adapter implements so the scheduler can send on its own.

    Either method raises if the message did not go; its nudges are then retried on a
    later sweep. `partnership_channel` is the home channel of the partnership a direct
    message is about (when it is about one), for adapters whose buttons act in a channel.
    """

    def send_to_person(self, workspace: str, user_id: str, *, reply: Reply,
                       partnership_channel: str | None = None) -> object: ...

    def send_to_channel(self, workspace: str, channel: str, *, reply: Reply) -> object: ...


@dataclass(frozen=True)
class Outgoing:
    """One message to one recipient: a person (by platform user id) or a channel."""

    platform: str
    workspace: str
    user_id: str | None
    channel: str | None
    recipient: str
    reply: Reply
    nudge_ids: tuple[int, ...]
    # For a direct message about one partnership, that partnership's home channel.
    home: str | None = None
    kinds: tuple[str, ...] = ()  # of the nudges it carries, for the metrics

    def send(self, delivery: Delivery) -> None:
        if self.user_id is not None:
            delivery.send_to_person(self.workspace, self.user_id, reply=self.reply, partnership_channel=self.home)
        else:
            assert self.channel is not None
            delivery.send_to_channel(self.workspace, self.channel, reply=self.reply)


@dataclass(frozen=True)
class Pending:
    """A pending nudge as the plan sees it (plain values, so a dry run can show it after rollback)."""

    id: int
    kind: str
    text: str
    partnership: str
    home: str | None
    actions: tuple[Action, ...] = ()
    about: tuple[str, int] | None = None  # the record it is about, for email's threads
    echo: bool = False  # a copy for the rooms alone (`ledger.ECHO`)


@dataclass
class Batch:
    """A recipient's nudges for this sweep: the ones to send now, and the ones that wait."""

    recipient: str
    platform: str
    workspace: str
    user_id: str | None
    channel: str | None
    now: list[Pending] = field(default_factory=list)
    later: list[tuple[Pending, str]] = field(default_factory=list)
    # Cancelled by this sweep, as no longer true, and why.
    cancelled: list[tuple[Pending, str]] = field(default_factory=list)
    # The moment each nudge that waits may go, when nothing changes meanwhile (`ledger.hold_back`).
    held: dict[int, datetime] = field(default_factory=dict)

    def message(self, won: set[int]) -> Outgoing | None:
        """The one message carrying every nudge of this batch the sweep won."""
        rows = sorted((n for n in self.now if n.id in won),
                      key=lambda n: (ORDER.index(n.kind) if n.kind in ORDER else len(ORDER), n.id))
        if not rows:
            return None
        by_partnership: dict[str, list[Item]] = {}
        for n in rows:
            by_partnership.setdefault(n.partnership, []).append(Item(n.text, n.actions, n.about, n.echo))
        personal = self.user_id is not None
        homes = {n.home for n in rows}
        reply = Reply(
            title="Reminders from partnerbot" if personal else "From partnerbot",
            sections=[Section(name, items) for name, items in by_partnership.items()],
            audience=Audience.PERSONAL if personal else Audience.CHANNEL,
        )
        return Outgoing(self.platform, self.workspace, self.user_id, self.channel, self.recipient, reply,
                        tuple(n.id for n in rows), homes.pop() if len(homes) == 1 else None, tuple(n.kind for n in rows))


def plan(session: Session, now: datetime, platform: str | None = None,
         cancelled: Sequence[tuple[ledger.Waiting, str]] = (), everything: bool = False) -> list[Batch]:
    """Group pending nudges by recipient and decide which may go now.

    A person's nudge waits while they are away, through their quiet hours (in their own
    time zone) and once they have had the day's cap of messages; channels have none of these.
    The ones an earlier plan held back until a moment still to come are left out (`ledger.hold_back`),
    unless `everything`. Nudges this sweep `cancelled` are shown with their recipients too (for the dry run).
    """
    rows = ledger.pending(session, now, platform, everything)
    every = [*rows, *(n for n, _ in cancelled)]
    partnerships = {p.id: p for p in session.scalars(
        select(Partnership).where(Partnership.id.in_({n.partnership_id for n in every})))}
    limits = thresholds_for(session, partnerships)
    linked = ledger.rooms(session, partnerships)
    room_of = {(r.partnership_id, r.channel): r for found in linked.values() for r in found}
    people = {person.id: person for person in session.scalars(
        select(Person).where(Person.id.in_({n.person_id for n in every if n.person_id is not None})))}
    had = ledger.messages_since(session, {pid: day_start(zone(person.timezone), now) for pid, person in people.items()}, now)
    several = queries.in_several(session, people)
    batches: dict[tuple[object, ...], Batch] = {}

    def batch_of(n: ledger.Waiting) -> tuple[Batch, Pending]:
        p = partnerships[n.partnership_id]
        person = people.get(n.person_id) if n.person_id is not None else None
        # The recipient's platform: a room's own (a partnership may have rooms on several), a person's own.
        room = room_of.get((p.id, n.channel or ""))
        platform, workspace = ((person.platform, person.workspace) if person is not None
                               else (room.platform, room.workspace) if room is not None else (p.platform, p.workspace))
        home = next((r.channel for r in linked.get(p.id, []) if (r.platform, r.workspace) == (platform, workspace)), None)
        text, actions = n.text, tuple(Action(label, run) for label, run in ledger.buttons(n.actions))
        if person is not None and person.id in several:  # a direct message, where no channel says which partnership
            text, actions = commands_within(text, p.name), tuple(within(a, p.name) for a in actions)
        pending = Pending(n.id, n.kind, text, p.name, home, actions, ledger.about(n.key), n.kind == ledger.ECHO)
        if person is None:
            return batches.setdefault(("channel", platform, workspace, n.channel),
                                      Batch(f"#{n.channel}", platform, workspace, None, n.channel)), pending
        return batches.setdefault(("person", person.id), Batch(
            f"@{person.display_name}", person.platform, person.workspace, person.user_id, None)), pending

    for n, why in cancelled:
        batch, pending = batch_of(n)
        batch.cancelled.append((pending, why))
    for n in rows:
        batch, pending = batch_of(n)
        person = people.get(n.person_id) if n.person_id is not None else None
        if person is None:
            batch.now.append(pending)
            continue
        tz = zone(person.timezone)
        t = limits[n.partnership_id]
        if away_now(person, now):
            batch.later.append((pending, f"away until {person.away_until}"))
            batch.held[n.id] = back_from_away(person, tz)
        elif quiet(t, tz, now):
            batch.later.append((pending, f"quiet hours until {show_setting('quiet_end', t.quiet_end)} their time"))
            batch.held[n.id] = quiet_ends(t, tz, now)
        elif had[person.id] >= t.daily_cap:
            batch.later.append((pending, f"daily cap of {t.daily_cap} messages reached"))
            # Their next day; or sooner, if a message counted as on its way fails and gives its place back.
            batch.held[n.id] = min(day_start(tz, now) + timedelta(days=1), now + LEASE)
        else:
            batch.now.append(pending)
    return list(batches.values())


@dataclass
class SweepReport:
    recorded: int = 0
    sent: list[Outgoing] = field(default_factory=list)
    deferred: int = 0
    failed: int = 0
    # No longer true when asked again: the kind of each nudge cancelled.
    cancelled: list[str] = field(default_factory=list)
    # Partnerships this sweep derived, and the ones still due it left for the next (`derivation.CHUNK`).
    derived: int = 0
    left: int = 0
    # Partnerships whose derivation failed: their nudges wait until it is tried again (see the log).
    underived: int = 0
    # Whether to sweep again at once rather than in minutes: partnerships are left due, and this
    # sweep got on with them: derived some, or set aside some whose derivation failed (they wait
    # before they are tried again, so they cannot keep sweeps running).
    more_due: bool = False

    def summary(self) -> str:
        nudges = sum(len(m.nudge_ids) for m in self.sent)
        left = f" {plural(self.left, 'partnership')} left to derive next." if self.left else ""
        underived = (f" {plural(self.underived, 'partnership')} could not be derived (see the log);"
                     " tried again later." if self.underived else "")
        return (f"Sent {plural(len(self.sent), 'message')} ({plural(nudges, 'nudge')}); "
                f"{self.deferred} deferred; {len(self.cancelled)} cancelled (no longer true); "
                f"{self.failed} failed; {self.recorded} newly due.{left}{underived}")


def worker_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def sweep(sessions: sessionmaker[Session], delivery: Delivery, platform: str, now: datetime | None = None,
          worker: str | None = None, lease: timedelta = LEASE) -> SweepReport:
    """Record what is due, then deliver `platform`'s nudges that may go now; see the module docstring.

    The plan is made once (sweepers take turns making theirs, so daily caps count what the
    others hold); its messages are claimed `CLAIM` at a time, so several sweepers share a
    long sweep (each claims what the others have not) and no lease has to outlast it."""
    began = time.monotonic()
    now = now or database_now(sessions)
    worker = worker or worker_name()
    report = SweepReport()
    with transaction(sessions) as session:
        without_jit(session)
        # After waiting on another sweeper's derivation, this one holds the lock: it derives the
        # next chunk if that one left any (a waiter that only passed the turn on, the other
        # waiting on it in turn, would leave a midnight's partnerships due for ever).
        if ledger.deriving(session) or derivation.due(session, now, 1)[0]:
            # Closing a decision here must not miss a response given at the same moment.
            take_write_lock(session)
            report.recorded, cancelled, derived = owe(session, now)
            report.cancelled += [n.kind for n, _ in cancelled]
            report.derived, report.left = len(derived.marks()), derived.left
            report.underived = len(derived.failed)
            report.more_due = report.left > 0 and (report.derived > 0 or report.underived > 0)
            # Last, so the partnerships' rows are held (a command on one waits) only until the
            # commit; with the records, so a sweeper waiting to derive finds them derived.
            derivation.mark(session, derived.marks(), now)
            derivation.failed(session, derived.failed, now)
    started = time.monotonic()

    def clock() -> datetime:
        """Now, as the sweep goes on: deliveries may be slow (an adapter waiting out a rate limit)."""
        return now + timedelta(seconds=time.monotonic() - started)

    with transaction(sessions) as session:
        without_jit(session)
        ledger.serialise_claims(session)
        batches = plan(session, now, platform)
        ledger.hold_back(session, {i: moment for b in batches for i, moment in b.held.items()})
    # Deferred by this plan: the ones an earlier plan held back, and still holds, are not counted again.
    deferred = [n.kind for b in batches for n, _ in b.later]
    report.deferred = len(deferred)
    ready = [b for b in batches if b.now]
    failed: list[str] = []
    for first in range(0, len(ready), CLAIM):
        moment = clock()
        with transaction(sessions) as session:
            # One claim at a time: a claim racing another would skip the rows it is locking
            # and split a recipient's message in two.
            ledger.serialise_claims(session)
            won = ledger.claim(session, {n.id for b in ready[first:first + CLAIM] for n in b.now}, worker, moment,
                               moment + lease)
        claimed = [(b, ids) for b in ready[first:first + CLAIM] if (ids := {n.id for n in b.now} & won)]
        failed += deliver(sessions, delivery, claimed, worker, now, clock, lease, report)
    more = True
    while more:  # a batch a transaction, so the mail gateway never waits on the table for long
        with transaction(sessions) as session:
            more = forget_old_mail(session, now)
    with transaction(sessions) as session:
        forget_spent(session, now)  # housekeeping, off any request's path
        forget_spent_counts(session, now)
        ledger.swept(session, platform, clock())
    metrics.swept(platform, time.monotonic() - began, [k for m in report.sent for k in m.kinds], deferred, failed,
                  report.cancelled)
    return report


def work_off(sessions: sessionmaker[Session], delivery: Delivery, platform: str, now: datetime | None = None,
             worker: str | None = None, lease: timedelta = LEASE) -> Iterator[SweepReport]:
    """Sweep until no partnership is left due (a zone's midnight takes several chunks), each
    sweep committing its own; the report of each. It stops too once a sweep gets on with none
    of them (`SweepReport.more_due`)."""
    while True:
        report = sweep(sessions, delivery, platform, now, worker, lease)
        yield report
        if not report.more_due:
            return


# Messages claimed in one round: their delivery fits in a lease (renewed if not), and a second
# sweeper finds the rest free to claim.
CLAIM = 200


def deliver(sessions: sessionmaker[Session], delivery: Delivery, claimed: list[tuple[Batch, set[int]]], worker: str,
            now: datetime, clock: Callable[[], datetime], lease: timedelta, report: SweepReport) -> list[str]:
    """Send one round's messages, each asked again just before it goes and marked sent (at the
    sweep's `now`) in its own transaction; returns the kinds whose delivery failed. The
    round's lease is renewed whenever half of it has gone."""
    failed: list[str] = []
    held_until = clock() + lease
    for turn, (batch, ids) in enumerate(claimed):
        moment = clock()
        with transaction(sessions) as session:
            if moment + lease / 2 > held_until:
                ledger.renew(session, {i for _, rest in claimed[turn + 1:] for i in rest}, worker, moment,
                             moment + lease)
                held_until = moment + lease
            message = last_look(session, batch, ids, worker, moment, lease, report)
        if message is None:
            continue
        try:
            message.send(delivery)
        except Exception as exc:  # an adapter's failure must not lose the nudge or stop the sweep
            log.warning("delivering nudges %s to %s failed: %s", message.nudge_ids, message.recipient, exc)
            with transaction(sessions) as session:
                ledger.release(session, message.nudge_ids, worker, f"{type(exc).__name__}: {exc}", now)
            report.failed += 1
            failed += message.kinds
            continue
        with transaction(sessions) as session:
            if ledger.mark_sent(session, message.nudge_ids, worker, now) != len(message.nudge_ids):
                log.warning("lease on nudges %s ran out during delivery", message.nudge_ids)
        report.sent.append(message)
    return failed


def owe(session: Session, now: datetime) -> tuple[int, list[tuple[ledger.Waiting, str]], Derived]:
    """Record what the state says is owed at `now`, and cancel what waits but no longer holds:
    how many nudges were new, the cancelled ones with why, and what was derived."""
    due, derived = derive(session, now)
    # Changed (a setting, a time zone, time away): what its waiting nudges wait for may have too.
    ledger.free(session, [d.id for d, _ in derived.partnerships if d.changed])
    due = ledger.to_every_room(session, due)
    recorded = ledger.record(session, due, now)
    return recorded, settle(session, due, derived, now), derived


def last_look(session: Session, batch: Batch, ids: set[int], worker: str, moment: datetime, lease: timedelta,
              report: SweepReport) -> Outgoing | None:
    """Just before delivery, under the lease: renew it, ask whether each nudge still holds,
    cancel the ones that don't (or give back the ones that must wait), and make the message
    of the rest; None when nothing is left to send, or the lease was lost (in part: the
    rest is given back for another sweep)."""
    held = ledger.renew(session, ids, worker, moment, moment + lease)
    if len(held) < len(ids):
        ledger.put_back(session, [n.id for n in held], worker)
        log.warning("lease on nudges %s ran out before delivery; leaving them to another sweep", sorted(ids))
        return None
    verdicts = still_true(session, held, moment)
    stale = {i: v.reason for i, v in verdicts.items() if not v.wait}
    gone = ledger.cancel(session, stale, moment, worker)
    ledger.put_back(session, [i for i, v in verdicts.items() if v.wait], worker)
    report.cancelled += [n.kind for n in held if n.id in gone]
    return batch.message(ids - set(verdicts))


def preview(sessions: sessionmaker[Session], now: datetime | None = None) -> tuple[list[Batch], int]:
    """What a sweep would send now and to whom, and what it would cancel as no longer true
    and why, changing nothing (the dry run); and how many partnerships due it would leave to
    the sweeps after it (of a midnight's many, it derives the first chunk)."""
    now = now or database_now(sessions)
    session = sessions()
    try:
        # In a transaction from the first statement, as a sweep's is: on SQLite a savepoint opened
        # outside one (rolling recurring work on) is committed by its own release.
        take_write_lock(session)
        _, cancelled, derived = owe(session, now)
        return plan(session, now, cancelled=cancelled, everything=True), derived.left
    finally:
        session.rollback()
        session.close()


def start(sessions: sessionmaker[Session], delivery: Delivery, platform: str, minutes: float = SWEEP_MINUTES,
          first_run: datetime | None = None, lease: timedelta = LEASE) -> BackgroundScheduler:
    """Sweep every `minutes` in a background thread, from `first_run` (default: now).

    Runs that pile up while the process is busy (or the machine sleeps) coalesce into
    one, and never overlap; a sweep that fails is logged and the next one tries again.
    A sweep that left partnerships due (`SweepReport.more_due`) is followed by the next at once.
    """

    def job() -> bool:
        try:
            return sweep(sessions, delivery, platform, lease=lease).more_due
        except Exception:  # the database away, say: the next sweep picks up where this left off
            log.exception("nudge sweep failed")
            return False

    scheduler = BackgroundScheduler(timezone=UTC)
    job_ = scheduler.add_job(job, "interval", minutes=minutes, id="nudge-sweep", coalesce=True, max_instances=1,
                             misfire_grace_time=None, next_run_time=first_run or datetime.now(UTC))

    def sweep_now() -> None:
        """Sweep now, not in minutes: a command told someone something (a handover to accept),
        or the last sweep left partnerships due."""
        if scheduler.running:
            job_.modify(next_run_time=datetime.now(UTC))

    def swept(event: JobExecutionEvent) -> None:
        """Called once the run has ended: a run asked for while it runs would be skipped."""
        if event.retval:
            sweep_now()

    scheduler.add_listener(swept, EVENT_JOB_EXECUTED)
    scheduler.start()
    ledger.on_told(sessions, sweep_now)
    return scheduler


@contextmanager
def sweeping(settings: Settings, sessions: sessionmaker[Session], delivery: Delivery, platform: str,
             first_run: datetime | None = None) -> Iterator[None]:
    """Sweep in the background while the block runs, unless PARTNERBOT_SWEEP=off leaves the
    sweeping to another process (`partnerbot sweeper`)."""
    if not settings.sweep:
        log.info("%s: not sweeping in this process (PARTNERBOT_SWEEP=off)", platform)
        yield
        return
    background = start(sessions, delivery, platform, first_run=first_run, lease=settings.sweep_lease)
    try:
        yield
    finally:
        background.shutdown(wait=False)
