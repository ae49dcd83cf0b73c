"""Proxy votes: a member names another to respond for them, on one proposal or until a day;
the proxy's response is shown to all as theirs for the member, the member's own replaces it,
and a withdrawn proxy takes back what it cast on what is still open."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from storage.models import Decision, DecisionResponse, Proxy
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse
from tests.test_nudges import Inbox, at, sweep
from tests.test_races import at_once
from tests.web_client import address

pytest_plugins = ("tests.web_fixtures",)


def gwen_away(town: Chat) -> None:
    town.ok("gwen", 'join org:"Residents" sector:community')
    town.ok("alice", 'propose "Pedestrianise the square" mode:vote closes:friday')


def responses(town: Chat) -> dict[str, tuple[str, str | None]]:
    """Each member's response: (position, who cast it, if not themselves)."""
    return {r.member.person.user_id: (r.position.value, r.cast_by.user_id if r.cast_by else None)
            for r in all_of(town.sessions, DecisionResponse)}


def test_a_proxy_votes_for_a_member_and_everyone_sees_it(town: Chat) -> None:
    gwen_away(town)
    named = town.ok("gwen", "proxy 1 @bob")
    assert "Gwen (Residents) names Bob (Chamber of Trade) to respond for them on #1 Pedestrianise the square" in named
    assert "`vote 1 yes for:@gwen`" in named
    said = town.ok("bob", 'vote 1 yes for:@gwen "Gwen asked me to back it"')
    assert "Bob for Gwen (Residents): yes on #1 Pedestrianise the square — Gwen asked me to back it" in said
    town.ok("bob", "vote 1 no")
    assert responses(town) == {"gwen": ("yes", "bob"), "bob": ("no", None)}
    assert "Bob for Gwen (Residents) · yes — Gwen asked me to back it" in town.ok("carol", "decision 1")
    assert "Bob (Chamber of Trade) for Gwen (Residents) on #1 Pedestrianise the square" in town.ok("carol", "proxies")
    assert "Bob answered yes for Gwen on #1 Pedestrianise the square" in town.ok("carol", "history about:decisions")
    town.ok("alice", "vote 1 yes")
    town.ok("carol", "vote 1 yes")
    out = town.ok("alice", "close 1")
    assert "Responses: 3 yes, 1 no (4 of 4 members)." in out
    assert "Counted: Bob for Gwen, Bob, Alice, Carol." in out


def test_the_member_voting_themselves_replaces_their_proxy(town: Chat) -> None:
    gwen_away(town)
    town.ok("gwen", "proxy 1 @bob")
    town.ok("bob", "vote 1 yes for:@gwen")
    assert "Gwen (Residents): no (replacing Bob's for them) on #1" in town.ok("gwen", "vote 1 no")
    assert responses(town) == {"gwen": ("no", None)}
    refuse(town, "bob", "vote 1 yes for:@gwen", "Gwen responded to #1 themselves, and their own response stands")
    assert responses(town) == {"gwen": ("no", None)}


def test_a_dated_proxy_covers_every_proposal_until_its_day(town: Chat) -> None:
    gwen_away(town)
    town.ok("gwen", 'proxy @carol until:2026-12-10')
    town.ok("carol", "vote 1 yes for:@gwen")
    town.ok("alice", 'propose "Plant trees" closes:"in 2 days"')
    town.ok("carol", 'agree 2 for:@gwen')
    assert sorted((r.decision_id, r.position.value, r.cast_by.user_id if r.cast_by else None)
                  for r in all_of(town.sessions, DecisionResponse)) == [(1, "yes", "carol"), (2, "agree", "carol")]
    town.advance(days=17)
    town.ok("alice", 'propose "Light the bridge" closes:"in 2 days"')
    refuse(town, "carol", "agree 3 for:@gwen", "Gwen has not named you to respond for them on #3",
           "`proxy 3 @carol`")


def test_withdrawing_a_proxy_takes_back_what_it_cast_on_open_proposals(town: Chat) -> None:
    gwen_away(town)
    town.ok("gwen", "proxy 1 @bob")
    town.ok("bob", "vote 1 yes for:@gwen")
    said = town.ok("gwen", "proxy withdraw 1")
    assert "withdrew Bob's proxy on #1 Pedestrianise the square; the response they gave is taken back." in said
    assert responses(town) == {}
    refuse(town, "bob", "vote 1 yes for:@gwen", "Gwen has not named you")
    refuse(town, "gwen", "proxy withdraw 1", "You have no proxy on #1 to withdraw", "`proxies`")
    assert "None." in town.ok("carol", "proxies")


