"""The one entry point adapters call: text and identity in, a reply out.

Each command runs in one transaction. Anything refused or failed rolls back whole, and no
exception or stack trace ever reaches a chat: people get a line saying what to do.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Protocol, overload

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from handlers import life, registry
from handlers.context import Actor, Context, Directory
from handlers.errors import UserError
from handlers.parsing import MAX_INPUT, Args, Token, clean, tokenize
from handlers.registry import Access, Command
from handlers.reply import Audience, Reply, error
from handlers.watching import Handled, request_id, watchers
from storage import queries
from storage.database import reads_only, take_write_lock
from storage.models import Role

log = logging.getLogger(__name__)

UNAVAILABLE = "I can't reach the partnership's database just now, so nothing was changed. Try again in a minute."
CLASH = "Someone changed the same thing at the same moment, so nothing was changed. Try again."
BROKEN = "Something went wrong on my side, and nothing was changed. Try again; if it keeps happening, tell a coordinator."

ANONYMOUS = "anonymous"
# An anonymous concern's reopen code (`code:...`): whoever types it is the anonymous raiser, so
# it is answered as discreetly as the raising was.
CODE = "code"
IN = "in"  # an option naming which of your partnerships a command acts in, for commands that take it


class Once(Protocol):
    """Marks, inside the command's own transaction, the platform request it came in as handled,
    raising IntegrityError when it already was: so a request resent after a crash runs exactly once."""

    def __call__(self, session: Session) -> None: ...

    def discreet(self) -> Once:
        """The same mark keeping nothing (no event id, room or exact time) that could tie an
        anonymous command to the message or person it came from."""
        ...


class Repeat(Exception):
    """The request was handled before (its platform resent it): do nothing and say nothing."""


@overload
def handle(text: str, actor: Actor, sessions: sessionmaker[Session], now: datetime | None = None,
           directory: Directory | None = None, once: None = None) -> Reply: ...


@overload
def handle(text: str, actor: Actor, sessions: sessionmaker[Session], now: datetime | None = None,
           directory: Directory | None = None, once: Once | None = None) -> Reply | None: ...


def handle(
    text: str,
    actor: Actor,
    sessions: sessionmaker[Session],
    now: datetime | None = None,
    directory: Directory | None = None,
    once: Once | None = None,
) -> Reply | None:
    """Run one typed command for one person and return what to show them; None when `once`
    says the request was handled already. Each command handled is reported to `watchers`."""
    started, token = time.perf_counter(), request_id.set(uuid.uuid4().hex[:12])
    try:
        reply = run(text, actor, sessions, now, directory, once)
        if reply is not None:
            handled = Handled(actor.platform, command_name(text), outcome(reply), time.perf_counter() - started,
                              request_id.get())
            for watch in watchers:
                watch(handled)
        return reply
    finally:
        request_id.reset(token)


def command_name(text: str) -> str:
    try:
        return registry.find(tokenize(clean(text)))[0].name
    except UserError:
        return "unknown"


def outcome(reply: Reply) -> str:
    return "failed" if reply.text in (UNAVAILABLE, CLASH, BROKEN) else "refused" if reply.error else "done"


def run(text: str, actor: Actor, sessions: sessionmaker[Session], now: datetime | None,
        directory: Directory | None, once: Once | None) -> Reply | None:
    now = now or datetime.now(UTC)
    text = clean(text)
    if not text:
        return error("Type a command, or `help` to see them all.")
    if len(text) > MAX_INPUT:
        return error(f"That message is {len(text):,} characters; commands must be under {MAX_INPUT:,}. "
                     "Shorten the text and try again.")
    cmd: Command | None = None
    # Until the words are parsed, any `anonymous` or `code:` among them counts: better a plain refusal
    # kept private than an anonymous one shown beside its author.
    discreet = any(word == ANONYMOUS or word.startswith(f"{CODE}:") for word in text.lower().split())
    try:
        cmd, rest = registry.find(tokenize(text))
        args, where = arguments(cmd, rest)
        # A room code (`use code:...`) is the partnership's, not an anonymous raiser's: answered in the open.
        discreet = ANONYMOUS in args.flags or (CODE in args.options and cmd.name != "use")
        if discreet and once is not None:
            once = once.discreet()
        changes = cmd.changes_as_typed(args)
        with sessions.begin() as session:
            if changes:
                take_write_lock(session)
            elif once is None:  # a request mark (email's, Matrix's) is written with the reads
                reads_only(session)
            if once is not None:
                mark(session, once)
            ctx = Context(session, actor, now, directory, changes=changes)
            if where is not None:
                ctx.choose_partnership(where)
            life.ensure_live(ctx, cmd, args)
            check_access(ctx, cmd)
            reply = cmd.func(ctx, args)
            if discreet:
                announce_apart(ctx, reply)
            return reply
    except Repeat:
        log.info("ignoring a repeat of an already handled %s", command_name(text))
        return None
    except UserError as refused:
        if once is not None and not remember_refusal(sessions, once.discreet() if discreet else once):
            return None
        # One line, whatever the words of the person's that it quotes back.
        return error(" ".join(f"{refused.message} {refused.hint or usage_hint(cmd)}".split()), discreet)
    except IntegrityError:
        log.warning("integrity clash on %s", command_name(text), exc_info=True)
        return error(CLASH, discreet)
    except (OperationalError, DBAPIError) as exc:
        if getattr(exc, "connection_invalidated", False) or isinstance(exc, OperationalError):
            log.warning("database unavailable: %s", exc)
            return error(UNAVAILABLE, discreet)
        log.exception("database error on %s", command_name(text))
        return error(BROKEN, discreet)
    except Exception:
        log.exception("%s failed", command_name(text))
        return error(BROKEN, discreet)


def arguments(cmd: Command, rest: list[Token]) -> tuple[Args, str | None]:
    """The command's arguments, and the partnership it is told to act `in:`, if any."""
    args = Args.parse(rest, cmd.options, cmd.flags)
    return args, args.options.pop(IN, None)


