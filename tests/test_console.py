"""The real `partnerbot` command, run as a subprocess with a scripted session on standard input.

The database is the one the `engine` fixture prepared (a temporary SQLite file, or the
PostgreSQL schema PARTNERBOT_TEST_DATABASE_URL points at, reset for this test), so the
subprocess and the test read the same rows. The console reads the real clock, so dates
are checked against today's date rather than the test clock.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.console import Console
from handlers.dates import show_day
from storage.models import (
    Commitment,
    CommitmentStatus,
    Concern,
    ConcernNote,
    ConcernStatus,
    Event,
    Flexibility,
    Member,
    Partnership,
)
from tests.environment import user_environment
from tests.test_bad_input import all_of

PARTNERBOT = Path(sys.executable).with_name("partnerbot")


def run(engine: Engine, cwd: Path, *args: str, stdin: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = user_environment(DATABASE_URL=engine.url.render_as_string(hide_password=False), **env)
    return subprocess.run([str(PARTNERBOT), *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, env=environment, timeout=120, check=False)


def day_in(days: int) -> str:
    today = date.today()
    return show_day(today + timedelta(days=days), today)


SESSION = """\
# A first week of the Riverside Partnership, typed by four partners.
setup "Riverside Partnership" kind:umbrella-forum review:quarterly purpose:"Revive the riverside"
join org:"Town Council" sector:public capacity:6h
as bob
join org:"Chamber of Trade" sector:private capacity:4h volunteer
as carol
join org:"Riverside Trust" sector:voluntary capacity:3h volunteer
as dev
join org:"Youth Club" sector:community capacity:2h volunteer
as bob
commit "Deliver 500 market leaflets" by:"in 5 days" effort:5h
as alice
commit @carol "Book the town hall" by:"in 2 weeks" effort:1h
as carol
commit "Recruit six litter-pickers" by:"in 10 days" effort:2h
done 2
as bob
concern "The market budget favours the council's events" kind:priorities severity:high
as carol
discuss 1 "Could the trust match-fund the stalls?"
as alice
resolve 1 "The trust match-funds the stalls from April"
as carol
flex time "Two extra evenings a month"
as bob
who
mine
load
members
comit "typo"
done 99
commit "No date given"
resolve 1 "Bob tries to close it again"
as @
as alice
commitments @carol
quit
partnership
"""


@pytest.fixture
def transcript(engine: Engine, tmp_path: Path) -> str:
    result = run(engine, tmp_path, "console", "--as", "alice", stdin=SESSION)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def block(transcript: str, command: str) -> str:
    """What the console printed for one typed line (up to the blank line after it)."""
    start = transcript.index(f"> {command}\n")
    end = transcript.find("\n\n", start)
    return transcript[start:end if end != -1 else None]


def test_console_echoes_who_typed_each_line(transcript: str) -> None:
    assert 'alice> setup "Riverside Partnership"' in transcript
    assert 'bob> join org:"Chamber of Trade" sector:private capacity:4h volunteer' in transcript
    assert "You are now bob." in transcript and "You are now carol." in transcript


def test_console_shows_setup_and_joins_from_every_sector(transcript: str) -> None:
    assert "Riverside Partnership is set up" in transcript
    assert "Purpose: Revive the riverside" in transcript
    assert "Welcome to Riverside Partnership, bob" in transcript
    assert "dev (Youth Club) · member · community · volunteer · 2h/week" in transcript
    members = block(transcript, "members")
    assert "Members of Riverside Partnership (4)" in members
    assert "alice (Town Council) · coordinator · public · 6h/week" in members
    assert "Sectors: all four represented" in members


def test_console_shows_commitments_with_names_dates_and_status(transcript: str) -> None:
    assert f"#1 Deliver 500 market leaflets — bob (Chamber of Trade) · due {day_in(5)} (in 5 days) · 5h" in transcript
    assert f"#2 Book the town hall — carol (Riverside Trust) · due {day_in(14)} (in 14 days) · 1h" in transcript
    assert "Done: #2 Book the town hall, by carol (Riverside Trust). Thank you!" in transcript
    who = block(transcript, "who")
    assert "bob (Chamber of Trade)" in who and f"#3 Recruit six litter-pickers · due {day_in(10)}" in who
    assert "Book the town hall" not in who
    mine = block(transcript, "mine")
    assert "Deliver 500 market leaflets" in mine and "litter-pickers" not in mine
    carol = block(transcript, "commitments @carol")
    assert f"#2 Book the town hall · done {date.today():%a %-d %b}" in carol


def test_console_shows_the_concern_negotiated_and_the_offer(transcript: str) -> None:
    assert "Concern #1 raised" in transcript
    assert "bob (Chamber of Trade) raised: The market budget favours the council's events (priorities, high)" in transcript
    assert "carol on concern #1" in transcript
    assert "Agreed: The trust match-funds the stalls from April" in transcript
    assert 'carol (Riverside Trust) can flex on time: "Two extra evenings a month" (#1)' in transcript


def test_console_load_flags_the_overloaded_volunteer(transcript: str) -> None:
    load = block(transcript, "load")
    assert "OVER CAPACITY: bob (Chamber of Trade) · volunteer: ~5h/week of 4h capacity" in load


def test_console_bad_input_prints_one_error_line_each(transcript: str) -> None:
    for typed, expected in (('comit "typo"', "! I don't know `comit`. Did you mean `commit`?"),
                            ("done 99", "! There is no commitment #99 in Riverside Partnership."),
                            ('commit "No date given"', "! Say by when, like `by:friday`"),
                            ('resolve 1 "Bob tries to close it again"', "! Only coordinators of Riverside Partnership"),
                            ("as @", "! Say who you are now, like `as bob`")):
        lines = block(transcript, typed).splitlines()
        assert len(lines) == 2 and lines[1].startswith(expected), lines


def test_console_stops_at_quit(transcript: str) -> None:
    assert "> quit" in transcript
    assert "> partnership\n" not in transcript


def test_console_session_is_in_the_database(transcript: str, sessions: sessionmaker[Session]) -> None:
    [p] = all_of(sessions, Partnership)
    assert p.name == "Riverside Partnership" and p.purpose == "Revive the riverside"
    assert sorted(m.person.user_id for m in all_of(sessions, Member)) == ["alice", "bob", "carol", "dev"]
    commitments = {c.title: c for c in all_of(sessions, Commitment)}
    assert set(commitments) == {"Deliver 500 market leaflets", "Book the town hall", "Recruit six litter-pickers"}
    assert commitments["Book the town hall"].status is CommitmentStatus.DONE
    assert commitments["Book the town hall"].created_by_id != commitments["Book the town hall"].owner.person_id
    [concern] = all_of(sessions, Concern)
    assert concern.status is ConcernStatus.RESOLVED and concern.resolution == "The trust match-funds the stalls from April"
    assert len(all_of(sessions, Flexibility)) == 1
    resolve = [e for e in all_of(sessions, Event) if e.action == "resolve"]
    assert len(resolve) == 1 and resolve[0].actor.user_id == "alice"


def test_console_uses_the_configured_time_zone_for_new_people(engine: Engine, tmp_path: Path,
                                                              sessions: sessionmaker[Session]) -> None:
    script = 'setup "Riverside Partnership" kind:task-force\ncommit "Tokyo job" by:"in 3 days"\n'
    result = run(engine, tmp_path, "console", "--as", "alice", stdin=script, PARTNERBOT_TIMEZONE="Asia/Tokyo")
    assert result.returncode == 0 and "Traceback" not in result.stdout + result.stderr
    [c] = all_of(sessions, Commitment)
    local = c.due_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local.hour, local.minute) == (23, 59)
    assert all_of(sessions, Member)[0].person.timezone == "Asia/Tokyo"


def test_demo_loads_the_sample_partnership_and_opens_the_console(engine: Engine, tmp_path: Path,
                                                                  sessions: sessionmaker[Session]) -> None:
    result = run(engine, tmp_path, "demo", stdin="help\n")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.startswith("Loaded the sample Riverside Partnership.")
    assert "alice> help" in result.stdout and "partnerbot commands" in result.stdout
    [p] = all_of(sessions, Partnership)
    assert p.name == "Riverside Partnership" and p.goals and "riverside market" in p.goals
    assert sorted(m.person.user_id for m in all_of(sessions, Member)) == ["alice", "bob", "carol", "dev"]
    assert len(all_of(sessions, Commitment)) == 4
    [concern] = all_of(sessions, Concern)
    assert concern.status is ConcernStatus.OPEN
    assert [n.concern_id for n in all_of(sessions, ConcernNote)] == [concern.id]
    assert {f.dimension.value for f in all_of(sessions, Flexibility)} == {"money", "time"}


def test_demo_twice_does_not_load_it_again(engine: Engine, tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    run(engine, tmp_path, "demo", stdin="")
    again = run(engine, tmp_path, "demo", stdin="who\n")
    assert again.returncode == 0 and "Traceback" not in again.stdout + again.stderr
    assert again.stdout.startswith("The sample Riverside Partnership is already loaded.")
    assert "Deliver 500 market leaflets" in again.stdout
    assert len(all_of(sessions, Partnership)) == 1 and len(all_of(sessions, Commitment)) == 4


def readme_first_conversation() -> str:
    """What the README's first conversation types, one command a line, as piped into the console."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = readme.split("## A first conversation", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    return "".join(f"{typed}\n" for line in block.splitlines()
                   if (typed := re.sub(r"^[\w.-]+> ", "", line)) != line)


