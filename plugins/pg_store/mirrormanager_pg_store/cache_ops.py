"""The cache writer's reads (:class:`mmcore.cache.CacheSource`) on SQLAlchemy Core.

All reads of one cache write run in one read-only transaction (REPEATABLE READ on PostgreSQL; on
SQLite the WAL read snapshot of the transaction), so the file describes one moment of the
database.  Every query has a total ORDER BY on integer keys: text is never ordered by the
database, whose collation differs between backends.  The big tables are streamed (server-side
cursor on PostgreSQL, ``fetchmany`` batches on SQLite).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from mmcore.cache import (
    CacheDirectoryHosts,
    CacheFileDetail,
    CacheHost,
    CacheHostCategory,
    CacheRepository,
    CacheSnapshot,
)
from mmcore.store import StoreError

from . import schema as t

STREAM_BATCH = 10_000
#: PostgreSQL work_mem for the snapshot's transaction (the aggregate of host_category_dir)
PG_WORK_MEM = "256MB"


class SqlCacheSnapshot:
    """:class:`mmcore.cache.CacheSnapshot` over one open connection and transaction."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def _rows(self, statement: sa.Select[Any]) -> Iterator[Any]:
        result = self._conn.execution_options(
            stream_results=True, yield_per=STREAM_BATCH
        ).execute(statement)
        try:
            for partition in result.partitions():
                yield from partition
        finally:
            result.close()

    def hosts(self) -> Iterator[CacheHost]:
        h, s = t.host, t.site
        statement = (
            sa.select(
                h.c.id, h.c.name, h.c.user_active, h.c.admin_active, s.c.user_active,
                s.c.admin_active, h.c.private, s.c.private, h.c.bandwidth_int, h.c.country,
                h.c.asn, h.c.asn_clients, h.c.max_connections, h.c.internet2,
                h.c.internet2_clients,
            )
            .select_from(h.join(s, h.c.site_id == s.c.id))
            .order_by(h.c.id)
        )
        for row in self._rows(statement):
            yield CacheHost(
                id=row[0], name=row[1], user_active=bool(row[2]), admin_active=bool(row[3]),
                site_user_active=bool(row[4]), site_admin_active=bool(row[5]),
                private=bool(row[6]), site_private=bool(row[7]), bandwidth_int=row[8],
                country=row[9], asn=row[10], asn_clients=bool(row[11]),
                max_connections=row[12], internet2=bool(row[13]),
                internet2_clients=bool(row[14]),
            )

    def host_countries_allowed(self) -> Iterator[tuple[int, str]]:
        c = t.host_country_allowed.c
        statement = (
            sa.select(c.host_id, c.country)
            .where(c.host_id.is_not(None))
            .order_by(c.host_id, c.id)
        )
        return (tuple(row) for row in self._rows(statement))

    def host_netblocks(self) -> Iterator[tuple[int, str]]:
        c = t.host_netblock.c
        statement = (
            sa.select(c.host_id, c.netblock)
            .where(c.host_id.is_not(None), c.netblock.is_not(None))
            .order_by(c.host_id, c.id)
        )
        return (tuple(row) for row in self._rows(statement))

    def public_host_category_urls(self) -> Iterator[tuple[int, int, str]]:
        c = t.host_category_url.c
        statement = (
            sa.select(c.id, c.host_category_id, c.url).where(c.private == sa.false()).order_by(c.id)
        )
        return (tuple(row) for row in self._rows(statement))

    def url_address_families(self) -> Iterator[tuple[int, bool | None, bool | None]]:
        c = t.host_category_url.c
        statement = (
            sa.select(c.id, c.ipv4, c.ipv6)
            .where(c.private == sa.false(), sa.or_(c.ipv4.is_not(None), c.ipv6.is_not(None)))
            .order_by(c.id)
        )
        for row in self._rows(statement):
            yield row[0], None if row[1] is None else bool(row[1]), \
                None if row[2] is None else bool(row[2])

    def host_categories(self) -> Iterator[CacheHostCategory]:
        c = t.host_category.c
        statement = sa.select(c.id, c.host_id, c.category_id, c.always_up2date).order_by(c.id)
        for row in self._rows(statement):
            yield CacheHostCategory(row[0], row[1], row[2], bool(row[3]))

    def directory_host_lists(self) -> Iterator[CacheDirectoryHosts]:
        cat, d, cd, hcd = t.category, t.directory, t.category_directory, t.host_category_dir
        topdir = d.alias("topdir")
        topdirs: dict[int, str] = {
            row[0]: row[1]
            for row in self._conn.execute(
                sa.select(cat.c.id, topdir.c.name).select_from(
                    cat.join(topdir, cat.c.topdir_id == topdir.c.id)
                )
            )
        }
        directories = self._rows(
            sa.select(d.c.id, d.c.name, sa.func.min(cd.c.category_id))
            .select_from(d.join(cd, cd.c.directory_id == d.c.id))
            .group_by(d.c.id, d.c.name)
            .order_by(d.c.id)
        )
        if self._conn.dialect.name == "postgresql":
            ids = sa.func.string_agg(sa.cast(hcd.c.host_category_id, sa.Text), ",")
        else:
            ids = sa.func.group_concat(hcd.c.host_category_id, ",")
        # host_category_dir aggregated by the database, one row per directory.  On SQLite this
        # reads ix_host_category_dir_directory_up2date_hc alone, in directory order, without
        # sorting; the up2date test is the aggregate's FILTER rather than a WHERE, which would
        # make SQLite's planner take the index on up2date and sort millions of rows instead.
        # (Joined to the directories in SQL, SQLite would copy and sort the lists twice more.)
        host_lists = self._rows(
            sa.select(hcd.c.directory_id, ids.filter(hcd.c.up2date == sa.true()))
            .where(hcd.c.directory_id.is_not(None))
            .group_by(hcd.c.directory_id)
            .order_by(hcd.c.directory_id)
        )
        pending = next(host_lists, None)
        for directory_id, name, category_id in directories:
            while pending is not None and pending[0] < directory_id:
                pending = next(host_lists, None)
            joined = pending[1] if pending is not None and pending[0] == directory_id else None
            yield directory_id, name, category_id, topdirs.get(category_id), joined or ""

    def file_details(self) -> Iterator[CacheFileDetail]:
        f, d = t.file_detail, t.directory
        statement = (
            sa.select(
                f.c.directory_id, d.c.name, f.c.filename, f.c.timestamp, f.c.size, f.c.sha1,
                f.c.md5, f.c.sha256, f.c.sha512,
            )
            .select_from(f.join(d, f.c.directory_id == d.c.id))
            .order_by(f.c.directory_id, f.c.id)
        )
        return (tuple(row) for row in self._rows(statement))  # type: ignore[misc]

    def repositories(self) -> Iterator[CacheRepository]:
        r, a, d = t.repository, t.arch, t.directory
        statement = (
            sa.select(r.c.id, r.c.prefix, a.c.name, r.c.directory_id, d.c.name, r.c.disabled)
            .select_from(
                r.join(d, r.c.directory_id == d.c.id).outerjoin(a, r.c.arch_id == a.c.id)
            )
            .where(r.c.version_id.is_not(None), r.c.arch_id.is_not(None))
            .order_by(r.c.directory_id, r.c.id)
        )
        for row in self._rows(statement):
            yield CacheRepository(row[0], row[1], row[2], row[3], row[4], bool(row[5]))

    def repository_redirects(self) -> Iterator[tuple[str, str | None]]:
        c = t.repository_redirect.c
        return (tuple(r) for r in self._rows(sa.select(c.from_repo, c.to_repo).order_by(c.id)))

    def country_continent_redirects(self) -> Iterator[tuple[str, str]]:
        c = t.country_continent_redirect.c
        return (tuple(r) for r in self._rows(sa.select(c.country, c.continent).order_by(c.id)))

    def netblock_countries(self) -> Iterator[tuple[str, str]]:
        c = t.netblock_country.c
        return (tuple(r) for r in self._rows(sa.select(c.netblock, c.country).order_by(c.id)))


