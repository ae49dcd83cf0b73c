"""The public page made complete, read from outside in a real browser at desktop and phone widths.

A partnership of several organisations is built in the chat and published: the agreement is
in force only once every organisation has signed, and a new organisation joining takes it
out of force until it signs; goals show their indicator's progress and their work; decisions
show their tallies and turnout against the rule. No table cell breaks a word at either width
(measured in the browser, word by word), and axe-core finds no accessibility violation on
the page, its readable feed or the dashboard.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from bot.web import create_app
from tests.browser import browser, need_browser, screenshot, served
from tests.conftest import Chat
from tests.web_client import address, web_settings

AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # axe-core 4.10.2, from npm (MPL-2.0)
WIDTHS = (1280, 390)
LONG_NAME = "Riverside Community Volunteering Association"

# Every word of every table cell, as the browser laid it out: a word whose letters sit on more
# than one line was broken mid-word. Words are split where a line may break between them.
BROKEN_WORDS = """
const broken = [];
for (const cell of document.querySelectorAll('td, th')) {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    for (const found of text.matchAll(/[^\\s\\-\\u2013\\u2014\\/,;·]+/g)) {
      const range = document.createRange();
      range.setStart(node, found.index);
      range.setEnd(node, found.index + found[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(found[0]);
    }
  }
  if (cell.scrollWidth > cell.clientWidth + 1) broken.push('(spills out) ' + cell.textContent.trim());
}
return broken;
"""


@pytest.fixture
def partnership(town: Chat) -> Iterator[tuple[str, Chat]]:
    """Four organisations, an agreement signed by all but one, a goal with readings and work,
    a vote decided against a quorum; published, names off."""
    need_browser()
    town.ok("erin", f'join org:"{LONG_NAME}" sector:community capacity:2h volunteer')
    town.ok("alice", 'agreement edit roles:"Each partner brings what it pledges" decisions:"By vote, quorum 60%" '
                     'why:"Our first terms"')
    for who in ("alice", "bob", "erin"):
        town.ok(who, "agreement sign 1")
    town.ok("alice", 'goal "Footfall up 10%" measure:"weekly footfall count" baseline:1200 target:1320 by:2027-08-31')
    town.ok("bob", 'commit "Count Saturday footfall" by:friday goal:1 effort:3h')
    town.ok("bob", "left 1 2h")
    town.ok("carol", 'commit "Run the river fair" by:tomorrow goal:1')
    town.ok("bob", 'pledge time:"4h a month" money:"£500 a year"')
    town.ok("bob", 'delivered money:£120 "Printing the leaflets"')
    town.ok("alice", 'propose "Move meetings to Thursdays" mode:vote quorum:60% closes:"in 3 days"')
    for who, said in (("alice", "yes"), ("bob", "yes"), ("erin", "no")):
        town.ok(who, f"vote 1 {said}")
    town.ok("alice", 'propose "Buy a marquee" mode:vote quorum:60% closes:"in 3 days"')
    town.ok("bob", "vote 2 yes")
    town.advance(days=2)
    town.ok("carol", 'done 2 "Four hundred came; the stalls sold out"')
    town.ok("bob", "reading 1 1260")
    town.ok("bob", 'commit "Hang the bunting" by:"in 2 weeks"')
    town.ok("bob", 'drop 3 "The council hangs it this year"')
    town.advance(days=2)
    town.ok("alice", 'close 1 "Everyone has voted who will"')
    town.ok("alice", 'close 2 "Nobody else will vote"')
    town.ok("carol", 'concern "The hall costs too much" kind:resources anonymous')
    path = address(town.ok("alice", "publish on"))
    with served(create_app(web_settings(town), town.sessions, clock=lambda: town.now)) as url:
        yield url + path, town


@contextmanager
def reading_at(width: int) -> Iterator[WebDriver]:
    """A browser whose page is `width` CSS pixels wide: a phone's is emulated, as headless
    chromium keeps its windows at least 500 pixels wide."""
    with browser(width=max(width, 500), height=900) as driver:
        if width < 500:
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": True})
        yield driver


def shown(driver: WebDriver, section: str) -> str:
    return str(driver.find_element(By.ID, section).text)


def no_violations(driver: WebDriver) -> None:
    """axe-core's checks (WCAG 2.1 A and AA, and its best practices) find nothing on this page."""
    driver.execute_script(AXE.read_text())
    found: list[dict[str, Any]] = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done([{id: String(e)}]));")
    assert not found, [(v["id"], [n["html"] for n in v.get("nodes", [])][:3]) for v in found]


