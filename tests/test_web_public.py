"""The public page: off until a coordinator publishes; then what, why and when for anyone,
with nothing the partnership did not choose to show."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import icalendar
from flask import template_rendered
from flask.testing import FlaskClient

from bot.web import create_app
from bot.web.static import write_pages
from handlers import publishing
from handlers.publishing import PAGE_FILES
from tests.conftest import Chat, snapshot
from tests.test_governance_sweep import counting
from tests.web_client import address, web_settings

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
    assert '<span class="tag due">due</span> Deliver 500 leaflets (Chamber of Trade)' in page  # said once
    assert "Due: " not in page


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


def every_public_copy(web: FlaskClient, path: str) -> str:
    """The page, its feed (for readers and for people) and its calendar (unfolded) as one text: all that is public."""
    ics = web.get(path + "calendar.ics").data.decode().replace("\r\n ", "")
    return web.get(path).text + web.get(path + "feed.atom").text + web.get(path + "feed.html").text + ics


def test_with_names_off_no_mention_or_name_reaches_the_page_the_feed_or_the_calendar(town: Chat, web: FlaskClient) -> None:
    town.ok("alice", 'partnership edit goals:"Footfall up; @carol counts it"')
    town.ok("bob", 'commit "Ask @carol and @U024BE7LH about the hall" by:friday')
    town.ok("bob", 'commit "Carol to phone @dana:example.org" by:"in 2 weeks"')
    town.ok("alice", 'propose "Adopt @bob plan" mode:consensus closes:friday')
    town.ok("carol", 'block 1 "Bob asked @alice first, and <@U0G9QF9C6|alice> agreed"')
    town.ok("alice", 'close 1 "The block stands"')
    town.ok("bob", 'concern "Carol books every room" kind:priorities')
    town.ok("alice", 'resolve 1 "@bob and Alice share the bookings"')
    town.ok("alice", 'agreement edit roles:"@carol brings the hall" why:"Bob asked"')
    town.ok("carol", "agreement sign 1")
    town.ok("alice", 'goal "Footfall; @bob counts it" measure:"Carol\'s count" baseline:10 target:20 by:2027-06-30')
    town.ok("bob", 'commit "Count with @carol" by:tomorrow goal:1')
    town.ok("bob", 'done 3 "Alice helped"')
    town.ok("bob", 'reading 1 12 "Bob read it"')
    path = address(town.ok("alice", "publish on"))
    public = every_public_copy(web, path)
    assert "someone brings the hall" in public and "Footfall; someone counts it" in public
    assert "Count with someone" in public and "someone helped" in public
    assert "Ask someone and someone about the hall" in public and "someone to phone someone" in public
    assert "Adopt someone plan" in public and "someone books every room" in public
    for said in ("Alice", "alice", "Bob", "bob", "Carol", "carol", "U024BE7LH", "U0G9QF9C6", "dana"):
        assert said not in public, said
    town.ok("alice", "publish names:on")
    named = every_public_copy(web, path)
    assert "Ask Carol and @U024BE7LH about the hall" in named  # a member's mention reads as her name
    assert "Adopt Bob plan" in named


def test_public_times_only_move_with_what_is_public_and_only_by_the_day(town: Chat, web: FlaskClient) -> None:
    busy(town)
    path = address(town.ok("alice", "publish on"))
    before = {suffix: web.get(path + suffix) for suffix in ("", "feed.atom", "calendar.ics")}
    town.advance(minutes=7, seconds=3, microseconds=123456)
    town.ok("carol", 'concern "The chair talks over volunteers" kind:process anonymous')
    town.ok("carol", 'discuss 2 "It happened again at the last meeting"')
    town.ok("bob", 'flex time "Two more hours in December"')
    for suffix in ("feed.atom", "calendar.ics"):
        again = web.get(path + suffix, headers={"If-None-Match": before[suffix].headers["ETag"]})
        assert again.status_code == 304, suffix  # nothing they show changed, so nothing says it did
    # The page counts open concerns (never what or whose), but its last change stays by the day.
    counted = web.get(path, headers={"If-None-Match": before[""].headers["ETag"]})
    assert counted.status_code == 200 and "1 concern being negotiated, open since today" in counted.text
    assert "last change Tue 24 Nov 2026." in counted.text and "chair" not in counted.text
    feed = ElementTree.fromstring(before["feed.atom"].data)
    stamps = [e.text or "" for e in feed.iter("{http://www.w3.org/2005/Atom}updated")]
    assert stamps and all(s.endswith("T00:00:00+00:00") for s in stamps), stamps
    stamp = icalendar.Calendar.from_ical(before["calendar.ics"].data).walk("VEVENT")[0]["DTSTAMP"].dt
    assert (stamp.hour, stamp.minute, stamp.second, stamp.microsecond) == (0, 0, 0, 0)
    assert "last change Tue 24 Nov 2026." in before[""].text
    town.advance(days=2)
    town.ok("carol", 'commit "Hang the bunting" by:"in 2 weeks"')
    moved = web.get(path + "feed.atom")
    assert "<updated>2026-11-26T00:00:00+00:00</updated>" in moved.text  # the new commitment, by its day


def test_calendar_uids_name_events_by_their_number_on_the_page_alone(town: Chat, web: FlaskClient) -> None:
    town.channel = "hills"
    town.ok("carol", 'setup "Hill Forum" kind:umbrella-forum')
    town.ok("carol", 'join org:"Hill Trust" sector:community')
    town.ok("carol", 'commit "Walk the hill path" by:friday')  # the first commitment in the database
    hill_path = address(town.ok("carol", "publish on"))
    town.channel = "general"
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("bob", 'commit "Print the posters" by:"in 2 weeks"')
    path = address(town.ok("alice", "publish on"))
    slug = path.strip("/").split("/")[-1]
    ics = icalendar.Calendar.from_ical(web.get(path + "calendar.ics").data)
    uids = {str(e["UID"]) for e in ics.walk("VEVENT")}
    [domain] = {uid.split("@")[1] for uid in uids}
    assert {f"commitment-1@{domain}", f"commitment-2@{domain}", f"review@{domain}"} == uids
    assert slug not in domain and "general" not in domain and "town" not in domain  # no workspace or channel id
    hill = icalendar.Calendar.from_ical(web.get(hill_path + "calendar.ics").data)
    assert not {str(e["UID"]) for e in hill.walk("VEVENT")} & uids  # two pages' events never collide


def test_noncharacters_are_stripped_where_text_comes_in(town: Chat, web: FlaskClient) -> None:
    town.ok("bob", 'commit "Print\ufffe the\uffff posters\U0001fffe" by:friday')
    town.ok("alice", 'propose "Adopt\ufdd0 the plan" mode:consensus closes:friday')
    town.ok("carol", 'block 1 "It\uffff clashes"')
    town.ok("alice", 'close 1 "The block stands"')
    town.ok("dave\ufffe", 'join org:"Hill\uffff Trust" sector:community capacity:2h')
    path = address(town.ok("alice", "publish on names:on"))
    feed = web.get(path + "feed.atom")
    entries = ElementTree.fromstring(feed.data).findall("{http://www.w3.org/2005/Atom}entry")  # well-formed XML
    titles = [e.findtext("{http://www.w3.org/2005/Atom}title") for e in entries]
    assert "New commitment: Print the posters" in titles and "Decided: Adopt the plan (failed)" in titles
    page = web.get(path).text
    assert "Hill Trust" in page and "Dave" in page
    assert not any(c in page + feed.text for c in "\ufffe\uffff\ufdd0\U0001fffe")


def test_a_page_taken_down_while_publish_writes_it_leaves_no_copy(town: Chat, web: FlaskClient, tmp_path: Path) -> None:
    path = address(town.ok("alice", "publish on names:on"))
    app = web.application
    said: list[str] = []
    fetched = []

    class Meanwhile(FlaskClient):
        """The chat's `publish off` runs once the page's files are fetched, before they are written."""

        def get(self, *args: Any, **kwargs: Any) -> Any:
            answer = super().get(*args, **kwargs)
            fetched.append(answer.status_code)
            if len(fetched) == len(PAGE_FILES):
                said.append(town.ok("alice", "publish off"))
            return answer

    app.test_client_class = Meanwhile
    written = write_pages(app, tmp_path / "site")
    assert said and "no public page" in said[0]
    assert not (tmp_path / "site" / path.strip("/")).exists()
    assert written.files == [] and "while it was being written" in written.removed[0]


def test_a_static_copy_has_no_follow_form_and_sends_residents_to_the_live_page(
        town: Chat, tmp_path: Path, monkeypatch: Any) -> None:
    """The copy `partnerbot publish` writes showed the follow form, which nothing behind a static
    host answers. It has none; it points to the live page's when the settings give its address.
    The served page keeps its form."""
    web = create_app(web_settings(town, mail=True), town.sessions, clock=lambda: town.now).test_client()
    path = address(town.ok("alice", "publish on"))

    def copy(out: str) -> tuple[str, str]:
        write_pages(web.application, tmp_path / out)
        folder = tmp_path / out / path.strip("/")
        return (folder / "index.html").read_text(), (folder / "feed.html").read_text()

    monkeypatch.delenv("PARTNERBOT_BASE_URL", raising=False)
    page, feed = copy("unknown")  # nowhere to follow by email from: not offered
    assert "Riverside Partnership" in page and "<form" not in page and "Follow by email" not in page
    assert "By email" not in feed and "calendar.ics" in feed
    monkeypatch.setenv("PARTNERBOT_BASE_URL", "https://partners.example.org/")
    page, feed = copy("site")
    live = f"https://partners.example.org{path}#follow"
    pointer = f"<a href=\"{live}\">the partnership's live page</a>"
    assert "<form" not in page and pointer in page and pointer in feed
    served = web.get(path).text
    assert '<form class="follow" id="follow" method="post" action="follow">' in served and live not in served
    assert "<a href=\"./#follow\">the partnership's page</a>" in web.get(path + "feed.html").text


def test_without_mail_no_page_offers_to_follow_by_email_and_a_request_keeps_nothing(
        town: Chat, web: FlaskClient, tmp_path: Path, monkeypatch: Any) -> None:
    """With no SMTP_URL the page still offered "Follow by email": a resident's address was kept and
    counted, and the confirmation never came. Now neither the page, its feed.html nor a static copy
    offers it, and a request (from a page loaded before) is told why and keeps nothing."""
    path = address(town.ok("alice", "publish on"))
    monkeypatch.setenv("PARTNERBOT_BASE_URL", "https://partners.example.org/")
    mailing = create_app(web_settings(town, mail=True), town.sessions, clock=lambda: town.now).test_client()
    assert 'action="follow"' in mailing.get(path).text and "By email" in mailing.get(path + "feed.html").text
    page, feed = web.get(path).text, web.get(path + "feed.html").text
    assert "Riverside Partnership" in page and "<form" not in page and "Follow by email" not in page
    assert "By email" not in feed and "calendar.ics" in feed
    write_pages(web.application, tmp_path)
    copy = tmp_path / path.strip("/")
    assert "Follow by email" not in (copy / "index.html").read_text()
    assert "By email" not in (copy / "feed.html").read_text()
    before = snapshot(town.sessions)
    refused = web.post(path + "follow", data={"address": "resident@example.org"})
    assert refused.status_code == 503 and "This site sends no mail" in refused.text
    assert "your address was not kept" in refused.text
    assert web.post(f"/p/{'x' * 22}/follow", data={"address": "resident@example.org"}).status_code == 404
    assert snapshot(town.sessions) == before
    assert mailing.post(path + "follow", data={"address": "resident@example.org"}).status_code == 200
    assert snapshot(town.sessions) != before


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


def test_a_revalidation_with_a_current_etag_renders_nothing(town: Chat, web: FlaskClient) -> None:
    busy(town)
    town.ok("alice", 'agreement edit roles:"Each brings what it pledges"')
    path = address(town.ok("alice", "publish on"))
    rendered: list[str] = []

    def seen(sender: object, template: Any, context: object, **extra: object) -> None:
        rendered.append(template.name)

    with template_rendered.connected_to(seen, web.application):
        for suffix in ("", "feed.atom", "feed.html"):
            first = web.get(path + suffix)
            again = web.get(path + suffix, headers={"If-None-Match": first.headers["ETag"]})
            assert (first.status_code, again.status_code, again.data) == (200, 304, b""), suffix
            assert again.headers["ETag"] == first.headers["ETag"]
        assert len(rendered) == 3  # the first of each; none for the 304s
        town.ok("carol", "agreement sign 1")  # what the page shows changes: its ETag does
        assert web.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 200


def test_the_feed_reads_whatever_its_address(town: Chat, web: FlaskClient, monkeypatch: Any) -> None:
    """A random address may hold "--", which an XML comment may not: the feed still parses,
    and the address it names still opens the page."""
    monkeypatch.setattr(publishing, "new_slug", lambda: "Ab--c---dEfGhIjKlMnOpQ")
    busy(town)
    path = address(town.ok("alice", "publish on"))
    assert "--" in path
    feed = web.get(path + "feed.atom")
    told = feed.text.split("open ", 1)[1].split("feed.html", 1)[0]
    assert ElementTree.fromstring(feed.data).findtext("{http://www.w3.org/2005/Atom}id").endswith(path)
    assert web.get(urlsplit(told).path + "feed.html").status_code == 200


def test_the_feed_carries_proposals_outcomes_reviews_dropped_work_and_done_notes(town: Chat, web: FlaskClient) -> None:
    busy(town)
    town.ok("bob", 'done 1 "500 delivered; the library took 50"')
    town.ok("carol", 'drop 2 "The canal trust cleans it now"')
    town.ok("alice", "review start")
    town.ok("alice", 'review close continue "Keep going; find a community partner by March"')
    path = address(town.ok("alice", "publish on"))
    feed = ElementTree.fromstring(web.get(path + "feed.atom").data)
    atom = "{http://www.w3.org/2005/Atom}"
    entries = {e.findtext(f"{atom}title"): (e.findtext(f"{atom}summary"), e.find(f"{atom}link").get("href"))
               for e in feed.findall(f"{atom}entry")}
    assert entries["Proposed: Move the fair to June"][0].startswith("To be decided by consensus")
    assert entries["Done: Deliver 500 leaflets"][0] == "Chamber of Trade has done this. 500 delivered; the library took 50"
    assert entries["Dropped: Clean the towpath"][0] == "Riverside Trust dropped this. Why: The canal trust cleans it now"
    assert entries["Reviewed: continue"][0] == "Keep going; find a community partner by March"
    decided = entries["Decided: Adopt the market plan (failed)"][0]
    assert "By consensus: 1 block; 1 of 3 responded." in decided and "Why it failed: blocked (1 block)." in decided
    page = web.get(path).text
    for title, (_, link) in entries.items():
        anchor = link.split("#")[1]
        assert link.startswith("http") and f'id="{anchor}"' in page, (title, anchor)


def test_statements_per_render_do_not_grow_with_what_is_recorded(town: Chat, web: FlaskClient) -> None:
    path = address(town.ok("alice", "publish on"))
    engine = town.sessions.kw["bind"]

    def statements() -> int:
        with counting(engine) as seen:
            assert web.get(path).status_code == 200
        return len(seen)

    busy(town)
    town.ok("alice", 'agreement edit roles:"Each brings what it pledges"')
    small = statements()
    for n in range(6):
        town.ok(f"member{n}", f'join org:"Organisation {n}" sector:community')
        town.ok(f"member{n}", "agreement sign 1")
        town.ok("alice", f'goal "Goal {n}" measure:"count" baseline:10 target:20 by:2027-06-30')
        town.ok(f"member{n}", f'commit "Work {n}" by:friday goal:{n + 1}')
        town.ok(f"member{n}", f'done {n + 4} "Note {n}"')
        town.ok("alice", f'propose "Plan {n}" mode:vote quorum:50% closes:friday')
        town.ok(f"member{n}", f"vote {n + 3} yes")
        town.ok("alice", f'close {n + 3} "Enough for a test"')
    assert statements() == small


def test_a_hidden_vote_shows_its_tally_only_once_settled(town: Chat, web: FlaskClient) -> None:
    town.ok("alice", 'propose "Choose the festival caterer" mode:vote results:hidden quorum:50% closes:friday')
    for who, said in (("alice", "yes"), ("bob", "yes"), ("carol", "no")):
        town.ok(who, f"vote 1 {said}")
    path = address(town.ok("alice", "publish on"))
    page = web.get(path).text
    assert "Choose the festival caterer" in page and "2 yes" not in page and "responded" not in page
    town.ok("alice", 'close 1 "Everyone has voted"')
    assert "2 yes, 1 no; 3 of 3 responded; quorum 50%." in web.get(path).text


def test_a_proposals_close_is_the_proposers_day_with_its_time_and_zone_as_the_chat_says(
        town: Chat, web: FlaskClient) -> None:
    town.ok("alice", "tz America/Los_Angeles")
    chat = town.ok("alice", 'propose "Adopt the bay plan" mode:vote closes:2026-12-08')
    assert "Closes Tue 8 Dec 23:59" in chat  # in Los Angeles, where the server's UTC has Wed 9 Dec
    path = address(town.ok("alice", "publish on"))
    page = web.get(path).text
    assert 'closes <time datetime="2026-12-08">Tue 8 Dec 2026</time> at 23:59 PST' in page
    assert "Wed 9 Dec" not in page
    assert "it closes at Tue 8 Dec 2026 23:59 PST." in web.get(path + "feed.atom").text


def test_a_change_is_dated_by_the_day_in_the_zone_the_page_says(town: Chat) -> None:
    """A site in Los Angeles: work done at 20:00 there (04:00 UTC the next day) was dated the
    next day in the feed and in "last change", a day after the page's own "As of"."""
    web = create_app(replace(web_settings(town), timezone="America/Los_Angeles"), town.sessions,
                     clock=lambda: town.now).test_client()
    town.ok("carol", 'commit "Paint the benches" by:tomorrow')
    path = address(town.ok("alice", "publish on"))
    town.now = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # Tue 24 Nov 20:00 in Los Angeles
    town.ok("carol", "done 1")
    page = web.get(path).text
    assert "done Tue 24 Nov 2026" in page
    assert "As of Tue 24 Nov 2026; last change Tue 24 Nov 2026." in page
    feed = web.get(path + "feed.html").text
    assert '<time datetime="2026-11-24">Tue 24 Nov 2026</time>' in feed and "Wed 25 Nov" not in feed
    assert "<updated>2026-11-24T00:00:00-08:00</updated>" in web.get(path + "feed.atom").text
    assert "DTSTAMP:20261124T080000Z" in web.get(path + "calendar.ics").text


