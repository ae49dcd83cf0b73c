"""An ending that closes properly: a wind-up lists the open work and asks what becomes of it
(kept as closing tasks, dropped with the reason, or handed on to a named organisation), and
completes only once told; closing tasks can still be settled and their owners can leave;
every surface says when, by whom and why it was wound up, and promises no more dates.

Each defect found by a coordinator's two months of use has its regression test here:
`review close wind-up` left 7 commitments open and said nothing; `done` and `drop` were then
refused, so a member with open work could not `leave`; `status` never said it was wound up;
the public page still promised "Tue 16 Feb: Open the warm space".
"""

from __future__ import annotations

import csv
import io
import json
import re
from xml.etree import ElementTree

import icalendar
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from bot.matrix.render import MAX_BYTES as MATRIX_MAX_BYTES
from bot.matrix.render import notice as matrix_notice
from bot.slack.render import blocks as slack_blocks
from storage.database import migrate, upgrade
from storage.models import (
    Commitment,
    CommitmentStatus,
    Concern,
    ConcernStatus,
    Event,
    Partnership,
    Review,
    ReviewOutcome,
)
from tests.conftest import Chat, snapshot
from tests.slack_recorder import SlackHarness, button, state, text_of
from tests.test_bad_input import all_of, refuse
from tests.test_nudges import at
from tests.test_races import at_once, count, one_wins
from tests.web_client import address

pytest_plugins = ("tests.web_fixtures", "tests.slack_fixtures")

WHY = "The council takes the riverside on"
ASK = f'review close wind-up "{WHY}"'
SEVEN = [("bob", "Deliver 500 leaflets", "friday"), ("bob", "Print the posters", "2026-12-04"),
         ("carol", "Clean the towpath", "2026-12-11"), ("carol", "Paint the benches", "2026-12-18"),
         ("alice", "Return the hall keys", "2027-01-08"), ("alice", "Close the bank account", "2027-01-29"),
         ("carol", "Open the warm space", "2027-02-16")]


def seven_open(town: Chat) -> None:
    """Seven open commitments, as the coordinator found them, and a review under way."""
    for who, title, by in SEVEN:
        town.ok(who, f'commit "{title}" by:{by} effort:2h')
    town.ok("alice", "review start")


def commitments(chat: Chat) -> dict[int, Commitment]:
    return {c.number: c for c in all_of(chat.sessions, Commitment)}


def partnership(chat: Chat) -> Partnership:
    [p] = all_of(chat.sessions, Partnership)
    return p


def test_a_wind_up_with_open_work_lists_it_asks_and_changes_nothing(town: Chat) -> None:
    """Regression: `review close wind-up` left 7 commitments open and said nothing."""
    seven_open(town)
    before = snapshot(town.sessions)
    asked = town.ok("alice", ASK)
    assert "Before Riverside Partnership winds up: 7 open commitments" in asked
    assert "Nothing is wound up yet" in asked
    for n, (who, title, _) in enumerate(SEVEN, start=1):
        assert f"#{n} {title} — {who.capitalize()} (" in asked
    assert "#7 Open the warm space — Carol (Riverside Trust) · due Tue 16 Feb 2027" in asked
    for answer in (f"`{ASK} open:keep`", f"`{ASK} open:drop`", f'`{ASK} open:hand-on to:"Millbrook Library"`',
                   '`drop 1 "why"`', '`hand on 1 to:"Millbrook Library"`'):
        assert answer in asked, answer
    assert snapshot(town.sessions) == before
    [review] = all_of(town.sessions, Review)
    assert review.closed_at is None and partnership(town).closed_at is None
    assert "What is happening" in town.ok("bob", "status") and "wound up" not in town.ok("bob", "status")


