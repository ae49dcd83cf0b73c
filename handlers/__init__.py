"""Platform-neutral commands: text and identity in, a reply of neutral parts out.

Importing this package registers every command; adapters call `handle`.
"""

from handlers import (  # noqa: F401  (each module registers its commands)
    accounts,
    away,
    commitments,
    concerns,
    dashboard,
    decisions,
    decline,
    email,
    ending,
    exports,
    flexibility,
    handover,
    health,
    help,
    history,
    load,
    members,
    nudges,
    partnerships,
    priorities,
    proxies,
    publishing,
    reopen,
    reviews,
    rooms,
    status,
    succession,
)
from handlers.agreement import contributions, goals, interests, terms  # noqa: F401  (their commands too)
from handlers.context import Actor, Profile
from handlers.dispatch import handle
from handlers.meetings import agenda, minutes, poll  # noqa: F401  (their commands too)
from handlers.reply import Action, Attachment, Audience, Item, Reply, Section

__all__ = ["Action", "Actor", "Attachment", "Audience", "Item", "Profile", "Reply", "Section", "handle"]
