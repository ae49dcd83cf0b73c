"""The agreement: versions edited in sections, and sign-off by every partner organisation.

It is in force once a member of every partner organisation has signed its current version;
a change, an organisation joining or one leaving asks again; nobody signs for another.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, select, text

from handlers.agreement import terms
from handlers.nudges import still_true
from storage.models import AgreementSignature, AgreementVersion, Event, PartnerOrganisation, Partnership, Pledge
from storage.nudges import Waiting
from tests.conftest import Chat
from tests.test_bad_input import all_of, refuse
from tests.test_nudges import Inbox, sweep
from tests.test_numbers import migrate
from tests.test_races import at_once

ROLES = 'agreement edit roles:"The council funds; the chamber runs events; the trust keeps the river" ' \
        'decisions:"By consensus"'


@pytest.fixture
def drafted(town: Chat) -> Chat:
    """The town (Town Council, Chamber of Trade, Riverside Trust) with version 1 written."""
    town.ok("alice", ROLES)
    return town


def in_force(chat: Chat) -> bool:
    return chat.ok("carol", "agreement").splitlines()[1].startswith("In force")


def sign_all(chat: Chat, version: int) -> None:
    for who in ("alice", "bob", "carol"):
        chat.ok(who, f"agreement sign {version}")


def test_no_agreement_yet_says_how_to_write_one(town: Chat) -> None:
    out = town.ok("bob", "agreement")
    assert "There is no agreement yet" in out and "agreement edit" in out


def test_the_first_version_starts_from_the_partnerships_purpose(drafted: Chat) -> None:
    out = drafted.ok("bob", "agreement")
    assert out.splitlines()[0] == "Agreement of Riverside Partnership, version 1"
    assert "Purpose\n  - Revive the riverside" in out
    assert "Roles, and what each partner brings\n  - The council funds; the chamber runs events" in out
    assert "Version 1, Tue 24 Nov by Alice: wrote it" in out


def test_in_force_only_once_every_organisation_has_signed(drafted: Chat) -> None:
    out = drafted.ok("bob", "agreement sign")
    assert "Bob signed version 1 of the agreement for Chamber of Trade." in out
    assert "Still to sign: Riverside Trust and Town Council." in out
    assert not in_force(drafted)
    drafted.ok("alice", "agreement sign 1")
    out = drafted.ok("bob", "agreement")
    assert "Not in force: Riverside Trust has yet to sign version 1" in out
    assert "Not signed yet\n  - Riverside Trust" in out
    drafted.advance(days=1)
    assert "The agreement is now in force" in drafted.ok("carol", "agreement sign 1")
    out = drafted.ok("bob", "agreement")
    assert "In force since Wed 25 Nov: every partner organisation signed version 1." in out
    assert "Signed\n  - Chamber of Trade: Bob, Tue 24 Nov\n  - Town Council: Alice, Tue 24 Nov\n" \
           "  - Riverside Trust: Carol, Wed 25 Nov" in out


def test_an_organisation_signs_once(drafted: Chat) -> None:
    drafted.ok("bob", "agreement sign 1")
    drafted.ok("dave", 'join org:"Chamber of Trade" sector:private')
    refuse(drafted, "dave", "agreement sign 1", "Chamber of Trade already signed version 1: Bob, Tue 24 Nov")


def test_a_coordinator_cannot_sign_for_another_organisation(drafted: Chat) -> None:
    refuse(drafted, "alice", "agreement sign @bob", "Each organisation signs for itself",
           "coordinators included")
    drafted.ok("alice", "agreement sign 1")  # for her own, the Town Council, and no other
    with drafted.sessions() as session:
        signed = session.scalars(select(PartnerOrganisation.name).join(
            AgreementSignature, AgreementSignature.organisation_id == PartnerOrganisation.id)).all()
    assert signed == ["Town Council"]
    drafted.ok("alice", "member add @zoe")  # a coordinator's colleague naming no organisation
    refuse(drafted, "zoe", "agreement sign 1", "You name no organisation here", '`join org:"Your organisation"`')


def test_observers_neither_sign_nor_hold_it_back(drafted: Chat) -> None:
    drafted.ok("olga", 'join org:"Riverside Gazette" observer')
    sign_all(drafted, 1)
    assert in_force(drafted)
    refuse(drafted, "olga", "agreement sign 1", "Observers can read Riverside Partnership but not change it")


def test_a_new_organisation_joining_takes_it_out_of_force_until_it_signs(drafted: Chat) -> None:
    sign_all(drafted, 1)
    out = drafted.ok("dave", 'join org:"Youth Club" sector:community')
    assert "Dave (Youth Club) · member · community. Youth Club joins as a partner organisation: the agreement " \
           "(version 1) is not in force until one of its members signs it with `agreement sign 1`." in out
    assert "Not in force: Youth Club has yet to sign version 1" in drafted.ok("alice", "agreement")
    assert "agreement sign 1" in [a.command for a in drafted.say("dave", "agreement").actions]
    drafted.ok("dave", "agreement sign 1")
    assert in_force(drafted)


def test_a_second_member_of_an_organisation_is_no_new_organisation(drafted: Chat) -> None:
    sign_all(drafted, 1)
    out = drafted.ok("dave", 'join org:"chamber  of TRADE" sector:private')
    assert "partner organisation" not in out
    assert in_force(drafted)
    drafted.ok("dave", "leave")  # and one of two leaving takes nobody away
    assert in_force(drafted)


def test_a_change_asks_every_organisation_again(drafted: Chat) -> None:
    sign_all(drafted, 1)
    refuse(drafted, "alice", 'agreement edit roles:"Each brings what it pledges"', "Say why the agreement changes",
           'why:"')
    drafted.advance(hours=1)
    out = drafted.ok("alice", 'agreement edit roles:"Each brings what it pledges" why:"Agreed at the May meeting"')
    assert "Alice changed the agreement's roles. Why: Agreed at the May meeting." in out
    assert not in_force(drafted)
    refuse(drafted, "bob", "agreement sign 1", "Version 1 is no longer the current one: Alice made version 2 "
           "Tue 24 Nov (changed roles: Agreed at the May meeting).", "`agreement sign 2`")
    refuse(drafted, "bob", "agreement sign 7", "There is no version 7 of the agreement; the current one is version 2")
    sign_all(drafted, 2)
    assert in_force(drafted)
    old = drafted.ok("bob", "agreement version 1")
    assert "Replaced by version 2 Tue 24 Nov" in old and "The council funds; the chamber runs events" in old
    assert "Signatures\n  - Town Council: Alice, Tue 24 Nov" in old
    history = drafted.ok("bob", "agreement history")
    assert "Version 2, Tue 24 Nov by Alice: changed roles — Agreed at the May meeting · signed by Chamber of Trade, " \
           "Riverside Trust, Town Council" in history
    refuse(drafted, "alice", 'agreement edit roles:"Each brings what it pledges" why:"Again"',
           "already reads like that")


def test_an_organisation_leaving_asks_the_others_again_and_one_coming_back_signs_afresh(drafted: Chat) -> None:
    sign_all(drafted, 1)
    drafted.ok("carol", 'pledge premises:"The boathouse on Sundays"')
    out = drafted.ok("carol", "leave")
    assert "With Riverside Trust gone, each partner organisation is asked to sign the agreement (version 1) again" in out
    assert "Pledge #1 of Riverside Trust ends, with nobody left to keep it." in out
    assert "Not in force: Chamber of Trade and Town Council have yet to sign version 1" in drafted.ok("bob", "agreement")
    with drafted.sessions() as session:
        assert session.scalar(select(Pledge.ended_at)) == drafted.now
    # Every signature stopped standing: the two who stay are asked again too.
    assert "· not signed · no longer standing: Chamber of Trade, Riverside Trust, Town Council" in \
        drafted.ok("bob", "agreement history")
    drafted.ok("alice", "agreement sign 1")
    drafted.ok("bob", "agreement sign 1")
    assert in_force(drafted)
    assert "· signed by Chamber of Trade, Town Council · no longer standing: Riverside Trust" in \
        drafted.ok("bob", "agreement history")
    drafted.ok("alice", 'member add @carol org:"Riverside Trust" sector:voluntary')
    assert "Not in force: Riverside Trust has yet to sign version 1" in drafted.ok("bob", "agreement")
    drafted.ok("carol", "agreement sign 1")
    assert in_force(drafted)
    signed = drafted.ok("bob", "agreement version 1")
    assert "Riverside Trust: Carol, Tue 24 Nov (asked again Tue 24 Nov)" in signed


@pytest.mark.parametrize("change", ["member role @carol observer", 'join org:"Riverside Trust CIC" again'])
def test_changing_organisation_or_becoming_an_observer_is_leaving(drafted: Chat, change: str) -> None:
    sign_all(drafted, 1)
    drafted.ok("alice" if change.startswith("member") else "carol", change)
    out = drafted.ok("bob", "agreement")
    assert "Not in force" in out and "Riverside Trust\n" not in out.split("Not signed yet", 1)[1]


def test_nobody_signs_for_another_organisation_by_naming_it_for_a_moment(drafted: Chat) -> None:
    """Bob of the Chamber named the Town Council, signed for it, and named the Chamber again:
    the agreement came into force with Bob's signature standing for a council nobody of which signed."""
    drafted.ok("bob", "agreement sign 1")
    drafted.ok("carol", "agreement sign 1")
    drafted.ok("bob", 'join org:"Town Council" again')
    drafted.ok("bob", "agreement sign 1")
    assert "Town Council: Bob" in drafted.ok("alice", "agreement")
    out = drafted.ok("bob", 'join org:"Chamber of Trade"')
    assert "Bob no longer names Town Council, so the signature they gave for it no longer counts: one of " \
           "Town Council's members signs version 1 again with `agreement sign 1`." in out
    drafted.ok("bob", "agreement sign 1")
    drafted.ok("carol", "agreement sign 1")  # asked again when the Chamber was gone a moment
    shown = drafted.ok("carol", "agreement")
    assert not in_force(drafted) and "Not in force: Town Council has yet to sign version 1" in shown
    assert "Town Council: Bob" not in shown
    assert "Bob no longer names Town Council" in drafted.ok("carol", "history about:agreement")
    drafted.ok("alice", "agreement sign 1")
    assert in_force(drafted)
    drafted.ok("dave", 'join org:"Riverside Trust" sector:voluntary')
    drafted.ok("carol", "leave")  # a signer who leaves, their organisation still at the table, leaves it signed
    assert in_force(drafted)


