"""Reading and writing the declarative deployment (:class:`mmcore.deployment.Deployment`).

Both directions run on a connection the caller holds inside one transaction.  Writing compares
before it touches anything: a row is updated only when a value differs, an owned list only loses
the entries no longer wanted and gains the missing ones.  That is what makes applying an exported
deployment a no-op, and keeps ids (and the host_category_dir rows hanging off host categories)
stable across imports.

Globally unique values (host_category_url.url, host_country_allowed.country) may move from one
host to another within one deployment, so every deletion of every host runs before any insertion
of owned rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
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
from mmcore.store import StoreError

from . import schema as s

Pending = list[Callable[[], None]]


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------


def apply_deployment(conn: sa.Connection, deployment: Deployment) -> None:
    """Make the database hold ``deployment`` (the caller commits or rolls back)."""
    for a in deployment.arches:
        _upsert(conn, s.arch, {"name": a.name},
                {"primary_arch": a.primary_arch, "publiclist": a.publiclist})
    for p in deployment.products:
        _upsert(conn, s.product, {"name": p.name}, {"publiclist": p.publiclist})
    for c in deployment.categories:
        _apply_category(conn, c)
    for r in deployment.repository_redirects:
        _upsert(conn, s.repository_redirect, {"from_repo": r.from_repo}, {"to_repo": r.to_repo})
    for cc in deployment.country_continent_redirects:
        _upsert(conn, s.country_continent_redirect, {"country": cc.country},
                {"continent": cc.continent})
    category_ids = {
        name: id_ for id_, name in conn.execute(sa.select(s.category.c.id, s.category.c.name))
    }
    pending: Pending = []
    for site in deployment.sites:
        _apply_site(conn, site, category_ids, pending)
    for insert in pending:
        insert()


def _upsert(conn: sa.Connection, table: sa.Table, key: Mapping[str, Any],
            values: Mapping[str, Any]) -> int:
    """Insert the row named by ``key`` or update the first match where a value differs;
    return its id."""
    where = [table.c[k].is_(None) if v is None else table.c[k] == v for k, v in key.items()]
    row = conn.execute(
        sa.select(table).where(*where).order_by(table.c.id).limit(1)
    ).mappings().first()
    if row is None:
        result = conn.execute(sa.insert(table).values({**key, **values}))
        return int(result.inserted_primary_key[0])
    changed = {k: v for k, v in values.items() if row[k] != v}
    if changed:
        conn.execute(sa.update(table).where(table.c.id == row["id"]).values(changed))
    return int(row["id"])


def _ensure(conn: sa.Connection, table: sa.Table, key: Mapping[str, Any]) -> int:
    """The id of the row named by ``key``, created with defaults when missing; an existing
    row is never modified."""
    return _upsert(conn, table, key, {})


def _apply_category(conn: sa.Connection, c: CategorySpec) -> None:
    product_id = _ensure(conn, s.product, {"name": c.product})
    topdir_id = _ensure(conn, s.directory, {"name": c.topdir})
    category_id = _upsert(
        conn,
        s.category,
        {"name": c.name},
        {
            "product_id": product_id,
            "topdir_id": topdir_id,
            "canonicalhost": c.canonicalhost,
            "publiclist": c.publiclist,
            "admin_only": c.admin_only,
            "geo_dns_domain": c.geo_dns_domain,
        },
    )
    cd = s.category_directory
    linked = conn.execute(
        sa.select(cd.c.category_id).where(cd.c.category_id == category_id,
                                          cd.c.directory_id == topdir_id)
    ).first()
    if linked is None:
        conn.execute(sa.insert(cd).values(category_id=category_id, directory_id=topdir_id))


def _apply_site(conn: sa.Connection, site: SiteSpec, category_ids: Mapping[str, int],
                pending: Pending) -> None:
    site_id = _upsert(
        conn,
        s.site,
        {"name": site.name},
        {
            "password": site.password_hash,
            "org_url": site.org_url,
            "private": site.private,
            "admin_active": site.admin_active,
            "user_active": site.user_active,
            "all_sites_can_pull_from_me": site.all_sites_can_pull_from_me,
            "downstream_comments": site.downstream_comments,
            "email_on_drop": site.email_on_drop,
            "email_on_add": site.email_on_add,
            "created_by": site.created_by,
        },
    )
    _replace_values(conn, s.site_admin, "site_id", site_id, "username", site.admins, pending)
    for host in site.hosts:
        _apply_host(conn, site_id, host, category_ids, pending)


def _apply_host(conn: sa.Connection, site_id: int, host: HostSpec,
                category_ids: Mapping[str, int], pending: Pending) -> None:
    host_id = _upsert(
        conn,
        s.host,
        {"site_id": site_id, "name": host.name},
        {
            "country": host.country,
            "bandwidth_int": host.bandwidth_int,
            "private": host.private,
            "asn": host.asn,
            "asn_clients": host.asn_clients,
            "internet2": host.internet2,
            "internet2_clients": host.internet2_clients,
            "max_connections": host.max_connections,
            "admin_active": host.admin_active,
            "user_active": host.user_active,
            "comment": host.comment,
            "robot_email": host.robot_email,
        },
    )
    _replace_values(conn, s.host_netblock, "host_id", host_id, "netblock", host.netblocks,
                    pending, extra=lambda netblock: {"name": netblock})
    _replace_values(conn, s.host_country_allowed, "host_id", host_id, "country",
                    host.countries_allowed, pending)
    _replace_values(conn, s.host_peer_asn, "host_id", host_id, "asn", host.peer_asns, pending)
    _replace_host_categories(conn, host_id, host.categories, category_ids, pending)


def _replace_values(conn: sa.Connection, table: sa.Table, parent_column: str, parent_id: int,
                    value_column: str, wanted: Iterable[Any], pending: Pending,
                    extra: Callable[[Any], dict[str, Any]] | None = None) -> None:
    """Make the ``value_column`` values of ``parent_id``'s rows exactly ``wanted``: delete the
    others (and duplicates) now, insert the missing ones when ``pending`` runs."""
    wanted_set = set(wanted)
    kept: set[Any] = set()
    doomed: list[int] = []
    rows = conn.execute(
        sa.select(table.c.id, table.c[value_column])
        .where(table.c[parent_column] == parent_id)
        .order_by(table.c.id)
    )
    for row_id, value in rows:
        if value in wanted_set and value not in kept:
            kept.add(value)
        else:
            doomed.append(row_id)
    if doomed:
        conn.execute(sa.delete(table).where(table.c.id.in_(doomed)))
    missing = sorted(wanted_set - kept)
    if missing:
        rows_to_insert = [
            {parent_column: parent_id, value_column: v, **(extra(v) if extra else {})}
            for v in missing
        ]
        pending.append(lambda: _insert_rows(conn, table, rows_to_insert))


def _insert_rows(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    conn.execute(sa.insert(table), rows)


def _replace_host_categories(conn: sa.Connection, host_id: int,
                             wanted: Iterable[HostCategorySpec],
                             category_ids: Mapping[str, int], pending: Pending) -> None:
    specs: dict[int, HostCategorySpec] = {}
    for spec in wanted:
        if spec.name not in category_ids:
            raise StoreError(f"host category names an unknown category {spec.name!r}")
        specs[category_ids[spec.name]] = spec
    hc = s.host_category
    existing = conn.execute(
        sa.select(hc.c.id, hc.c.category_id).where(hc.c.host_id == host_id)
    ).all()
    doomed = [hc_id for hc_id, category_id in existing if category_id not in specs]
    if doomed:
        _delete_host_categories(conn, doomed)
    for category_id, spec in specs.items():
        hc_id = _upsert(conn, hc, {"host_id": host_id, "category_id": category_id},
                        {"always_up2date": spec.always_up2date})
        _replace_urls(conn, hc_id, spec, pending)


def _delete_host_categories(conn: sa.Connection, ids: list[int]) -> None:
    """Delete host categories with what hangs off them (explicitly: an adopted database may
    lack some of the ON DELETE CASCADE clauses)."""
    for child in (s.host_category_dir, s.host_category_url):
        conn.execute(sa.delete(child).where(child.c.host_category_id.in_(ids)))
    conn.execute(sa.delete(s.host_category).where(s.host_category.c.id.in_(ids)))


_SCHEME_RANK = {"https": 0, "http": 1, "ftp": 2}


def _url_preference(item: tuple[str, bool]) -> tuple[int, str]:
    url = item[0]
    return _SCHEME_RANK.get(url.partition(":")[0].lower(), 3), url


def _replace_urls(conn: sa.Connection, hc_id: int, spec: HostCategorySpec,
                  pending: Pending) -> None:
    wanted = {url: False for url in spec.urls}
    wanted.update({url: True for url in spec.private_urls})
    u = s.host_category_url
    doomed: list[int] = []
    for row_id, url, private in conn.execute(
        sa.select(u.c.id, u.c.url, u.c.private).where(u.c.host_category_id == hc_id)
    ):
        if url not in wanted:
            doomed.append(row_id)
            continue
        if private != wanted.pop(url):
            conn.execute(sa.update(u).where(u.c.id == row_id).values(private=not private))
    if doomed:
        conn.execute(sa.delete(u).where(u.c.id.in_(doomed)))
    if wanted:
        # a list server hands each client a host's first http/https/ftp URL in id order, so new
        # URLs go in by preference: https, http, ftp, then the rest (rsync)
        rows = [{"host_category_id": hc_id, "url": url, "private": private}
                for url, private in sorted(wanted.items(), key=_url_preference)]
        pending.append(lambda: _insert_rows(conn, u, rows))
