"""Goals with indicators: readings, progress towards the target, the trend and the work serving
each goal; and the health check's warnings about them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from storage.models import Commitment, CommitmentGoal, Event, Goal, GoalReading
from tests.conftest import START, Chat
from tests.test_bad_input import all_of, refuse

FOOTFALL = 'goal "Footfall up 10%" measure:"weekly footfall count" baseline:1200 target:1320 by:2027-08-31'
HOURS = 'goal "Volunteer time" measure:"hours given by volunteers" baseline:0 target:"500 hours" by:2027-08-31'


@pytest.fixture
def goal(town: Chat) -> Chat:
    town.ok("alice", FOOTFALL)
    return town


def days(chat: Chat, n: int) -> str:
    """The ISO day `n` days after the test's start."""
    return (START + timedelta(days=n)).date().isoformat()


def test_a_goal_shows_its_indicator(goal: Chat) -> None:
    out = goal.ok("bob", "goals")
    assert ("#1 Footfall up 10% — weekly footfall count: at its baseline of 1,200, towards 1,320 by Tue 31 Aug 2027: "
            "no reading yet") in out
    out = goal.ok("bob", 'reading 1 1250 "Count on 3 May"')
    assert "Goal #1 Footfall up 10%: 1,250 now, from 1,200 towards 1,320 by Tue 31 Aug 2027: 42% of the way " \
           "(read Tue 24 Nov)." in out
    [reading] = all_of(goal.sessions, GoalReading)
    assert (reading.value, reading.note) == (Decimal(1250), "Count on 3 May")


def test_the_trend_says_where_the_measure_will_be_by_the_date(goal: Chat) -> None:
    goal.advance(days=140)
    goal.ok("bob", f'reading 1 1230 "Spring count" on:{days(goal, 100)}')
    out = goal.ok("bob", "reading 1 1242")
    assert "At this pace 1,284 by Tue 31 Aug, short of 1,320." in out
    health = goal.ok("alice", "health")
    assert "Goals off track\n  - #1 Footfall up 10%: at this pace 1,284 by Tue 31 Aug, short of 1,320." in health
    assert "a coordinator moves its target or date (`goal edit 1 by:2028-02-27`)" in health
    goal.ok("alice", "goal edit 1 by:2028-02-27")
    goal.ok("bob", "reading 1 1300")
    assert "reaching 1,320" in goal.ok("bob", "goals")
    assert "Goals off track" not in goal.ok("alice", "health")


def test_a_goal_downwards_counts_down(town: Chat) -> None:
    town.ok("alice", 'goal "Less litter" measure:"bags collected a week" baseline:40 target:10 by:2027-05-24')
    town.advance(days=91)
    out = town.ok("carol", "reading 1 25")
    assert "25 now, from 40 towards 10 by Mon 24 May: 50% of the way" in out
    assert "at this pace 10 by Mon 24 May, reaching 10" in town.ok("carol", "goals")


def test_a_date_passed_short_of_the_target_is_said_plainly(goal: Chat) -> None:
    goal.advance(days=300)
    goal.ok("bob", f"reading 1 1290 on:{days(goal, 30)}")
    out = goal.ok("alice", "health")
    assert "#1 Footfall up 10%: Tue 31 Aug has passed at 1,290, short of 1,320." in out


def test_health_warns_of_goals_no_work_serves(goal: Chat) -> None:
    assert "Goals no work serves\n  - #1 Footfall up 10% (0 done, none open)." in goal.ok("alice", "health")
    out = goal.ok("bob", 'commit "Count Saturday footfall" by:friday goal:1')
    assert "Serves goal #1 Footfall up 10%." in out
    assert "Goals no work serves" not in goal.ok("alice", "health")
    goal.ok("bob", "done 1")
    assert "#1 Footfall up 10% (1 done, none open)" in goal.ok("alice", "health")


def test_health_warns_of_indicators_not_read_for_a_quarter(goal: Chat) -> None:
    goal.advance(days=92)
    assert "Indicators not updated" not in goal.ok("alice", "health")
    goal.advance(days=1)
    out = goal.ok("alice", "health")
    assert ("Indicators not updated for a quarter\n  - #1 Footfall up 10% (weekly footfall count): never read since it "
            "was set Tue 24 Nov 2026.") in out
    goal.ok("bob", "reading 1 1240")
    assert "Indicators not updated" not in goal.ok("alice", "health")