def test_members_cannot_edit_and_bad_sections_are_refused(drafted: Chat) -> None:
    refuse(drafted, "bob", 'agreement edit roles:"Ours"', "Only coordinators of Riverside Partnership can do that",
           example=False)
    refuse(drafted, "alice", 'agreement edit why:"Tidy"', "Say which section to write", "`purpose:`")
    refuse(drafted, "alice", 'agreement edit rules:"Ours"', "`rules:` isn't an option here")
    refuse(drafted, "alice", f'agreement edit roles:"{"r" * 2500}" why:"Long"', "That roles, and what each partner "
           "brings is 2,500 characters; keep it under 2,000", example=False)
    refuse(drafted, "bob", "agreement version 9", "There is no version 9", "`agreement history`")
    refuse(drafted, "bob", "agreement sign two", "`two` isn't a version number")


def test_every_step_is_in_the_history_as_a_sentence(drafted: Chat) -> None:
    sign_all(drafted, 1)
    drafted.ok("dave", 'join org:"Youth Club" sector:community')
    out = drafted.ok("bob", "history about:agreement")
    for line in ("partnerbot noted that Youth Club joined as a partner organisation: the agreement (version 1) waits "
                 "for its signature",
                 "Carol signed version 1 of the agreement for Riverside Trust; it is now in force",
                 "Bob signed version 1 of the agreement for Chamber of Trade",
                 "Alice wrote the agreement: version 1"):
        assert line in out, line
    with drafted.sessions() as session:
        assert session.scalar(select(Event.subject_kind).where(Event.action == "agreement-edit")) == "agreement"


