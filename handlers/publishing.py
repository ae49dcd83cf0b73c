"""Publishing: a partnership's public page, for everyone affected who is not in the chat.

Residents, traders, funders and the neighbouring town should understand what is happening,
why and when. The page is off until a coordinator turns it on; its address carries a
random slug, so unpublished partnerships cannot be found by guessing. People's names stay
off the page unless a coordinator turns them on: organisations and sectors are shown.

`partnerbot publish --out DIR` writes pages as files for a static host, and records where
first. Taking a page down, or its names off, removes every copy so recorded from wherever
the command runs, and says which copies it could not reach.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from handlers.context import Context
from handlers.errors import UserError
from handlers.parsing import Args
from handlers.registry import Access, command
from handlers.reply import Reply, plural
from storage.models import Partnership, Publication, PublishedCopy

SWITCHES = ["on", "off"]
# What `partnerbot publish --out` writes in a page's folder, by the address's path under the page.
PAGE_FILES = {"": "index.html", "calendar.ics": "calendar.ics", "feed.atom": "feed.atom", "feed.html": "feed.html"}


def live_address() -> str | None:
    """The web app's public address when the settings give one (PARTNERBOT_BASE_URL); None when
    nothing says it is reached from outside this machine."""
    base = os.environ.get("PARTNERBOT_BASE_URL")
    return base.rstrip("/") if base else None


def site_address() -> str:
    """Where the web app is reached from outside: PARTNERBOT_BASE_URL, else this machine's PORT."""
    return live_address() or f"http://localhost:{os.environ.get('PORT') or 3000}"


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
         examples=("publish on", "publish names:on", "publish off", "publish"), reads_alone=True, after_end=True)
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
    said = describe(p, pub)
    if changes.get("published") is False or changes.get("names") is False:  # the page now shows less
        still = "is still up" if not pub.published else "still shows people's names"
        said = "\n".join([said, *take_down_copies(ctx.session, p.id, still)])
    return Reply(title=f"Public page of {p.name}", text=said)


def summary(pub: Publication) -> str:
    if not pub.published:
        return "took the public page down"
    return "put the public page up, " + ("with people's names" if pub.names else "without people's names")


# Copies written by `partnerbot publish --out DIR` ---------------------------------------

def this_host() -> str:
    return socket.gethostname()


@dataclass(frozen=True)
class Page:
    """A published page as `partnerbot publish` writes it: whose, at what address, with names or not."""

    partnership_id: int
    slug: str
    names: bool


def published_pages(session: Session) -> list[Page]:
    """Every published page, for writing the pages out as static files."""
    return [Page(pid, slug, names) for pid, slug, names in session.execute(
        select(Publication.partnership_id, Publication.slug, Publication.names)
        .where(Publication.published.is_(True)).order_by(Publication.partnership_id))]


def record_copy(session: Session, partnership_id: int, folder: Path, now: datetime) -> None:
    """Note where a page is about to be written, before writing it: a page taken down from then
    on finds the copy and removes it."""
    found = session.scalar(select(PublishedCopy).where(PublishedCopy.partnership_id == partnership_id,
                                                       PublishedCopy.folder == str(folder)))
    if found is None:
        session.add(PublishedCopy(partnership_id=partnership_id, host=this_host(), folder=str(folder), written_at=now))
    else:
        found.host, found.written_at = this_host(), now


def remove_page_files(folder: Path) -> int:
    """Remove the files `partnerbot publish` writes in a page's folder (and the folder, once
    empty); how many were there."""
    removed = 0
    for name in PAGE_FILES.values():
        try:
            (folder / name).unlink()
            removed += 1
        except FileNotFoundError:
            pass
    try:
        folder.rmdir()
    except OSError:  # something else lives there too: leave it
        pass
    return removed


def take_down_copies(session: Session, partnership_id: int, still: str) -> list[str]:
    """Remove every recorded copy of a partnership's page that can be reached from here; a
    line for each copy removed, and for each that could not be (written on another machine)."""
    said = []
    for copy in session.scalars(select(PublishedCopy).where(PublishedCopy.partnership_id == partnership_id)
                                .order_by(PublishedCopy.id)):
        folder = Path(copy.folder)
        if folder.is_dir():
            removed = remove_page_files(folder)
            said.append(f"Removed the copy `partnerbot publish` wrote to {folder} ({plural(removed, 'file')}).")
        elif copy.host != this_host():
            said.append(f"The copy on {copy.host}, in {folder}, {still}: run `partnerbot publish --out "
                        f"{folder.parent.parent}` there to remove it, or delete that folder.")
            continue
        session.delete(copy)
    return said
