"""Writes of :class:`mmcore.manage.store.ManageStore` on SQLAlchemy Core, and the generic row
reads they rest on.

Mixed into ``SqlStore`` (needs ``self.engine`` and ``self._errors``).  Only the tables and
columns of :mod:`mmcore.manage.catalog` are accepted.  Each write is one transaction together
with its ``mm_audit_log`` row; a unique or foreign-key violation becomes
:class:`mmcore.manage.errors.Conflict` (nothing written).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import sqlalchemy as sa

from mmcore.manage import catalog
from mmcore.manage.errors import Conflict, NotFound
from mmcore.manage.store import AuditRecord, Owner, Page, page_bounds

from . import schema as t

#: what a host owns, deleted with it (host_category first: its URLs and directories cascade)
_HOST_OWNED = (
    "host_category", "host_acl_ip", "host_country_allowed", "host_netblock", "host_peer_asn",
    "host_country", "host_location", "host_stats", "directory_exclusive_host", "host_crawl",
)


def table_of(name: str) -> sa.Table:
    """The schema table of a catalog kind (KeyError for anything else)."""
    catalog.kind(name)
    return t.metadata.tables[name]


def model_columns(kind: catalog.Kind, table: sa.Table) -> list[sa.Column]:
    return [table.c[f.name] for f in attrs.fields(kind.model) if f.name in table.c]


def to_model(kind: catalog.Kind, row: sa.Row) -> Any:
    mapping = row._mapping
    return kind.model(**{f.name: mapping[f.name] for f in attrs.fields(kind.model)
                         if f.name in mapping})


def _conflict_message(exc: sa.exc.IntegrityError) -> str:
    text = str(exc.orig).lower()
    code = getattr(exc.orig, "sqlstate", None)
    if code == "23503" or "foreign key" in text:
        return "it is still in use (other records refer to it), or it refers to a missing record"
    return "an entry with the same value already exists"


class ManageOpsMixin:
    """The generic row operations and the writes of ``ManageStore``."""

    engine: sa.Engine

    @contextlib.contextmanager
    def _manage_write(self, doing: str) -> Iterator[sa.Connection]:
        with self._errors(doing):  # type: ignore[attr-defined]
            try:
                with self.engine.begin() as conn:
                    yield conn
            except sa.exc.IntegrityError as exc:
                raise Conflict(f"cannot {doing.split(' ', 1)[0]} this: "
                               f"{_conflict_message(exc)}") from exc

    # -- generic reads -------------------------------------------------------------------------

    def get_row(self, table: str, row_id: int) -> Any | None:
        kind = catalog.kind(table)
        tab = table_of(table)
        with self._reading(f"read {table} {row_id} from") as conn:  # type: ignore[attr-defined]
            row = conn.execute(sa.select(*model_columns(kind, tab))
                               .where(tab.c.id == row_id)).one_or_none()
        return to_model(kind, row) if row is not None else None

    def list_rows(self, table: str, page: int, page_size: int,
                  parent_id: int | None = None) -> Page[Any]:
        kind = catalog.kind(table)
        tab = table_of(table)
        page, page_size = page_bounds(page, page_size)
        where = []
        if parent_id is not None and kind.parent_column:
            where.append(tab.c[kind.parent_column] == parent_id)
        with self._reading(f"list {table} of") as conn:  # type: ignore[attr-defined]
            total = conn.execute(sa.select(sa.func.count()).select_from(tab).where(*where)).scalar_one()
            rows = conn.execute(
                sa.select(*model_columns(kind, tab)).where(*where)
                .order_by(*(tab.c[c] for c in kind.order_by), tab.c.id)
                .limit(page_size).offset((page - 1) * page_size)
            ).all()
        return Page(tuple(to_model(kind, r) for r in rows), total, page, page_size)

    def owner_of(self, table: str, row_id: int) -> Owner | None:
        kind = catalog.kind(table)
        tab = table_of(table)
        h, hc = t.host, t.host_category
        with self._reading(f"find the owner of {table} {row_id} in") as conn:  # type: ignore[attr-defined]
            if table == "site":
                found = conn.execute(sa.select(tab.c.id).where(tab.c.id == row_id)).scalar()
                return Owner(table, row_id, None, None, row_id) if found else None
            if table in ("site_admin", "host"):
                site_id = conn.execute(sa.select(tab.c.site_id).where(tab.c.id == row_id)).one_or_none()
                if site_id is None:
                    return None
                return Owner(table, row_id, site_id[0], row_id if table == "host" else None,
                             site_id[0])
            if kind.parent == "host":
                row = conn.execute(
                    sa.select(tab.c.host_id, h.c.site_id)
                    .select_from(tab.outerjoin(h, tab.c.host_id == h.c.id))
                    .where(tab.c.id == row_id)
                ).one_or_none()
                return Owner(table, row_id, row.host_id, row.host_id, row.site_id) if row else None
            if kind.parent == "host_category":
                row = conn.execute(
                    sa.select(tab.c.host_category_id, hc.c.host_id, h.c.site_id)
                    .select_from(tab.join(hc, tab.c.host_category_id == hc.c.id)
                                 .outerjoin(h, hc.c.host_id == h.c.id))
                    .where(tab.c.id == row_id)
                ).one_or_none()
                return (Owner(table, row_id, row.host_category_id, row.host_id, row.site_id)
                        if row else None)
            found = conn.execute(sa.select(tab.c.id).where(tab.c.id == row_id)).scalar()
            return Owner(table, row_id, None, None, None) if found else None

    # -- writes --------------------------------------------------------------------------------

    def insert_row(self, table: str, values: Mapping[str, Any], audit: AuditRecord) -> int:
        kind = catalog.kind(table)
        _check_columns(kind, values)
        tab = table_of(table)
        with self._manage_write(f"add {kind.label} to") as conn:
            row_id = conn.execute(sa.insert(tab).values(**values).returning(tab.c.id)).scalar_one()
            _record(conn, audit, row_id, kind, values)
        return row_id

    def update_row(self, table: str, row_id: int, values: Mapping[str, Any], audit: AuditRecord,
                   *, mark_not_up2date: bool = False) -> None:
        kind = catalog.kind(table)
        _check_columns(kind, values)
        tab = table_of(table)
        with self._manage_write(f"change {kind.label} in") as conn:
            done = conn.execute(sa.update(tab).where(tab.c.id == row_id).values(**values)).rowcount
            if not done:
                raise NotFound(f"no {kind.label} {row_id}")
            if mark_not_up2date and table in ("host", "site"):
                _mark_not_up2date(conn, table, row_id)
            _record(conn, audit, row_id, kind, values)

    def delete_row(self, table: str, row_id: int, audit: AuditRecord) -> None:
        kind = catalog.kind(table)
        with self._manage_write(f"delete {kind.label} from") as conn:
            if table == "site":
                host_ids = conn.execute(sa.select(t.host.c.id).where(t.host.c.site_id == row_id)).scalars().all()
                for host_id in host_ids:
                    _delete_host(conn, host_id)
                conn.execute(sa.delete(t.site_admin).where(t.site_admin.c.site_id == row_id))
                s2s = t.site_to_site
                conn.execute(sa.delete(s2s).where(sa.or_(s2s.c.upstream_site_id == row_id,
                                                         s2s.c.downstream_site_id == row_id)))
            elif table == "host":
                _delete_host(conn, row_id, keep_row=True)
            elif table == "host_category":
                _delete_host_categories(conn, [row_id])
            tab = table_of(table)
            if not conn.execute(sa.delete(tab).where(tab.c.id == row_id)).rowcount:
                raise NotFound(f"no {kind.label} {row_id}")
            _record(conn, audit, row_id, kind, {})

    def create_site(self, values: Mapping[str, Any], creator: str, audit: AuditRecord) -> int:
        kind = catalog.kind("site")
        _check_columns(kind, values)
        with self._manage_write("create the site in") as conn:
            site_id = conn.execute(
                sa.insert(t.site).values(**values, created_by=creator).returning(t.site.c.id)
            ).scalar_one()
            conn.execute(sa.insert(t.site_admin).values(site_id=site_id, username=creator))
            _record(conn, audit, site_id, kind, values)
        return site_id

    def remove_site_admin(self, admin_id: int, audit: AuditRecord) -> None:
        sa_t = t.site_admin
        with self._manage_write("remove the site admin from") as conn:
            row = conn.execute(sa.select(sa_t.c.site_id, sa_t.c.username)
                               .where(sa_t.c.id == admin_id)).one_or_none()
            if row is None:
                raise NotFound(f"no site admin {admin_id}")
            others = conn.execute(
                sa.select(sa.func.count()).select_from(sa_t)
                .where(sa_t.c.site_id == row.site_id, sa_t.c.id != admin_id,
                       sa_t.c.username.is_not(None), sa_t.c.username != row.username)
            ).scalar_one()
            if not others:
                raise Conflict("There is only one admin set, you cannot delete it.")
            conn.execute(sa.delete(sa_t).where(sa_t.c.id == admin_id))
            _record(conn, audit, admin_id, catalog.kind("site_admin"), {})


def _check_columns(kind: catalog.Kind, values: Mapping[str, Any]) -> None:
    unknown = set(values) - set(kind.columns)
    if unknown:
        raise KeyError(f"{kind.table} cannot set {sorted(unknown)}")


def _record(conn: sa.Connection, audit: AuditRecord, row_id: int, kind: catalog.Kind,
            values: Mapping[str, Any]) -> None:
    """Insert the audit entry; a create learns its site and host from the new row."""
    site_id, host_id = audit.site_id, audit.host_id
    if audit.action == "create":
        if kind.table == "site":
            site_id = row_id
        elif kind.table == "host":
            host_id = row_id
    conn.execute(sa.insert(t.mm_audit_log).values(
        username=audit.username, action=audit.action, object_type=audit.object_type,
        object_id=audit.object_id if audit.object_id is not None else row_id,
        site_id=site_id, host_id=host_id, summary=audit.summary,
    ))


def _mark_not_up2date(conn: sa.Connection, table: str, row_id: int) -> None:
    hc, hcd, h = t.host_category, t.host_category_dir, t.host
    hosts = (sa.select(h.c.id).where(h.c.site_id == row_id) if table == "site"
             else sa.select(sa.literal(row_id)))
    conn.execute(
        sa.update(hcd)
        .where(hcd.c.host_category_id.in_(sa.select(hc.c.id).where(hc.c.host_id.in_(hosts))),
               hcd.c.up2date.is_(True))
        .values(up2date=False)
    )


def _delete_host_categories(conn: sa.Connection, hc_ids: list[int]) -> None:
    if not hc_ids:
        return
    conn.execute(sa.delete(t.host_category_url).where(t.host_category_url.c.host_category_id.in_(hc_ids)))
    conn.execute(sa.delete(t.host_category_dir).where(t.host_category_dir.c.host_category_id.in_(hc_ids)))


def _delete_host(conn: sa.Connection, host_id: int, keep_row: bool = False) -> None:
    hc_ids = list(conn.execute(sa.select(t.host_category.c.id)
                               .where(t.host_category.c.host_id == host_id)).scalars())
    _delete_host_categories(conn, hc_ids)
    for name in _HOST_OWNED:
        owned = t.metadata.tables[name]
        conn.execute(sa.delete(owned).where(owned.c.host_id == host_id))
    if not keep_row:
        conn.execute(sa.delete(t.host).where(t.host.c.id == host_id))