# Two at once.

def test_two_members_of_one_organisation_signing_at_once_sign_once(drafted: Chat) -> None:
    drafted.ok("dave", 'join org:"Chamber of Trade" sector:private')
    replies = at_once(drafted, ("bob", "agreement sign 1"), ("dave", "agreement sign 1"))
    assert sorted(r.error for r in replies) == [False, True]
    refused = next(r for r in replies if r.error)
    assert "Chamber of Trade already signed version 1" in (refused.text or "")
    assert len(all_of(drafted.sessions, AgreementSignature)) == 1


def test_a_sign_racing_an_edit_signs_the_version_it_saw_or_is_refused(drafted: Chat) -> None:
    for n in range(2, 8):
        sign, edit = at_once(drafted, ("bob", f"agreement sign {n - 1}"),
                             ("alice", f'agreement edit review:"Every {n} months" why:"Round {n}"'))
        assert not edit.error, edit.text
        with drafted.sessions() as session:
            versions = {v.id: v.number for v in session.scalars(select(AgreementVersion))}
            signed = [versions[s.version_id] for s in session.scalars(select(AgreementSignature))]
        if sign.error:
            assert f"Version {n - 1} is no longer the current one: Alice made version {n}" in (sign.text or "")
            assert n - 1 not in signed
        else:
            assert signed.count(n - 1) == 1
        assert n not in signed, "nobody signed a version they had not read"