def test_each_goal_shows_its_work_open_overdue_and_done(goal: Chat) -> None:
    goal.ok("bob", 'commit "Count Saturday footfall" by:friday goal:1')
    goal.ok("carol", 'commit "Run the river fair" by:2026-12-20 goal:1')
    goal.ok("carol", 'commit "Paint the benches" by:2026-12-20')
    goal.ok("carol", "edit 3 goal:1")
    goal.ok("carol", "done 3")
    goal.advance(days=5)
    assert "work: 2 open (1 overdue), 1 done" in goal.ok("alice", "goals")
    out = goal.ok("alice", "goals 1")
    assert "Work serving it (2 open (1 overdue), 1 done)" in out
    assert "#1 Count Saturday footfall — Bob (Chamber of Trade) · due Fri 27 Nov (2 days overdue)" in out
    assert "changed #2 Run the river fair: goal none → #1" not in goal.ok("alice", "history")
    # Each reader is offered Mark done on the work they may mark: their own, or anyone's if they coordinate.
    offered = {who: [a.command for s in goal.say(who, "goals 1").sections for i in s.items for a in i.actions
                     if a.label == "Mark done"] for who in ("alice", "bob", "carol")}
    assert offered == {"alice": ["done 1", "done 2"], "bob": ["done 1"], "carol": ["done 2"]}
    assert "goal #1 → none" in goal.ok("carol", "edit 2 goal:none")
    assert "work: 1 open (1 overdue), 1 done" in goal.ok("alice", "goals")


def test_commitments_name_only_this_partnerships_standing_goals(goal: Chat) -> None:
    refuse(goal, "bob", 'commit "Count" by:friday goal:9', "There is no goal #9 in Riverside Partnership", "`goals`")
    refuse(goal, "bob", 'commit "Count" by:friday goal:first', "`goal:first` isn't a goal number", "`goals`")
    goal.channel = "hills"
    goal.ok("dave", 'setup "Hill Towns" kind:task-force')
    goal.ok("dave", 'join org:"Hill Farmers" sector:private')
    refuse(goal, "dave", 'commit "Count sheep" by:friday goal:1', "There is no goal #1 in Hill Towns")
    goal.channel = "general"
    goal.ok("alice", 'goal drop 1 "Footfall is the wrong measure"')
    refuse(goal, "bob", 'commit "Count" by:friday goal:1', "Goal #1 Footfall up 10% was dropped", "`goals`")
    assert all_of(goal.sessions, Commitment) == []


def test_the_next_occurrence_of_recurring_work_serves_the_same_goal(goal: Chat) -> None:
    goal.ok("bob", 'commit "Count the footfall" every:saturday effort:1h goal:1')
    goal.ok("bob", "done 1")
    with goal.sessions() as session:
        assert session.scalars(select(CommitmentGoal.commitment_id).order_by(CommitmentGoal.commitment_id)).all() == [1, 2]


@pytest.mark.parametrize(("command", "expected"), [
    ('goal "Footfall up" measure:"count" baseline:1200 target:1320', "A goal needs `by:` too"),
    ('goal "Footfall up" measure:"count" baseline:1200 target:1200 by:2027-08-31', "The target (1,200) is where it starts"),
    ('goal "Footfall up" measure:"count" baseline:many target:1320 by:2027-08-31', "`many` isn't a number for baseline"),
    ('goal "Footfall up" measure:"count" baseline:1200 target:1320 by:2026-11-01', "is not after today"),
    ('goal "Footfall up" measure:"count" baseline:1200 target:1320 by:2040-01-01', "more than 10 years away"),
    (f'goal "Footfall up" measure:"{"m" * 400}" baseline:1 target:2 by:2027-08-31', "That measure is 400 characters"),
])
def test_bad_goals_are_refused(town: Chat, command: str, expected: str) -> None:
    refuse(town, "alice", command, expected)


