"""SIGKILL the bot while it works, restart it, and nothing acknowledged is lost or done twice.

A real `partnerbot run` serves a stream of signed slash commands from several threads and is
killed mid-stream. Slack resends what it saw no 200 for (X-Slack-Retry-Num, same body); the
test resends every request, since a 200 can be lost on the way too. Afterwards each command
is in the database exactly once, each one Slack heard 200 for was committed before the kill,
and no reply is posted twice. (A change still running at the 2-second deadline is acknowledged
anyway, before it commits, so that Slack does not show the person an error: such a 200 promises
nothing, and a machine slow enough to take that long is not asked to have kept it.) Nudges sent
before the kill are not sent again, and those due after it are sent once, however many sweeps
run. Runs on the database the suite is set for.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot import scheduler
from bot.slack.acks import ACK_DEADLINE
from bot.slack.delivery import Delivery
from storage.models import Commitment, Nudge
from tests.bot_process import BotProcess, command_fields, slash
from tests.conftest import Chat
from tests.slack_recorder import BOT_TOKEN, Recorder, text_of

pytest_plugins = ("tests.slack_fixtures",)

SENDERS = {"UALICE": "Alice", "UBOB": "Bob", "UCAROL": "Carol"}
MEMBERS = {"UALICE": 'org:"Town Council" sector:public capacity:6h',
           "UBOB": 'org:"Chamber of Trade" sector:private capacity:4h',
           "UCAROL": 'org:"Riverside Trust" sector:voluntary capacity:3h'}
PER_SENDER = 12


def partnership(sessions: sessionmaker[Session], now: datetime) -> Chat:
    """Riverside in Slack workspace T1, channel C1, with three members; quiet hours off."""
    chat = Chat(sessions, now=now, platform="slack", workspace="T1", channel="C1")
    chat.ok("UALICE", 'setup "Riverside Partnership" kind:task-force')
    chat.ok("UALICE", "nudge set quiet_start:0 quiet_end:0")
    for user, joining in MEMBERS.items():
        chat.ok(user, "join " + joining)
    return chat


def titles(sessions: sessionmaker[Session]) -> Counter[str]:
    with sessions() as session:
        return Counter(session.scalars(select(Commitment.title)))


def announced(recorder: Recorder) -> Counter[str]:
    """How often each `Task` commitment was announced in the channel."""
    found: Counter[str] = Counter()
    for call in recorder.calls("chat.postMessage"):
        words = text_of(call.params.get("blocks") or [])
        found.update(word.split("—")[0].split(" ", 1)[1].strip() for word in words.splitlines()
                     if word.startswith("#") and " Task " in word)
    return found


class Stream:
    """Each sender types its commands one after another, all senders at once."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.requests: dict[str, dict[str, str]] = {}  # title -> the request's fields
        self.answers: dict[str, int] = {}  # title -> HTTP status (0: no answer)
        self.promised: set[str] = set()  # titles answered 200 before the acknowledgement deadline
        self.lock = threading.Lock()
        self.progress = threading.Condition(self.lock)

    def send(self, user: str) -> None:
        for n in range(PER_SENDER):
            title = f"Task {SENDERS[user]} {n:02d}"
            fields = command_fields(f'commit "{title}" by:"in 3 weeks"', f"{user}.{n}.trigger", user=user)
            with self.lock:
                self.requests[title] = fields
            started = time.monotonic()
            status = slash(self.url, fields)
            with self.progress:
                self.answers[title] = status
                if status == 200 and time.monotonic() - started < ACK_DEADLINE:
                    self.promised.add(title)
                self.progress.notify_all()

    def run(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.send, args=(user,)) for user in SENDERS]
        for thread in threads:
            thread.start()
        return threads

    def wait_for(self, count: int) -> None:
        with self.progress:
            assert self.progress.wait_for(lambda: len(self.answers) >= count, timeout=60), self.answers

    def acknowledged(self) -> set[str]:
        """The commands answered 200 as a promise: once committed, not at the deadline."""
        with self.lock:
            return set(self.promised)


