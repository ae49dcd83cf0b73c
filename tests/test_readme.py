"""The README is what newcomers read first: it must name every command and the two set-up commands."""

import re
from pathlib import Path

import handlers  # noqa: F401  (registers every command)
from handlers.registry import COMMANDS

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_readme_command_table_names_every_command() -> None:
    section = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("| `")]
    words = [re.match(r"\| `([a-z?]+)(?: ([a-z-]+))?", line).groups() for line in table]
    documented = {first for first, _ in words} | {f"{first} {second}" for first, second in words}
    missing = [name for name in COMMANDS if name not in documented]
    assert not missing, f"README's command table lacks: {missing}"


def test_readme_has_exactly_two_setup_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    assert len(blocks) == 2
    assert blocks[0].strip().endswith("partnerbot")
    assert blocks[1].strip().endswith("pytest")


def test_ci_runs_the_readme_test_command() -> None:
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    test_command = re.findall(r"```sh\n(.*?)```", README, re.S)[1].strip()
    assert test_command in ci
