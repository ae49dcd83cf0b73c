"""Residents follow a public page by email: double opt-in, the week's changes (from the feed's
own data), none in a quiet week, one-click unsubscribe that erases the address, and limits
that stop the form being used to mail strangers. The web app is the one production builds;
the mail goes out through the local SMTP server."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from html import unescape
from typing import TYPE_CHECKING

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from bot import scheduler
from bot.web import create_app
from handlers.email.following import PER_CLIENT
from storage.models import Follower, MailLimit, Publication
from tests.conftest import Chat
from tests.test_nudges import Inbox
from tests.web_client import address, web_settings

if TYPE_CHECKING:
    from tests.email_fixtures import Town

pytest_plugins = ("tests.mail_servers", "tests.email_fixtures")

RESIDENT = "resident@example.org"


@pytest.fixture
def web(sending: Town) -> FlaskClient:
    chat = sending.chat
    return create_app(web_settings(chat, mail=True), chat.sessions, clock=lambda: chat.now).test_client()


def published(town: Town) -> str:
    town.chat.ok("alice", "publish on")
    with town.chat.sessions() as session:
        return session.scalars(select(Publication.slug)).one()


def path_in(text: str, route: str) -> str:
    found = re.search(rf"https?://[^/\s]+(/email/{route}/[\w-]+)", text)
    assert found, f"no /email/{route}/ link in {text!r}"
    return found[1]


def followers(town: Town) -> list[Follower]:
    with town.chat.sessions() as session:
        return list(session.scalars(select(Follower)))


def test_a_resident_follows_confirms_gets_the_week_and_unsubscribes_in_one_click(sending: Town, web: FlaskClient) -> None:
    slug = published(sending)
    page = web.get(f"/p/{slug}/").get_data(as_text=True)
    assert 'action="follow"' in page and "Follow by email" in page
    answer = web.post(f"/p/{slug}/follow", data={"address": RESIDENT})
    assert answer.status_code == 200 and "open the link in it to confirm" in answer.get_data(as_text=True)
    sending.mail()
    confirmation = sending.smtp.wait_for(RESIDENT)[-1]
    link = path_in(confirmation.text, "follow")
    # Opening the link (as a mail scanner would) confirms nothing; pressing the button does.
    assert "Confirm" in web.get(link).get_data(as_text=True)
    assert followers(sending)[0].confirmed_at is None
    assert "you follow Riverside Partnership" in web.post(link).get_data(as_text=True)

    sending.chat.advance(minutes=5)
    sending.chat.ok("bob", 'commit "Deliver the leaflets" by:friday effort:2h')
    sending.chat.advance(days=7, minutes=1)
    sending.mail()
    weekly = sending.smtp.wait_for(RESIDENT, 2)[-1]
    assert weekly["Subject"] == "This week in Riverside Partnership"
    assert "New commitment: Deliver the leaflets" in weekly.text and "Chamber of Trade will do this" in weekly.text
    assert "Bob" not in weekly.text  # names stay off, as on the page
    assert weekly["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert weekly["Reply-To"] == ""  # nothing to reply to: a resident's mail acts on nothing

    # A quiet week: no mail. Then one click in the mail client (RFC 8058) erases the address.
    sending.chat.advance(days=7, minutes=1)
    sending.mail()
    assert len(sending.smtp.to(RESIDENT)) == 2
    unsubscribe = weekly["List-Unsubscribe"].strip("<>").split("://", 1)[1].split("/", 1)[1]
    done = web.post("/" + unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "erased" in done.get_data(as_text=True)
    assert followers(sending) == []
    sending.chat.ok("bob", 'commit "Book the hall" by:friday effort:1h')
    sending.chat.advance(days=7, minutes=1)
    sending.mail()
    assert len(sending.smtp.to(RESIDENT)) == 2


def test_nothing_is_sent_to_an_unconfirmed_address_and_it_is_forgotten(sending: Town, web: FlaskClient) -> None:
    slug = published(sending)
    web.post(f"/p/{slug}/follow", data={"address": RESIDENT})
    sending.chat.ok("bob", 'commit "Deliver the leaflets" by:friday effort:2h')
    sending.chat.advance(days=8)
    sending.mail()
    assert len(sending.smtp.to(RESIDENT)) == 1  # the confirmation, nothing else
    assert followers(sending) == []  # unconfirmed for a week: erased


def test_the_form_cannot_be_used_to_mail_strangers(sending: Town, web: FlaskClient) -> None:
    slug = published(sending)
    for _ in range(5):
        assert web.post(f"/p/{slug}/follow", data={"address": RESIDENT}).status_code == 200
    sending.mail()
    assert len(sending.smtp.to(RESIDENT)) == 3  # a day's limit for one address, whatever is asked
    for n in range(6):
        web.post(f"/p/{slug}/follow", data={"address": f"stranger{n}@example.org"})
    assert web.post(f"/p/{slug}/follow", data={"address": "one-more@example.org"}).status_code == 429
    sending.mail()
    assert sending.smtp.to("one-more@example.org") == []
    # The next day the counts start again.
    sending.chat.advance(days=1)
    assert web.post(f"/p/{slug}/follow", data={"address": "one-more@example.org"}).status_code == 200


def test_bad_addresses_and_unknown_links_change_nothing(sending: Town, web: FlaskClient) -> None:
    slug = published(sending)
    refused = web.post(f"/p/{slug}/follow", data={"address": "not an address"})
    assert refused.status_code == 400 and "doesn't look like an email address" in unescape(refused.get_data(as_text=True))
    assert web.post(f"/p/{'x' * 22}/follow", data={"address": RESIDENT}).status_code == 404
    assert web.get("/email/follow/nothing-like-a-token").status_code == 404
    assert web.post("/email/unsubscribe/nothing-like-a-token").status_code == 404
    assert followers(sending) == []
    sending.chat.ok("alice", "publish off")
    assert web.post(f"/p/{slug}/follow", data={"address": RESIDENT}).status_code == 404


def test_a_member_unsubscribes_in_one_click_and_is_back_on_chat(sending: Town) -> None:
    sending.switch("bob", "bob@example.org")
    sending.chat.ok("bob", 'commit "Deliver the leaflets" by:friday effort:2h')
    sending.chat.advance(days=2)
    sending.sweep()
    sending.mail()
    nudge = sending.smtp.wait_for("bob@example.org", 2)[-1]
    web = create_app(web_settings(sending.chat), sending.chat.sessions, clock=lambda: sending.chat.now).test_client()
    link = path_in(nudge.text, "unsubscribe")
    assert web.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert "come in the chat" in sending.chat.ok("bob", "notify")
    sending.chat.advance(days=2)  # overdue now: the chat has it, the mail does not
    sending.sweep()
    sending.mail()
    assert len(sending.smtp.to("bob@example.org")) == 2
    assert any("was due" in text for text in sending.inbox.to("@bob"))


def test_the_weekly_mail_has_what_the_feed_has(sending: Town, web: FlaskClient) -> None:
    sending.chat.advance(days=8)  # 2 December: the week ahead stays in one month, as the page counts done work
    slug = published(sending)
    web.post(f"/p/{slug}/follow", data={"address": RESIDENT})
    sending.mail()
    web.post(path_in(sending.smtp.wait_for(RESIDENT)[-1].text, "follow"))
    sending.chat.advance(minutes=5)
    sending.chat.ok("bob", 'commit "Deliver the leaflets" by:friday effort:2h')
    sending.chat.ok("carol", 'commit "Book the hall" by:friday effort:1h')
    sending.chat.ok("bob", "done 1")
    sending.chat.advance(days=7, minutes=1)
    sending.mail()
    weekly = sending.smtp.wait_for(RESIDENT, 2)[-1].text
    feed = web.get(f"/p/{slug}/feed.atom").get_data(as_text=True)
    titles = re.findall(r"<entry>\s*<title>([^<]+)</title>", feed)
    assert titles and all(title in weekly for title in titles)
    assert "Done: Deliver the leaflets" in weekly and "New commitment: Book the hall" in weekly


@pytest.mark.parametrize("proxies", [0, 1])
def test_behind_a_proxy_each_resident_has_their_own_daily_limit(town: Chat, proxies: int) -> None:
    """Behind a load balancer every request came from its address: after ten follow requests
    the whole town was "Too many requests from here today". With PARTNERBOT_TRUSTED_PROXIES the
    resident's own address counts; without it, a forged X-Forwarded-For changes nothing."""
    web = create_app(replace(web_settings(town, mail=True), trusted_proxies=proxies), town.sessions,
                     clock=lambda: town.now).test_client()
    path = address(town.ok("alice", "publish on"))
    balancer = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(10):
        asked = web.post(path + "follow", data={"address": f"first{n}@example.org"}, environ_base=balancer,
                         headers={"X-Forwarded-For": "203.0.113.7"})
        assert asked.status_code == 200
    another = web.post(path + "follow", data={"address": "second@example.org"}, environ_base=balancer,
                       headers={"X-Forwarded-For": "198.51.100.4"})
    assert another.status_code == (200 if proxies else 429)


