"""Results hidden until a proposal closes (`propose ... results:hidden`): no surface shows a
tally or who said what before then, coordinators included; the setting holds once anyone
has responded; once settled, everything is shown as for any proposal."""

from __future__ import annotations

import pytest

from bot.matrix import polls
from handlers.reply import Audience
from storage.models import Decision
from tests.conftest import Chat
from tests.slack_recorder import SlackHarness, button, text_of
from tests.test_bad_input import all_of, refuse
from tests.test_nudges import Inbox, at, sweep

pytest_plugins = ("tests.slack_fixtures",)


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


def hidden_vote(town: Chat) -> None:
    proposed = town.ok("alice", 'propose "Move meetings to Thursdays" mode:vote results:hidden closes:friday')
    assert "how each member responded stays hidden until it closes" in proposed
    town.ok("bob", 'vote 1 no "Thursdays clash with the market"')
    town.ok("carol", "vote 1 yes")


def test_a_response_is_told_only_to_its_author_without_the_tally(town: Chat) -> None:
    town.ok("alice", 'propose "Move meetings to Thursdays" mode:vote results:hidden closes:friday')
    reply = town.say("bob", "vote 1 no")
    assert reply.audience is Audience.PERSONAL and reply.results_hidden
    assert "Bob (Chamber of Trade): no on #1" in reply.plain()
    assert "results are hidden until #1 closes; 2 still to respond" in reply.plain()
    assert "So far" not in reply.plain()


def test_the_decision_view_names_who_responded_but_not_how_even_to_a_coordinator(town: Chat) -> None:
    hidden_vote(town)
    shown = town.ok("alice", "decision 1")
    assert "Responded (how is hidden until it closes)" in shown
    assert "Bob (Chamber of Trade)" in shown and "Carol (Riverside Trust)" in shown
    assert " · no" not in shown and " · yes" not in shown and "Thursdays clash" not in shown
    assert "Not responded yet\n  - Alice (Town Council)" in shown
    assert "1 yes" not in town.ok("alice", "decisions") and "2 responded" in town.ok("bob", "decisions")


def test_history_says_who_responded_not_how(town: Chat) -> None:
    hidden_vote(town)
    log = town.ok("alice", "history about:decisions")
    assert "Bob responded on #1 Move meetings to Thursdays (results hidden until it closes)" in log
    assert "answered" not in log and "Thursdays clash" not in log


def test_a_changed_vote_leaves_no_trace_while_hidden_and_is_logged_once_closed(town: Chat) -> None:
    hidden_vote(town)
    town.advance(minutes=5)
    town.ok("bob", "vote 1 yes")
    assert town.ok("alice", "decision 1").index("Bob (Chamber") < town.ok("alice", "decision 1").index("Carol (Riv")
    log = town.ok("carol", "history decision 1")
    assert log.count("Bob responded") == 1 and "changed" not in log
    town.ok("alice", 'close 1 "Now"')
    assert "Bob changed their response on #1" in town.ok("carol", "history decision 1")


def test_a_withdrawn_hidden_ballot_never_shows_how_anyone_responded(town: Chat) -> None:
    hidden_vote(town)
    town.ok("bob", "vote 1 yes")
    town.ok("alice", 'withdraw 1 "We need the costs first"')
    shown = town.ok("alice", "decision 1")
    assert "Responded (how stays hidden: it was withdrawn)" in shown
    assert "Bob (Chamber of Trade)" in shown and "Carol (Riverside Trust)" in shown
    assert " · no" not in shown and " · yes" not in shown and "Thursdays clash" not in shown
    log = town.ok("carol", "history decision 1")
    assert log.count("Bob responded") == 1 and "changed" not in log


def test_the_export_holds_no_block_reason_while_hidden(town: Chat) -> None:
    town.ok("alice", 'propose "Adopt the market plan" results:hidden closes:friday')
    town.ok("bob", 'block 1 "It clashes with the Saturday market"')

    def row(number: int = 1) -> list[str]:
        [decisions] = [a for a in town.say("alice", "export").attachments if a.filename == "decisions.csv"]
        return decisions.content.decode().splitlines()[number].split(",")

    assert row()[5:7] == ["1", ""]
    town.ok("alice", 'propose "Adopt the fair plan" results:hidden closes:friday')
    town.ok("bob", 'block 2 "It clashes with the fair"')
    town.ok("alice", "withdraw 2")
    assert row(2)[3:7] == ["withdrawn", "Alice (Town Council)", "1", ""]
    town.ok("alice", 'close 1 "The council needs an answer today"')
    assert "It clashes with the Saturday market" in row()[6]


def test_once_closed_the_outcome_shows_everything(town: Chat, inbox: Inbox) -> None:
    hidden_vote(town)
    at(town, "2026-11-28T00:30")
    sweep(town, inbox)
    [announced] = inbox.to("#general")
    assert "Responses: 1 yes, 1 no (2 of 3 members)" in announced
    shown = town.ok("bob", "decision 1")
    assert "Bob (Chamber of Trade) · no — Thursdays clash with the market" in shown
    assert "Responses\n" in shown


def test_the_setting_holds_once_anyone_has_responded(town: Chat) -> None:
    town.ok("alice", 'propose "Move meetings to Thursdays" mode:vote closes:friday')
    refuse(town, "bob", "results 1 hidden", "Only Alice, who proposed #1, or a coordinator", example=False)
    assert "now hidden until it closes" in town.ok("alice", "results 1 hidden")
    assert "already hidden" in town.ok("alice", "results 1 hidden")
    town.ok("bob", "vote 1 yes")
    refuse(town, "alice", "results 1 shown", "1 member already responded to #1 with its results hidden",
           "propose it again")
    refuse(town, "alice", "results 1 maybe", "`maybe` isn't a results setting")
    refuse(town, "alice", 'propose "Go" results:secret', "`secret` isn't a results setting")
    [d] = all_of(town.sessions, Decision)
    assert d.results_hidden


def test_matrix_offers_no_poll_nor_reactions_for_a_hidden_proposal(town: Chat) -> None:
    """A poll answer or a 👍 is a room event everyone reads: it would show who chose what."""
    hidden = town.say("alice", 'propose "Move meetings to Thursdays" mode:vote results:hidden')
    shown = town.say("alice", 'propose "Plant trees" mode:vote')
    assert polls.proposal_of(hidden) is None and polls.PROPOSAL not in polls.marked({"body": "x"}, hidden)
    assert polls.proposal_of(shown) == polls.Proposal("2", "vote")


def test_a_slack_button_answers_only_the_clicker_and_shows_no_tally(riverside: SlackHarness) -> None:
    proposed = riverside.run('propose "Move meetings to Thursdays" mode:vote results:hidden closes:friday')
    blocks = proposed.params["blocks"]
    riverside.click(button(blocks, "Yes", "vote 1 yes"), user="UBOB")
    told = riverside.last("chat.postEphemeral")
    assert told.params["user"] == "UBOB"
    assert "results are hidden until #1 closes" in text_of(told.params["blocks"])
    assert "So far" not in text_of(told.params["blocks"])
    assert all("yes on #1" not in text_of(c.params.get("blocks") or []) for c in riverside.said())
