"""A partnership's life: wound up by a review or past its end date it is read-only, nothing
new can start (refused in one line saying how to reopen it) while its closing tasks can
still be settled, it is nudged no more, and a coordinator reopens it with a reason."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from storage.models import Commitment, CommitmentStatus, Decision, DecisionStatus, Event, Partnership
from tests.conftest import Chat
from tests.slack_recorder import SlackHarness, button, state, text_of
from tests.test_bad_input import all_of, refuse
from tests.test_nudges import Inbox, at, ledger, sweep

pytest_plugins = ("tests.slack_fixtures",)


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()

WOUND_UP = "Riverside Partnership was wound up on Wed 25 Nov by Alice"
REOPEN = '`partnership reopen "why"`'


def wind_up(chat: Chat) -> None:
    """Wound up by a review, its open work kept as closing tasks."""
    chat.ok("alice", "review start")
    chat.ok("alice", 'review close wind-up "The council takes the riverside on" open:keep')


def partnership(chat: Chat) -> Partnership:
    [p] = all_of(chat.sessions, Partnership)
    return p


def test_a_wound_up_partnership_starts_nothing_new_and_says_so_in_one_line(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("bob", 'flex time "Two evenings a month"')
    town.ok("alice", 'propose "Hold the market on the path" mode:consensus closes:"in 5 days"')
    town.advance(days=1)
    wind_up(town)
    # A careless or hostile member tries to carry on as if nothing happened.
    for attempt in ('commit "Sneak in more work" by:friday', 'concern "Nobody asked us" kind:other',
                    'flex money "Up to £50"', "flex withdraw 1", 'agree 1 "Yes"', "away until:2026-12-31",
                    'priority "Footfall"', "review start", "snooze 1 3", 'propose "Carry on regardless"'):
        refuse(town, "bob", attempt, WOUND_UP, "its history stays readable", REOPEN)
    refuse(town, "alice", 'partnership edit goals:"More footfall"', WOUND_UP, REOPEN)
    refuse(town, "alice", "member add @dave", WOUND_UP, REOPEN)
    refuse(town, "dave", "join org:Library sector:public", WOUND_UP, REOPEN)
    # Reading still works, observers' and strangers' too.
    assert "#1 Deliver 500 leaflets" in town.ok("carol", "who")
    assert "#1 Deliver 500 leaflets" in town.ok("dave", "commitments @bob")
    assert '"Two evenings a month"' in town.ok("carol", "flex")
    assert "Read-only: it was wound up on Wed 25 Nov by Alice" in town.ok("dave", "partnership")
    assert "You're not marked away" in town.ok("bob", "away")
    assert "Dashboard of Riverside Partnership" in town.ok("alice", "dashboard")
    [c] = all_of(town.sessions, Commitment)
    assert c.status is CommitmentStatus.OPEN and c.title == "Deliver 500 leaflets"


def test_a_closing_task_settled_by_mistake_can_be_reopened_but_work_closed_before_the_end_cannot(
        town: Chat) -> None:
    """`done` on a closing task worked, but `reopen commitment` was refused, so a slip (the wrong
    number) could only be undone by reopening the whole partnership; and `who` with nothing open
    suggested logging work with `commit`, which is refused."""
    town.ok("bob", 'commit "Return the hall keys" by:friday')
    town.ok("bob", 'commit "Close the bank account" by:friday')
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("bob", "done 3")
    town.ok("carol", 'concern "The hall is damp" kind:other')
    town.ok("alice", 'resolve 1 "The council dries it out"')
    town.advance(days=1)
    wind_up(town)
    town.advance(hours=1)
    refuse(town, "carol", 'reopen 1 "Still damp"', WOUND_UP, REOPEN)
    town.ok("bob", "done 2")  # meant 1
    assert "#2 Close the bank account is open again (it was done)" in town.ok("bob", 'reopen commitment 2 "Wrong one"')
    town.ok("bob", "done 2")
    assert "#2 Close the bank account is open again (it was done)" in town.ok("bob", 'reopen 2 "Wrong one again"')
    refuse(town, "bob", 'reopen commitment 3 "More leaflets"', WOUND_UP, REOPEN)
    refuse(town, "bob", 'reopen 3 "More leaflets"', WOUND_UP, REOPEN)
    town.ok("bob", "done 1")
    town.ok("bob", "done 2")
    out = town.ok("carol", "who")
    assert "No open commitments." in out and "`commit" not in out
    assert {c.number: c.status for c in all_of(town.sessions, Commitment)} == {
        1: CommitmentStatus.DONE, 2: CommitmentStatus.DONE, 3: CommitmentStatus.DONE}


def test_a_recurring_closing_task_no_longer_says_it_repeats(town: Chat) -> None:
    """Kept as a closing task, weekly work still read "repeats every week", though a wound-up
    partnership makes no next occurrence: `done` on it ends the series."""
    town.ok("bob", 'commit "Weekly litter pick" by:friday every:week effort:2h')
    assert "repeats every week" in town.ok("alice", "who")
    wind_up(town)
    for user, listing in (("alice", "who"), ("bob", "mine"), ("carol", "commitments @bob")):
        out = town.ok(user, listing)
        assert "#1 Weekly litter pick" in out and "repeats" not in out, out
    assert "It was the last occurrence" in town.ok("bob", "done 1")


def test_partnerships_marks_the_wound_up_and_the_ended(town: Chat) -> None:
    town.ok("alice", 'setup "Market Square Project" kind:project end:2026-12-31')
    town.advance(days=1)
    wind_up(town)  # Riverside: this channel's
    at(town, "2027-01-02T10:00")
    out = town.ok("alice", "partnerships")
    assert "Market Square Project — project (you are in it, ended on its end date, Thu 31 Dec 2026)" in out
    assert ("Riverside Partnership — umbrella-forum (you are in it, this channel, was wound up on Wed 25 Nov 2026 "
            'by Alice: "The council takes the riverside on")') in out


def test_only_a_coordinator_reopens_with_a_reason_and_only_once(town: Chat) -> None:
    town.advance(days=1)
    wind_up(town)
    refuse(town, "bob", 'partnership reopen "We want to carry on"', "Only coordinators of Riverside Partnership",
           example=False)
    refuse(town, "alice", "partnership reopen", "Say the reason, in quotes", '`partnership reopen "why"`')
    town.advance(days=1)
    out = town.ok("alice", 'partnership reopen "The council backed out; we carry on"')
    assert ("Alice reopened Riverside Partnership, which was wound up on Wed 25 Nov by Alice. "
            "Why: The council backed out; we carry on. Now it has no end date and next quarterly review "
            "Fri 26 Feb 2027; its work can go on.") in out
    p = partnership(town)
    assert p.closed_at is None and p.end_date is None and p.next_review_on == date(2027, 2, 26)
    assert "Alice reopened Riverside Partnership, which was wound up" in town.ok("bob", "history about:partnership")
    [logged] = [e for e in all_of(town.sessions, Event) if e.action == "partnership-reopen"]
    assert logged.reason == "The council backed out; we carry on" and logged.actor.user_id == "alice"
    refuse(town, "alice", 'partnership reopen "Again"', "Riverside Partnership is neither wound up nor past its end date")
    assert "New commitment" in town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')


def test_winding_up_keeps_the_end_date_and_reopening_keeps_it_too(chat: Chat) -> None:
    chat.ok("alice", 'setup "Market Square Project" kind:project end:2027-06-30')
    chat.ok("alice", "review start")
    chat.ok("alice", 'review close wind-up "Funding fell through"')
    assert partnership(chat).end_date == date(2027, 6, 30)
    out = chat.ok("alice", 'partnership reopen "The funding came back"')
    assert "Now it ends Wed 30 Jun 2027; its work can go on." in out
    assert partnership(chat).closed_at is None and partnership(chat).end_date == date(2027, 6, 30)


def test_a_partnership_past_its_end_date_needs_a_new_one_to_reopen(chat: Chat) -> None:
    chat.ok("alice", 'setup "Market Square Project" kind:project end:2026-12-31')
    chat.ok("bob", "join org:Chamber sector:private")
    chat.ok("bob", 'commit "Sweep the square" by:2026-12-30')
    at(chat, "2026-12-31T20:00")
    assert "New commitment" in chat.ok("bob", 'commit "Last-day tidy" by:2026-12-31'), "the end date is its last day"
    at(chat, "2027-01-01T09:00")
    ended = "Market Square Project ended on its end date, Thu 31 Dec 2026"
    refuse(chat, "bob", 'commit "One more thing" by:friday', ended,
           'A coordinator can reopen it with `partnership reopen "why" end:2027-04-01`.')
    # Each refusal names a command that works: a project is never offered `end:none`.
    again = "`partnership reopen \"why\" end:2027-04-01`"
    assert "end:none" not in refuse(chat, "alice", 'partnership reopen "A second season"', ended,
                                    "give it a new end date", again)
    refuse(chat, "alice", 'partnership reopen "A second season" end:none', "A project partnership has a natural end",
           again)
    refuse(chat, "alice", 'partnership reopen "A second season" end:2026-12-15', "must be after today",
           "Type a later one, like `end:2027-04-01`")
    out = chat.ok("alice", 'partnership reopen "A second season" end:2027-06-30')
    assert "which ended on its end date, Thu 31 Dec 2026. Why: A second season. Now it ends Wed 30 Jun" in out
    assert partnership(chat).end_date == date(2027, 6, 30)
    assert "New commitment" in chat.ok("bob", 'commit "One more thing" by:friday')


def test_the_last_coordinator_of_an_ended_partnership_is_told_a_way_to_leave_that_works(chat: Chat) -> None:
    """Past its end date, `leave` told the only coordinator to make someone else coordinator,
    which is refused there: they had no way out shown."""
    chat.ok("alice", 'setup "Market Square Project" kind:project end:2026-12-31')
    chat.ok("bob", "join org:Chamber sector:private")
    at(chat, "2027-01-01T09:00")
    refused = refuse(chat, "alice", "leave", "You are the only coordinator of Market Square Project.",
                     '`partnership wind-up "why"`; then type `leave` again.')
    assert "member role" not in refused
    chat.ok("alice", 'partnership wind-up "The project is over"')
    assert "Alice is no longer in Market Square Project." in chat.ok("alice", "leave")


def test_a_sustained_partnership_reopened_without_an_end_is_reviewed_again(chat: Chat) -> None:
    chat.ok("alice", 'setup "Flood Task Force" kind:task-force end:2026-12-31')
    assert partnership(chat).review_cadence is None
    at(chat, "2027-01-04T09:00")
    out = chat.ok("alice", 'partnership reopen "The river is rising again" end:none')
    assert "Now it has no end date and next quarterly review Mon 5 Apr" in out
    p = partnership(chat)
    assert p.end_date is None and p.next_review_on == date(2027, 4, 5)


def test_leaving_a_wound_up_partnership_still_works(town: Chat) -> None:
    town.ok("carol", 'commit "Recruit litter pickers" by:friday')
    town.ok("carol", "done 1")
    town.advance(days=1)
    wind_up(town)
    assert "Carol is no longer in Riverside Partnership." in town.ok("carol", "leave")


def test_a_wound_up_partnership_is_nudged_no_more(town: Chat, inbox: Inbox) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')  # Fri 27 Nov
    town.ok("carol", 'concern "The path floods" kind:other')
    town.ok("alice", 'propose "Hold the market on the path" mode:consensus closes:"in 5 days"')
    town.ok("alice", 'commit "Open the warm space" every:tuesday until:2027-03-31 effort:2h')
    for n in range(7):
        town.ok("alice", f'commit "Task {n}" by:2026-11-26')  # overload and key-person
    at(town, "2026-11-28T23:00")  # overdue, but quiet hours: owed, not yet sent
    sweep(town, inbox)
    assert any(n.sent_at is None for n in ledger(town))
    town.ok("alice", "review start")
    town.ok("alice", 'review close wind-up "The council takes the riverside on" open:keep')
    for day in ("2026-11-29T10:00", "2026-12-07T10:00", "2027-02-25T10:00"):  # a digest week, the review date
        at(town, day)
        sweep(town, inbox)
    assert inbox.take_all() == []
    unsent = [n.cancel_reason for n in ledger(town) if n.sent_at is None]
    assert unsent and set(unsent) == {"Riverside Partnership was wound up"}, \
        "what was owed before the wind-up is cancelled, not sent after"
    [d] = all_of(town.sessions, Decision)
    assert d.status is DecisionStatus.OPEN, "its open decision waits for it to reopen"
    assert len(all_of(town.sessions, Commitment)) == 10, "its recurring work does not roll on"

    town.ok("alice", 'partnership reopen "The council backed out"')
    sweep(town, inbox)
    assert any("#1 Deliver 500 leaflets was due" in text for text in inbox.to("@bob"))


def test_an_ended_partnership_is_nudged_no_more(chat: Chat, inbox: Inbox) -> None:
    chat.ok("alice", 'setup "Market Square Project" kind:project end:2026-12-31')
    chat.ok("bob", "join org:Chamber sector:private")
    chat.ok("bob", 'commit "Sweep the square" by:2026-12-30')
    at(chat, "2026-12-30T10:00")
    chat.ok("alice", "review start")  # the wrap-up review, left open past the end
    at(chat, "2027-01-04T10:00")
    inbox.take_all()
    sweep(chat, inbox)
    assert inbox.take_all() == []


def test_a_slack_button_on_a_wound_up_partnership_gets_the_same_refusal(riverside: SlackHarness) -> None:
    announced = riverside.run('commit "Deliver 500 leaflets" by:"in 2 weeks"', user="UBOB")
    riverside.run("review start")
    riverside.run('review close wind-up "The council takes the riverside on" open:keep')
    before = state(riverside.sessions)
    riverside.click(button(announced.params["blocks"], "Snooze 3 days"), user="UBOB")
    refusal = riverside.last("chat.postEphemeral")
    shown = text_of(refusal.params["blocks"])
    assert refusal.params["user"] == "UBOB"
    assert "Riverside Partnership was wound up on" in shown and "by Alice" in shown and "partnership reopen" in shown
    assert state(riverside.sessions) == before


def test_the_end_comes_at_one_moment_for_every_reader_and_every_sweep(chat: Chat, inbox: Inbox) -> None:
    """The last day is the coordinator's who set it: over at their midnight, for a member far
    west whose calendar still shows that day, for `load` and `health`, and for the sweeps."""
    chat.ok("alice", "tz Pacific/Auckland")
    chat.ok("alice", 'setup "Harbour Project" kind:project end:2027-03-31')
    chat.ok("bob", "tz America/Los_Angeles")
    chat.ok("bob", "join org:Chamber sector:private capacity:2h")
    chat.ok("bob", 'commit "Count the boats" by:2027-03-31 effort:10h')
    at(chat, "2027-03-31T10:59")  # 23:59 on the last day in Auckland; 03:59 that day in Los Angeles
    for who in ("alice", "bob"):
        assert "New commitment" in chat.ok(who, f'commit "Last-day tidy by {who}" by:2027-03-31')
    assert "Over capacity: Bob" in chat.ok("bob", "load") and "Over capacity" in chat.ok("alice", "health")
    at(chat, "2027-03-31T11:00")  # midnight in Auckland; still the 31st in Los Angeles and in UTC
    ended = "Harbour Project ended on its end date, Wed 31 Mar"
    for who in ("alice", "bob"):
        refuse(chat, who, 'commit "One more thing" by:2027-04-02', ended, '`partnership reopen "why" end:')
    assert f'{ended}. Nothing new starts in it; a coordinator can reopen it with `partnership reopen "why" end:' \
        in chat.ok("bob", "status"), "how to reopen it, as the refusal says, and no way that would be refused"
    assert f"{ended}: nobody is flagged over capacity or at risk" in chat.ok("bob", "load")
    report = chat.ok("bob", "health")
    assert ended in report and "Over capacity" not in report
    sweep(chat, inbox)
    assert not inbox.messages, "nobody is nudged about a partnership that has ended"


def test_a_proposal_paused_by_the_wind_up_gets_its_time_back_when_the_partnership_reopens(town: Chat,
                                                                                        inbox: Inbox) -> None:
    """Carol's block was refused while it was paused: reopening must not decide it at once on Bob's agree alone."""
    town.ok("alice", 'propose "Sell the hall" mode:consensus closes:"in 4 days"')  # Sat 28 Nov, end of the day
    town.ok("bob", "agree 1")
    town.advance(days=1)
    wind_up(town)
    refuse(town, "carol", 'block 1 "The hall is our only venue"', WOUND_UP)
    town.advance(days=6)
    out = town.ok("alice", 'partnership reopen "Funding came back"')
    assert "Paused proposals are open again for the time they had left: #1 closes Fri 4 Dec 23:59." in out
    sweep(town, inbox)
    assert not any("Decision #1" in text for _, text in inbox.messages), "not decided before the others could respond"
    assert "block on #1 Sell the hall" in town.ok("carol", 'block 1 "The hall is our only venue"')
    town.advance(days=4)
    sweep(town, inbox)
    assert any("Decision #1 Sell the hall: FAILED" in text for _, text in inbox.messages), inbox.messages


def test_once_its_last_coordinator_leaves_a_wound_up_partnership_says_nobody_can_reopen_it(town: Chat) -> None:
    town.ok("alice", 'partnership wind-up "The funding ended" open:drop')
    out = town.ok("alice", "leave")
    assert "Nobody coordinates the wound-up Riverside Partnership now, so nobody can reopen it." in out
    for shown in (town.ok("bob", "partnership"), town.ok("bob", "status")):
        assert "nobody coordinates it now, so nobody can reopen it" in shown and "partnership reopen" not in shown
    refuse(town, "bob", 'concern "Who holds the keys?"', "Nobody coordinates it now, so nobody can reopen it.",
           example=False)


def test_a_wound_up_partnerships_proposals_are_shown_paused_not_open(town: Chat) -> None:
    town.ok("alice", 'propose "Adopt the plan" mode:consensus closes:"in 4 days"')
    town.ok("bob", "agree 1")
    out = town.ok("alice", 'partnership wind-up "The funding ended"')
    assert "Its open proposal (#1) is paused: decided only if it reopens, with the time left now." in out
    listed = town.ok("carol", "decisions")
    assert "Paused\n  - #1 Adopt the plan · consensus · paused: decided only if the partnership reopens" in listed
    assert "closes" not in listed and "Open" not in listed
    shown = town.ok("carol", "decision 1")
    assert "Status: paused: decided only if the partnership reopens" in shown and "agree 1" not in shown


def test_a_handover_declined_once_nobody_coordinates_says_there_is_no_coordinator(town: Chat) -> None:
    """It said "Keep it, or drop it: `drop 1`", and `drop` was refused (the handover waits for
    her answer), which said to `decline`: Carol went round in a circle and could not leave."""
    town.ok("bob", 'commit "Return the keys" by:friday')
    town.ok("alice", "reassign 1 @carol")
    town.ok("alice", 'partnership wind-up "The funding ended" open:keep')
    town.ok("bob", "leave")
    town.ok("alice", "leave")
    refuse(town, "carol", 'decline 1 "I never had the keys"',
           "There is nobody to give #1 back to: the partnership has no coordinator now.", "`accept 1`, then",
           '`drop 1 "why"`')
    # The way it suggests works: `drop` alone is refused while the handover waits for her answer.
    town.ok("carol", "accept 1")
    town.ok("carol", 'drop 1 "I never had the keys"')
    town.ok("carol", "leave")


def test_a_proposal_that_had_closed_before_the_wind_up_is_shown_closed_not_paused(town: Chat) -> None:
    """`status` said #1 was "paused: decided only if the partnership reopens, with the time it had
    left", while `decision 1` said it had closed, its outcome to be recorded if it reopens."""
    town.ok("alice", 'propose "Adopt the plan" mode:consensus closes:2026-12-10')
    town.ok("bob", "agree 1")
    at(town, "2026-12-11T00:00:30")  # closed, and the sweep has not recorded it yet
    town.ok("alice", 'partnership wind-up "The funding ended"')
    said = 'Proposal #1 "Adopt the plan" closed Thu 10 Dec, outcome recorded if the partnership reopens'
    assert said in town.ok("carol", "status")
    assert "Status: closed Thu 10 Dec, outcome recorded if the partnership reopens" in town.ok("carol", "decision 1")