def test_open_keep_makes_closing_tasks_and_says_so(town: Chat) -> None:
    seven_open(town)
    out = town.ok("alice", f"{ASK} open:keep")
    assert "review closed — wind-up" in out and "Closing tasks (7)" in out
    assert "#1 Deliver 500 leaflets — Bob (Chamber of Trade) · due Fri 27 Nov" in out
    assert "its closing tasks can still be finished (`done 1`)" in out
    assert all(c.status is CommitmentStatus.OPEN for c in commitments(town).values())
    [logged] = [e for e in all_of(town.sessions, Event) if e.action == "review-close"]
    assert logged.summary == "closed the review: wind-up; kept 7 open commitments as closing tasks"
    assert logged.reason == WHY


def test_open_drop_drops_every_open_commitment_with_the_reason(town: Chat) -> None:
    seven_open(town)
    town.ok("bob", "done 1")
    out = town.ok("alice", f"{ASK} open:drop")
    assert "Dropped (6)" in out and "#7 Open the warm space — Carol (Riverside Trust)" in out
    assert "due Tue 16 Feb" not in out, "dropped work promises no date"
    rows = commitments(town)
    assert rows[1].status is CommitmentStatus.DONE
    assert all(rows[n].status is CommitmentStatus.DROPPED and rows[n].drop_reason == f"At the wind-up: {WHY}"
               and rows[n].handed_to is None for n in range(2, 8))
    assert count(town.sessions, Event.action == "drop") == 6
    assert "#7 Open the warm space — Carol (Riverside Trust) · dropped: At the wind-up" in town.ok("bob", "who warm")


def test_handed_on_work_names_its_organisation_in_who_history_and_exports(town: Chat) -> None:
    seven_open(town)
    town.ok("carol", 'hand on 7 to:"Millbrook Library" "They run the warm space from January"')
    town.ok("alice", f'{ASK} open:hand-on to:"Riverside Council"')
    rows = commitments(town)
    assert rows[7].handed_to == "Millbrook Library" and rows[7].drop_reason == "They run the warm space from January"
    assert all(rows[n].handed_to == "Riverside Council" for n in range(1, 7))
    assert ("#7 Open the warm space — Carol (Riverside Trust) · handed on to Millbrook Library: They run the warm "
            "space from January") in town.ok("bob", "who warm")
    history = town.ok("bob", "history commitment 1")
    assert f"Alice handed #1 Deliver 500 leaflets on to Riverside Council — At the wind-up: {WHY}" in history
    assert "Carol handed #7 Open the warm space on to Millbrook Library" in town.ok("bob", "history about:commitments")
    files = {f.filename: f.content.decode() for f in town.say("bob", "export").attachments}
    table = list(csv.DictReader(io.StringIO(files["commitments.csv"])))
    assert (table[6]["status"], table[6]["handed_to"]) == ("handed-on", "Millbrook Library")
    assert {row["status"] for row in table} == {"handed-on"}
    report = files["health.md"]
    assert "## How it ended" in report and "Wound up on 2026-11-24 by Alice." in report and f"Why: {WHY}" in report
    assert ("| 7 | Open the warm space | Carol (Riverside Trust) | Millbrook Library | Tue 24 Nov 2026 10:00 UTC | "
            "They run the warm space from January |") in report


def test_a_handed_on_commitment_can_be_taken_back(town: Chat) -> None:
    town.ok("carol", 'commit "Open the warm space" by:2027-02-16')
    town.ok("carol", 'hand on 1 to:"Millbrook Library"')
    refuse(town, "carol", "done 1", "#1 was already handed on to Millbrook Library by Carol")
    out = town.ok("carol", 'reopen commitment 1 "The library pulled out"')
    assert "is open again (it was handed on to Millbrook Library)" in out
    [c] = all_of(town.sessions, Commitment)
    assert c.status is CommitmentStatus.OPEN and c.handed_to is None and c.drop_reason is None


