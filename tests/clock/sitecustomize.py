"""Sets the wall clock of every Python process that has this folder first on PYTHONPATH,
as `faketime` would (libfaketime hangs Python's timed waits), for two uses:

- PARTNERBOT_TEST_CLOCK=2032-02-29T23:30:00+00:00 starts the clock at that moment and lets
  it run on: the whole suite run at an awkward hour finds the tests that read the real
  clock (`.ci/run` keeps one such run);
- PARTNERBOT_TEST_CLOCK_OFFSET=3600 runs it that many seconds fast, as on a machine whose
  clock is wrong (tests/test_sweeper.py).

The first process turns a start into an offset from the real clock and hands that on, so
the processes it starts (pytest's workers, a bot under test) share its clock rather than
each starting afresh. Monotonic clocks are left alone, so timeouts and waits behave. A
Python without time-machine installed (Synapse's) keeps the real clock.
"""

import os
import time
from datetime import datetime

try:
    import time_machine
except ImportError:  # not a test environment: leave the clock alone
    time_machine = None

if time_machine is not None:
    # Processes started in another folder find this one too.
    _here = os.path.dirname(os.path.abspath(__file__))
    os.environ["PYTHONPATH"] = os.pathsep.join([_here, *(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                                                         if p and os.path.abspath(p) != _here)])
    _start = os.environ.pop("PARTNERBOT_TEST_CLOCK", None)
    if _start:
        os.environ["PARTNERBOT_TEST_CLOCK_OFFSET"] = str(datetime.fromisoformat(_start).timestamp() - time.time())
    _offset = float(os.environ.get("PARTNERBOT_TEST_CLOCK_OFFSET") or 0)
    if _offset:
        time_machine.travel(time.time() + _offset, tick=True).start()
