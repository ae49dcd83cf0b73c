"""The web pages' render time: one partnership's public page and dashboard, in process.

Each page is asked of the real Flask app through its test client (no network), so the time
covers the handler queries, the templates and the charts; the statement count per render
shows whether the database work grows with the number of partnerships.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Row, select

from bench.workload import Partner
from bot.config import Settings
from bot.web import create_app
from handlers.context import Actor
from handlers.dispatch import handle
from handlers.publishing import new_slug, page_path
from storage.database import session_factory
from storage.models import AgreementVersion, ChannelLink, Member, Person, Publication, Role

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


def publish(engine: Engine, who: Partner) -> tuple[str, int]:
    """Publish the speaker's partnership; its slug and its id."""
    sessions = session_factory(engine)
    with sessions.begin() as session:
        partnership_id = session.scalar(select(ChannelLink.partnership_id).where(
            ChannelLink.workspace == who.workspace, ChannelLink.channel == who.channel))
        assert partnership_id is not None
        slug = new_slug()
        session.merge(Publication(partnership_id=partnership_id, slug=slug, published=True, names=True,
                                  updated_at=datetime.now(UTC)))
    return slug, partnership_id


def frame(engine: Engine, who: Partner, partnership_id: int) -> Callable[[str], str]:
    """Give the partnership an agreement signed by each of its organisations, pledges, three
    goals with readings and work, as the chat would: the pages then show all of it. Returns a
    way to speak as its coordinator."""
    sessions = session_factory(engine)
    with sessions() as session:
        people = session.execute(select(Person.platform, Person.workspace, Person.user_id, Member.organisation, Member.role)
                                 .join(Member, Member.person_id == Person.id)
                                 .where(Member.partnership_id == partnership_id, Member.left_at.is_(None))).all()
        framed = session.scalar(select(AgreementVersion.id).where(AgreementVersion.partnership_id == partnership_id)
                                .limit(1)) is not None
    coordinator = next(p for p in people if p.role is Role.COORDINATOR)
    by_organisation = {p.organisation: p for p in people if p.organisation and p.role is not Role.OBSERVER}

    def say(person: Row[Any], text: str) -> str:
        reply = handle(text, Actor(person.platform, person.workspace, person.user_id, who.channel), sessions)
        if reply.error:
            raise RuntimeError(f"{text!r} was refused: {reply.text}")
        return reply.text or ""

    if framed:  # by an earlier run on a kept database (--reuse): as it is, not framed twice
        return lambda text: say(coordinator, text)
    say(coordinator, 'agreement edit purpose:"Revive the town centre" roles:"Each partner brings what it pledges" '
                     'decisions:"By consensus; a vote when it fails"')
    for member in by_organisation.values():
        say(member, "agreement sign 1")
        say(member, 'pledge time:"4h a month" money:"£500 a year"')
        say(member, 'delivered money:£120 "Printing the leaflets"')
    for goal in (1, 2, 3):
        say(coordinator, f'goal "Goal {goal}" measure:"weekly footfall count" baseline:1200 target:1320 by:"in 9 months"')
        say(coordinator, f'reading {goal} {1200 + 20 * goal} "Count on Saturday"')
        for member in list(by_organisation.values())[:4]:
            say(member, f'commit "Work towards goal {goal}" by:"in 3 weeks" goal:{goal} again')
    return lambda text: say(coordinator, text)


def render_times(engine: Engine, measure: Callable[[], AbstractContextManager[Callable[[], int]]], url: str,
                 who: Partner, renders: int) -> list[Rendering]:
    slug, partnership_id = publish(engine, who)
    coordinator = frame(engine, who, partnership_id)
    app = create_app(settings_for(url), session_factory(engine))
    client = app.test_client()
    link = re.search(r"/signin/\S+", coordinator("dashboard"))  # signed in as a coordinator is, by the link
    assert link is not None
    client.post(link[0])
    etag = client.get(page_path(slug)).headers["ETag"]
    results = []
    for name, path, headers, status in (("public page", page_path(slug), {}, 200), ("dashboard", "/dashboard", {}, 200),
                                        ("public page, 304", page_path(slug), {"If-None-Match": etag}, 304)):
        for _ in range(WARM_UP):
            check(client.get(path, headers=headers).status_code, status, path)
        with measure() as seen:
            check(client.get(path, headers=headers).status_code, status, path)
            statements = seen()
        times = []
        for _ in range(renders):
            started = time.perf_counter()
            check(client.get(path, headers=headers).status_code, status, path)
            times.append(1000 * (time.perf_counter() - started))
        results.append(Rendering(name, statistics.median(times), statistics.quantiles(times, n=100)[98], statements))
    return results


def check(status: int, expected: int, path: str) -> None:
    if status != expected:
        raise RuntimeError(f"{path} answered {status}, not {expected}")


def rows(found: Iterator[tuple[str, int, list[Rendering]]]) -> list[str]:
    lines = ["| db | N | page | render p50 | render p99 | statements per render |", "| --- | ---: | --- | ---: | ---: | ---: |"]
    for db, n, renderings in found:
        lines += [f"| {db} | {n} | {r.page} | {r.p50:.1f} ms | {r.p99:.1f} ms | {r.statements} |" for r in renderings]
    return lines
