"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL.

Alembic's autogenerate compares the migrated database with the models: any table, column,
type, index or constraint the models have and the migrations lack (or the reverse) shows
up as a difference, so a model change without its migration cannot land.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.database import migrate, session_factory, upgrade
from storage.models import Base, Episode
from tests.conftest import Chat


def test_the_migrations_build_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                       Base.metadata)
    assert differences == []


def test_overload_episodes_under_way_carry_over_to_episodes(unmigrated: Engine) -> None:
    """0015_load replaces `overloads` with `episodes`: an overload already told is not told again
    for the migration's sake; down again, the table is back (its episodes forgotten)."""
    at = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    migrate(unmigrated, "0013")
    with unmigrated.begin() as db:
        db.execute(text("INSERT INTO partnerships (id, platform, workspace, name, name_key, kind, formality, created_at)"
                        " VALUES (1, 'console', 'town', 'Riverside', 'riverside', 'task-force', 'informal', :at)"), {"at": at})
        db.execute(text("INSERT INTO people (id, platform, workspace, user_id, display_name, timezone)"
                        " VALUES (1, 'console', 'town', 'bob', 'Bob', 'UTC')"))
        db.execute(text("INSERT INTO members (id, partnership_id, person_id, role, volunteer, joined_at)"
                        " VALUES (1, 1, 1, 'coordinator', :no, :at)"), {"no": False, "at": at})
        db.execute(text("INSERT INTO overloads (member_id, partnership_id, started_at, told_at, weekly_hours, open_count,"
                        " overdue_count) VALUES (1, 1, :at, :at, 12.5, 3, 1)"), {"at": at})
    migrate(unmigrated, "head")
    with Session(unmigrated) as session:
        [episode] = session.scalars(select(Episode)).all()
        assert (episode.member_id, episode.kind, episode.told_at) == (1, "overload", at)
        assert json.loads(episode.figures) == {"weekly": 12.5, "open": 3, "overdue": 1}
    migrate(unmigrated, "0013", down=True)
    with unmigrated.connect() as db:
        assert db.scalar(text("SELECT count(*) FROM overloads")) == 0
    migrate(unmigrated, "head")


def test_0017_frees_names_keeping_every_row_that_refers_to_a_partnership(unmigrated: Engine) -> None:
    """SQLite rebuilds `partnerships` to drop its unique name: with foreign keys on, dropping the
    old table would have deleted every member, link and commitment (ON DELETE CASCADE)."""
    upgrade(unmigrated)
    chat = Chat(session_factory(unmigrated))
    chat.ok("alice", 'setup "Riverside Partnership" kind:task-force')
    chat.ok("alice", 'join org:"Town Council" sector:public')
    chat.ok("alice", 'commit "Book the hall" by:friday')
    migrate(unmigrated, "0016_ending", down=True)
    before = rows(unmigrated)
    assert before["members"] == 1 and before["commitments"] == 1
    migrate(unmigrated, "0017_web_trust")
    assert rows(unmigrated) == before
    with unmigrated.begin() as db:  # someone else's partnership of the same name in the workspace, now allowed
        db.execute(text("INSERT INTO partnerships (platform, workspace, name, name_key, kind, formality, created_at,"
                        " count_latecomers) SELECT platform, workspace, 'RIVERSIDE partnership',"
                        " name_key, kind, formality, created_at, count_latecomers FROM partnerships"))

    migrate(unmigrated, "0016_ending", down=True)  # names unique again: the later one is numbered
    with unmigrated.connect() as db:
        assert db.execute(text("SELECT name, name_key FROM partnerships ORDER BY id")).all() == [
            ("Riverside Partnership", "riverside partnership"), ("RIVERSIDE partnership (2)", "riverside partnership (2)")]
    with pytest.raises(IntegrityError), unmigrated.begin() as db:
        db.execute(text("UPDATE partnerships SET name_key = 'riverside partnership'"))
    upgrade(unmigrated)
    assert "Book the hall" in chat.ok("alice", "mine")


def rows(engine: Engine) -> dict[str, int]:
    """Row counts of the tables that refer to partnerships, and of partnerships."""
    with engine.connect() as db:
        return {table: db.scalar(text(f"SELECT count(*) FROM {table}")) or 0 for table in (
            "partnerships", "members", "channel_links", "commitments", "events", "people", "publications")}


