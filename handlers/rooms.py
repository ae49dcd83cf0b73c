"""Rooms: one partnership worked from several rooms, on one platform or several.

A coordinator types `link room` in a room of the partnership and gets a one-time code; typed
as `use code:...` in another room (a Matrix room, another Slack channel), it links that room
too. Every linked room acts on the one record and gets the partnership's announcements once.
Only the code's SHA-256 is kept; it expires after `LIFETIME` and works once, and wrong codes
are counted per person and day with the reopen codes' counts (handlers/reopen_codes.py).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from handlers import accounts, reopen_codes
from handlers.context import Context
from handlers.errors import UserError
from handlers.parsing import Args
from handlers.registry import Access, command
from handlers.reply import Audience, Item, Reply, Section, error
from storage import queries
from storage.models import AccountCode, ChannelLink, Partnership, Person, RoomCode
from storage.nudges import withdraw_room

LIFETIME = timedelta(minutes=15)


@command("link room", usage="link room", examples=("link room",), access=Access.COORDINATOR)
def link_room(ctx: Context, args: Args) -> Reply:
    """Get a one-time code to link another room, on any platform, to this partnership.

    Type `use code:...` in the other room within 15 minutes: commands there act on the same
    record, and announcements go to every linked room. The code works once."""
    args.finish()
    partnership = ctx.require_partnership()
    ctx.session.execute(delete(RoomCode).where(RoomCode.expires_at < ctx.now))  # spent or not, an expired code is no use
    code = reopen_codes.new_code()
    ctx.session.add(RoomCode(partnership_id=partnership.id, code_hash=reopen_codes.code_hash(code),
                             created_by=ctx.person.id, expires_at=ctx.now + LIFETIME))
    ctx.record("room-code", "asked for a code to link another room")
    minutes = int(LIFETIME.total_seconds() // 60)
    return Reply(text=f"To link another room (on Slack, Matrix or any platform I am on) to {partnership.name}, "
                      f"type this there within {minutes} minutes: `use code:{code}`. It works once; "
                      "`rooms` lists the linked rooms.", audience=Audience.PERSONAL,
                 secret=True)  # whoever reads it could link a room of theirs: for the coordinator alone


def use_code(ctx: Context, code: str) -> Reply:
    """Link the room typed in to the partnership whose code this is (`use code:...`)."""
    actor, today = ctx.actor, ctx.now.date()
    person = queries.lock(ctx.session, Person, ctx.person.id)
    assert person is not None
    reopen_codes.forget_old(ctx, today)
    if reopen_codes.counted(ctx, today, person_id=person.id) >= reopen_codes.PER_PERSON:
        return error("You have tried too many wrong codes today, so I did not check this one. "
                     "Try again tomorrow (UTC), or ask the coordinator for a new code.")
    wanted = reopen_codes.code_hash(code)
    found = ctx.session.scalar(select(RoomCode).where(RoomCode.code_hash == wanted))
    if found is None and (account := ctx.session.scalar(select(AccountCode).where(AccountCode.code_hash == wanted))):
        return accounts.use_code(ctx, account)  # a code from `link me`: this account joins that person
    if found is None:
        reopen_codes.count_wrong(ctx, today, person_id=person.id)
        return error("That code links nothing. Check it, or ask for a new one (`link room` from a coordinator for a "
                     "room, `link me` on your other account for an account): then type `use code:...` here. "
                     f"After {reopen_codes.PER_PERSON} wrong codes in a day, codes are refused until the next.")
    target = ctx.session.get(Partnership, found.partnership_id)
    assert target is not None
    shared_rooms_only(ctx)
    if found.used_at is not None or found.expires_at <= ctx.now:
        raise UserError("That code has been used or has expired.",
                        f"Ask a coordinator of {target.name} to type `link room` for a new one.")
    here = queries.channel_link(ctx.session, actor.platform, actor.workspace, actor.channel)
    if here is not None:
        if here.partnership_id == target.id:
            raise UserError(f"This {actor.place} is already linked to {target.name}.", "Type `rooms` to see its rooms.")
        other = ctx.session.get(Partnership, here.partnership_id)
        assert other is not None
        rooms_of_other = linked(ctx, other)
        number = rooms_of_other.index(here) + 1
        raise UserError(f"This {actor.place} already works with {other.name}, so I did not link it.",
                        f"Use the code in another {actor.place}, or first have a coordinator of {other.name} type "
                        f"`unlink room {number}` here." if len(rooms_of_other) > 1 else
                        f"It is the only room of {other.name}, which keeps it: use the code in another {actor.place}.")
    ctx.act_in(target)
    reopen_codes.spend(ctx, found, f"Ask a coordinator of {target.name} for a new one.")
    reopen_codes.forget(ctx, person_id=person.id)
    ctx.session.add(ChannelLink(platform=actor.platform, workspace=actor.workspace, channel=actor.channel,
                                partnership_id=target.id))
    ctx.record("room-link", f"linked a {actor.platform} {actor.place} to {target.name}")
    return Reply(text=f"This {actor.place} now works with {target.name}, with its other rooms: commands here act on "
                      "the same record, and its announcements come here too. Type `join` here to take part "
                      f"({separate(actor.platform)}).", audience=Audience.CHANNEL)


def shared_rooms_only(ctx: Context) -> None:
    """Refuse to link a direct conversation with the bot: a partnership works where its
    partners read each other, and a direct message is nobody's room but one person's."""
    if ctx.actor.direct:
        raise UserError("This is a direct conversation with me, so no partnership can work from it.",
                        f"Type that in the {ctx.actor.place} you want to link, where the partners talk.")


def separate(platform: str) -> str:
    """What a person on a second platform is, until they link their accounts."""
    return (f"on {platform} you are a separate member from any account of yours on another platform, until you "
            "link them: `link me` there, then its code here")


def on_other_platforms(ctx: Context, partnership: Partnership) -> bool:
    """Whether the partnership has a room outside the actor's platform and workspace."""
    return any((link.platform, link.workspace) != (ctx.actor.platform, ctx.actor.workspace)
               for link in linked(ctx, partnership))