# Work due after the end date


def test_work_due_after_the_end_date_is_refused_with_a_date_by_the_end_that_works(chat: Chat) -> None:
    """`commit ... by:` a day after the end date was taken without a word: work nobody could
    deliver while the partnership ran. Logging, moving and a meeting's action say so alike."""
    chat.ok("alice", 'setup "Harbour Project" kind:project end:2027-03-31')
    chat.ok("alice", 'join org:"Town Council" sector:public')
    chat.ok("bob", "join org:Chamber sector:private")
    after = "Fri 30 Apr 2027 is after Harbour Project's end date, Wed 31 Mar 2027: work due then could not be delivered"
    moves = "a coordinator moves its end first: `partnership edit end:2027-06-30`"
    said = refuse(chat, "bob", 'commit "Count the boats" by:2027-04-30 effort:10h', after, moves,
                  'Give a date by its end: `commit "Count the boats" by:2027-03-31 effort:10h`')
    assert "#1 Count the boats" in chat.ok("bob", re.findall(r"`(commit [^`]*)`", said)[0])
    refuse(chat, "alice", 'commit @bob "Paint the railings" by:2027-04-30', after,
           '`commit @bob "Paint the railings" by:2027-03-31`')
    refuse(chat, "alice", 'commit "Open the harbour office" every:month by:2027-04-30', after,
           '`commit "Open the harbour office" every:month by:2027-03-31`')
    refuse(chat, "bob", "edit 1 by:2027-04-30 effort:8h", after, "`edit 1 by:2027-03-31 effort:8h`")
    assert "due Wed 31 Mar 2027 → Tue 30 Mar 2027" in chat.ok("bob", "edit 1 by:2027-03-30")
    chat.ok("alice", 'meeting propose "Harbour board" slots:"2026-12-15 18:00"')
    chat.ok("alice", "meeting schedule 1 slot:1")
    at(chat, "2026-12-15T19:00")
    chat.ok("alice", "minutes 1 present:@alice,@bob")
    refuse(chat, "alice", 'minutes 1 action @bob "Book the hall" by:2027-04-30', after,
           '`minutes 1 action @bob "Book the hall" by:2027-03-31`')
    assert "#2 Book the hall" in chat.ok("alice", 'minutes 1 action @bob "Book the hall" by:2027-03-31')


