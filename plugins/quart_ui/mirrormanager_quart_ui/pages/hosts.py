"""Hosts: the host page (everything a host owns, its crawl history and log, plugin panels),
edits of the host and of what it owns, deletion, and admins' disable/enable."""

from __future__ import annotations

import trio
from markupsafe import Markup
from quart import Blueprint, Response, abort
from quart.typing import ResponseReturnValue

from mmcore.manage.catalog import HOST_CHILDREN, kind
from mmcore.manage.errors import ManageError
from mmcore.manage.rules import require_admin
from mmcore.manage.store import AuditEntry, HostDetail, Page

from mirrormanager_quart_ui.rendering import render_page
from mirrormanager_quart_ui.context import current_actor, ui_context
from mirrormanager_quart_ui.pages.common import choices_for, form_values, see_other
from mirrormanager_quart_ui.pages.sites import login_redirect

hosts = Blueprint("hosts", __name__)


#: the largest part of a crawl log shown (its end)
MAX_LOG_BYTES = 2 * 1024 * 1024


async def _host_page(host_id: int, *, error: ManageError | None = None,
                     values: dict | None = None, status: int = 200) -> ResponseReturnValue:
    ui = ui_context()
    actor = current_actor()

    def read() -> tuple[HostDetail, Page[AuditEntry]]:
        # one worker-thread round trip for the page's rows (each costs a thread hand-off)
        return (ui.manage.view_host(actor, host_id, counts=False),
                ui.store.audit_entries(1, 10, host_id=host_id))

    detail, audit = await ui.db(read)
    ids = [c.host_category.id for c in detail.categories]
    counts = await ui.host_counts.get(
        (host_id, tuple(ids)), lambda: ui.db(ui.store.directory_counts, ids))
    detail = detail.with_counts(counts)
    children = {table: kind(table) for table in (*HOST_CHILDREN, "host_category_url")}
    choices = {table: await choices_for(children[table], actor)
               for table in ("host_category", "host_location")}
    panels = [(panel.title, Markup(await panel.render(detail, actor))) for panel in ui.host_panels]
    has_log = ui.crawl_log_dir is not None and await trio.Path(
        ui.crawl_log_dir / f"{host_id}.log").exists()
    return await render_page(
        "host.html", detail=detail, kind=kind("host"), children=children, choices=choices,
        panels=panels, has_log=has_log, values=values, error=error, audit=audit,
        rules=ui.manage.rules), status


@hosts.get("/host/<int:host_id>")
async def view(host_id: int) -> ResponseReturnValue:
    if (gone := login_redirect()) is not None:
        return gone
    return await _host_page(host_id)


@hosts.post("/host/<int:host_id>")
async def update(host_id: int) -> ResponseReturnValue:
    ui = ui_context()
    form = await form_values()
    try:
        change = await ui.db(ui.manage.update, current_actor(), "host", host_id, form,
                             host_id=host_id)
    except ManageError as error:
        if error.status in (403, 404):
            raise
        return await _host_page(host_id, error=error, values=form, status=error.status)
    ui.announce_all(change.events)
    return see_other("hosts.view", host_id=host_id)


@hosts.post("/host/<int:host_id>/delete")
async def delete(host_id: int) -> ResponseReturnValue:
    ui = ui_context()
    actor = current_actor()
    owner = await ui.db(ui.manage.owner, "host", host_id)
    change = await ui.db(ui.manage.delete, actor, "host", host_id, host_id=host_id)
    ui.announce_all(change.events)
    return see_other("sites.view", site_id=owner.site_id)


@hosts.post("/host/<int:host_id>/disable")
async def disable(host_id: int) -> ResponseReturnValue:
    return await _set_admin_active(host_id, False)


@hosts.post("/host/<int:host_id>/enable")
async def enable(host_id: int) -> ResponseReturnValue:
    return await _set_admin_active(host_id, True)


async def _set_admin_active(host_id: int, active: bool) -> ResponseReturnValue:
    ui = ui_context()
    actor = current_actor()
    require_admin(actor)
    form = await form_values()
    reason = form.get("disable_reason", "") if not active else ""
    change = await ui.db(ui.manage.update, actor, "host", host_id,
                         {"admin_active": active, "disable_reason": reason}, partial=True,
                         host_id=host_id)
    ui.announce_all(change.events)
    return see_other("hosts.view", host_id=host_id)


@hosts.post("/host/<int:host_id>/<table>/new")
async def add_child(host_id: int, table: str) -> ResponseReturnValue:
    if table not in HOST_CHILDREN:
        abort(404)
    return await _add(host_id, table, host_id)


@hosts.post("/host/<int:host_id>/host_category/<int:hc_id>/urls/new")
async def add_url(host_id: int, hc_id: int) -> ResponseReturnValue:
    ui = ui_context()
    owner = await ui.db(ui.manage.owner, "host_category", hc_id)
    if owner.host_id != host_id:
        abort(404, "No such host category on this host.")
    return await _add(host_id, "host_category_url", hc_id)


async def _add(host_id: int, table: str, parent_id: int) -> ResponseReturnValue:
    ui = ui_context()
    form = await form_values()
    try:
        await ui.db(ui.manage.create, current_actor(), table, form, parent_id=parent_id)
    except ManageError as error:
        if error.status == 404:
            raise
        if error.status == 403 and error.field is None:
            raise
        return await _host_page(host_id, error=error, status=error.status)
    ui.changed()
    return see_other("hosts.view", host_id=host_id)


@hosts.post("/host/<int:host_id>/host_category/<int:hc_id>")
async def update_category(host_id: int, hc_id: int) -> ResponseReturnValue:
    ui = ui_context()
    form = await form_values()
    await ui.db(ui.manage.update, current_actor(), "host_category", hc_id,
                {"always_up2date": form.get("always_up2date", "")}, partial=True,
                host_id=host_id)
    ui.changed()
    return see_other("hosts.view", host_id=host_id)


@hosts.post("/host/<int:host_id>/<table>/<int:row_id>/delete")
async def delete_child(host_id: int, table: str, row_id: int) -> ResponseReturnValue:
    if table not in (*HOST_CHILDREN, "host_category_url"):
        abort(404)
    ui = ui_context()
    await ui.db(ui.manage.delete, current_actor(), table, row_id, host_id=host_id)
    ui.changed()
    return see_other("hosts.view", host_id=host_id)


@hosts.get("/host/<int:host_id>/crawl.log")
async def crawl_log(host_id: int) -> ResponseReturnValue:
    """The host's last crawl log: for its site's admins and MirrorManager admins only."""
    if (gone := login_redirect()) is not None:
        return gone
    ui = ui_context()
    await ui.db(ui.manage.require_host_admin, current_actor(), host_id)
    if ui.crawl_log_dir is None:
        abort(404, "Crawl logs are not kept on this server.")
    path = trio.Path(ui.crawl_log_dir / f"{host_id}.log")
    try:
        async with await path.open("rb") as handle:
            size = (await path.stat()).st_size
            if size > MAX_LOG_BYTES:
                await handle.seek(size - MAX_LOG_BYTES)
            data = await handle.read(MAX_LOG_BYTES)
    except FileNotFoundError:
        abort(404, "This host has no crawl log yet.")
    response = Response(data, content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response
