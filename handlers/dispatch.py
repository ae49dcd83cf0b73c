"""The one entry point adapters call: text and identity in, a reply out.

Each command runs in one transaction. Anything refused or failed rolls back whole, and no
exception or stack trace ever reaches a chat: people get a line saying what to do.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol, overload

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from handlers import life, registry
from handlers.context import Actor, Context, Directory, Unmet
from handlers.errors import UserError
from handlers.parsing import MAX_INPUT, Args, Token, clean, naming, tokenize
from handlers.registry import Access, Command
from handlers.reply import Action, Audience, Reply, error
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
IN = "in"  # an option naming which of your partnerships a command acts in: every command acting within one takes it


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
    says the request was handled already. Each command handled is reported to `watchers`.
    A directory's `Unmet` is raised on, once the transaction is rolled back."""
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
    named: str | None = None  # the partnership the command is told to act `in:`, once found
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
            ctx = Context(session, actor, now, directory, changes=changes, typed=text if cmd.within else None)
            if where is not None:
                ctx.choose_partnership(where)
                named = ctx.require_partnership().name
            life.ensure_live(ctx, cmd, args)
            check_access(ctx, cmd)
            reply = cmd.func(ctx, args)
            # Not on an anonymous reply: its room would read that the raiser needed to name it.
            if where is not None and ctx.acted_in is not None and not (discreet or reply.discreet):
                name_partnership(reply, ctx.acted_in.name)
            announce_in_its_room(ctx, reply, discreet)
            return reply
    except Repeat:
        log.info("ignoring a repeat of an already handled %s", command_name(text))
        return None
    except Unmet:
        raise  # nothing was kept; the platform looks them up and runs the command again
    except UserError as refused:
        if once is not None and not remember_refusal(sessions, once.discreet() if discreet else once):
            return None
        # One line, whatever the words of the person's that it quotes back.
        said = " ".join(f"{refused.message} {refused.hint or usage_hint(cmd)}".split())
        if named is not None and not discreet:
            said = commands_within(said, named)  # its commands work where they were typed
        return error(said, discreet)
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
    args = Args.parse(rest, cmd.options | {IN} if cmd.within else cmd.options, cmd.flags)
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


def announce_in_its_room(ctx: Context, reply: Reply, discreet: bool) -> None:
    """An announcement about a partnership belongs in its own room: typed in a direct message or
    in another partnership's room (`in:`), it goes to the partnership's home (`reply.channel`),
    and the typist alone is told where they typed; with no room on this platform, only the
    typist is told. A personal reply about it, asked where others read (another partnership's
    room), is for the asker's eyes alone (`secret`). An anonymous reply is said discreetly too,
    so nothing ties it to its asker."""
    reply.discreet = reply.discreet or discreet
    partnership = ctx.acted_in
    if reply.error or partnership is None or ctx.typed_in_its_room():
        return
    if reply.audience is not Audience.CHANNEL:
        reply.secret = reply.secret or not ctx.actor.private
        return
    reply.channel = queries.home_channel(ctx.session, ctx.actor.platform, ctx.actor.workspace, partnership.id)
    if reply.channel is None:
        reply.audience = Audience.PERSONAL


def name_partnership(reply: Reply, name: str) -> None:
    """Give the reply's next steps the `in:` the command was typed with, so each works as typed
    where it was (a direct message, another partnership's room); commands that take no `in:` stay as they are.
    Commands its text quotes get it too, in a reply to the typist alone (an announcement is read in the room)."""
    personal = reply.audience is not Audience.CHANNEL

    def said(text: str) -> str:
        return commands_within(text, name) if personal else text

    reply.text = said(reply.text) if reply.text else reply.text
    reply.actions = [within(a, name) for a in reply.actions]
    reply.sections = [replace(s, items=[replace(i, text=said(i.text), actions=tuple(within(a, name) for a in i.actions))
                                        for i in s.items]) for s in reply.sections]


def within(action: Action, name: str) -> Action:
    """The action acting in the partnership called `name` (see `command_within`)."""
    command = command_within(action.command, name)
    return action if command == action.command else replace(action, command=command)


def command_within(command: str, name: str) -> str:
    """`command` acting in the partnership called `name`, if it acts within one and names none yet."""
    try:
        cmd, rest = registry.find(tokenize(command))
    except UserError:
        return command
    if not cmd.within or any(not t.quoted and t.text.lower().startswith(f"{IN}:") for t in rest):
        return command
    return command + naming(name)


QUOTED_COMMAND = re.compile(r"`([^`\n]+)`")


def commands_within(text: str, name: str) -> str:
    """`text` with every command it quotes (`done 3`) acting in the partnership called `name`:
    for someone in several partnerships, told where no channel says which one (a reminder)."""
    return QUOTED_COMMAND.sub(lambda quoted: f"`{command_within(quoted[1], name)}`", text)


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
            f"Ask a coordinator to make you a member: `member role @{ctx.person.user_id} member`.",
        )
    if cmd.access is Access.COORDINATOR:
        ctx.require_coordinator()
