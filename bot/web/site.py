"""What every page of the web app needs: the settings and the database, kept on the app."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings


@dataclass(frozen=True)
class Site:
    settings: Settings
    sessions: sessionmaker[Session]

    def install(self, app: Flask) -> None:
        app.extensions["partnerbot"] = self


def site() -> Site:
    """The site of the app serving the current request."""
    found: Site = current_app.extensions["partnerbot"]
    return found
