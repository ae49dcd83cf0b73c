"""Two people acting on the same thing at the same moment: one succeeds, the other is told why not.

Each race runs real commands in real threads released together by a barrier, on SQLite and
(with PARTNERBOT_TEST_DATABASE_URL) PostgreSQL, and then reads what the database holds.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from handlers import Reply
from handlers.dispatch import BROKEN, CLASH
from handlers.reopen_codes import code_hash
from storage import queries
from storage.database import take_write_lock
from storage.models import Commitment, CommitmentStatus, Concern, ConcernStatus, Decision, Event, Member, Partnership, Role
from tests.anonymity import REOPEN_CODE
from tests.conftest import Chat


def at_once(chat: Chat, *commands: tuple[str, str]) -> list[Reply]:
    """Run each (user, command) in its own thread, all released at the same instant."""
    return at_once_in(*((chat, user, text) for user, text in commands))


def at_once_in(*commands: tuple[Chat, str, str]) -> list[Reply]:
    """Like `at_once`, each (chat, user, command) typed where its chat is (a shared room, a DM)."""
    barrier = threading.Barrier(len(commands))
    replies: list[Reply | None] = [None] * len(commands)

    def run(i: int, chat: Chat, user: str, text: str) -> None:
        barrier.wait()
        replies[i] = chat.say(user, text)

    threads = [threading.Thread(target=run, args=(i, *said)) for i, said in enumerate(commands)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(r is not None for r in replies), "a command never answered"
    return [r for r in replies if r is not None]


def one_wins(replies: list[Reply]) -> tuple[int, Reply]:
    """Exactly one reply is a success: its index, and the refusal the other person saw."""
    winners = [i for i, r in enumerate(replies) if not r.error]
    assert len(winners) == 1, [r.plain() for r in replies]
    loser = replies[1 - winners[0]]
    assert "Traceback" not in loser.plain() and "Try again" not in (loser.text or ""), loser.text
    return winners[0], loser


def count(sessions: sessionmaker[Session], *where: object, model: type = Event) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_two_people_marking_one_commitment_done_get_one_success_and_a_named_refusal(town: Chat) -> None:
    for n in range(1, 41):
        town.ok("bob", f'commit "Task {n}" by:friday')
        winner, refusal = one_wins(at_once(town, ("bob", f"done {n}"), ("alice", f"done {n}")))
        assert f"#{n} was already marked done by {['Bob', 'Alice'][winner]}" in (refusal.text or "")
    assert count(town.sessions, Event.action == "done") == 40


def test_done_and_drop_at_once_leave_one_ending(town: Chat) -> None:
    for n in range(1, 11):
        town.ok("bob", f'commit "Task {n}" by:friday')
        winner, refusal = one_wins(at_once(town, ("bob", f"done {n}"), ("alice", f'drop {n} "Not needed"')))
        with town.sessions() as session:
            status = session.get(Commitment, n).status  # type: ignore[union-attr]
        assert status is [CommitmentStatus.DONE, CommitmentStatus.DROPPED][winner]
        assert "was already" in (refusal.text or "")
    assert count(town.sessions, Event.action.in_(["done", "drop"])) == 10


def test_done_and_reassign_at_once_never_hand_over_finished_work(town: Chat) -> None:
    for n in range(1, 11):
        town.ok("bob", f'commit "Task {n}" by:friday')
        winner, _ = one_wins(at_once(town, ("bob", f"done {n}"), ("alice", f"reassign {n} @carol")))
        with town.sessions() as session:
            c = session.get(Commitment, n)
            assert c is not None
            assert (c.status, c.owner.person.user_id) == [(CommitmentStatus.DONE, "bob"),
                                                          (CommitmentStatus.OPEN, "carol")][winner]


def test_an_accept_and_a_redirect_at_once_end_as_one_order_or_the_other(town: Chat) -> None:
    town.ok("dave", "join org:Library sector:public")
    for n in range(1, 11):
        town.ok("bob", f'commit "Task {n}" by:friday')
        town.ok("bob", f"reassign {n} @carol")
        accepted, redirected = at_once(town, ("carol", f"accept {n}"), ("alice", f"reassign {n} @dave"))
        assert not redirected.error, redirected.text
        with town.sessions() as session:
            c = session.get(Commitment, n)
            assert c is not None and c.handover_from_id is not None
            held = (c.owner.person.user_id, session.get(Member, c.handover_from_id).person.user_id)  # type: ignore[union-attr]
        # Carol's accept first: the work was hers to hand on; the redirect first: her accept is
        # refused, and a decline would return it to Bob.
        assert held == (("dave", "bob") if accepted.error else ("dave", "carol")), (accepted.text, held)
        if accepted.error:
            assert "was handed to Dave, not to you" in (accepted.text or "")


def new_partnership(chat: Chat, i: int) -> str:
    """A partnership of its own in channel c<i>, coordinated by alice and bob; its channel."""
    channel = f"c{i}"
    for user, text in (("alice", f'setup "Partnership {i}" kind:task-force'), ("alice", "join sector:public"),
                       ("bob", "join sector:private"), ("alice", "member role @bob coordinator")):
        reply = chat.say(user, text, channel=channel)
        assert not reply.error, reply.text
    return channel


def coordinators(sessions: sessionmaker[Session]) -> dict[int, int]:
    """Active coordinators per partnership."""
    with sessions() as session:
        rows = session.execute(select(Member.partnership_id, func.count()).where(
            Member.role == Role.COORDINATOR, Member.left_at.is_(None)).group_by(Member.partnership_id))
        return {pid: n for pid, n in rows}


def racing(chat: Chat, channel: str, *commands: tuple[str, str]) -> list[Reply]:
    """Like `at_once`, in one channel."""
    return at_once(Chat(chat.sessions, chat.now, channel=channel), *commands)


def test_two_coordinators_leaving_at_once_leave_one(chat: Chat) -> None:
    for i in range(10):
        channel = new_partnership(chat, i)
        _, refusal = one_wins(racing(chat, channel, ("alice", "leave"), ("bob", "leave")))
        assert "only coordinator" in (refusal.text or "")
    assert set(coordinators(chat.sessions).values()) == {1}


def test_two_coordinators_demoting_each_other_at_once_leave_one(chat: Chat) -> None:
    for i in range(10):
        channel = new_partnership(chat, i)
        one_wins(racing(chat, channel, ("alice", "member role @bob member"), ("bob", "member role @alice member")))
    assert set(coordinators(chat.sessions).values()) == {1}


def test_a_member_removed_while_committing_keeps_no_open_commitment(town: Chat) -> None:
    for i in range(10):
        user = f"dave{i}"
        town.ok(user, "join sector:community")
        winner, refusal = one_wins(at_once(town, (user, f'commit "Job {i}" by:friday'),
                                           ("alice", f"member remove @{user}")))
        assert ("still holds" if winner == 0 else "not a member") in (refusal.text or "")
    with town.sessions() as session:
        stranded = session.scalars(select(Commitment).join(Member, Commitment.owner_id == Member.id).where(
            Commitment.status == CommitmentStatus.OPEN, Member.left_at.is_not(None))).all()
    assert stranded == []


def test_withdraw_and_close_at_once_settle_a_decision_once(town: Chat) -> None:
    for n in range(1, 11):
        town.ok("bob", f'propose "Plan {n}" closes:friday')
        town.ok("carol", f"agree {n}")
        winner, refusal = one_wins(at_once(town, ("bob", f"withdraw {n}"), ("alice", f'close {n} "We have heard enough"')))
        assert "already" in (refusal.text or "") and "a settled decision doesn't change" in (refusal.text or "")
        with town.sessions() as session:
            d = session.get(Decision, n)
            assert d is not None
            assert (d.status.value == "withdrawn") == (winner == 0)
    assert count(town.sessions, Event.action.in_(["decision-close", "decision-withdraw"])) == 10


@pytest.mark.parametrize(("setup", "first", "second"), [
    ([("bob", 'concern "The hall is too small"')], ("alice", 'resolve 1 "Book the library"'),
     ("alice", 'resolve 1 "Book the church"')),
    ([("bob", 'flex time "Two evenings"')], ("bob", "flex withdraw 1"), ("bob", "flex withdraw 1")),
    ([("alice", "review start")], ("alice", 'review close continue "Keep going"'),
     ("alice", 'review close change-course "Slow down"')),
    ([], ("alice", "review start"), ("alice", "review start")),
    ([], ("alice", "member remove @carol"), ("alice", "member remove @carol")),
    ([("alice", "partnership edit joining:approval")], ("dave", "join sector:community"),
     ("dave", "join sector:community")),
    ([("alice", "member role @bob coordinator"), ("alice", "partnership edit joining:approval"),
      ("dave", "join sector:community")], ("alice", "approve @dave"), ("bob", 'decline @dave "We are full"')),
    ([("bob", 'commit "Book the hall" by:friday'), ("bob", "done 1")], ("bob", 'reopen 1 "Not booked after all"'),
     ("alice", 'reopen 1 "The hall cancelled"')),
    ([("bob", 'concern "The hall is too small"'), ("alice", 'resolve 1 "Book the library"')],
     ("bob", 'reopen concern 1 "The library is shut"'), ("alice", 'reopen concern 1 "Still too small"')),
    ([("alice", "review start"), ("alice", 'review close wind-up "The funding ended"')],
     ("alice", 'partnership reopen "New funding"'), ("alice", 'partnership reopen "The council stepped in"')),
    ([("alice", 'propose "Sell the hall" closes:"in 4 days"'), ("alice", 'partnership wind-up "The funding ended"')],
     ("alice", 'partnership reopen "New funding"'), ("alice", 'partnership reopen "The council stepped in"')),
    ([("bob", 'concern "The hall is too small"'), ("alice", 'partnership wind-up "The funding ended"')],
     ("alice", 'resolve 1 "Book the library"'), ("alice", 'resolve 1 "Book the church"')),
    ([("bob", 'commit "Book the hall" by:friday')], ("alice", "reassign 1 @alice"), ("alice", "reassign 1 @alice")),
    ([("alice", "member role @bob coordinator"),
      ("alice", 'goal "Footfall up" measure:"count" baseline:1200 target:1320 by:"in 9 months"'),
      ("alice", 'goal drop 1 "The market moved"')],
     ("alice", 'reopen goal 1 "Dropped by mistake"'), ("bob", 'reopen goal 1 "We still count it"')),
], ids=["resolve", "flex-withdraw", "review-close", "review-start", "remove", "join-request", "approve-decline",
        "commitment-reopen", "concern-reopen", "partnership-reopen", "reopen-paused-proposal", "resolve-wound-up",
        "take-over", "goal-reopen"])
def test_the_same_change_twice_at_once_happens_once(town: Chat, setup: list[tuple[str, str]], first: tuple[str, str],
                                                     second: tuple[str, str]) -> None:
    for user, text in setup:
        town.ok(user, text)
    before = count(town.sessions)
    one_wins(at_once(town, first, second))
    assert count(town.sessions) == before + 1, "exactly one change was logged"


def test_a_response_and_a_close_at_once_are_counted_or_refused_never_lost(town: Chat) -> None:
    for n in range(1, 11):
        town.ok("bob", f'propose "Plan {n}" closes:friday')
        town.ok("alice", f"agree {n}")
        town.ok("bob", f"agree {n}")
        response, closing = at_once(town, ("carol", f'block {n} "Not like this"'),
                                    ("alice", f'close {n} "We have heard enough"'))
        assert not closing.error, closing.text
        outcome = decision_outcome(town, n)
        if response.error:
            assert "already passed on" in (response.text or "") and "did not respond: Carol" in outcome
        else:
            assert "FAILED" in closing.plain() and "Blocked by Carol (Riverside Trust): Not like this" in outcome


def decision_outcome(chat: Chat, number: int) -> str:
    with chat.sessions() as session:
        d = session.get(Decision, number)
        assert d is not None
        return d.outcome or ""


def test_two_commitments_logged_at_once_get_numbers_one_and_two(town: Chat) -> None:
    replies = at_once(town, ("bob", 'commit "Deliver leaflets" by:friday'), ("carol", 'commit "Book the hall" by:friday'))
    assert not any(r.error for r in replies), [r.plain() for r in replies]
    with town.sessions() as session:
        numbers = {t: n for t, n in session.execute(select(Commitment.title, Commitment.number))}
    assert sorted(numbers.values()) == [1, 2]
    for reply in replies:
        title = next(t for t in numbers if t in reply.plain())
        assert f"#{numbers[title]} {title}" in reply.plain()


def test_reading_takes_no_lock_so_it_answers_while_a_change_holds_the_partnership(town: Chat) -> None:
    """`flex` alone only lists, and `dates` alone only shows: neither waits for a change in
    progress. (Typed with words, both change things, and take the lock like any change.)"""
    town.ok("carol", 'flex time "Two extra evenings"')
    release, held = threading.Event(), threading.Event()

    def hold() -> None:  # what a changing command holds: the database's write lock on SQLite, the row on PostgreSQL
        with town.sessions.begin() as session:
            take_write_lock(session)
            queries.lock(session, Partnership, 1)
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(30)
        with ThreadPoolExecutor(2) as pool:
            listing, order = pool.submit(town.say, "bob", "flex"), pool.submit(town.say, "bob", "dates")
            assert 'Carol (Riverside Trust): "Two extra evenings"' in listing.result(timeout=10).plain()
            assert "You write dates day first" in (order.result(timeout=10).text or "")
    finally:
        release.set()
        holder.join(30)
    town.ok("bob", 'flex money "Up to £200"')
    assert count(town.sessions, Event.action == "flex") == 2


def test_a_code_typed_in_the_open_and_used_from_a_dm_at_once_serves_one_of_them_once(town: Chat) -> None:
    """Carol pastes her reopen code in the shared room as bob, who read it, sends it from his DM:
    the code is spent once, by one of them, and only that one holds the next code."""
    spent_in_the_open = 0
    for n in range(1, 21):
        town.advance(days=1)  # a lost race counts a wrong code: each round on a day of its own
        room = replace(town, private=False)
        raised = town.say("carol", f'concern "Worry {n}" anonymous')
        code = REOPEN_CODE.search(raised.private_note or "")
        assert code is not None and not town.say("alice", f'resolve {n} "Agreed"').error
        said = [(room, "carol", f'reopen concern {n} "Still" code:{code.group(1)}'),
                (town, "bob", f'reopen concern {n} "Hijacked" code:{code.group(1)}')]
        # Each started first in turn, as whichever thread starts first tends to win.
        pasted, used = at_once_in(*said) if n % 2 else reversed(at_once_in(*reversed(said)))
        fresh = [REOPEN_CODE.search(r.private_note or "") for r in (pasted, used)]
        [holder] = [found.group(1) for found in fresh if found is not None]
        assert pasted.error and all(r.text not in (CLASH, BROKEN) for r in (pasted, used))
        with town.sessions() as session:
            concern = session.scalars(select(Concern).where(Concern.number == n)).one()
            assert concern.reopen_code_hash == code_hash(holder)
            # Spent in the open first: bob's try is refused and nothing reopens; else bob won the race.
            assert (concern.status is ConcernStatus.RESOLVED) == used.error
        if used.error:
            assert "does not work for concern" in (used.text or "") and fresh[0] is not None
            spent_in_the_open += 1
    assert spent_in_the_open, "bob always got in first: the code typed in the open was never spent"