def test_only_coordinators_set_goals_and_members_read_them(goal: Chat) -> None:
    refuse(goal, "bob", FOOTFALL, "Only coordinators of Riverside Partnership can do that", example=False)
    refuse(goal, "bob", "goal edit 1 target:1300", "Only coordinators", example=False)
    # `goal 1`, as people type it, reads the goal like `goals 1`, for a member as for anyone else.
    assert goal.ok("bob", "goal 1") == goal.ok("bob", "goals 1")
    assert "Footfall up 10%" in goal.ok("bob", "goal 1")


@pytest.mark.parametrize(("command", "expected"), [
    ("reading 1", "Say the value, like `reading 1 1250"),
    ("reading 1 lots", "`lots` isn't a number for the reading. Write it like `reading 1 1200` or `reading 1 12.5`."),
    ("reading 2 1250", "There is no goal #2 in Riverside Partnership"),
    ("reading 1 1250 on:tomorrow", "Wed 25 Nov is still to come; a reading is of a day that has been"),
    # Before the goal (and its baseline) was set, a reading made its trend run backwards ("At this pace -757").
    ("reading 1 1250 on:2026-11-23", "Goal #1 was set Tue 24 Nov, with its baseline then; a reading of Mon 23 Nov "
                                     "comes before it. Give a day from Tue 24 Nov on; a better starting figure goes in "
                                     "the baseline: `goal edit 1 baseline:1,250`."),
    ("reading undo 1", "Goal #1 has no reading to undo"),
])
def test_bad_readings_are_refused(goal: Chat, command: str, expected: str) -> None:
    refuse(goal, "bob", command, expected)


def test_a_reading_entered_by_mistake_is_undone_by_its_author_or_a_coordinator(goal: Chat) -> None:
    goal.ok("bob", "reading 1 1250")
    goal.ok("bob", "reading 1 12500")
    refuse(goal, "carol", "reading undo 1", "The latest reading of goal #1 is Bob's; only they or a coordinator")
    out = goal.ok("bob", "reading undo 1")
    assert ("Undid the reading 12,500 of Tue 24 Nov of goal #1 Footfall up 10%, and 1,250, which it replaced, counts "
            "again; it is now at 1,250 now") in out
    assert [r.undone_at is None for r in all_of(goal.sessions, GoalReading)] == [True, False]


def test_the_same_reading_twice_in_a_day_is_refused_saying_how_to_correct_it(goal: Chat) -> None:
    goal.ok("bob", 'reading 1 1250 "Count on 3 May"')
    refuse(goal, "bob", "reading 1 1,250", "Goal #1 already has 1,250 for Tue 24 Nov, recorded by Bob; nothing changed.",
           "`reading 1 <right figure> on:2026-11-24` replaces it; `reading undo 1` takes it back.")
    goal.advance(days=1)
    goal.ok("bob", "reading 1 1250")  # the same figure on another day is another reading
    # Not the latest entered, so `reading undo` would take back another: only the correction is offered.
    text = refuse(goal, "carol", "reading 1 1250 on:2026-11-24", "Goal #1 already has 1,250 for Tue 24 Nov",
                  "`reading 1 <right figure> on:2026-11-24` replaces it.")
    assert "reading undo" not in text
    assert [r.taken_on.isoformat() for r in all_of(goal.sessions, GoalReading)] == ["2026-11-24", "2026-11-25"]


def test_a_second_figure_for_a_day_replaces_the_first_for_its_author_or_a_coordinator(goal: Chat) -> None:
    goal.ok("bob", 'reading 1 1250 "Count on 3 May"')
    refuse(goal, "carol", "reading 1 1260", "Goal #1's reading of Tue 24 Nov (1,250) is Bob's; only they or a "
                                            "coordinator can replace it.", "`reading 1 <right figure> on:2026-11-24`")
    out = goal.ok("bob", 'reading 1 1260 "Recounted"')
    assert "1,260 now, from 1,200" in out and "It replaces 1,250 of Tue 24 Nov (Bob's); `reading undo 1` brings " \
                                               "that back." in out
    assert "It replaces 1,260 of Tue 24 Nov (Bob's)" in goal.ok("alice", "reading 1 1270")
    readings = all_of(goal.sessions, GoalReading)
    assert [(r.value, r.undone_at is None) for r in readings] == [(1250, False), (1260, False), (1270, True)]
    assert "Readings, newest first\n  - Tue 24 Nov: 1,270 (Alice)" in goal.ok("bob", "goals 1")
    assert "Bob recorded 1,260 for goal #1 Footfall up 10% on 2026-11-24, replacing 1,250 (Bob's)" in \
        goal.ok("bob", "history goal 1")
    # Undone, a replacement gives its day back the figure it replaced, one step at a time.
    assert "Undid the reading 1,270 of Tue 24 Nov of goal #1 Footfall up 10%, and 1,260, which it replaced, counts " \
           "again; it is now at 1,260 now" in goal.ok("alice", "reading undo 1")
    assert "it is now at 1,250 now" in goal.ok("bob", "reading undo 1")
    assert [r.undone_at is None for r in all_of(goal.sessions, GoalReading)] == [True, False, False]


