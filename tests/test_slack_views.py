"""Modals: log a commitment (person picker, date picker, effort) and raise a concern."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storage.models import Commitment, Concern, ConcernKind, Event, Severity
from tests.slack_recorder import SlackHarness, button, state, text_of

pytest_plugins = ("tests.slack_fixtures",)


def in_days(days: int, tz: str = "Europe/London") -> str:
    return (datetime.now(UTC).astimezone(ZoneInfo(tz)).date() + timedelta(days=days)).isoformat()


def commit_answers(what: str, who: str, by: str, effort: str | None = None) -> dict[str, dict[str, object]]:
    return {"what": {"type": "plain_text_input", "value": what},
            "who": {"type": "users_select", "selected_user": who},
            "by": {"type": "datepicker", "selected_date": by},
            "effort": {"type": "plain_text_input", "value": effort}}


def test_partner_commit_opens_the_modal_with_pickers(riverside: SlackHarness) -> None:
    posted = len(riverside.recorder.calls("chat.postMessage")) + len(riverside.recorder.calls("chat.postEphemeral"))
    riverside.command("commit", user="UBOB")
    view = riverside.last("views.open").params["view"]
    assert view["callback_id"] == "commit_modal" and view["title"]["text"] == "Log a commitment"
    elements = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert elements["who"] == {"type": "users_select", "action_id": "value", "initial_user": "UBOB"}
    assert elements["by"]["type"] == "datepicker"
    assert elements["by"]["initial_date"] == datetime.now(UTC).astimezone(ZoneInfo("America/New_York")).date().isoformat()
    assert elements["effort"]["type"] == "plain_text_input"
    # Nothing is posted until the modal is submitted.
    assert len(riverside.recorder.calls("chat.postMessage")) + len(riverside.recorder.calls("chat.postEphemeral")) == posted


def test_the_commit_modal_starts_on_today_in_the_zone_the_person_chose(riverside: SlackHarness) -> None:
    """`tz` wins over Slack's zone: the date picker opens on the person's own today.
    Pago Pago and Kiritimati are 25 hours apart, so their dates always differ."""
    riverside.recorder.add_user("UDAVE", "Dave", "Pacific/Pago_Pago")
    riverside.run('join org:"Youth Club" sector:community', user="UDAVE")
    riverside.run("tz Pacific/Kiritimati", user="UDAVE")
    riverside.command("commit", user="UDAVE")
    elements = {b["block_id"]: b["element"] for b in riverside.last("views.open").params["view"]["blocks"]}
    assert elements["by"]["initial_date"] == in_days(0, "Pacific/Kiritimati")
    assert elements["by"]["initial_date"] != in_days(0, "Pacific/Pago_Pago")


def test_the_commit_modal_logs_and_announces(riverside: SlackHarness) -> None:
    riverside.command("commit", user="UBOB")
    view = riverside.last("views.open").params["view"]
    response = riverside.submit(view, commit_answers("Deliver 500 leaflets", "UBOB", in_days(10), "90m"), user="UBOB")
    assert response.status == 200 and response.body == ""
    announced = riverside.last("chat.postMessage")
    assert announced.params["channel"] == "C1"
    assert "#1 Deliver 500 leaflets — Bob (Chamber of Trade)" in text_of(announced.params["blocks"])
    with riverside.sessions() as session:
        c = session.scalars(select(Commitment)).one()
        assert (c.title, c.effort_hours, c.owner.person.user_id) == ("Deliver 500 leaflets", 1.5, "UBOB")
        assert c.due_at.astimezone(ZoneInfo("America/New_York")).date() == date.fromisoformat(in_days(10))


def test_a_coordinator_logs_for_someone_else_with_the_person_picker(riverside: SlackHarness) -> None:
    riverside.command("commit")
    view = riverside.last("views.open").params["view"]
    riverside.submit(view, commit_answers("Book the hall", "UCAROL", in_days(7)))
    with riverside.sessions() as session:
        c = session.scalars(select(Commitment)).one()
        assert (c.owner.person.user_id, c.created_by_id is not None) == ("UCAROL", True)


def test_a_member_cannot_log_for_someone_else(riverside: SlackHarness) -> None:
    riverside.command("commit", user="UBOB")
    view = riverside.last("views.open").params["view"]
    before = state(riverside.sessions)
    riverside.submit(view, commit_answers("Book the hall", "UCAROL", in_days(7)), user="UBOB")
    refusal = riverside.last("chat.postEphemeral")
    assert refusal.params["user"] == "UBOB"
    assert "Only coordinators can log a commitment for someone else" in text_of(refusal.params["blocks"])
    assert state(riverside.sessions) == before


def test_a_bad_effort_is_shown_beside_the_field(riverside: SlackHarness) -> None:
    riverside.command("commit", user="UBOB")
    view = riverside.last("views.open").params["view"]
    before = state(riverside.sessions)
    response = riverside.submit(view, commit_answers("Book the hall", "UBOB", in_days(7), "lots"), user="UBOB")
    assert response.json() == {"response_action": "errors", "errors": {"effort": "Write the hours like 3h or 90m."}}
    assert state(riverside.sessions) == before


def test_the_concern_modal_raises_a_concern(riverside: SlackHarness) -> None:
    riverside.command("concern", user="UCAROL")
    view = riverside.last("views.open").params["view"]
    assert view["callback_id"] == "concern_modal"
    riverside.submit(view, {
        "what": {"type": "plain_text_input", "value": "Meetings clash with school pick-up"},
        "kind": {"type": "static_select", "selected_option": {"value": "time"}},
        "severity": {"type": "static_select", "selected_option": {"value": "high"}},
        "anonymous": {"type": "checkboxes", "selected_options": [{"value": "anonymous"}]},
    }, user="UCAROL")
    announced = riverside.last("chat.postMessage")
    shown = text_of(announced.params["blocks"])
    assert "Someone raised: Meetings clash with school pick-up (time, high)" in shown
    assert button(announced.params["blocks"], "Discuss")
    # The reopen code is Carol's alone: ephemeral to her, where the form was opened, and not announced.
    note = riverside.last("chat.postEphemeral")
    assert (note.params["channel"], note.params["user"]) == ("C1", "UCAROL")
    assert "Only you have this code for concern #1; send it to me privately" in text_of(note.params["blocks"])
    assert "code:" not in json.dumps(announced.params)
    with riverside.sessions() as session:
        concern = session.scalars(select(Concern)).unique().one()
        assert (concern.kind, concern.severity, concern.raised_by_id) == (ConcernKind.TIME, Severity.HIGH, None)
        assert session.scalars(select(Event).where(Event.action == "concern")).one().actor_id is None
