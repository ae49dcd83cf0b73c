"""Every reply fits its platform, through the real adapters: Slack's 50 blocks, 3,000
characters a section, 2,000 a field, 150 a header, 100 blocks in the App Home; and a cut
list says so and how to see the rest."""

from __future__ import annotations

from storage.models import Partnership
from tests.crowd import crowd
from tests.slack_recorder import SlackHarness, text_of
from tests.test_slack_events import open_home
from tests.test_slack_render import within_limits

pytest_plugins = ("tests.slack_fixtures",)


def test_a_purpose_near_its_limit_still_shows_in_slack(riverside: SlackHarness) -> None:
    purpose = ("Revive the riverside & the <market> " * 60)[:1990]
    riverside.run(f'partnership edit purpose:"{purpose}"')
    riverside.run(f'partnership edit goals:"{purpose}"')
    shown = riverside.run("partnership", user="UBOB").params["blocks"]
    within_limits(shown)
    assert text_of(shown).count(" ".join(purpose.split()).replace("&", "&amp;").replace("<", "&lt;")
                                .replace(">", "&gt;")) == 2


def test_who_with_150_owners_fits_and_says_how_to_see_the_rest(riverside: SlackHarness) -> None:
    crowd(riverside.sessions, 150, platform="slack", workspace="T1", user_id="UOWNER{n}")
    shown = riverside.run("who", user="UBOB").params["blocks"]
    within_limits(shown)
    words = text_of(shown)
    assert "Owner 1 (Organisation number 1)" in words
    assert "more lines not shown; narrow it down by a word of the title, like `who leaflets`" in words


def test_the_home_tab_of_a_member_with_46_open_commitments_shows_them(riverside: SlackHarness) -> None:
    with riverside.sessions() as session:
        assert session.query(Partnership).count() == 1
    crowd(riverside.sessions, 1, each=46, platform="slack", workspace="T1", user_id="UBOB")
    view = open_home(riverside, "UBOB")
    within_limits(view["blocks"], most=100)
    words = text_of(view["blocks"])
    for n in (0, 20, 45):
        assert f"1.{n}" in words, n
    assert "Open concerns" in words and "Log a commitment" in words