def test_the_trend_counts_a_day_read_twice_once(goal: Chat) -> None:
    goal.advance(days=140)
    goal.ok("bob", f'reading 1 1230 "Spring count" on:{days(goal, 100)}')
    goal.ok("bob", "reading 1 1242")
    with goal.sessions.begin() as session:  # the same day twice, as `reading` once accepted it
        twice = session.scalars(select(GoalReading).order_by(GoalReading.id.desc())).first()
        assert twice is not None
        session.add(GoalReading(partnership_id=twice.partnership_id, goal_id=twice.goal_id, member_id=twice.member_id,
                                value=twice.value, taken_on=twice.taken_on, created_at=twice.created_at))
    out = goal.ok("bob", "goals 1")
    assert "at this pace 1,284 by Tue 31 Aug, short of 1,320" in out
    assert out.count("Tue 13 Apr: 1,242 (Bob)") == 1


def test_a_goal_is_edited_and_dropped_with_its_reasons_kept(goal: Chat) -> None:
    out = goal.ok("alice", "goal edit 1 target:1300 by:2027-09-30")
    assert "Changed goal #1 Footfall up 10%: target 1,320 → 1,300; by Tue 31 Aug 2027 → Thu 30 Sep 2027." in out
    refuse(goal, "alice", "goal edit 1 target:1300", "already reads like that")
    refuse(goal, "alice", "goal edit 1 baseline:1300", "That makes the target where it starts")
    goal.ok("bob", 'commit "Count Saturday footfall" by:friday goal:1')
    out = goal.ok("alice", 'goal drop 1 "The market moved"')
    assert "Dropped goal #1 Footfall up 10%: The market moved. Its 1 open commitment stays as it is." in out
    assert "Dropped\n  - #1 Footfall up 10%: The market moved" in goal.ok("bob", "goals")
    refuse(goal, "bob", "reading 1 1250", "was dropped, so it takes no readings")
    history = goal.ok("bob", "history goal 1")
    assert "Alice dropped goal #1 Footfall up 10% — The market moved" in history
    assert "Alice changed goal #1 Footfall up 10%: target 1,320 → 1,300" in history


def test_a_goal_dropped_by_mistake_is_reopened_with_its_readings_and_work(goal: Chat) -> None:
    goal.ok("bob", 'reading 1 1250 "Count on 3 May"')
    goal.ok("bob", 'commit "Count Saturday footfall" by:friday goal:1')
    assert '`reopen goal 1 "why"` takes it up again' in goal.ok("alice", 'goal drop 1 "The market moved"')
    out = goal.ok("alice", 'reopen goal 1 "Dropped by mistake"')
    assert ("Goal #1 Footfall up 10% is pursued again: Dropped by mistake. weekly footfall count: 1,250 now, from 1,200 "
            "towards 1,320 by Tue 31 Aug 2027: 42% of the way (read Tue 24 Nov); work: 1 open, 0 done.") in out
    [g] = all_of(goal.sessions, Goal)
    assert (g.dropped_at, g.drop_reason) == (None, None)
    listed = goal.ok("bob", "goals")
    assert "#1 Footfall up 10% — weekly footfall count: 1,250 now" in listed and "Dropped" not in listed
    assert "#1 Count Saturday footfall — Bob (Chamber of Trade)" in goal.ok("bob", "goals 1")
    history = goal.ok("bob", "history goal 1")
    assert "Alice reopened goal #1 Footfall up 10%, dropped as: The market moved — Dropped by mistake" in history
    [reopened] = [e for e in all_of(goal.sessions, Event) if e.action == "goal-reopen"]
    assert reopened.reason == "Dropped by mistake"
    # Standing again, it takes readings, edits and work as before it was dropped.
    goal.ok("bob", "reading 1 1260")
    goal.ok("alice", "goal edit 1 target:1300")
    goal.ok("carol", 'commit "Run the river fair" by:friday goal:1')


