"""``SqlStore``: the :class:`mmcore.store.Store` on SQLAlchemy 2 (SQLite and PostgreSQL).

One engine per store.  The pool is sized so that :func:`mmcore.db.run_db`'s limiter (``pool_size``
threads) never waits on it: ``max_overflow=0``.

SQLite specifics, set on every new connection:

* ``timeout=30``: a writer waits for the lock instead of failing at once;
* WAL journal: readers (the web UI, the cache writer) are not blocked by a writer;
* ``foreign_keys=ON``: SQLite ignores foreign keys (and ON DELETE CASCADE) without it;
* the driver's own transaction handling is switched off and SQLAlchemy emits ``BEGIN`` itself,
  so that DDL and every statement really run inside the transaction SQLAlchemy reports (the
  ``sqlite3`` module otherwise only begins transactions before DML).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import StaticPool

from mmcore.deployment import Deployment
from mmcore.store import (
    ProgressCallback,
    SchemaOutOfDate,
    StoreConfigError,
    StoreError,
    StoreMissing,
)

from . import bulk, deployment_read, deployment_write, migrate, schema
from .accounts_ops import AccountOpsMixin
from .api_ops import ApiOpsMixin
from .cache_ops import CacheOpsMixin
from .checkin_ops import CheckinOpsMixin
from .crawl_ops import CrawlOpsMixin
from .manage_ops import ManageOpsMixin
from .manage_reads import ManageReadsMixin
from .ops_ops import OpsOpsMixin
from .public_ops import PublicOpsMixin
from .scan_ops import ScanOpsMixin
from .stats_ops import StatsOpsMixin

log = logging.getLogger(__name__)

DEFAULT_POOL_SIZE = 5


def normalise_url(url: str | sa.URL) -> sa.URL:
    """Parse ``url``; a bare ``postgresql://`` means psycopg 3 (SQLAlchemy would pick psycopg2).

    :raises StoreConfigError: the URL is malformed.
    """
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise StoreConfigError(f"[database] url {str(url)!r} is not a valid URL: {exc}") from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _is_memory_sqlite(url: sa.URL) -> bool:
    return url.database in (None, "", ":memory:") or (url.query.get("mode") == "memory")


def _sqlite_engine(url: sa.URL, pool_size: int) -> tuple[sa.Engine, int]:
    if _is_memory_sqlite(url):
        # one shared connection, or every checkout would see its own empty database
        engine = sa.create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False, "timeout": 30}
        )
        pool_size = 1
    else:
        engine = sa.create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=0,
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not _is_memory_sqlite(url):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine, pool_size


def _postgresql_engine(url: sa.URL, pool_size: int) -> tuple[sa.Engine, int]:
    engine = sa.create_engine(url, pool_size=pool_size, max_overflow=0, pool_pre_ping=True)
    return engine, pool_size


class SqlStore(ScanOpsMixin, CrawlOpsMixin, CacheOpsMixin, OpsOpsMixin, StatsOpsMixin,
               ManageOpsMixin, ManageReadsMixin, PublicOpsMixin, AccountOpsMixin,
               CheckinOpsMixin, ApiOpsMixin):
    """MirrorManager storage on a SQLite file or a PostgreSQL database (see module docs)."""

    def __init__(
        self, url: str | sa.URL, *, pool_size: int = DEFAULT_POOL_SIZE, create: bool = True
    ) -> None:
        """
        :param create: whether an absent SQLite file may be created (read-only commands pass
            ``False`` and get :class:`StoreMissing` instead of an empty database left behind).
        :raises StoreConfigError: a malformed URL, or one of another database kind.
        """
        self.url: sa.URL = normalise_url(url)
        self.display_url: str = self.url.render_as_string(hide_password=True)
        self.dialect: str = self.url.get_backend_name()
        if self.dialect == "sqlite":
            if not create and not _is_memory_sqlite(self.url):
                if not Path(self.url.database).exists():
                    raise StoreMissing(
                        f"database {self.display_url} does not exist; "
                        "run `mirrormanager db upgrade` to create it"
                    )
            self.engine, self.pool_size = _sqlite_engine(self.url, pool_size)
        elif self.dialect == "postgresql":
            self.engine, self.pool_size = _postgresql_engine(self.url, pool_size)
        else:
            raise StoreConfigError(
                f"unsupported database URL {self.display_url} (sqlite or postgresql)"
            )

    def __repr__(self) -> str:
        return f"SqlStore({self.display_url!r})"

    # ----------------------------------------------------------------------------------------
    # lifecycle
    # ----------------------------------------------------------------------------------------

    def upgrade(self) -> str:
        """Create or migrate the schema to the newest revision, in one transaction."""
        with self._errors("upgrade"), self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # two processes upgrading at once would both try to create the tables
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7242351)")
            migrate.upgrade(conn)
            revision = migrate.current_revision(conn)
        assert revision is not None
        return revision

    def current_revision(self) -> str | None:
        with self._reading("read the schema revision of") as conn:
            return migrate.current_revision(conn)

    @staticmethod
    def head_revision() -> str:
        """The newest schema revision this code knows."""
        return migrate.head_revision()

    def check_schema(self) -> None:
        current = self.current_revision()
        head = migrate.head_revision()
        if current == head:
            return
        if current is None:
            raise SchemaOutOfDate(
                f"database {self.display_url} has no MirrorManager schema; "
                "run `mirrormanager db upgrade`"
            )
        raise SchemaOutOfDate(
            f"database {self.display_url} is at schema revision {current}, this code needs "
            f"{head}; run `mirrormanager db upgrade`"
        )

    def table_counts(self) -> dict[str, int]:
        with self._reading("count the rows of") as conn:
            present = set(sa.inspect(conn).get_table_names())
            return {
                name: int(conn.execute(
                    sa.select(sa.func.count()).select_from(schema.metadata.tables[name])
                ).scalar_one())
                for name in sorted(schema.ALL_TABLES)
                if name in present
            }

    def close(self) -> None:
        self.engine.dispose()

    # ----------------------------------------------------------------------------------------
    # declarative deployment
    # ----------------------------------------------------------------------------------------

    def load_deployment(self) -> Deployment:
        with self._reading("read the deployment from") as conn:
            return deployment_read.load_deployment(conn)

    def apply_deployment(self, deployment: Deployment) -> None:
        with self._errors("apply the deployment to"), self.engine.begin() as conn:
            deployment_write.apply_deployment(conn, deployment)

    # ----------------------------------------------------------------------------------------
    # bulk loading
    # ----------------------------------------------------------------------------------------

    def bulk_load(
        self,
        tables: Mapping[str, tuple[tuple[str, ...], Iterable[tuple[Any, ...]]]],
        progress: ProgressCallback | None = None,
    ) -> dict[str, int]:
        bulk.check_tables(tables)
        with self._errors("bulk load into"):
            if self.dialect == "sqlite":
                return bulk.load_sqlite(self.engine, tables, progress)
            return bulk.load_postgresql(self.engine, tables, progress)

    # ----------------------------------------------------------------------------------------
    # helpers
    # ----------------------------------------------------------------------------------------

    def _errors(self, doing: str) -> _ErrorTranslation:
        return _ErrorTranslation(f"cannot {doing} {self.display_url}")

    @contextlib.contextmanager
    def _reading(self, doing: str) -> Iterator[sa.Connection]:
        """A connection for reads (errors translated as by :meth:`_errors`).  It ends in
        COMMIT, not ROLLBACK: psycopg forgets every statement it prepared on a connection at a
        ROLLBACK, and PostgreSQL then plans each query again, which is most of a small read's
        server time (the host page's reads: 2.3 ms -> 1.0 ms of server CPU).  A read has
        nothing to undo; an error still rolls back."""
        with self._errors(doing), self.engine.begin() as conn:
            yield conn


class _ErrorTranslation:
    """Turns database errors into :class:`StoreError` with a message saying what failed where;
    the original stays available as ``__cause__``."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 _tb: object) -> bool:
        if isinstance(exc, StoreError) and not str(exc).startswith("cannot "):
            raise StoreError(f"{self.what}: {exc}") from exc
        if isinstance(exc, sa.exc.DBAPIError):
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise StoreError(f"{self.what}: {detail}") from exc
        if isinstance(exc, sa.exc.SQLAlchemyError):
            raise StoreError(f"{self.what}: {exc}") from exc
        return False
