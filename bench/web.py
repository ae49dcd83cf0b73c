"""The web pages' render time: one partnership's public page and dashboard, in process.

Each page is asked of the real Flask app through its test client (no network), so the time
covers the handler queries, the templates and the charts; the statement count per render
shows whether the database work grows with the number of partnerships.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from bench.workload import Partner
from bot.config import Settings
from bot.web import create_app
from handlers.publishing import new_slug, page_path
from storage.database import session_factory
from storage.models import ChannelLink, Member, Person, Publication, Role

WARM_UP = 10


@dataclass
class Rendering:
    page: str
    p50: float
    p99: float
    statements: int


def settings_for(url: str) -> Settings:
    return Settings(database_url=url, timezone="Europe/London", slack_bot_token=None, slack_signing_secret=None,
                    slack_app_token=None, slack_api_url=None, port=0, matrix_homeserver=None, matrix_user_id=None,
                    matrix_password=None, matrix_access_token=None)


def publish(engine: Engine, who: Partner) -> tuple[str, int, int]:
    """Publish the speaker's partnership; its slug, its id and one coordinator's person id."""
    sessions = session_factory(engine)
    with sessions.begin() as session:
        partnership_id = session.scalar(select(ChannelLink.partnership_id).where(
            ChannelLink.workspace == who.workspace, ChannelLink.channel == who.channel))
        assert partnership_id is not None
        coordinator = session.scalar(select(Person.id).join(Member, Member.person_id == Person.id).where(
            Member.partnership_id == partnership_id, Member.role == Role.COORDINATOR, Member.left_at.is_(None)).limit(1))
        assert coordinator is not None
        slug = new_slug()
        session.merge(Publication(partnership_id=partnership_id, slug=slug, published=True, names=True,
                                  updated_at=datetime.now(UTC)))
    return slug, partnership_id, coordinator


def render_times(engine: Engine, measure: Callable[[], AbstractContextManager[Callable[[], int]]], url: str,
                 who: Partner, renders: int) -> list[Rendering]:
    slug, partnership_id, coordinator = publish(engine, who)
    app = create_app(settings_for(url), session_factory(engine))
    client = app.test_client()
    with client.session_transaction() as cookie:  # signed in, as the sign-in link would leave it
        cookie["partnership"], cookie["person"] = partnership_id, coordinator
    results = []
    for name, path in (("public page", page_path(slug)), ("dashboard", "/dashboard")):
        for _ in range(WARM_UP):
            check(client.get(path).status_code, path)
        with measure() as seen:
            check(client.get(path).status_code, path)
            statements = seen()
        times = []
        for _ in range(renders):
            started = time.perf_counter()
            check(client.get(path).status_code, path)
            times.append(1000 * (time.perf_counter() - started))
        results.append(Rendering(name, statistics.median(times), statistics.quantiles(times, n=100)[98], statements))
    return results


def check(status: int, path: str) -> None:
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")


def rows(found: Iterator[tuple[str, int, list[Rendering]]]) -> list[str]:
    lines = ["| db | N | page | render p50 | render p99 | statements per render |", "| --- | ---: | --- | ---: | ---: | ---: |"]
    for db, n, renderings in found:
        lines += [f"| {db} | {n} | {r.page} | {r.p50:.1f} ms | {r.p99:.1f} ms | {r.statements} |" for r in renderings]
    return lines
