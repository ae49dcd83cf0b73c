"""Alembic environment: runs migrations on the connection the bot hands over."""

from alembic import context

from storage.models import Base

config = context.config
connection = config.attributes.get("connection")

if connection is None:
    # Developer use from the command line (`alembic revision --autogenerate`).
    from storage.database import make_engine

    engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    context.run_migrations()
