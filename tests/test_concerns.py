"""Concerns: raised, listed with their age, discussed, resolved and reopened; anonymity kept."""

from __future__ import annotations

import hashlib

from handlers.reply import Audience
from storage.models import Concern, ConcernKind, ConcernNote, ConcernStatus, Event, Severity
from tests.anonymity import REOPEN_CODE, rows, traces
from tests.conftest import Chat, snapshot
from tests.test_bad_input import all_of, refuse


def the_concern(chat: Chat, number: int = 1) -> Concern:
    return next(c for c in all_of(chat.sessions, Concern) if c.id == number)


def test_concern_with_kind_and_severity_is_stored_and_announced(town: Chat) -> None:
    out = town.ok("bob", 'concern "The budget split favours the council" kind:priorities severity:high')
    assert "Concern #1 raised" in out
    assert "Bob (Chamber of Trade) raised: The budget split favours the council (priorities, high)" in out
    assert '`discuss 1 "..."`' in out
    c = the_concern(town)
    assert (c.kind, c.severity, c.status) == (ConcernKind.PRIORITIES, Severity.HIGH, ConcernStatus.OPEN)
    assert c.raised_by.person.user_id == "bob"
    [event] = [e for e in all_of(town.sessions, Event) if e.action == "concern"]
    assert event.actor.user_id == "bob" and event.subject_id == c.id


def test_concern_defaults_to_other_and_medium(town: Chat) -> None:
    town.ok("bob", 'concern "Meetings run late"')
    c = the_concern(town)
    assert (c.kind, c.severity) == (ConcernKind.OTHER, Severity.MEDIUM)


def test_a_command_on_a_concern_typed_after_concern_is_pointed_to_not_raised(town: Chat) -> None:
    """The defect: `concern reopen 2`, meaning to reopen it, raised and announced a new concern
    named "reopen 2"; `concern 2` raised one named "2"."""
    town.ok("bob", 'concern "Parking on market day"')
    refuse(town, "alice", "concern reopen 1", "`concern` raises a new concern. To reopen concern #1, type "
           '`reopen concern 1 "why"`.', 'say it in quotes: `concern "What worries you"`')
    refuse(town, "bob", "concern 1", "To see concern #1, type `concerns 1`.")
    refuse(town, "alice", "concern resolve #1", 'type `resolve 1 "what was agreed"`')
    # Words that only start like a command are a concern; so is a number in quotes.
    assert "Concern #2 raised" in town.ok("carol", "concern Resolve the parking mess")
    assert "Concern #3 raised" in town.ok("carol", 'concern "2"')


def test_anonymous_concern_keeps_no_name_anywhere(town: Chat) -> None:
    out = town.ok("carol", 'concern "Meetings clash with school pick-up" kind:time anonymous')
    assert "Someone raised: Meetings clash with school pick-up (time, medium)" in out
    assert "Carol" not in out
    c = the_concern(town)
    assert c.raised_by_id is None
    [event] = [e for e in all_of(town.sessions, Event) if e.subject_id == c.id and e.action == "concern"]
    assert event.actor_id is None
    assert "Carol" not in event.summary and "Riverside Trust" not in event.summary
    listed = town.ok("alice", "concerns")
    assert "raised today by anonymous" in listed and "Carol" not in listed
    assert "by anonymous" in town.ok("alice", "concerns 1")


def test_concerns_lists_open_ones_most_severe_first_with_their_age(town: Chat) -> None:
    town.ok("bob", 'concern "Low one" severity:low')
    town.advance(days=1)
    town.ok("carol", 'concern "High one" severity:high kind:time')
    town.ok("carol", 'concern "Medium one"')
    town.advance(days=2)
    out = town.ok("alice", "concerns")
    assert out.splitlines()[0] == "Open concerns in Riverside Partnership"
    assert "#2 High one · time, high · raised 2 days ago by Carol (Riverside Trust)" in out
    assert "#1 Low one · other, low · raised 3 days ago by Bob (Chamber of Trade)" in out
    assert out.index("High one") < out.index("Medium one") < out.index("Low one")


def test_concerns_leaves_out_resolved_ones(town: Chat) -> None:
    town.ok("bob", 'concern "Budget split"')
    town.ok("alice", 'resolve 1 "Split 50/50"')
    assert "No open concerns." in town.ok("bob", "concerns")


