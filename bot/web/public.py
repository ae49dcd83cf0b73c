"""The public pages: a published partnership's page, its calendar and its feed of changes.

Anyone with the address may read them, so they show only what the partnership chose to
publish. An address that is unknown, malformed or of an unpublished partnership gets the
same 404, so slugs cannot be probed. The calendar and the feed carry an ETag: a calendar
app or feed reader polling for changes gets 304 Not Modified until something changes.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, render_template, request
from sqlalchemy.orm import Session

from bot.web.site import site
from handlers.context import zone
from handlers.exports import calendar_ics
from handlers.public_page import PublicPage, public_page
from handlers.publishing import page_path, published, site_address
from storage.models import Partnership, Publication

blueprint = Blueprint("public", __name__)

SLUG = re.compile(r"[A-Za-z0-9_-]{16,64}")


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


@blueprint.get("/p/<slug>/")
def page(slug: str) -> Response:
    return cacheable(Response(render_template("public/page.html", page=page_of(slug)), mimetype="text/html"))


@blueprint.get("/p/<slug>/feed.atom")
def feed(slug: str) -> Response:
    body = render_template("public/feed.atom.xml", page=page_of(slug), address=site_address() + page_path(slug))
    return cacheable(Response(body, mimetype="application/atom+xml"))


@blueprint.get("/p/<slug>/calendar.ics")
def calendar(slug: str) -> Response:
    s = site()
    with s.sessions() as session:
        p, pub = lookup(session, slug)
        page = public_page(session, p, pub, s.now(), zone(s.settings.timezone))
        # Stamped with the page's last change (by the day), not the moment asked, so the body
        # (and its ETag) only changes when what the page shows does.
        ics = calendar_ics(session, p, page.updated, names=pub.names, domain=f"{slug}.partnerbot",
                           words=page.words)
    return cacheable(Response(ics.content, mimetype="text/calendar"))
