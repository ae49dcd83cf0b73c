"""Email: nudges, digests and announcements by mail, and acting on them by replying.

A member chooses where the bot's own messages reach them: the chat, email, or both. An
address gets nothing but a code until its owner types that code back (in the chat, or by mail
from the address already confirmed), so nobody can point the bot's mail at someone else; while
a new address waits for its code, mail keeps going to the confirmed one. Only a hash of the code is kept, and wrong codes are
counted. The choice is the person's, across every partnership they sit in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.context import Context
from handlers.email.addresses import ensure_mail_on, mail_on, parse_address, same_address, shown_address, within
from handlers.errors import UserError
from handlers.parsing import Args
from handlers.registry import Access, command
from handlers.reply import Reply, error
from storage import mail
from storage.models import EmailAddress, NotifyMode

CODE_LIFETIME = timedelta(days=1)
CODE_TRIES = 5  # wrong codes before a new one must be asked for
CODES_A_DAY = 5  # codes mailed to one person in a day, so the command cannot be used to flood a mailbox
WHERE = {
    NotifyMode.CHAT: "in the chat",
    NotifyMode.EMAIL: "by email",
    NotifyMode.BOTH: "in the chat and by email",
}


def code_hash(person_id: int, code: str) -> str:
    return hashlib.sha256(f"{person_id}:{code.strip()}".encode()).hexdigest()


def address_of(ctx: Context, lock: bool = False) -> EmailAddress | None:
    """The reader's address, if they gave one (a stranger reading is not saved, so has none)."""
    if ctx.person.id is None:
        return None
    return ctx.session.get(EmailAddress, ctx.person.id, with_for_update=lock)


def recipients(session: Session, person_ids: Collection[int]) -> dict[int, EmailAddress]:
    """The confirmed addresses of those among `person_ids` who get mail (email or both), in one query."""
    if not person_ids:
        return {}
    return {row.person_id: row for row in session.scalars(select(EmailAddress).where(
        EmailAddress.person_id.in_(person_ids), EmailAddress.confirmed_at.is_not(None),
        EmailAddress.mode.in_((NotifyMode.EMAIL, NotifyMode.BOTH))))}


def pending(row: EmailAddress) -> str:
    """The address a code waits to confirm: a new one replacing the confirmed address, or the only one."""
    return row.new_address or row.address


def describe(row: EmailAddress | None) -> str:
    if row is None or row.confirmed_at is None and row.code_hash is None:
        return "Your nudges, digests and announcements come in the chat. " + (
            "`notify email you@example.org` sends them by email instead (`notify both` for both)." if mail_on()
            else "This partnerbot doesn't send email: whoever runs it hasn't set it up.")
    text = f"Your nudges, digests and announcements come {WHERE[row.mode]}"
    text += f", to {row.address}." if row.mode is not NotifyMode.CHAT else "."
    if row.code_hash is not None:
        text += f" A code is on its way to {pending(row)}: type `notify confirm <code>` to start mail there."
    elif row.mode is NotifyMode.CHAT and row.confirmed_at is not None:
        text += f" `notify email` sends them to {row.address} again."
    return text


@command("notify", usage="notify", access=Access.ANYONE, changes=False)
def show(ctx: Context, args: Args) -> Reply:
    """Where your nudges, digests and announcements reach you: the chat, email, or both.

    Mail is threaded per commitment, concern or proposal; reply to it with `done`,
    `progress 50%`, `agree`, `vote yes`, `accept` or any command on the first line, and it acts
    as if you had typed it in the chat. Only replies from your confirmed address count."""
    args.finish()
    return Reply(title="Where your nudges go", text=describe(address_of(ctx)))


@command("notify email", usage="notify email <address>", access=Access.ANYONE,
         examples=("notify email ana@example.org", "notify email"))
def by_email(ctx: Context, args: Args) -> Reply:
    """Get your nudges, digests and announcements by email; a code is mailed to the address first."""
    return choose(ctx, args, NotifyMode.EMAIL)


@command("notify both", usage="notify both [address]", access=Access.ANYONE,
         examples=("notify both ana@example.org", "notify both"))
def by_both(ctx: Context, args: Args) -> Reply:
    """Get your nudges, digests and announcements in the chat and by email."""
    return choose(ctx, args, NotifyMode.BOTH)


@command("notify chat", usage="notify chat", access=Access.ANYONE)
def by_chat(ctx: Context, args: Args) -> Reply:
    """Get your nudges, digests and announcements in the chat only (no more mail)."""
    args.finish()
    row = address_of(ctx, lock=True)
    if row is not None:
        row.mode, row.wanted, row.code_hash, row.new_address, row.updated_at = NotifyMode.CHAT, None, None, None, ctx.now
    return Reply(text=describe(row))


