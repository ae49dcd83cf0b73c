"""`partnerbot publish --out DIR`: the public pages and feeds as files, for any static host.

Each file is what the web app itself serves at the same path (asked of the app, not drawn
again), so a static copy and the live page never differ.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from bot.web.site import site
from handlers.publishing import page_path, published_slugs

FILES = {"": "index.html", "calendar.ics": "calendar.ics", "feed.atom": "feed.atom"}


def write_pages(app: Flask, out: Path) -> list[Path]:
    """Write every published page with its calendar and feed under out/p/<slug>/."""
    with app.app_context(), site().sessions() as session:
        slugs = published_slugs(session)
    client = app.test_client()
    written = []
    for slug in slugs:
        folder = out / page_path(slug).strip("/")
        folder.mkdir(parents=True, exist_ok=True)
        for path, name in FILES.items():
            answer = client.get(page_path(slug) + path)
            if answer.status_code != 200:  # unpublished between the listing and now
                continue
            (folder / name).write_bytes(answer.data)
            written.append(folder / name)
    return written
