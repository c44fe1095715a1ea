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
    CrawlHistoryEntry,
    HostCategoryDetail,
    HostCountryName,
    HostDetail,
    HostLocationName,
    Page,
    SiteDetail,
    SiteSummary,
    page_bounds,
)
from mmcore.model import HostCategory, HostCategoryUrl

from . import schema as t
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
        with self._errors("read the site admins from"), self.engine.connect() as conn:  # type: ignore[attr-defined]
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
        with self._errors("read the sites of a user from"), self.engine.connect() as conn:  # type: ignore[attr-defined]
            rows = conn.execute(self._summary_select().where(s.c.id.in_(mine))
                                .order_by(s.c.name, s.c.id))
            return tuple(SiteSummary(*row) for row in rows)

    def list_sites(self, page: int, page_size: int,
                   search: str | None = None) -> Page[SiteSummary]:
        s = t.site
        page, page_size = page_bounds(page, page_size)
        where = [sa.func.lower(s.c.name).contains(search.lower(), autoescape=True)] if search else []
        with self._errors("list the sites of"), self.engine.connect() as conn:  # type: ignore[attr-defined]
            total = conn.execute(sa.select(sa.func.count()).select_from(s).where(*where)).scalar_one()
            rows = conn.execute(self._summary_select().where(*where).order_by(s.c.name, s.c.id)
                                .limit(page_size).offset((page - 1) * page_size))
            return Page(tuple(SiteSummary(*row) for row in rows), total, page, page_size)

    def site_detail(self, site_id: int) -> SiteDetail | None:
        site = self.get_row("site", site_id)  # type: ignore[attr-defined]
        if site is None:
            return None
        with self._errors("read a site from"), self.engine.connect() as conn:  # type: ignore[attr-defined]
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
        with self._errors("count host directories in"), self.engine.connect() as conn:  # type: ignore[attr-defined]
            return {row[0]: (int(row[1]), int(row[2] or 0)) for row in conn.execute(
                sa.select(hcd.c.host_category_id, sa.func.count(), up)
                .where(hcd.c.host_category_id.in_(ids)).group_by(hcd.c.host_category_id))}

    def host_detail(self, host_id: int, crawls: int = 10,
                    counts: bool = True) -> HostDetail | None:
        host = self.get_row("host", host_id)  # type: ignore[attr-defined]
        if host is None:
            return None
        site = self.get_row("site", host.site_id) if host.site_id is not None else None  # type: ignore[attr-defined]
        if site is None:
            return None
        hc, c, hcu = t.host_category, t.category, t.host_category_url
        with self._errors("read a host from"), self.engine.connect() as conn:  # type: ignore[attr-defined]
            admins = tuple(sorted(conn.execute(
                sa.select(t.site_admin.c.username).distinct()
                .where(t.site_admin.c.site_id == site.id, t.site_admin.c.username.is_not(None))
            ).scalars()))
            cats = conn.execute(
                sa.select(hc.c.id, hc.c.host_id, hc.c.category_id, hc.c.always_up2date,
                          c.c.name, c.c.admin_only)
                .select_from(hc.join(c, hc.c.category_id == c.c.id))
                .where(hc.c.host_id == host_id).order_by(c.c.name)
            ).all()
            hc_ids = [row.id for row in cats]
            urls: dict[int, list[HostCategoryUrl]] = {}
            if hc_ids:
                for url in _rows(conn, hcu, hcu.c.host_category_id.in_(hc_ids),
                                 order=[hcu.c.url]):
                    urls.setdefault(url.host_category_id, []).append(url)
            categories = tuple(
                HostCategoryDetail(
                    HostCategory(id=row.id, host_id=row.host_id, category_id=row.category_id,
                                 always_up2date=bool(row.always_up2date)),
                    row.name, bool(row.admin_only), tuple(urls.get(row.id, ())), 0, 0,
                )
                for row in cats
            )
            hcn, co = t.host_country, t.country
            countries = tuple(HostCountryName(*row) for row in conn.execute(
                sa.select(hcn.c.id, hcn.c.country_id, co.c.code)
                .select_from(hcn.join(co, hcn.c.country_id == co.c.id))
                .where(hcn.c.host_id == host_id).order_by(co.c.code)))
            hl, lo = t.host_location, t.location
            locations = tuple(HostLocationName(*row) for row in conn.execute(
                sa.select(hl.c.id, hl.c.location_id, lo.c.name)
                .select_from(hl.join(lo, hl.c.location_id == lo.c.id))
                .where(hl.c.host_id == host_id).order_by(lo.c.name)))
            hcr = t.host_crawl
            history = tuple(
                CrawlHistoryEntry(row.finished_at, row.duration, row.status,
                                  row.crawl_failures, row.reason, row.protocols)
                for row in conn.execute(
                    sa.select(hcr).where(hcr.c.host_id == host_id)
                    .order_by(hcr.c.finished_at.desc(), hcr.c.id.desc()).limit(crawls))
            )
            detail = HostDetail(
                host=host, site=site, site_admins=admins, categories=categories,
                netblocks=_rows(conn, t.host_netblock,
                                t.host_netblock.c.host_id == host_id,
                                order=[t.host_netblock.c.netblock]),
                peer_asns=_rows(conn, t.host_peer_asn,
                                t.host_peer_asn.c.host_id == host_id,
                                order=[t.host_peer_asn.c.asn]),
                countries_allowed=_rows(conn, t.host_country_allowed,
                                        t.host_country_allowed.c.host_id == host_id,
                                        order=[t.host_country_allowed.c.country]),
                countries=countries,
                acl_ips=_rows(conn, t.host_acl_ip, t.host_acl_ip.c.host_id == host_id,
                              order=[t.host_acl_ip.c.ip]),
                locations=locations,
                crawls=history,
            )
        return detail.with_counts(self.directory_counts(hc_ids)) if counts else detail

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
        with self._errors(f"read the {table} choices from"), self.engine.connect() as conn:  # type: ignore[attr-defined]
            return tuple(Choice(row[0], str(row[1]), bool(row[2])) for row in conn.execute(query))

    def titles(self, table: str, ids: Sequence[int]) -> dict[int, str]:
        kind = catalog.kind(table)
        tab = table_of(table)
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            return {}
        with self._errors(f"read {table} titles from"), self.engine.connect() as conn:  # type: ignore[attr-defined]
            return {row[0]: str(row[1]) for row in conn.execute(
                sa.select(tab.c.id, tab.c[kind.title_column]).where(tab.c.id.in_(wanted)))}

    def directory_id(self, name: str) -> int | None:
        d = t.directory
        with self._errors("look up a directory in"), self.engine.connect() as conn:  # type: ignore[attr-defined]
            return conn.execute(sa.select(d.c.id).where(d.c.name == name)).scalar()

    def directory_names(self, ids: Sequence[int]) -> dict[int, str]:
        d = t.directory
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            return {}
        with self._errors("read directory names from"), self.engine.connect() as conn:  # type: ignore[attr-defined]
            return {row.id: row.name for row in conn.execute(
                sa.select(d.c.id, d.c.name).where(d.c.id.in_(wanted)))}

    def country_id(self, code: str) -> int | None:
        co = t.country
        with self._errors("look up a country in"), self.engine.connect() as conn:  # type: ignore[attr-defined]
            return conn.execute(sa.select(co.c.id).where(sa.func.upper(co.c.code) == code.upper())).scalar()

    def url_exists(self, url: str) -> bool:
        u = t.host_category_url
        with self._errors("look up a URL in"), self.engine.connect() as conn:  # type: ignore[attr-defined]
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
        with self._errors("read the audit log of"), self.engine.connect() as conn:  # type: ignore[attr-defined]
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
