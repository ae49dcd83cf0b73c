"""Sets the wall clock of every Python process that has this folder first on PYTHONPATH,
as `faketime` would (libfaketime hangs Python's timed waits), for two uses:

- PARTNERBOT_TEST_CLOCK=2032-02-29T03:00:00+00:00 starts the clock at that moment and lets
  it run on: the whole suite run at an awkward hour finds the tests that read the real
  clock (`.ci/run` keeps one such run);
- PARTNERBOT_TEST_CLOCK_OFFSET=3600 runs it that many seconds fast, as on a machine whose
  clock is wrong (tests/test_sweeper.py).

Monotonic clocks are left alone, so timeouts and waits behave. A Python without
time-machine installed (Synapse's) keeps the real clock.
"""

import os
import time

try:
    import time_machine
except ImportError:  # not a test environment: leave the clock alone
    time_machine = None

_START = os.environ.get("PARTNERBOT_TEST_CLOCK")
_OFFSET = float(os.environ.get("PARTNERBOT_TEST_CLOCK_OFFSET") or 0)

if time_machine is not None and (_START or _OFFSET):
    time_machine.travel(_START or time.time() + _OFFSET, tick=True).start()
