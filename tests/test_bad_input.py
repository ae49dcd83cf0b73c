"""Bad input anywhere: one clear line saying what to type instead, and nothing changed.

`refuse` is the check every test file uses for a refused command.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers.parsing import MAX_INPUT, MAX_TITLE
from handlers.registry import EVERYDAY
from storage.models import Commitment, Concern
from tests.conftest import Chat, snapshot


def refuse(chat: Chat, user: str, command: str, *expected: str, example: bool = True) -> str:
    """Say something that must be refused: one line, naming what to type instead, database unchanged."""
    before = snapshot(chat.sessions)
    text = chat.refused(user, command)
    assert text.strip(), "the refusal says nothing"
    assert "\n" not in text, f"not one line: {text!r}"
    if example:
        assert "`" in text, f"says nothing to type instead: {text!r}"
    for wanted in expected:
        assert wanted in text, f"{wanted!r} not in {text!r}"
    assert snapshot(chat.sessions) == before, f"{command!r} changed the database"
    return text


def all_of(sessions: sessionmaker[Session], model: type) -> list:
    with sessions() as session:
        return list(session.scalars(select(model).order_by(model.id)))


# Unknown commands


def test_misspelt_command_suggests_the_right_one(town: Chat) -> None:
    refuse(town, "bob", 'comit "Deliver leaflets" by:friday', "I don't know `comit`", "Did you mean `commit`?")


def test_misspelt_word_of_a_two_word_command_suggests_it(town: Chat) -> None:
    refuse(town, "alice", "memebrs", "Did you mean `members`?")


def test_an_everyday_word_points_to_the_command_that_does_it(town: Chat) -> None:
    """Someone who marked work done by mistake types `undo`; what undoes it is `reopen`."""
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", "done 1")
    refuse(town, "bob", "undo", "I don't know `undo`. Did you mean `reopen`?", "`help reopen`")
    assert "Reopen a done or dropped commitment" in town.ok("bob", "help reopen")
    refuse(town, "bob", "complete 1", "Did you mean `done`?")
    assert "There is no command `undo`. Did you mean `reopen`?" in town.refused("bob", "help undo")
    refuse(town, "alice", 'wind up "The market is done"', "Did you mean `partnership wind-up`?",
           "`help partnership wind-up`")
    assert "partnership wind-up" in town.ok("alice", "help partnership wind-up")
    # Answering a concern is discussing it; a worry is raised with `concern`.
    town.ok("bob", 'concern "The hall is too dear"')
    refuse(town, "alice", 'respond 1 "The council can pay half"', "Did you mean `discuss`?", "`help discuss`")
    refuse(town, "carol", 'raise "The stall is too small"', "Did you mean `concern`?")
    refuse(town, "alice", "invite @dave", "Did you mean `member add`?")


def test_every_everyday_word_points_to_a_command_with_help(town: Chat) -> None:
    for word in sorted(EVERYDAY):  # one partnership for all: a refusal changes nothing
        said = town.refused("bob", word)
        command = said.split("Did you mean `")[1].split("`")[0]
        assert f"`help {command}`" in said and "There is no command" not in town.ok("bob", f"help {command}"), word


def test_an_option_typed_without_its_colon_is_pointed_to(town: Chat) -> None:
    refuse(town, "bob", 'commit "Deliver leaflets" by friday', "Did you mean `by:friday`?")
    refuse(town, "bob", 'commit "Deliver leaflets" by "next week"', 'Did you mean `by:"next week"`?')
    refuse(town, "bob", 'commit "Deliver leaflets" by:friday effort 2h', "Did you mean `effort:2h`?")
    said = refuse(town, "bob", 'commit "Deliver leaflets" by:friday by friday', "I didn't understand")
    assert "Did you mean" not in said, "by: is given already"


def test_an_option_of_several_words_without_its_quotes_is_pointed_to(town: Chat) -> None:
    refuse(town, "bob", 'commit "Deliver leaflets" by:next friday effort:2h',
           "I didn't understand `friday` at the end. Did you mean `by:\"next friday\"`, in quotes?")
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    refuse(town, "bob", "edit 1 by:end of next week", 'Did you mean `by:"end of next week"`, in quotes?')
    said = refuse(town, "bob", 'edit 1 by:"next friday" soon', "I didn't understand `soon` at the end.")
    assert "Did you mean" not in said, "the quoted value ended where its quote did"


def test_gibberish_command_points_to_help(town: Chat) -> None:
    text = refuse(town, "bob", "xyzzy plugh", "I don't know `xyzzy`", "`help`")
    assert "Did you mean" not in text


def test_first_word_of_a_family_lists_its_commands(town: Chat) -> None:
    refuse(town, "alice", "member @bob", "`member` needs one more word", "`member add @name`", "`member remove @name`")


def test_empty_message_says_to_type_a_command(town: Chat) -> None:
    refuse(town, "bob", "   ", "`help`")


# Missing and extra arguments


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("commit", "Say the commitment"),
        ('commit "Deliver leaflets"', "Say by when, like `by:friday`"),
        ("done", "Say which commitment, by its number"),
        ("drop 1", "Say the reason for dropping it"),
        ("reassign 1", "Say who: who takes it over, as `@name`"),
        ("concern", "Say the concern"),
        ("discuss 1", "Say the note"),
        ("priority", "Say the priority"),
        ("commitments", "Say who: whose commitments, as `@name`"),
        ("flex who", "Say which kind of flexibility (time, money, priorities, resources)"),
        ("flex withdraw", "Say which offer, by its number"),
        ("tz", "Say which time zone"),
    ],
)
def test_missing_argument_says_what_is_missing(town: Chat, command: str, expected: str) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", 'concern "Budget split"')
    refuse(town, "bob", command, expected)


def test_option_without_value_asks_for_one(town: Chat) -> None:
    refuse(town, "bob", 'commit "Deliver leaflets" by:', "`by:` needs a value, like `by:something`")


def test_option_given_twice_is_refused(town: Chat) -> None:
    refuse(town, "bob", 'commit "Deliver leaflets" by:friday by:monday', "`by:` is given twice")


@pytest.mark.parametrize(
    ("command", "leftover"),
    [
        ("done 1 2", "`2`"),
        ("partnership now", "`now`"),
        ("members please", "`please`"),
        ("load all", "`all`"),
        ("overdue today", "`today`"),
        ('drop 1 "Venue cancelled" really', "`really`"),
        ('reopen 1 "New facts" and more', "`and more`"),
    ],
)
def test_extra_words_are_refused_not_ignored(town: Chat, command: str, leftover: str) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", 'concern "Budget split"')
    town.ok("alice", 'resolve 1 "Agreed"')
    refuse(town, "bob", command, "I didn't understand", leftover, "at the end")


def test_unknown_option_is_refused_and_lists_the_real_ones(town: Chat) -> None:
    refuse(town, "bob", 'commit "Deliver leaflets" by:friday efort:3h',
           "`efort:` isn't an option here", "`by:`", "`effort:`")
    assert all_of(town.sessions, Commitment) == []


def test_text_with_a_colon_that_is_not_an_option_stays_text(town: Chat) -> None:
    out = town.ok("bob", 'commit "Budget: print 500 leaflets" by:friday')
    assert "Budget: print 500 leaflets" in out


# Unknown choices


@pytest.mark.parametrize(
    ("user", "command", "expected"),
    [
        ("alice", 'setup "Hill Towns" kind:club', "`club` isn't a partnership kind. Choose one of: steering-group"),
        ("alice", 'setup "Hill Towns" kind:task-force formality:casual', "`casual` isn't a formality"),
        ("alice", 'setup "Hill Towns" kind:task-force review:weekly', "`weekly` isn't a review cadence"),
        ("dave", 'join org:"Parish Church" sector:church', "`church` isn't a sector. Choose one of: public, private"),
        ("bob", 'concern "Budget split" severity:urgent', "`urgent` isn't a severity. Choose one of: low, medium, high"),
        ("bob", 'concern "Budget split" kind:money', "`money` isn't a concern kind. Choose one of: priorities"),
        ("bob", 'flex cake "Two evenings"', "`cake` isn't a kind of flexibility. Choose one of: time, money"),
        ("alice", "member role @bob boss", "`boss` isn't a role. Choose one of: coordinator, member, observer"),
        ("alice", "member add @dave role:boss", "`boss` isn't a role"),
        ("bob", "tz Mars/Olympus", "`Mars/Olympus` isn't a time zone I know"),
    ],
)
def test_unknown_choice_names_the_valid_ones(town: Chat, user: str, command: str, expected: str) -> None:
    refuse(town, user, command, expected)


# Numbers and ids


def test_done_with_a_word_instead_of_a_number(town: Chat) -> None:
    refuse(town, "bob", "done abc", "`abc` isn't a commitment number", "like `12`")


def test_done_with_a_number_that_does_not_exist(town: Chat) -> None:
    refuse(town, "bob", "done 99999", "There is no commitment #99999 in Riverside Partnership", "`who`")


def test_id_too_long_to_be_a_number_is_refused(town: Chat) -> None:
    refuse(town, "bob", "done 12345678901234567890", "isn't a commitment number")


def test_negative_id_is_refused(town: Chat) -> None:
    refuse(town, "bob", "done -1", "isn't a commitment number")


def test_quoted_number_is_not_an_id(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    refuse(town, "bob", 'done "1"', "isn't a commitment number")


@pytest.fixture
def two_partnerships(town: Chat) -> Chat:
    """Riverside in #general with a commitment and a concern; Hill Towns in #hills with its own."""
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", 'concern "Budget split"')
    town.ok("bob", 'flex time "Two evenings"')
    town.channel = "hills"
    town.ok("dave", 'setup "Hill Towns" kind:task-force')
    town.ok("erin", 'join org:"Hill Farmers" sector:private')
    town.ok("erin", 'commit "Survey the bus stops" by:friday')
    town.ok("erin", 'concern "Bus timetable"')
    town.ok("erin", 'flex money "£200"')
    town.channel = "general"
    return town