# The coordinators are nudged once, then weekly, while it waits.

def test_coordinators_hear_once_then_weekly_while_it_waits(drafted: Chat) -> None:
    inbox = Inbox()
    drafted.ok("alice", "agreement sign 1")
    drafted.ok("alice", "member role @bob coordinator")
    sweep(drafted, inbox)
    for coordinator in ("@alice", "@bob"):
        [told] = inbox.to(coordinator, "agreement")
        assert ("The agreement of Riverside Partnership (version 1) is not in force: Chamber of Trade and Riverside "
                "Trust have yet to sign, asked since Tue 24 Nov.") in told
    drafted.ok("bob", "agreement sign 1")
    drafted.advance(days=3)
    sweep(drafted, inbox)
    assert len(inbox.to("@alice", "agreement")) == 1, "a signature is no reason to tell again"
    drafted.advance(days=4)
    sweep(drafted, inbox)
    [_, again] = inbox.to("@alice", "agreement")
    assert "Riverside Trust has yet to sign" in again
    drafted.ok("carol", "agreement sign 1")
    drafted.advance(days=7)
    sweep(drafted, inbox)
    assert len(inbox.to("@alice", "agreement")) == 2, "in force: nothing more to say"
    drafted.ok("dave", 'join org:"Youth Club" sector:community')
    sweep(drafted, inbox)
    assert "Youth Club has yet to sign" in inbox.to("@alice", "agreement")[-1], "a newcomer asks at once"


def owed_now(chat: Chat) -> list[Waiting]:
    """The `agreement-unsigned` nudges derived at the chat's moment, as the sweep would ask about them."""
    with chat.sessions() as session:
        return [Waiting(i, d.partnership_id, d.kind, d.text, d.person_id, d.channel, None, d.key)
                for i, d in enumerate(terms.nudges(session, chat.now))]


def test_the_nudge_is_checked_again_when_it_is_sent(drafted: Chat) -> None:
    due = owed_now(drafted)
    assert due, "the coordinators are owed a word about the signatures"
    with drafted.sessions() as session:
        assert still_true(session, due, drafted.now) == {}, "while it waits, the sweep finds it still true"
    sign_all(drafted, 1)
    with drafted.sessions() as session:
        verdicts = still_true(session, due, drafted.now)
    assert {v.reason for v in verdicts.values()} == {"the agreement came into force, or a newer version waits"}
    assert len(verdicts) == len(due), "signed meanwhile: none of them goes"
    drafted.ok("alice", 'agreement edit review:"Yearly" why:"Fewer meetings"')
    fresh = owed_now(drafted)
    assert fresh and all(":v2:" in w.key for w in fresh), "sign-off of version 2 is asked for"
    with drafted.sessions() as session:
        assert len(still_true(session, due, drafted.now)) == len(due), "version 1 is no longer the one waiting"
        assert still_true(session, fresh, drafted.now) == {}


