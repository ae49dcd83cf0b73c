"""A partnership as full as a hostile or very busy one gets: written straight to the database,
since typing 150 joins through a chat would test nothing more and take minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Commitment, Member, Partnership, Person, Role
from storage.numbering import next_number

TITLE = "Deliver leaflets to every street of the riverside, «and» the market square "


def crowd(sessions: sessionmaker[Session], owners: int, each: int = 1, platform: str | None = None,
          workspace: str | None = None, user_id: str = "owner{n}") -> None:
    """`owners` new members of the only partnership, each holding `each` open commitments
    with long titles."""
    now = datetime.now(UTC)
    with sessions.begin() as session:
        p = session.scalars(select(Partnership)).one()
        for n in range(1, owners + 1):
            who = user_id.format(n=n)
            person = session.scalar(select(Person).where(Person.platform == (platform or p.platform),
                                                         Person.user_id == who))
            if person is None:
                person = Person(platform=platform or p.platform, workspace=workspace or p.workspace, user_id=who,
                                display_name=f"Owner {n}", timezone="UTC")
                session.add(person)
                session.flush()
            member = session.scalar(select(Member).where(Member.person_id == person.id))
            if member is None:
                member = Member(partnership_id=p.id, person_id=person.id, role=Role.MEMBER,
                                organisation=f"Organisation number {n}", joined_at=now)
                session.add(member)
                session.flush()
            for k in range(each):
                session.add(Commitment(partnership_id=p.id, number=next_number(session, Commitment, p.id),
                                       owner_id=member.id, title=f"{TITLE}{n}.{k}",
                                       due_at=now + timedelta(days=3 + k), created_at=now))
