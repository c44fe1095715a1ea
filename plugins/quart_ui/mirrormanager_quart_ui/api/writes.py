"""Write endpoints of ``/api/v1``: what the UI can change -- sites, site admins, hosts and
everything a host owns (categories, URLs, netblocks, countries, ASNs, ACL IPs, locations), and
the admin tables.

Every write goes through :class:`mmcore.manage.service.ManageService`, the UI's own use cases:
the same permission rules (site admins manage their sites; admin-only kinds, fields and
categories and netblock sizes as in the UI), the same validation, one transaction with its
audit record, the same events.  Create answers 201 with the row, update (a partial ``PATCH``:
only the fields sent) 200 with the row, delete 204.
"""

from __future__ import annotations

from typing import Any

from quart import Response

from mmcore.manage.catalog import ADMIN_TABLES, HOST_CHILDREN, kind
from mmcore.manage.errors import NotFound
from mmcore.manage.service import Change

from mirrormanager_quart_ui.api.blueprint import PREFIX, registry
from mirrormanager_quart_ui.api.reads import V1, _ref
from mirrormanager_quart_ui.api.responses import json_body, json_response
from mirrormanager_quart_ui.api.schemas import create_form, row_dict, unknown
from mirrormanager_quart_ui.context import current_actor, ui_context

#: the URL segment of each kind a host owns (the keys of ``GET /hosts/{id}``)
HOST_SEGMENTS: dict[str, str] = {
    "host_category": "categories", "host_netblock": "netblocks", "host_peer_asn": "peer_asns",
    "host_country_allowed": "countries_allowed", "host_country": "countries",
    "host_acl_ip": "acl_ips", "host_location": "locations",
}
assert set(HOST_SEGMENTS) == set(HOST_CHILDREN)


def _input(table: str, update: bool = False) -> dict[str, Any]:
    return _ref(f"{table}_{'update' if update else 'create'}")


async def _answer(change: Change, status: int, location: str | None = None) -> Response:
    ui = ui_context()
    ui.announce_all(change.events)
    row = await ui.db(ui.store.get_row, change.table, change.row_id)
    response = json_response(row_dict(row), status)
    if location:
        response.headers["Location"] = PREFIX + location
    return response


def _deleted(change: Change) -> Response:
    ui_context().announce_all(change.events)
    return Response(b"", status=204)


async def _create(table: str, parent_id: int | None, location: str) -> Response:
    ui = ui_context()
    body = create_form(kind(table), await json_body())
    change = await ui.db(ui.manage.create, current_actor(), table, body, parent_id=parent_id)
    return await _answer(change, 201, location.format(id=change.row_id))


async def _update(table: str, row_id: int, **where: int) -> Response:
    ui = ui_context()
    body = await json_body()
    unknown(kind(table), body)
    change = await ui.db(ui.manage.update, current_actor(), table, row_id, body, partial=True,
                         **where)
    return await _answer(change, 200)


async def _delete(table: str, row_id: int, **where: int) -> Response:
    ui = ui_context()
    return _deleted(await ui.db(ui.manage.delete, current_actor(), table, row_id, **where))


_WRITE = "site admin"
_NO_CONTENT = {"status": 204, "response": None}


# -- sites -----------------------------------------------------------------------------------


async def create_site() -> Response:
    return await _create("site", None, f"{V1}/sites/{{id}}")


async def update_site(site_id: int) -> Response:
    return await _update("site", site_id, site_id=site_id)


async def delete_site(site_id: int) -> Response:
    return await _delete("site", site_id, site_id=site_id)


async def add_site_admin(site_id: int) -> Response:
    return await _create("site_admin", site_id, f"{V1}/sites/{site_id}")


async def remove_site_admin(site_id: int, admin_id: int) -> Response:
    return await _delete("site_admin", admin_id, site_id=site_id)


async def create_host(site_id: int) -> Response:
    return await _create("host", site_id, f"{V1}/hosts/{{id}}")


registry.route("POST", f"{V1}/sites", tag="sites", access="login",
               summary="Create a site (the caller becomes its first admin)",
               body=_input("site"), status=201, response=_ref("site"))(create_site)
registry.route("PATCH", f"{V1}/sites/<int:site_id>", tag="sites", access=_WRITE,
               summary="Change a site (only the fields sent)", body=_input("site", True),
               response=_ref("site"))(update_site)
registry.route("DELETE", f"{V1}/sites/<int:site_id>", tag="sites", access=_WRITE,
               summary="Delete a site with its hosts", **_NO_CONTENT)(delete_site)
registry.route("POST", f"{V1}/sites/<int:site_id>/admins", tag="sites", access=_WRITE,
               summary="Add a site admin", body=_input("site_admin"), status=201,
               response=_ref("site_admin"))(add_site_admin)
registry.route("DELETE", f"{V1}/sites/<int:site_id>/admins/<int:admin_id>", tag="sites",
               access=_WRITE, summary="Remove a site admin (never the last one)",
               **_NO_CONTENT)(remove_site_admin)
