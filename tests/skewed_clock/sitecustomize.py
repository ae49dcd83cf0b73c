"""Runs a Python process's clock PARTNERBOT_TEST_CLOCK_OFFSET seconds ahead, as on a machine
whose clock is wrong: the tests put this folder first on PYTHONPATH of a process they start."""

import datetime as _datetime
import os
import time as _time

_OFFSET = float(os.environ.get("PARTNERBOT_TEST_CLOCK_OFFSET", "0"))
_real_time = _time.time


class _SkewedDatetime(_datetime.datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
        return super().now(tz) + _datetime.timedelta(seconds=_OFFSET)

    @classmethod
    def utcnow(cls):  # type: ignore[no-untyped-def, override]
        return super().utcnow() + _datetime.timedelta(seconds=_OFFSET)


_datetime.datetime = _SkewedDatetime  # type: ignore[misc]
_time.time = lambda: _real_time() + _OFFSET
