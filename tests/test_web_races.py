"""Two people at once: a sign-in link opened in several tabs together signs in once, sweeps
deleting spent links while others sign in delete nothing still good (nor old counts a count
made at that moment), and two coordinators
publishing at the same moment make one page and one log line."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

from sqlalchemy import func, select

from handlers.dashboard import forget_spent, sign_in, signed_in
from handlers.email.addresses import forget_spent_counts, within
from handlers.email.following import PER_ADDRESS, PER_CLIENT
from storage.models import DashboardSession, Event, MailLimit, Publication, SignInLink
from tests.conftest import Chat
from tests.web_client import address

T = TypeVar("T")


def together(count: int, act: Callable[[], T]) -> list[T]:
    """Run `act` in `count` threads released at the same instant."""
    start = threading.Barrier(count)

    def go() -> T:
        start.wait()
        return act()

    with ThreadPoolExecutor(count) as pool:
        return [f.result() for f in [pool.submit(go) for _ in range(count)]]


def test_a_link_opened_in_many_tabs_at_once_signs_in_once(town: Chat) -> None:
    token = address(town.ok("alice", "dashboard"), "signin").rsplit("/", 1)[-1]

    def open_link() -> tuple[int, int] | None:
        with town.sessions.begin() as session:
            return sign_in(session, token, town.now)

    signed_in = [who for who in together(6, open_link) if who is not None]
    assert len(signed_in) == 1


def test_sweeps_deleting_spent_links_while_coordinators_sign_in_keep_every_good_one(town: Chat) -> None:
    for who in ("bob", "carol"):
        town.ok("alice", f"member role @{who} coordinator")
    for who in ("alice", "bob", "carol"):
        town.ok(who, "dashboard")  # never used: expired by the time of the sweeps
    town.advance(minutes=21)
    good = [address(town.ok(who, "dashboard"), "signin").rsplit("/", 1)[-1] for who in ("alice", "bob", "carol")]
    def open_link(token: str) -> str | None:
        with town.sessions.begin() as session:
            return sign_in(session, token, town.now)

    def forget() -> None:
        with town.sessions.begin() as session:
            forget_spent(session, town.now)

    jobs: Iterator[Callable[[], str | None]] = iter([*(partial(open_link, token) for token in good),
                                                     *(forget for _ in good)])
    taking = threading.Lock()

    def next_job() -> str | None:
        with taking:
            job = next(jobs)
        return job()

    opened = [token for token in together(2 * len(good), next_job) if token is not None]
    assert len(opened) == len(good)
    forget()  # the links those sign-ins used, if they were used after every sweep had run
    with town.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SignInLink)) == 0
        assert session.scalar(select(func.count()).select_from(DashboardSession)) == len(good)
        assert all(signed_in(session, token, town.now) is not None for token in opened)


def test_two_coordinators_publishing_at_once_make_one_page(town: Chat) -> None:
    town.ok("alice", "member role @bob coordinator")
    replies = together(2, lambda: town.say("alice", "publish on")) + together(2, lambda: town.say("bob", "publish off"))
    assert not any("Traceback" in r.plain() for r in replies)
    with town.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Publication)) == 1
        logged = session.scalars(select(Event.summary).where(Event.action == "publish").order_by(Event.id)).all()
    assert logged == ["put the public page up, without people's names", "took the public page down"]


def test_sweeps_deleting_old_counts_while_the_same_client_is_counted_lose_no_count(town: Chat) -> None:
    """A follow request counted on a row of yesterday's that sweepers are deleting at that moment:
    each count lands (today's count is the requests of today), and yesterday's rows go."""
    def count() -> bool:
        with town.sessions.begin() as session:
            return within(session, town.now, PER_CLIENT, "follow-client", "203.0.113.9")

    def forget() -> None:
        with town.sessions.begin() as session:
            forget_spent_counts(session, town.now)

    count()
    with town.sessions.begin() as session:
        within(session, town.now, PER_ADDRESS, "follow-address", "old@example.org")
    town.advance(days=1)
    jobs: Iterator[Callable[[], object]] = iter([count, forget, count, forget, count, forget])
    taking = threading.Lock()

    def next_job() -> object:
        with taking:
            job = next(jobs)
        return job()

    together(6, next_job)
    forget()
    with town.sessions() as session:
        assert [(r.day, r.count) for r in session.scalars(select(MailLimit))] == [(town.now.date(), 3)]
