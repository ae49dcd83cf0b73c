"""Replies by mail: what a member's answer to one of the bot's mails asks for, as a chat command.

A reply comes back to its thread's own address, which names the person, the partnership and
the record it is about (storage/models.py, EmailThread). It counts only when it comes from
that person's confirmed address. A bare verb acts on the thread's record (`done` on a
commitment's thread is `done 12`, `vote yes` on a proposal's is `vote 4 yes`, `progress 50` is
50% of it), whatever punctuation follows it, with free words after it as its note where it
takes one (`Done, thanks` is `done 12 "thanks"`); any other
command on the first line runs as typed, in the thread's partnership, exactly as in the chat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.context import Actor
from handlers.email.addresses import same_address
from handlers.email.threads import record_number
from handlers.parsing import ID
from handlers.registry import COMMANDS, canonical
from handlers.reply import plural
from storage import mail, queries
from storage.models import EmailAddress, EmailThread, Partnership, Person

# At most this many lines of command text in a reply (quotes and signatures aside).
MAX_LINES = 20
# Verbs that act on the record a thread is about, when typed without its number.
VERBS: dict[str, frozenset[str]] = {
    "commitment": frozenset({"done", "progress", "left", "drop", "snooze", "accept", "decline", "reassign", "reopen"}),
    "decision": frozenset({"agree", "disagree", "block", "abstain", "vote", "rank", "withdraw", "close", "decision",
                           "results"}),
    "concern": frozenset({"discuss", "resolve", "concerns"}),
}
# Verbs whose own first argument may be a bare number (`snooze 3`: three days, `progress 50`:
# 50%), so a number after them names the record only when another argument follows.
COUNTING = frozenset({"snooze", "progress", "left"})
# A first line's verb, then any punctuation people put after it (`Done,` `Done:` `Done -`), then the rest.
OPENING = re.compile(r"([^\W\d_]+)([\s.,:;!?\-\u2013\u2014]*)(.*)", re.DOTALL)

ANONYMOUS = ("A concern can't be raised anonymously by email: a mail carries your address wherever it goes, "
             "so nothing was done. Raise it in a direct message with partnerbot in the chat, where only you see "
             'what you type: `concern "what worries you" anonymous`.')
NOT_YOURS = ("This reply came from an address that isn't the one confirmed for this conversation, so nothing was done. "
             "Reply from the address the mail was sent to, or type the command in the chat.")
NOT_A_REPLY = ("This mail isn't a reply to one of partnerbot's mails, so nothing was done: a command by mail "
               "must answer the mail about its record (a reminder, a digest, an announcement), whose reply address "
               "names it. Reply to one of them with the command on the first line, like `done`, or type the "
               "command in the chat; `notify` there says where your mail goes.")
TOO_LONG = (f"Your reply had more than {MAX_LINES} lines of text above the quoted mail, so nothing was done. "
            "Put one command on the first line (like `done`), and nothing but a signature after it.")
TOO_BIG = ("Your reply was over 1 MB, so I didn't read it and nothing was done. Reply with just the command "
           "on the first line (like `done`), without attachments.")
# A reply acts only while its date is at most FRESH behind now and AHEAD in front of it (see `out_of_date`).
FRESH = timedelta(days=30)
AHEAD = timedelta(days=1)
# How long the mark that a mail was taken on is kept: past the last moment a copy of it could act,
# plus a day to spare for clocks that disagree.
MARKS_KEPT = FRESH + AHEAD + timedelta(days=1)
FORGET_BATCH = 1000  # marks deleted in one transaction
OLD = (f"This mail is dated more than {plural(FRESH.days, 'day')} ago, so nothing was done: an old mail is never "
       "acted on, as it may have been acted on already. If you still mean it, reply to a recent mail of partnerbot's "
       "with the command on the first line, like `done`, or type it in the chat.")
AHEAD_OF_NOW = (f"This mail is dated more than {plural(AHEAD.days, 'day')} from now, so nothing was done: the clock "
                "of the device you sent it from may be wrong. Set it right and reply again with the command on the "
                "first line, like `done`, or type it in the chat.")
UNDATED = ("This mail carries no date I can read, so nothing was done: I can't tell a new mail from an old one "
           "coming back. Reply again from your mail program with the command on the first line, like `done`, or "
           "type it in the chat.")
EMPTY = ("I found no command in your reply, so nothing was done. Put it on the first line, above the quoted mail: "
         "`done`, `progress 50%`, `agree`, `vote yes`, `accept`, `decline \"why\"`, or any command, like `help`.")


@dataclass(frozen=True)
class Sender:
    """Who a thread's reply acts as, and where: the person as their chat platform knows them."""

    person: Person
    partnership: Partnership | None
    address: str


def sender(session: Session, thread: EmailThread, from_address: str) -> Sender | None:
    """The thread's person, when the mail comes from their confirmed address; None otherwise."""
    row = session.get(EmailAddress, thread.person_id)
    if row is None or row.confirmed_at is None or not same_address(row.address, from_address):
        return None
    person = session.get(Person, thread.person_id)
    assert person is not None
    partnership = session.get(Partnership, thread.partnership_id) if thread.partnership_id else None
    return Sender(person, partnership, row.address)