def test_past_its_end_date_the_calendar_promises_no_more_than_the_page(town: Chat, web: FlaskClient) -> None:
    """Ended on its end date, not wound up: the page said "No dates ahead" while its calendar
    still held the next review and plain "Due" events, as if nothing had ended."""
    town.ok("alice", "partnership edit end:2026-12-01")
    town.ok("bob", 'commit "Deliver 500 leaflets" by:2026-11-30')
    path = address(town.ok("alice", "publish on"))
    town.advance(days=10)
    page = web.get(path).text
    assert "No dates ahead: the partnership has ended." in page
    assert "<dt>Ended</dt><dd>Tue 1 Dec 2026</dd>" in page and "<dt>Ends</dt>" not in page
    events = {str(e["SUMMARY"]): str(e["DESCRIPTION"]) for e in
              icalendar.Calendar.from_ical(web.get(path + "calendar.ics").data).walk("VEVENT")}
    assert set(events) == {"Closing task due: #1 Deliver 500 leaflets (Chamber of Trade)",
                           "Riverside Partnership: end date"}
    assert events["Riverside Partnership: end date"].startswith("The partnership reached its end date")
    assert "due dates, meetings, reviews and the end date" in web.get(path + "feed.html").text


def test_once_wound_up_the_page_keeps_who_took_part_after_they_leave(town: Chat, web: FlaskClient) -> None:
    """Wound up, everyone left: the page read "Nobody has joined yet" and "Sectors not yet at the
    table: public, private, voluntary, community" as the partnership's lasting record."""
    path = address(town.ok("alice", "publish on"))
    town.ok("alice", 'partnership wind-up "Job done"')
    for who in ("bob", "carol", "alice"):
        town.ok(who, "leave")
    page = web.get(path).text
    assert "<h2>Who took part</h2>" in page and "Nobody has joined yet" not in page
    for organisation in ("Town Council", "Chamber of Trade", "Riverside Trust"):
        assert f'<td data-label="Organisation">{organisation}</td>' in page
    assert "Sectors not at the table when it ended: community." in page


