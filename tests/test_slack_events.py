"""The App Home tab: my commitments with dates, my load against my capacity, open concerns
in my partnerships, the next review; its buttons act in the right partnership."""

from __future__ import annotations

import json

from sqlalchemy import select

from storage.models import Commitment, CommitmentStatus
from tests.slack_recorder import SlackHarness, button, buttons, text_of

pytest_plugins = ("tests.slack_fixtures",)


def open_home(slack: SlackHarness, user: str, team: str = "T1") -> dict:
    slack.event({"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home"}, team=team)
    published = slack.last("views.publish")
    assert published.params["user_id"] == user
    return published.params["view"]


def test_home_shows_my_commitments_load_concerns_and_review(riverside: SlackHarness) -> None:
    riverside.run('commit "Deliver 500 leaflets" by:"in 2 weeks" effort:3h', user="UBOB")
    riverside.run('concern "The budget split favours the council" kind:priorities', user="UCAROL")
    riverside.command('setup "Hinterland Task Force" kind:task-force', channel="C2")
    riverside.run('join org:"Chamber of Trade" sector:private capacity:2h', user="UBOB", channel="C2")
    riverside.run('commit "Survey the villages" by:"in 3 weeks" effort:9h', user="UBOB", channel="C2")

    view = open_home(riverside, "UBOB")
    assert view["type"] == "home"
    shown = text_of(view["blocks"])
    for words in ("Riverside Partnership", "Hinterland Task Force", "Your commitments", "#1 Deliver 500 leaflets",
                  "#1 Survey the villages", "Your load", "of 4h capacity", "of 2h capacity",
                  "Open concerns", "#1 The budget split favours the council", "Next review"):
        assert words in shown, words
    assert "OVER CAPACITY: Bob (Chamber of Trade)" in shown, shown  # 9h over 3 weeks
    # Buttons carry the partnership's channel, so they act there from the Home tab.
    # Each partnership counts from #1: the channel says whose #1 a button means.
    done = [json.loads(b["value"]) for b in buttons(view["blocks"]) if b["text"]["text"] == "Mark done"]
    assert sorted(done, key=lambda v: v["in"]) == [{"run": "done 1", "n": 1, "in": "C1"}, {"run": "done 1", "n": 1, "in": "C2"}]


def test_mark_done_from_home_acts_and_refreshes_the_tab(riverside: SlackHarness) -> None:
    riverside.run('commit "Deliver 500 leaflets" by:"in 2 weeks" effort:3h', user="UBOB")
    view = open_home(riverside, "UBOB")
    riverside.click(button(view["blocks"], "Mark done", "done 1"), user="UBOB", home=True)
    assert "Done: #1 Deliver 500 leaflets" in text_of(riverside.last("chat.postMessage").params["blocks"])
    assert riverside.last("chat.postMessage").params["channel"] == "C1"
    with riverside.sessions() as session:
        assert session.scalars(select(Commitment.status)).one() is CommitmentStatus.DONE
    refreshed = riverside.last("views.publish").params["view"]
    assert "You have no open commitments here." in text_of(refreshed["blocks"])


def test_home_buttons_open_the_modals_for_that_partnership(riverside: SlackHarness) -> None:
    view = open_home(riverside, "UBOB")
    riverside.click(button(view["blocks"], "Log a commitment"), user="UBOB", home=True)
    modal = riverside.last("views.open").params["view"]
    assert modal["callback_id"] == "commit_modal"
    assert json.loads(modal["private_metadata"]) == {"channel": "C1", "home": "1"}


def test_someone_in_no_partnership_is_told_how_to_join(riverside: SlackHarness) -> None:
    view = open_home(riverside, "UMALLORY")
    assert "You're not in a partnership yet" in text_of(view["blocks"])


def test_home_only_shows_my_own_workspace(riverside: SlackHarness) -> None:
    """The same user id in another workspace is another person, with nothing to see."""
    view = open_home(riverside, "UBOB", team="T2")
    assert [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"] == ["Your partnerships"]
    assert "You're not in a partnership yet" in text_of(view["blocks"])