@pytest.mark.parametrize(
    ("user", "command", "expected"),
    [
        ("alice", "done 2", "There is no commitment #2 in Riverside Partnership"),
        ("alice", 'drop 2 "Not ours"', "There is no commitment #2 in Riverside Partnership"),
        ("alice", "reassign 2 @bob", "There is no commitment #2 in Riverside Partnership"),
        ("alice", "concerns 2", "There is no concern #2 in Riverside Partnership"),
        ("alice", 'discuss 2 "Hello"', "There is no concern #2 in Riverside Partnership"),
        ("alice", 'resolve 2 "Agreed"', "There is no concern #2 in Riverside Partnership"),
        ("bob", "flex withdraw 2", "There is no offer #2 in Riverside Partnership"),
        ("alice", "commitments @erin", "@erin isn't a member of Riverside Partnership"),
    ],
)
def test_ids_of_another_partnership_are_not_found(two_partnerships: Chat, user: str, command: str, expected: str) -> None:
    refuse(two_partnerships, user, command, expected)
    hills_commitment = all_of(two_partnerships.sessions, Commitment)[1]
    assert hills_commitment.title == "Survey the bus stops" and hills_commitment.status.value == "open"
    assert all_of(two_partnerships.sessions, Concern)[1].status.value == "open"


