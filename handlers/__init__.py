"""Platform-neutral commands: text and identity in, a reply of neutral parts out.

Importing this package registers every command; adapters call `handle`.
"""

from handlers import (  # noqa: F401  (each module registers its commands)
    commitments,
    concerns,
    decisions,
    flexibility,
    help,
    load,
    members,
    nudges,
    partnerships,
    priorities,
    reviews,
    succession,
)
from handlers.context import Actor, Profile
from handlers.dispatch import handle
from handlers.reply import Action, Audience, Item, Reply, Section

__all__ = ["Action", "Actor", "Audience", "Item", "Profile", "Reply", "Section", "handle"]
