"""`partnerbot publish --out DIR`: the public pages and feeds as files, for any static host.

Each file is what the web app itself serves at the same path (asked of the app, not drawn
again), so a static copy and the live page never differ but in one thing: a copy has no form
to follow the page by email, as no server stands behind it (`public.following`). Where each page goes is recorded
before it is written, so `publish off` in the chat (in another process, maybe on another
machine) can remove it; and once written, each page is checked again, waiting for any change
of the page's switches in flight, so a page taken down while it was being written does not
stay. Copies on this machine of pages no longer published are removed too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.web.public import COPY
from bot.web.site import site
from handlers.publishing import (
    PAGE_FILES,
    Page,
    page_path,
    published_pages,
    record_copy,
    remove_page_files,
    take_down_copies,
    this_host,
)
from storage.database import take_write_lock
from storage.models import Publication, PublishedCopy


@dataclass
class Written:
    files: list[Path] = field(default_factory=list)
    # What was taken down: a line for each copy removed or out of reach.
    removed: list[str] = field(default_factory=list)


def write_pages(app: Flask, out: Path) -> Written:
    """Write every published page with its calendar and feed under out/p/<slug>/."""
    out = out.resolve()
    written = Written()
    with app.app_context():
        s = site()
        with s.sessions.begin() as session:
            pages = published_pages(session)
            for page in pages:
                record_copy(session, page.partnership_id, folder_of(out, page), s.now())
        client = app.test_client()
        for page in pages:
            answers = {name: client.get(page_path(page.slug) + path, environ_base={COPY: True})
                       for path, name in PAGE_FILES.items()}
            if any(a.status_code != 200 for a in answers.values()):  # taken down since the listing
                continue
            folder = folder_of(out, page)
            try:
                folder.mkdir(parents=True, exist_ok=True)
                for name, answer in answers.items():
                    (folder / name).write_bytes(answer.data)
                    written.files.append(folder / name)
            except FileNotFoundError:  # the chat's `publish off` removed the folder meanwhile: checked below
                continue
        with s.sessions.begin() as session:
            shown = settled(session, pages)
            for page in pages:
                if page.partnership_id in shown and (shown[page.partnership_id] or not page.names):
                    continue  # still published, showing no more than when it was written
                # Taken down, or its names turned off, while it was being written: the chat may
                # already have removed what it knew of, so this copy goes here.
                folder = folder_of(out, page)
                written.files = [f for f in written.files if f.parent != folder]
                if remove_page_files(folder):
                    written.removed.append(f"Removed {folder} again: the page was taken down, or its names turned off, "
                                           "while it was being written.")
                written.removed += take_down_copies(session, page.partnership_id, "is out of date")
            written.removed += left_behind(session, out)
    return written


def folder_of(out: Path, page: Page) -> Path:
    return out / page_path(page.slug).strip("/")


def settled(session: Session, pages: list[Page]) -> dict[int, bool]:
    """Whether each page is published now, with names or not, once any switch of it in flight is
    done: read under the lock the `publish` command takes (SQLite's write lock, or the rows')."""
    take_write_lock(session)
    rows = session.execute(select(Publication.partnership_id, Publication.names).where(
        Publication.partnership_id.in_([p.partnership_id for p in pages]), Publication.published.is_(True))
        .with_for_update(read=True))
    return {pid: names for pid, names in rows}


def left_behind(session: Session, out: Path) -> list[str]:
    """Remove copies of pages no longer published: those recorded on this machine, and any in
    `out` (written before copies were recorded)."""
    removed = []
    unpublished = session.execute(select(Publication.partnership_id, Publication.slug)
                                  .where(Publication.published.is_(False))).all()
    recorded = set(session.scalars(select(PublishedCopy.partnership_id).where(
        PublishedCopy.host == this_host(), PublishedCopy.partnership_id.in_([pid for pid, _ in unpublished]))))
    for pid, slug in unpublished:
        if pid in recorded:
            removed += take_down_copies(session, pid, "is still up")
        folder = out / page_path(slug).strip("/")
        if folder.is_dir():
            count = remove_page_files(folder)
            removed.append(f"Removed {folder}, a page no longer published ({count} files).")
    return removed
