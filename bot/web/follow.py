"""Following by email, for residents: the public page's form, the confirmation link, and the
one-click unsubscribe link every mail carries (for members' mail too).

Opening a link (GET) only shows a button: mail scanners that open every link confirm and
unsubscribe nothing. Pressing it, or a mail client's one-click unsubscribe (RFC 8058's POST),
does it. An unknown link gets the same 404 as a wrong page address.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request

from bot.web.public import lookup
from bot.web.site import site
from handlers.email import following
from handlers.errors import UserError
from storage.database import transaction

blueprint = Blueprint("follow", __name__)

NO_MAIL = ("This site sends no mail, so the page cannot be followed by email, and your address was not kept. "
           "Follow it in a feed reader or a calendar instead: the page's \"how to follow\" link says how.")


def shown(title: str, text: str, status: int = 200, action: str | None = None, button: str | None = None) -> Response:
    return Response(render_template("public/follow.html", title=title, text=text, action=action, button=button),
                    status=status, mimetype="text/html")


@blueprint.post("/p/<slug>/follow")
def follow(slug: str) -> Response:
    s = site()
    if not s.settings.mail_enabled:  # the page offers no form then; a stale one keeps and counts nothing
        with s.sessions() as session:
            lookup(session, slug)
        return shown("Follow by email", NO_MAIL, 503)
    try:
        with transaction(s.sessions) as session:
            asked = following.follow(session, slug, request.form.get("address", ""), request.remote_addr or "", s.now())
    except LookupError:
        abort(404)
    except UserError as refused:
        return shown("Follow by email", f"{refused.message} Go back and type the address again.", 400)
    except following.TooMany:
        return shown("Follow by email", "Too many requests from here today; try again tomorrow.", 429)
    return shown(f"Follow {asked.partnership} by email", asked.text)


@blueprint.route("/email/follow/<token>", methods=["GET", "POST"])
def confirm(token: str) -> Response:
    s = site()
    with transaction(s.sessions) as session:
        found = following.pending(session, token)
        if found is None:
            abort(404)
        name = found[1].name
        if request.method == "GET":
            return shown(f"Follow {name} by email", f"Press Confirm to get one mail a week of what changed in {name} "
                         "(none in a quiet week). Every mail has a link to stop them.", action=request.path,
                         button="Confirm")
        following.confirm(session, token, s.now())
    return shown(f"Following {name}", f"Done: you follow {name} by email. The first mail comes in a week, "
                 "if anything changed.")


@blueprint.route("/email/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> Response:
    s = site()
    with transaction(s.sessions) as session:
        if request.method == "GET":
            if not following.known(session, token):
                abort(404)
            return shown("Stop these mails", "Press Stop to get no more mail from partnerbot.", action=request.path,
                         button="Stop")
        done = following.unsubscribe(session, token, s.now())
    if done is None:
        abort(404)
    return shown("Stopped", done)