def linked(ctx: Context, partnership: Partnership) -> list[ChannelLink]:
    return list(ctx.session.scalars(select(ChannelLink).where(ChannelLink.partnership_id == partnership.id)
                                    .order_by(ChannelLink.id)))


@command("rooms", usage="rooms", examples=("rooms",), access=Access.READ, changes=False)
def rooms(ctx: Context, args: Args) -> Reply:
    """List the rooms linked to this partnership, on every platform, numbered for `unlink room`."""
    args.finish()
    partnership = ctx.require_partnership()
    actor = ctx.actor
    items = [Item(f"{n}. {link.platform} {link.channel}" + (f" (workspace {link.workspace})" if link.workspace else "")
                  + (f" — this {actor.place}" if (link.platform, link.workspace, link.channel)
                     == (actor.platform, actor.workspace, actor.channel) else ""))
             for n, link in enumerate(linked(ctx, partnership), 1)]
    return Reply(title=f"Rooms of {partnership.name}",
                 sections=[Section(None, items, empty="None yet: a coordinator can type `use` in a room to link it.")],
                 text="A coordinator links another with `link room`, and unlinks one with `unlink room <n>`.")


@command("unlink room", usage="unlink room <n>", examples=("unlink room 2",), access=Access.COORDINATOR)
def unlink_room(ctx: Context, args: Args) -> Reply:
    """Unlink a room (its number in `rooms`): it no longer acts on the partnership or hears from it.

    The last room cannot be unlinked."""
    number = args.take_id("room")
    args.finish()
    partnership = ctx.require_partnership()
    found = linked(ctx, partnership)
    if not 1 <= number <= len(found):
        raise UserError(f"{partnership.name} has no room {number}.", "Type `rooms` to see them with their numbers.")
    if len(found) == 1:
        raise UserError(f"That is the only room of {partnership.name}, so I kept it.",
                        "Link another first with `link room`; to end the partnership, a coordinator winds it up.")
    gone = found[number - 1]
    withdraw_room(ctx.session, partnership.id, gone.channel, "its room was unlinked", ctx.now)
    ctx.session.delete(gone)
    ctx.record("room-unlink", f"unlinked {gone.platform} room {gone.channel}")
    return Reply(text=f"Unlinked room {number} ({gone.platform} {gone.channel}) from {partnership.name}; "
                      f"{len(found) - 1} left.", audience=Audience.CHANNEL)