def test_a_series_last_day_after_the_end_date_is_refused_for_one_that_runs_to_the_end(chat: Chat) -> None:
    """`every:... until:` a day after the end date was taken without a word, the reply repeating
    that day, and the series then stopped at the end date all the same. A refusal's command gives
    the repeat back as it parses: `every:2` alone, from `every:2 weeks`, was refused in turn."""
    chat.ok("alice", 'setup "Harbour Project" kind:project end:2027-03-31')
    chat.ok("alice", 'join org:"Town Council" sector:public')
    chat.ok("bob", "join org:Chamber sector:private")
    said = refuse(chat, "bob", 'commit "Count the boats" every:2 weeks until:2027-06-30 effort:1h',
                  "until:Wed 30 Jun 2027 is after Harbour Project's end date, Wed 31 Mar 2027: the series would stop "
                  "at the end date all the same.",
                  "Leave `until:` out, and it repeats to the end date (and on, if the end moves): "
                  '`commit "Count the boats" every:"2 weeks" effort:1h`',
                  "a coordinator moves its end first: `partnership edit end:2027-06-30`")
    assert "#1 Count the boats" in chat.ok("bob", re.findall(r"`(commit [^`]*)`", said)[0])
    said = refuse(chat, "alice", 'commit "Open the office" every:2 weeks by:2027-04-30',
                  '`commit "Open the office" every:"2 weeks" by:2027-03-31`')
    assert "#2 Open the office" in chat.ok("alice", re.findall(r"`(commit [^`]*)`", said)[0])
    assert "until Wed 31 Mar" in chat.ok("alice", 'commit "Sweep the quay" every:month until:2027-03-31')
    with chat.sessions() as session:
        assert [c.series.until for c in session.scalars(select(Commitment).order_by(Commitment.id))] == [
            None, None, date(2027, 3, 31)]


