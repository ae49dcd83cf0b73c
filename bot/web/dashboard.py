"""The coordinators' dashboard: private, behind a one-time sign-in link from the chat.

Opening a link shows a button rather than signing in at once, so a link checker or a
chat's preview fetching the address does not use it up. Signing in sets a signed session
cookie naming the person and the partnership; each view checks they still coordinate it.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, redirect, render_template, session, url_for

from bot.web.charts import data_uri
from bot.web.site import site
from handlers.context import zone
from handlers.dashboard import coordinates, dashboard_of, link_usable, sign_in
from storage.models import Partnership

blueprint = Blueprint("dashboard", __name__)

SESSION_LIFETIME = timedelta(hours=8)
NO_LINK = "This sign-in link has been used or has expired. Type `dashboard` in the chat for a new one."


def refused(status: int, why: str) -> tuple[str, int]:
    return render_template("dashboard/refused.html", why=why), status


@blueprint.get("/signin/<token>")
def confirm(token: str) -> str | tuple[str, int]:
    with site().sessions() as db:
        if not link_usable(db, token, site().now()):
            return refused(403, NO_LINK)
    return render_template("dashboard/signin.html", token=token)


@blueprint.post("/signin/<token>")
def signin(token: str) -> Response | tuple[str, int]:
    with site().sessions.begin() as db:
        who = sign_in(db, token, site().now())
    if who is None:
        return refused(403, NO_LINK)
    session.clear()
    session.permanent = True
    session["partnership"], session["person"] = who
    return redirect(url_for("dashboard.show"), 303)


@blueprint.post("/signout")
def signout() -> Response:
    session.clear()
    return redirect(url_for("dashboard.signed_out"), 303)


@blueprint.get("/signout")
def signed_out() -> tuple[str, int]:
    return refused(200, "You are signed out. Type `dashboard` in the chat to sign in again.")


@blueprint.get("/dashboard")
def show() -> str | tuple[str, int]:
    partnership_id, person_id = session.get("partnership"), session.get("person")
    if not isinstance(partnership_id, int) or not isinstance(person_id, int):
        return refused(401, "Sign in first: type `dashboard` in the partnership's chat for a link.")
    s = site()
    with s.sessions() as db:
        p = db.get(Partnership, partnership_id)
        if p is None or not coordinates(db, partnership_id, person_id):
            session.clear()
            return refused(403, "Only the partnership's coordinators see its dashboard.")
        board = dashboard_of(db, p, s.now(), zone(s.settings.timezone))
        images = {c.key: data_uri(c) for c in board.charts}
        return render_template("dashboard/dashboard.html", board=board, images=images)
