"""Slack users: names and zones from users.info, cached; Slack markup as command text."""

from __future__ import annotations

from sqlalchemy import select

from bot.slack.delivery import web_client
from bot.slack.people import People, normalise, profile_of
from handlers.context import Profile
from storage.models import Person
from tests.slack_recorder import BOT_TOKEN, Recorder, SlackHarness, text_of

pytest_plugins = ("tests.slack_fixtures",)


def test_slack_markup_becomes_plain_command_text() -> None:
    assert normalise("commit <@U123ABC|bob> &quot;x&quot;") == "commit @U123ABC &quot;x&quot;"
    assert normalise("reassign 4 <@W99>") == "reassign 4 @W99"
    assert normalise('flex money "See <https://example.org/budget|the budget> &amp; <#C42|events>"') == \
        'flex money "See https://example.org/budget & #events"'
    assert normalise("&lt;3 &gt; &amp;") == "<3 > &"


def test_the_name_people_know_someone_by() -> None:
    assert profile_of({"id": "U1", "name": "bob", "tz": "Europe/London",
                       "profile": {"display_name": "", "real_name": "Bob Smith"}}) == Profile("Bob Smith", "Europe/London")
    assert profile_of({"id": "U1", "name": "bob", "profile": {"display_name": "bobby"}}) == Profile("bobby", None)


def test_lookups_are_cached_for_an_hour(recorder: Recorder) -> None:
    clock = [0.0]
    people = People(clock=lambda: clock[0])
    client = web_client(recorder.url, BOT_TOKEN)
    assert people.profile(client, "T1", "UBOB") == Profile("Bob", "America/New_York")
    assert people.profile(client, "T1", "UBOB") == Profile("Bob", "America/New_York")
    assert len(recorder.calls("users.info")) == 1
    people.profile(client, "T2", "UBOB")  # another workspace, another person
    assert len(recorder.calls("users.info")) == 2
    clock[0] = 3601.0
    people.profile(client, "T1", "UBOB")
    assert len(recorder.calls("users.info")) == 3


def test_when_slack_cannot_say_the_last_answer_stands(recorder: Recorder) -> None:
    clock = [0.0]
    people = People(clock=lambda: clock[0])
    client = web_client(recorder.url, BOT_TOKEN)
    assert people.profile(client, "T1", "UBOB") == Profile("Bob", "America/New_York")
    clock[0] = 4000.0
    recorder.fail("users.info", status=200, retry_after=None, error="user_not_found")
    assert people.profile(client, "T1", "UBOB") == Profile("Bob", "America/New_York")
    recorder.fail("users.info", status=200, retry_after=None, error="user_not_found")
    assert people.profile(client, "T1", "UNOBODY") is None


def test_a_failed_lookup_is_remembered_for_a_while_too(recorder: Recorder) -> None:
    clock = [0.0]
    people = People(clock=lambda: clock[0])
    client = web_client(recorder.url, BOT_TOKEN)
    recorder.fail("users.info", status=200, retry_after=None, error="user_not_found")
    assert people.profile(client, "T1", "UNOBODY") is None
    assert people.profile(client, "T1", "UNOBODY") is None
    assert len(recorder.calls("users.info")) == 1
    clock[0] = 301.0
    people.profile(client, "T1", "UNOBODY")
    assert len(recorder.calls("users.info")) == 2


def test_a_new_slack_name_reaches_the_person_and_strangers_are_not_added(riverside: SlackHarness) -> None:
    renamed = {"id": "UBOB", "name": "bob", "real_name": "Robert Smith", "tz": "Asia/Tokyo",
               "profile": {"display_name": "Rob", "real_name": "Robert Smith"}}
    assert riverside.event({"type": "user_change", "user": renamed}).status == 200
    riverside.event({"type": "user_change", "user": {"id": "UNEW", "profile": {"display_name": "Nobody"}}})
    with riverside.sessions() as session:
        bob = session.scalars(select(Person).where(Person.user_id == "UBOB")).one()
        assert (bob.display_name, bob.timezone) == ("Rob", "America/New_York")  # the zone is theirs to set
        assert session.scalar(select(Person).where(Person.user_id == "UNEW")) is None
    posted = riverside.run('commit "Book the hall" by:friday', user="UBOB")
    assert "Rob (Chamber of Trade)" in text_of(posted.params["blocks"])
