"""Deadlines for acknowledging Slack (bot/slack/acks.py): each called once its time comes,
from one thread, the soonest first, whatever order they were set in, and those due close
together in one wakeup."""

from __future__ import annotations

import threading

from bot.slack.acks import Deadlines


def test_a_deadline_sooner_than_those_waiting_is_called_on_time() -> None:
    deadlines, running, called = Deadlines(), threading.Event(), threading.Event()
    deadlines.after(0, running.set)
    assert running.wait(10)  # the thread has started, and waits for what comes next
    deadlines.after(60, lambda: None)  # it now waits a minute for this one

    deadlines.after(0.05, called.set)

    assert called.wait(10), "the sooner deadline waited behind the later one"


def test_deadlines_are_called_soonest_first() -> None:
    deadlines, order, done = Deadlines(), [], threading.Event()
    deadlines.after(0.2, lambda: (order.append("later"), done.set()))
    deadlines.after(0.1, lambda: order.append("sooner"))
    deadlines.after(0.15, lambda: order.append("between"))

    assert done.wait(10)
    assert order == ["sooner", "between", "later"]


class CountedWaits(threading.Condition):
    def __init__(self) -> None:
        super().__init__()
        self.waits = 0

    def wait(self, timeout: float | None = None) -> bool:
        self.waits += 1
        return super().wait(timeout)


def test_deadlines_due_close_together_are_called_in_one_wakeup() -> None:
    deadlines, done = Deadlines(), threading.Event()
    deadlines._changed = waits = CountedWaits()
    for i in range(20):  # one due every 2 ms, as at 500 requests a second
        deadlines.after(0.1 + 0.002 * i, done.set if i == 19 else lambda: None)

    assert done.wait(10)
    assert waits.waits <= 3, f"{waits.waits} wakeups for 20 deadlines within 40 ms"
