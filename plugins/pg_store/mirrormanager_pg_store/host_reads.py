"""The host page's read: every row the page shows, on one connection, by statements built once.

A host page is the UI's most expensive read (a dozen small queries).  Building a ``select``,
its cache key and its compiled form costs more than running it on either backend, and on
PostgreSQL every connection taken from the pool costs a ping and a round trip at its end: so the
statements here are built once at import with bound parameters (SQLAlchemy memoizes their cache
keys, psycopg prepares them on their fifth run) and run on one connection.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mmcore.manage import catalog
from mmcore.manage.store import (
    CrawlHistoryEntry,
    HostCategoryDetail,
    HostCountryName,
    HostDetail,
    HostLocationName,
)
from mmcore.model import HostCategory

from . import schema as t
from .manage_ops import model_columns, to_model

HOST_ID = sa.bindparam("host_id", type_=sa.Integer)
SITE_ID = sa.bindparam("site_id", type_=sa.Integer)


def _model_select(table: sa.Table, where: Any, *order: Any) -> tuple[catalog.Kind, sa.Select]:
    kind = catalog.kind(table.name)
    return kind, sa.select(*model_columns(kind, table)).where(where).order_by(*order, table.c.id)


_HOST = _model_select(t.host, t.host.c.id == HOST_ID)
_SITE = _model_select(t.site, t.site.c.id == SITE_ID)
_ADMINS = (sa.select(t.site_admin.c.username).distinct()
           .where(t.site_admin.c.site_id == SITE_ID, t.site_admin.c.username.is_not(None)))
_CATEGORIES = (
    sa.select(t.host_category.c.id, t.host_category.c.category_id,
              t.host_category.c.always_up2date, t.category.c.name, t.category.c.admin_only)
    .select_from(t.host_category.join(t.category,
                                      t.host_category.c.category_id == t.category.c.id))
    .where(t.host_category.c.host_id == HOST_ID).order_by(t.category.c.name)
)
_URLS = _model_select(
    t.host_category_url,
    t.host_category_url.c.host_category_id.in_(
        sa.select(t.host_category.c.id).where(t.host_category.c.host_id == HOST_ID)),
    t.host_category_url.c.url)
_COUNTRIES = (
    sa.select(t.host_country.c.id, t.host_country.c.country_id, t.country.c.code)
    .select_from(t.host_country.join(t.country, t.host_country.c.country_id == t.country.c.id))
    .where(t.host_country.c.host_id == HOST_ID).order_by(t.country.c.code)
)
_LOCATIONS = (
    sa.select(t.host_location.c.id, t.host_location.c.location_id, t.location.c.name)
    .select_from(t.host_location.join(t.location,
                                      t.host_location.c.location_id == t.location.c.id))
    .where(t.host_location.c.host_id == HOST_ID).order_by(t.location.c.name)
)
_CRAWLS = (
    sa.select(t.host_crawl.c.finished_at, t.host_crawl.c.duration, t.host_crawl.c.status,
              t.host_crawl.c.crawl_failures, t.host_crawl.c.reason, t.host_crawl.c.protocols)
    .where(t.host_crawl.c.host_id == HOST_ID)
    .order_by(t.host_crawl.c.finished_at.desc(), t.host_crawl.c.id.desc())
    .limit(sa.bindparam("crawls", type_=sa.Integer))
)
#: the host's own rows shown as lists, by HostDetail field
_OWNED = {
    "netblocks": _model_select(t.host_netblock, t.host_netblock.c.host_id == HOST_ID,
                               t.host_netblock.c.netblock),
    "peer_asns": _model_select(t.host_peer_asn, t.host_peer_asn.c.host_id == HOST_ID,
                               t.host_peer_asn.c.asn),
    "countries_allowed": _model_select(t.host_country_allowed,
                                       t.host_country_allowed.c.host_id == HOST_ID,
                                       t.host_country_allowed.c.country),
    "acl_ips": _model_select(t.host_acl_ip, t.host_acl_ip.c.host_id == HOST_ID,
                             t.host_acl_ip.c.ip),
}


def _models(conn: sa.Connection, query: tuple[catalog.Kind, sa.Select],
            params: dict[str, int]) -> tuple[Any, ...]:
    kind, select = query
    return tuple(to_model(kind, row) for row in conn.execute(select, params))


def read_host_detail(conn: sa.Connection, host_id: int, crawls: int) -> HostDetail | None:
    """The host page's rows (directory counts left at 0), ``None`` for no such host or site."""
    by_host = {"host_id": host_id}
    hosts = _models(conn, _HOST, by_host)
    if not hosts or hosts[0].site_id is None:
        return None
    host = hosts[0]
    sites = _models(conn, _SITE, {"site_id": host.site_id})
    if not sites:
        return None
    admins = tuple(sorted(conn.execute(_ADMINS, {"site_id": host.site_id}).scalars()))
    urls: dict[int, list[Any]] = {}
    for url in _models(conn, _URLS, by_host):
        urls.setdefault(url.host_category_id, []).append(url)
    categories = tuple(
        HostCategoryDetail(
            HostCategory(id=row.id, host_id=host_id, category_id=row.category_id,
                         always_up2date=bool(row.always_up2date)),
            row.name, bool(row.admin_only), tuple(urls.get(row.id, ())), 0, 0)
        for row in conn.execute(_CATEGORIES, by_host)
    )
    return HostDetail(
        host=host, site=sites[0], site_admins=admins, categories=categories,
        countries=tuple(HostCountryName(*row) for row in conn.execute(_COUNTRIES, by_host)),
        locations=tuple(HostLocationName(*row) for row in conn.execute(_LOCATIONS, by_host)),
        crawls=tuple(CrawlHistoryEntry(*row) for row in conn.execute(
            _CRAWLS, {"host_id": host_id, "crawls": crawls})),
        **{name: _models(conn, query, by_host) for name, query in _OWNED.items()},
    )
