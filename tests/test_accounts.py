"""One person on two platforms: until linked, two members (and the bot says so when voting
or when a mention could mean either); linked with `link me` and its code, one member with one
load, one vote and one set of commitments, whichever account types; undone with `unlink me`.
Codes are one-time, expire, are for the asker alone and cannot link two accounts in one place."""

from __future__ import annotations

import dataclasses
import re

from sqlalchemy import select

from handlers import reopen_codes
from storage.models import AccountCode, Commitment, CommitmentStatus, DecisionResponse, Member, Person, Role
from tests.conftest import Chat
from tests.test_bad_input import all_of
from tests.test_nudges import Inbox, sweep
from tests.test_races import at_once, one_wins
from tests.test_rooms import code_from, elsewhere

CODE = re.compile(r"use code:([a-z0-9-]+)")
BOB_MATRIX = "@bob:town.example"
LISTED = re.compile(r"  - (?:OVER CAPACITY: )?(\w+ \([^)]*\))")


def my_code(chat: Chat, user: str) -> str:
    asked = chat.say(user, "link me")
    assert not asked.error and asked.secret, "the code is for the asker's eyes only"
    found = CODE.search(asked.plain())
    assert found is not None
    return found.group(1)


def two_bobs(town: Chat) -> Chat:
    """Riverside linked to a Matrix room, where Bob joined again from his Matrix account,
    took on work and voted; on the console he also voted, and holds work of his own."""
    matrix = elsewhere(town)
    matrix.ok(BOB_MATRIX, f"use code:{code_from(town)}")
    town.names["bob"] = "Robert"  # a name that is neither account's id, as on real platforms
    town.ok("bob", 'commit "Deliver 500 leaflets" by:friday')
    town.ok("alice", 'propose "Meet on Thursdays" mode:vote')
    town.ok("bob", "vote 1 yes")
    matrix = dataclasses.replace(elsewhere(town), private=False, names={BOB_MATRIX: "Robert"})
    joined = matrix.ok(BOB_MATRIX, 'join org:"Chamber of Trade" sector:private capacity:2h volunteer')
    assert "separate member" in joined and "link me" in joined
    matrix.ok(BOB_MATRIX, 'commit "Sweep the plaza" by:friday')
    return matrix


def active_bobs(town: Chat) -> list[tuple[str, str]]:
    with town.sessions() as session:
        return sorted((m.person.platform, m.person.user_id) for m in session.scalars(
            select(Member).where(Member.left_at.is_(None))) if "bob" in m.person.user_id)


def test_until_linked_two_accounts_are_two_members_and_the_vote_says_so(town: Chat) -> None:
    matrix = two_bobs(town)
    assert active_bobs(town) == [("console", "bob"), ("matrix", BOB_MATRIX)]
    voted = matrix.ok(BOB_MATRIX, "vote 1 no")
    assert "Robert on console goes by your name" in voted and "`link me`" in voted
    assert "Robert on matrix goes by your name" not in town.ok("carol", "vote 1 yes")
    ambiguous = town.refused("alice", "reassign 1 @Robert")
    assert "on console" in ambiguous and "on matrix" in ambiguous and "`link me`" in ambiguous


def test_linked_accounts_are_one_member_with_one_load_and_one_vote(town: Chat) -> None:
    matrix = two_bobs(town)
    matrix.ok(BOB_MATRIX, "vote 1 no")
    linked = matrix.ok(BOB_MATRIX, f"use code:{my_code(town, 'bob')}")
    assert "same person as your console account (Robert)" in linked
    assert "one member" in linked and "Riverside Partnership" in linked
    assert "the answer from console stands (set aside: 1 response to an open proposal)" in linked
    assert active_bobs(town) == [("console", "bob")]
    with town.sessions() as session:
        owners = {c.title: (c.owner.person.user_id, c.status) for c in session.scalars(select(Commitment))}
        responses = [(r.member.person.user_id, r.position.value) for r in session.scalars(select(DecisionResponse))]
        bob = session.scalar(select(Member).join(Person).where(Person.user_id == "bob"))
        assert bob is not None and bob.capacity_hours == 4 and bob.organisation == "Chamber of Trade"
    assert owners == {"Deliver 500 leaflets": ("bob", CommitmentStatus.OPEN), "Sweep the plaza": ("bob", CommitmentStatus.OPEN)}
    assert responses == [("bob", "yes")], "one vote: the console account's, where `link me` was typed"
    # Either account now acts as the one member: Matrix sees and finishes the console's work.
    mine = matrix.ok(BOB_MATRIX, "mine")
    assert "Deliver 500 leaflets" in mine and "Sweep the plaza" in mine
    matrix.ok(BOB_MATRIX, "done 1")
    changed = matrix.ok(BOB_MATRIX, "vote 1 no")
    assert "was yes" in changed and "goes by your name" not in changed
    with town.sessions() as session:
        assert [(r.member.person.user_id, r.position.value) for r in session.scalars(select(DecisionResponse))] == [("bob", "no")]
    inbox = Inbox()
    sweep(town, inbox)
    [told] = inbox.to("@bob", "was just linked to you")
    assert f"matrix `{BOB_MATRIX}`" in told and "`unlink me 2`" in told
    load = town.ok("alice", "load")
    assert load.count("- Robert (") == 1 and "1 open" in load.split("- Robert (")[1].split("\n")[0], load


