"""Helpers for tests of the web app: its settings, and the address a reply gives."""

from __future__ import annotations

import re

from bot.config import Settings
from tests.conftest import Chat


def web_settings(chat: Chat, mail: bool = False) -> Settings:
    """The web app's settings; with `mail`, an SMTP_URL (the app only queues mail, so none is reached)."""
    return Settings(database_url=str(chat.sessions.kw["bind"].url), timezone="UTC", slack_bot_token=None,
                    slack_signing_secret=None, slack_app_token=None, slack_api_url=None, port=0,
                    matrix_homeserver=None, matrix_user_id=None, matrix_password=None, matrix_access_token=None,
                    smtp_url="smtp://mail.example.org:587" if mail else None)


def address(reply_text: str, kind: str = "p") -> str:
    """The path of the first address of this kind (`p` a public page, `signin` a link) in a reply."""
    found = re.search(rf"https?://[^/\s]+(/{kind}/[A-Za-z0-9_-]+/?)", reply_text)
    assert found, reply_text
    return found[1]
