"""The coordinators' dashboard: a one-time link from the chat, a signed session cookie, and
charts (with their text and tables) built from the figures `load` and `health` give."""

from __future__ import annotations

import base64
import logging
import re
import sqlite3
import threading
import urllib.request
from datetime import UTC, datetime, timedelta
from urllib.error import HTTPError
from xml.etree import ElementTree

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot import scheduler
from bot.web import create_app
from bot.web.server import serve
from handlers.dashboard import digest
from storage.models import DashboardSession, Person, SignInLink
from tests.conftest import Chat
from tests.test_nudges import Inbox
from tests.web_client import address, web_settings

pytest_plugins = ("tests.web_fixtures",)


def link(chat: Chat, who: str = "alice") -> str:
    return address(chat.ok(who, "dashboard"), "signin")


def test_a_link_signs_in_once(town: Chat, web: FlaskClient) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday effort:6h')
    path = link(town)
    assert "Sign in" in web.get(path).text  # opening the link (or a preview of it) uses nothing up
    answer = web.post(path)
    assert answer.status_code == 303
    board = web.get("/dashboard")
    assert board.status_code == 200
    assert "Load against capacity, next eight weeks" in board.text
    assert "Over capacity: Bob" in board.text  # 6h due this week against his 4h
    assert "Missing from the table: community." in board.text
    other = web.application.test_client()
    assert other.post(path).status_code == 403  # the second use fails
    assert other.get("/dashboard").status_code == 401


def test_a_link_expires_after_15_minutes(town: Chat, web: FlaskClient) -> None:
    path = link(town)
    town.advance(minutes=16)
    assert web.get(path).status_code == 403
    assert "Type <code>dashboard</code> in the chat for a new one." in web.get(path).text  # a command, not `backticks`
    assert web.post(path).status_code == 403
    assert web.get("/dashboard").status_code == 401


def test_only_coordinators_get_a_link_and_a_demoted_one_loses_the_dashboard(town: Chat, web: FlaskClient) -> None:
    assert town.refused("bob", "dashboard").startswith("Only coordinators")
    town.ok("alice", "member role @bob coordinator")
    web.post(link(town, "bob"))
    assert web.get("/dashboard").status_code == 200
    town.ok("alice", "member role @bob member")
    assert web.get("/dashboard").status_code == 403


def test_a_forged_cookie_gets_nothing(town: Chat, web: FlaskClient) -> None:
    web.set_cookie("partnerbot", "eyJwYXJ0bmVyc2hpcCI6MSwicGVyc29uIjoxfQ.forged.signature")
    assert web.get("/dashboard").status_code == 401


def test_every_chart_has_its_text_and_its_table(town: Chat, web: FlaskClient) -> None:
    town.ok("alice", "review start")
    town.ok("bob", "review answer right-time:4 right-people:2 enough-resources:3 enough-time:2 right-goal:5 achievable-goal:4")
    web.post(link(town))
    board = web.get("/dashboard").text
    assert board.count('<img src="data:image/svg+xml;base64,') == 5  # give and take is bars the page draws
    assert board.count('<ul class="hbars">') == 1
    for title in ("Planned against done, per week", "Open concerns by age", "The six risks across the last reviews",
                  "Sectors at the table"):
        assert f'alt="{title}: ' in board
    assert 'aria-label="Chamber of Trade: gives 0"' in board
    assert '<th scope="col">Risk</th>' in board and '<td data-label="Risk">right-people</td>' in board
    assert "Only one review has answers so far" in board
    assert "0 open concerns, none open over two weeks." in board


def test_chart_sentences_count_one_as_one(town: Chat, web: FlaskClient) -> None:
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("carol", 'concern "The towpath is flooded"')
    town.advance(days=4)
    town.ok("bob", "done 1")
    web.post(link(town))
    board = web.get("/dashboard").text
    assert "Over the last eight weeks 1 commitment fell due and 1 was done" in board
    assert "1 open concern, none open over two weeks." in board


def test_a_session_ends_eight_hours_after_signing_in_however_often_it_is_used(town: Chat, web: FlaskClient) -> None:
    web.post(link(town))
    for _ in range(7):
        town.advance(hours=1, minutes=5)
        assert web.get("/dashboard").status_code == 200
    town.advance(minutes=30)  # 8 hours 5 minutes since signing in
    assert web.get("/dashboard").status_code == 401


