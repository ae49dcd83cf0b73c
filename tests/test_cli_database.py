"""`partnerbot tick`, `nudges` and `export` say which database they use, and never make a new
empty one unless asked with --create; `partnerbot` itself (the console, `run`) still does."""

from __future__ import annotations

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


@pytest.mark.parametrize("command", [["tick"], ["nudges"], ["nudges", "--send"], ["export"]])
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
