"""The PostgreSQL cursor's description, made on first use (storage/cursor.py), reads as psycopg's own."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, text

from storage.cursor import Description
from storage.models import Partnership


@pytest.fixture
def raw(engine: Engine):  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        pytest.skip("the cursor is PostgreSQL's")
    with engine.connect() as connection:
        yield connection.connection.dbapi_connection


def test_a_description_names_and_types_the_columns_as_psycopg_does(raw) -> None:  # type: ignore[no-untyped-def]
    cursor = raw.cursor()
    cursor.execute("SELECT 1 AS one, 'two'::text AS two, now() AS three")
    description = cursor.description
    assert isinstance(description, Description) and len(description) == 3 and description
    assert [(c.name, c.type_code) for c in description] == [("one", 23), ("two", 25), ("three", 1184)]
    assert description[1].name == "two" and [c.name for c in description[1:]] == ["two", "three"]
    assert description[0][:2] == ("one", 23)  # a DBAPI 7-item sequence, as SQLAlchemy reads it


def test_a_description_read_late_is_of_its_own_result(raw) -> None:  # type: ignore[no-untyped-def]
    """Made on first use, it still describes the statement it came from, not the cursor's next one."""
    cursor = raw.cursor()
    cursor.execute("SELECT 1 AS first")
    kept = cursor.description
    cursor.execute("SELECT 'a' AS second, 'b' AS third")
    assert [c.name for c in kept] == ["first"]
    assert [c.name for c in cursor.description] == ["second", "third"]


def test_no_columns_is_no_description(raw) -> None:  # type: ignore[no-untyped-def]
    cursor = raw.cursor()
    cursor.execute("SET application_name = 'partnerbot-test'")
    assert cursor.description is None


def test_the_orm_reads_rows_by_name_through_it(engine: Engine) -> None:
    """SQLAlchemy reads the description on a statement's first run and keeps it for the next."""
    with engine.connect() as connection:
        for _ in range(2):
            row = connection.execute(text("SELECT 7 AS seven, 'x' AS ex")).one()
            assert (row.seven, row.ex) == (7, "x")
        assert connection.execute(select(Partnership.id, Partnership.name)).all() == []
