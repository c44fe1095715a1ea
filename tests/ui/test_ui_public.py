"""Public pages against a real database (SQLite and PostgreSQL): index, mirror list with
MirrorManager2's filters and paging, a mirror's page, propagation, statistics, map, health;
a database that is not there answers 503 and a failing write leaves nothing behind."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from mirrormanager_pg_store import schema as t
from mirrormanager_pg_store.store import SqlStore
from mirrormanager_quart_ui.app import create_app

from mmcore.manage.rules import Actor
from mmcore.manage.service import ManageService

from tests.ui.conftest import Browser, make_runtime
from tests.ui.seed import record_up_to_date, seed_content

ADMIN = Actor("admin", True)


def add_mirror(store: Any, name: str, country: str, *, private: bool = False,
               up2date: bool = True) -> int:
    manage = ManageService(store)
    site = manage.create_site(ADMIN, {"name": f"site of {name}", "user_active": "on",
                                      "admin_active": "on"}).row_id
    host = manage.create(ADMIN, "host", {
        "name": name, "country": country, "bandwidth_int": "100", "max_connections": "1",
        "user_active": "on", "admin_active": "on", "private": "on" if private else ""},
        parent_id=site).row_id
    hc = manage.create(ADMIN, "host_category", {"category_id": 1}, parent_id=host).row_id
    manage.create(ADMIN, "host_category_url", {"url": f"https://{name}/fedora/linux"},
                  parent_id=hc)
    if up2date:
        record_up_to_date(store, host, hc)
    return host


@pytest.fixture
def content(store: Any) -> Any:
    return seed_content(store)


async def test_index_lists_products_versions_and_arches(app: Any, content: Any) -> None:
    page = (await Browser(app).get("/")).text
    assert '<a href="/mirrors/Fedora">Fedora</a>' in page
    assert 'href="/mirrors/Fedora/40/x86_64"' in page


async def test_mirror_list_filters_and_pages(app: Any, store: Any, content: Any) -> None:
    for index in range(25):
        add_mirror(store, f"m{index:02d}.example.de", "DE")
    add_mirror(store, "one.example.fr", "FR")
    add_mirror(store, "private.example.fr", "FR", private=True)
    add_mirror(store, "stale.example.fr", "FR", up2date=False)
    browser = Browser(app)
    first = await browser.get("/mirrors")
    assert "26 mirrors" in first.text
    assert first.text.count('href="/mirror/') == 20  # one page of 20, by country then name
    assert "m00.example.de" in first.text and "one.example.fr" not in first.text
    second = (await browser.get("/mirrors?page=2")).text
    assert second.count('href="/mirror/') == 6 and "one.example.fr" in second
    french = (await browser.get("/mirrors/Fedora/40/x86_64?country=fr")).text
    assert "1 mirror" in french and "one.example.fr" in french
    assert "private.example.fr" not in french and "stale.example.fr" not in french
    assert "0 mirrors" in (await browser.get("/mirrors/Fedora/41")).text
    assert "0 mirrors" in (await browser.get("/mirrors/EPEL")).text
    assert "26 mirrors" in (await browser.get("/mirrors?page_size=100")).text
    bad = await browser.get("/mirrors?country=XYZ")
    assert bad.status_code == 400 and "country" in bad.text


async def test_a_list_page_reads_only_its_rows(runtime: Any, store: Any, content: Any) -> None:
    for index in range(30):
        add_mirror(store, f"m{index:02d}.example.de", "DE")
    app = create_app(runtime)
    statements: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute",
                    lambda _c, _cur, statement, *_a: statements.append(statement))
    page = (await Browser(app).get("/mirrors?page_size=5")).text
    assert page.count('href="/mirror/') == 5
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2  # the page's hosts with the total, the page's URLs
    assert "LIMIT" in selects[0].upper() and "OVER" in selects[0].upper()
    assert selects[1].count("?") + selects[1].count("%(") <= 8  # only the 5 hosts shown
    assert "(30 in all)" in page or "30 in all" in page


async def test_public_host_page(app: Any, store: Any, content: Any) -> None:
    host = add_mirror(store, "one.example.fr", "FR")
    private = add_mirror(store, "private.example.fr", "FR", private=True)
    browser = Browser(app)
    page = (await browser.get(f"/mirror/{host}")).text
    assert "1 of 1 directories up to date" in page and "(fully up to date)" in page
    assert "https: <a href=\"https://one.example.fr/fedora/linux\"" in page
    assert (await browser.get(f"/mirror/{private}")).status_code == 404
    assert (await browser.get("/mirror/99999")).status_code == 404


async def test_propagation_pages(app: Any, content: Any) -> None:
    browser = Browser(app)
    listing = (await browser.get("/propagation")).text
    assert f'href="/propagation/{content.repository_id}">fedora-40' in listing
    page = (await browser.get(f"/propagation/{content.repository_id}")).text
    assert "<svg" in page and page.count('class="bar"') >= 8
    assert (await browser.get("/propagation/4242")).status_code == 404


async def test_statistics_empty_then_with_data(app: Any, store: Any) -> None:
    browser = Browser(app)
    empty = await browser.get("/statistics")
    assert empty.status_code == 200 and 'id="no-statistics"' in empty.text
    with store.engine.begin() as conn:
        conn.execute(sa.insert(t.access_stat_category), [{"id": 1, "name": "countries"}])
        conn.execute(sa.insert(t.access_stat), [
            {"category_id": 1, "date": datetime.date(2026, 11, 30), "name": "DE",
             "requests": 700, "percent": 70.0},
            {"category_id": 1, "date": datetime.date(2026, 11, 30), "name": "<b>FR</b>",
             "requests": 300, "percent": 30.0},
            {"category_id": 1, "date": datetime.date(2026, 11, 29), "name": "DE",
             "requests": 5, "percent": 100.0},
        ])
    page = (await browser.get("/statistics")).text
    assert "2026-11-30" in page and "<svg" in page and "700" in page
    assert "&lt;b&gt;FR&lt;/b&gt;" in page and "<b>FR</b>" not in page  # escaped
    assert 'href="/statistics/2026-11-29/countries"' in page
    assert (await browser.get("/statistics/2026-11-30/archs")).status_code == 200
    assert (await browser.get("/statistics/2026-11-30/secrets")).status_code == 404
    assert (await browser.get("/statistics/yesterday")).status_code == 404


async def test_map_shows_public_mirrors_with_coordinates(app: Any, store: Any,
                                                         content: Any) -> None:
    host = add_mirror(store, "one.example.fr", "FR")
    private = add_mirror(store, "private.example.fr", "FR", private=True)
    with store.engine.begin() as conn:
        conn.execute(sa.update(t.host).values(latitude=48.85, longitude=2.35))
    page = (await Browser(app).get("/map")).text
    assert f'href="/mirror/{host}"' in page and f'href="/mirror/{private}"' not in page
    assert "1 mirror with a known location" in page
    assert page.count("<path") == 1 and len(page.split('class="land"')[0]) > 20_000  # the shipped land outline


async def test_health(app: Any) -> None:
    browser = Browser(app)
    assert (await browser.client.get("/healthz/live")).status_code == 200
    assert (await browser.client.get("/healthz/ready")).status_code == 200


async def test_ready_fails_without_schema_and_pages_answer_503(store_url: str,
                                                               tmp_path: Any) -> None:
    empty = SqlStore(store_url)
    try:
        app = create_app(make_runtime(empty, tmp_path))
        client = app.test_client()
        assert (await client.get("/healthz/live")).status_code == 200
        ready = await client.get("/healthz/ready")
        assert ready.status_code == 503
        assert "mirrormanager db upgrade" in (await ready.get_json())["reason"]
        page = await client.get("/mirrors")
        assert page.status_code == 503
        assert "nothing was changed" in await page.get_data(as_text=True)
        empty.upgrade()
        assert (await client.get("/healthz/ready")).status_code == 200
    finally:
        empty.close()


@pytest.mark.postgres
async def test_database_gone_mid_request(pg_database_url: str, tmp_path: Any) -> None:
    from tests.conftest import PG_SERVER_URL

    store = SqlStore(pg_database_url)
    store.upgrade()
    app = create_app(make_runtime(store, tmp_path))
    browser = Browser(app)
    assert (await browser.get("/mirrors")).status_code == 200
    server = sa.create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT",
                              poolclass=sa.NullPool)
    name = sa.make_url(pg_database_url).database
    with server.connect() as conn:  # the database server drops every connection
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = :name AND pid <> pg_backend_pid()"),
                     {"name": name})
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    try:
        response = await browser.get("/mirrors")
        assert response.status_code == 503 and "not reachable" in response.text
        assert (await browser.client.get("/healthz/ready")).status_code == 503
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        server.dispose()
        store.close()


async def test_a_failing_write_leaves_nothing_half_written(actors: dict, world: Any,
                                                           store: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from mirrormanager_pg_store import manage_ops

    def broken_audit(*_args: Any) -> None:
        raise sa.exc.OperationalError("INSERT INTO mm_audit_log", {}, Exception("disk full"))

    before = store.table_counts()
    monkeypatch.setattr(manage_ops, "_record", broken_audit)
    response = await actors["owner"].post(f"/host/{world.host_id}/host_netblock/new",
                                          {"netblock": "10.8.0.0/24"})
    assert response.status_code == 503
    assert store.table_counts() == before  # the netblock was rolled back with the audit row


async def test_rsync_filter_lists_directories_changed_since(app: Any, store: Any,
                                                             content: Any) -> None:
    """MirrorManager2's /rsyncFilter: what the rsync-filter command prints, over HTTP."""
    with store.engine.begin() as conn:
        conn.execute(sa.update(t.directory).values(ctime=100))
        conn.execute(sa.update(t.directory).where(t.directory.c.id == 2).values(ctime=5000))
        changed = conn.execute(sa.select(t.directory.c.name).where(t.directory.c.id == 2)
                               ).scalar_one()
    browser = Browser(app)
    response = await browser.get("/rsyncFilter?categories=Fedora Linux&since=1000"
                                 "&stripprefix=pub")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    lines = response.text.splitlines()
    relative = changed.split("/", 1)[1]  # "pub/" stripped
    assert f"+ {relative}/" in lines and f"+ {relative}/*" in lines
    assert lines[-1] == "- *" and all(not line.startswith("+ pub/") for line in lines)
    nothing = await browser.get("/rsyncFilter?categories=Fedora Linux&since=9999")
    assert nothing.text.splitlines() == ["- *"]
    for query in ("", "?categories=Fedora Linux", "?categories=Nope&since=1",
                  "?categories=Fedora Linux&since=soon"):
        refused = await browser.get(f"/rsyncFilter{query}")
        assert refused.status_code == 400
        assert refused.text.splitlines()[-1] == "- *"
        assert refused.text.startswith("# ")
