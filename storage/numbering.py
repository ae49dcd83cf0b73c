"""Numbers people can say out loud: commitments, concerns, decisions, flexibility offers, goals,
pledges, deliveries and declarations of interest are counted within their partnership, like
issues within a repository, so a new partnership's first commitment is #1 whatever other
partnerships hold.

A number is the partnership's highest so far plus one. Every command that makes one holds the
partnership's lock (see `Context.act_in`), and so does the sweep making a recurring occurrence;
the unique (partnership_id, number) constraint is the backstop should anything else race.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from storage import queries
from storage.models import Commitment, Concern, Decision, Delivery, Flexibility, Goal, Interest, Meeting, Pledge

Numbered = TypeVar("Numbered", Commitment, Concern, Decision, Flexibility, Goal, Pledge, Delivery, Interest, Meeting)


# Built once, the partnership bound at each execution (see queries.CHANNEL_CONTEXT).
HIGHEST = {model: select(func.max(model.number)).where(model.partnership_id == bindparam("partnership_id"))
           for model in Numbered.__constraints__}


def next_number(session: Session, model: type[Numbered], partnership_id: int) -> int:
    """The number the partnership's next row of this kind gets."""
    [(highest,)] = queries.plain_rows(session, HIGHEST[model], {"partnership_id": partnership_id})
    return (highest or 0) + 1


def by_number(session: Session, model: type[Numbered], partnership_id: int, number: int,
              locked: bool = False) -> Numbered | None:
    """The partnership's row with this number, if it has one; `locked` for a command that
    changes it (`queries.for_change`), in the same one statement."""
    query = select(model).where(model.partnership_id == partnership_id, model.number == number)
    return session.scalar(queries.for_change(query, model) if locked else query)
