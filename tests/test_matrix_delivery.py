"""Nudges in Matrix: a person's arrive in a direct room made on first need and reused after,
digests in the partnership's room; sent by the running bot or by `partnerbot tick`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import scheduler
from bot.matrix.app import delivery
from storage.models import MatrixDirectRoom
from tests.matrix_homeserver import Homeserver, Person, RunningBot, matrix_settings

pytest_plugins = ("tests.matrix_fixtures",)


def invites(person: Person) -> dict[str, bool]:
    """Rooms the person is newly invited to, and whether each invitation is a direct chat."""
    found: dict[str, bool] = {}
    for room_id, info in person.sync(timeout=0).rooms.invite.items():
        found[room_id] = any(getattr(e, "content", {}).get("is_direct") for e in info.invite_state
                             if getattr(e, "state_key", None) == person.mxid)
    return found


def notices(person: Person, room_id: str, bot: str) -> list[str]:
    return [e["content"]["body"] for e in person.history(room_id)
            if e["sender"] == bot and e["type"] == "m.room.message" and e["content"].get("msgtype") == "m.notice"]


def test_nudges_go_to_a_direct_room_made_once_and_digests_to_the_partnership_room(
        homeserver: Homeserver, people: Callable[[str], Person], start_bot: Callable[..., RunningBot],
        bot_account: str, sessions: sessionmaker[Session]) -> None:
    bot = start_bot()
    alice = people("alice")
    room = alice.room_with_bot(bot_account)
    alice.ask(room, '!partner setup "Riverside Partnership" kind:task-force', bot_account)
    alice.ask(room, '!partner join org:"Town Council" sector:public', bot_account)
    alice.ask(room, '!partner commit "Book the hall" by:"in 10 days"', bot_account)

    # Nine days on, at noon: the hall is due soon (to Alice), and the week's digest is due (to the room).
    later = datetime.combine(datetime.now(UTC).date() + timedelta(days=9), time(12), tzinfo=UTC)
    report = scheduler.sweep(sessions, bot.bot.delivery, "matrix", now=later)
    assert report.failed == 0 and len(report.sent) == 2
    direct = alice.wait("the bot's direct message", lambda: invites(alice))
    [(dm, is_direct)] = direct.items()
    assert is_direct
    alice.join(dm)
    [reminder] = notices(alice, dm, bot_account)
    assert "Reminders from partnerbot" in reminder and "Book the hall is due" in reminder
    assert "`!partner done 1`" in reminder
    assert any("The week in Riverside Partnership" in n for n in notices(alice, room, bot_account))

    # In the direct room no prefix is needed.
    mine = alice.ask(dm, "mine", bot_account)
    assert "Book the hall" in mine["body"]

    # Two days later it is overdue; `partnerbot tick` (a connection of its own) sends to the same room.
    bot.stop()
    tick = delivery(matrix_settings(homeserver, bot_account, sessions), sessions)
    report = scheduler.sweep(sessions, tick, "matrix", now=later + timedelta(days=2))
    assert report.failed == 0 and [m.recipient for m in report.sent if m.user_id] == ["@Alice"]
    assert invites(alice) == {}
    assert "Book the hall was due" in notices(alice, dm, bot_account)[-1]
    with sessions() as session:
        assert session.scalars(select(MatrixDirectRoom.room_id)).all() == [dm]


def test_a_sign_in_link_goes_to_a_direct_room_not_the_shared_one(
        people: Callable[[str], Person], start_bot: Callable[..., RunningBot], bot_account: str,
        sessions: sessionmaker[Session]) -> None:
    start_bot()
    alice, bob = people("alice"), people("bob")
    room = alice.room_with_bot(bot_account, bob.mxid)
    bob.join(room)
    alice.ask(room, '!partner setup "Riverside Partnership" kind:task-force', bot_account)
    pointer = alice.ask(room, "!partner dashboard", bot_account)
    assert "direct message" in pointer["body"] and "/signin/" not in pointer["body"]
    assert not any("/signin/" in n for n in notices(bob, room, bot_account))  # Bob never sees the link
    with sessions() as session:  # the room the bot made for Alice (her client saw the invitation while asking)
        dm = session.scalars(select(MatrixDirectRoom.room_id)).one()
    alice.join(dm)
    [link] = notices(alice, dm, bot_account)
    assert "/signin/" in link and "works once" in link
