"""Following a public page by email: residents get the week's changes, and nothing else.

The page's form only mails a link to the address given; nothing more goes there until that
link is opened and confirmed (double opt-in), and an address never confirmed is forgotten
after a week. A follower gets one mail a week, none in a quiet week, of what changed: the
same entries as the page's Atom feed, from the same function. Only the address and its
confirmation are kept; the link in every mail (and its List-Unsubscribe header) erases it
in one click. Limits per address and per client, counted in the database, stop the form
being used to mail strangers.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from handlers.email.addresses import parse_address, within
from handlers.public_page import Change, day_of, public_page
from handlers.publishing import page_path, published, site_address
from storage import mail
from storage.models import EmailAddress, Follower, NotifyMode, Partnership, Publication

WEEK = timedelta(days=7)
UNCONFIRMED_FOR = timedelta(days=7)
PER_ADDRESS = 3  # confirmation mails to one address in a day, whichever pages ask
PER_CLIENT = 10  # follow requests from one client (IP address) in a day


class TooMany(Exception):
    """This client asked too often today."""


@dataclass(frozen=True)
class Asked:
    """What the form says back: the same whether or not a mail went, so it reveals nobody."""

    partnership: str
    text: str


def follow(session: Session, slug: str, typed: str, client: str, now: datetime) -> Asked:
    """Ask to follow the page at `slug`: a confirmation link is mailed, within the day's limits.

    Raises LookupError for a page that is not published, UserError for a bad address, TooMany
    when this client asked too often today."""
    found = published(session, slug)
    if found is None:
        raise LookupError(slug)
    partnership = found[0]
    address = parse_address(typed)
    if not within(session, now, PER_CLIENT, "follow-client", client):
        raise TooMany(client)
    asked = Asked(partnership.name, f"If {address} can follow {partnership.name}, a mail is on its way to it: open "
                  "the link in it to confirm. Nothing else is sent there until you do.")
    if not within(session, now, PER_ADDRESS, "follow-address", address.casefold()):
        return asked
    row = session.scalar(select(Follower).where(Follower.partnership_id == partnership.id,
                                                func.lower(Follower.address) == address.casefold()))
    if row is not None and row.confirmed_at is not None:
        return asked  # already following: nothing to confirm, and nothing said about it
    if row is None:
        row = Follower(partnership_id=partnership.id, address=address, token=secrets.token_urlsafe(24), created_at=now)
        session.add(row)
        session.flush()
    mail.queue(session, f"follow-confirm:f{row.id}:{secrets.token_hex(8)}", row.address,
               f"Confirm: follow {partnership.name} by email", confirm_text(partnership, row), now)
    return asked


def confirm_text(partnership: Partnership, row: Follower) -> str:
    return (f"Someone (we hope you) asked to follow {partnership.name} by email: one mail a week with what changed, "
            f"none in a quiet week.\n\nTo confirm, open {site_address()}/email/follow/{row.token} and press Confirm."
            "\n\nIf it wasn't you, ignore this mail: the address is forgotten in a week, and nothing else is sent.")


def pending(session: Session, token: str) -> tuple[Follower, Partnership] | None:
    row = session.scalar(select(Follower).where(Follower.token == token))
    return (row, session.get_one(Partnership, row.partnership_id)) if row is not None else None


def known(session: Session, token: str) -> bool:
    """Whether an unsubscribe link's token is a follower's or a member's."""
    return pending(session, token) is not None or session.scalar(
        select(func.count()).select_from(EmailAddress).where(EmailAddress.unsubscribe == token)) != 0


def confirm(session: Session, token: str, now: datetime) -> str | None:
    """Confirm a follower by their link's token; the partnership's name, or None for no such link.
    Confirming twice (two clicks at once) confirms once."""
    found = pending(session, token)
    if found is None:
        return None
    row, partnership = found
    session.execute(update(Follower).where(Follower.id == row.id, Follower.confirmed_at.is_(None))
                    .values(confirmed_at=now, sent_through=now))
    return partnership.name


def unsubscribe(session: Session, token: str, now: datetime) -> str | None:
    """One click: a follower's address erased, or a member's mail stopped (back to the chat).
    What was done, said for the page; None for no such link."""
    found = pending(session, token)
    if found is not None:
        session.execute(delete(Follower).where(Follower.id == found[0].id))
        return f"Done: this address no longer follows {found[1].name}, and it has been erased."
    member = session.scalar(select(EmailAddress).where(EmailAddress.unsubscribe == token))
    if member is not None:
        session.execute(update(EmailAddress).where(EmailAddress.person_id == member.person_id)
                        .values(mode=NotifyMode.CHAT, wanted=None, new_address=None, code_hash=None, updated_at=now))
        return ("Done: no more mail from partnerbot. Your nudges come in the chat again; "
                "`notify email` there starts mail again.")
    return None


def weekly(session: Session, now: datetime, tz: ZoneInfo) -> int:
    """Queue each follower's weekly mail once their week is up: the changes since their last one,
    or nothing in a quiet week. Unconfirmed addresses past their week are erased. One query
    when no follower's week is up; returns the mails queued."""
    session.execute(delete(Follower).where(Follower.confirmed_at.is_(None), Follower.created_at < now - UNCONFIRMED_FOR))
    due = list(session.scalars(select(Follower).where(Follower.sent_through <= now - WEEK)
                               .order_by(Follower.partnership_id, Follower.id)))
    queued, through = 0, day_of(now, tz)
    pages: dict[int, tuple[Partnership, Publication, list[Change]] | None] = {}
    for row in due:
        if row.partnership_id not in pages:  # each page built once, however many follow it
            p, pub = session.get_one(Partnership, row.partnership_id), session.get(Publication, row.partnership_id)
            pages[row.partnership_id] = (p, pub, public_page(session, p, pub, now, tz).changes) \
                if pub is not None and pub.published else None
        found, since = pages[row.partnership_id], row.sent_through
        assert since is not None
        # The feed dates changes by the day: a week is the days from the last mail's up to today's
        # (today's changes go next week), so no change is told twice or missed.
        changed = [c for c in found[2] if day_of(since, tz) <= c.at < through] if found is not None else []
        if found is not None and changed:
            queued += mail.queue(session, f"follow:f{row.id}:{since:%Y%m%dT%H%M%S}", row.address,
                                 f"This week in {found[0].name}", week_text(found[0], found[1], changed, tz), now,
                                 unsubscribe=row.token)
        session.execute(update(Follower).where(Follower.id == row.id, Follower.sent_through == since)
                        .values(sent_through=through))
    return queued


def week_text(p: Partnership, pub: Publication, changed: list[Change], tz: ZoneInfo) -> str:
    entries = "\n".join(f"- {c.title} ({c.at.astimezone(tz):%-d %b})" + (f": {' '.join(c.text.split())}" if c.text else "")
                        for c in changed)
    return f"What changed in {p.name} this week:\n\n{entries}\n\nThe whole picture: {site_address()}{page_path(pub.slug)}"

