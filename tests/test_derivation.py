"""A sweep derives a partnership's nudges again only when something of it changed since its last
derivation, or when a moment has come that could change them with nothing changed (a reminder's
day, a midnight): storage/derivation.py. Seen here in the rows the sweep reads (a derivation
reads the partnership's episodes; nothing else does) and in when the partnership was last derived,
and in what people receive."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from bot import scheduler
from handlers.nudges import Deriver, DueNudge
from storage import derivation as storage_derivation
from storage.models import Nudge, Partnership, Person
from tests.conftest import Chat
from tests.test_governance_sweep import counting
from tests.test_nudges import Inbox, at, inbox, ledger, sweep

__all__ = ["inbox"]  # the fixture, used by name


def derivation(chat: Chat) -> dict[str, tuple[datetime | None, datetime | None]]:
    """Each partnership's last derivation and the moment it is next due to be derived, by name."""
    with chat.sessions() as session:
        return {name: (derived_at, after) for name, derived_at, after in session.execute(
            select(Partnership.name, Partnership.derived_at, Partnership.derive_after))}


def derives(chat: Chat, inbox: Inbox) -> bool:
    """Sweep, and say whether the sweep read any partnership's state to derive it."""
    engine: Engine = chat.sessions.kw["bind"]
    with counting(engine) as statements:
        sweep(chat, inbox)
    return any("FROM episodes" in s for s in statements)


