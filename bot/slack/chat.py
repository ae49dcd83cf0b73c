"""Running a command for a Slack user: the one path from Slack input to handlers and back.

Slash commands, buttons, modals and shortcuts all end here: the text is normalised
(`<@U123|bob>` becomes `@U123`), someone met for the first time is looked up in Slack for
their name and zone (once the command finds them new), `handlers.handle` decides, and the reply goes where its audience says.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.slack.acks import ACK_DEADLINE, acknowledge_by
from bot.slack.delivery import answer, deliver
from bot.slack.people import PLATFORM, People, mentioned, normalise
from handlers import Actor, Reply, handle
from handlers.context import Unmet, zone
from handlers.dispatch import Once, changes_nothing
from storage import queries

log = logging.getLogger(__name__)


@dataclass
class SlackChat:
    sessions: sessionmaker[Session]
    people: People = field(default_factory=People)
    default_timezone: str = "UTC"

    def actor(self, workspace: str, user: str, channel: str | None) -> Actor:
        """The person clicking or typing; outside a channel (App Home), their DM with the bot.

        Their name and zone come from Slack only the first time partnerbot meets them (see
        `run`): theirs from then on (`tz` changes the zone; a new Slack name arrives as a
        `user_change` event, see events.py)."""
        return Actor(
            PLATFORM, workspace, user, channel or user,
            timezone=self.default_timezone,
            # Slash commands, clicks and forms are seen by nobody else: Slack shows a typed
            # command only beside an in-channel response_url answer, which is never used for
            # anything said anonymously (see delivery.deliver).
            private=True,
            direct=channel is None or channel.startswith("D"),  # Slack's direct message ids start with D
        )

    def today(self, client: WebClient, workspace: str, user: str) -> date:
        """The person's date now, for a form's default: their stored zone (which `tz` sets),
        else Slack's zone for them, else the bot's default."""
        with self.sessions() as session:
            person = queries.find_person(session, PLATFORM, workspace, user)
            stored = person.timezone if person else None
        if stored is None:
            profile = self.people.profile(client, workspace, user)
            stored = (profile.timezone if profile else None) or self.default_timezone
        return datetime.now(UTC).astimezone(zone(stored)).date()

    def run(self, client: WebClient, workspace: str, user: str, channel: str | None, text: str,
            response_url: str | None = None, fallback_name: str | None = None,
            now: datetime | None = None, once: Once | None = None,
            ack: Callable[..., object] | None = None, answer_in_ack: bool = False) -> Reply | None:
        """Run one command and deliver its reply; returns the reply (for the App Home refresh),
        or None for a repeat of a request already handled.

        `ack` is called once the command's transaction has committed (or been refused), and
        before the slower delivery: so when Slack hears 200, the change is in the database.
        With `answer_in_ack` (a slash command) a personal reply rides in that 200 (see
        `delivery.answer`), unless Slack's deadline made us acknowledge first. Otherwise a
        command that changes nothing as typed is acknowledged before it runs: its 200
        promises nothing, and its reply follows all the same. `once` marks a changing
        request handled in the command's own transaction."""
        said = normalise(text)
        if changes_nothing(said):
            once = None  # nothing to keep from happening twice: no request mark to write
            if ack is not None and not answer_in_ack:
                ack()
                ack = None
        acknowledge = acknowledge_by(ack, ACK_DEADLINE) if ack is not None else None
        actor = replace(self.actor(workspace, user, channel), mentions=mentioned(text))
        directory = self.people.directory(client, workspace, user, fallback_name)
        try:
            reply = handle(said, actor, self.sessions, now=now, directory=directory, once=once)
        except Unmet:  # someone new: Slack is asked who they are outside the transaction, then again
            self.people.profile(client, workspace, user)
            reply = handle(said, actor, self.sessions, now=now, directory=directory, once=once)
        body = answer(reply) if answer_in_ack and reply is not None else None
        answered = acknowledge is not None and body is not None and acknowledge(**body)
        if acknowledge is not None and not answered:
            acknowledge()
        if reply is not None:
            deliver(client, reply, channel, user, response_url, answered=answered)
        return reply


def workspace_of(context: Any, body: dict[str, Any]) -> str:
    """The workspace (team id) a request comes from: every lookup is scoped to it."""
    team = body.get("team")
    workspace = (context.team_id or body.get("team_id") or (team.get("id") if isinstance(team, dict) else None)
                 or context.enterprise_id)
    if not workspace:
        raise ValueError("a Slack request from no workspace")  # Slack always says: a bad request (400)
    return str(workspace)


def channel_of(body: dict[str, Any]) -> str | None:
    """The channel a click or shortcut happened in; None in the App Home tab."""
    channel = body.get("channel")
    if isinstance(channel, dict) and channel.get("id"):
        return channel["id"]
    return (body.get("container") or {}).get("channel_id") or body.get("channel_id")



