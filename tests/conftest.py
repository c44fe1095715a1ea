"""Shared fixtures.  One section per subsystem; keep each small and say what it provides."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

# ============================================================================================
# databases: `store_url` (a fresh, empty database on each backend) and `store` (upgraded)
# ============================================================================================

PG_SERVER_URL = os.environ.get(
    "MIRRORMANAGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg_unavailable(reason: str) -> None:
    """No PostgreSQL: a failure in CI (it must be there), a skip on a developer machine."""
    message = f"PostgreSQL at {PG_SERVER_URL} is not usable: {reason}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def pg_database_url() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    import sqlalchemy as sa

    server = sa.create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    name = f"mmtest_{secrets.token_hex(6)}"
    try:
        with server.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        server.dispose()
        _pg_unavailable(str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc))
    try:
        yield sa.make_url(PG_SERVER_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        server.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="pg", marks=pytest.mark.postgres),
    ]
)
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """An empty database on each backend: a SQLite file in tmp_path, or a fresh PostgreSQL
    database (see ``pg_database_url``)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mirrormanager.db'}"
    return request.getfixturevalue("pg_database_url")


@pytest.fixture
def store(store_url: str):
    """An upgraded ``SqlStore`` on ``store_url``, closed after the test."""
    from mirrormanager_pg_store.store import SqlStore

    sql_store = SqlStore(store_url)
    sql_store.upgrade()
    yield sql_store
    sql_store.close()
