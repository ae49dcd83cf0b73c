"""Two months of a town partnership, moved through time: work is corrected and reopened,
handed over and declined, someone goes away and someone leaves, the partnership winds up and
is reopened. At each step `who`, `load`, `status`, `history` and the nudges must be true of
the state and say what a person needs.

One scenario, on purpose: each step builds on what went before, as a coordinator meets it.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import Commitment, CommitmentStatus, Flexibility, Successor
from tests.conftest import Chat, snapshot
from tests.test_nudges import Inbox, at, sweep


def open_numbers(chat: Chat) -> dict[int, str]:
    """The open commitments' numbers and titles, from the database."""
    with chat.sessions() as session:
        return {c.number: c.title for c in session.scalars(select(Commitment).where(
            Commitment.status == CommitmentStatus.OPEN))}


def section(text: str, heading: str) -> str:
    """The lines under one line of a reply, up to the next unindented line."""
    lines = text.splitlines()
    start = lines.index(heading) + 1
    body = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        body.append(line)
    return "\n".join(body)


def load_of(chat: Chat, who: str) -> str:
    return next(line for line in chat.ok("alice", "load").splitlines() if line.startswith(f"  - {who} ("))


def test_two_months_of_a_town_partnership(town: Chat) -> None:
    inbox = Inbox()

    # Week 1, Tue 24 Nov: work is logged, and a mistake in it corrected.
    assert "#1 Deliver 500 leaflets" in town.ok("bob", 'commit "Deliver 500 leaflets" by:friday effort:3h')
    town.ok("carol", 'commit "Book the hall" by:2026-12-10 effort:1h')
    grant = town.ok("alice", 'commit "Apply for the grant" by:"end of january" effort:10h')
    assert "#3 Apply for the grant" in grant and "due Sun 31 Jan 2027" in grant
    warm = town.ok("carol", 'commit "Open the warm space" every:tuesday until:2027-03-31 effort:2h')
    assert "#4 Open the warm space" in warm and "repeats every Tuesday until Wed 31 Mar 2027" in warm
    refused = town.refused("bob", 'commit "Print posters" by:11/30/2026')
    assert "2026-11-30" in refused, "a month-first date is refused for a day-first person, with the ISO form"
    town.ok("bob", 'edit 1 effort:4h title:"Deliver 800 leaflets"')
    assert open_numbers(town) == {1: "Deliver 800 leaflets", 2: "Book the hall", 3: "Apply for the grant",
                                  4: "Open the warm space"}
    assert "Nobody is over capacity" in town.ok("alice", "load")
    sweep(town, inbox)

    # Fri 27 Nov: a `done` by mistake is undone; progress counts in the load.
    town.ok("carol", 'done 2 "Booked for the 12th"')
    assert "#2 Book the hall is open again (it was done): The hall cancelled" in town.ok(
        "alice", 'reopen 2 "The hall cancelled"')
    town.ok("bob", "progress 1 50%")
    assert "2h left" in load_of(town, "Bob")
    history = town.ok("carol", "history commitment 2")
    assert "Alice reopened #2 Book the hall, which was done — The hall cancelled" in history
    assert "Carol marked #2 Book the hall done — Booked for the 12th" in history
    assert "which?" not in history.lower()

    # Handing over: Bob is asked, is told at once, and declines; the coordinators hear of it.
    assert "Bob is asked to accept it" in town.ok("alice", "reassign 3 @bob")
    sweep(town, inbox)
    assert inbox.to("@bob", "handed you #3 Apply for the grant")
    declined = town.ok("bob", 'decline 3 "No time before January"')
    assert "it is back with Alice" in declined
    assert "#3 Apply for the grant" in section(town.ok("carol", "who"), "Alice (Town Council)")

    # Bob offers time and is named to step in for Carol's hall booking.
    town.ok("bob", 'flex time "Two extra hours in February"')
    town.ok("alice", "successor 2 @bob")

    # Fri 4 Dec: the leaflets are done a week late; the warm space rolled on to its next Tuesday.
    at(town, "2026-12-04T10:00:00")
    sweep(town, inbox)
    done = town.ok("bob", 'done 1 "All delivered"')
    assert "7 days late" in done
    open_now = open_numbers(town)
    assert 1 not in open_now and 4 not in open_now, "the first warm space passed and is closed as missed"
    [next_warm] = [n for n, title in open_now.items() if title == "Open the warm space"]
    assert next_warm == 5, "the next occurrence takes the partnership's next number"
    first = town.ok("carol", "history commitment 1")
    assert "Bob marked #1 Deliver 800 leaflets done, 7 days late — All delivered" in first
    assert "Bob committed to #1 Deliver 500 leaflets" in first, "the history keeps what it was first called"

    # Bob goes away over Christmas: no nudges reach him in that window.
    away = town.ok("bob", "away 2026-12-20 2027-01-03")
    assert "Sun 20 Dec – Sun 3 Jan 2027" in away
    inbox.take_all()
    for day in ("2026-12-21", "2026-12-24", "2026-12-28", "2027-01-02"):
        at(town, f"{day}T10:00:00")
        sweep(town, inbox)
    assert inbox.to("@bob") == [], "nothing reaches Bob while he is away"
    assert "away until Sun 3 Jan, so no capacity" in load_of(town, "Bob")

    # Mon 4 Jan: the status names what is overdue, once.
    at(town, "2027-01-04T10:00:00")
    status = town.ok("alice", "status")
    assert "Overdue: #2 Book the hall (Carol, due Thu 10 Dec 2026)" in status
    counted = re.search(r"(\d+) open commitments: (\d+) overdue", status)
    assert counted is not None and (int(counted[1]), int(counted[2])) == (len(open_numbers(town)), 1)

    # Mon 11 Jan: Bob leaves, taking no stale promises with him.
    at(town, "2027-01-11T10:00:00")
    left = town.ok("bob", "leave")
    assert "Their flexibility offer #1 is withdrawn" in left and "step in for #2" in left
    with town.sessions() as session:
        assert session.scalars(select(Flexibility.withdrawn_at)).one() is not None
        assert session.scalars(select(Successor)).all() == []
    former = town.ok("alice", "commitments @bob")
    assert "who left on Mon 11 Jan" in former and "#1 Deliver 800 leaflets · done Fri 4 Dec, 7 days late" in former

    # Tue 26 Jan: a review, answered in part, winds the partnership up.
    at(town, "2027-01-26T10:00:00")
    town.ok("alice", "review start")
    town.ok("carol", "review answer right-time:4 right-people:3")
    assert "1 in part" in town.ok("alice", "review")
    [warm] = [n for n, title in open_numbers(town).items() if title == "Open the warm space"]
    before = snapshot(town.sessions)
    asked = town.ok("alice", 'review close wind-up "The funding ended"')
    assert "Before Riverside Partnership winds up: 3 open commitments" in asked and "Nothing is wound up yet" in asked
    assert f"#{warm} Open the warm space — Carol (Riverside Trust)" in asked
    assert '`review close wind-up "The funding ended" open:keep`' in asked
    assert snapshot(town.sessions) == before, "asking what becomes of the open work changes nothing"
    town.ok("carol", f'hand on {warm} to:"Millbrook Library" "They run it from February"')
    wound = town.ok("alice", 'review close wind-up "The funding ended" open:keep')
    assert 'partnership reopen "why"' in wound and "Closing tasks (2)" in wound

    # A wound-up partnership starts nothing new and nudges nobody; its closing tasks can still end.
    before = snapshot(town.sessions)
    for who, command in (("carol", 'commit "One more thing" by:friday'), ("carol", 'concern "Who keeps the keys?"'),
                         ("alice", 'propose "Give the funds back" closes:friday'), ("carol", "snooze 2 3")):
        refusal = town.refused(who, command)
        assert "was wound up on Tue 26 Jan by Alice" in refusal and 'partnership reopen "why"' in refusal, command
    assert snapshot(town.sessions) == before
    assert 'was wound up on Tue 26 Jan by Alice: "The funding ended"' in town.ok("carol", "partnerships")
    assert "Closing task #2 Book the hall (Carol)" in town.ok("bob", "status")
    assert f"#{warm} Open the warm space — Carol (Riverside Trust) · handed on to Millbrook Library" in town.ok(
        "bob", "who warm")
    inbox.take_all()
    for day in ("2027-01-28", "2027-02-01", "2027-02-08"):
        at(town, f"{day}T10:00:00")
        sweep(town, inbox)
    assert inbox.take_all() == [], "a wound-up partnership sends no nudges"
    assert ("Alice closed the review: wind-up; kept 2 open commitments as closing tasks — The funding ended"
            in town.ok("carol", "history about:reviews"))
    town.ok("carol", 'done 2 "Cancelled the booking, deposit back"')
    assert "Carol is no longer in Riverside Partnership" in town.ok("carol", "leave")

    # Reopened with a reason, it takes work again, numbered on from its own last number.
    town.refused("carol", 'partnership reopen "We want to go on"')
    reopened = town.ok("alice", 'partnership reopen "New funding arrived"')
    assert "New funding arrived" in reopened
    with town.sessions() as session:
        numbered = max(session.scalars(select(Commitment.number)))
    new = town.ok("alice", 'commit "Thank the funders" by:2027-02-12')
    assert f"#{numbered + 1} Thank the funders" in new
    assert "Alice reopened Riverside Partnership" in town.ok("carol", "history about:partnership")
