"""Numbers people can say out loud: each partnership counts its own commitments, concerns,
decisions and offers from #1, history names what a number is, and the migration numbers what
was there before."""

from __future__ import annotations

import json

from sqlalchemy import Engine, inspect, select, text

from storage.database import migrate, session_factory
from storage.models import Commitment, CommitmentStatus, Concern, Decision, Flexibility
from tests.conftest import Chat


def hill_towns(chat: Chat) -> None:
    """A second partnership in its own channel, with Bob in it too."""
    chat.channel = "hills"
    chat.ok("dave", 'setup "Hill Towns" kind:task-force')
    chat.ok("dave", "join sector:community")
    chat.ok("bob", "join sector:private")


def test_each_partnership_counts_from_one(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("carol", 'concern "Meetings clash with school pick-up" kind:time')
    town.ok("alice", 'propose "Move the market to Saturdays"')
    town.ok("bob", 'flex time "An extra 2 hours a month"')
    hill_towns(town)
    assert "#1 Survey bus stops" in town.ok("dave", 'commit "Survey bus stops" by:friday')
    assert "Concern #1 raised" in town.ok("dave", 'concern "No buses after 6pm"')
    assert "Proposal #1: Ask the council for a late bus" in town.ok("dave", 'propose "Ask the council for a late bus"')
    assert "(#1)" in town.ok("dave", 'flex money "50 pounds for posters"')
    assert "Done: #1 Survey bus stops" in town.ok("dave", "done 1")
    with town.sessions() as session:
        for model in (Commitment, Concern, Decision, Flexibility):
            assert sorted(session.scalars(select(model.number))) == [1, 1], model.__name__
        assert {t: s for t, s in session.execute(select(Commitment.title, Commitment.status))} == {
            "Deliver leaflets": CommitmentStatus.OPEN, "Survey bus stops": CommitmentStatus.DONE}
    town.channel = "general"
    assert "There is no commitment #2 in Riverside Partnership." in town.refused("bob", "done 2")


def test_mine_across_partnerships_names_each_ones_partnership_in_its_buttons(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    hill_towns(town)
    town.ok("bob", 'commit "Survey bus stops" by:friday')
    town.channel = "general"
    mine = town.say("bob", "mine")
    assert sorted(a.command for s in mine.sections for i in s.items for a in i.actions if a.label == "Mark done") == [
        'done 1 in:"Hill Towns"', 'done 1 in:"Riverside Partnership"']
    assert "Done: #1 Survey bus stops" in town.ok("bob", 'done 1 in:"Hill Towns"')


def test_history_of_one_numbered_thing_and_a_number_several_kinds_share(town: Chat) -> None:
    town.ok("bob", 'commit "Deliver leaflets" by:friday')
    town.ok("alice", 'commit @bob "Book the hall" by:friday')
    town.ok("carol", 'concern "Parking on market day" kind:resources')
    town.ok("carol", 'concern "Meetings clash with school pick-up" kind:time')
    town.ok("bob", 'discuss 2 "We could meet at 7pm"')
    town.ok("bob", 'done 2 "Booked for the 12th"')
    asked = town.refused("carol", "history 2")
    assert "#2 is a commitment and a concern in Riverside Partnership: say which." in asked
    assert "`history commitment 2` or `history concern 2`" in asked
    commitment = town.ok("carol", "history commitment 2")
    assert "Alice assigned #2 Book the hall to Bob (Chamber of Trade)" in commitment
    assert "Bob marked #2 Book the hall done — Booked for the 12th" in commitment
    assert "Deliver leaflets" not in commitment and "Meetings clash" not in commitment
    concern = town.ok("carol", "history concern 2")
    assert "Carol raised concern #2 Meetings clash with school pick-up (time, medium)" in concern
    assert "Bob commented on concern #2 Meetings clash with school pick-up — We could meet at 7pm" in concern
    assert "Book the hall" not in concern
    assert "say which" in town.refused("carol", "history 1")
    town.ok("bob", 'flex time "An extra 2 hours a month"')
    assert 'Bob offered #1, to flex on time: "An extra 2 hours a month"' in town.ok("carol", "history offer 1")
    assert "There is no decision #1 in Riverside Partnership." in town.refused("carol", "history decision 1")
    assert "There is no commitment, concern, decision or offer #7" in town.refused("carol", "history 7")


# The migration: rows made before numbering, numbered per partnership in id order.

AT = "2026-11-24 10:00:00"
BEFORE = {
    "partnerships": [(1, "Riverside Partnership"), (2, "Hill Towns")],
    # id, partnership, title
    "commitments": [(1, 1, "Deliver leaflets"), (2, 2, "Survey bus stops"), (3, 1, "Paint benches"),
                    (4, 2, "Print posters"), (5, 2, "Book the hall")],
    "concerns": [(1, 2, "No buses after 6pm"), (2, 1, "Parking on market day")],
    "decisions": [(1, 1, "Move the market"), (2, 2, "Ask for a late bus")],
    "flexibilities": [(1, 2, "An extra 2 hours")],
    # id, partnership, action, subject id, summary
    "events": [(1, 2, "commit", 4, "#4 Print posters — Bob"), (2, 2, "done", 5, "#5 Book the hall — done"),
               (3, 1, "join", None, "Alice (Town Council) joined as member"),
               (4, 2, "missed", 4, "#4 Print posters — missed; next #5, due Tue 8 Dec"),
               (5, 1, "discuss", 2, "note on concern #2"), (6, 1, "decision-close", 1, "#1 Move the market — passed")],
}
OLD_BUTTONS = [["Accept", "accept 4"], ["Decline", 'decline 4 "..."']]


def fill_before_numbers(engine: Engine) -> None:
    rows = {"at": AT, "no": False}
    with engine.begin() as db:
        for pid, name in BEFORE["partnerships"]:
            db.execute(text("INSERT INTO partnerships (id, platform, workspace, name, name_key, kind, formality, created_at)"
                            " VALUES (:id, 'console', 'town', :name, :key, 'task-force', 'informal', :at)"),
                       {**rows, "id": pid, "name": name, "key": name.lower()})
            db.execute(text("INSERT INTO channel_links (id, platform, workspace, channel, partnership_id)"
                            " VALUES (:id, 'console', 'town', :channel, :id)"),
                       {"id": pid, "channel": "general" if pid == 1 else "hills"})
            db.execute(text("INSERT INTO people (id, platform, workspace, user_id, display_name, timezone)"
                            " VALUES (:id, 'console', 'town', :user, :name, 'UTC')"),
                       {"id": pid, "user": ["alice", "bob"][pid - 1], "name": ["Alice", "Bob"][pid - 1]})
            db.execute(text("INSERT INTO members (id, partnership_id, person_id, role, volunteer, joined_at)"
                            " VALUES (:id, :id, :id, 'coordinator', :no, :at)"), {**rows, "id": pid})
        for cid, pid, title in BEFORE["commitments"]:
            db.execute(text("INSERT INTO commitments (id, partnership_id, owner_id, title, due_at, status, created_at)"
                            " VALUES (:id, :p, :p, :title, :at, 'open', :at)"), {**rows, "id": cid, "p": pid, "title": title})
        for kid, pid, title in BEFORE["concerns"]:
            db.execute(text("INSERT INTO concerns (id, partnership_id, title, kind, severity, status, created_at)"
                            " VALUES (:id, :p, :title, 'other', 'medium', 'open', :at)"),
                       {**rows, "id": kid, "p": pid, "title": title})
        for did, pid, title in BEFORE["decisions"]:  # settled ones too, which no trigger lets change
            db.execute(text("INSERT INTO decisions (id, partnership_id, proposer_id, title, mode, closes_at, status,"
                            " created_at, closed_at) VALUES (:id, :p, :p, :title, 'consensus', :at, 'passed', :at, :at)"),
                       {**rows, "id": did, "p": pid, "title": title})
        for fid, pid, what in BEFORE["flexibilities"]:
            db.execute(text("INSERT INTO flexibilities (id, partnership_id, member_id, dimension, text, created_at)"
                            " VALUES (:id, :p, :p, 'time', :what, :at)"), {**rows, "id": fid, "p": pid, "what": what})
        for eid, pid, action, subject, summary in BEFORE["events"]:
            db.execute(text("INSERT INTO events (id, partnership_id, actor_id, action, subject_id, summary, created_at)"
                            " VALUES (:id, :p, :actor, :action, :subject, :summary, :at)"),
                       {**rows, "id": eid, "p": pid, "actor": None if action == "missed" else pid, "action": action,
                        "subject": subject, "summary": summary})
        db.execute(text("INSERT INTO nudges (id, key, partnership_id, kind, person_id, text, created_at, attempts, actions)"
                        " VALUES (1, 'told:handover:c4:', 2, 'handover', 2, 'Will you take it on?', :at, 0, :actions)"),
                   {**rows, "actions": json.dumps(OLD_BUTTONS)})
        if db.dialect.name == "postgresql":  # ids given by hand: the sequences carry on after them
            for table in ("channel_links", "people", "members", *BEFORE, "nudges"):
                db.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))


