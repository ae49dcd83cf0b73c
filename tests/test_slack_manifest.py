"""The app manifest in the repository matches what the code listens for and needs."""

from __future__ import annotations

import json
from pathlib import Path

from bot.slack.app import BOT_SCOPES
from bot.slack.commands import COMMAND
from bot.slack.shortcuts import TO_COMMITMENT, TO_CONCERN

MANIFEST = Path(__file__).parent.parent / "bot" / "slack" / "manifest.yml"


def manifest() -> dict:
    # JSON is YAML too; drop the comment lines at the top.
    text = "\n".join(line for line in MANIFEST.read_text().splitlines() if not line.startswith("#"))
    return json.loads(text)


def test_the_slash_command_escapes_mentions_so_they_arrive_as_ids() -> None:
    (command,) = manifest()["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert command["should_escape"] is True
    assert command["url"].endswith("/slack/events")


def test_shortcuts_scopes_events_interactivity_and_home() -> None:
    m = manifest()
    assert {(s["type"], s["callback_id"]) for s in m["features"]["shortcuts"]} == {
        ("message", TO_COMMITMENT), ("message", TO_CONCERN)}
    assert all(len(s["name"]) <= 24 for s in m["features"]["shortcuts"])
    assert m["oauth_config"]["scopes"]["bot"] == BOT_SCOPES
    assert m["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened", "user_change"]
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert m["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