def test_a_sweep_deletes_the_counts_of_days_gone_by_and_keeps_the_ones_still_limiting(town: Chat) -> None:
    """Every address and client that ever asked to follow kept its row of `mail_limits` for ever.
    A sweep now deletes the counts of UTC days gone by (yesterday's once `KEPT_PAST_EXPIRY` is past
    midnight, as a web clock may run behind the sweep's); today's stay, and still limit."""
    web = create_app(web_settings(town, mail=True), town.sessions, clock=lambda: town.now).test_client()
    path = address(town.ok("alice", "publish on"))

    def ask(client: str, who: str) -> int:
        return web.post(path + "follow", data={"address": who}, environ_base={"REMOTE_ADDR": client}).status_code

    def held() -> set[tuple[str, date, int]]:
        with town.sessions() as session:
            return {(r.key, r.day, r.count) for r in session.scalars(select(MailLimit))}

    def sweep() -> None:
        scheduler.sweep(town.sessions, Inbox(), "console", now=town.now)

    assert ask("192.0.2.1", "first@example.org") == 200  # Tue 24 Nov
    town.advance(days=1, hours=13, minutes=58)
    assert ask("192.0.2.2", "second@example.org") == 200  # Wed 25 Nov 23:58
    town.advance(minutes=4)  # Thu 26 Nov 00:02
    assert [ask("192.0.2.3", f"resident{n}@example.org") for n in range(PER_CLIENT + 1)] == [200] * PER_CLIENT + [429]
    before = held()
    by_day = sorted((day, count) for _, day, count in before)
    assert by_day == [(date(2026, 11, 24), 1)] * 2 + [(date(2026, 11, 25), 1)] * 2 + [
        (date(2026, 11, 26), 1)] * PER_CLIENT + [(date(2026, 11, 26), PER_CLIENT)]
    sweep()
    assert held() == {row for row in before if row[1] >= date(2026, 11, 25)}  # yesterday's: a web clock behind
    town.advance(minutes=4)
    sweep()
    today = {row for row in before if row[1] == date(2026, 11, 26)}
    assert held() == today
    assert ask("192.0.2.3", "one-more@example.org") == 429, "the client's count for today still limits it"
