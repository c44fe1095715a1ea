"""Access statistics (``stats import``, ``expire-stats``) for ``SqlStore``.

``access_stat`` (MirrorManager2's table, read by the UI) is derived: for each day it is the sum
of the counts of every log imported for that day, kept per log in ``access_stat_import_count``.
A log is identified by the digest of its content, so importing it again replaces its counts --
the day is counted once -- while two logs holding parts of one day add up.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from mmcore.ops.store import (
    ACCESS_STAT_CATEGORIES,
    AccessImportOutcome,
    AccessLogImport,
    ExpireStatsReport,
)

from . import schema as t
from .ops_ops import chunks, transaction

#: access_stat.name and access_stat_import_count.name are VARCHAR(255)
NAME_LIMIT = 255


def _category_ids(conn: sa.Connection) -> dict[str, int]:
    c = t.access_stat_category
    ids = {name: cid for cid, name in conn.execute(sa.select(c.c.id, c.c.name))}
    for name in ACCESS_STAT_CATEGORIES:
        if name not in ids:
            ids[name] = int(conn.execute(
                sa.insert(c).values(name=name).returning(c.c.id)
            ).scalar_one())
    return ids


def _insert(conn: sa.Connection, table: sa.Table, rows: Iterable[dict[str, Any]]) -> int:
    written = 0
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= 1000:
            conn.execute(sa.insert(table), batch)
            written += len(batch)
            batch = []
    if batch:
        conn.execute(sa.insert(table), batch)
        written += len(batch)
    return written


class StatsOpsMixin:
    """The statistics part of :class:`mmcore.ops.store.OpsStore` for ``SqlStore``."""

    engine: sa.Engine

    def import_access_logs(self, logs: Sequence[AccessLogImport], *,
                           dry_run: bool) -> AccessImportOutcome:
        with transaction(self, "import access statistics into", dry_run) as conn:
            if conn.dialect.name == "postgresql":
                # two imports at once would rebuild the same days from different ledgers
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7242352)")
            categories = _category_ids(conn)
            days: set[datetime.date] = set()
            replaced = []
            for log in logs:
                days.update(log.counts)
                if self._forget(conn, log.digest, days):
                    replaced.append(log.source)
                self._record(conn, log, categories)
            written = self._rebuild_days(conn, sorted(days))
            return AccessImportOutcome(replaced=tuple(replaced), days=tuple(sorted(days)),
                                       rows_written=written)

    @staticmethod
    def _forget(conn: sa.Connection, digest: str, days: set[datetime.date]) -> bool:
        """Drop an earlier import of the same content (adding its days); ``True`` if any."""
        imp, cnt = t.access_stat_import, t.access_stat_import_count
        previous = conn.execute(sa.select(imp.c.id).where(imp.c.digest == digest)).scalar()
        if previous is None:
            return False
        days.update(conn.execute(
            sa.select(cnt.c.date).distinct().where(cnt.c.import_id == previous)
        ).scalars())
        conn.execute(sa.delete(cnt).where(cnt.c.import_id == previous))
        conn.execute(sa.delete(imp).where(imp.c.id == previous))
        return True

    @staticmethod
    def _record(conn: sa.Connection, log: AccessLogImport, categories: dict[str, int]) -> None:
        imp, cnt = t.access_stat_import, t.access_stat_import_count
        import_id = int(conn.execute(
            sa.insert(imp).values(digest=log.digest, source=log.source[-1000:],
                                  lines=log.lines, garbage=log.garbage)
            .returning(imp.c.id)
        ).scalar_one())
        _insert(conn, cnt, (
            {"import_id": import_id, "category_id": categories[category], "date": day,
             "name": name, "requests": requests}
            for day, by_category in sorted(log.counts.items())
            for category, by_name in sorted(by_category.items())
            for name, requests in sorted(_merge_truncated(by_name).items())
        ))

    def _rebuild_days(self, conn: sa.Connection, days: list[datetime.date]) -> int:
        s, cnt = t.access_stat, t.access_stat_import_count
        written = 0
        for chunk in chunks(days, 50):
            conn.execute(sa.delete(s).where(s.c.date.in_(chunk)))
            totals: dict[tuple[int, datetime.date], int] = {}
            rows = conn.execute(
                sa.select(cnt.c.category_id, cnt.c.date, cnt.c.name,
                          sa.func.sum(cnt.c.requests))
                .where(cnt.c.date.in_(chunk))
                .group_by(cnt.c.category_id, cnt.c.date, cnt.c.name)
            ).all()
            for category_id, day, _name, requests in rows:
                totals[(category_id, day)] = totals.get((category_id, day), 0) + int(requests)
            written += _insert(conn, s, (
                {"category_id": category_id, "date": day, "name": name,
                 "requests": int(requests),
                 "percent": round(100.0 * int(requests) / totals[(category_id, day)], 4)}
                for category_id, day, name, requests in rows
            ))
        return written

    def expire_statistics(self, access_before: datetime.date,
                          propagation_before: datetime.datetime, *,
                          dry_run: bool) -> ExpireStatsReport:
        s, cnt, imp, ps = (t.access_stat, t.access_stat_import_count, t.access_stat_import,
                           t.propagation_stat)
        with transaction(self, "expire statistics in", dry_run) as conn:
            access = conn.execute(sa.delete(s).where(s.c.date < access_before)).rowcount
            conn.execute(sa.delete(cnt).where(cnt.c.date < access_before))
            # a log none of whose days are left is forgotten too
            conn.execute(sa.delete(imp).where(
                ~sa.exists().where(cnt.c.import_id == imp.c.id),
                imp.c.imported_at < datetime.datetime.combine(access_before, datetime.time()),
            ))
            propagation = conn.execute(
                sa.delete(ps).where(ps.c.datetime < propagation_before)
            ).rowcount
            return ExpireStatsReport(access_stats_deleted=access,
                                     propagation_stats_deleted=propagation)


def _merge_truncated(by_name: Mapping[str, int]) -> Mapping[str, int]:
    """Names cut to the column's length may collide; their counts add up."""
    if all(len(name) <= NAME_LIMIT for name in by_name):
        return by_name
    merged: dict[str, int] = {}
    for name, requests in by_name.items():
        key = name[:NAME_LIMIT]
        merged[key] = merged.get(key, 0) + requests
    return merged
