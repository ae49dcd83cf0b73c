"""The web pages in a real browser (chromium): what someone outside the chat sees.

A partnership set up in the chat is published and opened from outside: its page answers
what, why and when, reads on a phone, runs no script, and shows markup in titles as text.
The dashboard's one-time link works once; the calendar parses and keeps its UIDs.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from urllib.error import HTTPError

import icalendar
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from bot.web import create_app
from tests.browser import browser, need_browser, screenshot, served
from tests.conftest import Chat
from tests.test_web_public import busy
from tests.web_client import address, web_settings


@pytest.fixture
def site(town: Chat) -> Iterator[str]:
    need_browser()
    busy(town)
    town.ok("bob", 'commit <script>alert("x")</script> Bunting by:"in 3 weeks" effort:1h')
    town.ok("alice", "review start")
    town.ok("bob", "review answer right-time:4 right-people:2 enough-resources:3 enough-time:2 right-goal:5 "
                   "achievable-goal:4")
    with served(create_app(web_settings(town), town.sessions, clock=lambda: town.now)) as url:
        yield url


def text_of(driver: WebDriver) -> str:
    return str(driver.find_element(By.TAG_NAME, "body").text)


def test_the_public_page_answers_what_why_and_when(site: str, town: Chat) -> None:
    page = site + address(town.ok("alice", "publish on"))
    with browser() as driver:
        driver.get(page)
        shown = text_of(driver)
        for heading in ("Purpose and goals", "Who takes part", "What is happening", "Why: decisions and agreements",
                        "When: the next three months"):
            assert heading in shown
        assert "Deliver 500 leaflets" in shown and "Split 50/50 from April" in shown and "Fri 27 Nov 2026" in shown
        assert '<script>alert("x")</script> Bunting' in shown  # the markup is text on the page...
        assert driver.execute_script("return document.scripts.length") == 0  # ...and no script is in it
        assert driver.execute_script("return window.alertFired === undefined")
        screenshot(driver, "public-page.png")


def test_the_public_page_fits_a_phone(site: str, town: Chat) -> None:
    page = site + address(town.ok("alice", "publish on"))
    with browser(width=375, height=812) as driver:
        driver.get(page)
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(driver, "public-page-phone.png")


def test_an_unpublished_address_is_a_404(site: str, town: Chat) -> None:
    page = site + address(town.ok("alice", "publish on"))
    town.ok("alice", "publish off")
    with pytest.raises(HTTPError) as missing:
        urllib.request.urlopen(page, timeout=10)
    assert missing.value.code == 404
    with browser() as driver:
        driver.get(page)
        assert "Riverside" not in driver.page_source


def test_the_dashboard_link_works_once_and_its_charts_have_text(site: str, town: Chat) -> None:
    link = site + address(town.ok("alice", "dashboard"), "signin")
    with browser() as driver:
        driver.get(link)
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        # A click does not wait for the page it leads to; wait for the dashboard itself.
        WebDriverWait(driver, 30).until(expected_conditions.url_to_be(site + "/dashboard"))
        charts = driver.find_elements(By.CSS_SELECTOR, "figure img")
        assert len(charts) == 5  # and give and take as named bars, which need no picture
        assert all(c.get_attribute("alt") and c.get_property("naturalWidth") > 0 for c in charts)  # drawn, described
        bars = driver.find_elements(By.CSS_SELECTOR, "#balance ul.hbars progress")
        assert bars and all(b.get_attribute("aria-label") for b in bars)
        assert "Over capacity" in text_of(driver) or "Nobody is over capacity" in text_of(driver)
        screenshot(driver, "dashboard.png")
        driver.delete_all_cookies()
        driver.get(link)
        assert "has been used or has expired" in text_of(driver)


def test_the_calendar_parses_and_resubscribing_keeps_the_uids(site: str, town: Chat) -> None:
    feed = site + address(town.ok("alice", "publish on")) + "calendar.ics"
    with urllib.request.urlopen(feed, timeout=10) as answer:
        first = {str(e["UID"]) for e in icalendar.Calendar.from_ical(answer.read()).walk("VEVENT")}
    town.ok("bob", "done 1")
    town.ok("carol", 'commit "Hire the marquee" by:"in 4 weeks"')
    with urllib.request.urlopen(feed, timeout=10) as answer:
        again = {str(e["UID"]) for e in icalendar.Calendar.from_ical(answer.read()).walk("VEVENT")}
    assert first and len(first & again) == len(first) - 1  # the one done left; the rest kept their UIDs
    assert len(again - first) == 1
