"""The UI's hooks: a plugin adds a page, a navigation entry, a host-page panel, and routes
authenticated by a bearer token (exempt from CSRF); the built-in pages come through the same
hooks."""

from __future__ import annotations

from typing import Any

import pytest
from markupsafe import escape
from quart import Blueprint, abort, jsonify, request

from mmcore import hookimpl
from mmcore.accounts.identity import Identity

from mirrormanager_quart_ui.app import create_app
from mirrormanager_quart_ui.context import current_actor, ui_context
from mirrormanager_quart_ui.extension import HostPanel, NavEntry, UiRoutes

from tests.ui.conftest import Browser, World, make_runtime


@pytest.fixture
def store_url(tmp_path: Any) -> str:
    """These tests do not depend on the database backend: SQLite only."""
    return f"sqlite:///{tmp_path / 'mirrormanager.db'}"


TOKEN = "s3cret-api-token"


class BearerTokens:
    name = "test-tokens"

    async def authenticate(self, req: Any) -> Identity | None:
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        if header.removeprefix("Bearer ") != TOKEN:
            abort(401)
        return Identity("owner", (), provider="token")


class ExtraPlugin:
    """What a third-party package would register through its entry point."""

    @hookimpl
    def mm_ui_routes(self, ui: Any) -> list[UiRoutes]:
        pages = Blueprint("extra_pages", __name__)

        @pages.get("/hello")
        async def hello() -> str:
            return f"hello {escape(current_actor().username or 'stranger')}"

        api = Blueprint("extra_api", __name__)

        @api.post("/netblocks/<int:host_id>")
        async def add_netblock(host_id: int) -> Any:
            ctx = ui_context()
            data = await request.get_json()
            change = await ctx.db(ctx.manage.create, current_actor(), "host_netblock",
                                  {"netblock": data["netblock"]}, parent_id=host_id)
            return jsonify({"id": change.row_id}), 201

        return [UiRoutes(pages), UiRoutes(api, url_prefix="/api/test")]

    @hookimpl
    def mm_ui_navigation(self) -> list[NavEntry]:
        return [NavEntry("Hello", "extra_pages.hello", order=1),
                NavEntry("Secret", "/hello", audience="admin")]

    @hookimpl
    def mm_ui_host_panels(self) -> list[HostPanel]:
        async def render(host: Any, actor: Any) -> str:
            return f"<p id='extra-panel'>{escape(host.host.name)} seen by {escape(actor.username)}</p>"

        return [HostPanel("Extra", render)]

    @hookimpl
    def mm_ui_authenticators(self) -> list[Any]:
        return [BearerTokens()]


async def test_a_plugin_adds_pages_navigation_panels_and_authentication(
        store: Any, tmp_path: Any, world: World) -> None:
    runtime = make_runtime(store, tmp_path, (ExtraPlugin(),))
    app = create_app(runtime)
    from tests.ui.conftest import local_user

    await local_user(store, "owner")
    owner = Browser(app)
    await owner.login("owner")
    page = (await owner.get("/")).text
    assert '<a href="/hello">Hello</a>' in page and "Secret" not in page
    assert (await owner.get("/hello")).text == "hello owner"
    host_page = (await owner.get(f"/host/{world.host_id}")).text
    assert "<p id='extra-panel'>mirror.owner.example seen by owner</p>" in host_page

    client = app.test_client()
    response = await client.post(f"/api/test/netblocks/{world.host_id}",
                                 json={"netblock": "10.20.0.0/16"},
                                 headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 201  # no CSRF token needed: no cookie authority
    assert "10.20.0.0/16" in [n.netblock for n in store.host_detail(world.host_id).netblocks]
    # the same rules hold: the token's user is no admin of the other site
    response = await client.post(f"/api/test/netblocks/{world.other_host_id}",
                                 json={"netblock": "10.21.0.0/16"},
                                 headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 403
    response = await client.post(f"/api/test/netblocks/{world.host_id}",
                                 json={"netblock": "10.22.0.0/16"},
                                 headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401
    # without the header the route is an ordinary cookie route and needs the CSRF token
    response = await owner.client.post(f"/api/test/netblocks/{world.host_id}",
                                       json={"netblock": "10.23.0.0/16"})
    assert response.status_code == 400


def test_built_in_pages_are_registered_through_the_hooks(runtime: Any) -> None:
    plugins = {impl.plugin_name for impl in runtime.hook.mm_ui_routes.get_hookimpls()}
    assert "quart_ui" in plugins
    app = create_app(runtime)
    assert {"public", "health", "account", "sites", "hosts", "admin"} <= set(app.blueprints)
