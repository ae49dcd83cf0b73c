"""Hostile and careless input: quotes of every kind, a quote inside quoted text, dates far
off, a search as long as a book, and spreadsheet formulas hidden behind tabs."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select, update

from storage.models import Commitment, Concern, Partnership
from tests.conftest import Chat, snapshot
from tests.slack_recorder import SlackHarness

pytest_plugins = ("tests.slack_fixtures",)


def titles(chat_sessions: object) -> list[str]:
    with chat_sessions() as session:  # type: ignore[operator]
        return list(session.scalars(select(Commitment.title).order_by(Commitment.id)))


def test_every_kind_of_quote_quotes_text_in_the_console(town: Chat) -> None:
    town.ok("bob", "commit «Book the hall» by:friday")
    town.ok("bob", "commit \u201eSaal buchen\u201c by:friday")
    town.ok("bob", "commit \u2018Paint the benches\u2019 by:friday")
    town.ok("bob", "commit \u201cDon\u2019t forget the keys\u201d by:friday")
    town.ok("bob", 'commit "He said \\"hi\\" today" by:friday')
    town.ok("bob", "commit Check Bob\u2019s list by:friday")
    assert titles(town.sessions) == ["Book the hall", "Saal buchen", "Paint the benches", "Don\u2019t forget the keys",
                                     'He said "hi" today', "Check Bob\u2019s list"]


def test_quotes_in_slack_commands_and_forms_read_the_same(riverside: SlackHarness) -> None:
    riverside.run('commit "He said \\"hi\\" today" by:friday', user="UBOB")
    riverside.run("commit «Book the hall» by:friday", user="UBOB")
    riverside.command("concern", user="UBOB")
    view = riverside.last("views.open").params["view"]
    typed = 'He said "stop" \u201cnow\u201d, «quick» \u2018or\u2019 C:\\temp\\ \\"'
    riverside.submit(view, {"what": {"type": "plain_text_input", "value": typed},
                            "kind": {"type": "static_select", "selected_option": {"value": "process"}},
                            "severity": {"type": "static_select", "selected_option": {"value": "low"}},
                            "anonymous": {"type": "checkboxes", "selected_options": []}}, user="UBOB")
    assert titles(riverside.sessions) == ['He said "hi" today', "Book the hall"]
    with riverside.sessions() as session:
        assert session.scalars(select(Concern.title)).all() == [typed]


def test_dates_before_2000_or_after_2100_are_refused_where_typed(town: Chat) -> None:
    before = snapshot(town.sessions)
    for command in ("partnership edit end:9999-12-31", "partnership edit end:1999-12-31",
                    'commit "Plant the orchard" by:2101-01-01', "history since:1970-01-01"):
        assert "outside the years 2000 to 2100" in town.refused("alice", command)
    assert "outside the years 2000 to 2100" in town.refused(
        "carol", 'setup "Far Future" kind:project end:9999-12-31')
    assert snapshot(town.sessions) == before
    town.ok("alice", "partnership edit end:2100-12-31")
    assert town.say("carol", "export").attachments


def test_a_search_a_thousand_words_long_is_too_long_not_an_outage(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    refused = town.refused("bob", "who " + " ".join("a" for _ in range(1000)))
    assert "search by a few words" in refused and "database" not in refused
    assert "Deliver leaflets" in town.ok("bob", "who deliver leaflets")


def test_formulas_behind_tabs_and_returns_are_defused_in_csv(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", 'commit "Book the hall" by:friday')
    town.ok("bob", 'commit "Paint the benches" by:friday')
    with town.sessions.begin() as session:
        for number, title in ((1, "\t=HYPERLINK(\"http://evil\")"), (2, "\r@SUM(A1)"), (3, " \t+1-2")):
            session.execute(update(Commitment).where(Commitment.id == number).values(title=title))
        session.execute(update(Partnership).values(name="-Riverside"))
    reply = town.say("carol", "export")
    rows = list(csv.DictReader(io.StringIO(next(a for a in reply.attachments
                                                 if a.filename == "commitments.csv").content.decode())))
    assert [r["title"] for r in rows] == ["'\t=HYPERLINK(\"http://evil\")", "'\r@SUM(A1)", "' \t+1-2"]
