"""Mail in: a received mail turned into the same call a chat command makes, and its answer mailed back.

Whichever way a mail arrives (the IMAP mailbox, or a mail server's pipe: `partnerbot mail-in`),
`take` decides what it is:
- an automatic mail (an out-of-office, a bounce, a list's mail, a loop of our own) is dropped
  unanswered, as RFC 3834 asks (Auto-Submitted, Precedence, a null sender, a delivery report);
- a reply to a thread's address (`partnerbot+<token>@...`, found across the headers servers
  really use, as Zulip does) from the thread person's confirmed address, dated within the last
  30 days (`handlers.email.replies.out_of_date`; otherwise refused), is their command: its
  quoted text and signature are cut by a maintained reply parser, its first line is run through
  `handlers.handle` as that person, once per Message-ID, and the answer is mailed back in the thread;
- anything else is refused once, politely, when it comes from an address someone confirmed,
  and otherwise dropped: the bot never mails strangers, nor a forged sender.
Tokens and addresses are never logged.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.email.delivery import queue_reply
from handlers import handle
from handlers.email import replies
from handlers.email.addresses import within
from handlers.reply import Audience, Reply
from storage import mail, nudges, queries
from storage.database import database_now, transaction
from storage.models import EmailAddress, EmailThread

log = logging.getLogger(__name__)

MAX_BYTES = 1_000_000
# Where servers put the address a mail was delivered to, most telling first (Zulip's order).
RECIPIENT_HEADERS = ("X-Gm-Original-To", "Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")
TOKEN = re.compile(r"\+([0-9a-f]{32})@", re.IGNORECASE)
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
NO_REPLY_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)@", re.IGNORECASE)
REFUSALS_A_DAY = 1  # refusals mailed to one address in a day
LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "da", "cz"]


@dataclass(frozen=True)
class Received:
    """What became of a received mail: `acted`, `repeat`, `refused` or `dropped`, and why."""

    outcome: str
    why: str


class MailOnce:
    """The mark that a mail was taken on (`handlers.dispatch.Once`): a hash of its Message-ID,
    written in the command's own transaction, so a mail fetched twice acts once."""

    def __init__(self, key: str, now: datetime) -> None:
        self.key, self.now = key, now

    def __call__(self, session: Session) -> None:
        mail.take_in(session, self.key, self.now)

    def discreet(self) -> MailOnce:
        return self


def parse(raw: bytes) -> EmailMessage:
    """The mail, or only its headers when it is over the size limit (its body is not read)."""
    if len(raw) > MAX_BYTES:
        head, _, _ = raw[:MAX_BYTES].partition(b"\r\n\r\n")
        if len(head) == MAX_BYTES:
            head, _, _ = raw[:MAX_BYTES].partition(b"\n\n")
        raw = head + b"\r\n\r\n"
    found = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(found, EmailMessage)
    return found


def automatic(msg: EmailMessage) -> str | None:
    """Why a mail was sent by a machine and must get no answer (RFC 3834, RFC 3464), if it was."""
    submitted = str(msg.get("Auto-Submitted", "no")).strip().lower()
    if submitted != "no":
        return "Auto-Submitted"
    if str(msg.get("Precedence", "")).strip().lower() in AUTOMATIC_PRECEDENCE:
        return "Precedence"
    if any(msg.get(name) for name in ("X-Autoreply", "X-Autorespond", "List-Id", "List-Unsubscribe")):
        return "an auto-reply or list header"
    if str(msg.get("Return-Path", "")).strip() == "<>":
        return "a null sender"
    if msg.get_content_type() == "multipart/report":
        return "a delivery report"
    sender = parseaddr(str(msg.get("From", "")))[1]
    if not sender or NO_REPLY_SENDERS.match(sender):
        return "no sender to answer"
    return None


def thread_token(msg: EmailMessage) -> str | None:
    """The reply token in the first recipient header that carries one."""
    for name in RECIPIENT_HEADERS:
        for _, address in getaddresses([str(v) for v in msg.get_all(name, [])]):
            found = TOKEN.search(address)
            if found:
                return found[1].lower()
    return None