def test_the_end_date_is_a_day_on_the_owners_calendar_and_a_closing_task_may_still_move(chat: Chat) -> None:
    """Due on the last day is in time wherever its owner lives; once the partnership is over, its
    closing tasks may still be given a later day to be finished by."""
    chat.ok("alice", "tz Pacific/Auckland")
    chat.ok("alice", 'setup "Harbour Project" kind:project end:2027-03-31')
    chat.ok("bob", "tz America/Los_Angeles")
    chat.ok("bob", "join org:Chamber sector:private")
    chat.ok("alice", 'commit @bob "Count the boats" by:2027-03-31')
    at(chat, "2027-04-02T10:00")
    assert "due Wed 31 Mar → Fri 9 Apr" in chat.ok("bob", "edit 1 by:2027-04-09")
    with chat.sessions() as session:
        assert session.scalars(select(Commitment)).one().due_at.date().isoformat() == "2027-04-10"


def test_an_end_date_moved_before_open_work_names_it_and_how_to_move_it(chat: Chat) -> None:
    """The end date can be brought forward past work already due later: the coordinator is told
    which, and how to move it, as a due date typed after the end is refused."""
    chat.ok("alice", 'setup "Harbour Project" kind:project end:2027-03-31')
    chat.ok("alice", 'join org:"Town Council" sector:public')
    chat.ok("bob", "join org:Chamber sector:private")
    chat.ok("bob", 'commit "Count the boats" by:2027-03-20')
    chat.ok("alice", 'commit @bob "Paint the railings" by:2027-03-25')
    chat.ok("alice", 'commit "Book the crane" by:2027-03-01')
    out = chat.ok("alice", "partnership edit end:2027-03-15")
    assert ("Note: 2 open commitments are due after the end date: #1 Count the boats (Sat 20 Mar 2027), "
            "#2 Paint the railings (Thu 25 Mar 2027). Move each by then, like `edit 1 by:2027-03-15`, or settle it.") in out
    refuse(chat, "bob", "edit 1 by:2027-03-16", "is after Harbour Project's end date", "`edit 1 by:2027-03-15`")
    chat.ok("bob", "edit 1 by:2027-03-15")
    assert "Note: 1 open commitment is due after the end date: #2 Paint the railings (Thu 25 Mar 2027)." in \
        chat.ok("alice", "partnership edit end:2027-03-20")
    assert "Note:" not in chat.ok("alice", "partnership edit end:2027-03-31")


