"""What a reply looks like in Element (HTML) and in plain clients (body), and how a reply
threads onto the message it answers."""

from __future__ import annotations

import json

from bot.matrix.render import MAX_BYTES, notice, replying
from handlers.reply import Action, Item, Reply, Section, error


def test_a_reply_is_a_notice_in_html_with_a_plain_body() -> None:
    reply = Reply(title="New commitment", text="Type `done 1` when it is; <b> stays text",
                  fields=[("Due", "Fri 27 Nov")],
                  sections=[Section("Open", [Item("#1 Deliver 500 leaflets", (Action("Mark done", "done 1"),))]),
                            Section("Concerns", [], empty="None open.")],
                  actions=[Action("Who", "who")])
    content = notice(reply, "!partner")
    assert content["msgtype"] == "m.notice" and content["format"] == "org.matrix.custom.html"
    assert content["formatted_body"] == (
        "<strong>New commitment</strong><br><p>Type <code>!partner done 1</code> when it is; &lt;b&gt; stays text</p>"
        "<strong>Due</strong>: Fri 27 Nov<br><p><strong>Open</strong></p>"
        "<ul><li>#1 Deliver 500 leaflets (Mark done: <code>!partner done 1</code>)</li></ul>"
        "<p><strong>Concerns</strong></p><p><em>None open.</em></p><p>Next: <code>!partner who</code></p>")
    assert content["body"] == (
        "New commitment\nType `!partner done 1` when it is; <b> stays text\nDue: Fri 27 Nov\nOpen\n"
        "  • #1 Deliver 500 leaflets (Mark done: `!partner done 1`)\nConcerns\n  None open.\nNext: `!partner who`")


def test_only_commands_get_the_prefix() -> None:
    content = notice(error('I don\'t know `comit`. Did you mean `commit`? Wrap text in `"quotes"`; `by:` is given twice.'),
                     "!town")
    assert content["body"] == ('⚠️ I don\'t know `comit`. Did you mean `!town commit`? Wrap text in `"quotes"`; '
                               '`by:` is given twice.')


def event_size(content: dict) -> int:
    return len(json.dumps(content, ensure_ascii=False).encode())


def test_a_long_list_is_cut_to_fit_one_event_with_a_note() -> None:
    items = [Item(f"#{n} " + "Deliver leaflets to every street " * 6) for n in range(1, 2001)]
    content = notice(Reply(title="Who", sections=[Section(None, items)]), "!partner")
    assert event_size(content) <= MAX_BYTES
    assert "#1 Deliver" in content["body"] and "#2000 " not in content["body"]
    assert "more lines not shown; type a narrower command to see the rest, like `!partner who leaflets`" \
        in content["body"]


def test_many_short_lists_are_cut_too_and_the_note_says_how_to_see_the_rest() -> None:
    """`who` with 150 owners made a 71 KB event the homeserver refused: one list per owner."""
    parts = [Section(f"Owner {n} (Organisation «{n}»)", [Item(f"#{n} " + "Tâche à faire " * 20,
                                                               (Action("Mark done", f"done {n}"),))])
             for n in range(1, 151)]
    content = notice(Reply(title="Who does what", sections=parts, more="`who <words>` shows fewer"), "!partner")
    assert event_size(replying(content, "$ask", "@alice:example.org", {})) <= MAX_BYTES
    assert "#1 Tâche" in content["body"] and "#150 Tâche" not in content["body"]
    left = 150 - content["body"].count("  • #")
    assert f"Cut to fit: {left} more lines not shown; `!partner who <words>` shows fewer." in content["body"]
    assert "Owner 150" not in content["body"]


def test_a_reply_threads_onto_the_message_and_stays_in_its_thread() -> None:
    plain = {"content": {"msgtype": "m.text", "body": "!partner who"}}
    assert replying({"body": "x"}, "$ask", "@alice:example.org", plain) == {
        "body": "x", "m.relates_to": {"m.in_reply_to": {"event_id": "$ask"}},
        "m.mentions": {"user_ids": ["@alice:example.org"]}}
    threaded = {"content": {"body": "!partner who", "m.relates_to": {"rel_type": "m.thread", "event_id": "$root"}}}
    assert replying({"body": "x"}, "$ask", "@alice:example.org", threaded)["m.relates_to"] == {
        "rel_type": "m.thread", "event_id": "$root", "is_falling_back": False, "m.in_reply_to": {"event_id": "$ask"}}
