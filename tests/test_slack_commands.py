"""`/partner <command>` over signed HTTP: replies in Block Kit, announcements in the channel,
personal answers in the 200 (shown to the person alone), mentions resolved to members with
their Slack names and zones."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.slack import chat
from storage.database import take_write_lock
from storage.models import ChannelLink, Commitment, Event, Member, Person
from tests.anonymity import REOPEN_CODE
from tests.slack_recorder import SlackHarness, button, buttons, text_of

pytest_plugins = ("tests.slack_fixtures",)


def test_a_new_commitment_is_announced_in_the_channel_with_its_buttons(riverside: SlackHarness) -> None:
    posted = riverside.run('commit "Deliver 500 leaflets" by:"in 2 weeks" effort:3h', user="UBOB")
    assert posted.method == "chat.postMessage"
    assert posted.params["channel"] == "C1"
    assert posted.token == "xoxb-test-token"
    blocks = posted.params["blocks"]
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "New commitment"}}
    assert "#1 Deliver 500 leaflets — Bob (Chamber of Trade)" in text_of(blocks)
    done = button(blocks, "Mark done")
    assert json.loads(done["value"]) == {"run": "done 1", "n": 1}
    assert done["style"] == "primary"
    assert "Deliver 500 leaflets" in posted.params["text"]  # the notification text
    with riverside.sessions() as session:
        c = session.scalars(select(Commitment)).one()
        assert (c.title, c.effort_hours, c.owner.person.user_id) == ("Deliver 500 leaflets", 3.0, "UBOB")


def test_personal_answers_ride_in_the_200_for_the_person_alone(riverside: SlackHarness) -> None:
    """Slack shows a message in a slash command's 200 to the person alone, as an ephemeral
    one: no Web API call, so no rate limit spent and no second round trip."""
    riverside.run('commit "Book the hall" by:"in 2 weeks"', user="UBOB")
    response = riverside.command("mine", user="UBOB")
    posted = response.json()
    assert posted["response_type"] == "ephemeral"
    assert "Book the hall" in posted["text"]  # the notification text
    shown = text_of(posted["blocks"])
    assert "Your commitments" in shown and "#1 Book the hall" in shown
    # `mine` spans partnerships, each counting from #1: the button names its own.
    assert button(posted["blocks"], "Mark done", 'done 1 in:"Riverside Partnership"')

    load = riverside.run("load", user="UCAROL")
    assert load.method == "ack" and "Load in Riverside Partnership" in text_of(load.params["blocks"])
    assert riverside.recorder.calls("chat.postEphemeral") == []


def test_people_get_their_slack_name_and_time_zone(riverside: SlackHarness) -> None:
    with riverside.sessions() as session:
        bob = session.scalars(select(Person).where(Person.user_id == "UBOB")).one()
        assert (bob.platform, bob.workspace, bob.display_name, bob.timezone) == ("slack", "T1", "Bob", "America/New_York")
    # users.info is asked once per person, then cached.
    asked = [c.params["user"] for c in riverside.recorder.calls("users.info")]
    assert sorted(asked) == ["UALICE", "UBOB", "UCAROL"]


def test_mentions_resolve_to_members_and_new_people_come_from_slack(riverside: SlackHarness) -> None:
    riverside.recorder.add_user("UDAN", "Dan Jones", "Asia/Tokyo")
    posted = riverside.run('member add <@UDAN|dan> org:"Youth Club" sector:community capacity:2h volunteer')
    assert "Dan Jones" in text_of(posted.params["blocks"])
    riverside.run('commit <@UDAN|dan> "Paint the benches" by:"in 3 weeks"')
    with riverside.sessions() as session:
        dan = session.scalars(select(Person).where(Person.user_id == "UDAN")).one()
        assert (dan.display_name, dan.timezone) == ("Dan Jones", "Asia/Tokyo")
        c = session.scalars(select(Commitment)).one()
        assert c.owner.person_id == dan.id


def test_a_refusal_is_one_private_line(riverside: SlackHarness) -> None:
    before = len(riverside.said("chat.postMessage"))
    riverside.command('comit "Book the hall" by:friday', user="UBOB")
    posted = riverside.last("ack")
    assert posted.params["blocks"] == [{"type": "section", "text": {
        "type": "mrkdwn", "text": posted.params["blocks"][0]["text"]["text"]}}]
    assert "Did you mean `commit`?" in text_of(posted.params["blocks"])
    assert len(riverside.said("chat.postMessage")) == before


def test_an_empty_command_shows_help(riverside: SlackHarness) -> None:
    riverside.command("", user="UBOB")
    assert "commit" in text_of(riverside.last("ack").params["blocks"])


def test_a_private_channel_the_bot_is_not_in_gets_its_answer_in_the_200(riverside: SlackHarness) -> None:
    riverside.recorder.fail("chat.postEphemeral", status=200, retry_after=None, error="channel_not_found")
    response = riverside.command("mine", user="UBOB", channel="GSECRET")
    assert "Your commitments" in text_of(response.json()["blocks"])
    assert riverside.recorder.calls("chat.postEphemeral") == []


def test_an_answer_too_late_for_the_200_falls_back_to_the_response_url_where_the_bot_is_not(
        riverside: SlackHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack is slow to say who a newcomer is, so the 200 goes bare by the deadline; the
    answer then cannot be posted in a private channel the bot is not in, and goes through the
    command's response_url instead."""
    monkeypatch.setattr(chat, "ACK_DEADLINE", 0.2)
    riverside.recorder.add_user("UDAN", "Dan", "Asia/Tokyo")
    riverside.recorder.fail("chat.postEphemeral", status=200, retry_after=None, error="channel_not_found")
    gate = riverside.recorder.hold("users.info")
    try:
        # Setting a zone makes Dan a person, so Slack is asked his name first.
        response = riverside.command("tz Europe/Paris", user="UDAN", channel="GSECRET", wait=False)
        assert response.status == 200 and response.body == ""
    finally:
        gate.set()
    riverside.executor.wait_idle()
    sent = riverside.last("response_url")
    assert sent.params["response_type"] == "ephemeral"
    assert "Europe/Paris" in text_of(sent.params["blocks"])


