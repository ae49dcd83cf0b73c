"""Decision buttons in Slack: Agree runs as its clicker typed it; Block... asks for the reason first."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import DecisionResponse, Position
from tests.slack_recorder import SlackHarness, button, text_of

pytest_plugins = ("tests.slack_fixtures",)


def test_agree_and_block_buttons_record_positions(riverside: SlackHarness) -> None:
    proposed = riverside.run('propose "Adopt the market plan" closes:friday')
    blocks = proposed.params["blocks"]
    assert proposed.method == "chat.postMessage" and "Proposal #1: Adopt the market plan" in text_of(blocks)
    riverside.click(button(blocks, "Agree", "agree 1"), user="UBOB")
    assert "Bob (Chamber of Trade): agree on #1" in text_of(riverside.last("chat.postMessage").params["blocks"])

    riverside.click(button(blocks, "Block...", 'block 1 "..."'), user="UCAROL")
    modal = riverside.last("views.open").params["view"]
    assert modal["callback_id"] == "fill_modal"
    riverside.submit(modal, {"words": {"type": "plain_text_input", "value": "The council has not agreed"}},
                     user="UCAROL")
    assert "block on #1 Adopt the market plan — The council has not agreed" in text_of(
        riverside.last("chat.postMessage").params["blocks"])
    with riverside.sessions() as session:
        positions = {(r.member.person.user_id, r.position, r.reason)
                     for r in session.scalars(select(DecisionResponse))}
    assert positions == {("UBOB", Position.AGREE, None), ("UCAROL", Position.BLOCK, "The council has not agreed")}


def test_the_rank_button_asks_for_the_ranking_and_records_it(riverside: SlackHarness) -> None:
    proposed = riverside.run('propose "Which project first?" mode:ranked options:"Lights, Benches, Planters"')
    blocks = proposed.params["blocks"]
    riverside.click(button(blocks, "Rank...", 'rank 1 "..."'), user="UBOB")
    modal = riverside.last("views.open").params["view"]
    riverside.submit(modal, {"words": {"type": "plain_text_input", "value": "Benches, Lights"}}, user="UBOB")
    assert "ranked Benches &gt; Lights on #1 Which project first?" in text_of(  # Slack shows &gt; as >
        riverside.last("chat.postMessage").params["blocks"])
    with riverside.sessions() as session:
        [response] = session.scalars(select(DecisionResponse))
        assert (response.position, response.ranking) == (Position.RANKED, "[1, 0]")