def test_demo_shows_the_sample_after_the_readmes_first_conversation(engine: Engine, tmp_path: Path,
                                                                     sessions: sessionmaker[Session]) -> None:
    script = readme_first_conversation()
    assert script.startswith('setup "Riverside Partnership"') and "as bob\n" in script
    first = run(engine, tmp_path, stdin=script, LOGNAME="alice")
    assert first.returncode == 0 and "Riverside Partnership is set up" in first.stdout, first.stderr
    demo = run(engine, tmp_path, "demo", stdin="who\npartnership\n")
    assert demo.returncode == 0 and "Traceback" not in demo.stdout + demo.stderr
    assert demo.stdout.startswith("Loaded the sample Riverside Partnership.")
    assert "Deliver 500 market leaflets" in demo.stdout and "Deliver 500 leaflets " not in demo.stdout
    assert "riverside market every month" in demo.stdout
    again = run(engine, tmp_path, stdin="who\n", LOGNAME="bob")
    assert "#1 Deliver 500 leaflets" in again.stdout and "market leaflets" not in again.stdout, "each keeps its own"
    assert sorted(p.workspace for p in all_of(sessions, Partnership)) == ["demo", "local"]


def test_migrate_reports_the_schema_is_up_to_date(engine: Engine, tmp_path: Path) -> None:
    result = run(engine, tmp_path, "migrate", stdin="")
    assert result.returncode == 0 and "The database is up to date." in result.stdout


