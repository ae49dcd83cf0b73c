"""One figure, one computation: `load`, `health`, the dashboard, the App Home and the overload
nudge say the same of the same people, and give and take reads the same in `health`, the
dashboard (its bars and the table behind them, as the page shows them) and the export.

A partnership with volunteers at every stage (just started, half done, due in two days with
much left, overdue, away, recurring, starting later), all logged by the coordinator for
others. The figures are worked out by hand below, on Thu 26 Nov 2026 (everyone in UTC): what
is left is spread evenly over the days from today (or its `from:` day) up to its due day,
and a week's load is what falls in the seven days from today.
"""

from __future__ import annotations

import re
from datetime import UTC
from html import unescape

import pytest
from sqlalchemy import select

from bot.slack.home import partnership_reply
from bot.web import create_app
from handlers.context import Actor, Context
from handlers.dashboard import dashboard_of
from storage.models import Member, Partnership
from tests.conftest import Chat
from tests.test_nudges import Inbox, at, sweep
from tests.web_client import address, web_settings

# Hours a week each person needs in the seven days from Thu 26 Nov:
EXPECTED = {
    "Bob": 9.5,  # leaflets, 6h due Fri: all of it; signs, 7h over the 14 days to 10 Dec: 3.5h
    "Carol": 0.5,  # the hall, half of 4h done: 2h over the 28 days to 24 Dec; the bunting is overdue, apart
    "Dave": 2.0,  # the bandstand, 2h over the 7 days to 3 Dec, while he is away
    "Erin": 2.0,  # the warm space: its next Tuesday, 1 Dec, made by the sweep today, 2h over 5 days
    "Alice": 0.0,  # the bid starts on 5 Jan: nothing this week
}
OVER = {"Bob"}  # 9.5h against 4h; Dave is away, so not flagged
# Bob has asked Alice to take #2 on; until she accepts, its 3.5h this week are still his, and
# her 6h less those 3.5h are what she has free.


@pytest.fixture
def busy(town: Chat) -> Chat:
    town.ok("alice", 'member add @dave org:"Allotment Society" sector:community capacity:5h volunteer')
    town.ok("alice", 'member add @erin org:"Warm Space" sector:community capacity:3h volunteer')
    town.ok("dave", "away 2026-11-25 2026-12-06")
    town.ok("erin", "tz UTC")  # she has changed something, so is shown by her own name
    town.ok("alice", 'commit @bob "Deliver leaflets" by:2026-11-27 effort:6h')  # 1
    town.ok("alice", 'commit @bob "Paint the signs" by:2026-12-10 effort:7h')  # 2
    town.ok("alice", 'commit @carol "Book the hall" by:2026-12-24 effort:4h')  # 3
    town.ok("carol", "progress 3 50%")
    town.ok("alice", 'commit @carol "Order the bunting" by:2026-11-25 effort:2h')  # 4
    town.ok("alice", 'commit @dave "Sweep the bandstand" by:2026-12-03 effort:2h')  # 5
    town.ok("alice", 'commit @erin "Open the warm space" every:tuesday effort:2h')  # 6, due today
    town.ok("alice", 'commit "Write the bid" by:2027-01-19 from:2027-01-05 effort:8h')  # 7
    at(town, "2026-11-26T10:00")
    return town


def weekly(text: str) -> float:
    return float(re.search(r"~([\d.]+)h/week", text)[1])


