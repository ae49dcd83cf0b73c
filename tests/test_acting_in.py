"""Someone in several partnerships says which one a command is for with `in:"Name"`: from a
direct message, where no channel says it, or from another partnership's channel. Whatever
acts within a partnership takes it; what the bot tells them to type carries it; and an
announcement about one partnership is made in its own channel, never in another's."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from handlers.reply import Audience
from storage.models import (
    Commitment,
    Concern,
    ConcernNote,
    ConcernStatus,
    Flexibility,
    Handover,
    Nudge,
    Partnership,
    Person,
    Priority,
)
from tests.anonymity import REOPEN_CODE
from tests.conftest import Chat
from tests.slack_recorder import SlackHarness, text_of
from tests.test_nudges import Inbox, at, sweep
from tests.test_races import at_once, one_wins

pytest_plugins = ("tests.slack_fixtures",)

RIVERSIDE = 'in:"Riverside Partnership"'


@pytest.fixture
def two(town: Chat) -> Chat:
    """Riverside (channel `general`) and Hill Towns (channel `hills`); Bob and Carol are in both."""
    town.channel = "hills"
    town.ok("dave", 'setup "Hill Towns" kind:task-force')
    town.ok("bob", "join org:Chamber sector:private")
    town.ok("carol", "join org:Trust sector:voluntary")
    town.channel = "general"
    return town


def in_dm(chat: Chat, user: str) -> None:
    chat.channel, chat.direct, chat.private = f"dm-{user}", True, True


def test_a_handover_is_accepted_from_a_direct_message_as_its_message_says(two: Chat) -> None:
    two.ok("bob", 'commit "Deliver leaflets" by:friday effort:3h')
    two.ok("bob", "reassign 1 @carol")
    with two.sessions() as session:
        [ask] = session.scalars(select(Nudge).where(Nudge.kind == "handover"))
        assert f'`accept 1 {RIVERSIDE}`, or `decline 1 "why" {RIVERSIDE}`' in ask.text
        assert ["Accept", f"accept 1 {RIVERSIDE}"] in json.loads(ask.actions or "[]")
    in_dm(two, "carol")
    refused = two.refused("carol", "accept 1")
    assert "You are in 2 partnerships (Hill Towns, Riverside Partnership)" in refused
    assert f'add its name: `accept 1 in:"Hill Towns"` or `accept 1 {RIVERSIDE}`' in refused and "`use" not in refused
    said = two.say("carol", f"accept 1 {RIVERSIDE}")
    assert "Carol takes on #1 Deliver leaflets" in said.plain()
    with two.sessions() as session:
        c = session.scalars(select(Commitment)).one()
        assert (c.owner.person.user_id, c.handover_from_id) == ("carol", None)


def test_a_decline_from_a_direct_message_gives_the_work_back(two: Chat) -> None:
    two.ok("bob", 'commit "Deliver leaflets" by:friday')
    two.ok("bob", "reassign 1 @carol")
    in_dm(two, "carol")
    two.ok("carol", f'decline 1 "Away that week" {RIVERSIDE}')
    with two.sessions() as session:
        assert session.scalars(select(Commitment)).one().owner.person.user_id == "bob"
        told = dict(session.execute(select(Person.user_id, Nudge.text).join(Person, Person.id == Nudge.person_id)
                                    .where(Nudge.kind == "decline")).all())
        # Bob, in two partnerships, is told how to type it in a direct message; Alice, in one, needs no `in:`.
        assert f"hand it on with `reassign 1 @name {RIVERSIDE}`" in told["bob"]
        assert "hand it on with `reassign 1 @name`." in told["alice"]


def test_reading_and_speaking_in_a_partnership_from_a_direct_message(two: Chat) -> None:
    two.ok("bob", 'commit "Deliver leaflets" by:friday')
    two.ok("alice", 'concern "Parking on market day"')
    in_dm(two, "bob")
    who = two.say("bob", f"who {RIVERSIDE}")
    assert "#1 Deliver leaflets" in who.plain()
    # Its buttons, typed in the direct message, work there too.
    assert [a.command for s in who.sections for i in s.items for a in i.actions][0] == f"done 1 {RIVERSIDE}"
    assert "Parking on market day" in two.ok("bob", f"concerns {RIVERSIDE}")
    two.ok("bob", f'discuss 1 "Use the school car park" {RIVERSIDE}')
    two.ok("bob", f'flex time "Two more hours in March" {RIVERSIDE}')
    two.ok("bob", f'priority "Footfall on Saturdays" {RIVERSIDE}')
    assert "No offers" not in two.ok("bob", f"flex {RIVERSIDE}")
    with two.sessions() as session:
        assert session.scalars(select(ConcernNote.text)).all() == ["Use the school car park"]
        riverside = session.scalars(select(Partnership.id).where(Partnership.name == "Riverside Partnership")).one()
        assert session.scalars(select(Flexibility.partnership_id)).all() == [riverside]
        assert session.scalars(select(Priority.partnership_id)).all() == [riverside]
    assert "Done: #1 Deliver leaflets" in two.ok("bob", f"done 1 {RIVERSIDE}")


def test_reminders_to_someone_in_two_partnerships_name_the_one_they_are_about(two: Chat) -> None:
    """A reminder arrives in a direct message, where `done 1` alone would be refused for
    someone in two partnerships: its commands say which, and work there as written."""
    two.ok("bob", 'commit "Deliver leaflets" by:friday effort:2h')
    two.ok("alice", 'commit "Book the hall" by:friday')
    at(two, "2026-11-28T10:00")  # the day after both were due
    inbox = Inbox()
    sweep(two, inbox)
    [bob] = inbox.to("@bob")
    assert f"type `done 1 {RIVERSIDE}`" in bob and f"(or `snooze 1 3 {RIVERSIDE}`)" in bob
    [alice] = inbox.to("@alice")  # in one partnership: nothing to tell apart
    assert "type `done 2`;" in alice and "in:" not in alice
    command = bob[bob.index("`done 1") + 1:bob.index("`", bob.index("`done 1") + 1)]
    in_dm(two, "bob")
    assert "Done: #1 Deliver leaflets" in two.ok("bob", command)


def test_a_refusal_of_a_command_typed_with_in_suggests_commands_that_work_where_it_was_typed(two: Chat) -> None:
    in_dm(two, "bob")
    refused = two.refused("bob", f"done 9 {RIVERSIDE}")
    assert f"Type `who {RIVERSIDE}` to list them" in refused
    assert "#1 Deliver" not in two.ok("bob", f"who {RIVERSIDE}")  # and the command it suggests works there


def test_an_anonymous_raiser_in_two_partnerships_reopens_with_the_command_they_were_given(two: Chat) -> None:
    in_dm(two, "bob")
    raised = two.say("bob", f'concern "The chair ignores volunteers" anonymous {RIVERSIDE}')
    assert raised.private_note is not None and RIVERSIDE in raised.private_note
    two.channel, two.direct = "general", False
    two.ok("alice", 'resolve 1 "Noted"')
    in_dm(two, "bob")
    note = raised.private_note
    command = note[note.index("`reopen concern") + 1:note.index("`", note.index("`reopen concern") + 1)]
    assert command.endswith(RIVERSIDE)
    reopened = two.say("bob", command.replace('"why"', '"Still happening"'))
    assert not reopened.error and reopened.private_note is not None and RIVERSIDE in reopened.private_note
    with two.sessions() as session:
        assert session.scalars(select(Concern.status)).one() is ConcernStatus.OPEN
    assert REOPEN_CODE.search(reopened.private_note)


def test_work_of_one_partnership_done_in_anothers_channel_is_announced_in_its_own(two: Chat) -> None:
    two.ok("bob", 'commit "Deliver leaflets" by:friday')
    assert two.say("bob", 'commit "Here" by:friday').channel is None  # typed in its own channel: said there
    two.channel = "hills"
    done = two.say("bob", f"done 1 {RIVERSIDE}")
    assert "Done: #1 Deliver leaflets" in done.plain()
    assert (done.audience, done.channel) == (Audience.CHANNEL, "general")
    raised = two.say("bob", f'concern "The budget split is unfair" {RIVERSIDE}')
    assert raised.channel == "general"
    in_dm(two, "carol")
    assert two.say("carol", f'priority "Footfall" {RIVERSIDE}').channel == "general"


def test_an_observer_is_told_the_command_that_makes_them_a_member(town: Chat) -> None:
    town.ok("dave", "join org:Press sector:private observer")
    refused = town.refused("dave", 'commit "Write it up" by:friday')
    assert "`member role @dave member`" in refused
    town.ok("alice", "member role @dave member")  # as the refusal says, it works
    town.ok("dave", 'commit "Write it up" by:friday')


def test_slack_announces_another_partnerships_news_in_its_channel_and_tells_the_typist_alone(
        riverside: SlackHarness) -> None:
    riverside.run('setup "Hill Towns" kind:task-force', channel="C2")
    riverside.run("join org:Chamber sector:private", user="UBOB", channel="C2")
    riverside.run('commit "Deliver leaflets" by:"in 2 weeks"', user="UBOB")
    before = len(riverside.recorder.posted())
    riverside.command(f"done 1 {RIVERSIDE}", user="UBOB", channel="C2")
    posted = riverside.recorder.posted()[before:]
    where = [(c.method, c.params["channel"]) for c in posted if "Done: #1 Deliver leaflets" in text_of(c.params["blocks"])]
    assert where == [("chat.postMessage", "C1"), ("chat.postEphemeral", "C2")]
    assert [c.params["user"] for c in posted if c.method == "chat.postEphemeral"] == ["UBOB"]


def test_an_accept_and_a_decline_typed_at_once_from_a_direct_message_settle_the_handover_once(two: Chat) -> None:
    """A partnership named with `in:` is locked as the channel's would be: one answer wins."""
    for n in range(1, 9):
        two.channel, two.direct = "general", False
        two.ok("bob", f'commit "Task {n}" by:friday')
        two.ok("bob", f"reassign {n} @carol")
        in_dm(two, "carol")
        winner, refusal = one_wins(at_once(two, ("carol", f"accept {n} {RIVERSIDE}"),
                                           ("carol", f'decline {n} "Away" {RIVERSIDE}')))
        assert "nothing waits for" in (refusal.text or "")
        with two.sessions() as session:
            c = session.scalars(select(Commitment).where(Commitment.number == n)).one()
            assert (c.owner.person.user_id, c.handover_from_id) == (["carol", "bob"][winner], None)
            answered = session.scalars(select(Handover.answer).where(Handover.commitment_id == c.id)).all()
            assert answered == [["accepted", "declined"][winner]]