def test_a_reopened_concern_is_not_said_to_be_raised_today(town: Chat, web: FlaskClient) -> None:
    """The page said "raised today" of a concern raised 40 days ago and reopened today, while
    `concerns` said "raised 40 days ago": it counts, as `health` does, from the reopening."""
    path = address(town.ok("alice", "publish on"))
    town.ok("bob", 'concern "The budget split favours the council"')
    town.advance(days=40)
    town.ok("alice", 'resolve 1 "Split 50/50"')
    town.ok("alice", 'reopen concern 1 "The council went back on it"')
    assert "raised 40 days ago" in town.ok("alice", "concerns")
    page = web.get(path).text
    assert "1 concern being negotiated, open since today." in page and "raised" not in page
    town.advance(days=3)
    assert "1 concern being negotiated, open for 3 days." in web.get(path).text


def test_a_concerns_days_open_are_the_days_health_and_the_dashboard_count(town: Chat, web: FlaskClient) -> None:
    """Raised at 23:00 and read 14 days later at 10:00: the page said "open for 14 days", by the
    calendar, while `health` and the dashboard's chart, counting whole days, said 13."""
    path = address(town.ok("alice", "publish on"))
    town.now = town.now.replace(hour=23)
    town.ok("bob", 'concern "The budget split favours the council"')
    town.advance(days=13, hours=11)
    assert "Concerns open too long" not in town.ok("alice", "health")
    assert "1 concern being negotiated, open for 13 days." in web.get(path).text


