"""Replies as Block Kit: what people see, within Slack's limits."""

from __future__ import annotations

import json

from bot.slack.render import blocks, fallback_text
from handlers.reply import Action, Audience, Item, Reply, Section, error
from tests.slack_recorder import buttons, text_of


def test_a_reply_becomes_header_text_fields_lists_and_buttons() -> None:
    reply = Reply(title="Riverside Partnership", text="You are its first coordinator.",
                  fields=[("Kind", "umbrella-forum"), ("Purpose", "Revive the riverside")],
                  sections=[Section("Bob", [Item("#1 Deliver <500> leaflets & posters", (Action("Mark done", "done 1"),))])],
                  actions=[Action("Join", 'join org:"Your organisation" sector:community')],
                  audience=Audience.CHANNEL)
    shown = blocks(reply)
    assert shown[0] == {"type": "header", "text": {"type": "plain_text", "text": "Riverside Partnership"}}
    assert shown[1] == {"type": "section", "text": {"type": "mrkdwn", "text": "You are its first coordinator."}}
    assert shown[2]["fields"][0] == {"type": "mrkdwn", "text": "*Kind*\numbrella-forum"}
    assert shown[3]["text"]["text"] == "*Bob*"
    assert shown[4]["text"]["text"] == "#1 Deliver &lt;500&gt; leaflets &amp; posters"
    assert json.loads(shown[4]["accessory"]["value"]) == {"run": "done 1", "n": 1}
    assert shown[-1]["type"] == "actions"
    assert [b["action_id"] for b in buttons(shown)] == ["run_0", "run_1"]


def test_an_error_is_one_warning_line() -> None:
    shown = blocks(Reply(text="I don't know `comit`. Did you mean `commit`?", error=True))
    assert shown == [{"type": "section", "text": {"type": "mrkdwn",
                                                  "text": ":warning: I don't know `comit`. Did you mean `commit`?"}}]


def test_empty_lists_say_so() -> None:
    shown = blocks(Reply(title="Your commitments", sections=[Section(None, [], empty="You have no open commitments.")]))
    assert "You have no open commitments." in text_of(shown)


def test_long_lists_fit_in_fifty_blocks_and_keep_every_line_they_can() -> None:
    items = [Item(f"#{n} Task number {n} · due Fri 27 Nov", (Action("Mark done", f"done {n}"),)) for n in range(1, 61)]
    shown = blocks(Reply(title="Who does what", sections=[Section(None, items)], actions=[Action("Help", "help")]))
    assert len(shown) <= 50
    assert "#60 Task number 60" in text_of(shown)
    assert len(json.dumps(shown)) < 40_000


def test_limits_on_lengths() -> None:
    shown = blocks(Reply(title="x" * 400, text="y" * 5000, fields=[(f"f{n}", "v") for n in range(14)]))
    assert len(shown[0]["text"]["text"]) == 150
    # Long text is split over sections, not cut.
    assert [len(b["text"]["text"]) for b in shown[1:3]] == [3000, 2000]
    assert [len(b["fields"]) for b in shown[3:]] == [10, 4]


def within_limits(shown: list[dict], most: int = 50) -> None:
    """Slack's own limits, which it refuses a whole message for breaking (100 blocks in the App Home)."""
    assert len(shown) <= most
    for block in shown:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert "text" not in block or len(block["text"]["text"]) <= 3000
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
            assert len(block.get("fields", [])) <= 10
        for element in block.get("elements", []):
            assert len(element.get("value", "")) <= 2000 and len(element.get("text", "")) <= 3000


def test_a_value_too_long_for_a_field_gets_a_section_of_its_own() -> None:
    purpose = "Revive the riverside " * 95  # near the 2,000-character limit on what is typed
    shown = blocks(Reply(title="Riverside", fields=[("Kind", "project"), ("Purpose", purpose.strip())]))
    within_limits(shown)
    assert shown[1]["fields"] == [{"type": "mrkdwn", "text": "*Kind*\nproject"}]
    assert shown[2]["text"]["text"] == "*Purpose*\n" + purpose.strip()


def test_many_lists_are_cut_to_fifty_blocks_with_a_note_saying_how_to_see_the_rest() -> None:
    parts = [Section(f"Owner {n}", [Item(f"#{n} Task {n}", (Action("Mark done", f"done {n}"),
                                                            Action("Snooze", f"snooze {n} 3")))])
             for n in range(1, 151)]
    shown = blocks(Reply(title="Who does what", sections=parts, actions=[Action("Help", "help")],
                         more="type `who <words>` to narrow it down"))
    within_limits(shown)
    words = text_of(shown)
    assert "#1 Task 1" in words and "#150 Task 150" not in words
    left = 150 - words.count("• #")
    assert f"Cut to fit: {left} more lines not shown; type `who &lt;words&gt;` to narrow it down." in words
    assert shown[-1]["type"] == "actions"


def test_fallback_text_is_the_plain_reply() -> None:
    reply = Reply(title="New commitment", text="#1 Deliver 500 leaflets — Bob")
    assert fallback_text(reply) == "New commitment\n#1 Deliver 500 leaflets — Bob"


def test_a_refusal_quoting_markup_cannot_mention_anyone_in_the_notification_text() -> None:
    """Slack reads mentions in a message's `text` too; a refusal quotes what was typed (found by
    the hostile-text test)."""
    refusal = error("I don't know `<!channel>`. Type `help` to see every command.")
    assert fallback_text(refusal) == "I don't know `&lt;!channel&gt;`. Type `help` to see every command."


def test_anything_past_fifty_blocks_makes_way_for_a_note_and_the_buttons_stay() -> None:
    fields = [(f"Goal {n}", "Footfall up by a tenth " * 100) for n in range(1, 61)]
    shown = blocks(Reply(title="Goals", fields=fields, actions=[Action("Edit", "partnership edit")]))
    within_limits(shown)
    assert shown[-1]["type"] == "actions" and shown[-2]["type"] == "context"
    left = 60 - sum(1 for b in shown if b["type"] == "section")
    assert shown[-2]["elements"][0]["text"].startswith(f"Cut to fit: {left} more lines not shown; type a narrower")
