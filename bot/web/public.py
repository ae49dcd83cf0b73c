"""The public pages: a published partnership's page, its calendar and its feed of changes.

Anyone with the address may read them, so they show only what the partnership chose to
publish. An address that is unknown, malformed or of an unpublished partnership gets the
same 404, so slugs cannot be probed. Every page carries an ETag: a browser, calendar app
or feed reader polling for changes gets 304 Not Modified until something changes. The page,
the feed and its readable view take theirs from what they show, worked out before any
template is rendered, so a 304 costs the queries and nothing more. A static copy written
by `partnerbot publish` has no follow form, which nothing would answer there: it points to
the live page's instead, when the settings give the live site's address. Where the settings
give no SMTP_URL, no confirmation could be mailed, so neither offers to follow by email.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, fields
from datetime import UTC
from pathlib import Path

from flask import Blueprint, Response, abort, render_template, request
from sqlalchemy.orm import Session

from bot.web.site import site
from handlers.context import zone
from handlers.exports import calendar_ics
from handlers.public_page import PublicPage, public_page
from handlers.publishing import live_address, page_path, published, site_address
from storage.models import Partnership, Publication

blueprint = Blueprint("public", __name__)

SLUG = re.compile(r"[A-Za-z0-9_-]{16,64}")
# What each of the page's views shows of its data (the page itself, all of it), for their ETags.
SHOWS = {"public/page.html": None, "public/feed.atom.xml": ("name", "changes", "updated"),
         "public/feed.html": ("name", "changes", "updated", "today")}
# Set on the requests `partnerbot publish` makes for its static copy (bot/web/static.py); no
# HTTP client can set a WSGI environ key of this name.
COPY = "partnerbot.copy"
# The templates' own version: a new release that shows things differently is a new ETag.
TEMPLATES = hashlib.sha256(b"".join(f.read_bytes() for f in sorted((Path(__file__).parent / "templates").rglob("*"))
                                    if f.is_file())).hexdigest()


def lookup(session: Session, slug: str) -> tuple[Partnership, Publication]:
    """The published partnership at this address, or 404: the same for every kind of miss."""
    found = published(session, slug) if SLUG.fullmatch(slug) else None
    if found is None:
        abort(404)
    return found


def page_of(slug: str) -> PublicPage:
    s = site()
    with s.sessions() as session:
        p, pub = lookup(session, slug)
        return public_page(session, p, pub, s.now(), zone(s.settings.timezone))


def cacheable(response: Response) -> Response:
    """An ETag from the body; a client sending it back gets 304 while nothing changed."""
    response.add_etag()
    response.headers["Cache-Control"] = "public, max-age=300"
    return response.make_conditional(request)


@dataclass(frozen=True)
class Following:
    """Where a resident follows the page by email: on the served page, its own form; on a static
    copy (no server behind it to take the form), the live page's, when its address is known;
    nowhere when no mail can be sent."""

    form: bool
    live: str | None = None


def following(slug: str) -> Following:
    if not site().settings.mail_enabled:  # the confirmation would never come
        return Following(form=False)
    if not request.environ.get(COPY):
        return Following(form=True)
    live = live_address()
    return Following(form=False, live=live + page_path(slug) if live else None)


def fingerprint(page: PublicPage, template: str, address: str, follow: Following) -> str:
    """An ETag from what the page shows (its data, the partnership's dates, the templates), not from
    its rendered body: equal data renders an equal body."""
    p, only = page.partnership, SHOWS[template]
    shown = [getattr(page, f.name) for f in fields(page)
             if (f.name in only if only else f.name not in ("partnership", "tz", "words"))]
    return hashlib.sha256(repr((TEMPLATES, template, address, follow, p.kind, p.end_date, p.closed_at,
                                p.next_review_on, shown)).encode()).hexdigest()[:32]


def revalidated(slug: str, template: str, mimetype: str) -> Response:
    """The page from `template`, or 304 Not Modified (rendering nothing) when the client's copy is current."""
    page, address, follow = page_of(slug), site_address() + page_path(slug), following(slug)
    etag = fingerprint(page, template, address, follow)
    if request.if_none_match.contains(etag):
        answer = Response(status=304)
    else:
        answer = Response(render_template(template, page=page, address=address, follow=follow), mimetype=mimetype)
    answer.set_etag(etag)
    # Kept, but asked about each time: a 304 is cheap, and a signature shows at the next look.
    answer.headers["Cache-Control"] = "public, no-cache"
    return answer


@blueprint.get("/p/<slug>/")
def page(slug: str) -> Response:
    return revalidated(slug, "public/page.html", "text/html")


@blueprint.get("/p/<slug>/feed.atom")
def feed(slug: str) -> Response:
    return revalidated(slug, "public/feed.atom.xml", "application/atom+xml")


@blueprint.get("/p/<slug>/feed.html")
def readable_feed(slug: str) -> Response:
    """The feed for people: how to follow, and its entries linked to their items on the page."""
    return revalidated(slug, "public/feed.html", "text/html")


@blueprint.get("/p/<slug>/calendar.ics")
def calendar(slug: str) -> Response:
    s = site()
    with s.sessions() as session:
        p, pub = lookup(session, slug)
        page = public_page(session, p, pub, s.now(), zone(s.settings.timezone))
        # Stamped with the page's last change (by the day), not the moment asked, so the body
        # (and its ETag) only changes when what the page shows does; in UTC, as DTSTAMP must be.
        ics = calendar_ics(session, p, s.now(), names=pub.names, words=page.words, stamp=page.updated.astimezone(UTC))
    return cacheable(Response(ics.content, mimetype="text/calendar"))