@pytest.mark.parametrize(
    "command",
    ['commit @nobody "Book the hall" by:friday', "reassign 1 @nobody", "member role @nobody member",
     "member remove @nobody", "commitments @nobody"],
)
def test_non_member_mention_is_refused(town: Chat, command: str) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    refuse(town, "alice", command, "@nobody isn't a member of Riverside Partnership", "`members`")


def test_bare_at_sign_asks_who(town: Chat) -> None:
    refuse(town, "alice", "member remove @", "Say who", "`@name`")


# Dates


@pytest.mark.parametrize("when", ["someday-ish", "soonish", "the-twelfth-of-never"])
def test_unreadable_date_is_refused_with_examples(town: Chat, when: str) -> None:
    refuse(town, "bob", f'commit "Deliver leaflets" by:{when}', f"I can't read `{when}` as a date", "`2026-12-01`", "`friday`")


def test_impossible_iso_date_is_refused(town: Chat) -> None:
    refuse(town, "bob", 'commit "Deliver leaflets" by:2026-02-30', "`2026-02-30` isn't a real date")


@pytest.mark.parametrize(("when", "shown"), [("2020-01-01", "Wed 1 Jan 2020"), ("yesterday", "Mon 23 Nov")])
def test_date_in_the_past_is_refused(town: Chat, when: str, shown: str) -> None:
    refuse(town, "bob", f'commit "Deliver leaflets" by:{when}', f"{shown} is in the past", "`tomorrow`")


@pytest.mark.parametrize("when", ["32", "5", "100"])
def test_bare_number_is_not_read_as_a_year(town: Chat, when: str) -> None:
    refuse(town, "bob", f'commit "Deliver leaflets" by:{when}', f"`{when}` on its own isn't a date", f"`in {when} days`")


