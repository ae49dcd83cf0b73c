"""Multi-workspace installs through Slack's OAuth flow, kept in the partnership database
with slack-sdk's own SQLAlchemy stores (their tables made by our Alembic migration)."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from email.message import Message
from urllib.error import HTTPError

import pytest
import sqlalchemy as sa
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.orm import Session, sessionmaker

from bot.slack.app import authorization_url, delivery
from handlers.reply import Reply
from storage.models import Base
from tests.slack_recorder import Recorder, SlackHarness, settings_for, state

pytest_plugins = ("tests.slack_fixtures",)


@pytest.fixture
def installed(recorder: Recorder, sessions: sessionmaker[Session]) -> Iterator[SlackHarness]:
    store = SQLAlchemyInstallationStore(client_id="111.222", engine=sessions.kw["bind"])
    for team, token in (("T1", "xoxb-one"), ("T2", "xoxb-two")):
        store.save(Installation(app_id="A1", team_id=team, team_name=team, bot_token=token, bot_id="B" + team,
                                bot_user_id="UBOT", bot_scopes="commands,chat:write", user_id="UALICE"))
    settings = replace(settings_for(recorder, sessions), slack_client_id="111.222", slack_client_secret="client-secret")
    harness = SlackHarness(recorder, sessions, settings)
    yield harness
    harness.close()


def get(url: str, cookie: str | None = None) -> tuple[int, str, Message]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode(), answer.headers
    except HTTPError as failure:
        return failure.code, failure.read().decode(), failure.headers


def test_our_tables_are_the_ones_slack_sdk_expects() -> None:
    sdk = sa.MetaData()
    SQLAlchemyInstallationStore.build_installations_table(sdk, "slack_installations")
    SQLAlchemyInstallationStore.build_bots_table(sdk, "slack_bots")
    SQLAlchemyOAuthStateStore.build_oauth_states_table(sdk, "slack_oauth_states")
    for name, table in sdk.tables.items():
        ours = Base.metadata.tables[name]
        assert [(c.name, type(c.type), getattr(c.type, "length", None), c.nullable) for c in ours.columns] == \
               [(c.name, type(c.type), getattr(c.type, "length", None), c.nullable) for c in table.columns], name
        assert {i.name for i in ours.indexes} == {i.name for i in table.indexes}


def test_each_workspace_is_answered_with_its_own_token(installed: SlackHarness) -> None:
    installed.run('setup "Riverside Partnership" kind:task-force', team="T1")
    installed.run('setup "Ferry Forum" kind:task-force', team="T2")
    tokens = [c.token for c in installed.recorder.calls("chat.postMessage")]
    assert tokens == ["xoxb-one", "xoxb-two"]


def test_a_workspace_that_never_installed_gets_nothing(installed: SlackHarness) -> None:
    before = state(installed.sessions)
    installed.command('setup "Stowaway Partnership" kind:task-force', team="T3")
    assert [c.method for c in installed.recorder.posted()] == ["response_url"]
    told = installed.recorder.posted()[0].params["text"]
    assert told == ":warning: partnerbot isn't installed in this workspace yet, so nothing was done. Ask an admin to install it."
    assert state(installed.sessions) == before


def test_nudges_go_out_with_the_workspace_token(installed: SlackHarness) -> None:
    send = delivery(installed.settings, installed.sessions)
    send.send_to_person("T2", "UBOB", reply=Reply(text="Reminder"))
    assert installed.recorder.calls("chat.postMessage")[-1].token == "xoxb-two"


def test_the_install_flow_keeps_the_installation(installed: SlackHarness) -> None:
    base = installed.url.removesuffix("/slack/events")
    status, page, headers = get(base + "/slack/install")
    assert status == 200
    state = re.search(r"state=([\w-]+)", page)[1]
    # SLACK_API_URL's host serves the consent page too (GovSlack; here, the recorder).
    assert installed.recorder.url.removesuffix("api/") + "oauth/v2/authorize?" in page
    cookie = headers["Set-Cookie"].split(";")[0]
    with installed.sessions() as session:
        assert session.execute(sa.text("SELECT count(*) FROM slack_oauth_states")).scalar() == 1
    status, _page, _ = get(f"{base}/slack/oauth_redirect?code=abc&state={state}", cookie)
    assert status == 200
    assert installed.recorder.calls("oauth.v2.access")[-1].params["code"] == "abc"
    with installed.sessions() as session:
        row = session.execute(sa.text("SELECT team_id, bot_token FROM slack_bots WHERE team_id = 'T9'")).one()
        assert tuple(row) == ("T9", "xoxb-installed-T9")
        assert session.execute(sa.text("SELECT count(*) FROM slack_oauth_states")).scalar() == 0


def test_govslack_installs_on_its_own_host() -> None:
    assert authorization_url("https://slack-gov.com/api/") == "https://slack-gov.com/oauth/v2/authorize"
    assert authorization_url(None) == "https://slack.com/oauth/v2/authorize"
