"""report_mirror check-ins (:class:`mmcore.checkin.store.CheckinStore`) on SQLAlchemy Core.

Mixed into ``SqlStore`` (needs ``self.engine``).  MirrorManager2 committed once per reported
directory; here one check-in is one transaction of a few batched statements (``RECORD_BATCH``
ids per ``UPDATE``/``DELETE``, one executemany ``INSERT``), whatever the number of directories.

Strings a database cannot hold (a NUL character, a lone surrogate from a client that walked a
non-UTF-8 file name) can never match a stored name; they are treated as "not found" rather
than sent to the database, which would fail the whole check-in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from mmcore.checkin.store import (
    CategoryState,
    CheckinHost,
    CheckinSite,
    HostCheckinUpdate,
    StoredDirectory,
)

from . import schema as t
from .crawl_ops import _chunks


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _upsert(conn: sa.Connection, table: sa.Table) -> Any:
    """``INSERT ... ON CONFLICT`` of the connection's dialect."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table)


class CheckinOpsMixin:
    """:class:`mmcore.checkin.store.CheckinStore` for ``SqlStore``."""

    engine: sa.Engine
    _errors: Callable[[str], AbstractContextManager[None]]

    def find_checkin_site(self, site_name: str, host_name: str) -> CheckinSite | None:
        if not _storable(site_name):
            return None
        s, h = t.site, t.host
        with self._reading("find the checking-in site in") as conn:
            site = conn.execute(
                sa.select(s.c.id, s.c.name, s.c.password, s.c.org_url)
                .where(s.c.name == site_name)
                .order_by(s.c.id)
                .limit(1)
            ).first()
            if site is None:
                return None
            host = None
            if _storable(host_name):
                host = conn.execute(
                    sa.select(h.c.id, h.c.name, h.c.private, h.c.user_active, h.c.country,
                              h.c.bandwidth_int, h.c.asn)
                    .where(h.c.site_id == site.id, h.c.name == host_name)
                    .order_by(h.c.id)
                    .limit(1)
                ).first()
        return CheckinSite(
            id=site.id,
            name=site.name,
            password=site.password,
            host=None if host is None else CheckinHost(
                id=host.id, name=host.name, private=bool(host.private),
                user_active=bool(host.user_active), country=host.country,
                bandwidth_int=host.bandwidth_int, asn=host.asn,
            ),
            org_url=site.org_url,
        )

    def checkin_categories(
        self, host_id: int, reported: Mapping[str, Sequence[str]]
    ) -> list[CategoryState]:
        hc, c, d, hcd = t.host_category, t.category, t.directory, t.host_category_dir
        states: list[CategoryState] = []
        with self._reading("read the checking-in host from") as conn:
            categories: dict[str, Any] = {}
            for row in conn.execute(
                sa.select(hc.c.id, c.c.name, d.c.name.label("topdir"))
                .select_from(hc.join(c, hc.c.category_id == c.c.id)
                             .outerjoin(d, c.c.topdir_id == d.c.id))
                .where(hc.c.host_id == host_id)
                .order_by(hc.c.id)
            ):
                categories.setdefault(row.name.lower(), row)
            matched: set[int] = set()
            for key, paths in reported.items():
                category = categories.get(key.lower())
                if category is None or category.id in matched:
                    continue
                matched.add(category.id)
                stored = tuple(
                    StoredDirectory(row.id, row.path, bool(row.up2date))
                    for row in conn.execute(
                        sa.select(hcd.c.id, hcd.c.path, hcd.c.up2date)
                        .where(hcd.c.host_category_id == category.id)
                        .order_by(hcd.c.id)
                    )
                )
                states.append(CategoryState(
                    host_category_id=category.id,
                    category_name=category.name,
                    key=key,
                    stored=stored,
                    directories=_directory_ids(conn, category.topdir, paths,
                                               {row.path for row in stored}),
                ))
        return states

    def apply_checkin(self, update: HostCheckinUpdate) -> None:
        h, s, hcd = t.host, t.site, t.host_category_dir
        values: dict[str, Any] = {"last_checked_in": update.checked_in_at}
        if update.user_active is not None:
            values["user_active"] = update.user_active
        with self._errors("record the check-in in"), self.engine.begin() as conn:
            # the first statement writes, so SQLite's write lock is taken (waiting for another
            # writer) before anything is read
            found = conn.execute(sa.update(h).where(h.c.id == update.host_id).values(**values))
            if found.rowcount == 0:
                raise LookupError(f"host {update.host_id} does not exist")
            for change in update.categories:
                for chunk in _chunks(change.mark_up2date):
                    conn.execute(sa.update(hcd).where(hcd.c.id.in_(chunk)).values(up2date=True))
                for chunk in _chunks(change.delete):
                    conn.execute(sa.delete(hcd).where(hcd.c.id.in_(chunk)))
                if change.add:
                    insert = _upsert(conn, hcd)
                    conn.execute(
                        insert.on_conflict_do_update(
                            index_elements=[hcd.c.host_category_id, hcd.c.path],
                            set_={"up2date": True, "directory_id": insert.excluded.directory_id},
                        ),
                        [
                            {"host_category_id": change.host_category_id, "path": path,
                             "up2date": True, "directory_id": directory_id}
                            for path, directory_id in change.add
                        ],
                    )
            if update.site_password is not None:
                conn.execute(sa.update(s).where(s.c.id == update.site_id)
                             .values(password=update.site_password))


def _directory_ids(
    conn: sa.Connection, topdir: str | None, paths: Sequence[str], stored: set[str | None]
) -> dict[str, int]:
    """Directory ids of the reported paths without a row, for those the master tree has."""
    if topdir is None:
        return {}
    names = {
        (f"{topdir}/{path}" if path else topdir): path
        for path in dict.fromkeys(paths)
        if path not in stored and _storable(path)
    }
    d = t.directory
    found: dict[str, int] = {}
    for chunk in _chunks(list(names)):
        for row in conn.execute(sa.select(d.c.id, d.c.name).where(d.c.name.in_(chunk))):
            found[names[row.name]] = row.id
    return found