def test_bad_answers_to_the_wind_up_are_refused_and_change_nothing(town: Chat) -> None:
    seven_open(town)
    refuse(town, "alice", f"{ASK} open:later", "isn't a choice for the open work", "keep, drop, hand-on")
    refuse(town, "alice", f"{ASK} open:hand-on", "Say which organisation", 'open:hand-on to:"Millbrook Library"')
    refuse(town, "alice", f'{ASK} to:"Millbrook Library"', "`to:` names who takes the open work on",
           '`open:hand-on to:"Millbrook Library"`')
    refuse(town, "alice", f'{ASK} open:keep to:"Millbrook Library"', "`to:` is for handing the open work on")
    refuse(town, "alice", f'{ASK} open:hand-on to:""', "`to:` needs a value")
    refuse(town, "alice", f'{ASK} open:hand-on to:"{"M" * 200}"', "organisation")
    refuse(town, "alice", 'review close continue "Keep going" open:drop', "`open:` and `to:` say what becomes of")
    refuse(town, "bob", f"{ASK} open:drop", "Only coordinators", example=False)
    refuse(town, "carol", "hand on 1", "Say who takes #1 on", 'hand on 1 to:"Millbrook Library"')
    refuse(town, "carol", 'hand on 1 to:"Millbrook Library"', "#1 is Bob's commitment")
    refuse(town, "bob", 'hand on 99 to:"Millbrook Library"', "99")


def test_closing_tasks_can_be_settled_and_then_their_owners_leave(town: Chat) -> None:
    """Regression: after the wind-up `done` and `drop` were refused, so a member holding open
    work could not `leave` at all."""
    seven_open(town)
    town.ok("alice", f"{ASK} open:keep")
    refuse(town, "bob", "leave", "You still hold 2 open commitments: #1 Deliver 500 leaflets; #2 Print the posters",
           "`done 1`")
    assert "1h of 2h left" in town.ok("bob", "progress 1 50%")
    assert "Done: #1 Deliver 500 leaflets" in town.ok("bob", 'done 1 "All delivered"')
    assert "Dropped #2 Print the posters: The printer closed" in town.ok("bob", 'drop 2 "The printer closed"')
    assert "Bob is no longer in Riverside Partnership." in town.ok("bob", "leave")
    # Carol hands one on, passes one to Alice, and moves a date; then she can go too.
    town.ok("carol", 'hand on 7 to:"Millbrook Library"')
    assert "Alice is asked to accept it" in town.ok("carol", "reassign 3 @alice")
    town.ok("alice", "accept 3")
    town.ok("carol", "edit 4 by:2026-12-23")
    town.ok("carol", "done 4")
    assert "Carol is no longer in Riverside Partnership." in town.ok("carol", "leave")
    # Nothing new starts meanwhile, whoever tries.
    refuse(town, "alice", 'commit "One more thing" by:friday', "was wound up on Tue 24 Nov by Alice",
           "only its closing tasks can still be finished", '`partnership reopen "why"`')
    with town.sessions() as session:
        stranded = session.scalars(select(Commitment).where(Commitment.status == CommitmentStatus.OPEN)).all()
    assert sorted(c.number for c in stranded) == [3, 5, 6], "only Alice's closing tasks are left"


def test_a_wind_up_names_the_open_concerns_and_a_coordinator_can_still_resolve_them(town: Chat) -> None:
    """The defect: a wind-up left open concerns open for ever, unresolvable, while `concerns`
    still offered [Discuss] and [Resolve], each refused once clicked."""
    town.ok("carol", 'concern "Who pays the last invoice?" kind:resources')
    town.ok("bob", 'concern "Parking on market day"')
    town.ok("alice", "review start")
    out = town.ok("alice", ASK)
    assert ("Its open concerns (#1, #2) stay open: a coordinator can still record what was agreed "
            '(`resolve 1 "what was agreed"`).') in out
    assert [a.command for i in town.say("bob", "concerns").sections[0].items for a in i.actions] == []
    assert [a.label for i in town.say("alice", "concerns").sections[0].items for a in i.actions] == ["Resolve"] * 2
    refuse(town, "carol", 'discuss 1 "The council, surely"', "was wound up", "its open concerns resolved")
    assert "Concern #1 resolved" in town.ok("alice", 'resolve 1 "The council pays it"')
    refuse(town, "bob", 'resolve 2 "Fine"', "Only coordinators", example=False)
    refuse(town, "carol", 'reopen concern 1 "Not paid yet"', "was wound up")
    assert [c.status for c in all_of(town.sessions, Concern)] == [ConcernStatus.RESOLVED, ConcernStatus.OPEN]


