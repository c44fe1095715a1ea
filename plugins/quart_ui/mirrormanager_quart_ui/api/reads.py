"""Read endpoints of ``/api/v1``: who am I, sites, hosts (with each category's up-to-date state
and the last crawl), crawl history, categories, repositories, propagation, the admin tables.

Permissions are the UI's (:class:`mmcore.manage.service.ManageService`): a site and its hosts
are for the site's admins and MirrorManager admins (``view_site``, ``view_host``,
``require_host_admin``; lists show the sites of "My sites", or every site to an admin); the
admin tables for admins; categories, repositories and propagation are public, as on the public
pages.  Lists are keyset pages (see :mod:`mirrormanager_quart_ui.api.responses`); every read
answers ETag / If-None-Match.
"""

from __future__ import annotations

import datetime
from typing import Any

from quart import Response, g

from mmcore.manage.catalog import ADMIN_TABLES, kind
from mmcore.manage.errors import NotFound
from mmcore.manage.rules import Actor, require_admin, require_login
from mmcore.manage.store import CrawlHistoryEntry, HostDetail

from mirrormanager_quart_ui.api.blueprint import registry
from mirrormanager_quart_ui.api.errors import ApiError
from mirrormanager_quart_ui.api.registry import Param
from mirrormanager_quart_ui.api.responses import (
    PAGE_PARAMS,
    conditional,
    page,
    page_request,
    query_filter,
)
from mirrormanager_quart_ui.api.schemas import row_dict
from mirrormanager_quart_ui.context import current_actor, ui_context
from mirrormanager_quart_ui.security import csrf_token

V1 = "/v1"


