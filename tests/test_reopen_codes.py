"""Reopen codes cannot be guessed: long, counted when wrong (per concern and per person, in
the database, across processes and restarts, raced on SQLite and PostgreSQL), good for one
reopening, after which the raiser alone gets the next; asking without one says one exists."""

from __future__ import annotations

import threading

from sqlalchemy import select

from handlers import Actor, handle
from handlers.reopen_codes import PER_CONCERN, PER_PERSON, code_hash
from storage.database import make_engine, session_factory
from storage.models import CodeAttempts, Concern, ConcernStatus, Event, Person
from tests.anonymity import REOPEN_CODE, rows, traces
from tests.conftest import Chat
from tests.test_bad_input import all_of


def raised(town: Chat, title: str = "Meetings clash with school pick-up") -> str:
    """Carol raises a concern anonymously, a coordinator resolves it; her code."""
    reply = town.say("carol", f'concern "{title}" anonymous')
    code = REOPEN_CODE.search(reply.private_note or "")
    assert code is not None, reply.private_note
    number = max(c.number for c in all_of(town.sessions, Concern))
    town.ok("alice", f'resolve {number} "Agreed"')
    return code.group(1)


def status(town: Chat, number: int = 1) -> ConcernStatus:
    return next(c.status for c in all_of(town.sessions, Concern) if c.number == number)


def wrong(code: str, n: int = 0) -> str:
    """A code of the right shape that is not `code`."""
    guess = f"{n:024b}".replace("0", "a").replace("1", "b")
    return guess if guess != code.replace("-", "") else guess.replace("a", "c", 1)


def test_a_code_is_120_random_bits_shown_in_groups_and_typed_however(town: Chat) -> None:
    codes = {raised(town, f"Worry {n}") for n in range(1, 4)}
    assert len(codes) == 3 and all(len(c.replace("-", "")) == 24 for c in codes)
    code = raised(town, "One more")
    town.advance(days=1)
    # Case, spaces around and dashes are the reader's: the letters are what count.
    assert not town.say("carol", f'reopen concern 4 "Still" code:{code.upper().replace("-", "")}').error
    assert status(town, 4) is ConcernStatus.OPEN


def test_wrong_codes_are_counted_per_concern_until_codes_for_it_are_not_even_checked(town: Chat) -> None:
    code = raised(town)
    for name in ("dave", "erin"):
        town.ok(name, "join org:Library sector:community")
    for n in range(PER_CONCERN):
        user = ("bob", "dave", "erin")[n % 3]  # several people guessing together
        assert "does not work for concern #1" in town.refused(user, f'reopen concern 1 "x" code:{wrong(code, n)}')
    # Now even the right code is refused, unchecked, whoever sends it: the guessing bought nothing.
    refusal = town.refused("carol", f'reopen concern 1 "Still" code:{code}')
    assert "Too many wrong codes were tried for concern #1 today" in refusal and "coordinator" in refusal
    assert status(town) is ConcernStatus.RESOLVED
    # The next day, the raiser's code works.
    town.advance(days=1)
    assert not town.say("carol", f'reopen concern 1 "Still clashes" code:{code}').error
    assert status(town) is ConcernStatus.OPEN


def test_wrong_codes_are_counted_per_person_across_concerns(town: Chat) -> None:
    codes = [raised(town, f"Worry {n}") for n in range(1, 5)]
    for n in range(PER_PERSON):  # bob spreads his guesses, staying under each concern's limit
        number = 1 + n % 4
        assert "does not work for" in town.refused("bob", f'reopen concern {number} "x" code:{wrong(codes[number - 1], n)}')
    refusal = town.refused("bob", f'reopen concern 1 "x" code:{codes[0]}')
    assert "You have tried too many wrong reopen codes today" in refusal
    assert status(town) is ConcernStatus.RESOLVED
    # Someone else is not held back by bob's guesses.
    assert not town.say("carol", f'reopen concern 1 "Still" code:{codes[0]}').error


def test_the_count_holds_across_processes_and_restarts(town: Chat) -> None:
    code = raised(town)
    for n in range(PER_CONCERN):
        town.refused("bob", f'reopen concern 1 "x" code:{wrong(code, n)}')
    with town.sessions() as session:
        [row] = session.scalars(select(CodeAttempts).where(CodeAttempts.concern_id.is_not(None))).all()
        assert (row.day, row.failures) == (town.now.date(), PER_CONCERN)
    # Another process (or this one restarted) has its own engine and connections: the count is the database's.
    engine = make_engine(town.sessions.kw["bind"].url.render_as_string(hide_password=False))
    try:
        other = Chat(session_factory(engine), now=town.now)
        assert "Too many wrong codes" in other.refused("carol", f'reopen concern 1 "Still" code:{code}')
    finally:
        engine.dispose()


def test_a_code_works_once_and_the_next_reaches_the_raiser_alone(town: Chat) -> None:
    code = raised(town)
    town.advance(days=1)
    reply = town.say("carol", f'reopen concern 1 "Still clashes" code:{code}')
    assert not reply.error and "is open again" in reply.plain()
    fresh = REOPEN_CODE.search(reply.private_note or "")
    assert fresh is not None and fresh.group(1) != code
    assert "Your code has been used" in (reply.private_note or "") and fresh.group(1) not in reply.plain()
    with town.sessions() as session:
        assert session.scalars(select(Concern.reopen_code_hash)).one() == code_hash(fresh.group(1))
    town.ok("alice", 'resolve 1 "Agreed again"')
    # The used code no longer reopens it; the new one does.
    assert "does not work for concern #1" in town.refused("carol", f'reopen concern 1 "Again" code:{code}')
    assert not town.say("carol", f'reopen concern 1 "Again" code:{fresh.group(1)}').error
    assert status(town) is ConcernStatus.OPEN
    events = [e for e in all_of(town.sessions, Event) if e.action == "reopen"]
    assert [e.actor_id for e in events] == [None, None]