@command("notify confirm", usage="notify confirm <code>", access=Access.ANYONE, examples=("notify confirm 123456",))
def confirm(ctx: Context, args: Args) -> Reply:
    """Confirm your address with the code mailed to it; mail starts once it is confirmed."""
    code = args.take_word("code (the six digits mailed to you)")
    args.finish()
    row = address_of(ctx, lock=True)
    if row is None or row.code_hash is None or row.code_sent_at is None:
        ensure_mail_on()
        raise UserError("No code is waiting for you.", "Type `notify email you@example.org` to have one sent.")
    if ctx.now - row.code_sent_at > CODE_LIFETIME:
        raise UserError(f"The code sent to {pending(row)} has expired.", "Type `notify email` with the address for a new one.")
    if row.code_failures >= CODE_TRIES:
        raise UserError(f"Too many wrong codes were typed for {pending(row)}.",
                        "Type `notify email` with the address for a new code.")
    if not hmac.compare_digest(row.code_hash, code_hash(row.person_id, code)):
        row.code_failures += 1  # kept: a refusal returned, not raised, so the count is committed
        left = CODE_TRIES - row.code_failures
        return error(f"That isn't the code mailed to {pending(row)}. "
                     + (f"{left} more tries, then ask for a new one." if left else "Type `notify email` for a new one."))
    row.address, row.new_address = pending(row), None
    row.confirmed_at, row.mode, row.wanted = ctx.now, row.wanted or NotifyMode.EMAIL, None
    row.code_hash, row.code_failures, row.updated_at = None, 0, ctx.now
    return Reply(title="Address confirmed", text=describe(row))


def choose(ctx: Context, args: Args, mode: NotifyMode) -> Reply:
    """Switch to `mode` at once for the confirmed address, or mail a code to a new one."""
    typed = parse_address(args.take_text("address", 300)) if args.has_more() else None
    args.finish()
    ensure_mail_on()
    row = address_of(ctx, lock=True)
    if typed is None:
        if row is None:
            raise UserError("Say which address.", f"Type `notify {mode.value} you@example.org`.")
        typed = row.address
    if row is not None and row.confirmed_at is not None and same_address(row.address, typed):
        row.mode, row.wanted, row.code_hash, row.new_address, row.updated_at = mode, None, None, None, ctx.now
        return Reply(text=describe(row))
    if not within(ctx.session, ctx.now, CODES_A_DAY, "code", str(ctx.person.id)):
        raise UserError(f"I've mailed you {CODES_A_DAY} codes today already.", "Use the latest one, or try again tomorrow.")
    if row is None:
        row = EmailAddress(person_id=ctx.person.id, address=typed, mode=NotifyMode.CHAT,
                           unsubscribe=secrets.token_urlsafe(24), updated_at=ctx.now, code_failures=0)
        ctx.session.add(row)
    confirmed = row.address if row.confirmed_at is not None else None
    if confirmed is not None:
        # A new address: mail, and the replies that act, stay with the confirmed one until this
        # one is confirmed; nothing but the code goes to it meanwhile.
        row.new_address = typed
    else:
        row.address, row.new_address, row.mode = typed, None, NotifyMode.CHAT
    code = f"{secrets.randbelow(10**6):06d}"
    row.wanted, row.code_hash, row.code_sent_at, row.code_failures, row.updated_at = (
        mode, code_hash(ctx.person.id, code), ctx.now, 0, ctx.now)
    ctx.session.flush()
    mail.queue(ctx.session, f"code:p{ctx.person.id}:{secrets.token_hex(8)}", typed, "Your partnerbot code",
               code_text(ctx.person.display_name, code, mode, confirmed), ctx.now)
    until = WHERE[row.mode] + (f", to {confirmed}" if confirmed and row.mode is not NotifyMode.CHAT else "")
    by_mail = f" (or in a reply to one of my mails to {confirmed})" if confirmed else ""
    return Reply(title="Check your mail", text=(
        f"I've mailed a code to {typed}. Type `notify confirm <code>` here{by_mail} within a day to get your nudges "
        f"{WHERE[mode]}; until then they come {until}. No mail? Check the spam folder, or the address."))


def code_text(name: str, code: str, mode: NotifyMode, confirmed: str | None = None) -> str:
    """The code's mail; where an address is confirmed already, it may be sent back from that one
    too (shown only in part: this mail may have reached a stranger through a typo)."""
    where = (f"in the chat with partnerbot, or on the first line of a reply to one of partnerbot's mails to "
             f"{shown_address(confirmed)}" if confirmed else "in the chat with partnerbot")
    return (f"Hello {name},\n\nsomeone (we hope you) asked partnerbot to send their nudges, digests and announcements "
            f"{WHERE[mode]}, to this address. To confirm, type this {where}:\n\n"
            f"`notify confirm {code}`\n\nThe code works for a day. If this wasn't you, ignore this mail: "
            "nothing more will be sent here.")

