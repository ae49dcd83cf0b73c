"""`partnerbot tick`, `nudges`, `export`, `web` and `publish` say which database they use, and
never make a new empty one unless asked with --create; `partnerbot` itself (the console, `run`)
still does, and its help says where."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from bot import cli
from storage.database import empty
from tests.environment import user_environment
from tests.test_console import PARTNERBOT


def partnerbot(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The installed console script in a folder of its own, with the default database there."""
    return subprocess.run([str(PARTNERBOT), *args], input=stdin, capture_output=True, text=True, cwd=cwd,
                          env=user_environment(), timeout=120, check=False)


@pytest.mark.parametrize("command", [["tick"], ["nudges"], ["nudges", "--send"], ["export"], ["web"], ["publish"]])
def test_a_missing_sqlite_file_is_named_and_not_created(tmp_path: Path, command: list[str]) -> None:
    done = partnerbot(tmp_path, *command)
    database = tmp_path / "partnerbot.db"
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"Using sqlite:///{database}",
                                        f"No database at {database}. Run `partnerbot` first, or pass --create."]
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_the_console_creates_it_and_then_they_use_it(tmp_path: Path) -> None:
    database = tmp_path / "partnerbot.db"
    assert partnerbot(tmp_path, "console", stdin="partnerships\n").returncode == 0
    assert database.exists()
    done = partnerbot(tmp_path, "nudges")
    assert (done.returncode, done.stdout, done.stderr) == (0, "No nudges are due.\n", f"Using sqlite:///{database}\n")


def test_create_makes_the_database_when_asked(tmp_path: Path) -> None:
    done = partnerbot(tmp_path, "tick", "--create")
    assert done.returncode == 0, done.stderr
    assert "console: Sent 0 messages" in done.stdout
    assert (tmp_path / "partnerbot.db").exists()


def test_a_database_without_partnerbots_tables_is_refused(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """An empty SQLite file, or a PostgreSQL database (schema) nobody has set up: left as it is."""
    empty(engine)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    for command in (["tick"], ["nudges"], ["export"]):
        with pytest.raises(SystemExit, match=r"^No partnerbot tables in .+\. Run `partnerbot` first, or pass --create\.$"):
            cli.main(command)
    with engine.connect() as connection:
        assert not engine.dialect.get_table_names(connection)
    cli.main(["nudges", "--create"])
    assert capsys.readouterr().out == "No nudges are due.\n"


def test_the_password_in_the_url_is_hidden(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://partner:s3cret@127.0.0.1:1/partnerbot")
    with pytest.raises(OperationalError):  # nothing listens on port 1
        cli.main(["nudges"])
    err = capsys.readouterr().err
    assert err.startswith("Using postgresql+psycopg://partner:***@127.0.0.1:1/partnerbot\n")
    assert "s3cret" not in err


def test_the_console_help_says_where_the_records_are_kept(tmp_path: Path) -> None:
    """Where the console keeps its data was not in `console --help`."""
    shown = " ".join(partnerbot(tmp_path, "console", "--help").stdout.split())
    assert ("The records are kept in the database DATABASE_URL names (in the environment or .env); without it, in "
            "partnerbot.db in the folder it starts in.") in shown


def test_web_help_lists_its_options(tmp_path: Path) -> None:
    shown = partnerbot(tmp_path, "web", "--help").stdout
    for option in ("--port PORT", "--host HOST", "--create"):
        assert option in shown
    assert "DATABASE_URL" in shown


def test_web_on_a_port_in_use_says_so_without_a_traceback(engine: Engine, tmp_path: Path) -> None:
    """A port in use gave a raw traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        environment = {k: v for k, v in os.environ.items()
                       if not k.startswith(("SLACK_", "MATRIX_", "PARTNERBOT_", "DATABASE_URL"))}
        environment["DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
        done = subprocess.run([str(PARTNERBOT), "web", "--host", "127.0.0.1", "--port", str(port)], capture_output=True,
                              text=True, cwd=tmp_path, env=environment, timeout=120, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (f"Can't serve on 127.0.0.1:{port}: Address already in use. Stop whatever "
                                            "uses it, or pick another port with --port (or PORT).")