def test_two_reviews_closed_on_one_day_each_have_their_own_place_on_the_page(town: Chat, web: FlaskClient) -> None:
    """Both were `id="review-2026-11-24"`: the feed's link to the second landed on the first. The
    first keeps its anchor, so links already given still work; the second is `-2`."""
    town.ok("alice", "review start")
    town.ok("alice", 'review close continue "Keep going"')
    town.advance(hours=3)
    town.ok("alice", "review start")
    town.ok("alice", 'review close continue "Find a community partner by March"')
    path = address(town.ok("alice", "publish on"))
    page = web.get(path).text
    assert page.count('id="review-2026-11-24"') == 1 and page.count('id="review-2026-11-24-2"') == 1
    first, second = page.index('id="review-2026-11-24"'), page.index('id="review-2026-11-24-2"')
    assert "Keep going" in page[first:page.index("</li>", first)]
    assert "Find a community partner" in page[second:page.index("</li>", second)]
    feed = ElementTree.fromstring(web.get(path + "feed.atom").data)
    atom = "{http://www.w3.org/2005/Atom}"
    links = {e.findtext(f"{atom}summary"): e.find(f"{atom}link").get("href").split("#")[1]
             for e in feed.findall(f"{atom}entry") if e.findtext(f"{atom}title", "").startswith("Reviewed")}
    assert links == {"Keep going": "review-2026-11-24", "Find a community partner by March": "review-2026-11-24-2"}
    town.advance(days=1)
    for n in range(9):  # the first of the 24th drops off the page; the second keeps its place
        town.ok("alice", "review start")
        town.ok("alice", f'review close continue "Carry on {n}"')
    page = web.get(path).text
    assert 'id="review-2026-11-24"' not in page and 'id="review-2026-11-24-2"' in page
    assert 'id="review-2026-11-25"' in page and 'id="review-2026-11-25-9"' in page