def test_signing_out_ends_the_session_for_every_copy_of_its_cookie(town: Chat, web: FlaskClient) -> None:
    web.post(link(town))
    cookie = web.get_cookie("partnerbot")
    assert cookie is not None
    thief = web.application.test_client()
    thief.set_cookie("partnerbot", cookie.value)
    assert thief.get("/dashboard").status_code == 200
    assert web.post("/signout").status_code == 303
    assert thief.get("/dashboard").status_code == 401  # the copy opens nothing any more


def test_the_signing_key_alone_forges_no_session(town: Chat, web: FlaskClient) -> None:
    """The key is in every backup: a cookie it signs must still name a session the server opened."""
    app = web.application
    signer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    with town.sessions() as db:
        alice = db.scalar(select(Person.id).where(Person.user_id == "alice"))
    for forged in ({"partnership": 1, "person": alice}, {"session": "a-guessed-token"}):
        web.set_cookie("partnerbot", signer.dumps(forged))
        assert web.get("/dashboard").status_code == 401


def test_nothing_of_the_dashboard_is_kept_by_a_cache(town: Chat, web: FlaskClient) -> None:
    path = link(town)
    answers = [web.get(path), web.post(path), web.get("/dashboard"), web.post("/signout"), web.get("/signout"),
               web.get("/dashboard")]
    assert [a.status_code for a in answers] == [200, 303, 200, 303, 200, 401]
    assert all(a.headers["Cache-Control"] == "no-store" for a in answers)


def test_charts_stay_readable_whatever_names_people_carry(town: Chat, web: FlaskClient) -> None:
    town.ok("dave\ufffe\uffff", 'join org:"Hill\ufffe Trust" sector:community capacity:2h')
    town.ok("dave\ufffe\uffff", 'commit "Walk\uffff the path" by:friday effort:1h')
    web.post(link(town))
    board = web.get("/dashboard").text
    images = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', board)
    assert len(images) == 5
    for image in images:
        ElementTree.fromstring(base64.b64decode(image))  # each chart is well-formed XML
    assert "Dave" in board and "Hill Trust" in board


class Everything(logging.Handler):
    """Every log record any library makes, at every level."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_no_log_record_carries_a_sign_in_token_even_when_signing_in_fails(
        town: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(web_settings(town), town.sessions, clock=lambda: town.now)
    server = serve(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    root, caught = logging.getLogger(), Everything()
    level = root.level
    root.addHandler(caught)
    root.setLevel(logging.DEBUG)
    try:
        path = link(town)
        token = path.rsplit("/", 1)[-1]

        def locked(*_: object) -> None:
            raise OperationalError("UPDATE sign_in_links ...", {}, sqlite3.OperationalError("database is locked"))

        monkeypatch.setattr("bot.web.dashboard.sign_in", locked)
        with pytest.raises(HTTPError) as failed:
            urllib.request.urlopen(urllib.request.Request(base + path, data=b"", method="POST"), timeout=30)
        assert failed.value.code == 500
        monkeypatch.undo()
        with urllib.request.urlopen(base + path, timeout=30) as still:  # the link was not used up: it still works
            assert "Sign in" in still.read().decode()
        with pytest.raises(HTTPError):
            urllib.request.urlopen(urllib.request.Request(base + "/signin/" + token[::-1], data=b"", method="POST"),
                                   timeout=30)
    finally:
        root.removeHandler(caught)
        root.setLevel(level)
        server.shutdown()
    assert any("/signin/" in r.getMessage() for r in caught.records)  # the failure was logged...
    for record in caught.records:  # ...without the token, in the message or the traceback
        shown = logging.Formatter("%(name)s %(message)s").format(record)
        assert token not in shown and token[::-1] not in shown, shown


def test_an_observer_puts_no_sector_at_the_table_on_any_surface(town: Chat, web: FlaskClient) -> None:
    """An observer from the community sector: the dashboard's chart said the sector was missing
    while `health` (on the same page) and `members` said all four were at the table."""
    town.ok("dave", 'join org:"Corner Shop" sector:community')
    town.ok("alice", "member role @dave observer")
    assert "Sectors missing: community" in town.ok("alice", "members")
    assert "Nobody here represents the community sector." in town.ok("alice", "health")
    web.post(link(town))
    board = web.get("/dashboard").text
    assert "Missing from the table: community." in board
    assert "<strong>Sectors missing</strong>: Nobody here represents the community sector." in board


def test_the_dashboard_reads_in_the_coordinators_zone_as_the_chat_does(town: Chat, web: FlaskClient) -> None:
    """The site runs on UTC; Alice is in Los Angeles. At 20:00 her time the dashboard said it was
    already tomorrow, while the health report she exported at the same moment said today."""
    town.ok("alice", "tz America/Los_Angeles")
    town.now = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # Tue 24 Nov 20:00 in Los Angeles
    health = next(f for f in town.say("alice", "export").attachments if f.filename == "health.md")
    assert "As of 2026-11-24." in health.content.decode()
    web.post(link(town))
    assert "As of Tue 24 Nov 2026." in web.get("/dashboard").text


def test_a_link_of_someone_no_longer_coordinating_says_so_rather_than_asking_for_a_new_one(
        town: Chat, web: FlaskClient) -> None:
    """Demoted after asking: the link said "used or expired, type `dashboard` for a new one", a
    command that then refuses them."""
    town.ok("alice", "member role @bob coordinator")
    path = link(town, "bob")
    town.ok("alice", "member role @bob member")
    assert town.refused("bob", "dashboard").startswith("Only coordinators")
    for answer in (web.get(path), web.post(path)):
        assert answer.status_code == 403
        assert "Only the partnership&#39;s coordinators see its dashboard." in answer.text
        assert "for a new one" not in answer.text


def test_the_warning_signs_give_the_coordinator_the_commands_health_gives_them(town: Chat, web: FlaskClient) -> None:
    """The dashboard read its signs as nobody: Alice, the coordinator, was told to "ask Bob or a
    coordinator (Alice) to hand it on" where `health` gives her the command to do it."""
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday effort:6h')
    assert "What to do: Hand something on: `reassign 1 @alice` (Alice has room)." in town.ok("alice", "health")
    web.post(link(town))
    board = web.get("/dashboard").text
    assert "Hand something on: <code>reassign 1 @alice</code> (Alice has room)." in board
    assert "ask Bob or a coordinator" not in board


