"""Publishing: a partnership's public page, for everyone affected who is not in the chat.

Residents, traders, funders and the neighbouring town should understand what is happening,
why and when. The page is off until a coordinator turns it on; its address carries a
random slug, so unpublished partnerships cannot be found by guessing. People's names stay
off the page unless a coordinator turns them on: organisations and sectors are shown.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from handlers.context import Context
from handlers.errors import UserError
from handlers.parsing import Args
from handlers.registry import Access, command
from handlers.reply import Reply
from storage.models import Event, Partnership, Publication

SWITCHES = ["on", "off"]


def site_address() -> str:
    """Where the web app is reached from outside: PARTNERBOT_BASE_URL, else this machine's PORT."""
    base = os.environ.get("PARTNERBOT_BASE_URL") or f"http://localhost:{os.environ.get('PORT') or 3000}"
    return base.rstrip("/")


def page_path(slug: str) -> str:
    return f"/p/{slug}/"


def new_slug() -> str:
    """128 random bits: far too many pages to find one by trying."""
    return secrets.token_urlsafe(16)


def published(session: Session, slug: str) -> tuple[Partnership, Publication] | None:
    """The partnership a public address shows, if it is published; else nothing at all."""
    row = session.execute(select(Partnership, Publication).join(Publication, Publication.partnership_id == Partnership.id)
                          .where(Publication.slug == slug, Publication.published.is_(True))).first()
    return (row[0], row[1]) if row else None


def switch(value: str, what: str) -> bool:
    if value.lower() not in SWITCHES:
        raise UserError(f"`{value[:20]}` isn't on or off.", f"Type `publish {what}on` or `publish {what}off`.")
    return value.lower() == "on"


def describe(p: Partnership, pub: Publication | None) -> str:
    if pub is None or not pub.published:
        return f"{p.name} has no public page. `publish on` starts one (people's names stay off unless you add `names:on`)."
    names = "with people's names" if pub.names else "without people's names (organisations and sectors only)"
    return (f"{p.name}'s public page is on, {names}: {site_address()}{page_path(pub.slug)}\n"
            f"Calendar: {site_address()}{page_path(pub.slug)}calendar.ics · Changes (Atom): "
            f"{site_address()}{page_path(pub.slug)}feed.atom")


@command("publish", usage="publish on|off|names:on|off", access=Access.COORDINATOR, options=("names",),
         examples=("publish on", "publish names:on", "publish off", "publish"), reads_alone=True)
def publish(ctx: Context, args: Args) -> Reply:
    """Turn the partnership's public page on or off, with or without people's names (coordinators).

    The page shows anyone with its address the purpose and goals, who takes part by
    organisation and sector, open and done work, decisions and agreements with their reasons,
    and the dates ahead. Its address is random; `publish off` takes it down, and `publish on`
    brings back the same address. Names are off unless you say `names:on`."""
    turn = switch(args.take_word("on or off", SWITCHES), "") if args.has_more() else None
    names = switch(args.options["names"], "names:") if "names" in args.options else None
    args.finish()
    p = ctx.require_partnership()
    pub = ctx.session.get(Publication, p.id)
    if turn is None and names is None:
        return Reply(title=f"Public page of {p.name}", text=describe(p, pub))
    if pub is None:
        pub = Publication(partnership_id=p.id, slug=new_slug(), published=False, names=False, updated_at=ctx.now)
        ctx.session.add(pub)
        ctx.session.flush()
    changes: dict[str, object] = {}
    if turn is not None and turn != pub.published:
        changes["published"] = turn
    if names is not None and names != pub.names:
        changes["names"] = names
    if changes:
        # Conditional on what was read, so two coordinators switching at once do not both log it.
        done = ctx.session.execute(update(Publication).where(
            Publication.partnership_id == p.id, Publication.published == pub.published, Publication.names == pub.names)
            .values(updated_at=ctx.now, **changes))
        if done.rowcount != 1:
            raise UserError("Someone changed the public page at the same moment.", "Type `publish` to see how it is now.")
        ctx.session.refresh(pub)
        ctx.record("publish", summary(pub))
    return Reply(title=f"Public page of {p.name}", text=describe(p, pub))


def summary(pub: Publication) -> str:
    if not pub.published:
        return "took the public page down"
    return "put the public page up, " + ("with people's names" if pub.names else "without people's names")


def last_change(session: Session, partnership_id: int) -> datetime | None:
    """When anything in the partnership last changed: the newest entry of its event log."""
    return session.scalar(select(func.max(Event.created_at)).where(Event.partnership_id == partnership_id))


def published_slugs(session: Session) -> list[str]:
    """Every published page's slug, for writing the pages out as static files."""
    return list(session.scalars(select(Publication.slug).where(Publication.published.is_(True))
                                .order_by(Publication.partnership_id)))
