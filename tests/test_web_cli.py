"""The console-only install's web pages: set up and published in the console, then served
by `partnerbot web` and written out by `partnerbot publish --out DIR`."""

from __future__ import annotations

import socket
import subprocess
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from urllib.error import HTTPError

import icalendar
import pytest
from sqlalchemy import Engine, text

from bot.web import day
from tests.bot_process import free_port, wait_for_port
from tests.environment import user_environment
from tests.test_console import PARTNERBOT, run
from tests.web_client import address

# The console reads the real clock: the end is two months from today, whenever the tests run.
END = date.today() + timedelta(days=60)
SETUP = f"""\
setup "Riverside Partnership" kind:project end:{END.isoformat()} purpose:"Revive the riverside"
join org:"Town Council" sector:public capacity:6h
commit "Book the town hall" by:"in 2 weeks" effort:1h
publish on
"""


def published(engine: Engine, tmp_path: Path) -> str:
    session = run(engine, tmp_path, "console", "--as", "alice", stdin=SETUP, PARTNERBOT_BASE_URL="https://town.example")
    assert session.returncode == 0, session.stderr
    assert "https://town.example/p/" in session.stdout
    return address(session.stdout)


def test_publish_writes_the_pages_as_files(engine: Engine, tmp_path: Path) -> None:
    path = published(engine, tmp_path)
    written = run(engine, tmp_path, "publish", "--out", "site", stdin="")
    assert written.returncode == 0, written.stderr
    folder = tmp_path / "site" / path.strip("/")
    page = (folder / "index.html").read_text()
    assert "Riverside Partnership" in page and "Book the town hall" in page and day(END) in page
    assert "<form" not in page  # no server behind a static host to take it
    assert "PARTNERBOT_BASE_URL is not set, so the feeds and calendars name http://localhost:" in written.stdout
    live = f'href="https://town.example{path}#follow"'
    mailless = run(engine, tmp_path, "publish", "--out", "site", stdin="", PARTNERBOT_BASE_URL="https://town.example")
    assert "SMTP_URL is not set, so the pages offer no way to follow by email" in mailless.stdout
    assert live not in (folder / "index.html").read_text()  # where no mail is sent, none is offered
    again = run(engine, tmp_path, "publish", "--out", "site", stdin="", PARTNERBOT_BASE_URL="https://town.example",
                SMTP_URL="smtp://mail.town.example:587")
    assert again.returncode == 0 and "is not set" not in again.stdout
    assert live in (folder / "index.html").read_text()
    events = icalendar.Calendar.from_ical((folder / "calendar.ics").read_bytes()).walk("VEVENT")
    assert any("Book the town hall" in str(e["SUMMARY"]) for e in events)
    assert "<feed" in (folder / "feed.atom").read_text()


def test_web_serves_the_pages_and_nothing_unpublished(engine: Engine, tmp_path: Path) -> None:
    path = published(engine, tmp_path)
    port = free_port()
    env = user_environment(DATABASE_URL=engine.url.render_as_string(hide_password=False), PORT=str(port))
    process = subprocess.Popen([str(PARTNERBOT), "web"], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_port(process, port)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
            page = answer.read().decode()
            assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
        assert "Book the town hall" in page
        with pytest.raises(HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/slack/events", data=b"x", timeout=10)
        assert refused.value.code == 404  # no Slack endpoint without Slack's settings
        run(engine, tmp_path, "console", "--as", "alice", stdin="publish off\n")
        with pytest.raises(HTTPError) as gone:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10)
        assert gone.value.code == 404
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_taking_the_page_down_removes_every_copy_publish_wrote(engine: Engine, tmp_path: Path) -> None:
    path = published(engine, tmp_path)
    assert run(engine, tmp_path, "publish", "--out", "site", stdin="").returncode == 0
    assert run(engine, tmp_path, "publish", "--out", "/tmp/../" + str(tmp_path / "mirror"), stdin="").returncode == 0
    folders = [tmp_path / "site" / path.strip("/"), tmp_path / "mirror" / path.strip("/")]
    assert all((f / "index.html").exists() for f in folders)
    names_off = run(engine, tmp_path, "console", "--as", "alice", stdin="publish names:on\npublish names:off\n")
    for folder in folders:  # it showed names: gone until written again
        assert f"Removed the copy `partnerbot publish` wrote to {folder} (4 files)." in names_off.stdout
        assert not folder.exists()
    assert run(engine, tmp_path, "publish", "--out", "site", stdin="").returncode == 0
    down = run(engine, tmp_path, "console", "--as", "alice", stdin="publish off\n")
    assert f"Removed the copy `partnerbot publish` wrote to {folders[0]} (4 files)." in down.stdout
    assert not folders[0].exists() and not any((tmp_path / "site").rglob("*.*"))


def test_a_copy_out_of_reach_is_named_and_removed_by_the_next_publish_on_its_machine(engine: Engine,
                                                                                    tmp_path: Path) -> None:
    path = published(engine, tmp_path)
    assert run(engine, tmp_path, "publish", "--out", "site", stdin="").returncode == 0
    folder = tmp_path / "site" / path.strip("/")
    with engine.begin() as db:  # as if written on another machine, whose disk this one cannot see
        db.execute(text("UPDATE published_copies SET host = 'web-2'"))
    folder.rename(tmp_path / "hidden")
    down = run(engine, tmp_path, "console", "--as", "alice", stdin="publish off\n")
    assert f"The copy on web-2, in {folder}, is still up: run `partnerbot publish --out {tmp_path / 'site'}` there" \
        in down.stdout
    (tmp_path / "hidden").rename(folder)
    with engine.begin() as db:  # back on that machine
        db.execute(text("UPDATE published_copies SET host = :host"), {"host": socket.gethostname()})
    again = run(engine, tmp_path, "publish", "--out", "elsewhere", stdin="")
    assert f"Removed the copy `partnerbot publish` wrote to {folder} (4 files)." in again.stdout
    assert not folder.exists()
    with engine.connect() as db:
        assert db.scalar(text("SELECT count(*) FROM published_copies")) == 0
