"""Writing the declarative deployment (:class:`mmcore.deployment.Deployment`) on a connection the
caller holds inside one transaction.

Every entity the deployment names is made equal to it: a named site's hosts are exactly the ones
listed (others are deleted with all they own), a host's netblocks, allowed countries, peer ASNs and
categories, a host category's URLs, a site's admins are exactly the listed ones.  Entities not named
are left alone.  Writing compares before it touches anything: a row is updated only when a value
differs, an owned list only loses the entries no longer wanted and gains the missing ones.  That is
what makes applying an exported deployment a no-op, and keeps ids (and the host_category_dir rows
hanging off host categories) stable across imports.

After writing, the named entities are read back and compared with the deployment; any difference
raises :class:`StoreError` (and the caller rolls back), so what ``import`` printed as its plan is
what the database holds.

Globally unique values (host_category_url.url, host_country_allowed.country) may move from one
host to another within one deployment, so every deletion of every host runs before any insertion
of owned rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from mmcore.deployment import (
    CategorySpec,
    Deployment,
    HostCategorySpec,
    HostSpec,
    SiteSpec,
)
from mmcore.store import StoreError

from . import schema as s
from .deployment_read import load_deployment
from .host_delete import delete_hosts, delete_rows

Pending = list[Callable[[], None]]


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
    _check_written(conn, deployment)


def _check_written(conn: sa.Connection, wanted: Deployment) -> None:
    """Every named entity now reads back as ``wanted`` says; else raise (to roll back)."""
    stored = load_deployment(conn)
    for field in ("arches", "products", "categories", "sites", "repository_redirects",
                  "country_continent_redirects"):  # fmt: skip
        key = "from_repo" if field == "repository_redirects" else (
            "country" if field == "country_continent_redirects" else "name")
        have = {getattr(item, key): item for item in getattr(stored, field)}
        for item in getattr(wanted, field):
            if have.get(getattr(item, key)) != item:
                raise StoreError(
                    f"the database does not read back as written for {field[:-1]} "
                    f"{getattr(item, key)!r}; nothing was written"
                )


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
    named = {host.name for host in site.hosts}
    doomed = [
        host_id
        for host_id, name in conn.execute(
            sa.select(s.host.c.id, s.host.c.name).where(s.host.c.site_id == site_id)
        )
        if name not in named
    ]
    if doomed:
        delete_hosts(conn, doomed)
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
        delete_rows(conn, s.host_category, doomed)
    for category_id, spec in specs.items():
        hc_id = _upsert(conn, hc, {"host_id": host_id, "category_id": category_id},
                        {"always_up2date": spec.always_up2date})
        _replace_urls(conn, hc_id, spec, pending)




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
