"""The coordinators' dashboard: private, behind a one-time sign-in link from the chat.

Opening a link shows a button rather than signing in at once, so a link checker or a
chat's preview fetching the address does not use it up. Signing in sets a signed cookie
holding the session's token; each view checks the session is open on the server and the
person still coordinates the partnership. Nothing here is cached by a browser or a proxy.
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, session, url_for
from sqlalchemy.orm import Session

from bot.web.charts import data_uri
from bot.web.site import site
from handlers.context import zone
from handlers.dashboard import coordinates, dashboard_of, link_holder, link_usable, sign_in, sign_out, signed_in
from storage.models import Partnership
from storage.queries import membership

blueprint = Blueprint("dashboard", __name__)

TOKEN = "session"
NO_LINK = "This sign-in link has been used or has expired. Type `dashboard` in the chat for a new one."
NOT_COORDINATOR = "Only the partnership's coordinators see its dashboard."


def refused(status: int, why: str) -> tuple[str, int]:
    return render_template("dashboard/refused.html", why=why), status


def why_not(db: Session, token: str) -> str | None:
    """Why a link does not sign in (None: it does): its holder no longer coordinates (a new link
    would be refused too), or it is used, expired or unknown."""
    holder = link_holder(db, token)
    if holder is not None and not coordinates(db, *holder):
        return NOT_COORDINATOR
    return None if link_usable(db, token, site().now()) else NO_LINK


@blueprint.get("/signin/<token>")
def confirm(token: str) -> str | tuple[str, int]:
    with site().sessions() as db:
        why = why_not(db, token)
    if why is not None:
        return refused(403, why)
    return render_template("dashboard/signin.html", token=token)


@blueprint.after_request
def private(response: Response) -> Response:
    """Dashboards, sign-in pages and refusals alike: kept by no cache, shown again by no Back button."""
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/signin/<token>")
def signin(token: str) -> Response | tuple[str, int]:
    with site().sessions.begin() as db:
        opened = sign_in(db, token, site().now())
    if opened is None:
        with site().sessions() as db:
            return refused(403, why_not(db, token) or NO_LINK)  # used by a request at the same moment
    session.clear()
    session.permanent = True
    session[TOKEN] = opened
    return redirect(url_for("dashboard.show"), 303)


@blueprint.post("/signout")
def signout() -> Response:
    token = session.get(TOKEN)
    if isinstance(token, str):
        with site().sessions.begin() as db:
            sign_out(db, token, site().now())
    session.clear()
    return redirect(url_for("dashboard.signed_out"), 303)


@blueprint.get("/signout")
def signed_out() -> tuple[str, int]:
    return refused(200, "You are signed out. Type `dashboard` in the chat to sign in again.")


@blueprint.get("/dashboard")
def show() -> str | tuple[str, int]:
    token = session.get(TOKEN)
    s = site()
    with s.sessions() as db:
        who = signed_in(db, token, s.now()) if isinstance(token, str) else None
        if who is None:
            session.clear()
            return refused(401, "Sign in first: type `dashboard` in the partnership's chat for a link.")
        partnership_id, person_id = who
        p = db.get(Partnership, partnership_id)
        if p is None or not coordinates(db, partnership_id, person_id):
            session.clear()
            return refused(403, NOT_COORDINATOR)
        # Read as `health` reads it to this coordinator in the chat: in their zone (the site's would
        # put "today", a review's due day and the weeks a day off theirs), with the commands they may run.
        reader = membership(db, partnership_id, person_id)
        assert reader is not None  # they coordinate it
        board = dashboard_of(db, p, s.now(), zone(reader.person.timezone), reader)
        images = {c.key: data_uri(c) for c in board.charts if c.kind != "hbar"}  # bars the page draws itself
        return render_template("dashboard/dashboard.html", board=board, images=images)
