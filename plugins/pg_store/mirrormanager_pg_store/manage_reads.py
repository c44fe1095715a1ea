"""Reads of :class:`mmcore.manage.store.ManageStore`: sites, hosts, choices, the audit log.

Mixed into ``SqlStore``.  A host page costs a fixed number of small queries (no query per
category or per row), and list reads fetch only the page's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from mmcore.manage import catalog
from mmcore.manage.store import (
    AuditEntry,
    Choice,
    HostDetail,
    Page,
    SiteDetail,
    SiteSummary,
    page_bounds,
)

from . import schema as t
from .host_reads import read_host_detail
from .manage_ops import model_columns, table_of, to_model


def _rows(conn: sa.Connection, table: sa.Table, *where: Any,
          order: Sequence[Any] = ()) -> tuple[Any, ...]:
    kind = catalog.kind(table.name)
    query = sa.select(*model_columns(kind, table)).where(*where).order_by(*order, table.c.id)
    return tuple(to_model(kind, row) for row in conn.execute(query))


class ManageReadsMixin:
    engine: sa.Engine

    def site_admin_names(self, site_id: int) -> tuple[str, ...]:
        sa_t = t.site_admin
        with self._reading("read the site admins from") as conn:  # type: ignore[attr-defined]
            names = conn.execute(sa.select(sa_t.c.username).distinct()
                                 .where(sa_t.c.site_id == site_id, sa_t.c.username.is_not(None)))
            return tuple(sorted(names.scalars()))

    def _summary_select(self) -> sa.Select:
        s, h = t.site, t.host
        hosts = (sa.select(sa.func.count()).where(h.c.site_id == s.c.id)
                 .correlate(s).scalar_subquery())
        return sa.select(s.c.id, s.c.name, s.c.org_url, s.c.private, s.c.admin_active,
                         s.c.user_active, hosts.label("hosts"), s.c.created_by)

    def sites_of(self, username: str) -> tuple[SiteSummary, ...]:
        s, sa_t = t.site, t.site_admin
        mine = sa.select(sa_t.c.site_id).where(sa_t.c.username == username)
        with self._reading("read the sites of a user from") as conn:  # type: ignore[attr-defined]
            rows = conn.execute(self._summary_select().where(s.c.id.in_(mine))
                                .order_by(s.c.name, s.c.id))
            return tuple(SiteSummary(*row) for row in rows)

    def list_sites(self, page: int, page_size: int,
                   search: str | None = None) -> Page[SiteSummary]:
        s = t.site
        page, page_size = page_bounds(page, page_size)
        where = [sa.func.lower(s.c.name).contains(search.lower(), autoescape=True)] if search else []
        with self._reading("list the sites of") as conn:  # type: ignore[attr-defined]
            total = conn.execute(sa.select(sa.func.count()).select_from(s).where(*where)).scalar_one()
            rows = conn.execute(self._summary_select().where(*where).order_by(s.c.name, s.c.id)
                                .limit(page_size).offset((page - 1) * page_size))
            return Page(tuple(SiteSummary(*row) for row in rows), total, page, page_size)

    def site_detail(self, site_id: int) -> SiteDetail | None:
        site = self.get_row("site", site_id)  # type: ignore[attr-defined]
        if site is None:
            return None
        with self._reading("read a site from") as conn:  # type: ignore[attr-defined]
            admins = _rows(conn, t.site_admin, t.site_admin.c.site_id == site_id,
                           order=[t.site_admin.c.username])
            hosts = _rows(conn, t.host, t.host.c.site_id == site_id, order=[t.host.c.name])
        return SiteDetail(site, admins, hosts)

    def directory_counts(self, host_category_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        hcd = t.host_category_dir
        ids = sorted(set(host_category_ids))
        if not ids:
            return {}
        up = sa.func.sum(sa.case((hcd.c.up2date.is_(True), 1), else_=0))
        with self._reading("count host directories in") as conn:  # type: ignore[attr-defined]
            return {row[0]: (int(row[1]), int(row[2] or 0)) for row in conn.execute(
                sa.select(hcd.c.host_category_id, sa.func.count(), up)
                .where(hcd.c.host_category_id.in_(ids)).group_by(hcd.c.host_category_id))}

    def host_detail(self, host_id: int, crawls: int = 10,
                    counts: bool = True) -> HostDetail | None:
        with self._reading("read a host from") as conn:  # type: ignore[attr-defined]
            detail = read_host_detail(conn, host_id, crawls)
        if detail is None or not counts:
            return detail
        return detail.with_counts(self.directory_counts([c.host_category.id
                                                         for c in detail.categories]))

    def choices(self, table: str) -> tuple[Choice, ...]:
        kind = catalog.kind(table)
        tab = table_of(table)
        title = tab.c[kind.title_column]
        admin_only = tab.c.admin_only if "admin_only" in tab.c else sa.false()
        columns = [tab.c.id, title, admin_only]
        query = sa.select(*columns).order_by(title, tab.c.id).limit(5000)
        if table == "version":
            p = t.product
            query = (sa.select(tab.c.id, (p.c.name + " " + tab.c.name).label("title"), sa.false())
                     .select_from(tab.outerjoin(p, tab.c.product_id == p.c.id))
                     .order_by(p.c.name, tab.c.sortorder, tab.c.name).limit(5000))
        with self._reading(f"read the {table} choices from") as conn:  # type: ignore[attr-defined]
            return tuple(Choice(row[0], str(row[1]), bool(row[2])) for row in conn.execute(query))

    def titles(self, table: str, ids: Sequence[int]) -> dict[int, str]:
        kind = catalog.kind(table)
        tab = table_of(table)
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            return {}
        with self._reading(f"read {table} titles from") as conn:  # type: ignore[attr-defined]
            return {row[0]: str(row[1]) for row in conn.execute(
                sa.select(tab.c.id, tab.c[kind.title_column]).where(tab.c.id.in_(wanted)))}

    def directory_id(self, name: str) -> int | None:
        d = t.directory
        with self._reading("look up a directory in") as conn:  # type: ignore[attr-defined]
            return conn.execute(sa.select(d.c.id).where(d.c.name == name)).scalar()

    def directory_names(self, ids: Sequence[int]) -> dict[int, str]:
        d = t.directory
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            return {}
        with self._reading("read directory names from") as conn:  # type: ignore[attr-defined]
            return {row.id: row.name for row in conn.execute(
                sa.select(d.c.id, d.c.name).where(d.c.id.in_(wanted)))}

    def country_id(self, code: str) -> int | None:
        co = t.country
        with self._reading("look up a country in") as conn:  # type: ignore[attr-defined]
            return conn.execute(sa.select(co.c.id).where(sa.func.upper(co.c.code) == code.upper())).scalar()

    def url_exists(self, url: str) -> bool:
        u = t.host_category_url
        with self._reading("look up a URL in") as conn:  # type: ignore[attr-defined]
            return conn.execute(sa.select(u.c.id).where(u.c.url == url).limit(1)).scalar() is not None

    def audit_entries(self, page: int, page_size: int, *, site_id: int | None = None,
                      host_id: int | None = None,
                      username: str | None = None) -> Page[AuditEntry]:
        a = t.mm_audit_log
        page, page_size = page_bounds(page, page_size)
        where = []
        if site_id is not None:
            where.append(a.c.site_id == site_id)
        if host_id is not None:
            where.append(a.c.host_id == host_id)
        if username:
            where.append(a.c.username == username)
        with self._reading("read the audit log of") as conn:  # type: ignore[attr-defined]
            total = conn.execute(sa.select(sa.func.count()).select_from(a).where(*where)).scalar_one()
            rows = conn.execute(sa.select(a).where(*where).order_by(a.c.at.desc(), a.c.id.desc())
                                .limit(page_size).offset((page - 1) * page_size))
            items = tuple(
                AuditEntry(id=r.id, at=r.at, username=r.username, action=r.action,
                           object_type=r.object_type, object_id=r.object_id, site_id=r.site_id,
                           host_id=r.host_id, summary=r.summary)
                for r in rows
            )
        return Page(items, total, page, page_size)