def test_a_passed_decision_shows_no_reason_from_a_response_that_did_not_count(town: Chat, web: FlaskClient) -> None:
    """The page listed "Block from Local volunteers: ..." under a decision that passed, from Dave,
    who joined after it opened: the chat's outcome leaves it out, as not counted."""
    town.ok("alice", 'propose "Adopt the market plan" closes:friday')
    town.advance(minutes=5)
    town.ok("dave", "join sector:community")
    town.ok("dave", 'block 1 "I was not here for the discussion"')
    town.ok("bob", 'agree 1 "Good for the traders"')
    assert "Blocked by" not in town.ok("alice", 'close 1 "The council needs an answer today"')
    page = web.get(address(town.ok("alice", "publish on"))).text
    assert "Good for the traders" in page and "1 agree; 1 of 3 responded" in page
    assert "I was not here for the discussion" not in page


def test_a_goals_unit_is_on_the_public_page_with_its_target(town: Chat, web: FlaskClient) -> None:
    town.ok("alice", 'goal "Volunteer time" measure:"hours given" baseline:0 target:"500 hours" by:2027-06-30')
    town.ok("bob", "reading 1 12 hour")
    page = web.get(address(town.ok("alice", "publish on"))).text
    assert "hours given: from 0 to 500 hours by" in page
    assert "12 now, from 0 towards 500 hours by" in page
