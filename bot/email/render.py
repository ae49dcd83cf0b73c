"""Mail as people receive it: a queued mail (storage/models.py, Mail) as the message sent.

Every mail is text and HTML alternatives of the same words. A mail in a conversation carries
its thread's reply address (`partnerbot+<token>@...`) and References to the thread's root, so
mail clients keep a commitment's, concern's or proposal's mails together and a reply comes back
to the right place. Every mail says it was sent automatically (Auto-Submitted), so auto-replies
stay away; one with an unsubscribe link offers it in the headers too, for one-click unsubscribe
in the mail client (RFC 8058).
"""

from __future__ import annotations

import html
import re
from email.header import Header
from email.headerregistry import Address
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr

from handlers.reply import Reply
from storage.models import EmailThread, Mail

CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"https?://[^\s<>\"'`]+[^\s<>\"'`.,;:!?)]")
WIRE = compat32.clone(linesep="\r\n")
REPLYING = ("Reply to this mail with a command on the first line, like `done` or `progress 50%`: it acts as if "
            "you had typed it in the chat.")


def reply_text(reply: Reply) -> str:
    """A reply's words for a mail: its title and text, fields, lists and next steps, with the
    commands to reply with in `backticks`."""
    paragraphs = [part for part in (reply.title, reply.text) if part]
    if reply.fields:
        paragraphs.append("\n".join(f"{label}: {value}" for label, value in reply.fields))
    for section in reply.sections:
        lines = [section.heading] if section.heading else []
        if not section.items and section.empty:
            lines.append(section.empty)
        for item in section.items:
            lines.append(f"- {item.text}")
            lines += [f"  {action.label}: reply `{action.command}`" for action in item.actions]
        paragraphs.append("\n".join(lines))
    if reply.actions:
        paragraphs.append("Next: " + ", ".join(f"`{a.command}`" for a in reply.actions))
    if reply.attachments:
        paragraphs.append("Files can't come by mail: type the command in the chat to get them.")
    return "\n\n".join(paragraphs)


def html_of(text: str) -> str:
    """The HTML alternative: the same words, with lists, `commands` as code and links as links."""
    blocks = []
    for paragraph in text.split("\n\n"):
        lines, items = [], []
        for line in paragraph.split("\n"):
            if line.startswith("- "):
                items.append(inline(line[2:]))
            elif line.startswith("  ") and items:
                items[-1] += "<br>" + inline(line.strip())
            else:
                lines.append(inline(line))
        block = "<p>" + "<br>".join(lines) + "</p>" if lines else ""
        blocks.append(block + ("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>" if items else ""))
    return ('<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5;max-width:40em">'
            + "\n".join(blocks) + "</body></html>")


def inline(line: str) -> str:
    escaped = html.escape(line, quote=False)
    escaped = CODE.sub(lambda m: f"<code>{m[1]}</code>", escaped)
    return LINK.sub(lambda m: f'<a href="{html.escape(m[0])}">{m[0]}</a>', escaped)


def message_id(row: Mail, domain: str) -> str:
    """The mail's own Message-ID, the same on every try (so a server or client can tell a resend)."""
    return f"<partnerbot.{row.id}.{row.created_at:%Y%m%d%H%M%S}@{domain}>"


def thread_root(thread: EmailThread, domain: str) -> str:
    """The id every mail of a conversation refers to, so clients keep them together."""
    return f"<partnerbot.thread.{thread.id}.{thread.created_at:%Y%m%d%H%M%S}@{domain}>"


def reply_address(sender: Address, thread: EmailThread) -> str:
    """The thread's own address: the bot's, plus its token (`partnerbot+<token>@town.org`)."""
    return formataddr((sender.display_name, f"{sender.username}+{thread.token}@{sender.domain}"), "utf-8")


def header(value: str) -> str | Header:
    """A header's words, encoded (RFC 2047) only when they are not plain ASCII."""
    return value if value.isascii() else Header(value, "utf-8")


def wire(msg: Message) -> bytes:
    """The message as SMTP carries it: CRLF line ends (smtplib sends bytes as they are)."""
    return msg.as_bytes(policy=WIRE)


def message(row: Mail, sender: Address, thread: EmailThread | None, site: str) -> Message:
    """The mail as sent, with its footer (how to reply, how to stop) and its headers. Built with
    the email package's plain (compat32) classes: its newer header registry costs milliseconds a
    mail, more than the SMTP server takes to accept one."""
    text = row.text
    if thread is not None:
        text += "\n\n" + REPLYING
    if row.unsubscribe:
        text += f"\n\nTo stop these mails, open {site}/email/unsubscribe/{row.unsubscribe}"
    msg = MIMEMultipart("alternative")
    msg.attach(MIMEText(text, "plain", "utf-8"))
    msg.attach(MIMEText(html_of(text), "html", "utf-8"))
    msg["From"] = formataddr((sender.display_name, sender.addr_spec), "utf-8")
    msg["To"] = row.to_address
    msg["Subject"] = header(row.subject)
    msg["Date"] = format_datetime(row.created_at)
    msg["Message-ID"] = message_id(row, sender.domain)
    refs = (row.refs or "").split()
    if thread is not None:
        msg["Reply-To"] = reply_address(sender, thread)
        refs.insert(0, thread_root(thread, sender.domain))
    if row.in_reply_to:
        refs.append(row.in_reply_to)
    if refs:
        msg["In-Reply-To"] = refs[-1]
        msg["References"] = " ".join(dict.fromkeys(refs))
    # An answer to a mail received is an automatic reply (RFC 3834); everything else is sent on its own.
    msg["Auto-Submitted"] = "auto-replied" if row.answer else "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"  # asks Exchange's out-of-office not to answer
    if row.unsubscribe:
        msg["List-Unsubscribe"] = f"<{site}/email/unsubscribe/{row.unsubscribe}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return msg