def test_a_killed_bot_loses_no_acknowledged_command_and_repeats_none(
        engine: Engine, sessions: sessionmaker[Session], recorder: Recorder, tmp_path: Path) -> None:
    partnership(sessions, datetime.now(UTC))
    bot = BotProcess(engine.url.render_as_string(hide_password=False), recorder, tmp_path)
    stream = Stream(bot.start())
    try:
        senders = stream.run()
        stream.wait_for(len(SENDERS) * PER_SENDER // 3)
        bot.kill()
        acknowledged = stream.acknowledged()
        for sender in senders:
            sender.join(30)
        # Every 200 was a commit: those changes are in the database, before any resend.
        kept = titles(sessions)
        assert acknowledged and acknowledged <= set(kept), acknowledged - set(kept)
        assert len(acknowledged) < len(stream.requests), "the kill came after the stream ended"

        bot.start()
        for title, fields in stream.requests.items():
            assert slash(bot.url, fields, retry_num=1) == 200, title
    finally:
        bot.stop()
    assert titles(sessions) == Counter(list(stream.requests)), "a command lost or done twice"
    assert max(announced(recorder).values()) == 1, "a reply posted twice"


Sent = tuple[str, str]  # where a nudge goes (a person's DM or a channel), and its text


def nudges_sent(recorder: Recorder, nudges: Counter[Sent]) -> Counter[Sent]:
    """How many posts to its recipient each nudge's text appeared in."""
    shown = [(c.params["channel"], text_of(c.params.get("blocks") or [])) for c in recorder.calls("chat.postMessage")]
    return Counter({(to, text): sum(to == where and text in words for where, words in shown) for to, text in nudges})


def ledger(sessions: sessionmaker[Session]) -> dict[Sent, list[datetime | None]]:
    """Every nudge, by recipient and text (a warning that holds for another week is a nudge
    of its own, with the same words), and when each was sent."""
    found: dict[Sent, list[datetime | None]] = {}
    with sessions() as session:
        for n in session.scalars(select(Nudge)):
            found.setdefault((n.person.user_id if n.person else n.channel or "", n.text), []).append(n.sent_at)
    return found


def test_nudges_are_neither_lost_nor_repeated_across_a_kill(
        engine: Engine, sessions: sessionmaker[Session], recorder: Recorder, tmp_path: Path) -> None:
    """The bot sweeps as it starts, so bob's overdue reminder goes out; it is then killed mid-stream
    and restarted (sweeping again) while two more sweepers run beside it on the same clock; a week
    on, two sweepers at once send what has fallen due since.

    Sweepers share one clock, as processes on one machine (or NTP-synced ones) do: a lease
    lasts minutes, so one clock a week ahead would rightly see another's live lease as expired."""
    chat = partnership(sessions, datetime.now(UTC) - timedelta(days=10))
    chat.ok("UBOB", 'commit "Deliver 500 leaflets" by:tomorrow')
    chat.ok("UCAROL", 'commit "Book the hall" by:"in 12 days"')
    bot = BotProcess(engine.url.render_as_string(hide_password=False), recorder, tmp_path)
    stream = Stream(bot.start())
    try:
        before_kill = wait_for_sent(sessions)
        assert any("Deliver 500 leaflets" in text for _, text in before_kill)
        senders = stream.run()
        stream.wait_for(len(SENDERS))
        bot.kill()
        for sender in senders:
            sender.join(30)
        bot.start()
        sweep_beside(sessions, recorder, now=None)
        wait_for_sent(sessions)
    finally:
        bot.stop()
    sweep_beside(sessions, recorder, now=datetime.now(UTC) + timedelta(days=7))
    after = wait_for_sent(sessions)
    assert set(before_kill) < set(after), "nothing new fell due a week on"
    assert any("Book the hall" in text for _, text in after)
    counts = nudges_sent(recorder, after)
    assert counts == after, {nudge: (posted, after[nudge]) for nudge, posted in counts.items() if posted != after[nudge]}


def sweep_beside(sessions: sessionmaker[Session], recorder: Recorder, now: datetime | None) -> None:
    """Two sweeps at once, as two more bot processes would run them."""
    sweeps = [threading.Thread(target=scheduler.sweep, args=(sessions, Delivery(recorder.url, BOT_TOKEN), "slack"),
                               kwargs={"now": now}) for _ in range(2)]
    for sweep in sweeps:
        sweep.start()
    for sweep in sweeps:
        sweep.join(60)


def wait_for_sent(sessions: sessionmaker[Session], timeout: float = 30) -> Counter[Sent]:
    """Every nudge, once the ledger has some and all of them are sent."""
    deadline = time.monotonic() + timeout
    while True:
        found = ledger(sessions)
        if found and None not in sum(found.values(), []):
            return Counter({nudge: len(sent) for nudge, sent in found.items()})
        assert time.monotonic() < deadline, f"nudges still unsent: {found}"
        time.sleep(0.1)