def test_an_end_date_moved_before_a_series_last_day_names_the_series_and_how_to_keep_it(chat: Chat) -> None:
    """A series with `until:` after a new end date stopped at the end date without a word: the
    coordinator moving the end is told which series, with the work due after it, and what to type."""
    chat.ok("alice", 'setup "Harbour Project" kind:project end:2027-03-31')
    chat.ok("alice", 'join org:"Town Council" sector:public')
    chat.ok("bob", "join org:Chamber sector:private")
    chat.ok("bob", 'commit "Count the boats" every:2 weeks until:2027-03-20 effort:1h')
    chat.ok("alice", 'commit "Sweep the quay" every:month until:2027-03-05')
    chat.ok("alice", 'commit "Paint the railings" by:2027-03-25')
    out = chat.ok("alice", "partnership edit end:2027-03-10")
    assert ("Note: 1 open commitment is due after the end date: #3 Paint the railings (Thu 25 Mar 2027). "
            "Move each by then, like `edit 3 by:2027-03-10`, or settle it. 1 series stops at the end date now, "
            "before its own last day: #1 Count the boats (every 2 weeks, until Sat 20 Mar 2027). To run it to its "
            "last day, move the end there: `partnership edit end:2027-03-20`.") in out
    out = chat.ok("alice", "partnership edit end:2027-03-01")
    assert ("2 series stop at the end date now, before their own last day: #1 Count the boats (every 2 weeks, until "
            "Sat 20 Mar 2027), #2 Sweep the quay (every month, until Fri 5 Mar 2027). To run one to its last day, "
            "move the end there: `partnership edit end:2027-03-20`.") in out
    chat.ok("alice", 'drop 2 "The quay is swept by the port" series')
    chat.ok("alice", "partnership edit end:2027-03-20")
    assert "Note:" not in chat.ok("alice", "partnership edit end:2027-03-31")