def test_console_prints_an_anonymous_concerns_reopen_code_under_the_reply(sessions: sessionmaker[Session]) -> None:
    console = Console(sessions, "alice", "UTC", stdin=io.StringIO(), stdout=io.StringIO())
    console.respond('setup "Riverside Partnership" kind:task-force')
    console.respond("join org:Council sector:public")
    shown = console.respond('concern "Budget split" anonymous')
    assert "Someone raised: Budget split" in shown
    assert re.search(r"Only you have this code for concern #1; send it to me privately: "
                     r'`reopen concern 1 "why" code:[a-z2-7]{4}(-[a-z2-7]{4}){5}`', shown)


def test_as_with_a_name_too_long_says_so(sessions: sessionmaker[Session]) -> None:
    """`as` with a 50-letter name blamed its characters, not its length."""
    console = Console(sessions, "alice", "UTC", stdin=io.StringIO(), stdout=io.StringIO())
    said = console.respond("as " + "a" * 50)
    assert said == "! A name here is at most 40 characters; that one has 50. Say who you are now, like `as bob`."
    assert console.user == "alice"
    assert "letters, digits, dots and dashes" in console.respond("as bob!")
    assert console.respond("as " + "b" * 40) == f"You are now {'b' * 40}."


def test_the_console_speaks_of_the_console_not_a_channel(engine: Engine, tmp_path: Path) -> None:
    """The console said "This channel is now its home." and "this channel has none"."""
    done = run(engine, tmp_path, "console", "--as", "alice",
               stdin='partnerships\nstatus\nsetup "Riverside Partnership" kind:task-force\npartnerships\n'
                     'setup "Hill Towns" kind:task-force\nuse "Hill Towns"\n')
    assert done.returncode == 0, done.stderr
    assert "channel" not in done.stdout
    assert "You are in none yet, and this console has none." in done.stdout
    assert "This console isn't linked to a partnership yet." in done.stdout
    assert "You are its first coordinator. This console is now its home." in done.stdout
    assert "Riverside Partnership — task-force (you are in it, this console)" in done.stdout
    assert ('This console still works with Riverside Partnership; type `use "Hill Towns"` where you want this one.'
            in done.stdout)
    assert "This console now works with Hill Towns." in done.stdout

