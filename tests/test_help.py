"""Help lists every registered command with an example; `help <command>` explains one.

The commands come from handlers.registry.COMMANDS, so a new command without help fails here.
"""

from __future__ import annotations

import re

import pytest

from handlers.registry import COMMANDS, Access
from tests.conftest import Chat
from tests.test_bad_input import refuse

WHO = {
    Access.ANYONE: "anyone",
    Access.READ: "anyone in the workspace, observers included",
    Access.MEMBER: "members and coordinators",
    Access.COORDINATOR: "coordinators",
}


def test_registry_holds_the_core_commands() -> None:
    for name in ("setup", "partnership", "partnership edit", "partnerships", "use", "join", "member add",
                 "member role", "member remove", "members", "priority", "priorities", "commit", "done", "drop",
                 "reassign", "who", "mine", "commitments", "overdue", "concern", "concerns", "discuss", "resolve",
                 "reopen", "flex", "flex who", "flex withdraw", "load", "help", "tz"):
        assert name in COMMANDS, name


def test_help_lists_every_command_with_its_first_example_and_summary(chat: Chat) -> None:
    out = chat.ok("newcomer", "help")
    assert out.splitlines()[0] == "partnerbot commands"
    for cmd in COMMANDS.values():
        assert cmd.summary, f"{cmd.name} has no help text"
        assert f"`{cmd.examples[0]}` — {cmd.summary}" in out, cmd.name


def test_help_groups_commands_under_their_topics(chat: Chat) -> None:
    out = chat.ok("newcomer", "help")
    for cmd in COMMANDS.values():
        assert cmd.topic in out
        assert out.index(cmd.topic) < out.index(f"`{cmd.examples[0]}` — ")


def test_every_example_parses_as_its_own_command(town: Chat) -> None:
    """An example in help that the bot itself would not understand would mislead people."""
    from handlers.dispatch import arguments
    from handlers.parsing import tokenize
    from handlers.registry import find

    for cmd in COMMANDS.values():
        for example in cmd.examples:
            found, rest = find(tokenize(example))
            assert found is cmd, example
            arguments(cmd, rest)  # no unknown options, as the bot reads them (`in:` for any within a partnership)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_for_each_command_shows_usage_who_and_examples(chat: Chat, name: str) -> None:
    cmd = COMMANDS[name]
    out = chat.ok("newcomer", f"help {name}")
    assert out.splitlines()[0] == name
    assert cmd.summary in out
    assert f"Type: `{cmd.usage}`" in out
    assert f"Who: {cmd.who or WHO[cmd.access]}" in out
    for example in cmd.examples:
        assert f"`{example}`" in out


def test_help_says_who_may_change_what_anyone_may_read(town: Chat) -> None:
    """`help flex` said observers were included, and an observer's offer was then refused."""
    town.ok("olga", "join observer")
    refuse(town, "olga", 'flex time "Two evenings"', "Observers can read")
    assert "Who: anyone in the workspace reads the offers; members and coordinators offer" in town.ok("olga", "help flex")
    refuse(town, "bob", "minutes 1", "There is no meeting #1")
    assert "coordinators record, share and approve them" in town.ok("bob", "help minutes")


def test_help_commit_explains_dates_and_effort(chat: Chat) -> None:
    out = chat.ok("newcomer", "help commit")
    assert "Log who does what by when" in out
    assert "`friday`" in out and "`in 2 weeks`" in out and "`3h`" in out
    assert '`commit "Deliver 500 leaflets" by:friday effort:3h`' in out
    assert "Who: members and coordinators" in out


def test_question_mark_is_help(chat: Chat) -> None:
    assert chat.ok("newcomer", "?") == chat.ok("newcomer", "help")


def test_help_for_an_unknown_command_points_back_to_help(chat: Chat) -> None:
    refuse(chat, "newcomer", "help frobnicate", "There is no command `frobnicate`", "`help`")


def test_help_needs_no_partnership(chat: Chat) -> None:
    chat.channel = "dm-newcomer"
    assert "partnerbot commands" in chat.ok("newcomer", "help")


def test_help_for_a_command_family_lists_its_subcommands(chat: Chat) -> None:
    out = chat.ok("alice", "help member")
    for sub in ("member add", "member role", "member remove"):
        assert f"`{COMMANDS[sub].examples[0]}`" in out


def test_help_understands_aliases(chat: Chat) -> None:
    assert "Set your time zone" in chat.ok("alice", "help timezone")


def test_help_with_empty_quotes_lists_every_command(chat: Chat) -> None:
    """`help ""` used to fail on our side (found by the hostile-text test)."""
    assert chat.ok("alice", 'help ""') == chat.ok("alice", "help")
    assert chat.ok("alice", 'help "   "') == chat.ok("alice", "help")


def test_help_shows_a_summary_that_runs_over_two_lines_whole(chat: Chat) -> None:
    """A summary wrapped in the docstring is one sentence; cut at the line it read as half of one."""
    out = chat.ok("alice", "help export")
    assert ("The partnership's records as files: commitments, concerns and decisions (CSV), due dates and reviews "
            "(a calendar file), the health check (Markdown), and the agreement with what partners bring, goals and "
            "readings (Markdown and CSV).") in out


def test_help_for_a_command_lists_its_subcommands(chat: Chat) -> None:
    out = chat.ok("alice", "help review")
    assert out.splitlines()[0] == "review"
    assert "Sub-commands" in out
    for sub in ("review start", "review answer", "review close"):
        assert f"`{sub}` — {COMMANDS[sub].summary}" in out


def test_help_for_a_misspelt_command_suggests_the_right_one(chat: Chat) -> None:
    refuse(chat, "newcomer", "help comit", "There is no command `comit`. Did you mean `commit`?", "`help`")


def test_partnerbot_help_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    from bot import cli

    cli.main(["help"])
    out = capsys.readouterr().out
    assert "usage: partnerbot" in out and "console" in out and "tick" in out
    assert "In the chat, type `help`" in out


def test_every_topic_heading_is_one_whole_sentence(chat: Chat) -> None:
    """`help` showed "`decline`: turn down what was offered to you. Two things can be: a
    commitment handed to", a heading cut at the end of its docstring's first line."""
    out = chat.ok("newcomer", "help")
    for topic in {cmd.topic for cmd in COMMANDS.values()}:
        assert topic.endswith("."), topic
        assert topic.count(". ") == 0 and len(topic) <= 120, f"more than one short sentence: {topic}"
        assert f"\n{topic}\n" in out
    assert "Declining: turn down a commitment handed to you, or (coordinators) a request to join." in out


def test_no_example_names_a_date_that_will_have_passed(town: Chat) -> None:
    """An example to copy with a fixed date (`by:2026-12-01`) is refused as past once that day
    has gone; dates ahead are written as words. Dates looking back (`since:`) may be fixed."""
    for cmd in COMMANDS.values():
        for example in cmd.examples:
            for found in re.finditer(r"(\w+:)?\d{4}-\d{2}-\d{2}", example):
                assert found[1] == "since:", f"{cmd.name}: {example}"
