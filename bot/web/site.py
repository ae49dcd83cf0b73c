"""What every page of the web app needs: the settings and the database, kept on the app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings


@dataclass(frozen=True)
class Site:
    settings: Settings
    sessions: sessionmaker[Session]
    # What time it is; tests give the clock their chat runs on.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self.clock()

    def install(self, app: Flask) -> None:
        app.extensions["partnerbot"] = self


def site() -> Site:
    """The site of the app serving the current request."""
    found: Site = current_app.extensions["partnerbot"]
    return found