class CacheOpsMixin:
    """Implements :class:`mmcore.cache.CacheSource` for ``SqlStore`` (needs ``self.engine`` and
    ``self.dialect``)."""

    engine: sa.Engine
    dialect: str

    @contextlib.contextmanager
    def cache_snapshot(self) -> Iterator[CacheSnapshot]:
        try:
            with self._cache_connection() as snapshot:
                yield snapshot
        except sa.exc.SQLAlchemyError as exc:
            orig = getattr(exc, "orig", None)
            detail = str(orig).strip().splitlines()[0] if orig else str(exc)
            where = getattr(self, "display_url", self.engine.url.render_as_string())
            raise StoreError(f"cannot read the cache snapshot from {where}: {detail}") from exc

    @contextlib.contextmanager
    def _cache_connection(self) -> Iterator[CacheSnapshot]:
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                conn = conn.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            with conn.begin():
                if self.dialect == "postgresql":
                    # the host_category_dir aggregate reads millions of rows: in memory,
                    # without JIT compilation (which costs more than it saves here), and in
                    # directory order from the covering index rather than hashed -- the
                    # planner underestimates the directories (26k for 92k at Fedora scale)
                    # and picks a hash aggregate that spills and then sorts.  Fedora scale,
                    # EXPLAIN ANALYZE: hashed 3.6 s, streamed 2.9 s on a table not vacuumed
                    # yet; hashed 2.7 s, streamed 1.45 s (index-only) once it is
                    conn.exec_driver_sql(f"SET LOCAL work_mem = '{PG_WORK_MEM}'")
                    conn.exec_driver_sql("SET LOCAL jit = off")
                    conn.exec_driver_sql("SET LOCAL enable_hashagg = off")
                yield SqlCacheSnapshot(conn)
