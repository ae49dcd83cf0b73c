"""What people type in Matrix as command text: mention pills as user ids, quoted replies
dropped, and which messages are for the bot at all; and the settings that shape it."""

from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.matrix.chat import addressed
from bot.matrix.people import message_text, mxid, person_id

BOT = "@partnerbot:example.org"


def html(formatted: str, body: str = "fallback") -> dict[str, object]:
    return {"msgtype": "m.text", "body": body, "format": "org.matrix.custom.html", "formatted_body": formatted}


@pytest.mark.parametrize(("content", "text"), [
    (html('!partner member add <a href="https://matrix.to/#/@bob:example.org">Bob</a> org:&quot;A &amp; B&quot;'),
     '!partner member add @bob:example.org org:"A & B"'),
    (html('!partner reassign 3 <a href="https://matrix.to/#/%40carol%3Aexample.org">Carol</a>'),
     "!partner reassign 3 @carol:example.org"),
    (html('!partner done 3 <a href="matrix:u/dave:example.org">Dave</a>'), "!partner done 3 @dave:example.org"),
    (html('see <a href="https://example.org/x">the plan</a>'), "see the plan"),
    (html('<mx-reply><blockquote>In reply to <a href="https://matrix.to/#/@bob:example.org">Bob</a> hi'
          '</blockquote></mx-reply>!partner mine'), "!partner mine"),
    ({"msgtype": "m.text", "body": "> <@bob:example.org> Due tomorrow\n> more\n\n!partner done 3"}, "!partner done 3"),
    ({"msgtype": "m.text", "body": "!partner who"}, "!partner who"),
    ({"msgtype": "m.text"}, ""),
])
def test_message_text(content: dict[str, object], text: str) -> None:
    assert message_text(content) == text


@pytest.mark.parametrize(("text", "direct", "command"), [
    ("!partner who leaflets", False, "who leaflets"),
    ("!PARTNER who", False, "who"),
    ("!partner", False, "help"),
    (f"{BOT}: mine", False, "mine"),
    ("!partnership who", False, None),
    ("Morning all, the hall is booked", False, None),
    ("mine", True, "mine"),
    ("!partner mine", True, "mine"),
    ("   ", True, None),
])
def test_which_messages_are_commands(text: str, direct: bool, command: str | None) -> None:
    assert addressed(text, "!partner", BOT, direct) == command


def test_a_person_is_their_matrix_id_without_the_sigil() -> None:
    assert person_id("@alice:example.org") == "alice:example.org"
    assert mxid("alice:example.org") == mxid("@alice:example.org") == "@alice:example.org"


def test_prefix_and_allowed_servers_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATRIX_PREFIX", " !town ")
    monkeypatch.setenv("MATRIX_ALLOWED_SERVERS", "Example.org, matrix.town.gov ,")
    settings = load_settings(env_file=None)
    assert settings.matrix_prefix == "!town"
    assert settings.matrix_allowed_servers == {"example.org", "matrix.town.gov"}
    monkeypatch.delenv("MATRIX_PREFIX")
    monkeypatch.delenv("MATRIX_ALLOWED_SERVERS")
    assert load_settings(env_file=None).matrix_prefix == "!partner"
    assert load_settings(env_file=None).matrix_allowed_servers == frozenset()
