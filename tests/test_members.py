"""Members: joining, adding, roles, removing, the members list, and time zones."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Commitment, Event, Flexibility, Member, Person, Role, Sector, Successor
from tests.conftest import Chat, snapshot
from tests.test_bad_input import all_of, refuse


def member_of(chat: Chat, user_id: str) -> Member:
    with chat.sessions() as session:
        return session.scalars(select(Member).join(Member.person).where(Person.user_id == user_id)).one()


def test_join_with_org_sector_capacity_and_volunteer(town: Chat) -> None:
    out = town.ok("dave", 'join org:"Youth Club" sector:community capacity:2h volunteer')
    assert "Welcome to Riverside Partnership, Dave" in out
    assert "Dave (Youth Club) · member · community · volunteer · 2h/week" in out
    dave = member_of(town, "dave")
    assert (dave.organisation, dave.sector, dave.capacity_hours, dave.volunteer) == ("Youth Club", Sector.COMMUNITY, 2.0, True)
    assert dave.role is Role.MEMBER


def test_capacity_in_minutes_and_per_week_is_read_as_hours(town: Chat) -> None:
    town.ok("dave", "join capacity:90m")
    assert member_of(town, "dave").capacity_hours == 1.5
    town.ok("erin", "join capacity:5/week")
    assert member_of(town, "erin").capacity_hours == 5.0


def test_join_as_observer(town: Chat) -> None:
    out = town.ok("olga", 'join org:"Riverside Gazette" observer')
    assert "Olga (Riverside Gazette) · observer" in out
    assert member_of(town, "olga").role is Role.OBSERVER


def test_join_records_an_event(town: Chat) -> None:
    town.ok("dave", 'join org:"Youth Club" sector:community')
    event = all_of(town.sessions, Event)[-1]
    assert event.action == "join" and event.actor.user_id == "dave" and event.summary == "joined as member for Youth Club"


def test_joining_again_updates_details(town: Chat) -> None:
    out = town.ok("bob", "join capacity:2h")
    assert "Updated: Bob (Chamber of Trade) · member · private · volunteer · 2h/week." in out
    assert member_of(town, "bob").capacity_hours == 2.0


def test_joining_again_with_nothing_new_is_refused(town: Chat) -> None:
    refuse(town, "bob", "join", "You're already in Riverside Partnership", "`join org:")


def test_coordinator_adds_a_member_with_details(town: Chat) -> None:
    out = town.ok("alice", 'member add @dave org:"Youth Club" sector:community capacity:2h volunteer')
    assert "dave (Youth Club) is now a member of Riverside Partnership: community, volunteer, 2h/week." in out
    dave = member_of(town, "dave")
    assert dave.sector is Sector.COMMUNITY and dave.volunteer
    event = all_of(town.sessions, Event)[-1]
    assert event.action == "member-add" and event.actor.user_id == "alice" and event.subject_id == dave.id


def test_added_person_is_the_same_person_when_they_speak(town: Chat) -> None:
    town.ok("alice", 'member add @dave org:"Youth Club"')
    out = town.ok("dave", 'commit "Design the poster" by:friday')
    assert "Dave (Youth Club)" in out
    assert [p.user_id for p in all_of(town.sessions, Person)].count("dave") == 1


def test_coordinator_adds_a_coordinator_with_role(town: Chat) -> None:
    town.ok("alice", "member add @dave role:coordinator")
    assert member_of(town, "dave").role is Role.COORDINATOR
    assert "Coordinators: Alice, dave" in town.ok("bob", "partnership")


def test_adding_an_existing_member_is_refused(town: Chat) -> None:
    refuse(town, "alice", "member add @bob", "Bob is already a member", "`member role @bob coordinator`")


def test_member_cannot_add_people(town: Chat) -> None:
    refuse(town, "bob", "member add @dave", "Only coordinators of Riverside Partnership", "Alice", example=False)


def test_coordinator_promotes_a_member(town: Chat) -> None:
    out = town.ok("alice", "member role @bob coordinator")
    assert "Bob is now a coordinator." in out
    assert member_of(town, "bob").role is Role.COORDINATOR
    event = all_of(town.sessions, Event)[-1]
    assert event.action == "member-role" and event.summary == "changed Bob's role from member to coordinator"


def test_role_unchanged_is_refused(town: Chat) -> None:
    refuse(town, "alice", "member role @bob member", "Bob is already a member.")
    refuse(town, "alice", "member role @alice coordinator", "You are already a coordinator.", "`members`")


def test_member_cannot_change_roles(town: Chat) -> None:
    refuse(town, "bob", "member role @bob coordinator", "Only coordinators", example=False)
    assert member_of(town, "bob").role is Role.MEMBER


def test_last_coordinator_cannot_be_demoted(town: Chat) -> None:
    said = refuse(town, "alice", "member role @alice member", "You are the only coordinator of Riverside Partnership",
                  "`member role @name coordinator`")
    assert "leave" not in said
    assert member_of(town, "alice").role is Role.COORDINATOR


def test_a_coordinator_can_step_down_once_there_is_another(town: Chat) -> None:
    town.ok("alice", "member role @bob coordinator")
    town.ok("alice", "member role @alice member")
    assert member_of(town, "alice").role is Role.MEMBER
    assert "Coordinators: Bob" in town.ok("carol", "partnership")


def test_last_coordinator_cannot_be_removed(town: Chat) -> None:
    """A sole coordinator's `member remove @self` did not mention `leave`, nor what it needs first."""
    refuse(town, "alice", "member remove @alice", "You are the only coordinator of Riverside Partnership",
           "Make someone else coordinator first: `member role @name coordinator`; then type `leave`.")
    assert member_of(town, "alice").left_at is None