def test_concern_thread_shows_status_raiser_and_discussion(town: Chat) -> None:
    town.ok("bob", 'concern "The budget split favours the council" kind:priorities severity:high')
    town.advance(days=1)
    town.ok("carol", 'discuss 1 "Could the trust match-fund the stalls?"')
    out = town.ok("alice", "concerns 1")
    assert out.splitlines()[0] == "Concern #1: The budget split favours the council"
    assert "Status: open" in out
    assert "Raised: Tue 24 Nov by Bob (Chamber of Trade)" in out
    assert "Kind: priorities, high" in out
    assert "Carol (Wed 25 Nov): Could the trust match-fund the stalls?" in out
    assert "1 note" in town.ok("alice", "concerns")


def test_thread_with_no_notes_says_so(town: Chat) -> None:
    town.ok("bob", 'concern "Budget split"')
    assert "No notes yet." in town.ok("bob", "concerns #1")


def test_discuss_stores_the_note_and_an_event(town: Chat) -> None:
    town.ok("bob", 'concern "Budget split"')
    out = town.ok("carol", 'discuss 1 "Could we split it 50/50 next year?"')
    assert "Carol on concern #1 (Budget split): Could we split it 50/50 next year?" in out
    [note] = all_of(town.sessions, ConcernNote)
    assert note.author.user_id == "carol" and note.text == "Could we split it 50/50 next year?"
    assert [e.actor.user_id for e in all_of(town.sessions, Event) if e.action == "discuss"] == ["carol"]


def test_discussing_a_resolved_concern_points_each_asker_to_what_they_may_do(town: Chat) -> None:
    """The defect: carol, who may not reopen it, was told to `reopen concern 1`, whose refusal
    sent her back to `discuss`. The raiser and coordinators are told to reopen it; anyone else
    whom to ask (by name), or to raise a new concern, and each command works as typed."""
    town.ok("bob", 'concern "Budget split"')
    town.ok("alice", 'resolve 1 "Split 50/50"')
    said = refuse(town, "carol", 'discuss 1 "But..."', "Concern #1 is resolved",
                  "Ask a coordinator (Alice) or Bob (Chamber of Trade), who raised it, to reopen it",
                  '`concern "what still worries you"`')
    assert "`reopen" not in said
    # Her refusal from `reopen` says the same, never "`discuss` once it is reopened".
    assert "Ask a coordinator (Alice)" in refuse(town, "carol", 'reopen concern 1 "The Trust was not asked"',
                                                 "Only coordinators or whoever raised it")
    town.ok("carol", 'concern "what still worries you"')
    for user in ("bob", "alice"):
        refuse(town, user, 'discuss 1 "But..."', "Concern #1 is resolved", '`reopen concern 1 "why"`')
    town.ok("bob", 'reopen concern 1 "why"')
    assert the_concern(town).status is ConcernStatus.OPEN


def test_discussing_a_resolved_anonymous_concern_names_the_coordinators_and_the_private_way(town: Chat) -> None:
    raise_anonymously(town)
    said = refuse(town, "bob", 'discuss 1 "But..."', "Ask a coordinator (Alice) to reopen it",
                  '`concern "what still worries you"`', 'send me privately: `reopen concern 1 "why" code:...`')
    assert said == refuse(town, "carol", 'discuss 1 "But..."')  # the raiser is told nothing else: nothing tells


def test_resolving_a_resolved_concern_points_to_what_was_agreed_and_to_reopen(town: Chat) -> None:
    """It said "Type `resolve <number> ...`": the very command just refused."""
    town.ok("bob", 'concern "Budget split"')
    town.ok("alice", 'resolve 1 "Split 50/50"')
    said = refuse(town, "alice", 'resolve 1 "Split 60/40"', "Concern #1 is already resolved", "`concerns 1`",
                  '`reopen concern 1 "why"`')
    assert "`resolve" not in said
    assert "Agreed: Split 50/50" in town.ok("alice", "concerns 1")


def test_coordinator_resolves_with_what_was_agreed(town: Chat) -> None:
    town.ok("bob", 'concern "Budget split"')
    town.advance(hours=2)
    out = town.ok("alice", 'resolve 1 "Split 50/50 from April; review in June"')
    assert "Concern #1 resolved" in out and "Agreed: Split 50/50 from April; review in June" in out
    c = the_concern(town)
    assert c.status is ConcernStatus.RESOLVED and c.resolution == "Split 50/50 from April; review in June"
    assert c.resolved_at == town.now
    [event] = [e for e in all_of(town.sessions, Event) if e.action == "resolve"]
    assert event.actor.user_id == "alice" and event.reason == "Split 50/50 from April; review in June"
    thread = town.ok("bob", "concerns 1")
    assert "Status: resolved" in thread and "Agreed: Split 50/50 from April; review in June" in thread
    assert "`reopen concern 1 \"...\"`" in thread


