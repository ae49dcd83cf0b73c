"""Identity: a mention names a person by platform user id, never by display name; a typed
plain name names someone only when exactly one person goes by it; and names from the
platforms are kept and printed without control characters or terminal escapes."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot import cli
from handlers import Actor, handle
from handlers.parsing import tokenize
from handlers.registry import COMMANDS, find
from storage.models import Member, Person, Role
from tests.conftest import Chat, snapshot
from tests.slack_recorder import SlackHarness, state, text_of
from tests.test_cli_nudges import overdue  # noqa: F401  (fixture)

pytest_plugins = ("tests.slack_fixtures",)


def roles(sessions: sessionmaker[Session]) -> dict[str, Role]:
    with sessions() as session:
        return {p.user_id: m.role for m, p in session.execute(select(Member, Person).join(Member.person))}


def refusal(slack: SlackHarness, text: str, user: str = "UALICE") -> str:
    answer = slack.command(text, user=user).json()
    assert answer and answer["response_type"] == "ephemeral", f"/partner {text} said nothing privately"
    return text_of(answer["blocks"])


def test_a_renamed_member_cannot_take_the_place_of_the_one_mentioned(riverside: SlackHarness) -> None:
    """Mallory renames herself to Zoe's user id; a real mention of Zoe still names Zoe."""
    riverside.recorder.add_user("UZOE", "zoe")
    riverside.recorder.add_user("UMAL", "UZOE")
    riverside.run("join org:Youth sector:community", user="UMAL")
    riverside.run("join org:School sector:public", user="UZOE")

    riverside.run("member role <@UZOE|zoe> coordinator")

    assert roles(riverside.sessions)["UZOE"] is Role.COORDINATOR
    assert roles(riverside.sessions)["UMAL"] is Role.MEMBER


def test_a_mention_of_someone_new_never_lands_on_a_member_named_like_their_id(riverside: SlackHarness) -> None:
    riverside.recorder.add_user("UMAL", "UNEW")
    riverside.recorder.add_user("UNEW", "Nell")
    riverside.run("join org:Youth sector:community", user="UMAL")

    refused = refusal(riverside, "member remove <@UNEW|nell>")
    assert "isn't a member of Riverside Partnership" in refused
    riverside.run('member add <@UNEW> org:"Riverside School" sector:public')

    assert roles(riverside.sessions) == {"UALICE": Role.COORDINATOR, "UBOB": Role.MEMBER, "UCAROL": Role.MEMBER,
                                         "UMAL": Role.MEMBER, "UNEW": Role.MEMBER}
    with riverside.sessions() as session:
        assert session.scalar(select(Person.display_name).where(Person.user_id == "UNEW")) == "Nell"


def test_a_plain_name_two_people_share_is_refused_with_both_listed(riverside: SlackHarness) -> None:
    riverside.recorder.add_user("USAM1", "Sam")
    riverside.recorder.add_user("USAM2", "sam")
    riverside.run("join org:Youth sector:community", user="USAM1")
    riverside.run("join org:School sector:public", user="USAM2")
    before = state(riverside.sessions)

    refused = refusal(riverside, "member role @sam observer")

    assert "could be any of 2 people" in refused and "@USAM1" in refused and "@USAM2" in refused
    assert "Mention the one you mean" in refused
    assert state(riverside.sessions) == before
    # A name only one person goes by still works, as does a real mention.
    riverside.run("member role @carol observer")
    riverside.run("member role <@USAM2|sam> observer")
    assert roles(riverside.sessions)["UCAROL"] is Role.OBSERVER
    assert roles(riverside.sessions)["USAM2"] is Role.OBSERVER and roles(riverside.sessions)["USAM1"] is Role.MEMBER


def test_adding_by_a_plain_name_on_slack_needs_a_mention(riverside: SlackHarness) -> None:
    before = state(riverside.sessions)
    refused = refusal(riverside, 'member add @nobody org:"Riverside School"')
    assert "I can't tell who @nobody is" in refused and "Mention them" in refused
    assert state(riverside.sessions) == before