def message_key(msg: EmailMessage, raw: bytes) -> str:
    """What identifies a mail however often it is fetched: its Message-ID, else its bytes."""
    message_id = str(msg.get("Message-ID", "")).strip()
    return hashlib.sha256(message_id.encode() if message_id else raw).hexdigest()


def sent_at(msg: EmailMessage) -> datetime | None:
    """When the mail was sent: its Date, else the date its first mail server stamped on it (the
    oldest dated Received header, which later servers and every copy of the mail keep, unlike the
    moment it is taken); None when neither can be read. A date without a zone is UTC."""
    try:
        stamps = [str(msg.get("Date", ""))] + [str(r).rpartition(";")[2] for r in msg.get_all("Received", [])[::-1]]
    except (TypeError, ValueError, IndexError):  # a header the parser chokes on: no date read
        return None
    for stamp in stamps:
        try:
            found = parsedate_to_datetime(stamp.strip())
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
        return found if found.tzinfo is not None else found.replace(tzinfo=UTC)
    return None


class _Text(HTMLParser):
    """An HTML-only mail's words, a line per block, for the reply parser: what its reader sees,
    so not a head's style sheet or title, nor a script (Outlook's replies carry all three)."""

    BLOCKS = {"p", "div", "br", "li", "tr", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table",
              "pre", "hr"}
    UNSEEN = {"head", "style", "title", "script", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.quoting = 0
        self.hidden: list[str] = []  # the unseen elements open around the text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.UNSEEN:
            self.hidden.append(tag)
        elif tag == "body":
            self.hidden.clear()  # a body starts what is seen, whatever a sloppy head left open
        if tag == "blockquote":
            self.quoting += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.hidden:
            del self.hidden[len(self.hidden) - 1 - self.hidden[::-1].index(tag):]
        if tag == "blockquote":
            self.quoting = max(0, self.quoting - 1)
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.quoting and not self.hidden:
            self.parts.append(data)


def reply_lines(msg: EmailMessage) -> list[str]:
    """The lines a person wrote above the quoted mail, without their signature; attachments ignored."""
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is None:
        return []
    try:
        text = str(body.get_content())
    except (LookupError, ValueError):  # an unknown charset (`unknown-8bit`): read leniently, as UTF-8 where it is
        payload = body.get_payload(decode=True)
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if body.get_content_type() == "text/html":
        reader = _Text()
        reader.feed(text)
        text = "".join(reader.parts)
    text = text.replace("\x00", "").replace("\r\n", "\n")
    found = EmailReplyParser(languages=LANGUAGES).read(text=text).replies
    latest = found[0].body if found else text
    return [line for line in latest.split("\n") if line.strip() and not line.lstrip().startswith(">")]


def take(raw: bytes, sessions: sessionmaker[Session], now: datetime | None = None, size: int | None = None) -> Received:
    """Act on one received mail; see the module docstring. `size` is the whole mail's, when only
    its headers were fetched."""
    now = now or database_now(sessions)
    size = max(size or 0, len(raw))
    msg = parse(raw)
    why = automatic(msg)
    if why is not None:
        return Received("dropped", f"sent automatically ({why})")
    sender = parseaddr(str(msg["From"]))[1]
    key = message_key(msg, raw)
    token = thread_token(msg)
    with sessions() as session:
        if mail.taken_in(session, key):
            return Received("repeat", "taken on before")
        thread = replies.thread_for(session, token) if token else None
        who = replies.sender(session, thread, sender) if thread is not None else None
    if thread is None or who is None:
        return refuse_stranger(sessions, msg, key, sender, now, replied=thread is not None)
    stale = replies.out_of_date(sent_at(msg), now)
    if stale is not None:
        return answer(sessions, msg, key, thread, who, refusal(stale), now)
    if size > MAX_BYTES:
        return answer(sessions, msg, key, thread, who, refusal(replies.TOO_BIG), now)
    lines = reply_lines(msg)
    if len(lines) > replies.MAX_LINES:
        return answer(sessions, msg, key, thread, who, refusal(replies.TOO_LONG), now)
    with sessions() as session:
        command = replies.command_text(session, thread, lines)
        actor = replies.actor(session, who)
    if command is None:
        return answer(sessions, msg, key, thread, who, refusal(replies.EMPTY), now)
    if replies.anonymous(command):
        return answer(sessions, msg, key, thread, who, refusal(replies.ANONYMOUS), now)
    reply = handle(command, actor, sessions, now=now, once=MailOnce(key, now))
    if reply is None:
        return Received("repeat", "taken on before")
    deliver(sessions, msg, key, thread, who, reply, now)
    return Received("refused" if reply.error else "acted", reply.plain().split("\n")[0][:200])


def refusal(text: str) -> Reply:
    return Reply(text=text, error=True)


def answer(sessions: sessionmaker[Session], msg: EmailMessage, key: str, thread: EmailThread,
           who: replies.Sender, reply: Reply, now: datetime) -> Received:
    """Refuse a thread person's mail with a reply, marking the mail taken on in the same transaction."""
    try:
        with transaction(sessions) as session:
            mail.take_in(session, key, now)
            queue_answer(session, msg, key, thread, who, reply, now)
    except IntegrityError:
        return Received("repeat", "taken on before")
    return Received("refused", (reply.text or "")[:200])


def deliver(sessions: sessionmaker[Session], msg: EmailMessage, key: str, thread: EmailThread,
            who: replies.Sender, reply: Reply, now: datetime) -> None:
    """Mail the command's reply back in its thread; an announcement goes to the partnership's
    channel too (through its chat platform's next sweep), as it would have been typed there: the
    channel of the partnership it acted in (`reply.channel`, when `in:` named another), for the
    rooms alone (`nudges.ECHO`): what members on email must act on reaches them as it does when
    typed in the chat (handlers/email/announcements.py), and its author has the answer."""
    with transaction(sessions) as session:
        queue_answer(session, msg, key, thread, who, reply, now)
        if reply.audience is Audience.CHANNEL and not reply.error and who.partnership is not None:
            person = who.person
            home = reply.channel or queries.home_channel(session, person.platform, person.workspace, who.partnership.id)
            about = queries.channel_partnership_id(session, person.platform, person.workspace, home) if home else None
            if home is not None and about is not None:
                nudges.tell(session, f"{nudges.TOLD}mail:{key[:40]}", about, nudges.ECHO,
                            f"{person.display_name}, by email: {reply.plain()}", now, channel=home)


def queue_answer(session: Session, msg: EmailMessage, key: str, thread: EmailThread, who: replies.Sender,
                 reply: Reply, now: datetime) -> None:
    """The answer, in the conversation the mail came from, referring to it."""
    to = session.get(EmailAddress, who.person.id)
    assert to is not None
    in_reply_to = str(msg.get("Message-ID", "")).strip() or None
    refs = " ".join(str(msg.get("References", "")).split()[-10:]) or None
    queue_reply(session, who.person, to, reply, thread, now, f"answer:{key}", in_reply_to, refs)


def refuse_stranger(sessions: sessionmaker[Session], msg: EmailMessage, key: str, sender: str,
                    now: datetime, replied: bool = True) -> Received:
    """A mail that is no thread person's reply: answered once a day, and only to an address
    someone confirmed (a member writing from the wrong one, or writing a new mail rather than
    replying, `replied` False); a stranger's is dropped unanswered."""
    with transaction(sessions) as session:
        if not sender or not replies.known_address(session, sender):
            return Received("dropped", "not from a confirmed address")
        if not within(session, now, REFUSALS_A_DAY, "refusal", sender.casefold()):
            return Received("dropped", "refused once today already")
        subject = str(msg.get("Subject", "")).strip()[:200] or "your mail"
        subject = subject if subject.lower().startswith("re:") else f"Re: {subject}"
        mail.queue(session, f"refusal:{key}", sender, subject, replies.NOT_YOURS if replied else replies.NOT_A_REPLY,
                   now, in_reply_to=str(msg.get("Message-ID", "")).strip() or None, answer=True)
    return Received("refused", "not from the thread's confirmed address" if replied else "not a reply to a mail of ours")