def test_member_cannot_resolve(town: Chat) -> None:
    town.ok("bob", 'concern "Budget split"')
    refuse(town, "bob", 'resolve 1 "Fine now"', "Only coordinators of Riverside Partnership", "Alice", example=False)
    assert the_concern(town).status is ConcernStatus.OPEN


def test_resolve_needs_the_agreement(town: Chat) -> None:
    town.ok("bob", 'concern "Budget split"')
    refuse(town, "alice", "resolve 1", "Say the agreement")


def test_resolving_twice_is_refused(town: Chat) -> None:
    town.ok("bob", 'concern "Budget split"')
    town.ok("alice", 'resolve 1 "Agreed"')
    refuse(town, "alice", 'resolve 1 "Agreed again"', "Concern #1 is already resolved")
    assert the_concern(town).resolution == "Agreed"


def test_raiser_reopens_with_a_reason(town: Chat) -> None:
    town.ok("bob", 'concern "Budget split"')
    town.ok("alice", 'resolve 1 "Split 50/50"')
    out = town.ok("bob", 'reopen 1 "The council moved the money again"')
    assert "Concern #1 (Budget split) is open again." in out
    c = the_concern(town)
    assert c.status is ConcernStatus.OPEN and c.resolution is None and c.resolved_at is None
    [event] = [e for e in all_of(town.sessions, Event) if e.action == "reopen"]
    assert event.actor.user_id == "bob" and event.reason == "The council moved the money again"


def test_coordinator_reopens(town: Chat) -> None:
    town.ok("bob", 'concern "Budget split"')
    town.ok("alice", 'resolve 1 "Split 50/50"')
    town.ok("alice", 'reopen 1 "The split was not kept"')
    assert the_concern(town).status is ConcernStatus.OPEN


def test_other_member_cannot_reopen(town: Chat) -> None:
    town.ok("bob", 'concern "Budget split"')
    town.ok("alice", 'resolve 1 "Split 50/50"')
    refuse(town, "carol", 'reopen 1 "Not fair"', "Only coordinators or whoever raised it can reopen")
    assert the_concern(town).status is ConcernStatus.RESOLVED


def test_reopening_an_open_concern_says_what_can_be_done_instead(town: Chat) -> None:
    """It said "Type `reopen concern <number> "why"`": the very command just typed."""
    town.ok("bob", 'concern "Budget split"')
    said = refuse(town, "bob", 'reopen concern 1 "Still a problem"', "Concern #1 is already open",
                  '`discuss 1 "your view"`', "a coordinator (Alice) records it with `resolve`")
    assert "`reopen" not in said
    refuse(town, "alice", 'reopen 1 "Still a problem"', '`discuss 1 "your view"`', '`resolve 1 "what was agreed"`')
    town.ok("bob", 'discuss 1 "your view"')
    town.ok("alice", 'resolve 1 "what was agreed"')


def test_reopening_a_concern_needs_a_reason_and_keeps_the_earlier_agreement_in_view(town: Chat) -> None:
    town.ok("bob", 'concern "Budget split"')
    town.ok("alice", 'resolve 1 "Split 50/50"')
    before = snapshot(town.sessions)
    refuse(town, "bob", "reopen concern 1", "Say why it is reopened", '`reopen concern 1 "why"`')
    refuse(town, "bob", "reopen 1", "Say why it is reopened")
    assert snapshot(town.sessions) == before and the_concern(town).status is ConcernStatus.RESOLVED
    town.advance(days=1)
    town.ok("bob", 'reopen concern 1 "The council moved the money again"')
    thread = town.ok("carol", "concerns 1")
    assert "Status: open" in thread
    earlier = thread.split("Agreed before")[1]
    assert "Alice resolved concern #1 Budget split — Split 50/50" in earlier
    assert "Bob reopened concern #1 Budget split — The council moved the money again" in earlier
    assert "#1 Budget split · other, medium · raised 1 day ago by Bob (Chamber of Trade) · reopened, agreed before: Split 50/50" \
        in town.ok("carol", "concerns")
    assert "Alice resolved concern #1 Budget split — Split 50/50" in town.ok("carol", "history about:concerns")


def raise_anonymously(town: Chat) -> str:
    """Carol raises concern #1 anonymously and it is resolved; returns the code she alone was shown."""
    reply = town.say("carol", 'concern "Meetings clash with school pick-up" anonymous')
    assert not reply.error and reply.private_note is not None
    code = REOPEN_CODE.search(reply.private_note)
    assert code is not None
    town.ok("alice", 'resolve 1 "Meetings move to 7pm"')
    return code.group(1)


