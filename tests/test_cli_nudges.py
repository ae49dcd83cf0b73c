"""`partnerbot tick`, `partnerbot nudges` (a dry run; `--send` sends), and nudges in the console chat.

The CLI reads the real clock, so the partnership here is set up ten days in the past and
quiet hours are switched off: whatever the time of day the tests run, bob's commitment
is overdue and may be sent now.
"""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot import cli, scheduler
from bot.console import CHANNEL, PLATFORM, WORKSPACE, Console
from handlers.reply import Reply
from storage import derivation
from storage.models import Commitment, Nudge, Partnership
from tests.conftest import Chat, snapshot


@pytest.fixture
def overdue(sessions: sessionmaker[Session], engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Chat:
    """The console's own workspace, with bob's commitment overdue by the real clock."""
    chat = Chat(sessions, now=datetime.now(UTC) - timedelta(days=10), workspace=WORKSPACE, channel=CHANNEL)
    chat.ok("alice", 'setup "Riverside Partnership" kind:task-force')
    chat.ok("alice", "nudge set quiet_start:0 quiet_end:0")
    chat.ok("bob", 'join org:"Chamber of Trade" sector:private capacity:4h')
    chat.ok("bob", 'commit "Deliver 500 leaflets" by:tomorrow')
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return chat


@pytest.mark.parametrize("flags", [[], ["--dry-run"]])
def test_nudges_shows_who_gets_what_and_changes_nothing(overdue: Chat, capsys: pytest.CaptureFixture[str],
                                                        flags: list[str]) -> None:
    before = snapshot(overdue.sessions)
    cli.main(["nudges", *flags])
    out = capsys.readouterr().out
    assert "To @Bob (console/local), now, as one message:" in out
    assert "[overdue] Riverside Partnership: #1 Deliver 500 leaflets was due" in out
    assert snapshot(overdue.sessions) == before


def test_the_dry_run_rolls_no_recurring_work_on(overdue: Chat, capsys: pytest.CaptureFixture[str]) -> None:
    """A weekly job whose day passed (ten days ago, by the real clock): the sweep would mark it
    missed and make the next; the preview shows that next one's nudges and keeps neither."""
    overdue.ok("bob", 'commit "Sweep the yard" every:week effort:1h')
    before = snapshot(overdue.sessions)
    cli.main(["nudges"])
    capsys.readouterr()
    assert snapshot(overdue.sessions) == before
    with overdue.sessions() as session:
        assert [c.status.value for c in session.scalars(select(Commitment).order_by(Commitment.id))] == ["open", "open"]


def test_nudges_shows_what_it_would_cancel_and_why(overdue: Chat, capsys: pytest.CaptureFixture[str]) -> None:
    overdue.ok("bob", "reassign 1 @alice")  # alice is asked to accept it...
    overdue.ok("alice", 'drop 1 "The printer closed"')  # ...and drops it before a sweep has run
    before = snapshot(overdue.sessions)
    cli.main(["nudges"])
    out = capsys.readouterr().out
    assert ("To @Alice (console/local), cancelled, no longer true (#1 Deliver 500 leaflets was dropped):\n"
            "  [handover] Riverside Partnership: Bob handed you #1 Deliver 500 leaflets") in out
    assert snapshot(overdue.sessions) == before
    with overdue.sessions() as session:
        # The drop sent the work back to Bob, who is told it was closed.
        assert session.execute(select(Nudge.kind, Nudge.cancelled_at).order_by(Nudge.id)).all() == [
            ("handover", None), ("closed", None)], "a dry run cancels nothing"


def test_nudges_send_sends_and_marks_them_once(overdue: Chat, capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["nudges", "--send"])
    assert "[nudge to @bob]\nReminders from partnerbot\n" in capsys.readouterr().out
    with overdue.sessions() as session:
        sent = session.scalars(select(Nudge)).all()
    assert sent and all(n.sent_at is not None for n in sent)
    cli.main(["nudges"])
    assert capsys.readouterr().out.strip() == "No nudges are due."


def test_nudges_send_and_dry_run_together_are_refused(overdue: Chat, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(overdue.sessions)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["nudges", "--send", "--dry-run"])
    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert snapshot(overdue.sessions) == before


def test_tick_sends_once_and_exits(overdue: Chat, capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["tick"])
    out = capsys.readouterr().out
    assert "[nudge to @bob]\nReminders from partnerbot\nRiverside Partnership\n  • #1 Deliver 500 leaflets was due" in out
    assert "[nudge to @alice]" in out and "#1 Deliver 500 leaflets, held by Bob (Chamber of Trade), is " in out
    assert "[nudge to #console]" in out and "The week in Riverside Partnership" in out
    assert "Sent 3 messages (3 nudges); 0 deferred; 0 cancelled (no longer true); 0 failed; 3 newly due." in out
    cli.main(["tick"])
    assert capsys.readouterr().out.strip() == ("console: Sent 0 messages (0 nudges); 0 deferred; "
                                               "0 cancelled (no longer true); 0 failed; 0 newly due.")


def console(overdue: Chat, script: str) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(overdue.sessions, "alice", "UTC", stdin=io.StringIO(script), stdout=out), out


def test_piped_console_stays_deterministic_without_nudges(overdue: Chat) -> None:
    chat, out = console(overdue, "who\n")
    cli.chat(chat, nudges=None)
    assert "[nudge" not in out.getvalue()
    assert out.getvalue().startswith("alice> who\n")


def test_console_with_nudges_shows_them_in_the_chat(overdue: Chat) -> None:
    chat, out = console(overdue, "who\n")
    cli.chat(chat, nudges=True)
    text = out.getvalue()
    assert "[nudge to @bob]\nReminders from partnerbot\n" in text
    assert text.index("[nudge to @bob]") < text.index("alice> who"), "one sweep before the first line"


class Signalling:
    """A recording delivery that also says when something arrived, for a thread to wait on."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.arrived = threading.Event()

    def send_to_person(self, workspace: str, user_id: str, *, reply: Reply,
                       partnership_channel: str | None = None) -> None:
        self.received.append(f"@{user_id}")
        self.arrived.set()

    def send_to_channel(self, workspace: str, channel: str, *, reply: Reply) -> None:
        self.received.append(f"#{channel}")
        self.arrived.set()


def test_the_background_scheduler_sweeps_on_its_own(overdue: Chat) -> None:
    """APScheduler runs the sweep in its own thread; the test waits for delivery, not on a clock."""
    delivery = Signalling()
    background = scheduler.start(overdue.sessions, delivery, PLATFORM)
    try:
        assert delivery.arrived.wait(timeout=30), "no sweep ran"
    finally:
        background.shutdown(wait=True)
    assert "@bob" in delivery.received
    with overdue.sessions() as session:
        assert session.scalars(select(Nudge).where(Nudge.sent_at.is_(None))).all() == []


@pytest.fixture
def wave(overdue: Chat, monkeypatch: pytest.MonkeyPatch) -> Chat:
    """Three partnerships due at once, each with an owner's overdue work, and a sweep deriving one of them."""
    monkeypatch.setattr(derivation, "CHUNK", 1)
    for channel, coordinator, owner in (("market", "carol", "dave"), ("library", "erin", "frank")):
        overdue.channel = channel
        overdue.ok(coordinator, f'setup "{channel.title()} Group" kind:task-force')
        overdue.ok(coordinator, "nudge set quiet_start:0 quiet_end:0")
        overdue.ok(owner, 'join org:"Chamber of Trade" sector:private capacity:4h')
        overdue.ok(owner, f'commit "{owner}: posters" by:tomorrow')
    return overdue


def undelivered(chat: Chat) -> list[tuple[str, datetime | None]]:
    """Every partnership never derived, and every nudge not sent."""
    with chat.sessions() as session:
        return [*session.execute(select(Partnership.name, Partnership.derived_at)
                                 .where(Partnership.derived_at.is_(None))),
                *session.execute(select(Nudge.kind, Nudge.sent_at).where(Nudge.sent_at.is_(None)))]


class Reminding:
    """A delivery that signals once each of the `tasks` named has been in a message to its owner."""

    def __init__(self, *tasks: str) -> None:
        self.tasks = set(tasks)
        self.told: list[str] = []
        self.arrived = threading.Event()

    def send_to_person(self, workspace: str, user_id: str, *, reply: Reply,
                       partnership_channel: str | None = None) -> None:
        self.told += [task for task in self.tasks if f"{task} was due" in reply.plain()]
        if self.tasks <= set(self.told):
            self.arrived.set()

    def send_to_channel(self, workspace: str, channel: str, *, reply: Reply) -> None:
        pass  # the channels' digests: not what is waited for


def test_the_background_scheduler_sweeps_again_at_once_while_partnerships_are_due(wave: Chat) -> None:
    """Three sweeps of a chunk each, one after the other, not an hour apart."""
    delivery = Reminding("Deliver 500 leaflets", "dave: posters", "frank: posters")
    background = scheduler.start(wave.sessions, delivery, PLATFORM, minutes=60)
    try:
        assert delivery.arrived.wait(timeout=30), f"only {delivery.told} were told"
    finally:
        background.shutdown(wait=True)
    assert undelivered(wave) == []
    assert sorted(delivery.told) == ["Deliver 500 leaflets", "dave: posters", "frank: posters"], "each told once"


def test_the_dry_run_says_what_it_leaves_to_later_chunks(wave: Chat, capsys: pytest.CaptureFixture[str]) -> None:
    """Three partnerships due, a chunk of one: the dry run shows the first one's nudges and
    says that two more wait, rather than passing over them."""
    cli.main(["nudges"])
    out = capsys.readouterr().out
    assert "Deliver 500 leaflets was due" in out and "dave: posters" not in out and "frank: posters" not in out
    assert "2 partnerships more are due, left to the sweeps after the next" in out


def test_tick_sweeps_until_no_partnership_is_due(wave: Chat, capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["tick"])
    out = capsys.readouterr().out
    for owner in ("bob", "dave", "frank"):
        assert out.count(f"[nudge to @{owner}]") == 1
    summaries = [line for line in out.splitlines() if line.startswith("console: ")]
    assert [line.split(" newly due.")[1] for line in summaries] == [
        " 2 partnerships left to derive next.", " 1 partnership left to derive next.", ""], "three sweeps, one each"
    assert undelivered(wave) == []
    cli.main(["tick"])
    assert capsys.readouterr().out.strip() == ("console: Sent 0 messages (0 nudges); 0 deferred; "
                                               "0 cancelled (no longer true); 0 failed; 0 newly due.")