def test_the_last_coordinator_may_leave_once_nothing_is_held(town: Chat) -> None:
    town.ok("alice", "review start")
    town.ok("alice", f"{ASK} open:keep")
    for who in ("bob", "carol"):
        town.ok(who, "leave")
    out = town.ok("alice", "leave")
    assert "Alice is no longer in Riverside Partnership." in out and "nobody can reopen it" in out


def test_a_recurring_closing_task_ends_with_its_last_occurrence(town: Chat) -> None:
    town.ok("carol", 'commit "Open the warm space" every:tuesday until:2027-03-31 effort:2h')
    town.ok("alice", "review start")
    town.ok("alice", f"{ASK} open:keep")
    out = town.ok("carol", "done 1")
    assert "Next:" not in out
    assert [c.status for c in all_of(town.sessions, Commitment)] == [CommitmentStatus.DONE]


def test_status_partnerships_and_partnership_say_it_was_wound_up_when_by_whom_and_why(town: Chat) -> None:
    """Regression: `status` never said the partnership was wound up."""
    seven_open(town)
    town.ok("alice", 'propose "Move the fair to June" closes:"in 2 weeks"')
    town.ok("carol", 'hand on 7 to:"Millbrook Library"')
    town.ok("alice", f"{ASK} open:keep")
    town.advance(days=7)
    status = town.ok("dave", "status")
    assert f'Riverside Partnership was wound up on Tue 24 Nov by Alice: "{WHY}"' in status
    assert "6 closing tasks left, 1 overdue: their owners finish them (`done 1`)" in status
    assert 'Proposal #1 "Move the fair to June" is paused' in status
    assert "Closing task #1 Deliver 500 leaflets (Bob): due Fri 27 Nov (4 days overdue)" in status
    assert "Closing task #6 Close the bank account (Alice): due Fri 29 Jan 2027" in status
    assert "Open the warm space" not in status.split("When")[1], "what was handed on promises no date"
    assert "closes" not in status and "Next review" not in status
    assert f'was wound up on Tue 24 Nov by Alice: "{WHY}"' in town.ok("bob", "partnerships")
    info = town.ok("dave", "partnership")
    assert f'Read-only: it was wound up on Tue 24 Nov by Alice: "{WHY}"' in info and "Open: 6 closing tasks" in info
    assert "Review:" not in info


def test_a_wound_up_partnerships_page_can_still_be_taken_down(town: Chat, web: FlaskClient) -> None:
    """Taking a page down, or names off it, publishes nothing new: it works once wound up."""
    path = address(town.ok("alice", "publish on names:on"))
    town.ok("alice", "review start")
    town.ok("alice", f"{ASK} open:keep")
    assert "Alice" in web.get(path).text
    town.ok("alice", "publish names:off")
    assert web.get(path).status_code == 200 and "Alice" not in web.get(path).text
    town.ok("alice", "publish off")
    assert web.get(path).status_code == 404