def test_an_unchanged_partnership_is_left_alone_until_a_reminder_falls_due(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday effort:3h')  # Fri 27 Nov
    assert derives(town, inbox)
    first = town.now
    # The first moment that could change its nudges: the next midnight (UTC, everyone's zone here).
    assert derivation(town) == {"Riverside Partnership": (first, datetime(2026, 11, 25, tzinfo=UTC))}

    for _ in range(3):  # sweeps every five minutes, nothing changed: nothing read, nothing derived
        town.advance(minutes=5)
        assert not derives(town, inbox)
    assert derivation(town)["Riverside Partnership"][0] == first
    assert inbox.take_all() == []

    at(town, "2026-11-26T10:00")  # within two days of its due date: a moment, with nothing changed
    assert derives(town, inbox)
    [(who, text)] = inbox.take_all()
    assert who == "@bob" and "#1 Deliver 500 leaflets is due Fri 27 Nov" in text
    assert derivation(town)["Riverside Partnership"][0] == town.now

    town.advance(minutes=5)
    assert not derives(town, inbox)
    assert inbox.take_all() == [], "told once"


def test_a_command_makes_the_next_sweep_derive_the_partnership(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Book the hall" by:2026-11-29')
    town.advance(days=1)  # Wed 25 Nov: due in four days, not yet within two
    assert derives(town, inbox)
    town.advance(minutes=5)
    assert not derives(town, inbox)
    assert inbox.take_all() == []

    town.ok("alice", "nudge set due_soon_days:5")
    town.advance(minutes=5)
    assert derives(town, inbox)
    assert "#1 Book the hall is due Sun 29 Nov" in inbox.to("@bob")[0]
    assert derivation(town)["Riverside Partnership"][0] == town.now

    town.ok("bob", "done 1")  # a conditional update, not a flush: counted all the same
    town.advance(minutes=5)
    assert derives(town, inbox)


def test_a_change_to_a_person_derives_every_partnership_they_are_in(town: Chat, inbox: Inbox) -> None:
    town.channel = "market"
    town.ok("carol", 'setup "Market Group" kind:task-force')
    town.ok("bob", "join org:Chamber sector:private")
    town.channel = "quiet"
    town.ok("carol", 'setup "Quiet Group" kind:task-force')
    assert derives(town, inbox)
    before = town.now
    town.advance(minutes=5)
    assert not derives(town, inbox)

    town.channel = "general"
    town.ok("bob", 'away monday "in 2 weeks"')  # a conditional update of bob alone
    town.advance(minutes=5)
    assert derives(town, inbox)
    assert {name: when for name, (when, _) in derivation(town).items()} == {
        "Riverside Partnership": town.now, "Market Group": town.now, "Quiet Group": before}


def test_a_nudge_held_back_waits_for_its_moment_unless_a_change_frees_it(town: Chat, inbox: Inbox) -> None:
    town.ok("carol", "tz Asia/Tokyo")
    town.ok("carol", 'commit "Recruit litter pickers" by:2026-11-26')
    at(town, "2026-11-27T13:00")  # 22:00 for carol: quiet hours until 08:00 her time
    assert sweep(town, inbox).deferred == 1
    [held] = [n for n in ledger(town) if n.kind == "overdue"]
    assert held.not_before == datetime(2026, 11, 27, 23, 0, tzinfo=UTC) and held.sent_at is None

    town.advance(minutes=5)  # left out of the plan: not deferred again, still waiting
    assert sweep(town, inbox).deferred == 0 and inbox.to("@carol") == []
    assert [n.not_before for n in ledger(town) if n.kind == "overdue"] == [held.not_before]

    town.ok("alice", "nudge set quiet_start:23:00")  # quiet hours begin later: it may go now
    town.advance(minutes=5)
    sweep(town, inbox)
    [message] = inbox.to("@carol")
    assert "#1 Recruit litter pickers was due Thu 26 Nov" in message



def reminders(chat: Chat) -> dict[str, bool]:
    """Each due-date reminder recorded, by its owner, and whether it was sent."""
    with chat.sessions() as session:
        return {user: sent is not None for user, sent in session.execute(
            select(Person.user_id, Nudge.sent_at).join(Nudge.person).where(Nudge.kind == "due-soon"))}


def reminded(inbox: Inbox) -> list[str]:
    """Who the messages since the last look reminded of a due date."""
    return sorted(who for who, text in inbox.take_all() if " is due " in text)


def test_a_sweep_derives_a_chunk_changed_ones_first_then_the_longest_due(town: Chat, inbox: Inbox,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """At a zone's midnight nearly every partnership is due at once: a sweep derives a chunk of
    them, the changed ones first, then the ones whose moment came longest ago; the next sweep the rest."""
    monkeypatch.setattr(storage_derivation, "CHUNK", 2)
    town.ok("bob", 'commit "Deliver 500 leaflets" by:2026-11-27')  # Riverside, the first partnership
    town.channel = "market"
    town.ok("carol", 'setup "Market Group" kind:task-force')
    town.ok("dave", 'join org:"Stallholders" sector:private')
    town.ok("dave", "tz Asia/Tokyo")  # his midnight, 15:00 UTC, comes before the others'
    town.ok("dave", 'commit "Book the stalls" by:2026-11-27')
    town.channel = "quiet"
    town.ok("erin", 'setup "Quiet Group" kind:task-force')
    town.ok("frank", 'join org:"Library" sector:public')
    town.ok("frank", 'commit "Borrow the projector" by:2026-11-27')
    report = sweep(town, inbox)
    assert (report.derived, report.left, report.more_due) == (2, 1, True)
    sweep(town, inbox)
    first = town.now
    assert reminders(town) == {}
    moments = {name: after for name, (_, after) in derivation(town).items()}
    assert moments["Market Group"] < moments["Riverside Partnership"] <= moments["Quiet Group"]

    at(town, "2026-11-26T10:00")  # all three due by a moment, each owner's reminder owed
    town.channel = "quiet"
    town.ok("erin", "nudge set due_soon_days:3")  # and Quiet Group changed
    report = sweep(town, inbox)
    assert (report.derived, report.left, report.more_due) == (2, 1, True)
    assert {name: when for name, (when, _) in derivation(town).items()} == {
        "Quiet Group": town.now, "Market Group": town.now, "Riverside Partnership": first}
    assert derivation(town)["Riverside Partnership"][1] == moments["Riverside Partnership"], "left as it was"
    assert reminders(town) == {"dave": True, "frank": True}
    assert reminded(inbox) == ["@dave", "@frank"]

    report = sweep(town, inbox)  # the next sweep: the one left
    assert (report.derived, report.left, report.more_due) == (1, 0, False)
    assert derivation(town)["Riverside Partnership"][0] == town.now
    assert reminders(town) == {"dave": True, "frank": True, "bob": True}
    assert reminded(inbox) == ["@bob"]

    town.advance(minutes=5)
    assert sweep(town, inbox).derived == 0
    assert reminded(inbox) == [], "each reminded once"


def failures(chat: Chat) -> dict[str, tuple[int, datetime | None]]:
    """Each partnership's derivations failed in a row, and when it is next tried, by name."""
    with chat.sessions() as session:
        return {name: (failed, after) for name, failed, after in session.execute(
            select(Partnership.name, Partnership.derive_failures, Partnership.derive_after))}


def test_a_partnership_whose_derivation_fails_waits_behind_the_others(town: Chat, inbox: Inbox,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Riverside's derivation fails (a bug, a bad row): retried first, as a changed partnership,
    it would take every chunk's first place, and a few such every chunk. It waits instead,
    longer after each failure, behind the ones that derive; once it derives, it is due as before."""
    monkeypatch.setattr(storage_derivation, "CHUNK", 1)
    town.ok("bob", 'commit "Deliver 500 leaflets" by:2026-11-27')  # Riverside, the first partnership
    town.channel = "market"
    town.ok("carol", 'setup "Market Group" kind:task-force')
    town.ok("dave", 'join org:"Stallholders" sector:private')
    town.ok("dave", 'commit "Book the stalls" by:2026-11-27')
    derive_all = Deriver.all

    def failing(deriver: Deriver) -> list[DueNudge]:
        if deriver.p.name == "Riverside Partnership":
            raise RuntimeError("a bad row")
        return derive_all(deriver)

    monkeypatch.setattr(Deriver, "all", failing)
    at(town, "2026-11-26T10:00")  # both reminders owed
    assert [(r.derived, r.left) for r in scheduler.work_off(town.sessions, inbox, "console", now=town.now)] == [
        (0, 1), (1, 0)], "Riverside failed, then Market Group's chunk: Riverside waits"
    assert reminded(inbox) == ["@dave"]
    assert failures(town)["Riverside Partnership"] == (1, datetime(2026, 11, 26, 10, 5, tzinfo=UTC))

    town.advance(minutes=5)  # its wait is over: tried again, fails again, waits twice as long
    town.channel = "market"
    town.ok("dave", 'commit "Sweep the square" by:2026-12-20')  # Market Group changed: derived first
    assert [(r.derived, r.left) for r in scheduler.work_off(town.sessions, inbox, "console", now=town.now)] == [
        (1, 1), (0, 0)]
    assert failures(town)["Riverside Partnership"] == (2, datetime(2026, 11, 26, 10, 15, tzinfo=UTC))
    town.advance(minutes=5)
    assert sweep(town, inbox).derived == 0, "still waiting"

    monkeypatch.setattr(Deriver, "all", derive_all)  # the bad row mended
    town.advance(minutes=5)
    assert sweep(town, inbox).derived == 1
    assert reminded(inbox) == ["@bob"]
    assert failures(town)["Riverside Partnership"] == (0, datetime(2026, 11, 27, tzinfo=UTC))


def test_a_partnership_left_for_the_next_chunk_keeps_its_waiting_nudges(town: Chat, inbox: Inbox,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A sweep settles only what it derived: a reminder that no longer holds waits, uncancelled,
    until its partnership's own chunk derives it again."""
    monkeypatch.setattr(storage_derivation, "CHUNK", 1)
    town.ok("bob", "tz America/Los_Angeles")
    town.ok("bob", 'commit "Deliver 500 leaflets" by:2026-11-27')
    town.channel = "market"
    town.ok("carol", 'setup "Market Group" kind:task-force')
    at(town, "2026-11-26T10:00")  # 02:00 for bob: his reminder waits for the end of his quiet hours
    assert [r.derived for r in scheduler.work_off(town.sessions, inbox, "console", now=town.now)] == [1, 1]
    [waiting] = [n for n in ledger(town) if n.kind == "due-soon"]
    assert waiting.sent_at is None and waiting.cancelled_at is None

    at(town, "2026-11-28T10:00")  # past its due date: the reminder no longer holds, an overdue one does
    town.ok("carol", "nudge set due_soon_days:3")  # Market Group changed: it goes first
    assert sweep(town, inbox).derived == 1
    assert derivation(town)["Riverside Partnership"][0] == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert [(n.kind, n.cancelled_at) for n in ledger(town) if n.person_id == waiting.person_id] == [
        ("due-soon", None)], "left for Riverside's own derivation"

    sweep(town, inbox)
    assert [(n.kind, n.cancelled_at) for n in ledger(town) if n.person_id == waiting.person_id] == [
        ("due-soon", town.now), ("overdue", None)]
