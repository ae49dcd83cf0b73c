"""Buttons on commitments and concerns run the command they carry, as their clicker."""

from __future__ import annotations

import json
import threading
from typing import Any

from sqlalchemy import func, select

from storage.models import Commitment, CommitmentStatus, Concern, ConcernNote, ConcernStatus, Event, Snooze
from tests.slack_recorder import SlackHarness, button, buttons, state, text_of

pytest_plugins = ("tests.slack_fixtures",)


def test_mark_done_closes_the_commitment_and_thanks_in_the_channel(riverside: SlackHarness) -> None:
    announced = riverside.run('commit "Deliver 500 leaflets" by:"in 2 weeks" effort:3h', user="UBOB")
    riverside.click(button(announced.params["blocks"], "Mark done", "done 1"), user="UBOB")
    thanks = riverside.last("chat.postMessage")
    assert thanks.params["channel"] == "C1"
    assert "Done: #1 Deliver 500 leaflets, by Bob (Chamber of Trade). Thank you!" in text_of(thanks.params["blocks"])
    with riverside.sessions() as session:
        assert session.scalars(select(Commitment.status)).one() is CommitmentStatus.DONE


def test_a_button_cannot_do_more_than_typing(riverside: SlackHarness) -> None:
    """Carol sees Bob's Mark done button, but only Bob or a coordinator may use it."""
    announced = riverside.run('commit "Deliver 500 leaflets" by:"in 2 weeks"', user="UBOB")
    before = state(riverside.sessions)
    riverside.click(button(announced.params["blocks"], "Mark done"), user="UCAROL")
    refusal = riverside.last("chat.postEphemeral")
    assert refusal.params["user"] == "UCAROL"
    assert "only they or a coordinator can change it" in text_of(refusal.params["blocks"])
    assert state(riverside.sessions) == before


def test_concern_buttons_ask_for_words_in_a_modal_then_run(riverside: SlackHarness) -> None:
    raised = riverside.run('concern "The budget split favours the council" kind:priorities severity:high',
                           user="UCAROL")
    blocks = raised.params["blocks"]
    assert raised.method == "chat.postMessage"
    assert "Concern #1 raised" in text_of(blocks)
    discuss = button(blocks, "Discuss", 'discuss 1 "..."')

    riverside.click(discuss, user="UBOB")
    modal = riverside.last("views.open").params["view"]
    assert modal["callback_id"] == "fill_modal" and "Your view" in text_of(modal["blocks"])
    riverside.submit(modal, {"words": {"type": "plain_text_input", "value": 'Could we split it "50/50" next year?'}},
                     user="UBOB")
    note = riverside.last("chat.postMessage")
    assert "Bob on concern #1" in text_of(note.params["blocks"])

    riverside.click(button(blocks, "Resolve"), user="UALICE")
    modal = riverside.last("views.open").params["view"]
    assert "What was agreed" in text_of(modal["blocks"])
    riverside.submit(modal, {"words": {"type": "plain_text_input", "value": "Split 50/50 from April"}})
    resolved = riverside.last("chat.postMessage")
    assert "Concern #1 resolved" in text_of(resolved.params["blocks"])
    with riverside.sessions() as session:
        concern = session.scalars(select(Concern)).unique().one()
        assert (concern.status, concern.resolution) == (ConcernStatus.RESOLVED, "Split 50/50 from April")
        # The quotes are kept as written: a form's words read back exactly.
        assert session.scalars(select(ConcernNote.text)).one() == 'Could we split it "50/50" next year?'


def test_only_coordinators_resolve_even_by_button(riverside: SlackHarness) -> None:
    raised = riverside.run('concern "Meetings clash with school pick-up" kind:time', user="UCAROL")
    riverside.click(button(raised.params["blocks"], "Resolve"), user="UBOB")
    modal = riverside.last("views.open").params["view"]
    before = state(riverside.sessions)
    riverside.submit(modal, {"words": {"type": "plain_text_input", "value": "Move them to 7pm"}}, user="UBOB")
    refusal = riverside.last("chat.postEphemeral")
    assert refusal.params["user"] == "UBOB" and "Only coordinators" in text_of(refusal.params["blocks"])
    assert state(riverside.sessions) == before


def test_button_values_are_the_commands_people_could_type(riverside: SlackHarness) -> None:
    riverside.run('commit "Book the hall" by:"in 2 weeks"', user="UBOB")
    riverside.run('commit "Print posters" by:"in 3 weeks"', user="UBOB")
    listing = riverside.run("who", user="UBOB")  # their owner: Carol is offered no buttons she may not use
    shown = buttons(listing.params["blocks"])
    assert [(b["text"]["text"], json.loads(b["value"])) for b in shown] == [
        ("Mark done", {"run": "done 1", "n": 1}), ("Snooze 3 days", {"run": "snooze 1 3", "n": 1}),
        ("Mark done", {"run": "done 2", "n": 1}), ("Snooze 3 days", {"run": "snooze 2 3", "n": 1})]
    ids = [b["action_id"] for b in shown]
    assert len(set(ids)) == len(ids)


