"""Alembic environment, driven from code (no ``alembic.ini``): the store passes an open
connection in ``config.attributes["connection"]``; see :mod:`mirrormanager_pg_store.migrate`."""

from __future__ import annotations

from alembic import context

from mirrormanager_pg_store.migrate import VERSION_TABLE
from mirrormanager_pg_store.schema import metadata


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
