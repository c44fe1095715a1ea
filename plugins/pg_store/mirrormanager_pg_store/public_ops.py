"""The public pages' reads (:class:`mmcore.manage.public.PublicStore`) on SQLAlchemy Core.

Mixed into ``SqlStore``.  The mirror list filters and counts hosts with ``EXISTS`` subqueries
(MirrorManager2's conditions), in one query (the count as a window over the page's query), and
then reads categories and URLs for the page's hosts only.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from urllib.parse import urlsplit

import sqlalchemy as sa

from mmcore.manage.public import (
    AccessCount,
    CategoryUrls,
    MirrorFilter,
    MirrorLocation,
    ProductVersions,
    PropagationPoint,
    PropagationRepo,
    PublicCategory,
    PublicHost,
    PublicMirror,
)
from mmcore.manage.store import Page, page_bounds

from . import schema as t


def _public(h: sa.Table = t.host, s: sa.Table = t.site) -> list[sa.ColumnElement[bool]]:
    """A host anyone may see: public and active, host and site."""
    return [h.c.private.is_(False), s.c.private.is_(False), h.c.admin_active.is_(True),
            h.c.user_active.is_(True), s.c.admin_active.is_(True), s.c.user_active.is_(True)]


def _version_key(name: str) -> tuple[int, float, str]:
    """Numeric versions first, newest first (MirrorManager2's ``displayed_versions``)."""
    match = re.match(r"^(\d+(\.\d+)?)", name)
    return (0, -float(match.group(1)), name) if match else (1, 0.0, name)


def _flag_is(column: sa.Column, value: bool) -> sa.ColumnElement[bool]:
    """``column`` (NOT NULL) equals ``value``, written as ``NOT (column IS NOT value)`` so that
    no planner uses the flag's own index (half of 5 million rows) instead of the lookup by
    ``host_category_id``: SQLite, without ANALYZE statistics, would."""
    return sa.not_(column.is_(not value))


def _carries(child: sa.Table, *conditions: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """The outer query's host has a host category with a ``child`` row (a directory, a URL)
    matching ``conditions``: one lookup per host category by the child's leading index column
    (``host_category_id``), never a scan of the (5-million-row) directory table's flags."""
    hc = t.host_category
    rows = (sa.select(sa.literal(1)).select_from(child)
            .where(child.c.host_category_id == hc.c.id, *conditions)
            .correlate(hc).exists())
    return (sa.select(sa.literal(1)).select_from(hc)
            .where(hc.c.host_id == t.host.c.id, rows).correlate(t.host).exists())


class PublicOpsMixin:
    engine: sa.Engine

    def public_products(self) -> tuple[ProductVersions, ...]:
        p, v, r, c, a = t.product, t.version, t.repository, t.category, t.arch
        with self._reading("read the products of") as conn:  # type: ignore[attr-defined]
            products = conn.execute(sa.select(p.c.id, p.c.name).where(p.c.publiclist.is_(True))
                                    .order_by(p.c.name)).all()
            versions: dict[int, list[str]] = defaultdict(list)
            for row in conn.execute(sa.select(v.c.product_id, v.c.name)
                                    .where(v.c.display.is_(True), v.c.name.is_not(None))):
                versions[row.product_id].append(row.name)
            arches: dict[int, set[str]] = defaultdict(set)
            for row in conn.execute(
                sa.select(c.c.product_id, a.c.name).distinct()
                .select_from(r.join(c, r.c.category_id == c.c.id).join(a, r.c.arch_id == a.c.id))
                .where(a.c.publiclist.is_(True))
            ):
                arches[row.product_id].add(row.name)
        return tuple(
            ProductVersions(row.id, row.name, tuple(sorted(versions[row.id], key=_version_key)),
                            tuple(sorted(arches[row.id])))
            for row in products
        )

    def public_mirrors(self, mirror_filter: MirrorFilter, page: int,
                       page_size: int) -> Page[PublicMirror]:
        h, s, hc, hcd, hcu = t.host, t.site, t.host_category, t.host_category_dir, t.host_category_url
        c, p = t.category, t.product
        page, page_size = page_bounds(page, page_size)
        where = _public() + [
            _carries(hcd, _flag_is(hcd.c.up2date, True)),
            _carries(hcu, _flag_is(hcu.c.private, False)),
        ]
        f = mirror_filter
        if f.product:
            where.append(sa.exists().where(
                hc.c.host_id == h.c.id, hc.c.category_id == c.c.id, c.c.product_id == p.c.id,
                p.c.name == f.product))
        if f.version or f.arch:
            r, v, a = t.repository, t.version, t.arch
            repos = sa.select(r.c.directory_id).where(r.c.directory_id.is_not(None))
            if f.version:
                repos = repos.join(v, r.c.version_id == v.c.id).where(v.c.name == f.version)
                if f.product:
                    repos = repos.join(p, v.c.product_id == p.c.id).where(p.c.name == f.product)
            if f.arch:
                repos = repos.join(a, r.c.arch_id == a.c.id).where(a.c.name == f.arch)
            # driven by the few repository directories (their index), computed once
            where.append(h.c.id.in_(
                sa.select(hc.c.host_id).select_from(hcd.join(hc, hcd.c.host_category_id == hc.c.id))
                .where(hcd.c.directory_id.in_(repos), _flag_is(hcd.c.up2date, True))))
        if f.country:
            hcn, co = t.host_country, t.country
            where.append(sa.or_(
                sa.func.upper(h.c.country) == f.country.upper(),
                sa.exists().where(hcn.c.host_id == h.c.id, hcn.c.country_id == co.c.id,
                                  sa.func.upper(co.c.code) == f.country.upper()),
            ))
        base = h.join(s, h.c.site_id == s.c.id)
        with self._reading("read the public mirror list of") as conn:  # type: ignore[attr-defined]
            # the page and the number of matching hosts in one pass over the hosts (the
            # EXISTS conditions are the costly part: evaluated once, not once per query)
            rows = conn.execute(
                sa.select(h.c.id, h.c.name, s.c.name.label("site_name"), s.c.org_url,
                          h.c.country, h.c.bandwidth_int, h.c.internet2, h.c.comment,
                          sa.func.count().over().label("total"))
                .select_from(base).where(*where)
                .order_by(sa.func.upper(h.c.country), h.c.name, h.c.id)
                .limit(page_size).offset((page - 1) * page_size)
            ).all()
            if rows:
                total = rows[0].total
            else:  # past the last page (or nothing matches): the count alone
                total = conn.execute(
                    sa.select(sa.func.count()).select_from(base).where(*where)).scalar_one()
            urls: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
            ids = [row.id for row in rows]
            if ids:
                query = (sa.select(hc.c.host_id, c.c.name, hcu.c.url)
                         .select_from(hcu.join(hc, hcu.c.host_category_id == hc.c.id)
                                      .join(c, hc.c.category_id == c.c.id))
                         .where(hc.c.host_id.in_(ids), hcu.c.private.is_(False))
                         .order_by(c.c.name, hcu.c.url))
                if f.product:
                    query = query.join(p, c.c.product_id == p.c.id).where(p.c.name == f.product)
                for row in conn.execute(query):
                    urls[row.host_id][row.name].append(row.url)
        items = tuple(
            PublicMirror(row.id, row.name, row.site_name, row.org_url, (row.country or "").upper(),
                         row.bandwidth_int, bool(row.internet2), row.comment,
                         tuple(CategoryUrls(name, tuple(u)) for name, u in urls[row.id].items()))
            for row in rows
        )
        return Page(items, total, page, page_size)

    def public_host(self, host_id: int) -> PublicHost | None:
        h, s, hc, hcd, hcu, c = (t.host, t.site, t.host_category, t.host_category_dir,
                                 t.host_category_url, t.category)
        with self._reading("read a public mirror from") as conn:  # type: ignore[attr-defined]
            row = conn.execute(
                sa.select(h.c.id, h.c.name, s.c.name.label("site_name"), s.c.org_url,
                          h.c.country, h.c.bandwidth_int, h.c.internet2, h.c.comment,
                          h.c.last_crawled, h.c.last_crawl_duration)
                .select_from(h.join(s, h.c.site_id == s.c.id))
                .where(h.c.id == host_id, *_public())
            ).one_or_none()
            if row is None:
                return None
            cats = conn.execute(
                sa.select(hc.c.id, c.c.name).select_from(hc.join(c, hc.c.category_id == c.c.id))
                .where(hc.c.host_id == host_id).order_by(c.c.name)).all()
            ids = [cat.id for cat in cats]
            counts: dict[int, tuple[int, int]] = {}
            by_scheme: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
            if ids:
                up = sa.func.sum(sa.case((hcd.c.up2date.is_(True), 1), else_=0))
                for crow in conn.execute(sa.select(hcd.c.host_category_id, sa.func.count(), up)
                                         .where(hcd.c.host_category_id.in_(ids))
                                         .group_by(hcd.c.host_category_id)):
                    counts[crow[0]] = (int(crow[1]), int(crow[2] or 0))
                for urow in conn.execute(sa.select(hcu.c.host_category_id, hcu.c.url)
                                         .where(hcu.c.host_category_id.in_(ids),
                                                hcu.c.private.is_(False))
                                         .order_by(hcu.c.url)):
                    scheme = urlsplit(urow.url).scheme
                    by_scheme[urow.host_category_id][scheme].append(urow.url)
        categories = tuple(
            PublicCategory(cat.name, *counts.get(cat.id, (0, 0)),
                           tuple((scheme, tuple(u)) for scheme, u in
                                 sorted(by_scheme[cat.id].items())))
            for cat in cats
        )
        return PublicHost(row.id, row.name, row.site_name, row.org_url, (row.country or "").upper(),
                          row.bandwidth_int, bool(row.internet2), row.comment, row.last_crawled,
                          row.last_crawl_duration, categories)

    def propagated_repositories(self) -> tuple[PropagationRepo, ...]:
        ps, r, v, p, a = t.propagation_stat, t.repository, t.version, t.product, t.arch
        last = (sa.select(ps.c.repository_id, sa.func.max(ps.c.datetime).label("last"))
                .group_by(ps.c.repository_id).subquery())
        query = (
            sa.select(r.c.id, r.c.prefix, v.c.name.label("version"), p.c.name.label("product"),
                      a.c.name.label("arch"), last.c.last)
            .select_from(last.join(r, r.c.id == last.c.repository_id)
                         .outerjoin(v, r.c.version_id == v.c.id)
                         .outerjoin(p, v.c.product_id == p.c.id)
                         .outerjoin(a, r.c.arch_id == a.c.id))
            .order_by(p.c.name, v.c.name, r.c.prefix, r.c.id)
        )
        with self._reading("read the propagation repositories of") as conn:  # type: ignore[attr-defined]
            return tuple(PropagationRepo(row.id, row.prefix or "", row.version, row.product,
                                         row.arch, row.last) for row in conn.execute(query))

    def propagation_series(self, repository_id: int,
                           since: datetime.datetime | None = None) -> tuple[PropagationPoint, ...]:
        ps = t.propagation_stat
        query = sa.select(ps.c.datetime, ps.c.same_day, ps.c.one_day, ps.c.two_day, ps.c.older,
                          ps.c.no_info).where(ps.c.repository_id == repository_id)
        if since is not None:
            query = query.where(ps.c.datetime >= since)
        with self._reading("read propagation statistics from") as conn:  # type: ignore[attr-defined]
            return tuple(PropagationPoint(*row) for row in
                         conn.execute(query.order_by(ps.c.datetime).limit(10000)))

    def access_stat_dates(self, limit: int = 60) -> tuple[datetime.date, ...]:
        st = t.access_stat
        with self._reading("read the statistics days of") as conn:  # type: ignore[attr-defined]
            return tuple(conn.execute(sa.select(st.c.date).distinct()
                                      .order_by(st.c.date.desc()).limit(limit)).scalars())

    def access_stats(self, day: datetime.date, category: str,
                     limit: int = 50) -> tuple[AccessCount, ...]:
        st, cat = t.access_stat, t.access_stat_category
        with self._reading("read access statistics from") as conn:  # type: ignore[attr-defined]
            rows = conn.execute(
                sa.select(st.c.name, st.c.requests, st.c.percent)
                .select_from(st.join(cat, st.c.category_id == cat.c.id))
                .where(cat.c.name == category, st.c.date == day)
                .order_by(st.c.requests.desc(), st.c.name).limit(limit))
            return tuple(AccessCount(row.name, int(row.requests or 0), float(row.percent or 0))
                         for row in rows)

    def mirror_locations(self) -> tuple[MirrorLocation, ...]:
        h, s = t.host, t.site
        with self._reading("read mirror locations from") as conn:  # type: ignore[attr-defined]
            rows = conn.execute(
                sa.select(h.c.id, h.c.name, h.c.country, h.c.latitude, h.c.longitude)
                .select_from(h.join(s, h.c.site_id == s.c.id))
                .where(*_public(), h.c.latitude.is_not(None), h.c.longitude.is_not(None))
                .order_by(h.c.id))
            return tuple(MirrorLocation(row.id, row.name, (row.country or "").upper(),
                                        float(row.latitude), float(row.longitude)) for row in rows)
