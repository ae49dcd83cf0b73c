"""Accounts: one person on several platforms is one member, with one load and one vote.

Someone on Slack and on Matrix types `link me` on one and gets a one-time code; typed on the
other as `use code:...`, it links the two. From then on a command from either acts as the one
person: the other account's memberships, commitments, open votes and the rest move to them,
and direct messages and nudges go to the account where `link me` was typed. Until then they
are two people, and the bot says so where it matters (joining, voting, a mention two accounts
share). `unlink me` undoes a link for what comes next; what was moved stays with the first account.

Codes are kept as SHA-256 only, expire after `LIFETIME`, work once, and share the wrong-code
counts of room codes (handlers/rooms.py).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select, tuple_, update

from handlers import reopen_codes
from handlers.context import Context
from handlers.errors import UserError
from handlers.parsing import Args
from handlers.recheck import Asked, about, rechecks
from handlers.registry import Access, command
from handlers.reply import Item, Reply, Section
from storage import accounts, queries
from storage.models import AccountCode, Member, Partnership, Person
from storage.nudges import Waiting, tell

LIFETIME = timedelta(minutes=15)


def where(person: Person) -> str:
    """An account as the person would recognise it: `slack @U024BE7LH (workspace T1)`, a Matrix id as it is."""
    mention = person.user_id if person.user_id.startswith("@") else f"@{person.user_id}"
    return f"{person.platform} `{mention}`" + (f" (workspace {person.workspace})" if person.workspace else "")


def twins(ctx: Context, member: Member) -> str | None:
    """A word for someone acting where an account on another platform or workspace, a member
    too, goes by their name: until they link, those are two members with two votes."""
    me = member.person
    others = list(ctx.session.scalars(select(Person).join(Member, Member.person_id == Person.id).where(
        Member.partnership_id == member.partnership_id, Member.left_at.is_(None), Person.id != me.id,
        tuple_(Person.platform, Person.workspace) != tuple_(me.platform, me.workspace),
        func.lower(Person.display_name) == me.display_name.lower())))
    if not others:
        return None
    named = ", ".join(f"{p.display_name} on {p.platform}" + (f" in workspace {p.workspace}" if p.platform == me.platform else "")
                      for p in others[:3])
    return (f"Note: {named} goes by your name, and is a separate member with a vote of their own. If that is you, "
            "link the accounts so you are one member with one vote: `link me`, then its code on the other.")


@command("link me", usage="link me", examples=("link me",), access=Access.ANYONE)
def link_me(ctx: Context, args: Args) -> Reply:
    """Get a one-time code to link another account of yours, on another platform, to this one.

    Type `use code:...` there within 15 minutes: both accounts are then you, one member with
    one load and one vote, and direct messages come here."""
    args.finish()
    person = queries.lock(ctx.session, Person, ctx.person.id)  # two at once take turns: one live code stays
    assert person is not None
    # One live code a person: a new one replaces the last (and expired codes go, whoever's).
    ctx.session.execute(delete(AccountCode).where((AccountCode.expires_at < ctx.now) | (AccountCode.person_id == person.id)))
    code = reopen_codes.new_code()
    ctx.session.add(AccountCode(person_id=person.id, code_hash=reopen_codes.code_hash(code),
                                expires_at=ctx.now + LIFETIME))
    minutes = int(LIFETIME.total_seconds() // 60)
    return Reply(text=f"To make your account on another platform (or another workspace) the same person as this one, "
                      f"send me this from it within {minutes} minutes: `use code:{code}`. It works once. Its "
                      "memberships, commitments and votes then join yours, and direct messages and nudges come here. "
                      "A new `link me` replaces this code. "
                      "Keep the code to yourself: the account that types it will act as you.",
                 secret=True)


def use_code(ctx: Context, found: AccountCode) -> Reply:
    """Link the account typing `use code:...` to the person who asked for the code."""
    if found.used_at is not None or found.expires_at <= ctx.now:
        raise UserError("That code has been used or has expired.",
                        "Type `link me` on your other account for a new one, then `use code:...` here.")
    keep = queries.lock(ctx.session, Person, found.person_id)
    assert keep is not None
    if keep.account_of_id is not None:  # linked elsewhere since: the code stands for that person
        keep = queries.lock(ctx.session, Person, keep.account_of_id)
        assert keep is not None
    actor = ctx.actor
    mine = queries.account(ctx.session, actor.platform, actor.workspace, actor.user_id) or ctx.person
    if keep.id in (mine.id, mine.account_of_id):
        raise UserError("This account is already you, on the account that asked for the code.",
                        "Type `accounts` to see your linked accounts.")
    if mine.account_of_id is not None:
        raise UserError("This account is already linked to another account.",
                        "Type `unlink me` here first, then `use code:...` again.")
    places = {(p.platform, p.workspace) for p in accounts.accounts(ctx.session, keep.id)}
    if shared := next((p for p in accounts.accounts(ctx.session, mine.id) if (p.platform, p.workspace) in places), None):
        raise UserError(f"Both would have an account on {shared.platform}"
                        + (f" in workspace {shared.workspace}" if shared.workspace else "")
                        + ": two accounts in one place are two people.",
                        "Link an account on another platform or workspace: type `link me` there.")
    mine = queries.lock(ctx.session, Person, mine.id)
    assert mine is not None
    if clashes := accounts.observer_clashes(ctx.session, keep, mine):
        raise UserError(f"In {', '.join(p.name for p in clashes[:3])}, a coordinator made one of your accounts an "
                        "observer while the other is a member, so I did not link them: one member has one role.",
                        "Ask a coordinator there to settle your role first (`member role @you observer` on the "
                        "member's account, or `member role @you member` on the observer's); then `use code:...` again.")
    reopen_codes.spend(ctx, found, "Type `link me` on your other account for a new one.")
    reopen_codes.forget(ctx, person_id=mine.id)
    partnerships = [m.partnership_id for m in ctx.session.scalars(select(Member).where(Member.person_id == mine.id))]
    set_aside = accounts.link(ctx.session, keep, mine, ctx.now)
    for partnership_id in partnerships:
        queries.record_event(ctx.session, partnership_id, keep.id, "account-link",
                             f"linked their {mine.platform} account: one member", ctx.now)
    tell_the_owner(ctx, keep, mine)
    names = [p.name for p in ctx.session.scalars(select(Partnership).where(Partnership.id.in_(partnerships))
                                                 .order_by(Partnership.name))]
    joined = f" In {', '.join(names)} you are now one member: commitments, votes and load together." if names else ""
    namesakes = [(m, note) for m in queries.memberships(ctx.session, keep.id) if m.partnership_id in partnerships
                 and (note := twins(ctx, m))]
    dropped = "; ".join(f"{n} {kind}{'' if n == 1 else 's'}" for kind, n in sorted(set_aside.items()))
    return Reply(text=f"This {mine.platform} account is now the same person as your {keep.platform} account "
                      f"({keep.display_name}).{joined}"
                      + (f" Where both accounts had answered the same thing, the answer from {keep.platform} stands "
                         f"(set aside: {dropped})." if dropped else "")
                      + f" Direct messages and nudges go to {keep.platform}. To undo the link: `unlink me` here."
                      + "".join(f"\n{m.partnership.name}: {note}" for m, note in namesakes))


def tell_the_owner(ctx: Context, keep: Person, linked: Person) -> None:
    """Tell the person, on their own account, that another now acts as them: a code seen
    over a shoulder would otherwise let someone in unnoticed."""
    partnership_id = ctx.session.scalar(select(Member.partnership_id).where(
        Member.person_id == keep.id, Member.left_at.is_(None)).order_by(Member.id).limit(1))
    if partnership_id is None:  # in no partnership, there is nothing the other account could act on
        return
    number = [p.id for p in accounts.accounts(ctx.session, keep.id)].index(linked.id) + 1
    tell(ctx.session, f"told:account-link:p{keep.id}:a{linked.id}:{ctx.now.isoformat()}", partnership_id,
         "account-link", f"Your {where(linked)} account was just linked to you with your `link me` code: it now "
                         f"acts as you. Not you? Type `unlink me {number}` here at once.", ctx.now, person_id=keep.id)


def linked_accounts(asked: Asked) -> dict[int, int | None]:
    """Whom each account a link notice names is now linked to."""
    ids = asked.named("a")
    rows = asked.session.execute(select(Person.id, Person.account_of_id).where(Person.id.in_(ids))) if ids else []
    return {account: person for account, person in rows}


@rechecks("account-link", otherwise="the account was unlinked meanwhile")
def still_linked(asked: Asked, row: Waiting) -> str | None:
    """A link notice: the account is still linked to the person told."""
    linked = asked.read(linked_accounts).get(about(row.key, "a") or 0)
    return None if linked == row.person_id else "the account was unlinked meanwhile"


@command("accounts", usage="accounts", examples=("accounts",), access=Access.ANYONE, changes=False)
def list_accounts(ctx: Context, args: Args) -> Reply:
    """List your accounts linked with `link me`, numbered for `unlink me <n>`."""
    args.finish()
    yours = accounts.accounts(ctx.session, ctx.person.id) if ctx.person.id is not None else []
    actor = ctx.actor
    items = [Item(f"{n}. {where(p)}" + (" — direct messages go here" if n == 1 else "")
                  + (" — this account" if (p.platform, p.workspace, p.user_id)
                     == (actor.platform, actor.workspace, actor.user_id) else ""))
             for n, p in enumerate(yours, 1)]
    return Reply(title="Your accounts", sections=[Section(None, items if len(items) > 1 else [], empty=(
        "Only this one. On another platform too? Type `link me` here, then the code it gives there."))],
                 text="`unlink me` on a linked account (or `unlink me <n>`) makes it a separate person again."
                 if len(items) > 1 else None)


@command("unlink me", usage="unlink me [<n>]", examples=("unlink me", "unlink me 2"), access=Access.ANYONE)
def unlink_me(ctx: Context, args: Args) -> Reply:
    """Make a linked account a separate person again: this one, or number n of `accounts`.

    What the link moved stays with your first account (where direct messages go); the unlinked
    account starts afresh, in no partnership, and may `join` again."""
    number = args.take_id("account") if args.has_more() else None
    args.finish()
    yours = accounts.accounts(ctx.session, ctx.person.id)
    actor = ctx.actor
    here = next((p for p in yours if (p.platform, p.workspace, p.user_id)
                 == (actor.platform, actor.workspace, actor.user_id)), None)
    if number is None:
        chosen = here
    else:
        chosen = yours[number - 1] if 1 <= number <= len(yours) else None
        if chosen is None:
            raise UserError(f"You have no account {number}.", "Type `accounts` to see them, numbered.")
    if chosen is None or chosen.account_of_id is None:
        raise UserError("This is the account your others are linked to, so there is nothing to unlink here."
                        if len(yours) > 1 else "This account is linked to no other.",
                        "Type `accounts` to see them; `unlink me <n>` unlinks another one." if len(yours) > 1
                        else "To link one: `link me`, then the code on the other account.")
    taken = ctx.session.execute(update(Person).where(Person.id == chosen.id, Person.account_of_id.is_not(None))
                                .values(account_of_id=None).execution_options(synchronize_session=False))
    if not taken.rowcount:
        raise UserError("That account has just been unlinked.", "Type `accounts` to see yours.")
    return Reply(text=f"Your {where(chosen)} account is a separate person again, in no partnership: "
                      f"{what_stays(ctx, yours[0])}. From {'this' if chosen is here else 'that'} account, `join` to "
                      "take part as someone new, or `link me` and a code to link it again.")


def what_stays(ctx: Context, keep: Person) -> str:
    """What an unlinked account leaves behind, and with which account: the link moved it for
    good, so the account unlinked from the list starts with nothing."""
    names = [m.partnership.name for m in queries.memberships(ctx.session, keep.id)]
    seats = f" (in {', '.join(sorted(names))})" if names else ""
    return (f"memberships{seats}, commitments and votes stay with your {where(keep)} account, "
            "where direct messages go")