def changes_nothing(text: str) -> bool:
    """Whether running `text` cannot change anything: it names a command that only reads, as
    typed, or it will be refused. Such a command's acknowledgement promises nothing, so a
    platform may give it before the command runs."""
    text = clean(text)
    if not text or len(text) > MAX_INPUT:
        return True
    try:
        cmd, rest = registry.find(tokenize(text))
        args, _ = arguments(cmd, rest)
    except UserError:
        return True
    return not cmd.changes_as_typed(args)


def announce_apart(ctx: Context, reply: Reply) -> None:
    """An anonymous reply is announced in the partnership's own channel, not as an answer
    in the (private) place it was asked."""
    reply.discreet = True
    partnership = ctx.partnership
    if reply.audience is Audience.CHANNEL and partnership is not None:
        home = queries.home_channel(ctx.session, ctx.actor.platform, ctx.actor.workspace, partnership.id)
        if home != ctx.actor.channel:
            reply.channel = home


def mark(session: Session, once: Once) -> None:
    """Write the request's mark first, so a concurrent repeat waits on it and then gives way."""
    try:
        once(session)
    except IntegrityError as repeat:
        raise Repeat from repeat


def remember_refusal(sessions: sessionmaker[Session], once: Once) -> bool:
    """Mark a refused request as handled too, so a resend is not refused (and answered) again;
    False when it already was. A database that is away only costs a possible second refusal."""
    try:
        with sessions.begin() as session:
            once(session)
    except IntegrityError:
        return False
    except SQLAlchemyError:
        log.warning("could not mark a refused request as handled", exc_info=True)
    return True


def usage_hint(cmd: Command | None) -> str:
    return f"Type `{cmd.usage}`, or `help {cmd.name}`." if cmd else "Type `help` to see every command."


def check_access(ctx: Context, cmd: Command) -> None:
    """Apply the command's declared access rule, explaining any refusal."""
    if cmd.access is Access.ANYONE:
        return
    partnership = ctx.require_partnership()
    if cmd.access is Access.READ:
        return
    member = ctx.require_member()
    if cmd.access is Access.MEMBER and member.role is Role.OBSERVER:
        raise UserError(
            f"Observers can read {partnership.name} but not change it.",
            "Ask a coordinator to make you a member: `member role @you member`.",
        )
    if cmd.access is Access.COORDINATOR:
        ctx.require_coordinator()
