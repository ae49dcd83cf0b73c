"""Anonymous concerns: raised only where nobody else sees who typed them, announced apart
from the message that raised them, and traceable to their raiser in no table and no call."""

from __future__ import annotations

import json
from datetime import time

from sqlalchemy import select

from handlers import Actor, handle
from storage.models import Concern
from tests.anonymity import added, rows, traces
from tests.conftest import Chat, snapshot
from tests.slack_recorder import SlackHarness, text_of

pytest_plugins = ("tests.slack_fixtures",)

WORRY = "The chair talks over volunteers"


def test_an_anonymous_concern_typed_where_others_see_it_is_refused_privately(town: Chat) -> None:
    before = snapshot(town.sessions)
    actor = Actor("console", town.workspace, "bob", "general", display_name="Bob", private=False)
    reply = handle(f'concern "{WORRY}" anonymous', actor, town.sessions, now=town.now)
    assert reply.error and reply.discreet
    assert "can't be raised here" in (reply.text or "") and "direct message" in (reply.text or "")
    # Even a muddled one is answered discreetly.
    muddled = handle(f'concern "{WORRY} anonymous', actor, town.sessions, now=town.now)
    assert muddled.error and muddled.discreet
    assert snapshot(town.sessions) == before
    # A non-anonymous concern there is fine, and shown as usual.
    shown = handle(f'concern "{WORRY}"', actor, town.sessions, now=town.now)
    assert not shown.error and not shown.discreet and "Bob" in (shown.text or "")


def test_an_anonymous_concern_in_slack_leaves_no_trace_of_who_raised_it(riverside: SlackHarness) -> None:
    recorder = riverside.recorder
    before, calls = rows(riverside.sessions), len(recorder.calls())

    # By slash command in the channel, by the form, and by slash command in the DM with the bot.
    riverside.command(f'concern "{WORRY}" kind:people anonymous', user="UBOB")
    riverside.command("concern", user="UBOB")
    form = recorder.calls("views.open")[-1].params["view"]
    riverside.submit(form, {"what": {"type": "plain_text_input", "value": "Meetings clash with school pick-up"},
                            "kind": {"type": "static_select", "selected_option": {"value": "time"}},
                            "severity": {"type": "static_select", "selected_option": {"value": "high"}},
                            "anonymous": {"type": "checkboxes", "selected_options": [{"value": "anonymous"}]}},
                     user="UBOB")
    riverside.command('concern "The budget split favours the council" anonymous', user="UBOB", channel="DBOB")

    announced = recorder.calls("chat.postMessage")
    announced = [c for c in announced if "Someone raised" in text_of(c.params.get("blocks") or [])]
    assert [c.params["channel"] for c in announced] == ["C1", "C1", "C1"]
    assert all("thread_ts" not in c.params for c in announced)
    notes = 0
    for call in recorder.calls()[calls:]:
        if "Only you have this code" in str(call.params.get("text")):
            # Each reopen code goes to Bob alone, where he typed: Slack, which saw him type, learns nothing new.
            assert (call.method, call.params["user"]) == ("chat.postEphemeral", "UBOB")
            notes += 1
            continue
        seen = json.dumps(call.params).casefold()
        assert "ubob" not in seen and "bob" not in seen, (call.method, call.params)
    assert notes == 3
    assert not recorder.calls("response_url")
    with riverside.sessions() as session:
        assert session.scalars(select(Concern.raised_by_id)).all() == [None, None, None]
    assert traces(riverside.sessions, before, "slack", "UBOB") == []
    for _id, _team, key, _kind, received in added(riverside.sessions, before, "slack_requests"):
        assert key.startswith("anon:") and "trigger" not in key
        assert received.time() == time(0, 0)


def test_an_anonymous_concern_never_rides_an_in_channel_response_url(riverside: SlackHarness) -> None:
    """In a private channel the bot is not in, Slack would show the typed command beside an
    in-channel answer: the announcement comes back to the raiser alone instead."""
    riverside.recorder.fail("chat.postMessage", status=200, retry_after=None, error="not_in_channel")
    riverside.command(f'concern "{WORRY}" anonymous', user="UBOB")
    [sent] = riverside.said("response_url")
    assert sent.params["response_type"] == "ephemeral"
    assert "Someone raised" in text_of(sent.params["blocks"])


def test_someone_in_two_partnerships_names_one_from_a_direct_message(town: Chat) -> None:
    town.channel = "hills"
    town.ok("dave", 'setup "Hill Towns" kind:task-force')
    town.ok("bob", "join org:Chamber sector:private")
    town.channel = "dm-bob"
    assert "(Hill Towns, Riverside Partnership)" in town.refused("bob", f'concern "{WORRY}" anonymous')
    assert "You are in no partnership called Nowhere" in town.refused(
        "bob", f'concern "{WORRY}" anonymous in:Nowhere')
    # Only one's own partnerships can be named: carol is not in Hill Towns.
    assert "You are in no partnership called Hill Towns" in town.refused(
        "carol", f'concern "{WORRY}" anonymous in:"Hill Towns"')
    town.ok("bob", f'concern "{WORRY}" anonymous in:"hill towns"')
    with town.sessions() as session:
        [(partnership, raiser)] = session.execute(select(Concern.partnership_id, Concern.raised_by_id)).all()
    assert raiser is None and partnership == 2
