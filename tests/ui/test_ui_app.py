"""The web UI's pages and JSON against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from mirrormanager_quart_ui.app import create_app
from mirrormanager_quart_ui.config import UiConfig

from mmcore.deployment import Deployment
from mmcore.deployment_parse import parse_deployment
from mmcore.deployment_plan import plan_import

EXAMPLE = Path(__file__).parents[2] / "examples" / "deployment.toml"


def load_example(store) -> None:
    parsed = parse_deployment(EXAMPLE.read_text(), str(EXAMPLE), current=Deployment())
    store.apply_deployment(plan_import(Deployment(), parsed).target)


async def test_overview_lists_sites_hosts_and_categories(store):
    load_example(store)
    client = create_app(store, UiConfig(title="Test Mirrors")).test_client()
    response = await client.get("/")
    assert response.status_code == 200
    page = await response.get_data(as_text=True)
    assert "<title>Test Mirrors</title>" in page
    assert "2 sites, 3 hosts, 2 categories" in page
    assert "internal.example.net <span class=\"private\">(private)</span>" in page
    assert "<code>https://mirror.example.edu/fedora/linux</code>" in page


async def test_api_deployment_hides_password_hashes(store):
    load_example(store)
    client = create_app(store, UiConfig()).test_client()
    data = await (await client.get("/api/deployment")).get_json()
    assert [site["name"] for site in data["sites"]] == ["Example Networks", "Example University"]
    assert all("password_hash" not in site for site in data["sites"])
    assert data["sites"][1]["hosts"][0]["netblocks"] == ["192.0.2.0/24", "2001:db8:10::/48"]


async def test_health_and_errors_without_schema(store_url):
    from mirrormanager_pg_store.store import SqlStore

    empty = SqlStore(store_url)
    try:
        client = create_app(empty, UiConfig()).test_client()
        health = await client.get("/healthz")
        assert health.status_code == 503
        assert "mirrormanager db upgrade" in (await health.get_json())["reason"]
        page = await client.get("/")
        assert page.status_code == 503  # a clear answer, not a 500 with a traceback
        empty.upgrade()
        assert (await client.get("/healthz")).status_code == 200
    finally:
        empty.close()