def test_no_chains_no_strangers_no_one_left_out(town: Chat) -> None:
    gwen_away(town)
    town.ok("olga", 'join org:"Riverside Gazette" observer')
    town.ok("gwen", "proxy 1 @bob")
    town.ok("bob", "proxy 1 @carol")
    refuse(town, "carol", "vote 1 yes for:@gwen", "Gwen has not named you to respond for them on #1")
    refuse(town, "gwen", "proxy 1 @gwen", "You respond for yourself")
    refuse(town, "gwen", "proxy 1 @olga", "Olga is an observer")
    refuse(town, "gwen", "proxy 1 @nobody", "@nobody isn't a member")
    refuse(town, "gwen", "proxy @bob", "Say which proposal, or until when")
    refuse(town, "gwen", "proxy 1 @bob until:friday", "Say which proposal, or until when")
    refuse(town, "gwen", "proxy 9 @bob", "There is no decision #9")
    refuse(town, "bob", "vote 1 yes for:gwen", "`for:@name`")
    refuse(town, "bob", "vote 1 yes for:@bob", "You respond for yourself without `for:`")
    town.advance(minutes=5)
    town.ok("dave", 'join org:"Newcomers" sector:community')
    refuse(town, "dave", "proxy 1 @bob", "You are not counted on #1 (you joined after it opened)")
    assert {(p.giver.person.user_id, p.holder.person.user_id) for p in all_of(town.sessions, Proxy)} == {
        ("gwen", "bob"), ("bob", "carol")}


def test_a_new_proxy_replaces_the_old(town: Chat) -> None:
    gwen_away(town)
    town.ok("gwen", "proxy 1 @bob")
    assert "(This replaces Bob.)" in town.ok("gwen", "proxy 1 @carol")
    refuse(town, "bob", "vote 1 yes for:@gwen", "Gwen has not named you")
    town.ok("carol", "vote 1 yes for:@gwen")
    assert responses(town) == {"gwen": ("yes", "carol")}


def test_the_member_and_their_proxy_at_once_leave_the_members_own(town: Chat) -> None:
    gwen_away(town)
    town.ok("gwen", "proxy 1 @bob")
    at_once(town, ("bob", "vote 1 yes for:@gwen"), ("gwen", "vote 1 no"))
    assert responses(town) == {"gwen": ("no", None)}


def test_hidden_results_hide_what_a_proxy_cast_too(town: Chat) -> None:
    town.ok("gwen", 'join org:"Residents" sector:community')
    town.ok("alice", 'propose "Pedestrianise the square" mode:vote results:hidden closes:friday')
    town.ok("gwen", "proxy 1 @bob")
    reply = town.say("bob", "vote 1 yes for:@gwen")
    assert "Bob for Gwen (Residents): yes on #1" in reply.plain() and "So far" not in reply.plain()
    shown = town.ok("carol", "decision 1")
    assert "Bob for Gwen (Residents)" in shown and "· yes" not in shown


def test_the_public_page_says_a_reason_came_by_proxy(town: Chat, web: FlaskClient) -> None:
    gwen_away(town)
    town.ok("gwen", "proxy 1 @bob")
    town.ok("bob", 'vote 1 yes for:@gwen "Trade will follow the footfall"')
    town.ok("alice", 'close 1 "The square is car-free on market days"')
    path = address(town.ok("alice", "publish on"))
    assert "Yes from Residents, by proxy: Trade will follow the footfall" in web.get(path).text
    town.ok("alice", "publish names:on")
    assert "Yes from Bob for Gwen (Residents): Trade will follow the footfall" in web.get(path).text


def test_a_proxy_who_leaves_holds_no_proxy(town: Chat) -> None:
    gwen_away(town)
    town.ok("gwen", "proxy 1 @bob")
    town.ok("bob", "leave")
    assert "Bob" not in town.ok("carol", "proxies")
    assert "Gwen named Bob to respond for them on #1" in town.ok("carol", "history about:decisions")


def test_two_proxies_given_at_once_leave_one_standing(town: Chat) -> None:
    gwen_away(town)
    at_once(town, ("gwen", "proxy 1 @bob"), ("gwen", "proxy 1 @carol"))
    standing = [p for p in all_of(town.sessions, Proxy) if p.withdrawn_at is None]
    assert len(standing) == 1


def test_a_question_for_a_title_ends_the_sentence_once(town: Chat) -> None:
    town.ok("alice", 'propose "Which project first?" mode:ranked options:"Lights, Benches" closes:"in 5 days"')
    out = town.ok("bob", "proxy 1 @carol")
    assert "to respond for them on #1 Which project first? Carol responds with" in out