def test_a_mention_of_the_linked_account_names_the_one_member(town: Chat) -> None:
    matrix = two_bobs(town)
    matrix.ok(BOB_MATRIX, f"use code:{my_code(town, 'bob')}")
    matrix.ok("@carol:town.example", 'join org:"Riverside Trust" sector:voluntary')
    matrix.ok("@carol:town.example", 'commit "Water the planters" by:friday')
    handed = matrix.ok("@carol:town.example", f"reassign 3 @{BOB_MATRIX}")
    assert "Robert" in handed
    with town.sessions() as session:
        work = session.scalar(select(Commitment).where(Commitment.title == "Water the planters"))
        assert work is not None and work.owner.person.user_id == "bob", "the console account's member, the one Bob"


def test_unlink_me_makes_the_account_a_newcomer_and_keeps_what_moved(town: Chat) -> None:
    matrix = two_bobs(town)
    matrix.ok(BOB_MATRIX, f"use code:{my_code(town, 'bob')}")
    listed = town.ok("bob", "accounts")
    assert "1. console `@bob`" in listed and f"2. matrix `{BOB_MATRIX}`" in listed
    assert "Only this one" in matrix.ok("carol", "accounts")
    refused = town.refused("bob", "unlink me")
    assert "the account your others are linked to" in refused and "`unlink me <n>`" in refused
    assert "no account 7" in town.refused("bob", "unlink me 7")
    assert "isn't an account number" in town.refused("bob", "unlink me seven")
    assert "link me" in town.refused("bob", "link me now") and "accounts" in town.refused("bob", "accounts all")
    undone = matrix.ok(BOB_MATRIX, "unlink me")
    inbox = Inbox()
    sweep(town, inbox)
    assert not inbox.to("@bob", "was just linked"), "unlinked before it was sent: the notice is no longer true"
    assert "separate person again" in undone and "`join`" in undone
    assert "Only this one" in town.ok("bob", "accounts")
    assert "Sweep the plaza" in town.ok("bob", "mine")
    assert "join" in matrix.refused(BOB_MATRIX, 'commit "Paint the benches" by:friday'), "a newcomer, in nothing"
    assert active_bobs(town) == [("console", "bob")]


def test_a_code_works_once_expires_and_never_links_two_accounts_in_one_place(town: Chat) -> None:
    matrix = elsewhere(town)
    code = my_code(town, "bob")
    assert "two accounts in one place are two people" in town.refused("carol", f"use code:{code}")
    town.ok("dan", f"use code:{my_code(elsewhere(town), '@dan:town.example')}")  # Dan: Matrix, and the console
    # Dan's Matrix account may not become Bob: Bob and Dan each have a console account already.
    assert "Both would have an account on console" in elsewhere(town).refused("@dan:town.example", f"use code:{code}")
    matrix.ok(BOB_MATRIX, f"use code:{code}")
    assert "has been used or has expired" in elsewhere(town).refused("@mallory:town.example", f"use code:{code}")
    replaced = my_code(town, "carol")
    late = my_code(town, "carol")
    assert "links nothing" in elsewhere(town).refused("@carol:town.example", f"use code:{replaced}"), "replaced"
    town.advance(minutes=16)
    assert "has been used or has expired" in elsewhere(town).refused("@carol:town.example", f"use code:{late}")
    assert "already you" in elsewhere(town).refused(BOB_MATRIX, f"use code:{my_code(town, 'bob')}")
    with town.sessions() as session:
        kept = session.scalars(select(AccountCode)).all()
        assert all(code not in k.code_hash for k in kept), "only the hash is kept"
        carol = session.scalar(select(Person).where(Person.user_id == "@carol:town.example"))
        assert carol is None or carol.account_of_id is None


