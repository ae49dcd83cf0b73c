"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL.

Alembic's autogenerate compares the migrated database with the models: any table, column,
type, index or constraint the models have and the migrations lack (or the reverse) shows
up as a difference, so a model change without its migration cannot land.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from storage.models import Base


def test_the_migrations_build_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                       Base.metadata)
    assert differences == []