def test_a_replaced_proxy_takes_back_what_it_cast_and_the_count_never_keeps_it(town: Chat) -> None:
    gwen_away(town)
    town.ok("gwen", "proxy 1 @bob")
    town.ok("bob", "vote 1 yes for:@gwen")
    said = town.ok("gwen", "proxy 1 @carol")
    assert "(This replaces Bob; the response they gave is taken back.)" in said
    assert responses(town) == {}
    assert "Gwen named Carol to respond for them on #1 Pedestrianise the square, replacing Bob; the response" \
        in town.ok("alice", "history about:decisions")
    town.ok("gwen", "proxy withdraw 1")
    detail = town.ok("alice", "decision 1")
    assert "Bob for Gwen" not in detail and "Gwen (Residents)" in detail.split("Not responded yet")[1]
    out = town.ok("alice", 'close 1 "Now"')
    assert "Counted: nobody" in out and "Bob for Gwen" not in out


def test_naming_the_same_proxy_again_keeps_what_they_cast(town: Chat) -> None:
    gwen_away(town)
    town.ok("gwen", "proxy 1 @bob")
    town.ok("bob", "vote 1 yes for:@gwen")
    town.ok("gwen", "proxy 1 @bob")
    assert responses(town) == {"gwen": ("yes", "bob")}


def test_a_dated_proxy_replaced_takes_back_only_what_it_allowed(town: Chat) -> None:
    gwen_away(town)
    town.ok("alice", 'propose "Plant trees" closes:"in 2 days"')
    town.ok("gwen", 'proxy @bob until:"in 2 weeks"')
    town.ok("gwen", "proxy 2 @bob")
    town.ok("bob", "vote 1 yes for:@gwen")
    town.ok("bob", "agree 2 for:@gwen")
    assert "the response they gave is taken back" in town.ok("gwen", 'proxy @carol until:"in 2 weeks"')
    assert sorted((r.decision_id, r.cast_by.user_id) for r in all_of(town.sessions, DecisionResponse)
                  if r.cast_by) == [(2, "bob")]


def test_what_a_proxy_cast_no_longer_counts_once_they_observe_or_are_removed(town: Chat) -> None:
    gwen_away(town)
    town.ok("alice", 'propose "Plant trees" closes:"in 2 days"')
    town.ok("gwen", 'proxy @carol until:"in 2 weeks"')
    town.ok("carol", "vote 1 yes for:@gwen")
    town.ok("carol", 'block 2 "Not here" for:@gwen')
    town.ok("alice", "member role @carol observer")
    detail = town.ok("bob", "decision 2")
    assert "Carol for Gwen (Residents) · block — Not here (not counted: cast by Carol, now an observer)" in detail
    assert "Gwen (Residents)" in detail.split("Not responded yet")[1]
    town.ok("alice", "member role @carol member")
    assert "not counted" not in town.ok("bob", "decision 2")
    town.ok("alice", "member remove @carol")
    out = town.ok("alice", 'close 2 "Now"')
    assert "Not counted: Gwen (cast by Carol, who has left)." in out and "Blocked" not in out
    out = town.ok("alice", 'close 1 "Now"')
    assert "Counted: nobody" in out and "Not counted: Gwen (cast by Carol, who has left)." in out


def test_the_public_page_counts_as_the_outcome_did(town: Chat, web: FlaskClient) -> None:
    gwen_away(town)
    town.ok("gwen", "proxy 1 @carol")
    town.ok("carol", "vote 1 yes for:@gwen")
    town.ok("bob", "vote 1 yes")
    town.ok("alice", "member remove @carol")
    assert "Responses: 1 yes (1 of 3 members)." in town.ok("alice", 'close 1 "Now"')
    path = address(town.ok("alice", "publish on"))
    page = web.get(path).text
    assert "1 yes" in page and "2 yes" not in page


def test_a_proxy_voting_as_they_are_replaced_never_counts_twice(town: Chat) -> None:
    for n in range(1, 6):
        town.ok("gwen" if n == 1 else "alice", 'join org:"Residents" sector:community' if n == 1 else "members")
        town.ok("alice", f'propose "Question {n}" mode:vote closes:friday')
        town.ok("gwen", f"proxy {n} @bob")
        at_once(town, ("bob", f"vote {n} yes for:@gwen"), ("gwen", f"proxy {n} @carol"))
        out = town.ok("alice", f'close {n} "Now"')
        assert "Bob for Gwen" not in out.split("Not counted")[0], out


def test_every_proxy_hint_names_a_command_that_works(town: Chat) -> None:
    """Before any proposal, and for one a latecomer joined after: no made-up numbers, no
    suggestion the next command refuses."""
    empty = town.ok("bob", "proxies")
    assert 'None. Name someone to respond for you: `proxy @name until:"in 2 weeks"`.' in empty and "proxy 4" not in empty
    dated = town.ok("carol", 'proxy @bob until:"in 2 weeks"')
    assert "Bob adds `for:@carol` to a response" in dated and "vote 4" not in dated
    town.ok("carol", "proxy withdraw")
    town.ok("alice", 'propose "Close the lane" mode:consensus closes:friday')
    assert "`proxy 1 @name`" in town.ok("bob", "proxies")
    assert "Bob responds with `agree 1 for:@carol`" in town.ok("carol", 'proxy @bob until:"in 3 weeks"')
    town.advance(hours=1)
    town.ok("gwen", 'join org:"Residents" sector:community')  # after #1 opened: not counted on it
    refuse(town, "gwen", "proxy 1 @bob", "You are not counted on #1")
    said = refuse(town, "bob", "agree 1 for:@gwen", "Gwen is not counted on #1 (they joined after it opened)",
                  "`decision 1`")
    assert "proxy 1 @bob" not in said