def test_reopening_a_goal_needs_a_dropped_goal_a_reason_and_a_coordinator(goal: Chat) -> None:
    refuse(goal, "alice", 'reopen goal 1 "Dropped by mistake"', "Goal #1 Footfall up 10% is not dropped",
           "`history goal 1`")
    goal.ok("alice", 'goal drop 1 "The market moved"')
    refuse(goal, "alice", "reopen goal 1", 'Say why it is reopened, so everyone can see: `reopen goal 1 "why"`.')
    refuse(goal, "alice", 'reopen goal 2 "Dropped by mistake"', "There is no goal #2", "`goals`")
    refuse(goal, "bob", 'reopen goal 1 "Dropped by mistake"', "Only coordinators", example=False)
    refuse(goal, "alice", "goal edit 1 target:1300", "Goal #1 was dropped", '`reopen goal 1 "why"`')
    assert all_of(goal.sessions, Goal)[0].drop_reason == "The market moved"


def test_goals_and_readings_are_exported(goal: Chat) -> None:
    goal.ok("bob", 'reading 1 1250.5 "Count on 3 May"')
    goal.ok("bob", 'commit "Count Saturday footfall" by:friday goal:1')
    files = {a.filename: a.content.decode() for a in goal.say("alice", "export").attachments}
    assert files["readings.csv"].splitlines() == [
        "goal,day,value,note,recorded_by,recorded_at,undone_at,time_zone,unit",
        "1,2026-11-24,1250.5,Count on 3 May,Bob,2026-11-24 10:00,,UTC,"]
    goals = files["goals.csv"].splitlines()
    assert goals[0].startswith("number,title,measure,baseline,target,by,") and goals[0].endswith(",time_zone,unit")
    assert goals[1].startswith("1,Footfall up 10%,weekly footfall count,1200,1320,2027-08-31,1250.5,2026-11-24,42,,1,0,0")
    assert goals[1].endswith(",UTC,")
    goal.ok("alice", HOURS)
    goal.ok("bob", 'reading 2 12 "From the rota"')
    assert "Tue 24 Nov: 12 hours — From the rota (Bob)" in goal.ok("bob", "goals 2")
    again = {a.filename: a.content.decode() for a in goal.say("alice", "export").attachments}
    goals = again["goals.csv"].splitlines()
    assert goals[2].startswith("2,Volunteer time,hours given by volunteers,0,500,2027-08-31,")
    assert goals[2].endswith(",UTC,hours")
    assert again["readings.csv"].splitlines()[2] == "2,2026-11-24,12,From the rota,Bob,2026-11-24 10:00,,UTC,hours"
    assert files["commitments.csv"].splitlines()[1].endswith(",1")
    assert "| 2026-11-24 | 1,250.5 | Count on 3 May |" in files["agreement.md"]
    assert "- #1 Count Saturday footfall (Chamber of Trade): open" in files["agreement.md"]


def test_a_goal_set_in_the_evening_west_of_utc_has_no_trend_from_a_reading_that_evening(town: Chat) -> None:
    town.advance(hours=15)  # 01:00 on Wed 25 Nov in UTC: 20:00 on Tue 24 Nov in New York
    town.ok("alice", "tz America/New_York")
    town.ok("alice", FOOTFALL)
    out = town.ok("alice", "reading 1 1250 \"tonight's count\"")
    assert "Goal #1 Footfall up 10%: 1,250 now, from 1,200 towards 1,320 by Tue 31 Aug 2027: 42% of the way" in out
    assert "pace" not in out
    assert "no trend until a reading is taken after the day it was set" in town.ok("bob", "goals")
    assert "Goals off track" not in town.ok("alice", "health")