def settle_a_proposal(engine: Engine, *meanwhile: str) -> None:
    """A partnership whose one proposal Alice agreed to and closed, typing `meanwhile` before agreeing."""
    chat = Chat(session_factory(engine))
    chat.ok("alice", 'setup "Riverside Partnership" kind:task-force')
    chat.ok("alice", 'join org:"Town Council" sector:public')
    chat.ok("alice", 'propose "Adopt the market plan" closes:friday')
    for command in meanwhile:
        chat.ok("alice", command)
    chat.ok("alice", "agree 1")
    chat.ok("alice", "close 1")


def test_0023_rebuilds_decisions_keeping_every_row_that_refers_to_them_and_their_rules(unmigrated: Engine) -> None:
    """SQLite rebuilds `decisions` and `decision_responses` to change their checks: their
    responses and interests stay, and a settled decision still refuses responses in the schema."""
    upgrade(unmigrated)
    settle_a_proposal(unmigrated, 'interest 1 "I sit on the market board"')
    migrate(unmigrated, "0021_agreement", down=True)

    def counts() -> dict[str, int]:
        with unmigrated.connect() as db:
            return {t: db.scalar(text(f"SELECT count(*) FROM {t}")) or 0
                    for t in ("decisions", "decision_responses", "interests")}

    before = counts()
    assert before == {"decisions": 1, "decision_responses": 1, "interests": 1}
    migrate(unmigrated, "head")
    assert counts() == before
    with pytest.raises(Exception, match="a settled decision"), unmigrated.begin() as db:
        db.execute(text("UPDATE decision_responses SET position = 'block', reason = 'late'"))
    with pytest.raises(Exception, match="a settled decision"), unmigrated.begin() as db:
        db.execute(text("UPDATE decisions SET title = 'Something else'"))


def test_0028_lets_only_a_decision_in_draft_minutes_be_withdrawn(engine: Engine) -> None:
    """The schema still refuses changing a settled decision, withdrawing it included, but for one
    recorded in a meeting's minutes not yet approved."""
    settle_a_proposal(engine)
    with pytest.raises(Exception, match="a settled decision"), engine.begin() as db:
        db.execute(text("UPDATE decisions SET status = 'withdrawn' WHERE number = 1"))


def test_0033_credits_work_done_and_handed_before_to_each_members_organisation_now(unmigrated: Engine) -> None:
    """Rows from before 0033 cannot say what their members spoke for then: they are credited to
    each member's organisation now (as give and take read them until then), and open work to none."""
    upgrade(unmigrated)
    chat = Chat(session_factory(unmigrated))
    chat.ok("alice", 'setup "Riverside Partnership" kind:task-force')
    chat.ok("alice", 'join org:"Town Council" sector:public')
    chat.ok("bob", 'join sector:private')  # a person speaking for no organisation
    chat.ok("bob", 'commit "Leaflets" by:2026-12-20')
    chat.ok("bob", "done 1")
    chat.ok("alice", 'commit "Insurance" by:2026-12-20')
    chat.ok("alice", "reassign 2 @bob")
    chat.ok("alice", 'commit "Licence" by:2026-12-20')
    migrate(unmigrated, "0032_nudge_days", down=True)
    with unmigrated.begin() as db:
        db.execute(text("UPDATE members SET organisation = 'Chamber of Trade' WHERE organisation IS NULL"))
    migrate(unmigrated, "head")
    with unmigrated.connect() as db:
        assert db.execute(text("SELECT title, delivered_for FROM commitments ORDER BY number")).all() == [
            ("Leaflets", "Chamber of Trade"), ("Insurance", None), ("Licence", None)]
        assert db.execute(text("SELECT from_organisation, to_organisation FROM handovers")).all() == [
            ("Town Council", "Chamber of Trade")]


def test_0037_gives_goals_a_unit_and_takes_it_away_keeping_them(unmigrated: Engine) -> None:
    """Goals set before 0037 have no unit (plain numbers); down again, the unit goes and the goal stays."""
    upgrade(unmigrated)
    chat = Chat(session_factory(unmigrated))
    chat.ok("alice", 'setup "Riverside Partnership" kind:task-force')
    chat.ok("alice", 'goal "Volunteer time" measure:"hours given" baseline:0 target:"500 hours" by:2027-08-31')
    migrate(unmigrated, "0036_counted_as_settled", down=True)
    with unmigrated.connect() as db:
        assert db.execute(text("SELECT title, target FROM goals")).one() == ("Volunteer time", 500)
    migrate(unmigrated, "head")
    with unmigrated.connect() as db:
        assert db.execute(text("SELECT title, unit FROM goals")).one() == ("Volunteer time", None)
    chat.ok("alice", "reading 1 12")
    assert "counts a plain number, not hours" in chat.refused("alice", "reading 1 13 hours")
