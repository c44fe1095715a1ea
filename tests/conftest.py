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


@pytest.fixture(scope="session")
def upgraded_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Databases migrated once per session, copied for each ``store`` (migrating every test's
    database from scratch costs about a second on PostgreSQL)."""
    import sqlalchemy as sa
    from mirrormanager_pg_store.store import SqlStore

    templates: dict[str, str] = {}
    sqlite_path = tmp_path_factory.mktemp("template") / "template.db"
    template = SqlStore(f"sqlite:///{sqlite_path}")
    template.upgrade()
    template.close()
    templates["sqlite"] = str(sqlite_path)
    server = sa.create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    name = f"mmtest_template_{secrets.token_hex(6)}"
    try:
        with server.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.make_url(PG_SERVER_URL).set(database=name).render_as_string(hide_password=False)
        template = SqlStore(url)
        template.upgrade()
        template.close()
        templates["postgresql"] = name
    except sa.exc.OperationalError:
        pass  # no server: the PostgreSQL tests fail or skip in pg_database_url
    try:
        yield templates
    finally:
        if "postgresql" in templates:
            with server.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        server.dispose()


@pytest.fixture
def store(store_url: str, upgraded_templates: dict[str, str]):
    """An upgraded ``SqlStore`` on ``store_url`` (a copy of a migrated template), closed after
    the test."""
    import shutil

    import sqlalchemy as sa
    from mirrormanager_pg_store.store import SqlStore

    url = sa.make_url(store_url)
    if url.get_backend_name() == "sqlite":
        shutil.copyfile(upgraded_templates["sqlite"], url.database)
    else:
        server = sa.create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{url.database}"')
            conn.exec_driver_sql(
                f'CREATE DATABASE "{url.database}" TEMPLATE "{upgraded_templates["postgresql"]}"'
            )
        server.dispose()
    sql_store = SqlStore(store_url)
    sql_store.check_schema()
    yield sql_store
    sql_store.close()