def known_address(session: Session, address: str) -> bool:
    """Whether someone confirmed this address: only they are ever answered when a reply is refused
    (a stranger's, or a forged sender's, gets no mail from the bot)."""
    return session.scalar(select(func.count()).select_from(EmailAddress).where(
        func.lower(EmailAddress.address) == address.casefold(), EmailAddress.confirmed_at.is_not(None))) != 0


def actor(session: Session, who: Sender) -> Actor:
    """The chat identity a reply acts as: the person, in their partnership's home channel, so
    the command finds the same partnership it would in the chat. Mail is not private (servers
    on the way keep it), so nothing may be said anonymously."""
    channel = ""
    if who.partnership is not None:
        channel = queries.home_channel(session, who.person.platform, who.person.workspace, who.partnership.id) or ""
    return Actor(who.person.platform, who.person.workspace, who.person.user_id, channel, private=False)


def command_text(session: Session, thread: EmailThread, lines: list[str]) -> str | None:
    """The command a reply's text asks for (its first line), with the thread's record filled
    in after a bare verb; None when there is none."""
    lines = [line.strip() for line in lines if line.strip()]
    if not lines:
        return None
    first = lines[0]
    opening = OPENING.fullmatch(first)
    number = record_number(session, thread)
    if opening is None or number is None or thread.subject_kind is None:
        return first
    verb, punctuated, rest = opening[1].lower(), bool(opening[2].strip()), opening[3].strip()
    if verb not in VERBS[thread.subject_kind]:
        return first
    words = rest.split()
    # After punctuation (`Done: 500 delivered`) a number is the person's words, not a record's.
    names_record = (not punctuated and bool(words) and ID.fullmatch(words[0]) is not None
                    and (verb not in COUNTING or len(words) > 1))
    if names_record:
        return first
    if noted(verb) and rest and not any(mark in rest for mark in "\"\u201c\u201d:"):
        return f'{verb} {number} "{rest}"'  # free words: the note (quoted or with an option, they run as typed)
    return f"{verb} {number} {rest}".strip()


def noted(verb: str) -> bool:
    """Whether `verb` takes a note, a reason or a view in quotes (its usage says so, `Command.noted`):
    free words after it are that note (`Done, thanks` is `done 12 "thanks"`), as people answer a mail."""
    cmd = COMMANDS.get(canonical(verb))
    return cmd is not None and cmd.noted


def anonymous(text: str) -> bool:
    """Whether a command asks for anonymity (or uses an anonymous raiser's code)."""
    return any(word == "anonymous" or word.startswith("code:") for word in text.lower().split())


def thread_for(session: Session, token: str) -> EmailThread | None:
    return mail.thread_by_token(session, token)


def out_of_date(dated: datetime | None, now: datetime) -> str | None:
    """Why a reply dated `dated` must not act now, if it must not: the refusal mailed back.

    What keeps a mail fetched twice from acting twice is its mark (`mail.take_in`), and marks are
    deleted `MARKS_KEPT` after they were made (`forget_old_mail`), or the table would grow for ever.
    That is safe because a mail acts only while its date is at most `FRESH` behind now and at most
    `AHEAD` in front: one taken at T was dated before T + AHEAD, so any copy of it coming back
    (left unread by a crash, marked unread by hand, delivered again, sent again with its
    Message-ID) is refused as old from T + FRESH + AHEAD on, before its mark is gone. A date
    further ahead is refused too, or it would stay fresh for ever; a day covers a device whose
    zone is set wrong. `dated` is the mail's Date, or failing that its first server's stamp
    (bot/email/gateway.py, `sent_at`): never the moment it is taken, which a copy coming back
    would renew. A mail with neither (None) can't be judged, so it is refused.
    30 days lets a person back from a long holiday answer what waited for them; a reply
    older than that answers a reminder or a vote long since followed by newer mail."""
    if dated is None:
        return UNDATED
    if dated < now - FRESH:
        return OLD
    if dated > now + AHEAD:
        return AHEAD_OF_NOW
    return None


def forget_old_mail(session: Session, now: datetime) -> bool:
    """Delete a batch of the marks of mail taken on, and one of the outbox's rows sent, `MARKS_KEPT`
    ago or more; whether either batch was whole, so more may be left. Run by each nudge sweep, a
    batch a transaction, so no batch holds a table for long.

    A mark goes once no copy of its mail could act (`out_of_date` says why). A row's key keeps its
    mail from being queued twice. Only an answer or a refusal to a received mail (`answer:`,
    `refusal:` and that mail's key) could be asked for again long after: by a copy of that mail,
    which its mark finds a repeat while it lasts, and which is refused as old once the mark is gone;
    such a row is sent after its mail was taken, so it outlasts the mark, and at worst a late copy is
    told once that it is too old. Every other key is new each time (a nudge's delivery, a code, a
    confirmation) or guarded by its own record (a follower's week moves on in the transaction that
    queues it). A mail still owed is never deleted."""
    before = now - MARKS_KEPT
    taken = mail.prune_received(session, before, FORGET_BATCH)
    sent = mail.prune_sent(session, before, FORGET_BATCH)
    return FORGET_BATCH in (taken, sent)
