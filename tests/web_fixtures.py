"""The web app for tests: built by the same factory as production, on the chat's clock."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from bot.web import create_app
from tests.conftest import Chat
from tests.web_client import web_settings


@pytest.fixture
def web(chat: Chat) -> FlaskClient:
    return create_app(web_settings(chat), chat.sessions, clock=lambda: chat.now).test_client()
