"""Message shortcuts: any message becomes a commitment or a concern."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage.models import Commitment, Concern
from tests.slack_recorder import SlackHarness, text_of

pytest_plugins = ("tests.slack_fixtures",)


def test_a_message_becomes_a_commitment(riverside: SlackHarness) -> None:
    riverside.shortcut("message_to_commitment", "I'll book the hall for <@UCAROL> &amp; the choir", user="UBOB")
    view = riverside.last("views.open").params["view"]
    what = next(b for b in view["blocks"] if b["block_id"] == "what")
    assert what["element"]["initial_value"] == "I'll book the hall for @UCAROL & the choir"
    assert view["private_metadata"] == '{"channel":"C1"}'
    due = (datetime.now(UTC) + timedelta(days=9)).date().isoformat()
    riverside.submit(view, {"what": {"type": "plain_text_input", "value": "Book the hall for the choir"},
                            "who": {"type": "users_select", "selected_user": "UBOB"},
                            "by": {"type": "datepicker", "selected_date": due},
                            "effort": {"type": "plain_text_input", "value": None}}, user="UBOB")
    assert "Book the hall for the choir" in text_of(riverside.last("chat.postMessage").params["blocks"])
    with riverside.sessions() as session:
        assert session.scalars(select(Commitment.title)).one() == "Book the hall for the choir"


def test_a_message_becomes_a_concern(riverside: SlackHarness) -> None:
    riverside.shortcut("message_to_concern", "The council always decides before we meet", user="UCAROL")
    view = riverside.last("views.open").params["view"]
    assert view["callback_id"] == "concern_modal"
    riverside.submit(view, {
        "what": {"type": "plain_text_input", "value": "The council always decides before we meet"},
        "kind": {"type": "static_select", "selected_option": {"value": "process"}},
        "severity": {"type": "static_select", "selected_option": {"value": "medium"}},
        "anonymous": {"type": "checkboxes", "selected_options": []},
    }, user="UCAROL")
    shown = text_of(riverside.last("chat.postMessage").params["blocks"])
    assert "Carol (Riverside Trust) raised: The council always decides before we meet" in shown
    with riverside.sessions() as session:
        assert session.scalars(select(Concern)).unique().one().raised_by.person.user_id == "UCAROL"
