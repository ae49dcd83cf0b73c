"""The public page: off until a coordinator publishes; then what, why and when for anyone,
with nothing the partnership did not choose to show."""

from __future__ import annotations

from xml.etree import ElementTree

import icalendar
from flask.testing import FlaskClient

from tests.conftest import Chat
from tests.web_client import address

pytest_plugins = ("tests.web_fixtures",)


def busy(town: Chat) -> None:
    town.ok("alice", 'partnership edit goals:"Footfall up 10% by summer"')
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday effort:3h')
    town.ok("carol", 'commit "Clean the towpath" by:"in 3 weeks" effort:2h')
    town.ok("carol", 'commit "Paint the benches" by:tomorrow')
    town.ok("carol", "done 3")
    town.ok("bob", 'concern "The budget split favours the council" kind:priorities anonymous')
    town.ok("alice", 'resolve 1 "Split 50/50 from April; review in June"')
    town.ok("alice", 'propose "Adopt the market plan" mode:consensus closes:friday')
    town.ok("bob", 'block 1 "It clashes with the Saturday market"')
    town.ok("alice", 'close 1 "The block stands; waiting changes nothing"')
    town.ok("alice", 'propose "Move the fair to June" mode:consensus closes:"in 2 weeks"')


def test_the_page_is_off_until_published(town: Chat, web: FlaskClient) -> None:
    shown = town.ok("alice", "publish")
    assert "no public page" in shown
    assert town.refused("bob", "publish on").startswith("Only coordinators")
    reply = town.ok("alice", "publish on")
    page = web.get(address(reply))
    assert page.status_code == 200
    assert "Riverside Partnership" in page.text and "Revive the riverside" in page.text
    town.ok("alice", "publish off")
    assert web.get(address(reply)).status_code == 404
    assert address(town.ok("alice", "publish on")) == address(reply)  # the same address comes back


def test_the_page_answers_what_why_and_when(town: Chat, web: FlaskClient) -> None:
    busy(town)
    page = web.get(address(town.ok("alice", "publish on"))).text
    assert "Footfall up 10% by summer" in page
    assert "Chamber of Trade" in page and "private" in page and "community" in page  # community is missing
    assert "Deliver 500 leaflets" in page and "Clean the towpath" in page
    assert "Paint the benches" in page and "1 done this month" in page
    assert "Adopt the market plan" in page and "failed" in page and "It clashes with the Saturday market" in page
    assert "Split 50/50 from April" in page
    assert "Decision closes: Move the fair to June" in page
    assert "Fri 27 Nov 2026" in page  # the leaflets' due date on the timeline


def test_names_only_when_names_are_on_and_never_an_anonymous_raiser(town: Chat, web: FlaskClient) -> None:
    busy(town)
    path = address(town.ok("alice", "publish on"))
    page = web.get(path).text
    for name in ("Alice", "Bob", "Carol"):
        assert name not in page
    town.ok("alice", "publish names:on")
    named = web.get(path).text
    assert "Bob" in named and "Carol" in named
    raised = named.split("The budget split favours the council")[1].split("</li>")[0]
    assert "Bob" not in raised  # the anonymous concern's raiser stays unknown


def test_unknown_and_malformed_addresses_are_the_same_404(town: Chat, web: FlaskClient) -> None:
    town.ok("alice", "publish on")
    for path in ("/p/AAAAAAAAAAAAAAAAAAAAAA/", "/p/1/", "/p/../", "/p/%3Cscript%3E/", "/p/AAAAAAAAAAAAAAAAAAAAAA/feed.atom"):
        answer = web.get(path)
        assert answer.status_code == 404, path
        assert "Riverside" not in answer.text


def test_markup_in_titles_is_shown_as_text(town: Chat, web: FlaskClient) -> None:
    town.ok("bob", 'commit <script>alert(1)</script> a 6"x4" <b>banner</b> by:friday')
    page = web.get(address(town.ok("alice", "publish on")))
    assert "<script>alert(1)</script>" not in page.text and "<b>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; a 6&#34;x4&#34; &lt;b&gt;banner&lt;/b&gt;" in page.text
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_the_calendar_keeps_its_uids_and_answers_304_until_something_changes(town: Chat, web: FlaskClient) -> None:
    busy(town)
    path = address(town.ok("alice", "publish on"))
    first = web.get(path + "calendar.ics")
    assert first.status_code == 200 and first.mimetype == "text/calendar"
    events = icalendar.Calendar.from_ical(first.data).walk("VEVENT")
    uids = {str(e["UID"]): str(e["SUMMARY"]) for e in events}
    assert any("Deliver 500 leaflets" in s and "Chamber of Trade" in s for s in uids.values())
    assert not any("Bob" in s for s in uids.values())  # names are off
    assert web.get(path + "calendar.ics", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    town.ok("bob", 'commit "Hang the bunting" by:"in 2 weeks"')
    again = web.get(path + "calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    resubscribed = {str(e["UID"]) for e in icalendar.Calendar.from_ical(again.data).walk("VEVENT")}
    assert set(uids) < resubscribed  # the same events keep their UIDs, the new one is added
    export = {str(e["UID"]) for e in icalendar.Calendar.from_ical(
        town.say("alice", "export").attachments[3].content).walk("VEVENT")}
    assert export == resubscribed  # the export and the subscription name events alike


def test_the_feed_lists_changes_and_is_cacheable(town: Chat, web: FlaskClient) -> None:
    busy(town)
    path = address(town.ok("alice", "publish on"))
    feed = web.get(path + "feed.atom")
    assert feed.mimetype == "application/atom+xml"
    entries = ElementTree.fromstring(feed.data).findall("{http://www.w3.org/2005/Atom}entry")
    titles = [e.findtext("{http://www.w3.org/2005/Atom}title") for e in entries]
    assert "Agreed: The budget split favours the council" in titles
    assert "Decided: Adopt the market plan (failed)" in titles and "Done: Paint the benches" in titles
    assert web.get(path + "feed.atom", headers={"If-None-Match": feed.headers["ETag"]}).status_code == 304


def test_a_proposal_past_closing_is_not_still_being_decided(town: Chat, web: FlaskClient) -> None:
    """Before the sweep records its outcome, the page says it closed, as the chat does; the
    timeline of dates ahead no longer lists it."""
    town.ok("alice", 'propose "Move the fair to June" mode:consensus closes:friday')
    path = address(town.ok("alice", "publish on"))
    town.advance(days=10)
    page = web.get(path).text
    assert "Move the fair to June" in page
    assert "Decision closes: Move the fair to June" not in page
    assert 'closed <time datetime="2026-11-27">' in page and "outcome being recorded" in page
