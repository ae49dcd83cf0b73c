"""Members: joining, adding, roles, removing, the members list, and time zones."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Commitment, Event, Member, Person, Role, Sector
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


def test_member_cannot_change_roles(town: Chat) -> None:
    refuse(town, "bob", "member role @bob coordinator", "Only coordinators", example=False)
    assert member_of(town, "bob").role is Role.MEMBER


def test_last_coordinator_cannot_be_demoted(town: Chat) -> None:
    refuse(town, "alice", "member role @alice member", "Alice is the only coordinator", "`member role @name coordinator`")
    assert member_of(town, "alice").role is Role.COORDINATOR


def test_a_coordinator_can_step_down_once_there_is_another(town: Chat) -> None:
    town.ok("alice", "member role @bob coordinator")
    town.ok("alice", "member role @alice member")
    assert member_of(town, "alice").role is Role.MEMBER
    assert "Coordinators: Bob" in town.ok("carol", "partnership")


def test_last_coordinator_cannot_be_removed(town: Chat) -> None:
    refuse(town, "alice", "member remove @alice", "Alice is the only coordinator")
    assert member_of(town, "alice").left_at is None


def test_last_coordinator_cannot_leave(town: Chat) -> None:
    refuse(town, "alice", "leave", "Alice is the only coordinator")


def test_member_with_open_commitments_cannot_be_removed(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    refuse(town, "alice", "member remove @bob", "Bob still holds #1", "`reassign 1 @name`")
    assert member_of(town, "bob").left_at is None


def test_member_with_open_commitments_cannot_become_observer(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    refuse(town, "alice", "member role @bob observer", "Bob still holds #1", "`reassign 1 @name`")
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


def test_first_contact_takes_the_platforms_time_zone(sessions) -> None:
    chat = Chat(sessions, timezones={"bob": "Europe/Berlin"})
    chat.ok("bob", "mine")
    [bob] = all_of(sessions, Person)
    assert bob.timezone == "Europe/Berlin"


def test_adding_an_existing_member_by_another_spelling_is_refused(town: Chat) -> None:
    refuse(town, "alice", "member add @BOB", "Bob is already a member", "`member role @bob coordinator`")
    assert [m.person.user_id for m in all_of(town.sessions, Member)].count("bob") == 1


def test_a_member_cannot_quietly_turn_observer_by_joining_again(town: Chat, sessions: sessionmaker[Session]) -> None:
    before = snapshot(sessions)
    said = town.refused("bob", "join observer")
    assert "member role @you observer" in said
    assert snapshot(sessions) == before
    assert "Bob (Chamber of Trade) · member" in town.ok("alice", "members")