def test_anonymous_concern_shows_its_reopen_code_to_the_raiser_alone(town: Chat) -> None:
    reply = town.say("carol", 'concern "Meetings clash with school pick-up" anonymous')
    code = REOPEN_CODE.search(reply.private_note or "")
    assert code is not None
    assert "Only you have this code for concern #1; send it to me privately:" in (reply.private_note or "")
    assert code.group(1) not in reply.plain() and "Carol" not in (reply.private_note or "")
    c = the_concern(town)
    assert c.reopen_code_hash == hashlib.sha256(code.group(1).replace("-", "").encode()).hexdigest()
    assert code.group(1) not in str([(e.summary, e.reason) for e in all_of(town.sessions, Event)])
    assert town.say("bob", 'concern "Budget split"').private_note is None
    assert the_concern(town, 2).reopen_code_hash is None


def test_the_anonymous_raiser_reopens_with_the_code_and_stays_anonymous(town: Chat) -> None:
    code = raise_anonymously(town)
    town.advance(days=1)
    # Plain `reopen` takes the code too, even where a commitment shares the number.
    town.ok("bob", 'commit "Book the hall" by:friday')
    town.ok("bob", "done 1")
    reply = town.say("carol", f'reopen 1 "Still clashes for parents" code:{code}')
    assert not reply.error and "Concern #1 (Meetings clash with school pick-up) is open again." in reply.plain()
    assert "Carol" not in reply.plain() and code not in reply.plain()
    c = the_concern(town)
    assert c.status is ConcernStatus.OPEN and c.resolution is None
    [event] = [e for e in all_of(town.sessions, Event) if e.action == "reopen"]
    assert event.actor_id is None and event.reason == "Still clashes for parents"
    history = town.ok("alice", "history")
    assert "someone reopened concern #1 Meetings clash with school pick-up — Still clashes for parents" in history
    assert "Carol" not in town.ok("alice", "concerns 1")


def test_a_wrong_reopen_code_is_refused_and_changes_nothing_but_the_count(town: Chat) -> None:
    code = raise_anonymously(town)
    town.ok("bob", 'concern "Budget split"')
    town.ok("alice", 'resolve 2 "Split 50/50"')
    before = snapshot(town.sessions)
    wrong = "a" * 24 if code != "a" * 24 else "b" * 24
    for user, command, said in ((("bob", f'reopen concern 1 "Not fair" code:{wrong}', "That code does not work for concern #1")),
                                # The right code for another concern, or for one raised with a name, does not either.
                                ("carol", f'reopen concern 2 "Not fair" code:{code}', "That code does not work for concern #2")):
        text = town.refused(user, command)
        assert said in text and "`" in text and "\n" not in text
    counted = {t: n for t, n in snapshot(town.sessions).items() if n != before[t]}
    assert counted == {"code_attempts": 4}  # bob, carol, concern 1 and concern 2: one wrong code each
    assert {the_concern(town, n).status for n in (1, 2)} == {ConcernStatus.RESOLVED}


def test_a_reopen_code_typed_in_a_shared_room_is_spent_and_its_typist_alone_gets_a_new_one(town: Chat) -> None:
    """The defect: the code was refused but stayed valid, so bob, who saw it in the channel,
    reopened the concern from his own DM with his reason and was handed carol's next code."""
    code = raise_anonymously(town)
    town.private = False
    before = rows(town.sessions)
    reply = town.say("carol", f'reopen concern 1 "Still clashes" code:{code}')
    assert reply.error and reply.discreet and reply.channel is None and reply.audience is Audience.PERSONAL
    assert "the one you typed no longer works" in (reply.text or "") and "direct message" in (reply.text or "")
    fresh = REOPEN_CODE.search(reply.private_note or "")
    assert fresh is not None and fresh.group(1) != code and fresh.group(1) not in reply.plain()
    assert the_concern(town).status is ConcernStatus.RESOLVED
    assert traces(town.sessions, before, "console", "carol") == []  # nothing kept ties carol to it
    assert not any(e.action == "reopen" for e in all_of(town.sessions, Event))
    town.private = True
    assert "does not work for concern #1" in town.refused("bob", f'reopen concern 1 "Hijacked" code:{code}')
    assert the_concern(town).status is ConcernStatus.RESOLVED
    # The fresh code, sent privately as the note says, works.
    town.ok("carol", f'reopen concern 1 "Still clashes" code:{fresh.group(1)}')
    assert the_concern(town).status is ConcernStatus.OPEN