def test_the_acknowledgement_does_not_wait_for_slow_work(riverside: SlackHarness,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack is slow to say who someone is: the command is acknowledged all the same, by the
    deadline, and answered once Slack replies."""
    monkeypatch.setattr(chat, "ACK_DEADLINE", 0.2)  # two seconds in earnest; a fifth is enough here
    riverside.recorder.add_user("UDAN", "Dan", "Asia/Tokyo")
    gate = riverside.recorder.hold("users.info")
    response = riverside.command("tz Europe/Paris", user="UDAN", wait=False)  # makes Dan a person
    assert response.status == 200 and response.body == ""
    assert not riverside.recorder.calls("chat.postEphemeral") or \
        riverside.recorder.calls("chat.postEphemeral")[-1].params["user"] != "UDAN"
    gate.set()
    riverside.executor.wait_idle()
    assert riverside.last("chat.postEphemeral").params["user"] == "UDAN"


def test_a_change_is_acknowledged_once_committed_and_announced_after(riverside: SlackHarness) -> None:
    """Slack's 200 means the change is kept: it comes after the commit, and does not wait for
    the announcement, which Slack is slow to take here."""
    gate = riverside.recorder.hold("chat.postMessage")
    before = len(riverside.said("chat.postMessage"))
    try:
        response = riverside.command('commit "Book the hall" by:friday', user="UBOB", wait=False)
        assert response.status == 200 and response.body == ""
        with riverside.sessions() as session:
            assert session.scalars(select(Commitment.title)).all() == ["Book the hall"]
        assert len(riverside.said("chat.postMessage")) == before
    finally:
        gate.set()
    riverside.executor.wait_idle()
    assert "Book the hall" in text_of(riverside.last("chat.postMessage").params["blocks"])


def test_a_change_by_someone_slack_is_slow_to_introduce_is_acknowledged_in_time_and_kept(
        riverside: SlackHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack's three seconds run out before Slack says who a newcomer is: the 200 goes anyway
    (by the two-second deadline), and the change is made once Slack answers. Dan's command waits
    on Slack outside any transaction: meanwhile Bob's change is kept and announced (on SQLite it
    would otherwise wait on the one write lock). Dan's then runs once: one membership, one welcome."""
    monkeypatch.setattr(chat, "ACK_DEADLINE", 0.2)  # two seconds in earnest; a fifth is enough here
    riverside.recorder.add_user("UDAN", "Dan", "Asia/Tokyo")
    gate = riverside.recorder.hold("users.info")
    try:
        response = riverside.command('join org:"Youth Club" sector:community', user="UDAN", wait=False)
        assert response.status == 200 and response.body == ""
        riverside.command('commit "Book the hall" by:friday', user="UBOB", wait=False)
        riverside.recorder.wait_for_words("chat.postMessage", "Book the hall")
        with riverside.sessions() as session:  # Dan's command is still waiting on Slack
            assert session.scalar(select(Person).where(Person.user_id == "UDAN")) is None
    finally:
        gate.set()
    riverside.executor.wait_idle()
    with riverside.sessions() as session:
        dan = session.scalars(select(Member).join(Member.person).where(Person.user_id == "UDAN")).one()
        assert (dan.person.display_name, dan.person.timezone, dan.organisation) == ("Dan", "Asia/Tokyo", "Youth Club")
    welcomed = [c for c in riverside.said() if "Welcome to Riverside Partnership, Dan" in text_of(c.params["blocks"])]
    assert len(welcomed) == 1


def test_a_newcomers_mistyped_command_is_answered_without_asking_slack_who_they_are(
        riverside: SlackHarness) -> None:
    """Asking Slack who someone is costs a round trip and a share of its rate limit: it is
    asked only once a command needs the person (their name, their zone), not for a typo."""
    riverside.recorder.add_user("UDAN", "Dan", "Asia/Tokyo")
    refused = riverside.command('comit "Book the hall" by:friday', user="UDAN")
    assert "Did you mean `commit`?" in text_of(refused.json()["blocks"])
    assert [c for c in riverside.recorder.calls("users.info") if c.params["user"] == "UDAN"] == []
    riverside.command("help", user="UDAN")  # its example dates are in Dan's zone: now Slack is asked
    assert [c.params["user"] for c in riverside.recorder.calls("users.info")][-1] == "UDAN"


def test_a_command_that_only_reads_is_answered_while_nothing_can_be_written(
        riverside: SlackHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    """`who` changes nothing, so it writes no request's mark: its 200, answer and all, comes
    while the database can take no write."""
    monkeypatch.setattr(chat, "ACK_DEADLINE", 60.0)  # no deadline acknowledges it in the meantime
    release, held = threading.Event(), threading.Event()

    def hold() -> None:  # a long write elsewhere: nothing can be inserted meanwhile
        with riverside.sessions.begin() as session:
            take_write_lock(session)
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("LOCK TABLE slack_requests IN SHARE ROW EXCLUSIVE MODE"))
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(30)
        response = riverside.command("who", user="UBOB", wait=False)
        assert "Who does what in Riverside Partnership" in text_of(response.json()["blocks"])
    finally:
        release.set()
        holder.join(30)


def test_people_already_met_are_not_looked_up_again_by_a_new_process(riverside: SlackHarness) -> None:
    other = SlackHarness(riverside.recorder, riverside.sessions, riverside.settings)  # a second process
    other.triggers = riverside.triggers  # its requests are new ones, not Slack's retries of the first's
    try:
        asked = len(riverside.recorder.calls("users.info"))
        before = len(riverside.recorder.posted())
        assert other.command("mine", user="UBOB").status == 200
        assert other.recorder.posted()[before:], "mine posted nothing"
        assert len(riverside.recorder.calls("users.info")) == asked
    finally:
        other.close()


def test_setup_links_the_channel_and_records_the_coordinator(riverside: SlackHarness) -> None:
    with riverside.sessions() as session:
        roles = {m.person.user_id: m.role.value for m in session.scalars(select(Member))}
        assert roles == {"UALICE": "coordinator", "UBOB": "member", "UCAROL": "member"}
        assert session.scalars(select(Event.action)).all() == ["setup", "member-update", "join", "join"]
    assert buttons(riverside.said("chat.postMessage")[0].params["blocks"])


def test_a_command_queued_behind_busy_workers_past_three_seconds_is_answered_200_and_kept(
        riverside: SlackHarness) -> None:
    """A burst can hold every listener worker; the command waiting its turn is still acted on,
    so its answer must be a late 200, not Bolt's 404 "unhandled request"."""
    release = threading.Event()
    for _ in range(riverside.executor.most):
        riverside.executor.submit(release.wait)
    threading.Timer(3.5, release.set).start()

    response = riverside.command('commit "Book the hall" by:friday', user="UBOB")

    assert response.status == 200, response
    with riverside.sessions() as session:
        assert session.scalars(select(Commitment.title)).all() == ["Book the hall"]


def test_an_anonymous_concerns_reopen_code_reaches_the_raiser_alone_and_reopens_it(riverside: SlackHarness) -> None:
    before = len(riverside.recorder.posted())
    riverside.command('concern "Meetings clash with school pick-up" anonymous', user="UCAROL", channel="D1")
    sent = riverside.recorder.posted()[before:]
    [announced] = [c for c in sent if c.method == "chat.postMessage"]
    [note] = [c for c in sent if c.method == "chat.postEphemeral"]
    assert len(sent) == 2 and announced.params["channel"] == "C1"
    assert "Someone raised: Meetings clash with school pick-up" in text_of(announced.params["blocks"])
    assert (note.params["channel"], note.params["user"]) == ("D1", "UCAROL")
    code = REOPEN_CODE.search(text_of(note.params["blocks"]))
    assert code is not None and "Only you have this code" in note.params["text"]
    assert code.group(1) not in json.dumps([c.params for c in sent if c is not note])

    riverside.run('resolve 1 "Meetings move to 7pm"')
    before = len(riverside.recorder.posted())
    riverside.command(f'reopen concern 1 "Still clashes for parents" code:{code.group(1)}', user="UCAROL", channel="D1")
    sent = riverside.recorder.posted()[before:]
    [reopened] = [c for c in sent if c.method == "chat.postMessage"]
    [renewed] = [c for c in sent if c.method == "chat.postEphemeral"]
    assert reopened.params["channel"] == "C1"
    assert "Concern #1 (Meetings clash with school pick-up) is open again." in text_of(reopened.params["blocks"])
    assert code.group(1) not in json.dumps(reopened.params) and "UCAROL" not in json.dumps(reopened.params)
    # The code is used up: the next one reaches Carol alone, ephemeral where she typed.
    fresh = REOPEN_CODE.search(text_of(renewed.params["blocks"]))
    assert (renewed.params["channel"], renewed.params["user"]) == ("D1", "UCAROL")
    assert fresh is not None and fresh.group(1) != code.group(1) and fresh.group(1) not in json.dumps(reopened.params)
    with riverside.sessions() as session:
        event = session.scalars(select(Event).where(Event.action == "reopen")).one()
        assert (event.actor_id, event.reason) == (None, "Still clashes for parents")


def test_a_room_code_typed_in_a_direct_message_links_no_dm(riverside: SlackHarness,
                                                           sessions: sessionmaker[Session]) -> None:
    """Slack's direct message ids start with D: a code typed there is refused, and kept for a channel."""
    code = text_of(riverside.run("link room").params.get("blocks") or []).split("use code:")[1].split("`")[0]
    before = len(riverside.recorder.posted())
    assert riverside.command(f"use code:{code}", user="UBOB", channel="D0BOB").status == 200
    [refusal] = riverside.recorder.posted()[before:]
    assert "direct conversation with me" in text_of(refusal.params.get("blocks") or [])
    riverside.run(f"use code:{code}", user="UBOB", channel="C2")
    with sessions() as session:
        assert sorted(session.scalars(select(ChannelLink.channel))) == ["C1", "C2"]