def test_every_surface_gives_the_same_load_for_the_same_people(busy: Chat) -> None:
    handed = busy.ok("bob", "reassign 2 @alice")
    assert "Alice is asked to accept it" in handed and "over capacity" not in handed, "3.5h more is within her 6h"
    inbox = Inbox()
    sweep(busy, inbox)  # rolls the warm space on to Tue 1 Dec (#8), and warns of Bob

    load = busy.ok("alice", "load")
    lines = {name: line for name in EXPECTED for line in load.splitlines() if f" {name} (" in line}
    assert {name: weekly(line) for name, line in lines.items()} == EXPECTED
    assert {name for name, line in lines.items() if "OVER CAPACITY" in line} == OVER
    assert "Over capacity: Bob." in load
    assert "Spare capacity: Erin (~1h/week free), Carol (~2.5h/week free), Alice (~2.5h/week free)." in load
    assert "~9.5h/week of 4h capacity · 2 open (13h left; 1 handed over, not yet accepted)" in lines["Bob"]
    assert "~0.5h/week of 3h capacity · 2 open (4h left), 1 overdue (2h)" in lines["Carol"]
    assert "~2h/week · away until Sun 6 Dec, so no capacity · 1 open (2h left)" in lines["Dave"]
    assert ("~0h/week of 6h capacity · 1 open (8h left) · 1 handed to them, not yet accepted (~3.5h this week)"
            in lines["Alice"])

    health = busy.ok("alice", "health")
    flagged = health.split("Over capacity\n", 1)[1].splitlines()[0]
    assert flagged == "  - Bob (Chamber of Trade) · volunteer: ~9.5h/week against 4h."
    at_risk = health.split("Work at risk\n", 1)[1].splitlines()[0]
    assert at_risk == ("  - #1 Deliver leaflets needs 6h before Fri 27 Nov, more than Bob's 4h a week (nothing said of "
                       "its progress yet); #5 Sweep the bandstand needs 2h before Thu 3 Dec, more than the 0h of "
                       "Dave's 5h a week left after 7 days away (nothing said of its progress yet).")

    with busy.sessions() as session:
        p = session.scalars(select(Partnership)).one()
        board = dashboard_of(session, p, busy.now, UTC)
        chart = next(c for c in board.charts if c.key == "load")
        rows = {row[0]: row for row in chart.rows}
        assert {name: float(rows[name][3].removesuffix("h")) for name in EXPECTED} == EXPECTED
        assert chart.summary == ("Over capacity: Bob (week from 26 Nov). "
                                 "Overdue, not in the weeks: Carol 1 commitment (2h).")
        assert rows["Carol"][2:8] == ["2h", "0.5h", "0.5h", "0.5h", "0.5h", "0h"], "overdue apart, not in week one"
        assert rows["Bob"][3:6] == ["9.5h", "3.5h", "0h"]
        assert {s.name: s.values[0] for s in chart.series}["Dave"] is None, "no capacity while away"
        assert {s.name for s in board.health.signals} >= {"Over capacity", "Work at risk"}

        members = {m.person.display_name: m for m in session.scalars(select(Member))}
        for name, member in members.items():
            ctx = Context(session, Actor("console", "town", member.person.user_id, "general"), busy.now)
            home = partnership_reply(ctx, p, member.id, member.role)
            [load_item] = next(s for s in home.sections if s.heading == "Your load").items
            assert "  - " + load_item.text == lines[name], name

    [note] = inbox.to("@bob", "carrying a lot")
    assert "(~9.5h/week against 4h capacity)" in note
    [alert] = inbox.to("@alice", "more than they can carry")
    assert "Bob (Chamber of Trade), a volunteer, has more than they can carry (~9.5h/week against 4h capacity)" in alert
    assert not any("more than they can carry" in text and name in text.split("carry", 1)[0]
                   for name in EXPECTED if name != "Bob" for _, text in inbox.messages)


def balance_page(board: str) -> tuple[dict[str, tuple[str, str]], list[str], dict[str, list[str]]]:
    """The dashboard page's give and take as a reader sees it: each partner's bars (gives, asks),
    and the head and rows of the table behind them."""
    section = board.split('id="balance"', 1)[1].split("</section>", 1)[0]
    bars = {unescape(name): (gives, asks) for name, gives, asks in re.findall(
        r'<span class="name">([^<]*)</span>\s*<span class="bar"><span class="what">Gives ([\d.]+)</span>.*?'
        r'<span class="what">Asks ([\d.]+)</span>', section, re.S)}
    head = [unescape(h) for h in re.findall(r"<th[^>]*>([^<]*)</th>", section)]
    rows = [[unescape(v) for v in re.findall(r"<td[^>]*>([^<]*)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>", 1)[1])]
    return bars, head, {row[0]: row for row in rows}


