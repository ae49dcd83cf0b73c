"""Acknowledging Slack on time: the 200 goes the moment a listener calls `ack()`.

Bolt's own way (`process_before_response=False`) runs a listener on a worker and has the
request's thread look for its `ack()` every 10 ms, so every answer waits for the next tick.
Instead the app processes before responding, and each listener is wrapped (`on_pool`): it
runs on our worker pool, and the request's thread waits on an event its `ack()` sets, so the
200 leaves as soon as the listener has committed (or decided it changes nothing), and the
slower rest (the reply through the Web API) goes on on the worker.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, InvalidStateError
from typing import Any

log = logging.getLogger(__name__)

# How long a request waits for its listener's ack() (Bolt's own default is 3 s). Slack gives
# up at 3 s either way, but past this wait Bolt answers 404 "unhandled request" while the
# listener still runs and its change is kept: when a burst queues listeners behind busy
# workers, or the machine stalls, a late 200 is the truth and a 404 is not.
ACK_WAIT_SECONDS = 8

# Slack waits three seconds for an acknowledgement; a command not committed by then (Slack
# slow to say who someone is) is acknowledged anyway, so the person is not told it failed.
ACK_DEADLINE = 2.0

Listener = Callable[..., Any]


def on_pool(listener: Listener, pool: Executor, wait: float = ACK_WAIT_SECONDS) -> Listener:
    """`listener` run on `pool`, holding the request's thread only until it acknowledges.

    A listener that fails before acknowledging fails the request, as if it had run on the
    request's thread (Bolt's error handler answers it); one that fails after, or after the
    request stopped waiting, is logged. A listener Bolt acknowledges itself (an event's: it
    takes no `ack`) does not hold the request at all."""

    @functools.wraps(listener)  # Bolt passes the arguments the wrapped listener names
    def run(**kwargs: Any) -> None:
        ack = kwargs.get("ack")
        if ack is None:
            pool.submit(logged, listener, kwargs)
            return
        answered: Future[None] = Future()

        def acknowledge(*args: Any, **options: Any) -> Any:
            try:
                return ack(*args, **options)
            finally:
                settle(answered)

        def work() -> None:
            try:
                listener(**{**kwargs, "ack": acknowledge})
            except Exception as error:
                if not settle(answered, error):
                    log.warning("a Slack listener failed after acknowledging: %r", error, exc_info=True)
            else:
                settle(answered)  # returned without acknowledging: Bolt answers that at once

        pool.submit(work)
        try:
            answered.result(timeout=wait)
        except TimeoutError:
            if not answered.cancel():  # settled just now
                answered.result()

    return run


def settle(answered: Future[None], failure: Exception | None = None) -> bool:
    """Release the waiting request, with the listener's failure if any; False when it was
    released already (or gave up waiting)."""
    try:
        if failure is None:
            answered.set_result(None)
        else:
            answered.set_exception(failure)
    except InvalidStateError:
        return False
    return True


def logged(listener: Listener, kwargs: dict[str, Any]) -> None:
    try:
        listener(**kwargs)
    except Exception as error:
        log.warning("a Slack listener failed: %r", error, exc_info=True)


def acknowledge_by(ack: Callable[..., object], seconds: float) -> Callable[..., bool]:
    """`ack` once: when the returned function is called (with what the acknowledgement
    carries, such as a slash command's answer), or bare after `seconds` if it is not by then.
    The returned function says whether it was the one that acknowledged: when the deadline
    came first, what it carries must go another way."""
    lock, done = threading.Lock(), []

    def once(**body: Any) -> bool:
        with lock:
            if done:
                return False
            done.append(True)
        ack(**body)
        return True

    DEADLINES.after(seconds, once)
    return once


# A deadline is called up to this late, so that one wakeup calls every deadline due within it:
# each request sets one, and at a few hundred requests a second a wakeup for each took a fiftieth
# of the process's time.
GRAIN = 0.05


class Deadlines:
    """Calls each function once its time has come (within `grain`), all from one thread: a
    deadline per request without starting a thread per request (starting one waits for it to
    be scheduled, which on a busy machine takes milliseconds). A deadline met in time is
    simply called late, and does nothing then."""

    def __init__(self, grain: float = GRAIN) -> None:
        self.grain = grain
        self._due: list[tuple[float, int, Callable[[], object]]] = []
        self._changed = threading.Condition()
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def after(self, seconds: float, call: Callable[[], object]) -> None:
        with self._changed:
            entry = (time.monotonic() + seconds, next(self._order), call)
            heapq.heappush(self._due, entry)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="slack-ack-deadlines", daemon=True)
                self._thread.start()
            if self._due[0] is entry:  # the thread waits for a later one, if any: else it need not wake
                self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._changed.wait(self._due[0][0] + self.grain - time.monotonic() if self._due else None)
                now, due = time.monotonic(), []
                while self._due and self._due[0][0] <= now:
                    due.append(heapq.heappop(self._due)[2])
            for call in due:
                try:
                    call()
                except Exception:
                    log.warning("acknowledging a request by its deadline failed", exc_info=True)


DEADLINES = Deadlines()
