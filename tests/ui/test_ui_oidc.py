"""OpenID Connect log-in against a provider the test serves on 127.0.0.1: the ID token's
signature, issuer, audience, nonce and expiry are checked; groups make admins."""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import urlsplit

import attrs
import httpx
import pytest
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve

from mirrormanager_quart_ui.app import create_app

from tests.ui.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider



@pytest.fixture
def store_url(tmp_path: Any) -> str:
    """These tests do not depend on the database backend: SQLite only."""
    return f"sqlite:///{tmp_path / 'mirrormanager.db'}"


@pytest.fixture
async def provider(nursery: trio.Nursery) -> Provider:
    found = Provider()
    config = HypercornConfig()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    binds = await nursery.start(partial(serve, found.app(), config))
    found.issuer = binds[0].rstrip("/")
    return found


@pytest.fixture
def oidc_app(runtime: Any, provider: Provider) -> Any:
    settings = attrs.evolve(runtime.section("ui", object), auth=["local", "oidc"],
                            oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID,
                            oidc_client_secret=CLIENT_SECRET, admin_groups=["sysadmin-main"])
    return create_app(runtime, settings)


async def _log_in(app: Any, client: Any | None = None) -> tuple[Any, Any]:
    """Follow the flow as a browser would; return the client and the callback's answer."""
    client = client or app.test_client()
    start = await client.get("/oidc/login?next=/admin/")
    assert start.status_code == 303
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.get(start.headers["Location"])  # the provider logs the user in
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/oidc/callback"
    return client, await client.get(f"{back.path}?{back.query}")


async def test_oidc_log_in_with_groups(oidc_app: Any, provider: Provider) -> None:
    provider.user["groups"] = ["packager", "sysadmin-main"]
    client, done = await _log_in(oidc_app)
    assert done.status_code == 303 and done.headers["Location"] == "/admin/"
    page = await client.get("/admin/")
    assert page.status_code == 200  # an admin through the groups claim
    assert "fasuser (admin)" in await page.get_data(as_text=True)


async def test_oidc_user_without_admin_group(oidc_app: Any, provider: Provider) -> None:
    client, done = await _log_in(oidc_app)
    assert done.status_code == 303
    assert (await client.get("/sites")).status_code == 200
    assert (await client.get("/admin/")).status_code == 403


@pytest.mark.parametrize("misbehave", ["wrong_key", "wrong_audience", "wrong_nonce",
                                       "expired", "wrong_issuer"])
async def test_untrustworthy_id_tokens_are_refused(oidc_app: Any, provider: Provider,
                                                   misbehave: str) -> None:
    provider.misbehave = misbehave
    client, done = await _log_in(oidc_app)
    assert done.status_code == 401
    assert "could not be verified" in await done.get_data(as_text=True)
    response = await client.get("/sites")
    assert response.status_code == 303 and "/login" in response.headers["Location"]


async def test_callback_without_the_started_log_in_is_refused(oidc_app: Any,
                                                              provider: Provider) -> None:
    _, done = await _log_in(oidc_app)
    assert done.status_code == 303
    # a second use of a callback URL (another browser, or replayed): no pending state
    stranger = oidc_app.test_client()
    response = await stranger.get("/oidc/callback?code=x&state=y")
    assert response.status_code == 400
