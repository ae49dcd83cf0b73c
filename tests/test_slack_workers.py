"""The listeners' pool (bot/slack/workers.py): two at a time, a worker takes the next listener
itself, one waiting on Slack steps aside, and one held up by anything else holds nobody up for
long."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from bot.slack.workers import Workers, aside
from tests.slack_recorder import SlackHarness, text_of

pytest_plugins = ("tests.slack_fixtures",)

PATIENT = 60.0  # no stall is ever declared: only `at_once` and `aside` decide


@pytest.fixture
def patient() -> Iterator[Workers]:
    pool = Workers(at_once=2, patience=PATIENT)
    yield pool
    pool.shutdown(wait=False)


def blocked(started: threading.Event, release: threading.Event, *, stepping_aside: bool = False) -> Callable[[], str]:
    def task() -> str:
        started.set()
        if stepping_aside:
            with aside():
                release.wait(30)
        else:
            release.wait(30)
        return "done"

    return task


def test_two_listeners_run_at_once_and_a_third_waits_its_turn(patient: Workers) -> None:
    release = threading.Event()
    first, second, third = threading.Event(), threading.Event(), threading.Event()
    running = [patient.submit(blocked(first, release)), patient.submit(blocked(second, release))]
    assert first.wait(10) and second.wait(10)
    waiting = patient.submit(blocked(third, release))

    assert not third.wait(0.3), "a third listener started while two ran"
    release.set()
    assert [f.result(10) for f in [*running, waiting]] == ["done", "done", "done"]


def test_a_worker_takes_the_next_listener_itself(patient: Workers) -> None:
    threads: list[str] = []
    futures = [patient.submit(lambda: threads.append(threading.current_thread().name)) for _ in range(200)]
    for f in futures:
        f.result(10)
    assert len(threads) == 200
    # Bolt's own pool starts a thread for each of ten. Here two run them, and a third may: the
    # one started to watch for a stall while two ran, which an idle moment can hand one to.
    assert len(set(threads)) <= 3


def test_a_listener_waiting_on_slack_lets_another_run(patient: Workers) -> None:
    release = threading.Event()
    started = [threading.Event(), threading.Event()]
    on_slack = [patient.submit(blocked(s, release, stepping_aside=True)) for s in started]
    assert all(s.wait(10) for s in started)

    assert patient.submit(lambda: "answered").result(10) == "answered"
    release.set()
    assert [f.result(10) for f in on_slack] == ["done", "done"]


def test_a_call_to_slack_within_another_steps_aside_once() -> None:
    """Stepped aside twice over, a listener still frees one place, not two."""
    pool = Workers(at_once=1, patience=PATIENT)
    release, inside = threading.Event(), threading.Event()

    def nested() -> str:
        with aside(), aside():
            inside.set()
            release.wait(30)
        return "done"

    try:
        on_slack = pool.submit(nested)
        assert inside.wait(10)
        second, third = threading.Event(), threading.Event()
        running = [pool.submit(blocked(second, release)), pool.submit(blocked(third, release))]
        assert second.wait(10)
        assert not third.wait(0.3), "one listener on Slack freed two places"
    finally:
        release.set()
    assert [f.result(10) for f in [on_slack, *running]] == ["done", "done", "done"]
    pool.shutdown()


def test_back_from_slack_a_listener_runs_on_without_waiting_for_a_place(patient: Workers) -> None:
    """Two listeners return from Slack while two others hold both places: they finish anyway,
    so a listener holding a row lock is never stuck behind those waiting for that lock."""
    from_slack, holding = threading.Event(), threading.Event()
    aside_started = [threading.Event(), threading.Event()]
    back = [patient.submit(blocked(s, from_slack, stepping_aside=True)) for s in aside_started]
    assert all(s.wait(10) for s in aside_started)
    held_started = [threading.Event(), threading.Event()]
    holders = [patient.submit(blocked(s, holding)) for s in held_started]
    assert all(s.wait(10) for s in held_started)

    from_slack.set()
    assert [f.result(10) for f in back] == ["done", "done"]
    holding.set()
    assert [f.result(10) for f in holders] == ["done", "done"]


def test_listeners_held_up_hold_the_queue_for_the_patience_at_most() -> None:
    pool = Workers(at_once=2, patience=0.05)
    release = threading.Event()
    try:
        started = [threading.Event(), threading.Event()]
        stuck = [pool.submit(blocked(s, release)) for s in started]  # a row lock, say: not Slack
        assert all(s.wait(10) for s in started)

        assert pool.submit(lambda: "answered").result(10) == "answered"
    finally:
        release.set()
    assert [f.result(10) for f in stuck] == ["done", "done"]
    pool.shutdown()


def test_a_listeners_failure_reaches_its_future_and_the_pool_goes_on(patient: Workers) -> None:
    def fail() -> None:
        raise ValueError("broken listener")

    with pytest.raises(ValueError, match="broken listener"):
        patient.submit(fail).result(10)
    assert patient.submit(lambda: 42).result(10) == 42


def test_after_shutdown_the_queue_is_finished_and_nothing_new_is_taken() -> None:
    pool = Workers(at_once=1, patience=PATIENT)
    futures = [pool.submit(lambda i=i: i) for i in range(20)]
    pool.shutdown(wait=True)
    assert [f.result(0) for f in futures] == list(range(20))
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(lambda: None)


def test_waiting_for_shutdown_takes_as_long_as_the_listeners_not_a_workers_patience() -> None:
    """Shut down with a listener queued behind a running one: a second worker waits for a
    place, and the first takes the queued one itself. Once nothing is left, the waiting worker
    must hear so, not sit out its patience (a minute here) before `shutdown` can return."""
    pool = Workers(at_once=1, patience=PATIENT)
    release, started = threading.Event(), threading.Event()
    pool.submit(blocked(started, release))
    assert started.wait(10)
    queued = pool.submit(lambda: "after")  # a second worker starts and waits for a place
    waiting = threading.Thread(target=pool.shutdown)  # wait=True: until every worker has ended
    waiting.start()
    # Nothing says when shutdown has woken the waiting worker and it has gone back to waiting
    # (something is still queued): give it a moment before the queue empties.
    time.sleep(0.2)
    release.set()
    assert queued.result(10) == "after"
    waiting.join(5)
    assert not waiting.is_alive(), "a worker sat out its patience after the queue was done"


def test_shutdown_may_cancel_what_is_still_queued() -> None:
    pool = Workers(at_once=1, patience=PATIENT)
    release, started = threading.Event(), threading.Event()
    running = pool.submit(blocked(started, release))
    assert started.wait(10)
    queued = [pool.submit(lambda: "never") for _ in range(3)]

    pool.shutdown(wait=False, cancel_futures=True)
    release.set()

    assert running.result(10) == "done"
    assert all(f.cancelled() for f in queued)


def test_commands_are_answered_while_slack_is_slow_to_take_two_announcements(riverside: SlackHarness) -> None:
    """Both places are taken by commands posting to a slow Slack; a third person's command is
    answered all the same (in its 200), without waiting for Slack."""
    riverside.executor.patience = PATIENT
    posted = len(riverside.said())
    gate = riverside.recorder.hold("chat.postMessage")
    try:
        for who, title in (("UBOB", "Book the hall"), ("UCAROL", "Print the posters")):
            assert riverside.command(f'commit "{title}" by:friday', user=who, wait=False).status == 200
        with riverside.recorder.changed:
            assert riverside.recorder.changed.wait_for(lambda: riverside.recorder.held.get("chat.postMessage") == 2, 10)

        response = riverside.command("mine", user="UALICE", wait=False)

        assert response.status == 200 and "You have no open commitments" in response.body, response
        assert len(riverside.said()) == posted  # both announcements still waiting on Slack
    finally:
        gate.set()
    riverside.executor.wait_idle()
    announced = " ".join(text_of(c.params["blocks"]) for c in riverside.said()[-2:])
    assert "Book the hall" in announced and "Print the posters" in announced