def test_the_higher_role_of_the_two_memberships_is_kept(town: Chat) -> None:
    matrix = two_bobs(town)
    town.ok("alice", f"member role @{BOB_MATRIX} coordinator")
    matrix.ok(BOB_MATRIX, f"use code:{my_code(town, 'bob')}")
    assert active_bobs(town) == [("console", "bob")]
    with town.sessions() as session:
        roles = {m.person.user_id: m.role for m in session.scalars(select(Member).where(Member.left_at.is_(None)))}
    assert roles["bob"] is Role.COORDINATOR and roles["alice"] is Role.COORDINATOR
    town.ok("alice", "member role @alice member")  # Bob, the one coordinator left, holds it from either account
    assert "only coordinator" in matrix.refused(BOB_MATRIX, f"member role @{BOB_MATRIX} member")


def test_two_uses_of_one_code_at_once_link_once(town: Chat) -> None:
    code = my_code(town, "bob")
    one_wins(at_once(elsewhere(town), (BOB_MATRIX, f"use code:{code}"), ("@mallory:town.example", f"use code:{code}")))
    with town.sessions() as session:
        assert len(session.scalars(select(Person).where(Person.account_of_id.is_not(None))).all()) == 1
    assert len(all_of(town.sessions, AccountCode)) == 1


def test_what_cannot_change_stays_with_the_old_membership_and_the_rest_is_one(town: Chat) -> None:
    """A settled proposal's vote (the database refuses to change it), a proxy from one account
    to the other and two current priorities: the link goes through, and one member remains."""
    matrix = two_bobs(town)
    matrix.ok(BOB_MATRIX, "vote 1 no")
    town.ok("alice", 'close 1 "The council needs an answer today"')
    town.ok("alice", 'propose "Paint the benches" mode:vote')
    matrix.ok(BOB_MATRIX, "proxy 2 @bob")
    town.ok("bob", 'priority "Footfall on the high street"')
    matrix.ok(BOB_MATRIX, 'priority "A cleaner plaza"')
    matrix.ok(BOB_MATRIX, f"use code:{my_code(town, 'bob')}")
    assert active_bobs(town) == [("console", "bob")]
    with town.sessions() as session:
        settled = [(r.member.person.user_id, r.member.active, r.position.value)
                   for r in session.scalars(select(DecisionResponse).where(DecisionResponse.decision_id == 1))]
        assert sorted(settled) == [(BOB_MATRIX, False, "no"), ("bob", True, "yes")], "history reads as it was"
    current, earlier = town.ok("bob", "priorities").split("Earlier")
    assert "Footfall on the high street" in current and "A cleaner plaza" not in current
    assert "A cleaner plaza" in earlier, "one current priority; the other account's kept as history"
    assert "was yes" not in matrix.ok(BOB_MATRIX, "vote 2 yes")
    with town.sessions() as session:
        assert [(r.member.person.user_id, r.cast_by_id) for r in session.scalars(
            select(DecisionResponse).where(DecisionResponse.decision_id == 2))] == [("bob", None)]


def test_an_observer_a_coordinator_made_is_not_undone_by_linking(town: Chat) -> None:
    matrix = elsewhere(town)
    matrix.ok(BOB_MATRIX, f"use code:{code_from(town)}")
    matrix.ok(BOB_MATRIX, 'join org:"Chamber of Trade" sector:private')
    town.ok("alice", f"member role @{BOB_MATRIX} observer")
    refused = elsewhere(town).refused(BOB_MATRIX, f"use code:{my_code(town, 'bob')}")
    assert "In Riverside Partnership, a coordinator made one of your accounts an observer" in refused
    assert "Only this one" in town.ok("bob", "accounts") and len(active_bobs(town)) == 2
    town.ok("alice", f"member role @{BOB_MATRIX} member")
    elsewhere(town).ok(BOB_MATRIX, f"use code:{my_code(town, 'bob')}")
    assert active_bobs(town) == [("console", "bob")]


def test_link_me_twice_at_once_leaves_one_live_code(town: Chat) -> None:
    for _ in range(20):
        replies = at_once(town, ("bob", "link me"), ("bob", "link me"))
        assert not any(r.error for r in replies)
        codes = {reopen_codes.code_hash(found.group(1)) for r in replies if (found := CODE.search(r.plain()))}
        with town.sessions() as session:
            [live] = session.scalars(select(AccountCode)).all()
        assert live.code_hash in codes, "the later of the two, which replaced the other"