def test_a_sweep_deletes_spent_links_and_sessions_and_keeps_the_ones_still_good(town: Chat, web: FlaskClient) -> None:
    """Used links and ended sessions go at the next sweep; expired ones once `KEPT_PAST_EXPIRY` has
    passed (a web clock behind the database's may still take them until then); good ones stay."""
    start = town.now

    def signed_in_client() -> FlaskClient:
        client = web.application.test_client()
        assert client.post(link(town)).status_code == 303
        return client

    def kept() -> tuple[set[str], set[datetime]]:
        with town.sessions() as db:
            return set(db.scalars(select(SignInLink.token_hash))), set(db.scalars(select(DashboardSession.created_at)))

    signed_in_client()  # its session expires 10 minutes before the sweep
    town.advance(minutes=8)
    signed_in_client()  # its session expired 2 minutes before the sweep
    town.advance(hours=7, minutes=32)
    expired = digest(link(town).rsplit("/", 1)[-1])  # 15 minutes before the sweep
    town.advance(minutes=13)
    just_expired = digest(link(town).rsplit("/", 1)[-1])  # 2 minutes before the sweep
    town.advance(minutes=15)
    assert signed_in_client().post("/signout").status_code == 303
    town.advance(minutes=1)
    good = link(town)
    working = signed_in_client()
    town.advance(minutes=1)
    links, sessions = kept()
    assert len(links) == 7 and {expired, just_expired, digest(good.rsplit("/", 1)[-1])} <= links
    assert len(sessions) == 4
    scheduler.sweep(town.sessions, Inbox(), "console", now=town.now)
    assert kept() == ({just_expired, digest(good.rsplit("/", 1)[-1])},
                      {start + timedelta(minutes=8), town.now - timedelta(minutes=1)})
    assert working.get("/dashboard").status_code == 200 and web.post(good).status_code == 303
    town.advance(minutes=4)
    scheduler.sweep(town.sessions, Inbox(), "console", now=town.now)
    links, sessions = kept()
    assert just_expired not in links and start + timedelta(minutes=8) not in sessions


def test_the_dashboard_shows_a_goals_target_in_its_unit(town: Chat, web: FlaskClient) -> None:
    town.ok("alice", 'goal "Shops open" measure:"share of shops open" baseline:40% target:60% by:2027-06-30')
    web.post(link(town))
    assert '<td data-label="Target" class="num">60%</td>' in web.get("/dashboard").text