def test_slack_names_are_kept_without_escapes(riverside: SlackHarness) -> None:
    riverside.recorder.add_user("UEVE", "\x1b[2J\x1b]0;pwned\x07Eve\u202e\x00\n")
    riverside.run("join org:Youth sector:community", user="UEVE")
    with riverside.sessions() as session:
        assert session.scalar(select(Person.display_name).where(Person.user_id == "UEVE")) == "Eve"


def test_console_plain_names_match_one_person_only(town: Chat) -> None:
    with town.sessions.begin() as session:
        session.execute(update(Person).where(Person.user_id == "carol").values(display_name="Bob"))
    # `@bob` is bob's id: his, whatever carol calls herself.
    town.ok("alice", "member role @bob observer")
    assert roles(town.sessions)["bob"] is Role.OBSERVER and roles(town.sessions)["carol"] is Role.MEMBER
    with town.sessions.begin() as session:
        session.execute(update(Person).where(Person.user_id == "alice").values(display_name="Robin"))
        session.execute(update(Person).where(Person.user_id == "carol").values(display_name="Robin"))
    before = snapshot(town.sessions)
    refused = town.refused("alice", "commitments @robin")
    assert "could be any of 2 people" in refused and "`@alice`" in refused and "`@carol`" in refused
    assert snapshot(town.sessions) == before


def test_dry_run_prints_a_display_name_without_its_escapes(overdue: Chat, engine: Engine,  # noqa: F811
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    evil = "\x1b[31mBob\x1b[0m\x1b]0;owned\x07\x07"
    actor = Actor("console", overdue.workspace, "bob", overdue.channel, display_name=evil)
    assert not handle("mine", actor, overdue.sessions, now=overdue.now).error
    with overdue.sessions() as session:
        assert session.scalar(select(Person.display_name).where(Person.user_id == "bob")) == "Bob"
    # A name stored before names were cleaned is cleaned when printed.
    with overdue.sessions.begin() as session:
        session.execute(update(Person).where(Person.user_id == "bob").values(display_name=evil))
    cli.main(["nudges", "--dry-run"])
    out = capsys.readouterr().out
    assert "To @Bob (console/local), now, as one message:" in out
    assert "\x1b" not in out and "\x07" not in out


READING = ["who", "who @zed", "who Book", "commitments @zed", "load", "load @zed", "history", "history @zed",
           "flex", "flex who time", "decision 1", "decisions", "concerns", "concerns 1", "help", "help who", "review",
           "mine", "overdue", "status", "members", "partnership", 'partnership in:"Riverside Partnership"',
           "partnerships", "priorities", "successors", "nudge settings", "export", "health", "dates", "away", "publish",
           "notify", "agreement", "agreement history", "agreement version 1", "goals", "interests", "pledges", "proxies",
           "meetings", "meeting 1", "meeting invite 1", "agenda 1", "minutes 1", "minutes 1 export", "rooms",
           "accounts"]


def test_reading_creates_nothing_whoever_reads(town: Chat) -> None:
    """A stranger, or a member, reading anything leaves every table as it was: no person made
    for them or for anyone they mention."""
    town.ok("bob", 'commit "Book the hall" by:friday')
    town.ok("alice", 'propose "Move the fair" mode:consensus closes:friday')
    read_only = {c.name for c in COMMANDS.values() if not c.changes or c.reads_alone}
    assert read_only <= {find(tokenize(text))[0].name for text in READING}, "a reading command left out here"
    for who in ("stranger", "bob"):
        for text in READING:
            before = snapshot(town.sessions)
            town.say(who, text)
            assert snapshot(town.sessions) == before, f"{who}: {text}"


def test_a_strangers_who_on_slack_leaves_no_trace(riverside: SlackHarness) -> None:
    before = state(riverside.sessions)
    riverside.command("who", user="USTRANGER")
    riverside.command("status", user="USTRANGER")
    assert state(riverside.sessions) == before