def test_a_wrong_code_typed_in_a_shared_room_spends_nothing(town: Chat) -> None:
    code = raise_anonymously(town)
    town.private = False
    reply = town.say("bob", f'reopen concern 1 "x" code:{"a" * 24 if code != "a" * 24 else "b" * 24}')
    assert reply.error and reply.discreet and reply.private_note is None
    assert "does not work for concern #1" in (reply.text or "")
    town.private = True
    town.ok("carol", f'reopen concern 1 "Still clashes" code:{code}')


def test_the_anonymous_raiser_adds_to_the_discussion_with_the_code_and_stays_anonymous(town: Chat) -> None:
    reply = town.say("carol", 'concern "Meetings clash with school pick-up" anonymous')
    code = REOPEN_CODE.search(reply.private_note or "")
    assert code is not None and "`discuss 1 \"your view\" anonymous code:" in (reply.private_note or "")
    town.ok("alice", 'discuss 1 "Can you give an example?"')
    before = rows(town.sessions)
    said = town.say("carol", f'discuss 1 "At the 3 Jan meeting" anonymous code:{code.group(1)}')
    assert not said.error and said.audience is Audience.CHANNEL and said.discreet
    assert said.plain() == "The raiser (anonymous) on concern #1 (Meetings clash with school pick-up): At the 3 Jan meeting"
    assert traces(town.sessions, before, "console", "carol") == []
    fresh = REOPEN_CODE.search(said.private_note or "")
    assert fresh is not None and fresh.group(1) != code.group(1) and "Your code has been used" in (said.private_note or "")
    thread = town.ok("bob", "concerns 1")
    assert "the raiser (anonymous) (" in thread and "At the 3 Jan meeting" in thread and "Carol" not in thread
    assert "someone commented on concern #1" in town.ok("bob", "history")
    # The used code is spent; the new one works again, and for reopening.
    assert "does not work for concern #1" in town.refused("carol", f'discuss 1 "More" anonymous code:{code.group(1)}')
    more = town.say("carol", f'discuss 1 "More" anonymous code:{fresh.group(1)}')
    assert not more.error
    last = REOPEN_CODE.search(more.private_note or "")
    assert last is not None
    town.ok("alice", 'resolve 1 "Meetings move to 7pm"')
    town.ok("carol", f'reopen concern 1 "Still clashes" code:{last.group(1)}')
    notes = [(n.author_id, n.text) for n in all_of(town.sessions, ConcernNote)]
    assert [t for a, t in notes if a is None] == ["At the 3 Jan meeting", "More"]


def test_anonymous_discussion_needs_the_code_and_a_private_place(town: Chat) -> None:
    code = raise_anonymously(town)
    town.ok("alice", 'reopen 1 "Let us talk again"')
    refuse(town, "carol", 'discuss 1 "More" anonymous', "Only whoever raised a concern anonymously",
           '`discuss 1 "your view" anonymous code:...`', '`discuss 1 "your view"`')
    town.private = False
    reply = town.say("carol", f'discuss 1 "More" anonymous code:{code}')
    assert reply.error and reply.discreet and "no longer works" in (reply.text or "") and reply.private_note
    assert all_of(town.sessions, ConcernNote) == []
    town.private = True
    assert "does not work for concern #1" in town.refused("carol", f'discuss 1 "More" anonymous code:{code}')


def test_reopen_finds_the_partnerships_own_number_not_another_partnerships_row(town: Chat) -> None:
    """`reopen 1` looked rows up by their database id: in a second partnership, its concern #1
    (another id) was not found, and `reopen` went looking for a commitment #1."""
    town.ok("bob", 'concern "Budget split"')
    hill = Chat(town.sessions, workspace=town.workspace, channel="hill")
    hill.ok("dave", 'setup "Hill Towns" kind:task-force')
    hill.ok("dave", 'concern "The bus times"')
    hill.ok("dave", 'resolve 1 "The council moves the 8:10"')
    out = hill.ok("dave", 'reopen 1 "The 8:10 still leaves early"')
    assert "#1" in out and "The bus times" in out
    statuses = {c.title: c.status for c in all_of(town.sessions, Concern)}
    assert statuses == {"Budget split": ConcernStatus.OPEN, "The bus times": ConcernStatus.OPEN}


def test_once_wound_up_a_resolved_concern_points_to_reopening_the_partnership_not_the_concern(town: Chat) -> None:
    town.ok("bob", 'concern "Budget split unfair" kind:priorities')
    town.ok("alice", 'resolve 1 "Split 50/50"')
    town.ok("alice", 'partnership wind-up "Funding ended" open:keep')
    said = refuse(town, "alice", 'resolve 1 "Again"', "Concern #1 is already resolved",
                  'a coordinator can reopen it with `partnership reopen "why"`')
    assert "reopen concern" not in said