def test_a_member_whose_proxys_vote_no_longer_counts_is_reminded_to_respond(town: Chat) -> None:
    gwen_away(town)  # #1 closes Fri 27 Nov; reminders go a day before
    town.ok("gwen", "proxy 1 @bob")
    town.ok("bob", "vote 1 yes for:@gwen")
    town.ok("carol", "vote 1 no")
    town.ok("alice", "member role @bob observer")  # what Bob cast for Gwen stands for nothing now
    inbox = Inbox()
    at(town, "2026-11-27T08:00")
    sweep(town, inbox)
    assert inbox.to("@gwen", "Proposal #1 Pedestrianise the square closes")
    assert inbox.to("@alice", "you haven't responded yet")
    assert not inbox.to("@carol") and not inbox.to("@bob"), "Carol responded; Bob observes"


def test_what_happens_after_a_proposal_closes_and_before_its_outcome_is_recorded_changes_no_count(
        town: Chat, web: FlaskClient) -> None:
    """Carol withdrew Bob's proxy a minute after #1 closed, and the sweep then recorded it failed,
    1 yes 1 no, not counting the yes Bob cast for her while it stood; Bob leaving then did the same."""
    path = address(town.ok("alice", "publish on"))
    town.ok("alice", 'propose "Plant trees" mode:vote closes:2026-12-10')
    town.ok("alice", 'propose "Paint the bridge" mode:vote closes:2026-12-10')
    town.ok("carol", "proxy 1 @bob")
    for n in (1, 2):
        town.ok("alice", f"vote {n} no")
        town.ok("bob", f"vote {n} yes")
    town.ok("bob", "vote 1 yes for:@carol")
    town.ok("carol", "vote 2 yes")
    at(town, "2026-12-11T00:01")
    refuse(town, "carol", "proxy withdraw 1", "#1 Plant trees closed Thu 10 Dec, outcome being recorded.",
           "`decision 1`")
    assert "Bob (Chamber of Trade) for Carol" not in town.ok("alice", "proxies")  # #1's count is done
    town.ok("carol", "proxy @alice until:2026-12-20")  # a dated proxy given or replaced after it closed
    town.ok("carol", "proxy withdraw")
    assert "Bob for Carol (Riverside Trust) · yes\n" in town.ok("alice", "decision 1")
    town.ok("carol", "leave")
    assert "Carol (Riverside Trust) · yes\n" in town.ok("alice", "decision 2")
    assert "3 responded" in town.ok("alice", "decisions").split("#2 Paint the bridge")[1]
    at(town, "2026-12-11T00:05")
    sweep(town, Inbox())
    for n in (1, 2):
        outcome = town.ok("alice", f"decision {n}")
        assert "Status: passed" in outcome and "Responses: 2 yes, 1 no (3 of 3 members)." in outcome
        assert "Not counted" not in outcome
    page = web.get(path).text
    assert page.count("2 yes, 1 no; 3 of 3 responded") == 2


def test_the_public_page_keeps_the_count_the_outcome_gave_when_roles_and_settings_change_later(
        town: Chat, web: FlaskClient) -> None:
    """Carol, made an observer after #1 closed 2 yes 1 no (3 of 3), vanished from the page's count:
    "2 yes; 2 of 2 responded", a second count from today's roles beside the outcome's."""
    path = address(town.ok("alice", "publish on"))
    town.ok("alice", 'propose "Plant trees" mode:vote closes:2026-12-10')
    town.ok("bob", 'interest 1 "I sell trees"')
    for user, said in (("alice", "yes"), ("bob", "yes"), ("carol", 'no "Too dear"')):
        town.ok(user, f"vote 1 {said}")
    at(town, "2026-12-11T09:00")
    sweep(town, Inbox())
    assert "Responses: 2 yes, 1 no (3 of 3 members)." in town.ok("alice", "decision 1")
    with town.sessions() as session:
        assert session.scalars(select(Decision.entitled)).all() == [3]
        assert session.scalars(select(DecisionResponse.counted)).all() == [True, True, True]
    town.ok("alice", "member role @carol observer")
    town.ok("alice", "partnership edit interests:exclude")
    assert "2 yes, 1 no; 3 of 3 responded" in web.get(path).text
