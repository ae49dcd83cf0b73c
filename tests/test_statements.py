"""Commands read in a fixed number of statements, however much is recorded: a query per
partnership someone sits in, per concern or per commitment would make a busy partnership's
answers slower than a new one's, and every process's throughput with them."""

from __future__ import annotations

from tests.conftest import Chat
from tests.test_governance_sweep import counting


def said(chat: Chat, user: str, command: str) -> tuple[int, str]:
    """The statements `command` sent, and what its author saw."""
    with counting(chat.sessions.kw["bind"]) as statements:
        shown = chat.ok(user, command)
    return len(statements), shown


def another_partnership(chat: Chat, n: int) -> None:
    """Partnership n, in a room of its own, with bob in it holding one commitment."""
    chat.channel = f"room{n}"
    chat.ok("alice", f'setup "Partnership {n}" kind:task-force')
    chat.ok("bob", "join org:Org sector:private")
    chat.ok("bob", f'commit "Work in partnership {n}" by:2027-03-01')


def test_mine_reads_every_partnership_someone_is_in_at_once(chat: Chat) -> None:
    another_partnership(chat, 1)
    few, shown = said(chat, "bob", "mine")
    assert "Work in partnership 1" in shown
    for n in range(2, 6):
        another_partnership(chat, n)
    many, shown = said(chat, "bob", "mine")
    assert all(f"Partnership {n}" in shown and f"Work in partnership {n}" in shown for n in range(1, 6))
    assert many == few, (few, many)


def test_concerns_count_their_notes_without_a_query_each(town: Chat) -> None:
    town.ok("bob", 'concern "The hall is too dear"')
    town.ok("carol", 'discuss 1 "Could we share it?"')
    few, shown = said(town, "alice", "concerns")
    assert "#1 The hall is too dear" in shown and "1 note" in shown
    for n in range(2, 8):
        town.ok("carol", f'concern "Worry {n}"')
        town.ok("bob", f'discuss {n} "First thought on {n}"')
        town.ok("alice", f'discuss {n} "Second thought on {n}"')
    many, shown = said(town, "alice", "concerns")
    assert shown.count("2 notes") == 6 and "#7 Worry 7" in shown
    assert many == few, (few, many)


def test_commit_and_load_read_open_work_in_the_same_statements_however_much_is_open(town: Chat) -> None:
    town.ok("bob", 'commit "Book the hall" by:friday effort:1h')
    commit_few, _ = said(town, "carol", 'commit "Print the posters" by:friday effort:1h')
    load_few, shown = said(town, "alice", "load")
    assert "Bob (Chamber of Trade) · volunteer: ~1h/week of 4h capacity · 1 open (1h left)" in shown
    for n in range(12):
        town.ok("bob" if n % 2 else "carol", f'commit "Task {n}" by:"in 3 weeks" effort:1h')
    commit_many, shown = said(town, "carol", 'commit "Sweep the square" by:friday effort:1h')
    assert "#15 Sweep the square" in shown
    load_many, shown = said(town, "alice", "load")
    assert "Carol (Riverside Trust) · volunteer: ~4h/week of 3h capacity · 8 open (8h left)" in shown
    assert (commit_many, load_many) == (commit_few, load_few), ((commit_few, load_few), (commit_many, load_many))
