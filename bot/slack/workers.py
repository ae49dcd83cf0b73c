"""The pool Slack's listeners run on: two at a time, more while some wait on Slack.

A listener is mostly Python, and a process runs one thread's Python at a time. Ten listeners
running at once (Bolt's default pool) finish no sooner than two: their threads only hand the
interpreter lock to one another at every wait for the database, and each hand-off is a
context switch with cold caches. Served to eight clients at once, a read command took three
times the CPU it takes alone (BENCHMARKS.md, "Listeners two at a time"). So `Workers` runs
`at_once` listeners at a time, and a worker that finishes one takes the next itself, with no
hand-off at all.

A listener waiting on Slack's Web API steps `aside` (connections.py does, around every call):
it stops counting, and a queued listener starts meanwhile. One held up by anything else (a
row another transaction has locked) holds its place for `patience` at most: when no listener
has started for that long, a queued one starts anyway. So nothing waits behind a stuck
listener for long, and a listener that has started never waits for a place again.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# Two: one listener's Python runs while the other waits on the database. One used less CPU a
# request but served fewer of them (BENCHMARKS.md).
AT_ONCE = 2
# Threads at most, those stepped aside or held up included: Bolt's own default pool size.
MOST = 10
# How long queued listeners wait while none starts, before one starts anyway.
PATIENCE = 0.1

_current = threading.local()  # the pool a worker thread belongs to


class Workers(Executor):
    """An executor running `at_once` tasks at a time, on at most `most` threads (see above)."""

    def __init__(self, at_once: int = AT_ONCE, most: int = MOST, patience: float = PATIENCE,
                 name: str = "slack-listener") -> None:
        self.at_once, self.most, self.patience, self.name = at_once, most, patience, name
        self._changed = threading.Condition()
        self._queue: deque[tuple[Future[Any], Callable[[], None]]] = deque()
        self._threads: list[threading.Thread] = []
        self._running = 0  # tasks running and counting: not stepped aside
        self._busy = 0  # threads in a task, stepped aside or not
        self._started = 0  # tasks started so far: a wait that saw none start was a stall
        self._watching = 0  # idle threads waiting out `patience` for a stall
        self._closed = False

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()

        def task() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as failure:
                future.set_exception(failure)
            else:
                future.set_result(result)

        with self._changed:
            if self._closed:
                raise RuntimeError("cannot schedule a listener after shutdown")
            self._queue.append((future, task))
            self._wake()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._changed:
            self._closed = True
            while cancel_futures and self._queue:
                self._queue.popleft()[0].cancel()
            self._changed.notify_all()
            threads = list(self._threads)
        if wait:
            for thread in threads:
                thread.join()

    def _wake(self) -> None:
        """(Holding the lock.) Start a queued task if one may start, or have a thread watch
        for a stall if none does: an idle thread is woken, else a new one started."""
        if not self._queue or (self._running >= self.at_once and self._watching):
            return
        if len(self._threads) > self._busy:
            self._changed.notify()
        elif len(self._threads) < self.most:
            thread = threading.Thread(target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        _current.pool = self
        with self._changed:
            while True:
                stalled = False
                while not (self._queue and (self._running < self.at_once or stalled)):
                    if self._closed and not self._queue:
                        self._changed.notify_all()  # any other worker still waiting leaves too
                        return
                    seen, patience = self._started, self.patience if self._queue else None
                    self._watching += patience is not None
                    woken = self._changed.wait(patience)
                    self._watching -= patience is not None
                    stalled = not woken and self._started == seen
                _, task = self._queue.popleft()
                self._running += 1
                self._busy += 1
                self._started += 1
                self._wake()  # more queued, and room for them: another thread takes the next
                self._changed.release()
                try:
                    task()
                finally:
                    self._changed.acquire()
                    self._running -= 1
                    self._busy -= 1

    @contextmanager
    def _aside(self) -> Iterator[None]:
        with self._changed:
            self._running -= 1
            self._wake()
        try:
            yield
        finally:
            with self._changed:
                self._running += 1  # at once: a listener that has started never waits for a place


@contextmanager
def aside() -> Iterator[None]:
    """Around a wait on the network: the listener running on this thread stops counting
    against its pool's `at_once` meanwhile. Elsewhere (the scheduler, a test) it does nothing."""
    pool: Workers | None = getattr(_current, "pool", None)
    if pool is None or getattr(_current, "aside", False):  # not a worker, or aside already
        yield
        return
    _current.aside = True
    try:
        with pool._aside():
            yield
    finally:
        _current.aside = False