def test_a_right_code_leaves_no_trace_of_who_used_it(town: Chat) -> None:
    code = raised(town)
    town.refused("carol", f'reopen concern 1 "typo" code:{wrong(code)}')  # she mistypes once first
    town.advance(days=1)
    before = rows(town.sessions)
    assert not town.say("carol", f'reopen concern 1 "Still" code:{code}').error
    assert traces(town.sessions, before, "console", "carol") == []


def test_reopening_without_the_code_says_a_private_code_exists(town: Chat) -> None:
    raised(town)
    refusal = town.refused("carol", 'reopen concern 1 "Still clashes"')
    assert "raised anonymously" in refusal and "private code" in refusal
    assert 'code:...' in refusal and "coordinator" in refusal
    # The same for anyone: it tells nothing of who raised it.
    assert town.refused("bob", 'reopen concern 1 "Still clashes"') == refusal
    # A concern raised with a name says nothing of codes.
    town.ok("bob", 'concern "Budget split"')
    town.ok("alice", 'resolve 2 "Agreed"')
    assert "code" not in town.refused("carol", 'reopen concern 2 "Still"')


def test_an_open_concern_checks_no_code(town: Chat) -> None:
    reply = town.say("carol", 'concern "Worry" anonymous')
    code = REOPEN_CODE.search(reply.private_note or "")
    assert code is not None
    for guess in (wrong(code.group(1)), code.group(1)):
        assert "already open" in town.refused("bob", f'reopen concern 1 "x" code:{guess}')
    assert all_of(town.sessions, CodeAttempts) == []


def test_guesses_at_once_are_each_counted(town: Chat) -> None:
    """Wrong codes sent together on several threads, by one person in two partnerships (each
    with its own lock): every one counted, and none checked past the person's limit."""
    assert not town.say("alice", 'setup "Hillside Partnership" kind:task-force', channel="hill").error
    for name, org in (("alice", "Council"), ("bob", "Chamber"), ("carol", "Trust")):
        assert not town.say(name, f"join org:{org} sector:public", channel="hill").error
    codes = [raised(town, f"Worry {n}") for n in range(1, 4)]
    hill = REOPEN_CODE.search(town.say("carol", 'concern "Hill worry" anonymous', channel="hill").private_note or "")
    assert hill is not None and not town.say("alice", 'resolve 1 "Agreed"', channel="hill").error
    for _ in range(3):  # a few days running, as one burst may happen to arrive in turn
        town.advance(days=1)
        for n in range(PER_PERSON - 1):  # three wrong codes on each of Riverside's concerns
            town.refused("bob", f'reopen concern {1 + n % 3} "x" code:{wrong(codes[n % 3], n)}')
        answers = burst(town, hill.group(1))
        assert len([a for a in answers if "does not work for" in a]) == 1, answers
        assert all("does not work for" in a or "too many wrong reopen codes" in a or "Try again" in a
                   for a in answers), answers
        with town.sessions() as session:
            [mine] = session.scalars(select(CodeAttempts).where(CodeAttempts.person_id.is_not(None))).all()
        assert mine.failures == PER_PERSON


def burst(town: Chat, code: str, size: int = 8) -> list[str]:
    """Bob's wrong codes for concern 1, sent at once, half in Riverside's room and half in Hillside's."""
    start = threading.Barrier(size)
    answers: list[str] = []

    def guess(n: int) -> None:
        actor = Actor("console", "town", "bob", ("general", "hill")[n % 2], display_name="Bob", private=True)
        start.wait()
        answers.append(handle(f'reopen concern 1 "x" code:{wrong(code, 100 + n)}', actor, town.sessions,
                              now=town.now).text or "")

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_counts_last_their_day_and_a_right_code_clears_its_typers(town: Chat) -> None:
    code = raised(town)
    town.refused("carol", f'reopen concern 1 "typo" code:{wrong(code)}')  # she mistypes, then gets it right
    town.refused("bob", f'reopen concern 1 "guess" code:{wrong(code, 1)}')
    assert not town.say("carol", f'reopen concern 1 "Still" code:{code}').error
    with town.sessions() as session:
        left = session.execute(select(CodeAttempts.person_id, CodeAttempts.concern_id, CodeAttempts.failures)).all()
        [bob] = [p.id for p in all_of(town.sessions, Person) if p.user_id == "bob"]
    assert left == [(bob, None, 1)]  # nothing of carol's or the concern's: only bob's guess, for today
    other = raised(town, "Another worry")
    town.advance(days=1)
    town.refused("carol", f'reopen concern 2 "x" code:{wrong(other)}')  # any check drops the days gone by
    with town.sessions() as session:
        rows_now = session.execute(select(CodeAttempts.person_id, CodeAttempts.day)).all()
    assert bob not in {p for p, _ in rows_now} and {d for _, d in rows_now} == {town.now.date()}
