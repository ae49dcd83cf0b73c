"""The environment a test gives a process it starts: settings only as a user would give them.

The test run's own settings (Slack, Matrix, database and partnerbot's) are left out, so a
process sees just what the test passes; the test clock (tests/clock) is kept, so the test
and its processes agree on the time.
"""

from __future__ import annotations

import os

SETTINGS = ("SLACK_", "MATRIX_", "DATABASE_", "PARTNERBOT_", "SMTP_", "IMAP_", "MAIL_")
CLOCK = "PARTNERBOT_TEST_CLOCK_OFFSET"


def user_environment(**settings: str) -> dict[str, str]:
    """This process's environment without the run's settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if k == CLOCK or not k.startswith(SETTINGS)}
    env.update(settings)
    return env
