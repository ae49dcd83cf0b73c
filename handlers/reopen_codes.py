"""Reopen codes: how an anonymous raiser reopens their concern without their name being kept.

The raiser is shown a code once, in private; only its SHA-256 is stored. A code is 120 random
bits, so it cannot be guessed, and wrong codes are counted anyway (per concern and per person,
per UTC day, in the database, so every process and a restart see the same count): past the
limit a code is refused unchecked. A code works once, to reopen the concern or to add to its
discussion without a name; each use hands the raiser a new one, privately again. A code typed
where others see it is spent at once, and its typist given the next one, privately.

The counts never put a person and a concern in one row, and last only their day (older ones
are dropped at the next check). A right code clears the counts of its concern and its typer,
so a raiser who mistyped before getting it right leaves no count to line up with the
reopening; only a wrong code that was never followed by the right one stays counted, that day.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import date

from sqlalchemy import case, delete, select, update

from handlers.context import Context
from handlers.errors import UserError
from handlers.reply import Reply, error
from storage import queries
from storage.models import AccountCode, CodeAttempts, Concern, Person, RoomCode

# Wrong codes allowed in one UTC day: for one concern (from anyone), and from one person (for any concern).
PER_CONCERN = 5
PER_PERSON = 10
CODE_BYTES = 15  # 120 bits: 24 characters of base32


def new_code() -> str:
    """A fresh code, in groups of four to read and type: `k7qm-3xtp-9wna-r2fd-h8ce-vb4j`."""
    word = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode().lower()
    return "-".join(word[at:at + 4] for at in range(0, len(word), 4))


def code_hash(code: str) -> str:
    """What is kept of a code: the SHA-256 of its letters, whatever the case, spaces or dashes
    it was typed with (the short codes of earlier versions hash as they always did)."""
    return hashlib.sha256("".join(code.split()).replace("-", "").lower().encode()).hexdigest()


def spend(ctx: Context, code: RoomCode | AccountCode, again: str) -> None:
    """Use a one-time code (a room's, an account's) up, once: of two people typing it at the
    same moment, one is told it has just been used, and `again` how to get a new one."""
    model = type(code)
    taken = ctx.session.execute(update(model).where(model.id == code.id, model.used_at.is_(None))
                                .values(used_at=ctx.now).execution_options(synchronize_session=False))
    if not taken.rowcount:
        raise UserError("That code has just been used.", again)


def uses(c: Concern, code: str, within: str = "") -> str:
    """What a code does, as the commands to send privately, the code in them (`within`: the `in:`
    a direct message needs to say which of their partnerships)."""
    return (f'`reopen concern {c.number} "why" code:{code}{within}` reopens it once it is resolved, and '
            f'`discuss {c.number} "your view" anonymous code:{code}{within}` adds to its discussion, both without your name.')


def first_note(c: Concern, code: str, within: str = "") -> str:
    """The anonymous raiser's code, with how to use it; shown to them alone, once."""
    return (f"Only you have this code for concern #{c.number}; send it to me privately: {uses(c, code, within)} "
            "Keep it: it is not stored and cannot be shown again. It works once: each use gives you a new one.")


def renew(c: Concern, why: str, within: str = "") -> str:
    """Spend the concern's code for a fresh one; the note showing it to whoever held the old one, alone."""
    return (f"{why} Here is a new one for concern #{c.number}, for you alone; send it to me privately: "
            f"{uses(c, issue(c), within)} Keep it: it is not stored and cannot be shown again.")


def exposed(ctx: Context, c: Concern, code: str, usage: str) -> Reply:
    """A code typed where others see it: if it is this concern's, it is spent at once, so nobody
    who saw it can use it, and whoever typed it (who held it) is given the next one privately.
    Right or wrong, the answer is the typist's alone; a wrong one is counted as anywhere."""
    wrong = check(ctx, c, code, usage)
    if wrong is not None:
        return wrong
    refusal = error("A code can't be used where others can see it, so the one you typed no longer works. "
                    "I have sent you a new one privately: send it to me in a direct message.", discreet=True)
    refusal.private_note = renew(c, "The code you typed where others could see it no longer works.",
                                 ctx.naming_for(ctx.person.id))
    return refusal


def issue(c: Concern) -> str:
    """Give the concern a fresh code (only its hash is kept) and return the code, to show once."""
    code = new_code()
    c.reopen_code_hash = code_hash(code)
    return code


def check(ctx: Context, c: Concern, code: str, usage: str) -> Reply | None:
    """None when the code is this concern's; otherwise the refusal to show (`usage` the command
    to try again with), with the wrong code counted. The concern is locked by the caller; the
    person is locked here, so two guesses at once count twice. Past either day's limit, the code is not even compared."""
    today = ctx.now.date()
    person = queries.lock(ctx.session, Person, ctx.person.id)
    assert person is not None
    forget_old(ctx, today)
    by_concern, by_person = counted(ctx, today, concern_id=c.id), counted(ctx, today, person_id=person.id)
    if by_concern >= PER_CONCERN:
        return error(f"Too many wrong codes were tried for concern #{c.number} today, so I did not check this one. "
                     "Try again tomorrow (UTC), or ask a coordinator to reopen it.", discreet=True)
    if by_person >= PER_PERSON:
        return error("You have tried too many wrong reopen codes today, so I did not check this one. "
                     "Try again tomorrow (UTC), or ask a coordinator.", discreet=True)
    if c.reopen_code_hash is not None and hmac.compare_digest(c.reopen_code_hash, code_hash(code)):
        forget(ctx, concern_id=c.id)  # the used code's guesses go with it: the next code starts with none
        forget(ctx, person_id=person.id)
        return None
    count_wrong(ctx, today, concern_id=c.id)
    count_wrong(ctx, today, person_id=person.id)
    return error(f"That code does not work for concern #{c.number}. Check the number and the last code you were "
                 f"shown for it: `{usage}`. After {PER_CONCERN} wrong codes in a day, codes for it are refused "
                 "until the next.", discreet=True)


def forget(ctx: Context, **subject: int) -> None:
    """Drop the count of one concern or one person."""
    ctx.session.execute(delete(CodeAttempts).filter_by(**subject))


def forget_old(ctx: Context, today: date) -> None:
    """Drop the counts of days gone by; a row another check holds (on PostgreSQL) is left to the next."""
    stale = select(CodeAttempts.id).where(CodeAttempts.day < today).with_for_update(skip_locked=True)
    ctx.session.execute(delete(CodeAttempts).where(CodeAttempts.id.in_(stale)))


def counted(ctx: Context, today: date, **subject: int) -> int:
    row = ctx.session.scalar(select(CodeAttempts).filter_by(**subject))
    return row.failures if row is not None and row.day == today else 0


def count_wrong(ctx: Context, today: date, **subject: int) -> None:
    """One more wrong code today for the concern or the person (whose row the caller holds
    locked). One UPDATE, or an INSERT when there is no row (or another check just dropped it as
    old): never a read-then-write of a row another transaction may have deleted."""
    counted_again = ctx.session.execute(
        update(CodeAttempts).filter_by(**subject)
        .values(failures=case((CodeAttempts.day == today, CodeAttempts.failures + 1), else_=1), day=today)
        .execution_options(synchronize_session=False))
    if not counted_again.rowcount:
        ctx.session.add(CodeAttempts(**subject, day=today, failures=1))
        ctx.session.flush()