def test_an_anonymous_announcement_reads_the_same_whether_its_raiser_named_the_partnership(two: Chat) -> None:
    """Its room would otherwise read that the raiser is in several partnerships, which narrows
    down who they are: the next steps shown in the room carry no `in:`."""
    in_dm(two, "alice")
    alone = two.say("alice", 'concern "Raised by someone in one partnership" anonymous')
    in_dm(two, "carol")
    several = two.say("carol", f'concern "Raised by someone in two" anonymous {RIVERSIDE}')
    assert [a.command.replace("1", "N") for a in alone.actions] == [a.command.replace("2", "N") for a in several.actions]
    assert not any("in:" in a.command for a in several.actions)


def test_a_reply_about_one_partnership_asked_in_anothers_shared_room_is_for_the_asker_alone(two: Chat) -> None:
    """Where a platform cannot show a reply to one person in a shared room (Matrix), a reply
    about Riverside asked in Hill Towns' room goes to the asker privately (`secret`)."""
    two.ok("bob", 'commit "Renegotiate the council lease" by:friday')
    two.channel, two.private = "hills", False
    for command in (f"who {RIVERSIDE}", f"snooze 1 3 {RIVERSIDE}"):
        reply = two.say("bob", command)
        assert "Renegotiate the council lease" in reply.plain() and reply.secret, command
    assert not two.say("bob", "who").secret, "its own room's reply is for the room"
    in_dm(two, "bob")
    assert not two.say("bob", f"who {RIVERSIDE}").secret, "a direct message is the asker's already"
