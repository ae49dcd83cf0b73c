"""Who is asking, where, and when: everything a command knows besides its arguments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import DeclarativeBase, Session

from handlers.dates import parse_day, parse_due
from handlers.errors import UserError
from handlers.parsing import naming, plain_name
from storage import numbering, queries
from storage.lines import CommitmentLine
from storage.models import (
    Commitment,
    Concern,
    Decision,
    Delivery,
    Event,
    Flexibility,
    Goal,
    Interest,
    Meeting,
    Member,
    Partnership,
    Person,
    Pledge,
    Role,
)

Scoped = TypeVar("Scoped", Commitment, Concern, Decision, Flexibility, Goal, Pledge, Delivery, Interest, Meeting)


@dataclass(frozen=True)
class Profile:
    """What a chat platform knows of a user: a display name and a time zone."""

    display_name: str
    timezone: str | None = None


# Looks a platform user id up in the platform's directory (Slack's users.info, say). It may
# raise `Unmet` rather than ask the platform from inside the command's transaction.
Directory = Callable[[str], Profile | None]


class Unmet(Exception):
    """A directory was asked about someone it has not looked up yet, and will not wait on the
    platform inside the command's transaction (on SQLite, the database's one write lock): the
    caller looks them up outside it, then runs the command again. Only someone new pays this."""

    def __init__(self, user_id: str) -> None:
        super().__init__(user_id)
        self.user_id = user_id


@dataclass(frozen=True)
class Actor:
    """The person typing, as their chat platform identifies them."""

    platform: str
    workspace: str
    user_id: str
    channel: str
    display_name: str | None = None
    # The zone to give someone seen for the first time; afterwards `tz` changes it.
    timezone: str | None = None
    # User ids the platform itself marked as mentions in the text (Slack's `<@U123>`, a
    # Matrix id): each names that person and nobody else. None where the platform has no
    # such markup (the console, where a name is the id).
    mentions: frozenset[str] | None = None
    # Nobody but the bot sees what this person types here: a direct conversation with the
    # bot, a form, a Slack slash command. Only then can something be said anonymously.
    private: bool = False
    # What the platform calls the place typed in, for replies that speak of it ("this
    # channel", "this room", "this console").
    place: str = "channel"
    # Typed in a one-to-one conversation with the bot: no room a partnership could work from.
    direct: bool = False


@dataclass
class Context:
    session: Session
    actor: Actor
    now: datetime
    directory: Directory | None = None
    # A command that may change things locks its partnership, and each row it looks up by
    # number, so two people acting at once take turns: one succeeds, the other is told why not.
    changes: bool = False
    # The command as typed, when it may name its partnership with `in:`: a refusal for want of
    # one shows it again with `in:` added.
    typed: str | None = None
    _partnership: Partnership | None = field(default=None, init=False)
    _partnership_resolved: bool = field(default=False, init=False)
    _member: Member | None = field(default=None, init=False)
    # The partnership the channel typed in is linked to (None: none), once looked up.
    _here: tuple[int | None] | None = field(default=None, init=False)

    @cached_property
    def person(self) -> Person:
        """The acting person, created on first contact and kept up to date by a command that
        changes something; one that only reads changes nothing, not even a name."""
        actor = self.actor
        person = queries.find_person(self.session, actor.platform, actor.workspace, actor.user_id)
        if person is None:
            return self.person_for(actor.user_id, actor.display_name, actor.timezone)
        if (person.platform, person.workspace, person.user_id) == (actor.platform, actor.workspace, actor.user_id):
            # A linked account (`link me`) acts as its person, who keeps the name of their own.
            self.renamed(person)
        return person

    def renamed(self, person: Person) -> None:
        """Take the name the platform gives the acting account now, when the command changes something."""
        name = plain_name(self.actor.display_name or "")
        if self.changes and name and person.display_name != name:
            person.display_name = name

    def person_for(self, user_id: str, name: str | None = None, tz: str | None = None) -> Person:
        """Find or create a person of this workspace by platform user id. A command that only
        reads gets someone new unsaved: a stranger's `who` leaves no row behind."""
        actor = self.actor
        person = queries.find_person(self.session, actor.platform, actor.workspace, user_id)
        if person is not None:
            return person
        profile = self.directory(user_id) if self.directory else None
        if profile is not None:
            name, tz = profile.display_name, profile.timezone or tz
        person = Person(
            platform=actor.platform,
            workspace=actor.workspace,
            user_id=user_id,
            display_name=plain_name(name or "") or plain_name(user_id),
            timezone=tz or "UTC",
            month_first=False,
        )
        if self.changes:
            self.session.add(person)
            self.session.flush()
        return person

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.person.timezone)

    def day(self, text: str) -> date:
        """A day the person typed, read in their zone and their date order (`dates`)."""
        return parse_day(text, self.tz, self.now, self.person.month_first)

    def due(self, text: str, owner: Member | None = None) -> datetime:
        """A due date the person typed, never in the past, as the end of that day in UTC: the end
        of the day on its owner's calendar (`owner`, when it is someone else's work)."""
        return parse_due(text, self.tz, self.now, self.person.month_first, zone(owner.timezone) if owner else None)

    @property
    def partnership(self) -> Partnership | None:
        """The channel's partnership; in an unlinked channel (a DM), the person's only one."""
        if not self._partnership_resolved:
            self._partnership_resolved = True
            actor = self.actor
            if self.changes:
                self.session.expire_all()  # see act_in
            found = queries.channel_context(self.session, actor.platform, actor.workspace, actor.channel,
                                            actor.user_id, locked=self.changes)
            self._here = (found[0].id if found is not None else None,)
            if found is not None:
                self._partnership, account, member = found
                if account is not None and account.account_of_id is None and "person" not in self.__dict__:
                    # The person and their membership came with the partnership (a linked account's
                    # person is another row, looked up as usual).
                    self.renamed(account)
                    self.__dict__["person"] = account
                    self._member = member
            else:
                person = queries.find_person(self.session, actor.platform, actor.workspace, actor.user_id)
                mine = queries.memberships(self.session, person.id) if person else []
                if len(mine) == 1:
                    self.act_in(mine[0].partnership)
        return self._partnership

    def act_in(self, partnership: Partnership | None) -> None:
        """Make this the command's partnership; a command that changes things locks it first."""
        if partnership is not None and self.changes:
            # What was read before the lock may have changed meanwhile: it is read again when next
            # used. The partnership itself is read afresh by the statement that locks it.
            self.session.expire_all()
            partnership = queries.lock(self.session, Partnership, partnership.id)
        self._partnership, self._partnership_resolved = partnership, True

    @property
    def acted_in(self) -> Partnership | None:
        """The partnership the command acted in, if it looked one up: asking now would read the
        partnership afresh, and a changing command's unsaved changes with it (see act_in)."""
        return self._partnership if self._partnership_resolved else None

    def typed_in_its_room(self) -> bool:
        """Whether the command was typed in a room of the partnership it acts in, rather than in a
        direct message or another partnership's room (through `in:`). Looked up again unless the
        channel's own partnership is it: `setup` and `use` link the channel as they run."""
        partnership = self.acted_in
        if partnership is None:
            return False
        if self._here is not None and self._here[0] == partnership.id:
            return True
        actor = self.actor
        return queries.channel_partnership_id(self.session, actor.platform, actor.workspace, actor.channel) == partnership.id

    @partnership.setter
    def partnership(self, value: Partnership) -> None:
        self._partnership, self._partnership_resolved = value, True

    def choose_partnership(self, name: str) -> None:
        """Act in one of the person's own partnerships, named (`in:"Riverside"`): from a
        direct message, where no channel says which."""
        found = self.own_partnerships_named(name)
        if not found:
            raise UserError(f"You are in no partnership called {plain_name(name, 120)}.",
                            "Type `partnerships` to see yours, and give one of their names.")
        self.act_in(self.only_one(found))

    def own_partnerships_named(self, name: str, roles: tuple[Role, ...] = tuple(Role)) -> list[Partnership]:
        """The partnerships with this name (in any case) that the person is in, in these roles.

        Names are unique only among what one person sees, so there may be two."""
        person = queries.find_person(self.session, self.actor.platform, self.actor.workspace, self.actor.user_id)
        wanted = queries.name_key(name)
        return [m.partnership for m in (queries.memberships(self.session, person.id) if person else [])
                if m.partnership.name_key == wanted and m.role in roles]

    def only_one(self, found: list[Partnership]) -> Partnership:
        """The one partnership a name picks out; two of the person's own with one name are told
        apart by what the person can see of them, and one is renamed."""
        if len(found) == 1:
            return found[0]
        told = "; ".join(f"one set up {p.created_at.astimezone(self.tz):%-d %b %Y}, coordinated by "
                         + (", ".join(m.person.display_name for m in queries.coordinators(self.session, p.id)) or "nobody")
                         for p in found[:5])
        raise UserError(f"{len(found)} of your partnerships are called {found[0].name}: {told}.",
                        "Type the command in that partnership's own channel, and have a coordinator rename one there: "
                        f'`partnership edit name:"{found[0].name} North"`.')

    def naming_for(self, person_id: int) -> str:
        """` in:"Name"` for a command sent to someone where no channel says which partnership it
        is for (a direct message, a private note), when they are in more than one; else nothing."""
        many = len(queries.memberships(self.session, person_id)) > 1
        return naming(self.require_partnership().name) if many else ""

    def require_partnership(self) -> Partnership:
        if self.partnership is None:
            raise self.unplaced()
        return self.partnership

    def unplaced(self) -> UserError:
        """Why no partnership is known here, and how to name one: someone in several is shown
        their command again with `in:` added, since `use` links a shared channel, not a DM."""
        person = queries.find_person(self.session, self.actor.platform, self.actor.workspace, self.actor.user_id)
        names = [m.partnership.name for m in (queries.memberships(self.session, person.id) if person else [])]
        if len(names) < 2:
            return UserError(f"This {self.actor.place} isn't linked to a partnership yet.",
                             'Type `partnerships` to see them and `use <name>` to link one, '
                             'or start one with `setup "Riverside Partnership" kind:task-force`.')
        listed = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        if self.typed is None or len(self.typed) > 200:
            how = (f"add its name, like `{naming(names[0]).strip()}`, to the command" if self.typed is not None
                   else "type the command in that partnership's own channel")
        elif len(names) <= 3:  # each of them, so the one meant is there to copy whichever it is
            how = "add its name: " + " or ".join(f"`{self.typed}{naming(name)}`" for name in names)
        else:
            how = f"add its name, like `{self.typed}{naming(names[0])}`"
        return UserError(f"You are in {len(names)} partnerships ({listed}), and nothing here says which you mean.",
                         f"To say which, {how}.")

    @property
    def member(self) -> Member | None:
        """The acting person's active membership in the current partnership.

        The row is looked up once per partnership and command; whether it is active is
        read each time, so a join or leave within the command is seen."""
        partnership = self.partnership
        if partnership is None:
            return None
        found = self._member
        if found is None or found.partnership_id != partnership.id:
            found = self._member = queries.membership(self.session, partnership.id, self.person.id)
        return found if found is not None and found.active else None

    def may_change(self, c: Commitment | CommitmentLine) -> bool:
        """People change their own commitments; coordinators may change anyone's."""
        member = self.member
        return member is not None and (c.owner_id == member.id or member.role is Role.COORDINATOR)

    @property
    def over(self) -> bool:
        """The partnership is wound up or past its end date: read-only, but for settling what
        was left open (handlers/life.py), so no listing offers a button to anything else."""
        p = self.partnership
        return p is not None and p.over(self.now)

    def require_member(self) -> Member:
        member = self.member
        if member is None:
            name = self.require_partnership().name
            raise UserError(
                f"You're not a member of {name} yet.",
                'Type `join org:"Your organisation" sector:community` first.',
            )
        return member

    def require_owner_or_coordinator(self, owner: Member, what: str, listing: str) -> Member:
        """The acting member, refused unless `what` (an offer, an interest) is theirs or they
        coordinate: people change their own, coordinators anyone's."""
        member = self.require_member()
        if owner.id != member.id and member.role is not Role.COORDINATOR:
            raise UserError(f"{what} is {owner.display_name}'s; only they or a coordinator can withdraw it.",
                            f"Type `{listing}` to see whose each one is.")
        return member

    def is_coordinator(self) -> bool:
        member = self.member
        return member is not None and member.role is Role.COORDINATOR

    def require_coordinator(self) -> None:
        """Refuse anyone but a coordinator, naming whom to ask."""
        if not self.is_coordinator():
            partnership = self.require_partnership()
            names = [m.person.display_name for m in queries.coordinators(self.session, partnership.id)]
            who = "coordinators: " + ", ".join(names) if names else "it has none yet"
            raise UserError(f"Only coordinators of {partnership.name} can do that ({who}).", "Ask one of them.")

    def find_row(self, model: type[Scoped], number: int, noun: str, listing: str) -> Scoped:
        """A row of the current partnership by its number there; other partnerships' rows are not found."""
        partnership = self.require_partnership()
        found = numbering.by_number(self.session, model, partnership.id, number, locked=self.changes)
        if found is None:
            raise UserError(f"There is no {noun} #{number} in {partnership.name}.",
                            f"Type `{listing}` to list them with their numbers.")
        return found

    def is_mention(self, mention: str) -> bool:
        """Whether the platform marked this word as a mention of a user id."""
        return self.actor.mentions is not None and mention in self.actor.mentions

    def matching(self, mention: str, members: list[Member]) -> list[Member]:
        """The members a mention names: by user id; a typed plain name (no mention the
        platform marked) also by display name, which anyone can set to anything."""
        wanted = mention.casefold()
        by_id = [m for m in members if m.person.user_id.casefold() == wanted]
        # An id is an id in its own workspace: `@carol` here is this workspace's carol, even where
        # a member from another workspace (linked in through an account of theirs here) has it too.
        by_id = [m for m in by_id if (m.person.platform, m.person.workspace)
                 == (self.actor.platform, self.actor.workspace)] or by_id
        if not by_id and (linked := self.linked_account(mention)) is not None:
            by_id = [m for m in members if m.person_id == linked]
        if by_id or self.is_mention(mention):
            return by_id
        return [m for m in members if m.person.display_name.casefold() == wanted]

    def linked_account(self, mention: str) -> int | None:
        """The person a mention names through an account of this platform linked to theirs on
        another (`link me`): `@U024BE7LH` on Slack for someone who joined from Matrix."""
        if self.is_mention(mention) or self.actor.mentions is None:
            account = queries.account(self.session, self.actor.platform, self.actor.workspace, mention)
            return account.account_of_id if account is not None else None
        return None

    def one_of(self, mention: str, members: list[Member], missing: UserError) -> Member:
        """The one member a mention names; a name several people share is refused, listing them,
        and where they are on different platforms, saying how one person becomes one member."""
        found = self.matching(mention, members)
        if not found:
            raise missing
        if len(found) > 1:
            platforms = {m.person.platform for m in found}
            named = ", ".join(f"{m.person.display_name} (`@{m.person.user_id}`"
                              + (f" on {m.person.platform})" if len(platforms) > 1 else ")") for m in found[:10])
            raise UserError(f"@{plain_name(mention, 60)} could be any of {len(found)} people: {named}.",
                            "Mention the one you mean by their id, as shown."
                            + (" Accounts on different platforms are separate members until their owner links them: "
                               "`link me` on one, then the code on the other." if len(platforms) > 1 else ""))
        return found[0]

    def find_member(self, mention: str) -> Member:
        """An active member of the current partnership, by user id or an unambiguous name."""
        partnership = self.require_partnership()
        return self.one_of(mention, queries.active_members(self.session, partnership.id), UserError(
            f"@{plain_name(mention, 60)} isn't a member of {partnership.name}.",
            "Type `members` to see who is; a coordinator can add someone with `member add @name`.",
        ))

    def number(self, model: type[Scoped]) -> int:
        """The number the current partnership's next row of this kind gets."""
        return numbering.next_number(self.session, model, self.require_partnership().id)

    def record(self, action: str, summary: str, subject: DeclarativeBase | None = None,
               reason: str | None = None, anonymous: bool = False) -> Event:
        """Log this change in the event log, in the command's own transaction."""
        return queries.record_event(
            self.session,
            self.require_partnership().id,
            None if anonymous else self.person.id,
            action,
            summary,
            self.now,
            subject=subject,
            reason=reason,
        )


def zone(name: str) -> ZoneInfo:
    """A stored zone name as a ZoneInfo; a zone that has vanished falls back to UTC."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")