def test_the_public_page_feed_and_calendar_say_wound_up_and_promise_nothing_more(town: Chat, web: FlaskClient) -> None:
    """Regression: the public page still promised "Tue 16 Feb: Open the warm space" with no word of the wind-up."""
    seven_open(town)
    town.ok("alice", 'propose "Move the fair to June" closes:"in 2 weeks"')
    path = address(town.ok("alice", "publish on"))
    assert "Tue 16 Feb 2027" in web.get(path).text, "before the wind-up, the date is promised"
    town.ok("carol", 'hand on 7 to:"Millbrook Library" "They run it from January"')
    for n in (2, 3, 4):
        town.ok("alice", f'drop {n} "Not needed once we close"')
    town.ok("alice", f"{ASK} open:keep")
    page = web.get(path).text
    assert "This partnership was wound up on" in page and "Tue 24 Nov 2026" in page
    assert f"by a coordinator from Town Council. Why: {WHY}" in page, "no names while names are off"
    assert "Alice" not in page
    assert "3 closing tasks" in page and "closing task, due" in page
    assert "Open the warm space" in page.split("Handed on to other organisations")[1].split("</ul>")[0]
    assert "to Millbrook Library" in page
    promised, dropped = page.split("Dropped, and why")
    assert "Tue 16 Feb 2027" not in page and "Print the posters" not in promised
    assert "Print the posters" in dropped and "Why: Not needed once we close" in dropped
    assert "Move the fair to June" not in page and "The partnership's review" not in page
    assert "When: its closing tasks" in page and "Closing task due: Return the hall keys (Town Council)" in page

    feed = ElementTree.fromstring(web.get(path + "feed.atom").data)
    entries = {e.findtext("{http://www.w3.org/2005/Atom}title"): e.findtext("{http://www.w3.org/2005/Atom}summary")
               for e in feed.findall("{http://www.w3.org/2005/Atom}entry")}
    wound = entries["Wound up: Riverside Partnership"]
    assert f"Wound up on 24 November 2026 by a coordinator from Town Council. Why: {WHY}" in wound
    assert "Closing tasks: Deliver 500 leaflets (Chamber of Trade, by 27 November)" in wound
    assert entries["Handed on: Open the warm space"] == ("Riverside Trust handed this on to Millbrook Library. "
                                                         "They run it from January")
    assert "New commitment: Open the warm space" not in entries and "New commitment: Print the posters" not in entries

    events = {str(e["SUMMARY"]): e for e in icalendar.Calendar.from_ical(web.get(path + "calendar.ics").data)
              .walk("VEVENT")}
    assert "Riverside Partnership: wound up" in events
    assert str(events["Riverside Partnership: wound up"]["DESCRIPTION"]).startswith(f"The partnership was wound up: {WHY}")
    assert events["Riverside Partnership: wound up"].decoded("DTSTART").isoformat() == "2026-11-24"
    assert set(events) == {"Riverside Partnership: wound up",
                           "Closing task due: #1 Deliver 500 leaflets (Chamber of Trade)",
                           "Closing task due: #5 Return the hall keys (Town Council)",
                           "Closing task due: #6 Close the bank account (Town Council)"}


def test_names_on_name_who_wound_it_up(town: Chat, web: FlaskClient) -> None:
    path = address(town.ok("alice", "publish on names:on"))
    town.ok("alice", "review start")
    town.ok("alice", f"{ASK} open:keep")
    assert f"by Alice (Town Council). Why: {WHY}" in web.get(path).text