def test_the_migration_numbers_existing_rows_per_partnership_and_back(unmigrated: Engine) -> None:
    migrate(unmigrated, "0010")
    fill_before_numbers(unmigrated)
    migrate(unmigrated, "head")
    with unmigrated.connect() as db:
        for table, expected in (("commitments", {1: 1, 2: 1, 3: 2, 4: 2, 5: 3}), ("concerns", {1: 1, 2: 1}),
                                ("decisions", {1: 1, 2: 1}), ("flexibilities", {1: 1})):
            assert dict(db.execute(text(f"SELECT id, number FROM {table}")).all()) == expected, table
        assert {e: (k, s) for e, k, s in db.execute(text("SELECT id, subject_kind, summary FROM events"))} == {
            1: ("commitment", "logged #2 Print posters — Bob"), 2: ("commitment", "marked #3 Book the hall — done"),
            3: (None, "logged: Alice (Town Council) joined as member"),
            4: ("commitment", "marked #2 Print posters — missed; next #3, due Tue 8 Dec"),
            5: ("concern", "added a note on concern #1"), 6: ("decision", "marked #1 Move the market — passed")}
        assert json.loads(db.scalar(text("SELECT actions FROM nudges"))) == [["Accept", "accept 2"],
                                                                             ["Decline", 'decline 2 "..."']]
    chat = Chat(session_factory(unmigrated), channel="hills")
    shown = chat.ok("bob", "history commitment 2")
    assert "Bob logged #2 Print posters — Bob" in shown and "partnerbot marked #2 Print posters — missed" in shown
    assert "Book the hall" not in shown
    assert "Done: #3 Book the hall" in chat.ok("bob", "done 3")
    assert "#4" in chat.ok("bob", 'commit "Deliver flyers" by:friday')

    migrate(unmigrated, "0010", down=True)
    with unmigrated.connect() as db:
        assert "number" not in {c["name"] for c in inspect(db).get_columns("commitments")}
        assert "subject_kind" not in {c["name"] for c in inspect(db).get_columns("events")}
        summaries = dict(db.execute(text("SELECT id, summary FROM events WHERE id <= 6")).all())
        assert summaries == {eid: summary for eid, _, _, _, summary in BEFORE["events"]}
        assert json.loads(db.scalar(text("SELECT actions FROM nudges"))) == OLD_BUTTONS
    migrate(unmigrated, "head")


def test_rebuilding_a_table_on_sqlite_loses_none_of_the_rows_that_hang_from_it(unmigrated: Engine) -> None:
    """SQLite alters a table by copying it and dropping the old one; with foreign keys on, the
    drop would first delete every row that cascades from it (a snooze, a concern's notes)."""
    migrate(unmigrated, "0010")
    fill_before_numbers(unmigrated)
    with unmigrated.begin() as db:
        db.execute(text("INSERT INTO snoozes (commitment_id, until, by_id, created_at) VALUES (4, :at, 2, :at)"),
                   {"at": AT})
        db.execute(text("INSERT INTO concern_notes (concern_id, author_id, text, created_at)"
                        " VALUES (2, 1, 'We talked it over', :at)"), {"at": AT})
    before = counts(unmigrated)

    migrate(unmigrated, "head")

    after = counts(unmigrated)  # (0015 moves overloads to episodes: tested in test_migrations)
    assert {t: after[t] for t in before if t != "overloads"} == {t: n for t, n in before.items() if t != "overloads"}


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as db:
        return {t: db.scalar(text(f'SELECT count(*) FROM "{t}"')) or 0 for t in inspect(db).get_table_names()
                if t != "alembic_version"}
