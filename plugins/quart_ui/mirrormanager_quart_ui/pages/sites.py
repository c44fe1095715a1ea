"""Sites: "my sites", all sites (admins), create, edit, delete, site admins, new hosts."""

from __future__ import annotations

from quart import Blueprint, Response, redirect, request, url_for
from quart.typing import ResponseReturnValue

from mmcore.manage.catalog import kind
from mmcore.manage.errors import ManageError
from mmcore.manage.rules import require_admin

from mirrormanager_quart_ui.rendering import render_page
from mirrormanager_quart_ui.context import current_actor, ui_context
from mirrormanager_quart_ui.pages.common import form_values, paging, query_text, see_other

sites = Blueprint("sites", __name__)


def login_redirect() -> Response | None:
    """Send an anonymous visitor of a page that needs a log-in to the log-in page."""
    if current_actor().authenticated:
        return None
    return redirect(url_for("account.login_form", next=request.full_path.rstrip("?")), 303)


@sites.get("/sites")
async def mine() -> ResponseReturnValue:
    if (gone := login_redirect()) is not None:
        return gone
    ui = ui_context()
    actor = current_actor()
    listed = await ui.db(ui.store.sites_of, actor.username or "")
    return await render_page("my_sites.html", sites=listed)


@sites.get("/admin/sites")
async def all_sites() -> ResponseReturnValue:
    if (gone := login_redirect()) is not None:
        return gone
    require_admin(current_actor())
    ui = ui_context()
    page, page_size = paging()
    search = query_text("q")
    listed = await ui.db(ui.store.list_sites, page, page_size, search)
    return await render_page("all_sites.html", listed=listed, search=search or "")


@sites.get("/site/new")
async def new_form() -> ResponseReturnValue:
    if (gone := login_redirect()) is not None:
        return gone
    return await render_page("site_form.html", kind=kind("site"), values={}, site=None)


@sites.post("/site/new")
async def create() -> ResponseReturnValue:
    ui = ui_context()
    form = await form_values()
    try:
        change = await ui.db(ui.manage.create_site, current_actor(), form)
    except ManageError as error:
        form.pop("password", None)
        return await render_page("site_form.html", kind=kind("site"), values=form,
                                     site=None, error=error), error.status
    return see_other("sites.view", site_id=change.row_id)


async def _site_page(site_id: int, *, error: ManageError | None = None,
                     values: dict | None = None, status: int = 200) -> ResponseReturnValue:
    ui = ui_context()
    actor = current_actor()
    detail = await ui.db(ui.manage.view_site, actor, site_id)
    audit = await ui.db(ui.store.audit_entries, 1, 10, site_id=site_id)
    return await render_page(
        "site.html", detail=detail, kind=kind("site"), host_kind=kind("host"),
        values=values, error=error, audit=audit), status


@sites.get("/site/<int:site_id>")
async def view(site_id: int) -> ResponseReturnValue:
    if (gone := login_redirect()) is not None:
        return gone
    return await _site_page(site_id)


@sites.post("/site/<int:site_id>")
async def update(site_id: int) -> ResponseReturnValue:
    ui = ui_context()
    form = await form_values()
    try:
        await ui.db(ui.manage.update, current_actor(), "site", site_id, form, site_id=site_id)
    except ManageError as error:
        if error.status in (403, 404):
            raise
        form.pop("password", None)
        return await _site_page(site_id, error=error, values=form, status=error.status)
    ui.changed()
    return see_other("sites.view", site_id=site_id)


@sites.post("/site/<int:site_id>/delete")
async def delete(site_id: int) -> ResponseReturnValue:
    ui = ui_context()
    change = await ui.db(ui.manage.delete, current_actor(), "site", site_id, site_id=site_id)
    ui.announce_all(change.events)
    return see_other("sites.mine")


@sites.post("/site/<int:site_id>/admins")
async def add_admin(site_id: int) -> ResponseReturnValue:
    ui = ui_context()
    form = await form_values()
    await ui.db(ui.manage.create, current_actor(), "site_admin", form, parent_id=site_id)
    return see_other("sites.view", site_id=site_id)


@sites.post("/site/<int:site_id>/admins/<int:admin_id>/delete")
async def remove_admin(site_id: int, admin_id: int) -> ResponseReturnValue:
    ui = ui_context()
    await ui.db(ui.manage.delete, current_actor(), "site_admin", admin_id, site_id=site_id)
    return see_other("sites.view", site_id=site_id)


@sites.get("/site/<int:site_id>/hosts/new")
async def new_host_form(site_id: int) -> ResponseReturnValue:
    if (gone := login_redirect()) is not None:
        return gone
    ui = ui_context()
    detail = await ui.db(ui.manage.view_site, current_actor(), site_id)
    return await render_page("host_form.html", kind=kind("host"), values={},
                                 site=detail.site)


@sites.post("/site/<int:site_id>/hosts/new")
async def create_host(site_id: int) -> ResponseReturnValue:
    ui = ui_context()
    form = await form_values()
    actor = current_actor()
    try:
        change = await ui.db(ui.manage.create, actor, "host", form, parent_id=site_id)
    except ManageError as error:
        if error.status in (403, 404):
            raise
        detail = await ui.db(ui.manage.view_site, actor, site_id)
        return await render_page("host_form.html", kind=kind("host"), values=form,
                                     site=detail.site, error=error), error.status
    ui.announce_all(change.events)
    return see_other("hosts.view", host_id=change.row_id)