def test_whether_a_reading_comes_before_its_goal_is_the_same_for_every_reader(town: Chat) -> None:
    town.advance(hours=15)  # Wed 25 Nov for bob in UTC, still Tue 24 Nov for alice in New York
    town.ok("alice", "tz America/New_York")
    town.ok("alice", FOOTFALL)
    town.ok("bob", "reading 1 1250 on:2026-11-24")
    out = town.refused("bob", "reading 1 1250 on:2026-11-23")
    assert out.startswith("Goal #1 was set Tue 24 Nov, with its baseline then; a reading of Mon 23 Nov comes before it.")
    town.ok("carol", "tz Pacific/Auckland")  # Wed 25 Nov 14:00 there
    out = town.refused("carol", "reading 1 1250 on:2026-11-23")
    assert out.startswith("Goal #1 was set Tue 24 Nov")
    assert "no trend until a reading is taken after the day it was set" in town.ok("carol", "goals")


def test_a_goal_of_a_wound_up_partnership_offers_no_work_or_readings(goal: Chat) -> None:
    goal.ok("alice", 'partnership wind-up "Done" open:keep')
    out = goal.ok("bob", "goals 1")
    assert "Work serving it (0 open, 0 done)\n  None.\nReadings, newest first\n  None." in out
    assert "commit" not in out and "reading 1" not in out


def test_the_hint_for_a_first_reading_is_on_the_goals_own_scale(town: Chat) -> None:
    town.ok("alice", 'goal "Less litter" measure:"bags collected a week" baseline:40 target:10 by:2027-05-24')
    assert 'None yet: `reading 1 40 "Where it came from"`.' in town.ok("carol", "goals 1")
    town.advance(days=1)
    town.ok("carol", 'reading 1 40 "Where it came from"')



@pytest.mark.parametrize("command", [
    "reading 1 12 km", "reading 1 12km", 'reading 1 "12 km"', 'reading 1 12 KM "From the tracker"'])
def test_a_reading_in_another_unit_than_its_goals_is_refused_saying_what_to_type(town: Chat, command: str) -> None:
    town.ok("alice", HOURS)
    refuse(town, "bob", command, "Goal #1 Volunteer time counts hours, not ", ", so nothing changed.",
           "Give the figure in hours: `reading 1 12 hours", "one unit isn't converted into another")
    assert all_of(town.sessions, GoalReading) == []
    assert "no reading yet" in town.ok("bob", "goals 1")


def test_a_unit_typed_apart_may_have_been_an_unquoted_note_so_quoting_it_is_offered(town: Chat) -> None:
    town.ok("alice", HOURS)
    refuse(town, "bob", "reading 1 12 km on:today", "Give the figure in hours: `reading 1 12 hours on:today`",
           'A note goes in quotes: `reading 1 12 "km" on:today`.')
    town.ok("alice", FOOTFALL)
    refuse(town, "bob", "reading 2 1250 Counted on Saturday", "Goal #2 Footfall up 10% counts a plain number, "
                  "not Counted, so nothing changed. Give the number alone: `reading 2 1250`. A note goes in quotes: "
                  '`reading 2 1250 "Counted on Saturday"`.')
    assert all_of(town.sessions, GoalReading) == []
    town.ok("bob", 'reading 2 1250 "Counted on Saturday"')
    [row] = all_of(town.sessions, GoalReading)
    assert (row.value, row.note) == (Decimal(1250), "Counted on Saturday")


def test_a_percentage_against_a_count_is_refused_and_a_coordinator_can_make_it_a_percentage(goal: Chat) -> None:
    refuse(goal, "bob", "reading 1 40%", "Goal #1 Footfall up 10% counts a plain number, not %, so nothing changed.",
           "Give the number alone: `reading 1 40`.", "If it counts %, a coordinator says so first: `goal edit 1 unit:%`.")
    assert all_of(goal.sessions, GoalReading) == []
    refuse(goal, "alice", 'goal edit 1 target:"1400 visitors"', "counts a plain number, not visitors",
           "`goal edit 1 target:1400`", "`goal edit 1 unit:visitors`")
    out = goal.ok("alice", 'goal edit 1 unit:visitors target:"1400 Visitor"')
    assert "Changed goal #1 Footfall up 10%: unit none → visitors; target 1,320 → 1,400." in out
    assert "towards 1,400 visitors by Tue 31 Aug 2027" in goal.ok("bob", "goals")
    assert "unit none → visitors" in goal.ok("bob", "history goal 1")
    goal.ok("alice", "goal edit 1 unit:none")
    assert "towards 1,400 by" in goal.ok("bob", "goals")


