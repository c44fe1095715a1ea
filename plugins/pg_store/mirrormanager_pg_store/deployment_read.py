"""Reading the declarative deployment (:class:`mmcore.deployment.Deployment`) from the database,
on a connection the caller holds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from mmcore.deployment import (
    ArchSpec,
    CategorySpec,
    CountryContinentRedirectSpec,
    Deployment,
    HostCategorySpec,
    HostSpec,
    ProductSpec,
    RepositoryRedirectSpec,
    SiteSpec,
)

from . import schema as s



def load_deployment(conn: sa.Connection) -> Deployment:
    """The declarative part of the database as one :class:`Deployment`."""
    return Deployment(
        arches=[
            ArchSpec(name=r.name, primary_arch=r.primary_arch, publiclist=r.publiclist)
            for r in conn.execute(sa.select(s.arch))
        ],
        products=[
            ProductSpec(name=r.name, publiclist=r.publiclist)
            for r in conn.execute(sa.select(s.product))
        ],
        categories=_load_categories(conn),
        sites=_load_sites(conn),
        repository_redirects=[
            RepositoryRedirectSpec(from_repo=r.from_repo, to_repo=r.to_repo)
            for r in conn.execute(sa.select(s.repository_redirect))
        ],
        country_continent_redirects=[
            CountryContinentRedirectSpec(country=r.country, continent=r.continent)
            for r in conn.execute(sa.select(s.country_continent_redirect))
        ],
    )


def _load_categories(conn: sa.Connection) -> list[CategorySpec]:
    c, p, d = s.category, s.product, s.directory
    query = (
        sa.select(c, p.c.name.label("product_name"), d.c.name.label("topdir_name"))
        .select_from(c.outerjoin(p, c.c.product_id == p.c.id).outerjoin(d, c.c.topdir_id == d.c.id))
    )
    return [
        CategorySpec(
            name=r.name,
            product=r.product_name or "",
            topdir=r.topdir_name or "",
            canonicalhost=r.canonicalhost,
            publiclist=r.publiclist,
            admin_only=bool(r.admin_only),
            geo_dns_domain=r.geo_dns_domain,
        )
        for r in conn.execute(query)
    ]


def _group(rows: Iterable[sa.Row[Any]]) -> dict[int, list[Any]]:
    """``{first column: [second column, ...]}`` for rows of two columns."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    for key, value in rows:
        grouped[key].append(value)
    return grouped


def _load_sites(conn: sa.Connection) -> list[SiteSpec]:
    admins = _group(
        conn.execute(
            sa.select(s.site_admin.c.site_id, s.site_admin.c.username).where(
                s.site_admin.c.username.is_not(None)
            )
        )
    )
    hosts_by_site = _group(
        (h.site_id, h)
        for h in _load_hosts(conn)
    )
    return [
        SiteSpec(
            name=r.name,
            password_hash=r.password,
            org_url=r.org_url,
            private=r.private,
            admin_active=r.admin_active,
            user_active=r.user_active,
            all_sites_can_pull_from_me=r.all_sites_can_pull_from_me,
            downstream_comments=r.downstream_comments,
            email_on_drop=r.email_on_drop,
            email_on_add=r.email_on_add,
            created_by=r.created_by,
            admins=admins.get(r.id, []),
            hosts=[h.spec for h in hosts_by_site.get(r.id, [])],
        )
        for r in conn.execute(sa.select(s.site).order_by(s.site.c.id))
    ]


class _LoadedHost:
    """A host spec with the site it belongs to (specs do not carry ids)."""

    __slots__ = ("site_id", "spec")

    def __init__(self, site_id: int, spec: HostSpec) -> None:
        self.site_id = site_id
        self.spec = spec


def _load_hosts(conn: sa.Connection) -> list[_LoadedHost]:
    netblocks = _group(
        conn.execute(
            sa.select(s.host_netblock.c.host_id, s.host_netblock.c.netblock).where(
                s.host_netblock.c.netblock.is_not(None)
            )
        )
    )
    allowed = _group(
        conn.execute(sa.select(s.host_country_allowed.c.host_id, s.host_country_allowed.c.country))
    )
    asns = _group(conn.execute(sa.select(s.host_peer_asn.c.host_id, s.host_peer_asn.c.asn)))
    categories = _load_host_categories(conn)
    h = s.host
    loaded = []
    for r in conn.execute(sa.select(h).where(h.c.site_id.is_not(None))):
        spec = HostSpec(
            name=r.name,
            country=r.country,
            bandwidth_int=r.bandwidth_int,
            private=r.private,
            asn=r.asn,
            asn_clients=r.asn_clients,
            internet2=r.internet2,
            internet2_clients=r.internet2_clients,
            max_connections=r.max_connections,
            admin_active=r.admin_active,
            user_active=r.user_active,
            comment=r.comment,
            robot_email=r.robot_email,
            netblocks=netblocks.get(r.id, []),
            countries_allowed=allowed.get(r.id, []),
            peer_asns=asns.get(r.id, []),
            categories=categories.get(r.id, []),
        )
        loaded.append(_LoadedHost(r.site_id, spec))
    return loaded


def _load_host_categories(conn: sa.Connection) -> dict[int, list[HostCategorySpec]]:
    u = s.host_category_url
    urls: dict[int, list[str]] = defaultdict(list)
    private_urls: dict[int, list[str]] = defaultdict(list)
    for hc_id, url, private in conn.execute(sa.select(u.c.host_category_id, u.c.url, u.c.private)):
        (private_urls if private else urls)[hc_id].append(url)
    hc, c = s.host_category, s.category
    query = sa.select(hc.c.id, hc.c.host_id, hc.c.always_up2date, c.c.name).join(
        c, hc.c.category_id == c.c.id
    )
    result: dict[int, list[HostCategorySpec]] = defaultdict(list)
    for hc_id, host_id, always_up2date, name in conn.execute(query):
        result[host_id].append(
            HostCategorySpec(
                name=name,
                always_up2date=always_up2date,
                urls=urls.get(hc_id, []),
                private_urls=private_urls.get(hc_id, []),
            )
        )
    return result