def test_snooze_holds_back_reminders(riverside: SlackHarness) -> None:
    announced = riverside.run('commit "Book the hall" by:"in 2 weeks"', user="UBOB")
    riverside.click(button(announced.params["blocks"], "Snooze 3 days", "snooze 1 3"), user="UBOB")
    told = riverside.last("chat.postEphemeral")
    assert told.params["user"] == "UBOB"
    assert "No reminders about #1 Book the hall until" in text_of(told.params["blocks"])
    with riverside.sessions() as session:
        assert session.scalars(select(Snooze.commitment_id)).all() == [1]


def test_a_template_button_asks_for_the_whole_command(riverside: SlackHarness) -> None:
    """`join org:"Your organisation" sector:community` has parts to fill in: edit, then run."""
    welcome = riverside.said("chat.postMessage")[0]  # the setup announcement
    riverside.click(button(welcome.params["blocks"], "Join"), user="UMALLORY")
    modal = riverside.last("views.open").params["view"]
    field = next(b for b in modal["blocks"] if b.get("block_id") == "command")
    assert field["element"]["initial_value"] == 'join org:"Your organisation" sector:community'
    riverside.submit(modal, {"command": {"type": "plain_text_input", "value": 'join org:"Ferry Co" sector:private'}},
                     user="UMALLORY")
    assert "Welcome to Riverside Partnership, Mallory" in text_of(riverside.last().params["blocks"])


def test_double_clicking_mark_done_on_twenty_commitments_thanks_once_each(riverside: SlackHarness) -> None:
    """Forty clicks arrive together (each of twenty Mark done buttons twice): twenty done, twenty thanks."""
    blocks = [riverside.run(f'commit "Task {n}" by:"in 2 weeks"', user="UBOB").params["blocks"] for n in range(1, 21)]
    before = len(riverside.recorder.posted())
    clicks = [button(b, "Mark done") for b in blocks for _ in range(2)]
    barrier = threading.Barrier(len(clicks))

    def click(b: dict[str, Any]) -> None:
        barrier.wait()
        riverside.click(b, user="UBOB", wait=False)

    threads = [threading.Thread(target=click, args=(b,)) for b in clicks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    riverside.executor.wait_idle(timeout=60)
    shown = [text_of(c.params.get("blocks") or []) for c in riverside.recorder.posted()[before:]]
    thanks = sorted(t for t in shown if "Thank you!" in t)
    assert thanks == sorted(f"Done: #{n} Task {n}, by Bob (Chamber of Trade). Thank you!" for n in range(1, 21))
    assert len([t for t in shown if "was already marked done by Bob" in t]) == 20
    with riverside.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(Event.action == "done")) == 20
        assert set(session.scalars(select(Commitment.status))) == {CommitmentStatus.DONE}


def test_a_button_acts_on_the_numbered_row_of_its_own_channels_partnership(riverside: SlackHarness) -> None:
    """Both partnerships have a commitment #1: Mark done in Hill Towns' channel closes Hill Towns' #1."""
    riverside.run('setup "Hill Towns" kind:task-force', user="UBOB", channel="C2")
    riverside.run("join sector:private", user="UBOB", channel="C2")
    riverside.run('commit "Deliver leaflets" by:"in 2 weeks"', user="UBOB")
    hills = riverside.run('commit "Survey bus stops" by:"in 2 weeks"', user="UBOB", channel="C2")
    riverside.click(button(hills.params["blocks"], "Mark done", "done 1"), user="UBOB", channel="C2")
    assert "Done: #1 Survey bus stops" in text_of(riverside.last("chat.postMessage").params["blocks"])
    with riverside.sessions() as session:
        assert {t: s for t, s in session.execute(select(Commitment.title, Commitment.status))} == {
            "Deliver leaflets": CommitmentStatus.OPEN, "Survey bus stops": CommitmentStatus.DONE}


def test_a_button_from_before_the_numbering_is_refused_not_run(riverside: SlackHarness) -> None:
    """An old button carried a database id (`done 2`), which may now be another row's number."""
    riverside.run('commit "Deliver leaflets" by:"in 2 weeks"', user="UBOB")
    riverside.run('commit "Book the hall" by:"in 2 weeks"', user="UBOB")
    before = state(riverside.sessions)
    old = {"action_id": "run_0", "text": {"type": "plain_text", "text": "Mark done"}, "value": '{"run":"done 2"}'}
    riverside.click(old, user="UBOB")
    refusal = riverside.last("chat.postEphemeral")
    assert refusal.params["user"] == "UBOB"
    assert "older than the numbers this partnership uses now, so nothing was done" in text_of(refusal.params["blocks"])
    assert state(riverside.sessions) == before
