"""Exports: CSV the csv module reads, a calendar icalendar parses, the health check in Markdown,
from the command line, the console and Slack; anonymous concerns stay anonymous."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import icalendar
import pytest
from sqlalchemy import Engine

from bot.cli import main
from bot.console import Console
from handlers import Reply
from tests.conftest import Chat
from tests.slack_recorder import SlackHarness
from tests.test_health import blocked_proposal

pytest_plugins = ("tests.slack_fixtures",)


@pytest.fixture
def busy(town: Chat) -> Chat:
    town.ok("bob", 'commit "Deliver leaflets, posters; and flyers" by:friday effort:3h')
    town.ok("alice", 'commit @carol "Book the hall" by:2026-12-10')
    town.ok("carol", 'commit "Paint the benches" by:2026-12-05')
    town.ok("carol", "done 3")
    town.ok("bob", 'concern "The chair talks over volunteers" kind:people anonymous')
    town.ok("carol", 'concern "The budget split favours the council" kind:priorities severity:high')
    blocked_proposal(town, "Close the high street to cars", "bob", "Traders lose their deliveries")
    return town


def exported(chat: Chat, user: str = "carol") -> dict[str, bytes]:
    reply: Reply = chat.say(user, "export")
    assert not reply.error, reply.text
    return {a.filename: a.content for a in reply.attachments}


def rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


def test_csv_files_hold_the_rows(busy: Chat) -> None:
    files = exported(busy)
    commitments = rows(files["commitments.csv"])
    assert [(r["number"], r["title"], r["owner"], r["status"], r["due_date"]) for r in commitments] == [
        ("1", "Deliver leaflets, posters; and flyers", "Bob", "open", "2026-11-27"),
        ("2", "Book the hall", "Carol", "open", "2026-12-10"),
        ("3", "Paint the benches", "Carol", "done", "2026-12-05"),
    ]
    assert commitments[0]["effort_hours"] == "3.0"
    assert (commitments[2]["created_at"], commitments[2]["closed_at"], commitments[2]["time_zone"]) == (
        "2026-11-24 10:00", "2026-11-24 10:00", "UTC")
    concerns = rows(files["concerns.csv"])
    assert [(r["title"], r["raised_by"], r["severity"]) for r in concerns] == [
        ("The chair talks over volunteers", "anonymous", "medium"),
        ("The budget split favours the council", "Carol (Riverside Trust)", "high"),
    ]
    decisions = rows(files["decisions.csv"])
    assert [(r["title"], r["status"], r["blocks"]) for r in decisions] == [
        ("Close the high street to cars", "failed", "Bob (Chamber of Trade): Traders lose their deliveries")]


def test_csv_times_are_the_readers_to_the_minute_with_the_zone_named(busy: Chat) -> None:
    busy.ok("carol", "tz America/New_York")
    busy.advance(minutes=5, seconds=30)
    busy.ok("bob", 'concern "The hall is double-booked" kind:resources')
    files = exported(busy)
    [leaflets, *_] = rows(files["commitments.csv"])
    assert (leaflets["created_at"], leaflets["time_zone"]) == ("2026-11-24 05:00", "America/New_York")
    hall = rows(files["concerns.csv"])[-1]
    assert (hall["raised_at"], hall["time_zone"]) == ("2026-11-24 05:05", "America/New_York")
    [decision] = rows(files["decisions.csv"])
    assert decision["time_zone"] == "America/New_York" and decision["closed_at"].startswith("2026-11-24 05:")


def test_a_title_that_looks_like_a_formula_stays_text_in_spreadsheets(town: Chat) -> None:
    town.ok("bob", 'commit "=HYPERLINK(\'http://evil\')" by:friday')
    [row] = rows(exported(town)["commitments.csv"])
    assert row["title"] == "'=HYPERLINK('http://evil')"


def test_anonymous_concerns_stay_anonymous_in_every_file(town: Chat) -> None:
    town.ok("bob", 'concern "The chair talks over volunteers" anonymous')
    town.advance(days=15)
    files = exported(town)
    assert b"volunteers" in files["concerns.csv"] and b"Bob" not in files["concerns.csv"]
    [line] = [line for line in files["health.md"].decode().splitlines() if "volunteers" in line]
    assert "Bob" not in line and "Chamber of Trade" not in line
    # The concern counts for nobody.
    assert "| Chamber of Trade | 0 | 0 | 0h | 0 | 0h | 0 | 0 | 0h |" in files["health.md"].decode()
    assert all(b"volunteers" not in files[name] for name in ("commitments.csv", "decisions.csv", "calendar.ics"))


def test_calendar_parses_with_due_dates_review_and_end_as_all_day_events(busy: Chat) -> None:
    busy.ok("alice", "partnership edit end:2027-06-30")
    first = icalendar.Calendar.from_ical(exported(busy)["calendar.ics"])
    events = {str(e["uid"]): e for e in first.walk("VEVENT")}
    assert len(events) == 4  # two open commitments, the review, the end
    leaflets = next(e for e in events.values() if "#1" in str(e["summary"]))
    assert str(leaflets["summary"]) == "Due: #1 Deliver leaflets, posters; and flyers (Bob)"
    assert leaflets.decoded("dtstart") == date(2026, 11, 27) and leaflets.decoded("dtend") == date(2026, 11, 28)
    assert "dtstamp" in leaflets
    starts = sorted((e.decoded("dtstart"), str(e["summary"])) for e in events.values())
    assert starts[2] == (date(2027, 2, 24), "Riverside Partnership: review")
    assert starts[3] == (date(2027, 6, 30), "Riverside Partnership: end date")
    busy.ok("bob", "done 1")
    again = icalendar.Calendar.from_ical(exported(busy)["calendar.ics"])
    assert {str(e["uid"]) for e in again.walk("VEVENT")} == set(events) - {str(leaflets["uid"])}


def test_health_report_in_markdown_has_the_signals(busy: Chat) -> None:
    busy.advance(days=31)
    report = exported(busy)["health.md"].decode()
    assert report.startswith("# Health of Riverside Partnership\n")
    assert "### Sectors missing" in report and "`member add @name sector:community`" in report
    assert "### Concerns open too long" in report and "### Blocked proposal" not in report
    # Carol delivered the benches (no effort given); Alice logging the hall for Carol counts for nobody.
    assert "| Riverside Trust | 1 | 1 | 0h | 0 | 0h | 0 | 0 | 0h |" in report
    assert "| Town Council | 0 | 0 | 0h | 0 | 0h | 0 | 0 | 0h |" in report
    assert "| Chamber of Trade | 0 | 0 | 0h | 0 | 0h | 0 | 0 | 0h |" in report


def test_cli_writes_the_files_to_a_folder(busy: Chat, engine: Engine, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PARTNERBOT_TIMEZONE", "Europe/Berlin")
    main(["export", "--partnership", "riverside partnership", "--out", str(tmp_path / "out")])
    assert "Exported Riverside Partnership to" in capsys.readouterr().out
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["agreement.md", "calendar.ics", "commitments.csv", "concerns.csv", "contributions.csv",
                       "decisions.csv", "goals.csv", "health.md", "readings.csv", "signatures.csv"]
    commitments = rows((tmp_path / "out" / "commitments.csv").read_bytes())
    assert [(r["created_at"], r["time_zone"]) for r in commitments] == [("2026-11-24 11:00", "Europe/Berlin")] * 3
    busy.ok("alice", 'setup "Market Project" kind:project end:2027-06-30')
    with pytest.raises(SystemExit, match="Several partnerships match"):
        main(["export", "--out", str(tmp_path / "again")])


def exported_on(folder: Path, days: set[date]) -> Path:
    """The one export folder in `folder`, named for the partnership and one of these days."""
    [found] = folder.iterdir()
    assert found.name in {f"partnerbot-export-riverside-partnership-{day.isoformat()}" for day in days}
    return found


def test_console_and_cli_save_in_one_folder_name(chat: Chat, engine: Engine, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    script = 'setup "Riverside Partnership" kind:task-force\nexport\n'
    today = {datetime.now(UTC).date()}
    Console(chat.sessions, "dora", "UTC", stdin=io.StringIO(script), stdout=out, files=tmp_path / "console").run()
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    (tmp_path / "cli").mkdir()
    monkeypatch.chdir(tmp_path / "cli")
    main(["export"])
    today.add(datetime.now(UTC).date())
    folder = exported_on(tmp_path / "console", today)
    assert f"Saved in {folder}: commitments.csv, concerns.csv, decisions.csv, calendar.ics, health.md" \
        in out.getvalue()
    assert (folder / "health.md").read_text().startswith("# Health of")
    assert exported_on(tmp_path / "cli", today).name == folder.name
    assert f"Exported Riverside Partnership to {tmp_path / 'cli' / folder.name}: " in capsys.readouterr().out


def test_slack_uploads_the_files_to_the_person(riverside: SlackHarness) -> None:
    riverside.run('commit "Deliver leaflets" by:"in 2 weeks"', user="UBOB")
    posted = riverside.run("export", user="UCAROL")
    assert posted.method == "ack"  # the answer, to the person alone; the files follow in their DM
    done = riverside.recorder.wait_for("files.completeUploadExternal")[0]
    assert done.params["channel_id"] == "DUCAROL"
    assert [f["title"] for f in done.params["files"]] == [
        "commitments.csv", "concerns.csv", "decisions.csv", "calendar.ics", "health.md", "agreement.md",
        "signatures.csv", "contributions.csv", "goals.csv", "readings.csv"]
    uploads = riverside.recorder.calls("upload")
    assert len(uploads) == 10 and b"Deliver leaflets" in uploads[0].params["content"]


def test_open_overdue_work_is_late_in_the_spreadsheet_as_in_the_chat(town: Chat) -> None:
    """`overdue` said "3 days overdue" while commitments.csv left days_late empty for open work."""
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("carol", 'commit "Book the hall" by:"in 3 weeks"')
    town.advance(days=6)
    assert "3 days overdue" in town.ok("alice", "overdue")
    leaflets, hall = rows(exported(town)["commitments.csv"])
    assert (leaflets["days_late"], hall["days_late"]) == ("3", "0")


def test_decisions_csv_counts_the_responses_the_outcome_counted(town: Chat) -> None:
    """decisions.csv said 2 responses and listed Dave's block though he joined after the proposal
    opened and the chat and the page counted 1 of 3: it now gives the count they give, and names
    who responded without counting in a column of its own."""
    town.ok("alice", 'propose "Adopt the market plan" closes:friday')
    town.advance(minutes=5)
    town.ok("dave", "join sector:community")
    town.ok("dave", 'block 1 "I was not here for the discussion"')
    town.ok("bob", "agree 1")
    assert "1 responded, 1 not counted" in town.ok("carol", "decisions")
    [row] = rows(exported(town)["decisions.csv"])
    assert (row["responses"], row["blocks"]) == ("1", "")
    assert (row["entitled"], row["not_counted"]) == ("3", "Dave")
    announced = town.ok("alice", 'close 1 "The council needs an answer today"')
    assert "PASSED" in announced and "1 agree (1 of 3 members)" in announced
    # Settled, it stays as counted then, though Dave is a coordinator now and Bob has left.
    town.ok("alice", "member role @dave coordinator")
    town.ok("bob", "leave")
    [row] = rows(exported(town)["decisions.csv"])
    assert (row["status"], row["responses"], row["entitled"], row["blocks"], row["not_counted"]) == (
        "passed", "1", "3", "", "Dave")