def test_the_migration_goes_down_and_up_again_with_everything_recorded(drafted: Chat, engine: Engine) -> None:
    sign_all(drafted, 1)
    drafted.ok("alice", "partnership edit interests:exclude")
    drafted.ok("bob", 'pledge money:"£500 a year"')
    drafted.ok("bob", 'delivered money:£120 "Leaflets"')
    drafted.ok("alice", 'goal "Footfall up 10%" measure:"weekly count" baseline:1200 target:1320 by:2027-08-31')
    drafted.ok("bob", "reading 1 1250")
    drafted.ok("bob", 'commit "Count the footfall" by:friday goal:1')
    drafted.ok("bob", 'propose "Pedestrianise the square"')
    drafted.ok("bob", 'interest 1 "My cafe is on the square"')
    migrate(engine, "0020_email", down=True)
    with engine.connect() as db:
        assert db.scalar(text("SELECT count(*) FROM commitments")) == 1
        assert "agreement_versions" not in inspect(db).get_table_names()
    migrate(engine, "head")
    assert "There is no agreement yet" in drafted.ok("bob", "agreement")
    assert "Count the footfall" in drafted.ok("bob", "who")


def test_the_purpose_has_one_home_once_there_is_an_agreement(drafted: Chat) -> None:
    drafted.ok("alice", 'agreement edit purpose:"Revive the riverside and its market" why:"The market joined"')
    assert "Revive the riverside and its market" in drafted.ok("bob", "status")
    assert "Revive the riverside and its market" in drafted.ok("bob", "partnership")
    refuse(drafted, "alice", 'partnership edit purpose:"Something else"',
           "Riverside Partnership's purpose is written in its agreement now",
           "`agreement edit purpose:\"...\" why:\"...\"`")
    refuse(drafted, "alice", 'partnership edit terms:"Something else"', "terms are written in its agreement now",
           example=False)
    [partnership] = all_of(drafted.sessions, Partnership)
    assert partnership.purpose == "Revive the riverside and its market"


def test_health_names_the_organisations_yet_to_sign(drafted: Chat) -> None:
    assert "Agreement not in force" in drafted.ok("bob", "health")
    sign_all(drafted, 1)
    assert "Agreement not in force" not in drafted.ok("bob", "health")
    drafted.ok("dave", 'join org:"Youth Club" sector:community')
    out = drafted.ok("bob", "health")
    assert "Youth Club has yet to sign version 1, asked since" in out
    assert "Ask one member of each to type `agreement sign 1`." in out


def test_a_wound_up_partnerships_agreement_offers_no_signing_or_pledging(drafted: Chat) -> None:
    drafted.ok("alice", 'partnership wind-up "Done" open:keep')
    reply = drafted.say("bob", "agreement")
    out = reply.plain()
    assert "Not in force: Chamber of Trade, Riverside Trust and Town Council have yet to sign version 1." in out
    assert "agreement sign" not in out and "`pledge" not in out
    assert "What each partner brings\n  Nothing pledged." in out
    assert [a.command for a in reply.actions] == ["agreement history"]
    history = drafted.ok("bob", "agreement history")
    assert "agreement sign" not in history
    assert "agreement sign" not in drafted.ok("bob", "agreement version 1")
    assert "`pledge" not in drafted.ok("bob", "pledges")


def test_a_typo_in_the_last_members_organisation_asks_first_and_changes_nothing(drafted: Chat) -> None:
    for user in ("alice", "bob", "carol"):
        drafted.ok(user, "agreement sign 1")
    drafted.ok("carol", 'pledge money:"£500 a year" time:"4h a month"')
    out = drafted.refused("carol", 'join org:"Riverside Trsut"')
    assert out == ("You are the last member of Riverside Trust here, so naming Riverside Trsut instead takes Riverside "
                   "Trust off the table: every partner organisation is asked to sign the agreement (version 1) again "
                   "and its pledges #1, #2 end. Nothing was changed. Check the spelling; if it is right, type "
                   '`join org:"Riverside Trsut" again`.')
    assert "In force since" in drafted.ok("bob", "agreement")
    assert "Riverside Trust\n  - #1 time: 4h a month" in drafted.ok("bob", "pledges")
    assert [x.ended_at for x in all_of(drafted.sessions, Pledge)] == [None, None]
    out = drafted.ok("carol", 'join org:"Riverside Trsut" again')
    assert "With Riverside Trust gone, each partner organisation is asked to sign the agreement (version 1) again" in out
    assert all(x.ended_at is not None for x in all_of(drafted.sessions, Pledge))
    drafted.ok("bob", 'join org:"Chamber of Trade" sector:private')  # not the last one out: nothing is at stake