registry.route("POST", f"{V1}/sites/<int:site_id>/hosts", tag="hosts", access=_WRITE,
               summary="Add a host to a site", body=_input("host"), status=201,
               response=_ref("host"))(create_host)


# -- hosts and what they own -----------------------------------------------------------------


async def update_host(host_id: int) -> Response:
    return await _update("host", host_id, host_id=host_id)


async def delete_host(host_id: int) -> Response:
    return await _delete("host", host_id, host_id=host_id)


async def update_host_category(host_id: int, row_id: int) -> Response:
    return await _update("host_category", row_id, host_id=host_id)


async def _host_category_on(host_id: int, hc_id: int) -> None:
    ui = ui_context()
    owner = await ui.db(ui.manage.owner, "host_category", hc_id)
    if owner.host_id != host_id:
        raise NotFound("no such host category on this host")


async def add_url(host_id: int, hc_id: int) -> Response:
    await _host_category_on(host_id, hc_id)
    return await _create("host_category_url", hc_id, f"{V1}/hosts/{host_id}")


async def delete_url(host_id: int, hc_id: int, url_id: int) -> Response:
    return await _delete("host_category_url", url_id, host_id=host_id, parent_id=hc_id)


registry.route("PATCH", f"{V1}/hosts/<int:host_id>", tag="hosts", access=_WRITE,
               summary="Change a host (only the fields sent)", body=_input("host", True),
               response=_ref("host"))(update_host)
registry.route("DELETE", f"{V1}/hosts/<int:host_id>", tag="hosts", access=_WRITE,
               summary="Delete a host and everything it owns", **_NO_CONTENT)(delete_host)
registry.route("PATCH", f"{V1}/hosts/<int:host_id>/categories/<int:row_id>", tag="hosts",
               access=_WRITE, summary="Change a host category (`always_up2date`: admins)",
               body=_input("host_category", True),
               response=_ref("host_category"))(update_host_category)
registry.route("POST", f"{V1}/hosts/<int:host_id>/categories/<int:hc_id>/urls", tag="hosts",
               access=_WRITE, summary="Add a URL to a host category",
               body=_input("host_category_url"), status=201,
               response=_ref("host_category_url"))(add_url)
registry.route("DELETE", f"{V1}/hosts/<int:host_id>/categories/<int:hc_id>/urls/<int:url_id>",
               tag="hosts", access=_WRITE, summary="Delete a URL of a host category",
               **_NO_CONTENT)(delete_url)


def _add_child(table: str):  # type: ignore[no-untyped-def]
    async def view(host_id: int) -> Response:
        return await _create(table, host_id, f"{V1}/hosts/{host_id}")

    return view


def _delete_child(table: str):  # type: ignore[no-untyped-def]
    async def view(host_id: int, row_id: int) -> Response:
        return await _delete(table, row_id, host_id=host_id)

    return view


for _table, _segment in HOST_SEGMENTS.items():
    _label = kind(_table).label
    _access = "admin" if kind(_table).admin_only else _WRITE
    registry.route("POST", f"{V1}/hosts/<int:host_id>/{_segment}", tag="hosts",
                   endpoint=f"add_{_table}", access=_access, summary=f"Add a {_label}",
                   body=_input(_table), status=201, response=_ref(_table))(_add_child(_table))
    registry.route("DELETE", f"{V1}/hosts/<int:host_id>/{_segment}/<int:row_id>", tag="hosts",
                   endpoint=f"delete_{_table}", access=_access, summary=f"Delete a {_label}",
                   **_NO_CONTENT)(_delete_child(_table))


# -- admin tables ----------------------------------------------------------------------------


def _admin_create(table: str):  # type: ignore[no-untyped-def]
    async def view() -> Response:
        return await _create(table, None, f"{V1}/admin/{table}/{{id}}")

    return view


def _admin_update(table: str):  # type: ignore[no-untyped-def]
    async def view(row_id: int) -> Response:
        return await _update(table, row_id)

    return view


def _admin_delete(table: str):  # type: ignore[no-untyped-def]
    async def view(row_id: int) -> Response:
        return await _delete(table, row_id)

    return view


for _table in ADMIN_TABLES:
    _label = kind(_table).label
    registry.route("POST", f"{V1}/admin/{_table}", tag="admin", endpoint=f"create_{_table}",
                   access="admin", summary=f"Add a {_label}", body=_input(_table), status=201,
                   response=_ref(_table))(_admin_create(_table))
    registry.route("PATCH", f"{V1}/admin/{_table}/<int:row_id>", tag="admin",
                   endpoint=f"update_{_table}", access="admin", summary=f"Change a {_label}",
                   body=_input(_table, True), response=_ref(_table))(_admin_update(_table))
    registry.route("DELETE", f"{V1}/admin/{_table}/<int:row_id>", tag="admin",
                   endpoint=f"delete_{_table}", access="admin", summary=f"Delete a {_label}",
                   **_NO_CONTENT)(_admin_delete(_table))