def test_unlink_me_twice_at_once_unlinks_once(town: Chat) -> None:
    matrix = elsewhere(town)
    matrix.ok(BOB_MATRIX, f"use code:{my_code(town, 'bob')}")
    _, refusal = one_wins(at_once(matrix, (BOB_MATRIX, "unlink me"), (BOB_MATRIX, "unlink me")))
    assert "just been unlinked" in refusal.plain() or "linked to no other" in refusal.plain()
    assert "Only this one" in town.ok("bob", "accounts")


def carol_takes_bobs_seat(town: Chat) -> tuple[Chat, str]:
    """A tester's path: Carol, in a console workspace of her own, types `link me`, and its code is
    typed in Riverside's workspace as bob. Bob's account, and his seat for the Chamber of Trade,
    are then hers; Riverside's own Carol (Riverside Trust) is someone else who goes by her name."""
    local = dataclasses.replace(town, workspace="local")
    local.ok("alice", 'setup "Linkton" kind:umbrella-forum')
    local.ok("carol", 'join org:"Scouts" sector:voluntary capacity:2h volunteer')
    return local, town.ok("bob", f"use code:{my_code(local, 'carol')}")


def listed(reply: str) -> list[str]:
    """Whom a listing's lines are about, one entry a line, in order."""
    return [found.group(1) for line in reply.splitlines() if (found := LISTED.match(line))]


def test_a_linked_seat_beside_a_namesake_is_one_member_told_apart_from_them(town: Chat) -> None:
    _, linked = carol_takes_bobs_seat(town)
    assert "Carol on console in workspace town goes by your name, and is a separate member" in linked
    town.ok("carol", 'commit "Recruit six volunteers" by:friday effort:8h')
    load = town.ok("alice", "load")
    assert listed(load.split("At risk")[0]) == ["Carol (Riverside Trust)", "Alice (Town Council)", "Carol (Chamber of Trade)"]
    headline = load.splitlines()[1]
    assert "Over capacity: Carol (Riverside Trust)." in headline, load
    assert "Spare capacity: Alice (~6h/week free), Carol (Chamber of Trade) (~4h/week free)." in headline, load
    assert "than Carol (Riverside Trust)'s 3h a week" in load.split("At risk")[1]
    assert listed(town.ok("alice", "members")) == ["Alice (Town Council)", "Carol (Riverside Trust)", "Carol (Chamber of Trade)"]
    # Here `@carol` is this workspace's Carol; the seat that came with bob's account is `@bob`.
    assert "Load of Carol (Riverside Trust)" in town.ok("alice", "load @carol")
    assert "Load of Carol (Chamber of Trade)" in town.ok("alice", "load @bob")
    with town.sessions() as session:
        seats = sorted((m.person.workspace, m.person.user_id, m.organisation) for m in session.scalars(
            select(Member).join(Member.partnership).where(Member.left_at.is_(None), Member.person.has(user_id="carol"))))
        bob = session.scalar(select(Person).where(Person.user_id == "bob"))
        assert bob is not None and bob.account_of_id is not None
        assert session.scalar(select(Member).where(Member.person_id == bob.id)) is None, "one member: the person's"
    assert seats == [("local", "carol", "Chamber of Trade"), ("local", "carol", "Scouts"),
                     ("town", "carol", "Riverside Trust")]


def test_unlink_me_says_the_seat_stays_with_the_first_account(town: Chat) -> None:
    local, _ = carol_takes_bobs_seat(town)
    undone = town.ok("bob", "unlink me")
    assert "separate person again, in no partnership" in undone, undone
    assert "(in Linkton, Riverside Partnership)" in undone and "stay with your console `@carol` (workspace local)" in undone
    assert "From this account, `join`" in undone and "stay with you " not in undone
    with town.sessions() as session:
        bob = session.scalar(select(Person).where(Person.user_id == "bob"))
        assert bob is not None and bob.account_of_id is None
        assert session.scalar(select(Member).where(Member.person_id == bob.id)) is None
        seat = session.scalar(select(Member).where(Member.organisation == "Chamber of Trade"))
        assert seat is not None and (seat.person.workspace, seat.person.user_id, seat.active) == ("local", "carol", True)
    assert "Riverside Partnership" in local.ok("carol", "partnerships"), "the seat is where the reply says"
