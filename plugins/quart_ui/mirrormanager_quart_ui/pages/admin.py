"""Admin pages: create, edit and delete rows of the admin tables; the audit log."""

from __future__ import annotations

from quart import Blueprint, abort
from quart.typing import ResponseReturnValue

from mmcore.manage.catalog import ADMIN_TABLES, KINDS, kind
from mmcore.manage.errors import ManageError
from mmcore.manage.rules import require_admin

from mirrormanager_quart_ui.rendering import render_page
from mirrormanager_quart_ui.context import current_actor, ui_context
from mirrormanager_quart_ui.pages.common import (
    choices_for,
    form_values,
    paging,
    query_int,
    query_text,
    see_other,
)
from mirrormanager_quart_ui.pages.sites import login_redirect

admin = Blueprint("admin", __name__, url_prefix="/admin")


def _admin_kind(table: str):  # type: ignore[no-untyped-def]
    if table not in ADMIN_TABLES:
        abort(404, "No such table.")
    return kind(table)


@admin.get("/")
async def index() -> ResponseReturnValue:
    if (gone := login_redirect()) is not None:
        return gone
    require_admin(current_actor())
    return await render_page("admin_index.html", kinds=[KINDS[t] for t in ADMIN_TABLES])


async def _table_page(table: str, *, error: ManageError | None = None,
                      values: dict | None = None, status: int = 200) -> ResponseReturnValue:
    ui = ui_context()
    actor = current_actor()
    require_admin(actor)
    managed = _admin_kind(table)
    page, page_size = paging()
    listed = await ui.db(ui.store.list_rows, table, page, page_size)
    titles = {}
    for field in managed.fields:
        column = [getattr(row, field.name) for row in listed.items]
        if field.kind == "ref" and field.ref:
            titles[field.name] = await ui.db(ui.store.titles, field.ref, column)
        elif field.kind == "directory":
            titles[field.name] = await ui.db(ui.store.directory_names, column)
    return await render_page(
        "admin_table.html", kind=managed, listed=listed, titles=titles,
        choices=await choices_for(managed, actor), values=values or {}, error=error), status


@admin.get("/<table>")
async def table_view(table: str) -> ResponseReturnValue:
    if (gone := login_redirect()) is not None:
        return gone
    return await _table_page(table)


@admin.post("/<table>")
async def create(table: str) -> ResponseReturnValue:
    ui = ui_context()
    _admin_kind(table)
    form = await form_values()
    try:
        await ui.db(ui.manage.create, current_actor(), table, form)
    except ManageError as error:
        if error.status in (403, 404):
            raise
        return await _table_page(table, error=error, values=form, status=error.status)
    ui.changed()
    return see_other("admin.table_view", table=table)


async def _row_page(table: str, row_id: int, *, error: ManageError | None = None,
                    values: dict | None = None, status: int = 200) -> ResponseReturnValue:
    ui = ui_context()
    actor = current_actor()
    require_admin(actor)
    managed = _admin_kind(table)
    row = await ui.db(ui.store.get_row, table, row_id)
    if row is None:
        abort(404, f"No {managed.label} {row_id}.")
    names = await ui.db(ui.store.directory_names,
                        [getattr(row, f.name) for f in managed.fields if f.kind == "directory"])
    directories = {f.name: names.get(getattr(row, f.name), "")
                   for f in managed.fields if f.kind == "directory"}
    return await render_page(
        "admin_row.html", kind=managed, row=row, choices=await choices_for(managed, actor),
        directories=directories, values=values, error=error), status


@admin.get("/<table>/<int:row_id>")
async def row_view(table: str, row_id: int) -> ResponseReturnValue:
    if (gone := login_redirect()) is not None:
        return gone
    return await _row_page(table, row_id)


@admin.post("/<table>/<int:row_id>")
async def update(table: str, row_id: int) -> ResponseReturnValue:
    ui = ui_context()
    _admin_kind(table)
    form = await form_values()
    try:
        await ui.db(ui.manage.update, current_actor(), table, row_id, form)
    except ManageError as error:
        if error.status in (403, 404):
            raise
        return await _row_page(table, row_id, error=error, values=form, status=error.status)
    ui.changed()
    return see_other("admin.table_view", table=table)


@admin.post("/<table>/<int:row_id>/delete")
async def delete(table: str, row_id: int) -> ResponseReturnValue:
    ui = ui_context()
    _admin_kind(table)
    await ui.db(ui.manage.delete, current_actor(), table, row_id)
    ui.changed()
    return see_other("admin.table_view", table=table)


@admin.get("/audit")
async def audit() -> ResponseReturnValue:
    if (gone := login_redirect()) is not None:
        return gone
    require_admin(current_actor())
    ui = ui_context()
    page, page_size = paging()
    site_id = query_int("site", 0, 0) or None
    host_id = query_int("host", 0, 0) or None
    username = query_text("user")
    listed = await ui.db(ui.store.audit_entries, page, page_size, site_id=site_id,
                         host_id=host_id, username=username)
    return await render_page("audit.html", listed=listed, site_id=site_id, host_id=host_id,
                                 username=username or "")