def _ref(schema: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{schema}"}


def _page_of(schema: str) -> dict[str, Any]:
    return {"type": "object", "required": ["items", "next_cursor"], "properties": {
        "items": {"type": "array", "items": _ref(schema)},
        "next_cursor": {"type": ["string", "null"],
                        "description": "pass as `cursor` for the next page; null: last page"}}}


async def _visible_site_ids(actor: Actor) -> tuple[int, ...] | None:
    """The sites ``actor`` may read (``None``: all, for an admin) -- "My sites"."""
    require_login(actor)
    if actor.is_admin:
        return None
    ui = ui_context()
    return tuple(s.id for s in await ui.db(ui.store.sites_of, actor.username or ""))


async def _rows(table: str, filters: dict[str, Any]) -> Response:
    ui = ui_context()
    after, limit = page_request()
    filters = {k: v for k, v in filters.items() if v is not None}
    rows = await ui.db(ui.store.rows_after, table, after, limit + 1, filters)
    return conditional(page(rows, limit, row_dict))


# -- who am I --------------------------------------------------------------------------------


async def me() -> Response:
    actor = current_actor()
    grant = getattr(g, "api_grant", None)
    data: dict[str, Any] = {"username": actor.username, "is_admin": actor.is_admin,
                            "groups": list(actor.groups),
                            "auth": "token" if grant else ("session" if actor.authenticated
                                                           else "anonymous"),
                            "scope": grant.scope if grant else None, "csrf_token": None}
    if actor.authenticated and grant is None:
        data["csrf_token"] = csrf_token()
    return conditional(data)


registry.route("GET", f"{V1}/me", tag="account", summary="Who the request authenticates as",
               description="With a session cookie, also the CSRF token its writes must send "
                           "in `X-CSRF-Token`.",
               response=_ref("Me"), conditional=True)(me)


# -- sites -----------------------------------------------------------------------------------


async def list_sites() -> Response:
    ids = await _visible_site_ids(current_actor())
    return await _rows("site", {"id": ids, "name": query_filter("name")})


async def get_site(site_id: int) -> Response:
    ui = ui_context()
    detail = await ui.db(ui.manage.view_site, current_actor(), site_id)
    return conditional({**row_dict(detail.site),
                        "admins": [row_dict(a) for a in detail.admins],
                        "hosts": [{"id": h.id, "name": h.name} for h in detail.hosts]})


registry.route("GET", f"{V1}/sites", tag="sites", summary="Sites the caller administers "
               "(every site for an admin)", access="login",
               query=(Param("name", {"type": "string"}, "exact site name"), *PAGE_PARAMS),
               response=_page_of("site"), conditional=True)(list_sites)
registry.route("GET", f"{V1}/sites/<int:site_id>", tag="sites",
               summary="A site with its admins and hosts", access="site admin",
               response=_ref("SiteDetail"), conditional=True)(get_site)


# -- hosts -----------------------------------------------------------------------------------


def _crawl(entry: CrawlHistoryEntry) -> dict[str, Any]:
    return {"id": entry.id, "finished_at": entry.finished_at, "duration": entry.duration,
            "status": entry.status, "crawl_failures": entry.crawl_failures,
            "reason": entry.reason, "protocols": entry.protocols}


def host_document(detail: HostDetail) -> dict[str, Any]:
    """A host with everything it owns, each category's up-to-date state and the last crawl."""
    return {
        **row_dict(detail.host),
        "site": {"id": detail.site.id, "name": detail.site.name},
        "categories": [{
            "id": c.host_category.id, "category_id": c.host_category.category_id,
            "category": c.category_name, "always_up2date": c.host_category.always_up2date,
            "directories": c.directories, "up2date": c.up2date,
            "urls": [row_dict(u) for u in c.urls],
        } for c in detail.categories],
        "netblocks": [row_dict(n) for n in detail.netblocks],
        "peer_asns": [row_dict(a) for a in detail.peer_asns],
        "countries_allowed": [row_dict(c) for c in detail.countries_allowed],
        "countries": [{"id": c.id, "country_id": c.country_id, "code": c.code}
                      for c in detail.countries],
        "acl_ips": [row_dict(a) for a in detail.acl_ips],
        "locations": [{"id": loc.id, "location_id": loc.location_id, "name": loc.name}
                      for loc in detail.locations],
        "last_crawl": _crawl(detail.crawls[0]) if detail.crawls else None,
    }


async def list_hosts() -> Response:
    ids = await _visible_site_ids(current_actor())
    site_id = query_filter("site_id", "int")
    if ids is not None and site_id is not None:
        ids = tuple(i for i in ids if i == site_id)
    filters = {"site_id": ids if ids is not None else site_id, "name": query_filter("name"),
               "country": (query_filter("country", max_length=2) or "").upper() or None}
    return await _rows("host", filters)


async def get_host(host_id: int) -> Response:
    ui = ui_context()
    detail = await ui.db(ui.manage.view_host, current_actor(), host_id, 1)
    return conditional(host_document(detail))


async def host_crawls(host_id: int) -> Response:
    ui = ui_context()
    await ui.db(ui.manage.require_host_admin, current_actor(), host_id)
    before, limit = page_request()
    rows = await ui.db(ui.store.host_crawls_before, host_id, before, limit + 1)
    return conditional(page(rows, limit, _crawl))


registry.route("GET", f"{V1}/hosts", tag="hosts",
               summary="Hosts of the sites the caller administers (every host for an admin)",
               access="login",
               query=(Param("site_id", {"type": "integer"}, "only this site's hosts"),
                      Param("name", {"type": "string"}, "exact host name"),
                      Param("country", {"type": "string"}, "two-letter country code"),
                      *PAGE_PARAMS),
               response=_page_of("host"), conditional=True)(list_hosts)
registry.route("GET", f"{V1}/hosts/<int:host_id>", tag="hosts",
               summary="A host with its categories (directories up to date), URLs, netblocks, "
                       "countries, ASNs, locations and last crawl", access="site admin",
               response=_ref("HostDetail"), conditional=True)(get_host)
registry.route("GET", f"{V1}/hosts/<int:host_id>/crawls", tag="hosts",
               summary="The host's crawl history, newest first", access="site admin",
               query=PAGE_PARAMS, response=_page_of("Crawl"), conditional=True)(host_crawls)


# -- categories, repositories: public --------------------------------------------------------


async def list_categories() -> Response:
    return await _rows("category", {"product_id": query_filter("product_id", "int"),
                                    "name": query_filter("name")})


async def list_repositories() -> Response:
    return await _rows("repository", {
        "category_id": query_filter("category_id", "int"),
        "version_id": query_filter("version_id", "int"),
        "arch_id": query_filter("arch_id", "int"), "prefix": query_filter("prefix")})


registry.route("GET", f"{V1}/categories", tag="content", summary="Categories",
               query=(Param("product_id", {"type": "integer"}),
                      Param("name", {"type": "string"}, "exact name"), *PAGE_PARAMS),
               response=_page_of("category"), conditional=True)(list_categories)
registry.route("GET", f"{V1}/repositories", tag="content", summary="Repositories",
               query=(Param("category_id", {"type": "integer"}),
                      Param("version_id", {"type": "integer"}),
                      Param("arch_id", {"type": "integer"}),
                      Param("prefix", {"type": "string"}, "exact prefix (`fedora-40`)"),
                      *PAGE_PARAMS),
               response=_page_of("repository"), conditional=True)(list_repositories)


# -- propagation: public ---------------------------------------------------------------------


async def list_propagation() -> Response:
    ui = ui_context()
    after, limit = page_request()
    repos = sorted(await ui.public_cache.get(("propagated",),
                                             lambda: ui.db(ui.store.propagated_repositories)),
                   key=lambda r: r.repository_id)
    rows = [r for r in repos if r.repository_id > after][:limit + 1]
    return conditional(page(rows, limit, lambda r: {
        "repository_id": r.repository_id, "prefix": r.prefix, "product": r.product,
        "version": r.version, "arch": r.arch, "last": r.last},
        key=lambda r: r.repository_id))


async def propagation_series(repository_id: int) -> Response:
    ui = ui_context()
    raw = query_filter("since", max_length=32)
    since = None
    if raw is not None:
        try:
            since = datetime.datetime.fromisoformat(raw).replace(tzinfo=None)
        except ValueError:
            raise ApiError(400, "invalid", "since: expected an ISO 8601 date or time",
                           "since") from None
    if await ui.db(ui.store.get_row, "repository", repository_id) is None:
        raise NotFound(f"no repository {repository_id}")
    points = await ui.db(ui.store.propagation_series, repository_id, since)
    return conditional({"repository_id": repository_id, "points": [
        {"at": p.at, "same_day": p.same_day, "one_day": p.one_day, "two_day": p.two_day,
         "older": p.older, "no_info": p.no_info} for p in points]})


registry.route("GET", f"{V1}/propagation", tag="propagation",
               summary="Repositories with propagation statistics", query=PAGE_PARAMS,
               response=_page_of("PropagationRepository"), conditional=True)(list_propagation)
registry.route("GET", f"{V1}/propagation/<int:repository_id>", tag="propagation",
               summary="A repository's propagation: mirrors by how far behind they were, per "
                       "crawl run, oldest first",
               query=(Param("since", {"type": "string", "format": "date-time"},
                            "only runs from then on"),),
               response=_ref("PropagationSeries"), conditional=True)(propagation_series)


# -- admin tables ----------------------------------------------------------------------------


def _admin_list(table: str):  # type: ignore[no-untyped-def]
    async def view() -> Response:
        require_admin(current_actor())
        return await _rows(table, {})

    return view


def _admin_get(table: str):  # type: ignore[no-untyped-def]
    async def view(row_id: int) -> Response:
        require_admin(current_actor())
        ui = ui_context()
        row = await ui.db(ui.store.get_row, table, row_id)
        if row is None:
            raise NotFound(f"no {kind(table).label} {row_id}")
        return conditional(row_dict(row))

    return view


for _table in ADMIN_TABLES:
    registry.route("GET", f"{V1}/admin/{_table}", tag="admin", endpoint=f"list_{_table}",
                   summary=f"Every {kind(_table).label}", access="admin", query=PAGE_PARAMS,
                   response=_page_of(_table), conditional=True)(_admin_list(_table))
    registry.route("GET", f"{V1}/admin/{_table}/<int:row_id>", tag="admin",
                   endpoint=f"get_{_table}", summary=f"A {kind(_table).label}", access="admin",
                   response=_ref(_table), conditional=True)(_admin_get(_table))
