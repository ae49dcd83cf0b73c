"""Responding to proposals the Matrix way: a poll for a vote, 👍/👎 on a consensus proposal.

A message of the bot's that offers a proposal's responses (`agree 3`, `vote 3 yes`) carries the
proposal in its content, so a reaction or a poll answer pointing at it, read now or after a
restart, says which proposal it is about without any table. A proposal by vote is also posted as
an MSC3381 poll (`org.matrix.msc3381.poll.start`, which Element shows as a poll in rooms without
extensible events). A poll answer becomes `vote 3 yes`, 👍 `agree 3`, 👎 `disagree 3`, run as the
person through the same handler as the typed command, so every rule of responding applies.
Proposals posted before numbers were counted per partnership carried database ids: their
marker lacks `numbered`, and responses to them are refused (see handlers/stale.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nio import AsyncClient, Event, MegolmEvent, ReactionEvent, RoomGetEventResponse, UnknownEvent

from bot.matrix.render import Content
from handlers.reply import Reply

PROPOSAL = "org.partnerbot.proposal"
POLL_START = "org.matrix.msc3381.poll.start"
POLL_RESPONSES = ("org.matrix.msc3381.poll.response", "m.poll.response")
TEXT = "org.matrix.msc1767.text"
ANSWERS = (("yes", "Yes"), ("no", "No"), ("abstain", "Abstain"))
REACTIONS = {"👍": "agree", "👎": "disagree"}
_AGREE = re.compile(r"agree (\S+)")
_VOTE = re.compile(r"vote (\S+) yes")
# Skin tones and the emoji presentation selector: 👍🏽 and 👍️ are still 👍.
_MODIFIERS = re.compile("[\U0001F3FB-\U0001F3FF\uFE0F\uFE0E]")


@dataclass(frozen=True)
class Proposal:
    """A proposal as its commands name it (`3`), and whether it is settled by consensus or vote."""

    ref: str
    mode: str
    numbered: bool = True


@dataclass(frozen=True)
class Response:
    """A poll answer or reaction read as the command it stands for, and the message it points at;
    `stale` when that message names the proposal by its old database id."""

    command: str
    target: str
    hint: str | None = None
    stale: bool = False


def proposal_of(reply: Reply) -> Proposal | None:
    """The proposal a reply offers responses to, read from its actions; None when its results are
    hidden, as a poll or a reaction would show the room who chose what."""
    if reply.results_hidden:
        return None
    for action in reply.actions:
        if match := _AGREE.fullmatch(action.command):
            return Proposal(match[1], "consensus")
        if match := _VOTE.fullmatch(action.command):
            return Proposal(match[1], "vote")
    return None


def marked(content: Content, reply: Reply) -> Content:
    """The content with the proposal it offers, if any, for reactions and poll answers to find."""
    found = proposal_of(reply)
    return {**content, PROPOSAL: marker(found)} if found else content


def marker(proposal: Proposal) -> dict[str, Any]:
    return {"ref": proposal.ref, "mode": proposal.mode, "numbered": True}


def poll(question: str, proposal: Proposal) -> Content:
    """An MSC3381 poll for a proposal by vote: Yes, No, Abstain, one choice, results shown."""
    fallback = "\n".join([question] + [f"{n}. {label}" for n, (_, label) in enumerate(ANSWERS, 1)])
    return {
        POLL_START: {"kind": "org.matrix.msc3381.poll.disclosed", "max_selections": 1,
                     "question": {TEXT: question, "body": question, "msgtype": "m.text"},
                     "answers": [{"id": key, TEXT: label} for key, label in ANSWERS]},
        TEXT: fallback, "body": fallback, "m.mentions": {},
        PROPOSAL: marker(proposal),
    }


def is_response(event: Event) -> bool:
    return isinstance(event, ReactionEvent) or (isinstance(event, UnknownEvent) and event.type in POLL_RESPONSES)


async def read(client: AsyncClient, room_id: str, event: Event) -> Response | None:
    """The command a reaction or poll answer stands for, or None when it is not a response
    to one of the bot's proposals (another emoji, someone else's message or poll)."""
    if isinstance(event, ReactionEvent):
        verb = REACTIONS.get(_MODIFIERS.sub("", event.key))
        target = event.reacts_to
        if verb is None:
            return None
    else:
        content: dict[str, Any] = event.source.get("content") or {}
        body = next((content[t] for t in POLL_RESPONSES if isinstance(content.get(t), dict)), {})
        answers = body.get("answers") if isinstance(body.get("answers"), list) else []
        verb = next((a for a in answers[:1] if a in dict(ANSWERS)), None)
        target = (content.get("m.relates_to") or {}).get("event_id")
        if verb is None or not isinstance(target, str):
            return None
    proposal = await proposal_at(client, room_id, target)
    if proposal is None:
        return None
    if isinstance(event, ReactionEvent):
        if proposal.mode != "consensus":
            return None
        hint = f'Say why, so the outcome shows it: `disagree {proposal.ref} "your reason"`.' if verb == "disagree" else None
        return Response(f"{verb} {proposal.ref}", target, hint, not proposal.numbered)
    return Response(f"vote {proposal.ref} {verb}", target, None, not proposal.numbered) if proposal.mode == "vote" else None


async def proposal_at(client: AsyncClient, room_id: str, event_id: str) -> Proposal | None:
    """The proposal a message of the bot's offers (decrypted if need be), or None."""
    got = await client.room_get_event(room_id, event_id)
    if not isinstance(got, RoomGetEventResponse) or isinstance(got.event, MegolmEvent):
        return None
    if got.event.sender != client.user_id:
        return None  # anyone can write our marker; only the bot's own messages count
    found = (got.event.source.get("content") or {}).get(PROPOSAL)
    if not isinstance(found, dict) or not isinstance(found.get("ref"), str) or found.get("mode") not in ("consensus", "vote"):
        return None
    return Proposal(found["ref"], found["mode"], found.get("numbered") is True)