@pytest.mark.parametrize(("goal_unit", "typed"), [
    ("hours", "12 hour"), ("hours", "12 Hours"), ("hour", "12 HOURS"), ("hours", "12h"), ("hour", "12 hrs"),
    ("volunteers", "12 volunteer"), ("volunteer", "12volunteers"), ("families", "12 family"),
    ("%", "12 percent"), ("percent", "12%"), ("people", "12 person"), ("buses", "12 bus"),
])
def test_a_reading_in_another_form_of_its_goals_unit_is_taken(town: Chat, goal_unit: str, typed: str) -> None:
    town.ok("alice", f'goal "Up" measure:"what we count" baseline:0 target:100 unit:{goal_unit} by:2027-08-31')
    town.ok("bob", f'reading 1 {typed} "From the rota"')
    [row] = all_of(town.sessions, GoalReading)
    assert (row.value, row.note) == (Decimal(12), "From the rota")


def test_a_reading_with_no_unit_is_in_its_goals_unit(town: Chat) -> None:
    town.ok("alice", HOURS)
    out = town.ok("bob", 'reading 1 12 "From the rota"')
    assert "Goal #1 Volunteer time: 12 now, from 0 towards 500 hours by Tue 31 Aug 2027: 2% of the way" in out
    [row] = all_of(town.sessions, GoalReading)
    assert (row.value, row.note) == (Decimal(12), "From the rota")
    with town.sessions() as session:
        assert session.scalars(select(Goal.unit)).all() == ["hours"]


@pytest.mark.parametrize(("command", "expected"), [
    ("reading 1 12 " + "k" * 10_000, "That message is 10,013 characters; commands must be under 4,000"),
    ("reading 1 12 " + "k" * 3_000, "Goal #1 Volunteer time counts hours, not kkkkkkkkkkkkkkkkkkkkkkkkkkk..., so nothing"),
    ("reading 1 12" + "k" * 3_000, "`kkkkkkkkkkkkkkkkkkkkkkkkkkk...` isn't a unit: a unit is one word of at most 30"),
    ("reading 1 12..5", "`12..5` isn't a number for the reading. Write it like `reading 1 1200`"),
    ("reading 1 twelve hours", "`twelve` isn't a number for the reading"),
    ("reading 1 12 hours!", "counts hours, not hours!"),
])
def test_a_huge_unit_or_a_garbage_number_is_refused_kindly(town: Chat, command: str, expected: str) -> None:
    town.ok("alice", HOURS)
    text = refuse(town, "bob", command, expected, example="That message" not in expected)
    assert len(text) < 400
    assert all_of(town.sessions, GoalReading) == []


@pytest.mark.parametrize(("command", "expected"), [
    ('goal "Up" measure:"x" baseline:"0 km" target:"500 hours" by:2027-08-31',
     'This goal counts hours, not km, so nothing changed. Give the figure in hours: `goal "Up" measure:x '
     'baseline:"0 hours" target:"500 hours" by:2027-08-31`'),
    ('goal "Up" measure:"x" baseline:0 target:"500 hours" unit:miles by:2027-08-31', "This goal counts miles, not hours"),
    ('goal "Up" measure:"x" baseline:0 target:500 unit:"two words" by:2027-08-31', "`two words` isn't a unit"),
    (f'goal "Up" measure:"x" baseline:0 target:500 unit:{"u" * 3000} by:2027-08-31', "isn't a unit: a unit is one word"),
])
def test_a_goal_counts_one_unit(town: Chat, command: str, expected: str) -> None:
    refuse(town, "alice", command, expected)


def test_an_edit_in_another_unit_than_the_goals_is_refused(town: Chat) -> None:
    town.ok("alice", HOURS)
    refuse(town, "alice", 'goal edit 1 target:"600 km" by:2027-09-30',
           'Goal #1 Volunteer time counts hours, not km, so nothing changed. Give the figure in hours: '
           '`goal edit 1 target:"600 hours" by:2027-09-30`')
    town.ok("alice", "goal edit 1 target:600hour")
    with town.sessions() as session:
        assert session.execute(select(Goal.target, Goal.unit)).one() == (Decimal(600), "hours")