def test_date_years_away_is_refused(town: Chat) -> None:
    refuse(town, "bob", 'commit "Deliver leaflets" by:2035-01-01', "more than five years away")


def test_bad_effort_is_refused(town: Chat) -> None:
    refuse(town, "bob", 'commit "Deliver leaflets" by:friday effort:lots', "`lots` isn't a number of hours", "`3h`")


def test_bad_capacity_is_refused(town: Chat) -> None:
    refuse(town, "dave", 'join org:"Youth Club" sector:community capacity:loads', "`loads` isn't a number of hours")


# Size, quotes and control characters


def test_ten_thousand_character_message_is_refused(town: Chat) -> None:
    text = refuse(town, "bob", "x" * 10_000, "10,000 characters", f"under {MAX_INPUT:,}", example=False)
    assert "Shorten" in text


def test_ten_thousand_character_field_is_refused(town: Chat) -> None:
    text = refuse(town, "bob", f'commit "{"a" * 10_000}" by:friday', "characters", example=False)
    assert "Shorten" in text
    assert all_of(town.sessions, Commitment) == []


def test_overlong_title_in_a_short_message_is_refused(town: Chat) -> None:
    refuse(town, "bob", f'commit "{"a" * 1000}" by:friday', "That commitment is 1,000 characters",
           f"keep it under {MAX_TITLE}")


def test_overlong_single_option_value_is_refused(town: Chat) -> None:
    refuse(town, "alice", f'partnership edit purpose:"{"p" * 3000}"', "That purpose is 3,000 characters")


def test_unbalanced_quote_is_refused(town: Chat) -> None:
    refuse(town, "bob", 'commit "Deliver leaflets by:friday', 'A quote is missing its closing `"`', '`"like this"`')


def test_only_control_characters_is_an_empty_message(town: Chat) -> None:
    refuse(town, "bob", "\x00\x07\x1b\u202e", "`help`")


def test_control_characters_inside_a_command_word_break_it(town: Chat) -> None:
    refuse(town, "bob", 'com\x00mit "Deliver leaflets" by:friday', "I don't know `com`")


def test_control_and_direction_characters_never_reach_the_database(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver\x00 500\u202e leaflets\x1b[31m\x1b]0;owned\x07" by:friday')
    [stored] = all_of(town.sessions, Commitment)
    assert stored.title == "Deliver 500 leaflets"


def test_characters_that_take_no_room_are_taken_out_not_made_spaces(town: Chat) -> None:
    """A zero-width space made "Lea flets", which the duplicate-title question did not see as "Leaflets"."""
    town.ok("bob", 'commit "Leaflets" by:friday')
    refuse(town, "bob", 'commit "Lea\u200bflets\u2060" by:friday', "#1 Leaflets is already open")
    town.ok("bob", 'commit "Lea\u200bflets\ufeff for the \u200fmarket" by:friday')
    assert all_of(town.sessions, Commitment)[-1].title == "Leaflets for the market"


def test_curly_quotes_from_phones_work_like_straight_ones(town: Chat) -> None:
    out = town.ok("bob", "commit \u201cDeliver 500 leaflets\u201d by:friday")
    assert "#1 Deliver 500 leaflets" in out


def test_refused_command_by_a_stranger_creates_no_person(town: Chat) -> None:
    refuse(town, "zed", 'commit "Deliver leaflets" by:friday', "You're not a member of Riverside Partnership yet", "`join")


def test_a_refusal_quoting_a_line_break_stays_one_line(town: Chat) -> None:
    """Found by the hostile-text test: the typed text was quoted back with its line break."""
    refuse(town, "bob", 'concern "Parking" "one\ntwo"', "I didn't understand `one two` at the end")


def test_a_missing_or_long_clause_reads_as_a_sentence(town: Chat) -> None:
    """`review close continue` said "Say the what you decided, in quotes."; `review close maybe`
    said "isn't a outcome"."""
    town.ok("alice", "review start")
    refuse(town, "alice", "review close continue", "Say what you decided, in quotes.")
    refuse(town, "alice", f'review close continue "{"x" * 2500}"', "What you decided is 2,500 characters; keep it under")
    refuse(town, "bob", "commit by:friday", "Say the commitment, in quotes.")
    refuse(town, "alice", 'review close maybe "Fine"', "`maybe` isn't an outcome.")
    refuse(town, "bob", "flex withdraw abc", "`abc` isn't an offer number")
