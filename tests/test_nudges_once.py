"""A nudge goes once: not again when its owner changes time zone or hands the work on, not
after time away with nothing new, not as soon as a concern is reopened; and what a command
promised about a wound-up partnership's closing tasks is delivered, not dropped.

The clock is the chat's; sweeps run at `chat.now`. Quiet hours are the defaults, 21:00 to
08:00 in each person's zone. What people receive is read from a recording delivery; what
is owed, sent or cancelled, from the database.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, text

from handlers.dashboard import concerns_chart
from handlers.public_page import public_page
from storage.database import migrate, upgrade
from storage.models import Commitment, Concern, Nudge, Partnership, Publication
from tests.conftest import Chat
from tests.test_nudges import Inbox, at, ledger, sweep


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


# One reminder per commitment per due day, the day its owner reads.

def test_a_change_of_zone_sends_neither_the_overdue_reminder_nor_the_escalation_again(
        town: Chat, inbox: Inbox) -> None:
    town.ok("bob", "tz Europe/London")
    town.ok("bob", 'commit "Deliver leaflets" by:2026-11-26 effort:1h')
    at(town, "2026-11-27T10:00")
    sweep(town, inbox)
    assert len(inbox.to("@bob", "#1 Deliver leaflets was due Thu 26 Nov")) == 1
    at(town, "2026-11-30T10:00")
    sweep(town, inbox)
    assert len(inbox.to("@alice", "is 4 days overdue")) == 1
    # New York's end of Thursday is Friday in UTC: the due moment moves, its day does not.
    assert "keeps its due day" in town.ok("bob", "tz America/New_York")
    at(town, "2026-11-30T15:00")
    sweep(town, inbox)
    assert len(inbox.to("@bob", "was due Thu 26 Nov")) == 1, "the owner is not reminded of the same day again"
    assert len(inbox.to("@alice", "overdue")) == 1, "the coordinators are not told again"
    sent = [(n.kind, n.person_id) for n in ledger(town) if n.sent_at is not None and n.kind in ("overdue", "escalation")]
    assert len(sent) == len(set(sent)) == 2


def test_a_due_soon_reminder_sent_is_not_sent_again_when_its_owner_travels(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", "tz Europe/London")
    town.ok("bob", 'commit "Deliver leaflets" by:2026-11-27')
    at(town, "2026-11-26T10:00")
    sweep(town, inbox)
    assert len(inbox.to("@bob", "is due Fri 27 Nov")) == 1
    town.ok("bob", "tz America/Los_Angeles")
    at(town, "2026-11-26T19:00")  # 11:00 in Los Angeles
    sweep(town, inbox)
    assert len(inbox.to("@bob", "is due Fri 27 Nov")) == 1


def test_a_reminder_waiting_through_a_change_of_zone_goes_once_and_is_not_cancelled(
        town: Chat, inbox: Inbox) -> None:
    town.ok("bob", "tz Europe/London")
    town.ok("bob", 'commit "Deliver leaflets" by:2026-11-27')
    at(town, "2026-11-26T06:00")  # due soon, in London's quiet hours: it waits
    sweep(town, inbox)
    assert inbox.to("@bob") == []
    town.ok("bob", "tz America/Los_Angeles")
    at(town, "2026-11-26T17:00")  # 09:00 in Los Angeles
    sweep(town, inbox)
    assert len(inbox.to("@bob", "is due Fri 27 Nov")) == 1
    [reminder] = [n for n in ledger(town) if n.kind == "due-soon"]
    assert reminder.sent_at is not None and reminder.cancel_reason is None


def test_handing_overdue_work_to_someone_in_another_zone_does_not_escalate_it_again(
        town: Chat, inbox: Inbox) -> None:
    town.ok("bob", "tz Europe/London")
    town.ok("carol", "tz America/Los_Angeles")
    town.ok("bob", 'commit "Deliver leaflets" by:2026-11-26')
    at(town, "2026-11-30T10:00")
    sweep(town, inbox)
    assert len(inbox.to("@alice", "#1 Deliver leaflets, held by Bob (Chamber of Trade), is 4 days overdue")) == 1
    town.ok("bob", "reassign 1 @carol")
    town.ok("carol", "accept 1")
    at(town, "2026-11-30T17:00")  # 09:00 in Los Angeles
    sweep(town, inbox)
    assert len(inbox.to("@alice", "overdue")) == 1, "the coordinators already know this work is late"
    assert len(inbox.to("@carol", "was due Thu 26 Nov")) == 1, "its new owner hears of it once"


def test_the_upgrade_to_owner_days_sends_nothing_again(town: Chat, inbox: Inbox, engine: Engine) -> None:
    """0032 rewrites the keys sent under the due moment's UTC date to the owner's day, and cancels
    a twin the old keys had left waiting, so upgrading repeats nothing."""
    town.ok("bob", "tz America/New_York")
    town.ok("carol", "tz Europe/London")
    town.ok("bob", 'commit "Deliver leaflets" by:2026-11-26')
    town.ok("carol", 'commit "Book the hall" by:2026-11-26')
    at(town, "2026-11-30T15:00")
    sweep(town, inbox)
    assert len(inbox.to("@alice", "overdue")) == 1 and inbox.to("@bob") and inbox.to("@carol")
    inbox.take_all()
    try:
        migrate(engine, "0031_scheduled_on", down=True)
        keys = sorted(n.key for n in ledger(town) if n.kind in ("overdue", "escalation"))
        # New York's end of the 26th is the 27th in UTC, as keys said before; London's is the 26th.
        assert [k.split(":")[2] for k in keys if ":c1:" in k] == ["2026-11-27", "2026-11-27"]
        assert [k.split(":")[2] for k in keys if ":c2:" in k] == ["2026-11-26", "2026-11-26"]
        # What the old keys did when carol moved to New York: the same reminder owed again.
        with engine.begin() as db:
            carol_id = db.scalar(text("SELECT id FROM people WHERE user_id = 'carol'"))
            db.execute(text("UPDATE people SET timezone = 'America/New_York' WHERE id = :p"), {"p": carol_id})
            db.execute(Commitment.__table__.update().where(Commitment.__table__.c.number == 2)
                       .values(due_at=datetime(2026, 11, 27, 4, 59, 59, tzinfo=UTC)))
            db.execute(Nudge.__table__.insert().values(
                key=f"overdue:c2:2026-11-27:p{carol_id}", partnership_id=1, kind="overdue", person_id=carol_id,
                text="#2 Book the hall was due Thu 26 Nov.", created_at=town.now, attempts=0))
    finally:
        upgrade(engine)
    owed = [n for n in ledger(town) if n.kind in ("overdue", "escalation")]
    assert {n.key.split(":")[2] for n in owed if n.cancelled_at is None} == {"2026-11-26"}
    [twin] = [n for n in owed if n.sent_at is None]
    assert twin.cancel_reason == "sent already for the same due day"
    town.advance(hours=1)
    sweep(town, inbox)
    assert inbox.take_all() == []


# A wound-up partnership still settles its closing tasks: what a command promises about them is delivered.

def test_a_closing_tasks_handover_and_its_decline_reach_whom_the_replies_name(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:2026-11-26 effort:1h')
    town.ok("bob", 'commit "Survey" by:2026-12-10 effort:2h')
    town.ok("alice", 'partnership wind-up "Funding ended" open:keep')
    assert "Carol is asked to accept it" in town.ok("alice", "reassign 2 @carol")
    town.advance(minutes=5)
    sweep(town, inbox)
    [ask] = inbox.to("@carol")
    assert "Alice handed you #2 Survey, due Thu 10 Dec, 2h. Will you take it on?" in ask
    assert "the coordinators are told" in town.ok("carol", 'decline 2 "No time"')
    town.advance(minutes=5)
    sweep(town, inbox)
    assert inbox.to("@alice", 'Carol declined #2 Survey: "No time". It is back with Bob')
    assert inbox.to("@bob", 'Carol declined #2 Survey: "No time". It is back with you')
    at(town, "2026-11-28T10:00")  # derived nudges stop at the end: no reminder that #1 is overdue
    sweep(town, inbox)
    assert inbox.to("@bob", "was due") == []
    assert not [n for n in ledger(town) if n.kind in ("handover", "decline") and n.sent_at is None]


# An overload told once per episode: time away pauses it, and only more work tells it again.

def test_a_weekend_away_does_not_tell_an_overload_again(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Survey" by:2027-01-20 effort:50h')
    town.ok("bob", "away 2026-11-28 2026-11-29")
    town.advance(minutes=5)
    sweep(town, inbox)
    assert len(inbox.to("@bob", "You're carrying a lot")) == 1
    assert len(inbox.to("@alice", "has more than they can carry")) == 1
    for day in ("2026-11-28", "2026-11-30", "2026-12-01"):  # away, back, the day after
        at(town, f"{day}T10:00")
        sweep(town, inbox)
    assert len(inbox.to("@bob", "You're carrying a lot")) == 1, "nothing new on return: not told again"
    assert len(inbox.to("@alice", "has more than they can carry")) == 1
    town.ok("bob", 'commit "Fair stall" by:2026-12-20 effort:3h')
    sweep(town, inbox)
    again = inbox.to("@alice", "has more than they can carry")
    assert len(again) == 2 and "Since the note of Tue 24 Nov: 1 → 2 open, 50h → 53h left" in again[1]


# A reopened concern has been open since its reopening.

def test_a_reopened_concern_is_stale_a_full_period_after_its_reopening(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'concern "Budget split unfair" kind:priorities severity:high')
    at(town, "2026-12-08T10:05")  # 14 days open
    sweep(town, inbox)
    assert len(inbox.to("@alice", "Concern #1 Budget split unfair (high) has been open 14 days.")) == 1
    at(town, "2026-12-14T10:00")
    town.ok("alice", 'resolve 1 "Split 50/50"')
    at(town, "2026-12-31T10:00")  # 37 days after it was raised
    town.ok("bob", 'reopen concern 1 "Not kept"')
    town.advance(minutes=5)
    sweep(town, inbox)
    at(town, "2027-01-13T10:00")  # 13 days after the reopening
    sweep(town, inbox)
    assert len(inbox.to("@alice", "Concern #1")) == 1, "not scolded about a concern raised again just now"
    at(town, "2027-01-14T10:05")
    sweep(town, inbox)
    [_, again] = inbox.to("@alice", "Concern #1")
    assert "Concern #1 Budget split unfair (high) has been open 14 days since it was reopened." in again
    town.advance(days=1)
    sweep(town, inbox)
    assert len(inbox.to("@alice", "Concern #1")) == 2


def test_the_upgrade_takes_a_reopening_from_the_event_log(town: Chat, engine: Engine) -> None:
    town.ok("bob", 'concern "Budget split unfair" kind:priorities')
    town.ok("bob", 'concern "Meetings clash" kind:time')
    town.advance(days=2)
    town.ok("alice", 'resolve 1 "Split 50/50"')
    town.advance(days=30)
    town.ok("bob", 'reopen concern 1 "Not kept"')
    try:
        migrate(engine, "0031_scheduled_on", down=True)
    finally:
        upgrade(engine)
    with town.sessions() as session:
        assert [c.reopened_at for c in session.scalars(select(Concern).order_by(Concern.number))] == [town.now, None]


def test_every_surface_dates_a_reopened_concern_from_its_reopening(town: Chat) -> None:
    """`health`, the dashboard's chart and the public page say how long a concern has waited as
    the stale nudge does: a concern reopened today is new, whenever it was first raised."""
    town.ok("bob", 'concern "Budget split unfair" kind:priorities severity:high')
    at(town, "2026-12-14T10:00")
    town.ok("alice", 'resolve 1 "Split 50/50"')
    at(town, "2026-12-31T10:00")
    town.ok("bob", 'reopen concern 1 "Not kept"')
    assert "Concerns open too long" not in town.ok("alice", "health")
    with town.sessions() as session:
        p = session.scalars(select(Partnership)).one()
        chart = concerns_chart(session, p, town.now)
        page = public_page(session, p, Publication(partnership_id=p.id), town.now, UTC)
    assert chart.rows[0] == ["under a week", "1"]
    assert page.concern_ages == [0]
    at(town, "2027-01-15T10:00")  # 15 days since the reopening, 52 since it was raised
    assert "#1 Budget split unfair (high, open 15 days)" in town.ok("alice", "health")


def test_every_surface_gives_one_concern_the_same_days_open(town: Chat, inbox: Inbox) -> None:
    """The stale nudge, `health`, the dashboard's chart and the public page all count whole days
    since the concern was raised or reopened (`Concern.days_open`), so they cannot drift apart."""
    town.ok("bob", 'concern "Budget split unfair" kind:priorities')
    town.ok("carol", 'concern "Meetings clash" kind:time')
    at(town, "2026-12-01T10:00")
    town.ok("alice", 'resolve 2 "Evenings from now on"')
    at(town, "2026-12-05T16:00")
    town.ok("carol", 'reopen concern 2 "Still clashing"')
    # #1: 28 days 5h59m since it was raised; #2: 16 days 23h59m since its reopening (17 calendar days).
    at(town, "2026-12-22T15:59")
    with town.sessions() as session:
        p = session.scalars(select(Partnership)).one()
        days = {c.number: Concern.days_open(c.open_since, town.now) for c in session.scalars(select(Concern)).unique()}
        chart = concerns_chart(session, p, town.now)
        page = public_page(session, p, Publication(partnership_id=p.id), town.now, UTC)
    assert days == {1: 28, 2: 16}
    sweep(town, inbox)
    assert len(inbox.to("@alice", "Concern #1 Budget split unfair (medium) has been open 28 days.")) == 1
    assert len(inbox.to("@alice", "Concern #2 Meetings clash (medium) has been open 16 days since it was reopened.")) == 1
    health = town.ok("alice", "health")
    assert "#1 Budget split unfair (medium, open 28 days)" in health
    assert "#2 Meetings clash (medium, open 16 days)" in health
    assert page.concern_ages == [28, 16]
    assert [row[1] for row in chart.rows] == ["0", "0", "1", "1"]  # 16 in 2–4 weeks, 28 over 4 weeks