def test_last_coordinator_cannot_leave(town: Chat) -> None:
    refuse(town, "alice", "leave", "You are the only coordinator",
           "`member role @name coordinator`; then type `leave` again.")


def test_removing_yourself_is_leaving(town: Chat) -> None:
    """`removed` would make coming back need a coordinator's approval: yourself, you just leave."""
    town.ok("alice", "member role @bob coordinator")
    assert "Alice is no longer in Riverside Partnership." in town.ok("alice", "member remove @alice")
    alice = member_of(town, "alice")
    assert alice.left_at == town.now and not alice.removed
    assert [e.summary for e in all_of(town.sessions, Event) if e.action == "member-remove"] == ["left"]


def test_leave_when_not_in_it_says_there_is_nothing_to_leave(town: Chat) -> None:
    """A stranger's `leave` said "type `join` first"."""
    refuse(town, "zed", "leave", "You're not in Riverside Partnership, so there is nothing to leave.",
           "`partnerships`")
    town.ok("bob", "leave")
    town.advance(days=2)
    said = refuse(town, "bob", "leave", "You left Riverside Partnership on Tue 24 Nov, so there is nothing to leave.")
    assert "join" not in said


def test_member_with_open_commitments_cannot_be_removed(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    refuse(town, "alice", "member remove @bob", "Bob still holds 1 open commitment: #1", "`reassign 1 @name`")
    assert member_of(town, "bob").left_at is None


def test_member_with_open_commitments_cannot_become_observer(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    refuse(town, "alice", "member role @bob observer", "Bob still holds 1 open commitment: #1", "`reassign 1 @name`")
    assert member_of(town, "bob").role is Role.MEMBER


def test_removing_a_member_keeps_their_history(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", "done 1")
    out = town.ok("alice", "member remove @bob")
    assert "Bob is no longer in Riverside Partnership." in out
    assert member_of(town, "bob").left_at == town.now
    assert all_of(town.sessions, Commitment)[0].owner.person.user_id == "bob"
    assert "Bob" not in town.ok("alice", "members")
    refuse(town, "bob", 'commit "Another job" by:friday', "You're not a member of Riverside Partnership yet")
    event = all_of(town.sessions, Event)[-1]
    assert event.action == "member-remove" and event.actor.user_id == "alice"


def test_member_cannot_remove_others(town: Chat) -> None:
    refuse(town, "bob", "member remove @carol", "Only coordinators", example=False)
    assert member_of(town, "carol").left_at is None


def test_member_leaves_and_rejoins(town: Chat) -> None:
    assert "Carol is no longer in Riverside Partnership." in town.ok("carol", "leave")
    out = town.ok("carol", "join sector:community")
    assert "Welcome to Riverside Partnership, Carol" in out
    carol = member_of(town, "carol")
    assert carol.left_at is None and carol.sector is Sector.COMMUNITY and carol.organisation == "Riverside Trust"


def test_members_lists_org_sector_role_and_missing_sectors(town: Chat) -> None:
    out = town.ok("carol", "members")
    assert out.splitlines()[0] == "Members of Riverside Partnership (3)"
    assert "Alice (Town Council) · coordinator · public · 6h/week" in out
    assert "Bob (Chamber of Trade) · member · private · volunteer · 4h/week" in out
    assert "Carol (Riverside Trust) · member · voluntary · volunteer · 3h/week" in out
    assert "Sectors missing: community" in out


def test_members_says_all_sectors_once_community_joins(town: Chat) -> None:
    town.ok("dave", 'join org:"Youth Club" sector:community')
    out = town.ok("carol", "members")
    assert "Sectors: all four represented" in out and "missing" not in out


def test_members_counts_observers_sectors_too(town: Chat) -> None:
    town.ok("olga", "join observer sector:community")
    assert "Olga · observer · community" in town.ok("bob", "members")


def test_tz_sets_the_persons_zone(town: Chat) -> None:
    out = town.ok("bob", "tz america/new_york")
    assert "Your time zone is now America/New_York (it is 05:00 there)." in out
    with town.sessions() as session:
        bob = session.scalars(select(Person).where(Person.user_id == "bob")).one()
    assert bob.timezone == "America/New_York"


def test_tz_takes_the_city_a_zone_is_named_for(town: Chat) -> None:
    """On Matrix, the console and email nobody is told their zone: people type where they live."""
    assert "Your time zone is now Europe/Paris" in town.ok("bob", "tz paris")
    assert "Your time zone is now America/New_York (it is 05:00 there)." in town.ok("carol", "tz New York")
    with town.sessions() as session:
        zones = dict(session.execute(select(Person.user_id, Person.timezone)).all())
    assert (zones["bob"], zones["carol"]) == ("Europe/Paris", "America/New_York")
    refuse(town, "bob", "tz eastern", "`eastern` isn't a time zone I know", "a city that names one, like `paris`")
    refuse(town, "bob", "tz nicosia", "`nicosia` could be Asia/Nicosia or Europe/Nicosia", "`tz Asia/Nicosia`")


def test_first_contact_takes_the_platforms_time_zone(sessions) -> None:
    chat = Chat(sessions, timezones={"bob": "Europe/Berlin"})
    assert "Berlin" not in chat.ok("bob", "mine") and all_of(sessions, Person) == []  # reading keeps nothing
    chat.ok("bob", 'setup "Riverside Partnership" kind:task-force')
    [bob] = all_of(sessions, Person)
    assert bob.timezone == "Europe/Berlin"


def test_adding_an_existing_member_by_another_spelling_is_refused(town: Chat) -> None:
    refuse(town, "alice", "member add @BOB", "Bob is already a member", "`member role @bob coordinator`")
    assert [m.person.user_id for m in all_of(town.sessions, Member)].count("bob") == 1


def test_a_member_cannot_quietly_turn_observer_by_joining_again(town: Chat, sessions: sessionmaker[Session]) -> None:
    before = snapshot(sessions)
    said = town.refused("bob", "join observer")
    assert "member role @bob observer" in said
    assert snapshot(sessions) == before
    assert "Bob (Chamber of Trade) · member" in town.ok("alice", "members")


def test_leaving_withdraws_offers_and_clears_where_they_were_to_step_in(town: Chat) -> None:
    town.ok("bob", 'commit "Run the Christmas market" by:2027-01-30 effort:12h')
    town.ok("carol", 'flex time "Two evenings a month"')
    town.ok("carol", 'flex money "£100 from the trust"')
    town.ok("bob", 'flex resources "The Chamber van"')
    town.ok("alice", "successor coordinator @carol")
    town.ok("bob", "successor 1 @carol")
    out = town.ok("carol", "leave")
    assert ("Carol is no longer in Riverside Partnership. Their flexibility offers #1, #2 are withdrawn. They were "
            "named to step in for coordinator, #1; that is cleared, so coordinators: name someone else with "
            "`successor`.") in out
    assert {f.id: f.withdrawn_at for f in all_of(town.sessions, Flexibility)} == {1: town.now, 2: town.now, 3: None}
    assert all_of(town.sessions, Successor) == []
    logged = [(e.action, e.subject_id, e.reason) for e in all_of(town.sessions, Event)
              if e.action in ("flex-withdraw", "successor-clear")]
    assert logged == [("flex-withdraw", 1, "Carol left"), ("flex-withdraw", 2, "Carol left"),
                      ("successor-clear", None, None)]
    assert "Carol" not in town.ok("bob", "flex")
    assert "coordinator role — `successor coordinator @name`" in town.ok("alice", "successors")


def test_a_removed_member_takes_their_offers_with_them(town: Chat) -> None:
    town.ok("carol", 'flex time "Two evenings a month"')
    assert "Their flexibility offer #1 is withdrawn." in town.ok("alice", "member remove @carol")
    assert all_of(town.sessions, Flexibility)[0].withdrawn_at == town.now


def test_someone_made_an_observer_keeps_no_offer_interest_or_proxy_they_cannot_act_on(town: Chat) -> None:
    """They were refused `flex withdraw` ("Observers can read...") while their offer, interest
    and proxy were still listed as standing."""
    town.ok("carol", 'flex time "Two evenings a month"')
    town.ok("carol", 'interest "My sister chairs the planning committee"')
    town.ok("bob", 'propose "Pedestrianise the square" mode:vote closes:friday')
    town.ok("bob", "proxy 1 @carol")
    town.ok("alice", "proxy 1 @bob")
    out = town.ok("alice", "member role @carol observer")
    assert "Carol is now an observer. Their flexibility offer #1 is withdrawn." in out
    assert [(f.withdrawn_at, e.reason) for f in all_of(town.sessions, Flexibility) for e in all_of(town.sessions, Event)
            if e.action == "flex-withdraw"] == [(town.now, "Carol became an observer")]
    assert "Carol" not in town.ok("bob", "flex")
    assert "withdrawn, as Carol only observes now" in town.ok("bob", "history about:interests")
    assert "Interests declared" not in town.ok("bob", "agreement")
    proxies = town.ok("bob", "proxies")
    assert "for Bob" not in proxies and "Bob (Chamber of Trade) for Alice (Town Council)" in proxies


def test_leave_refuses_while_holding_open_work_and_names_only_that(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", 'commit "Book the hall" by:friday')
    town.ok("bob", 'commit "Print posters" by:friday')
    town.ok("bob", "done 1")
    town.ok("bob", 'drop 3 "No printer"')
    text = refuse(town, "bob", "leave", "You still hold 1 open commitment: #2 Book the hall.",
                  '`reassign 2 @name`, `done 2` or `drop 2 "why"`')
    assert "#1" not in text and "#3" not in text and "leaflets" not in text
    assert member_of(town, "bob").left_at is None


def test_leave_with_work_only_asked_of_you_suggests_decline_which_works(town: Chat) -> None:
    """Carol, asked to take #1 on, was told to `drop 1 "why"` before leaving, which `drop` then
    refused: work waiting for her answer is given back with `decline`."""
    town.ok("bob", 'commit "Grant bid" by:friday')
    town.ok("bob", "reassign 1 @carol")
    refuse(town, "carol", "leave", "You still hold 1 open commitment: #1 Grant bid.",
           'give back what waits for your answer: `decline 1 "why"`')
    town.ok("carol", 'decline 1 "I am leaving"')
    town.ok("carol", "leave")
    assert member_of(town, "carol").left_at is not None


def test_work_done_before_rejoining_for_another_organisation_stays_credited_to_the_first(town: Chat) -> None:
    """Bob delivered the leaflets for the Chamber of Trade, left, and rejoined for the Riverside
    Trust: give and take still credited the Chamber, but `who` and `commitments @bob` said the
    Trust had done it."""
    town.ok("bob", 'commit "Deliver leaflets" by:friday effort:2h')
    town.ok("bob", "done 1")
    town.ok("bob", "leave")
    town.ok("bob", 'join org:"Riverside Trust" sector:voluntary')
    town.ok("bob", 'commit "Book the hall" by:friday effort:1h')
    assert "#1 Deliver leaflets — Bob (Chamber of Trade) · done" in town.ok("carol", "who leaflets")
    assert "#2 Book the hall — Bob (Riverside Trust) · due" in town.ok("carol", "who hall")


def test_a_former_members_commitments_stay_readable(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("bob", 'commit "Book the hall" by:friday')
    town.ok("bob", "done 1")
    town.ok("bob", 'drop 2 "The hall is shut"')
    town.ok("bob", "leave")
    out = town.ok("carol", "commitments @bob")
    assert "Commitments of Bob (Chamber of Trade), who left on Tue 24 Nov" in out
    assert "#1 Deliver leaflets" in out and "#2 Book the hall" in out
    refuse(town, "carol", "commitments @zed", "@zed isn't a member of Riverside Partnership, and never was", "`members`")
    refuse(town, "carol", "reassign 1 @bob", "@bob isn't a member of Riverside Partnership")
