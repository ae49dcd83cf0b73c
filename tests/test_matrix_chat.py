"""Commands in a Matrix room, over a real Synapse: the answers people see, threaded on their
message, as notices with HTML and a plain-text body; chatter, the bot's own messages and
what was said before it started are left alone."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Commitment, Concern, ConcernStatus, Member
from storage.models import Person as PersonRow
from tests.matrix_homeserver import HTML, Homeserver, Person, RunningBot

pytest_plugins = ("tests.matrix_fixtures",)


def pill(user: str, name: str) -> str:
    return f'<a href="https://matrix.to/#/{user}">{name}</a>'


def test_a_partnership_is_run_from_a_room(people: Callable[[str], Person], start_bot: Callable[..., RunningBot],
                                          bot_account: str, sessions: sessionmaker[Session]) -> None:
    start_bot()
    alice, bob = people("alice"), people("bob")
    room = alice.room_with_bot(bot_account, bob.mxid)
    bob.join(room)

    setup = alice.ask(room, '!partner setup "Riverside Partnership" kind:task-force', bot_account)
    assert setup["msgtype"] == "m.notice" and setup["format"] == HTML
    assert "<strong>Riverside Partnership is set up</strong>" in setup["formatted_body"]
    assert "Riverside Partnership is set up" in setup["body"] and "<" not in setup["body"]

    alice.ask(room, '!partner join org:"Town Council" sector:public capacity:6h', bot_account)
    joined = bob.ask(room, '!partner join org:"Chamber of Trade" sector:private capacity:4h volunteer', bot_account)
    assert "Chamber of Trade" in joined["body"]
    committed = bob.ask(room, '!partner commit "Deliver 500 leaflets" by:"in 2 weeks" effort:3h', bot_account)
    assert "#1 Deliver 500 leaflets" in committed["body"]
    # Element's mention pill is Bob as a member: the coordinator logs a commitment for him.
    for_bob = alice.ask(room, f'!partner commit {bob.mxid} "Book the hall" by:"in 3 weeks"', bot_account,
                        html=f'!partner commit {pill(bob.mxid, "Bob")} "Book the hall" by:"in 3 weeks"')
    assert "#2 Book the hall" in for_bob["body"]
    who = alice.ask(room, "!partner who leaflets", bot_account)
    assert "Deliver 500 leaflets" in who["body"] and "Bob" in who["body"]
    concern = bob.ask(room, '!partner concern "The budget split favours the council" kind:priorities', bot_account)
    assert "#1" in concern["body"]
    resolved = alice.ask(room, '!partner resolve 1 "Split 50/50 from April"', bot_account)
    assert "Split 50/50 from April" in resolved["body"]
    # Someone who has never written to the bot is named from their Matrix profile.
    carol = people("carol")
    added = alice.ask(room, f'!partner member add {carol.mxid} org:"Riverside Trust" sector:voluntary', bot_account)
    assert added["body"].startswith("Carol (Riverside Trust) is now a member of")

    with sessions() as session:
        bob_row = session.scalars(select(PersonRow).where(PersonRow.user_id == bob.mxid[1:])).one()
        assert (bob_row.platform, bob_row.workspace, bob_row.display_name) == ("matrix", "localhost", "Bob")
        assert {c.title: c.owner.person_id for c in session.scalars(select(Commitment))} == {
            "Deliver 500 leaflets": bob_row.id, "Book the hall": bob_row.id}
        assert session.scalars(select(Concern.status)).all() == [ConcernStatus.RESOLVED]
        assert len(session.scalars(select(Member)).all()) == 3


def test_replies_thread_on_the_command_and_refusals_say_what_to_type(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str) -> None:
    start_bot()
    alice = people("alice")
    room = alice.room_with_bot(bot_account)

    asked = alice.say(room, "!partner comit Book the hall")
    typo = alice.answer(room, asked, bot_account)
    assert typo["m.relates_to"] == {"m.in_reply_to": {"event_id": asked}}
    assert typo["body"].startswith("⚠️ I don't know `comit`. Did you mean `!partner commit`?")
    assert "<code>!partner commit</code>" in typo["formatted_body"]

    root = alice.say(room, "Shall we plan the fair?")
    in_thread = alice.say(room, "!partner partnerships", thread=root)
    answer = alice.answer(room, in_thread, bot_account)
    assert answer["m.relates_to"]["rel_type"] == "m.thread" and answer["m.relates_to"]["event_id"] == root
    assert answer["m.relates_to"]["m.in_reply_to"] == {"event_id": in_thread}

    huge = alice.ask(room, "!partner concern " + "x" * 10_000, bot_account)
    assert huge["body"].startswith("⚠️ That message is 10,0") and "Traceback" not in huge["body"]
    mention = alice.ask(room, f"{bot_account}: help", bot_account)
    assert "commit" in mention["body"]
    alice.say(room, "Thanks all, see you Tuesday")
    last = alice.ask(room, "!partner", bot_account)  # the prefix alone is `help`
    assert "setup" in last["body"]
    replies = alice.replies(room, bot_account)
    assert sum(len(r) for r in replies.values()) == 5  # no answer to chatter, none twice


def test_history_and_the_bots_own_messages_are_not_answered(
        homeserver: Homeserver, people: Callable[[str], Person], start_bot: Callable[..., RunningBot],
        bot_account: str) -> None:
    alice = people("alice")
    room = alice.create_room(bot_account)
    before = alice.say(room, "!partner help")  # before the bot ever started
    bot = start_bot()
    alice.wait("the bot to join", lambda: bot_account in alice.members(room))
    # The bot's account typing from another device (a person logged in as the bot, say).
    same_account = Person(homeserver, "bot", homeserver.log_in(bot_account))
    try:
        own = same_account.say(room, "!partner help")
    finally:
        same_account.close()
    after = alice.say(room, "!partner help")
    alice.answer(room, after, bot_account)
    replies = alice.replies(room, bot_account)
    assert before not in replies and own not in replies
    assert bot.failure is None
