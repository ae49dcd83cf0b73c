"""The coordinators' dashboard: a one-time link from the chat, a signed session cookie, and
charts (with their text and tables) built from the figures `load` and `health` give."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import Chat
from tests.web_client import address

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
    assert board.count('<img src="data:image/svg+xml;base64,') == 6
    for title in ("Planned against done, per week", "Open concerns by age", "The six risks across the last reviews",
                  "Give and take by organisation", "Sectors at the table"):
        assert f'alt="{title}: ' in board
    assert "<th>Risk</th>" in board and "<td>right-people</td>" in board
    assert "Only one review has answers so far" in board
