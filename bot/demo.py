"""A small sample town partnership, typed in through the same commands people use.

It lives in a console workspace of its own: the README's first conversation, typed in plain
`partnerbot`, sets up a partnership of the same name in the same channel, and the demo must
show the sample whatever was typed there.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.console import CHANNEL, PLATFORM
from handlers import Actor, handle
from storage.queries import partnership_by_name

NAME = "Riverside Partnership"
WORKSPACE = "demo"

# (who types it, what they type): a realistic first fortnight of a partnership.
SCRIPT: list[tuple[str, str]] = [
    ("alice", f'setup "{NAME}" kind:umbrella-forum review:quarterly '
              'purpose:"Bring people back to the riverside and the high street" '
              'goals:"Saturday footfall up 10% by summer; a riverside market every month"'),
    ("alice", 'join org:"Riverside Town Council" sector:public capacity:6h'),
    ("bob", 'join org:"Chamber of Trade" sector:private capacity:4h volunteer'),
    ("carol", 'join org:"Riverside Trust" sector:voluntary capacity:3h volunteer'),
    ("dev", 'join org:"Youth Club" sector:community capacity:2h volunteer'),
    ("bob", 'priority "Saturday footfall on the high street"'),
    ("carol", 'priority "A clean, safe riverside path"'),
    ("bob", 'commit "Deliver 500 market leaflets" by:"in 5 days" effort:3h'),
    ("alice", 'commit @carol "Book the town hall for the launch" by:"in 2 weeks" effort:1h'),
    ("carol", 'commit "Recruit six litter-pick volunteers" by:"in 10 days" effort:4h'),
    ("dev", 'commit "Design the market poster" by:tomorrow effort:3h'),
    ("bob", 'concern "The market budget favours the council\'s events" kind:priorities severity:high'),
    ("carol", 'discuss 1 "Could the trust match-fund the stalls instead?"'),
    ("alice", 'flex money "Up to £500 from the events budget"'),
    ("carol", 'flex time "Two extra evenings a month until the launch"'),
    ("alice", 'member perspective @dev "local user"'),
    ("alice", 'successor coordinator @carol'),
    ("alice", 'propose "Hold the first market on the riverside path" mode:consensus closes:"in 5 days"'),
    ("bob", 'agree 1 "More footfall for the high street"'),
    ("dev", 'disagree 1 "Young people want it in the square"'),
    ("alice", 'agreement edit roles:"The council funds the events; the chamber runs the market; the trust keeps the '
              'river path; the youth club brings young people in" decisions:"By consensus; by vote when a proposal is '
              'blocked twice" joining:"Any town organisation, approved by the coordinators" '
              'review:"Every quarter, with a health check"'),
    ("alice", "agreement sign 1"),
    ("bob", "agreement sign 1"),
    ("carol", "agreement sign 1"),
    ("alice", 'goal "Saturday footfall up 10%" measure:"Saturday footfall count on the high street" baseline:1200 '
              'target:1320 by:"end of next year"'),
    ("bob", 'reading 1 1235 "The chamber\'s count last Saturday"'),
    ("bob", "edit 1 goal:1"),
    ("bob", 'pledge time:"4h a month" money:"£500 a year" note:"From the chamber\'s events budget"'),
    ("alice", 'pledge premises:"The town hall for launch events"'),
    ("bob", 'delivered money:£120 "Printing the market leaflets"'),
    ("bob", 'interest "I run a stall at the riverside market"'),
]


def load_demo(sessions: sessionmaker[Session]) -> bool:
    """Load the sample partnership unless it is already there; True when loaded now."""
    with sessions() as session:
        if partnership_by_name(session, PLATFORM, WORKSPACE, NAME):
            return False
    for user, text in SCRIPT:
        reply = handle(text, Actor(PLATFORM, WORKSPACE, user, CHANNEL, display_name=user), sessions)
        if reply.error:
            raise RuntimeError(f"demo step failed: {text}: {reply.text}")
    return True