def test_partnership_wind_up_is_a_wrap_up_review_closed_at_once(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    asked = town.ok("alice", f'partnership wind-up "{WHY}"')
    assert f'`partnership wind-up "{WHY}" open:keep`' in asked and partnership(town).closed_at is None
    out = town.ok("alice", f'partnership wind-up "{WHY}" open:drop')
    assert "wrap-up review closed — wind-up" in out and "Dropped (1)" in out and "Lowest-scoring" not in out
    [review] = all_of(town.sessions, Review)
    assert review.outcome is ReviewOutcome.WIND_UP and review.decision == WHY and review.closed_by_id is not None
    assert f"wind-up — {WHY}" in town.ok("bob", "review")
    refuse(town, "alice", 'partnership wind-up "Again"', "was wound up on Tue 24 Nov by Alice; there is nothing more",
           '`partnership reopen "why"`')


def test_partnership_wind_up_closes_an_open_review_with_it(town: Chat) -> None:
    town.ok("alice", "review start")
    town.ok("bob", "review answer right-time:2")
    out = town.ok("alice", f'partnership wind-up "{WHY}"')
    assert "review closed — wind-up" in out and "right-time: 2.0/5" in out
    [review] = all_of(town.sessions, Review)
    assert review.outcome is ReviewOutcome.WIND_UP


def test_a_partnership_past_its_end_date_can_be_wound_up_to_settle_its_open_work(chat: Chat) -> None:
    chat.ok("alice", 'setup "Market Square Project" kind:project end:2026-12-31')
    chat.ok("bob", "join org:Chamber sector:private")
    chat.ok("bob", 'commit "Sweep the square" by:2026-12-30')
    at(chat, "2027-01-04T10:00")
    status = chat.ok("bob", "status")
    assert "ended on its end date, Thu 31 Dec 2026" in status and "Closing task #1 Sweep the square (Bob)" in status
    assert 'settle what it left open with `partnership wind-up "why"`' in status
    out = chat.ok("alice", 'partnership wind-up "The season is over" open:hand-on to:"Market Traders"')
    assert "Handed on to Market Traders (1)" in out
    assert 'was wound up on Mon 4 Jan by Alice: "The season is over"' in chat.ok("bob", "partnerships")


def test_reopening_brings_closing_tasks_back_and_names_what_stayed_dropped(town: Chat) -> None:
    seven_open(town)
    town.ok("alice", 'drop 5 "Not needed"')
    town.ok("carol", 'hand on 7 to:"Millbrook Library"')
    town.ok("alice", f"{ASK} open:keep")
    town.ok("bob", 'drop 2 "Printer closed"')
    town.advance(days=1)
    reopened = town.ok("alice", 'partnership reopen "The council backed out"')
    assert "Its 4 closing tasks are ordinary open work again." in reopened
    assert "stays so" not in reopened, "nothing was dropped by the wind-up itself"
    town.ok("alice", "review start")
    town.ok("alice", f"{ASK} open:drop")
    town.advance(days=1)
    again = town.ok("alice", 'partnership reopen "Funding came back"')
    assert "What the wind-up dropped or handed on stays so (#1, #3, #4, #6)" in again
    assert '`reopen commitment 1 "why"` takes one back' in again
    assert "New commitment" in town.ok("bob", 'commit "Thank the funders" by:friday')


def test_a_slack_click_on_mark_done_settles_a_closing_task(riverside: SlackHarness) -> None:
    announced = riverside.run('commit "Deliver 500 leaflets" by:"in 2 weeks"', user="UBOB")
    riverside.run("review start")
    asked = riverside.run('review close wind-up "The council takes the riverside on"')
    shown = text_of(asked.params["blocks"])
    assert "Before Riverside Partnership winds up: 1 open commitment" in shown
    assert '`review close wind-up "The council takes the riverside on" open:keep`' in shown
    kept = riverside.run('review close wind-up "The council takes the riverside on" open:keep')
    assert "Closing tasks (1)" in text_of(kept.params["blocks"])
    before = state(riverside.sessions)
    riverside.click(button(announced.params["blocks"], "Mark done"), user="UBOB")
    assert "Done: #1 Deliver 500 leaflets" in text_of(riverside.last().params["blocks"])
    assert state(riverside.sessions)["events"] == before["events"] + 1


def test_two_coordinators_winding_up_at_once_wind_it_up_once(town: Chat) -> None:
    town.ok("alice", "member role @bob coordinator")
    for n in range(1, 6):
        town.ok("carol", f'commit "Task {n}" by:friday')
    town.ok("alice", "review start")
    _, refusal = one_wins(at_once(town, ("alice", f"{ASK} open:drop"), ("bob", f'{ASK} open:hand-on to:"Library"')))
    assert "was wound up" in (refusal.text or "")
    assert count(town.sessions, Event.action == "review-close") == 1
    assert count(town.sessions, Event.action.in_(["drop", "hand-on"])) == 5
    assert len({(c.status, c.handed_to) for c in commitments(town).values()}) == 1, "one answer applied to all"


def test_two_partnership_wind_ups_at_once_happen_once(town: Chat) -> None:
    town.ok("alice", "member role @bob coordinator")
    _, refusal = one_wins(at_once(town, ("alice", f'partnership wind-up "{WHY}"'),
                                  ("bob", 'partnership wind-up "The money ran out"')))
    assert "there is nothing more to wind up" in (refusal.text or "")
    assert len(all_of(town.sessions, Review)) == 1


def test_a_wind_up_racing_done_ends_each_commitment_once(town: Chat) -> None:
    for n in range(1, 11):
        town.ok("bob", f'commit "Task {n}" by:friday')
        town.ok("alice", "review start")
        replies = at_once(town, ("alice", f"{ASK} open:drop"), ("bob", f"done {n}"))
        assert not replies[0].error, replies[0].text
        c = commitments(town)[n]
        if replies[1].error:  # the wind-up came first and dropped it
            assert f"#{n} was already dropped by Alice" in (replies[1].text or "")
            assert c.status is CommitmentStatus.DROPPED and "Dropped (1)" in replies[0].plain()
        else:  # done came first: nothing was left to drop
            assert c.status is CommitmentStatus.DONE and "Dropped" not in replies[0].plain()
        assert count(town.sessions, Event.action.in_(["done", "drop"]), Event.subject_id == c.id) == 1
        town.ok("alice", 'partnership reopen "Next round"')


def test_handing_on_twice_at_once_hands_on_once(town: Chat) -> None:
    for n in range(1, 11):
        town.ok("bob", f'commit "Task {n}" by:friday')
        _, refusal = one_wins(at_once(town, ("bob", f'hand on {n} to:"Library"'), ("alice", f'drop {n} "Not needed"')))
        assert "was already" in (refusal.text or "")
    assert count(town.sessions, Event.action.in_(["hand-on", "drop"])) == 10


def test_going_back_a_migration_keeps_who_took_the_work_on(town: Chat, engine: Engine) -> None:
    town.ok("carol", 'commit "Open the warm space" by:2027-02-16')
    town.ok("carol", 'hand on 1 to:"Millbrook Library" "They run it now"')
    town.ok("carol", 'commit "Paint the benches" by:2027-02-16')
    town.ok("carol", 'hand on 2 to:"Millbrook Library"')
    try:
        migrate(engine, "0015_load", down=True)
        with engine.connect() as connection:
            reasons = [r for (r,) in connection.exec_driver_sql("SELECT drop_reason FROM commitments ORDER BY id")]
        assert reasons == ["Handed on to Millbrook Library: They run it now", "Handed on to Millbrook Library"]
    finally:
        upgrade(engine)
    assert [c.handed_to for c in all_of(town.sessions, Commitment)] == [None, None]


@pytest.mark.parametrize("reply_word", ["keep", "drop"])
def test_the_question_is_one_line_per_answer(town: Chat, reply_word: str) -> None:
    """Every answer is a single line a person can type on any platform, the reason quoted back exactly."""
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("alice", "review start")
    tricky = 'We\'re done: "thanks" all'
    asked = town.say("alice", 'review close wind-up "We\'re done: \\"thanks\\" all"')
    [line] = [text for text in re.findall(r"`([^`]*)`", asked.plain()) if text.endswith(f"open:{reply_word}")]
    assert "\n" not in line
    out = town.ok("alice", line)
    assert "review closed — wind-up" in out
    [review] = all_of(town.sessions, Review)
    assert review.decision == tricky


def test_a_long_reason_is_not_repeated_in_every_answer(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("alice", "review start")
    asked = town.ok("alice", f'review close wind-up "{"The money ran out. " * 30}"')
    assert '`review close wind-up "why" open:keep`' in asked and asked.count("The money ran out") == 0


def test_the_question_fits_slack_and_matrix_with_every_answer_typed_whole(town: Chat) -> None:
    """Thirty open commitments: each platform shows the answers whole, as lines to type."""
    for n in range(1, 31):
        town.ok("alice", f'commit "Task number {n} with a fairly long title to fill the line" by:2027-01-{n:02d}')
    town.ok("alice", "review start")
    asked = town.say("alice", ASK)
    assert "and 10 more: `who` lists them all" in asked.plain()
    answers = [f"{ASK} open:keep", f"{ASK} open:drop", f'{ASK} open:hand-on to:"Millbrook Library"']
    shown = text_of(slack_blocks(asked))
    assert len(slack_blocks(asked)) <= 50 and all(answer in shown for answer in answers)
    body = matrix_notice(asked, "!partner")["body"]
    assert all(f"`!partner {answer}`" in body for answer in answers)
    assert len(json.dumps(matrix_notice(asked, "!partner")).encode()) <= MATRIX_MAX_BYTES
