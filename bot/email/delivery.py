"""Nudges by mail: a chat platform's Delivery that also (or instead) mails people who chose it.

The scheduler (bot/scheduler.py) calls `send_to_person` and `send_to_channel` as it does for any
platform; this wraps the platform's own Delivery. A person who chose `notify email` gets the
message queued in the outbox instead of the direct message; `notify both`, the direct message
and then the mail. A channel's message (a digest, an announcement) is posted as before and
mailed to the partnership's members who chose mail, but for lines copied into the rooms alone
(`Item.echo`). A message of several records' nudges is mailed as one mail per record, each in
its record's conversation. Queuing is a write to the database, so the
nudge ledger marks the nudge sent once its mail is queued, and the outbox sends it once.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.email.render import reply_text
from bot.scheduler import Delivery
from handlers.email import notify
from handlers.email.threads import open_thread
from handlers.reply import Reply, Section
from storage import mail, queries
from storage.database import database_now, transaction
from storage.models import EmailAddress, EmailThread, NotifyMode, Person


def routed(settings: Settings, sessions: sessionmaker[Session], chat: Delivery, platform: str) -> Delivery:
    """The platform's Delivery, with mail for those who chose it when this partnerbot sends mail."""
    return Routed(chat, sessions, platform) if settings.mail_enabled else chat


def queue_reply(session: Session, person: Person, to: EmailAddress, reply: Reply, thread: EmailThread,
                now: datetime, key: str, in_reply_to: str | None = None, refs: str | None = None) -> None:
    """Queue a reply as a mail to a person in a conversation; an answer to their mail refers to it too."""
    subject = f"Re: {thread.title}" if in_reply_to else thread.title
    mail.queue(session, key, to.address, subject, reply_text(reply), now, thread=thread, in_reply_to=in_reply_to,
               refs=refs, unsubscribe=to.unsubscribe, answer=in_reply_to is not None)


def conversation(session: Session, person: Person, reply: Reply, partnership_id: int | None,
                 now: datetime) -> EmailThread:
    """The conversation about the one record all of a reply's lines are about, else about the partnership."""
    about = {item.about for section in reply.sections for item in section.items}
    return open_thread(session, person.id, partnership_id, about.pop() if len(about) == 1 else None, now)


def by_record(reply: Reply) -> list[Reply]:
    """A message of nudges as mails, one per record its lines are about (so a reply to each acts
    on its record: `vote yes` in a proposal's conversation), the rest together; a line copied
    for the chat rooms alone (`Item.echo`) is left out, and a mail left with no line is not sent."""
    if not reply.sections:
        return [reply]
    groups: dict[tuple[str, int] | None, list[Section]] = {}
    for section in reply.sections:
        for item in section.items:
            if item.echo:
                continue
            found = groups.setdefault(item.about, [])
            if not found or found[-1].heading != section.heading:
                found.append(Section(section.heading, []))
            found[-1].items.append(item)
    return [replace(reply, sections=sections) for sections in groups.values()]


class Routed:
    """A chat Delivery with mail for the people (and the partnerships' members) who chose it."""

    def __init__(self, chat: Delivery, sessions: sessionmaker[Session], platform: str) -> None:
        self.chat = chat
        self.sessions = sessions
        self.platform = platform

    def send_to_person(self, workspace: str, user_id: str, *, reply: Reply,
                       partnership_channel: str | None = None) -> object:
        with self.sessions() as session:
            person = queries.find_person(session, self.platform, workspace, user_id)
            to = notify.recipients(session, [person.id]).get(person.id) if person is not None else None
        sent = None
        if to is None or to.mode is NotifyMode.BOTH:
            sent = self.chat.send_to_person(workspace, user_id, reply=reply, partnership_channel=partnership_channel)
        if person is not None and to is not None:
            now = database_now(self.sessions)
            with transaction(self.sessions) as session:
                link = queries.channel_link(session, self.platform, workspace, partnership_channel or "")
                for part in by_record(reply):
                    thread = conversation(session, person, part, link.partnership_id if link else None, now)
                    queue_reply(session, person, to, part, thread, now, new_key())
        return sent

    def send_to_channel(self, workspace: str, channel: str, *, reply: Reply) -> object:
        sent = self.chat.send_to_channel(workspace, channel, reply=reply)
        now = database_now(self.sessions)
        with transaction(self.sessions) as session:
            link = queries.channel_link(session, self.platform, workspace, channel)
            if link is None:
                return sent
            parts = by_record(reply)
            members = {m.person_id: m.person for m in queries.active_members(session, link.partnership_id)}
            for person_id, to in notify.recipients(session, members if parts else ()).items():
                for part in parts:
                    thread = conversation(session, members[person_id], part, link.partnership_id, now)
                    queue_reply(session, members[person_id], to, part, thread, now, new_key())
        return sent


def new_key() -> str:
    """A nudge's mail is queued once per delivery the ledger makes: its key need only be new."""
    return f"nudge:{uuid.uuid4().hex}"