def test_give_and_take_reads_the_same_in_health_the_dashboard_and_the_export(busy: Chat) -> None:
    """The coordinator logged everything above for others: her council neither gave nor asked.
    Then the council hands three jobs on, which other partners take, and partners deliver contributions."""
    busy.ok("alice", 'commit "Insurance" by:2026-12-20 effort:2h')  # 8
    busy.ok("alice", 'commit "Licence" by:2026-12-20 effort:3h')  # 9
    busy.ok("alice", 'commit "Permit" by:2026-12-20 effort:1h')  # 10
    busy.ok("alice", "reassign 8 @carol")
    busy.ok("carol", "accept 8")
    busy.ok("alice", "reassign 9 @erin")
    busy.ok("erin", "accept 9")
    busy.ok("alice", "reassign 10 @bob")
    busy.ok("bob", "accept 10")
    busy.ok("carol", "done 8")
    busy.ok("alice", 'delivered money:£250 "Hall hire"')
    busy.ok("bob", 'delivered money:£120 "Printing"')
    busy.ok("bob", 'delivered time:6h "Stewarding"')
    # Town Council: contributed £250, asked 3 (6h). Chamber of Trade: took on 1 (1h), contributed £120 and 6h.
    # Riverside Trust: took on 1 (2h) and delivered it (2h).
    expected = {
        "Town Council": ["Town Council", "1", "0", "0h", "0", "0h", "1 (£250)", "3", "6h"],
        "Chamber of Trade": ["Chamber of Trade", "3", "0", "0h", "1", "1h", "2 (£120, 6h)", "0", "0h"],
        "Riverside Trust": ["Riverside Trust", "2", "1", "2h", "1", "2h", "0", "0", "0h"],
        "Warm Space": ["Warm Space", "1", "0", "0h", "1", "3h", "0", "0", "0h"],
    }
    head = ["Partner", "Gives", "Delivered", "Hours delivered", "Took on from others", "Hours taken on",
            "Contributions", "Asks: handed to others", "Hours handed"]
    health = busy.ok("alice", "health")
    assert ("Town Council: gave 1 (delivered 0, 0h; took on 0 from others, 0h; contributed 1: £250), asked 3 "
            "(3 commitments handed to others, 6h)") in health
    files = {a.filename: a.content.decode() for a in busy.say("alice", "export").attachments}
    table = files["health.md"].split("## Give and take", 1)[1]
    assert "| " + " | ".join(head) + " |" in table
    exported = {row[0]: row for row in ([v.strip() for v in line.strip("|").split(" | ")]
                                        for line in table.splitlines()
                                        if line.startswith("| ") and not line.startswith(("| Partner", "| ---")))}
    web = create_app(web_settings(busy), busy.sessions, clock=lambda: busy.now).test_client()
    web.post(address(busy.ok("alice", "dashboard"), "signin"))
    bars, shown_head, shown = balance_page(web.get("/dashboard").text)
    with busy.sessions() as session:
        p = session.scalars(select(Partnership)).one()
        chart = next(c for c in dashboard_of(session, p, busy.now, UTC).charts if c.key == "balance")
    drawn = {name: (f"{gives:g}", f"{asks:g}") for name, gives, asks in
             zip(chart.labels, chart.series[0].values, chart.series[1].values, strict=True)}
    assert shown_head == head
    for name, row in expected.items():
        assert exported[name] == shown[name] == row, name
        assert drawn[name] == bars[name] == (row[1], row[7]), f"{name}: the bars draw the table's gives and asks"
    assert set(shown) == set(exported) == set(bars)
    assert chart.summary == "Out of balance: Town Council ask far more than they give."
