"""Which rooms the bot is in: invitations accepted from allowed homeservers only, when
MATRIX_ALLOWED_SERVERS is set; encrypted or not, as the bot reads and writes both."""

from __future__ import annotations

import logging

from nio import AsyncClient, InviteInfo, InviteMemberEvent, JoinResponse
from sqlalchemy.orm import Session, sessionmaker

from bot.matrix import privacy
from bot.matrix.delivery import remember_room
from bot.matrix.people import server_of

log = logging.getLogger(__name__)

async def answer_invite(client: AsyncClient, sessions: sessionmaker[Session], room_id: str, info: InviteInfo,
                        allowed: frozenset[str]) -> bool:
    """Join an invited room, or refuse it if the inviter's homeserver is not allowed.

    An invitation marked `is_direct` makes the room the bot's direct room with the inviter,
    so their nudges arrive where they already talk to the bot, and its history is closed to
    later joiners where the bot may (bot/matrix/privacy.py). Returns whether it joined."""
    invite = next((e for e in info.invite_state if isinstance(e, InviteMemberEvent)
                   and e.state_key == client.user_id and e.membership == "invite"), None)
    inviter = invite.sender if invite else ""
    if allowed and server_of(inviter) not in allowed:
        log.warning("refusing the invitation of %s to %s: %s is not in MATRIX_ALLOWED_SERVERS",
                    inviter or "someone", room_id, server_of(inviter) or "their server")
        await client.room_leave(room_id)
        return False
    joined = await client.join(room_id)
    if not isinstance(joined, JoinResponse):
        log.warning("could not join %s: %s", room_id, getattr(joined, "message", joined))
        return False
    if invite is not None and invite.content.get("is_direct"):
        await privacy.on_joining_direct(client, sessions, room_id, inviter)
        remember_room(sessions, client.user_id, inviter, room_id)
    return True