def test_in_force_only_once_every_organisation_signed_and_a_newcomer_asks_again(partnership: tuple[str, Chat]) -> None:
    page, town = partnership
    with browser() as driver:
        driver.get(page)
        assert "Not in force: version 1 waits for Riverside Trust to sign." in shown(driver, "agreement")
        town.ok("carol", "agreement sign 1")
        driver.get(page)
        agreement = shown(driver, "agreement")
        assert "In force: every partner organisation has signed version 1" in agreement
        assert "Each partner brings what it pledges" in agreement and LONG_NAME in agreement
        assert "Carol" not in agreement and "Alice" not in agreement  # names are off
        town.ok("dave", 'join org:"Youth Club" sector:community')
        driver.get(page)
        assert "Not in force: version 1 waits for Youth Club to sign." in shown(driver, "agreement")
        town.ok("dave", "agreement sign 1")
        driver.get(page)
        assert "In force" in shown(driver, "agreement") and "Youth Club" in shown(driver, "agreement")


def test_goals_work_and_decisions_read_whole_at_desktop_and_phone_widths(partnership: tuple[str, Chat]) -> None:
    page, _ = partnership
    for width in WIDTHS:
        with reading_at(width) as driver:
            driver.get(page)
            assert driver.execute_script("return window.innerWidth") == width
            goals = shown(driver, "goals")
            assert "Footfall up 10%" in goals and "50%" in goals
            assert "1,260 now, from 1,200 towards 1,320" in goals
            assert "Count Saturday footfall" in goals and "Run the river fair" in goals and "1 day late" in goals
            bar = driver.find_element(By.CSS_SELECTOR, "#goal-1 progress")
            assert (bar.get_attribute("value"), bar.get_attribute("max")) == ("50", "100")
            why = shown(driver, "why")
            assert "2 yes, 1 no; 3 of 4 responded; quorum 60%" in why
            assert "1 yes; 1 of 4 responded; quorum 60%. Why it failed: no quorum: 25% responded, it needed 60%" in why
            assert "1 concern being negotiated, open since today" in why and "hall" not in why
            what = shown(driver, "what")
            assert "Four hundred came; the stalls sold out" in what
            assert "Hang the bunting" in what and "Why: The council hangs it this year" in what
            assert "Count Saturday footfall · due Fri 27 Nov 2026 · 2h of 3h left 1 day late" in what  # open, late
            assert "due ·" not in shown(driver, "when").lower() and "Due:" not in shown(driver, "when")
            assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
            assert driver.execute_script(BROKEN_WORDS) == []
            no_violations(driver)
            screenshot(driver, f"public-page-complete-{width}.png")


def test_the_readable_feed_links_each_change_to_its_item(partnership: tuple[str, Chat]) -> None:
    page, _ = partnership
    with browser() as driver:
        driver.get(page + "feed.html")
        how = shown(driver, "how")
        assert "add the address" in how and "/p/" + page.split("/p/")[1] + "feed.atom" in how
        links = {a.text: a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "#changes a")}
        assert links["Done: Run the river fair"] == page + "#commitment-2-done"
        assert links["Dropped: Hang the bunting"] == page + "#commitment-3-dropped"
        assert links["Decided: Buy a marquee (failed)"] == page + "#decision-2"
        no_violations(driver)
        for title, href in links.items():
            driver.get(href)
            anchor = href.split("#")[1]
            assert driver.find_elements(By.ID, anchor), f"{title} links to #{anchor}, which the page lacks"


def test_the_dashboard_reads_whole_and_passes_axe(partnership: tuple[str, Chat]) -> None:
    page, town = partnership
    site = page.split("/p/")[0]
    for width in WIDTHS:
        with reading_at(width) as driver:
            driver.get(site + address(town.ok("alice", "dashboard"), "signin"))
            driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            WebDriverWait(driver, 30).until(expected_conditions.url_to_be(site + "/dashboard"))
            for table in driver.find_elements(By.CSS_SELECTOR, "details"):
                driver.execute_script("arguments[0].open = true", table)  # the tables behind the charts, shown
            assert "Footfall up 10%" in shown(driver, "goals") and "50%" in shown(driver, "goals")
            assert "£120 delivered" in shown(driver, "pledges")
            # Give and take: each name whole above its bars, each bar saying what it counts.
            assert f"{LONG_NAME}\nGives 0\nAsks 0" in shown(driver, "balance")
            assert driver.find_elements(By.CSS_SELECTOR, "#signs code") or "Healthy" in shown(driver, "signs")
            assert "`" not in shown(driver, "signs")
            assert driver.execute_script(BROKEN_WORDS) == []
            no_violations(driver)
            screenshot(driver, f"dashboard-{width}.png")


def test_a_name_with_no_spaces_never_widens_the_page(partnership: tuple[str, Chat]) -> None:
    """A token longer than a phone is wide may break (or scroll in its table), but the page
    itself never scrolls sideways."""
    page, town = partnership
    town.ok("frank", 'join org:"' + "Riverside" * 13 + '" sector:private')
    town.ok("frank", 'commit "' + "x" * 200 + '" by:friday')
    with reading_at(390) as driver:
        driver.get(page)
        assert "Riverside" * 13 in shown(driver, "who").replace("\n", "")
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
