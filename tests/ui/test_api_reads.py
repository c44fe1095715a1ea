"""The JSON API's reads against the five actors, on SQLite and PostgreSQL: MirrorManager2's
``/api/mirroradmins`` and ``/api/repositories``, ``/api/v1`` reads (permissions, keyset pages,
filters, ETag/304, the error shape)."""

from __future__ import annotations

from typing import Any

import pytest

from mmcore.manage.rules import Actor
from mmcore.manage.service import ManageService

from tests.ui.api_client import Api, sessions
from tests.ui.conftest import ACTORS, World
from tests.ui.seed import REPO_DIR, TOPDIR, Content, record_up_to_date


def seed_content(store: Any, world: World) -> Content:
    """tests.ui.seed's Fedora 40 x86_64 repository and propagation runs, in the world's
    category (ids from 100, beside the world's rows)."""
    import datetime

    from mmcore.crawl.store import PropagationCounts

    product_id = store.get_row("category", world.category_id).product_id
    store.bulk_load({
        "directory": (("id", "name", "readable", "ctime"),
                      [(100, TOPDIR, True, 0), (101, REPO_DIR, True, 0)]),
        "category_directory": (("category_id", "directory_id"),
                               [(world.category_id, 100), (world.category_id, 101)]),
        "arch": (("id", "name", "publiclist", "primary_arch"), [(100, "x86_64", True, True)]),
        "version": (("id", "name", "product_id", "display", "is_test", "ordered_mirrorlist",
                     "sortorder"), [(100, "40", product_id, True, False, True, 0)]),
        "repository": (("id", "name", "prefix", "category_id", "version_id", "arch_id",
                        "directory_id", "disabled"),
                       [(100, REPO_DIR, "fedora-40", world.category_id, 100, 100, 101,
                         False)]),
    })
    start = datetime.datetime(2026, 11, 20, 6, 0)
    for run in range(8):
        store.record_propagation(
            [PropagationCounts(100, same_day=3 + run, one_day=4 - run // 2, two_day=2,
                               older=1, no_info=run % 2)],
            start + datetime.timedelta(hours=12 * run))
    return Content(product_id, world.category_id, 101, 100)

# expected status per actor, in ACTORS order: anonymous, user, other, owner, admin
PUBLIC = (200, 200, 200, 200, 200)
LOGGED_IN = (401, 200, 200, 200, 200)
OWNER_ONLY = (401, 403, 403, 200, 200)
ADMIN_ONLY = (401, 403, 403, 403, 200)


def reads(w: World) -> list[tuple[str, tuple]]:
    return [
        ("/api/mirroradmins", PUBLIC), ("/api/mirroradmins/", PUBLIC),
        ("/api/repositories", PUBLIC), ("/api/repositories/", PUBLIC),
        ("/api/openapi.json", PUBLIC), ("/api/v1/me", PUBLIC),
        ("/api/v1/sites", LOGGED_IN), ("/api/v1/hosts", LOGGED_IN),
        (f"/api/v1/sites/{w.site_id}", OWNER_ONLY),
        (f"/api/v1/hosts/{w.host_id}", OWNER_ONLY),
        (f"/api/v1/hosts/{w.host_id}/crawls", OWNER_ONLY),
        ("/api/v1/categories", PUBLIC), ("/api/v1/repositories", PUBLIC),
        ("/api/v1/propagation", PUBLIC),
        *((f"/api/v1/admin/{table}", ADMIN_ONLY) for table in ("product", "category", "country")),
        (f"/api/v1/admin/category/{w.category_id}", ADMIN_ONLY),
    ]


async def test_every_read_for_every_actor(app: Any, actors: dict, world: World) -> None:
    clients = await sessions(app, actors)
    wrong = []
    for path, expected in reads(world):
        for actor, want in zip(ACTORS, expected, strict=True):
            answer = await clients[actor].get(path)
            if answer.status != want:
                wrong.append(f"{actor} GET {path}: {answer.status}, expected {want}")
            elif want != 200:
                code = {401: "unauthenticated", 403: "forbidden"}[want]
                if answer.error["code"] != code:
                    wrong.append(f"{actor} GET {path}: code {answer.error['code']}")
    assert wrong == []


async def test_lists_show_only_the_callers_sites(app: Any, actors: dict, world: World) -> None:
    clients = await sessions(app, actors)
    names = {}
    for actor in ("user", "other", "owner", "admin"):
        sites = (await clients[actor].get("/api/v1/sites")).data["items"]
        hosts = (await clients[actor].get("/api/v1/hosts")).data["items"]
        names[actor] = (sorted(s["name"] for s in sites), sorted(h["name"] for h in hosts))
    assert names == {
        "user": ([], []),
        "other": (["Other site"], ["mirror.other.example"]),
        "owner": (["Owner's site"], ["mirror.owner.example"]),
        "admin": (["Other site", "Owner's site"],
                  ["mirror.other.example", "mirror.owner.example"]),
    }
    # a filter cannot widen what the caller sees
    answer = await clients["owner"].get(f"/api/v1/hosts?site_id={world.other_site_id}")
    assert answer.data["items"] == []
    site = (await clients["owner"].get(f"/api/v1/sites/{world.site_id}")).data
    assert "password" not in site
    assert [a["username"] for a in site["admins"]] == ["owner"]
    assert site["hosts"] == [{"id": world.host_id, "name": "mirror.owner.example"}]


async def test_mirroradmins_and_repositories_have_mm2_shapes(app: Any, store: Any,
                                                            world: World) -> None:
    seed = seed_content(store, world)
    client = Api(app)
    assert (await client.get("/api/mirroradmins")).data == {"total": 2,
                                                            "admins": ["other", "owner"]}
    ManageService(store).create(Actor("owner"), "site_admin", {"username": "helper"},
                                parent_id=world.site_id)
    for name in ("mirror.owner.example", "Owner's site"):
        answer = await client.get("/api/mirroradmins", query_string={"name": name})
        assert answer.data == {"total": 2, "admins": ["helper", "owner"]}, name
    answer = await client.get("/api/mirroradmins/?name=nowhere.example")
    assert answer.status == 400
    assert answer.data == {"message": "No host or site found for nowhere.example"}
    answer = await client.get("/api/repositories")
    assert answer.data == {"total": 1, "repositories": [
        {"fedora-40": {"name": REPO_DIR, "directory": REPO_DIR}}]}
    assert seed.repository_id == 100


async def test_host_shows_each_categorys_state_and_the_last_crawl(
        app: Any, actors: dict, store: Any, world: World) -> None:
    seed = seed_content(store, world)
    record_up_to_date(store, world.host_id, world.hc_id, seed.directory_id)
    clients = await sessions(app, actors)
    host = (await clients["owner"].get(f"/api/v1/hosts/{world.host_id}")).data
    states = {c["category"]: (c["directories"], c["up2date"]) for c in host["categories"]}
    assert states == {"Fedora Linux": (1, 1)}
    assert host["last_crawl"]["status"] == "ok"
    assert host["last_crawled"] is not None
    assert host["netblocks"][0]["netblock"] == "192.0.2.0/24"
    assert [u["url"] for c in host["categories"] for u in c["urls"]] == [
        "https://mirror.owner.example/fedora"]
    assert "push_ssh_private_key" not in host


async def test_crawl_history_pages_newest_first(app: Any, actors: dict, store: Any,
                                                world: World) -> None:
    seed = seed_content(store, world)
    for _ in range(5):
        record_up_to_date(store, world.host_id, world.hc_id, seed.directory_id)
    client = (await sessions(app, actors))["owner"]
    seen, cursor, pages = [], None, 0
    while pages < 10:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        answer = await client.get(f"/api/v1/hosts/{world.host_id}/crawls",
                                  query_string=query)
        seen += [c["id"] for c in answer.data["items"]]
        pages += 1
        cursor = answer.data["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 5 and seen == sorted(seen, reverse=True)


async def test_keyset_pages_are_stable_across_changes(app: Any, store: Any, world: World) -> None:
    admin = Actor("admin", True)
    manage = ManageService(store)
    ids = [manage.create(admin, "product", {"name": f"P{n:02}"}).row_id for n in range(7)]
    ids = sorted([*ids, *(p.id for p in store.rows_after("product", 0, 100)
                          if p.id not in ids)])
    from tests.ui.api_client import make_token

    client = Api(app, token=make_token(app, "admin", "admin", groups=("sysadmin-main",),
                                        provider="oidc"))
    first = await client.get("/api/v1/admin/product?limit=3")
    assert [p["id"] for p in first.data["items"]] == ids[:3]
    # rows before the cursor deleted, rows after it added: the next page goes on from there
    manage.delete(admin, "product", ids[1])
    new = manage.create(admin, "product", {"name": "Latest"}).row_id
    rest, cursor = [], first.data["next_cursor"]
    for _ in range(10):
        answer = await client.get("/api/v1/admin/product",
                                  query_string={"limit": "3", "cursor": cursor})
        rest += [p["id"] for p in answer.data["items"]]
        cursor = answer.data["next_cursor"]
        if cursor is None:
            break
    assert rest == [*ids[3:], new]


async def test_filters(app: Any, actors: dict, store: Any, world: World) -> None:
    seed_content(store, world)
    clients = await sessions(app, actors)
    admin = clients["admin"]
    by_country = await admin.get("/api/v1/hosts?country=fr")
    assert [h["name"] for h in by_country.data["items"]] == ["mirror.other.example"]
    by_site = await admin.get(f"/api/v1/hosts?site_id={world.site_id}")
    assert [h["name"] for h in by_site.data["items"]] == ["mirror.owner.example"]
    by_name = await admin.get("/api/v1/sites", query_string={"name": "Other site"})
    assert [s["id"] for s in by_name.data["items"]] == [world.other_site_id]
    repos = await clients["anonymous"].get("/api/v1/repositories?prefix=fedora-40")
    assert [r["name"] for r in repos.data["items"]] == [REPO_DIR]
    repos = await clients["anonymous"].get(f"/api/v1/repositories?category_id={world.category_id}")
    assert [r["name"] for r in repos.data["items"]] == [REPO_DIR]
    assert (await clients["anonymous"].get("/api/v1/repositories?arch_id=99")).data[
        "items"] == []


async def test_etag_answers_304_until_the_data_changes(app: Any, store: Any,
                                                       world: World) -> None:
    client = Api(app)
    first = await client.get("/api/mirroradmins")
    etag = first.headers["ETag"]
    again = await client.get("/api/mirroradmins", headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    ManageService(store).create(Actor("owner"), "site_admin", {"username": "helper"},
                                parent_id=world.site_id)
    changed = await client.get("/api/mirroradmins", headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag
    assert "helper" in changed.data["admins"]


async def test_propagation(app: Any, store: Any, world: World) -> None:
    seed = seed_content(store, world)
    client = Api(app)
    listed = (await client.get("/api/v1/propagation")).data
    assert [r["prefix"] for r in listed["items"]] == ["fedora-40"]
    series = (await client.get(f"/api/v1/propagation/{seed.repository_id}")).data
    assert len(series["points"]) == 8 and series["points"][0]["same_day"] == 3
    since = await client.get(f"/api/v1/propagation/{seed.repository_id}?since=2026-11-23")
    assert len(since.data["points"]) == 2
    assert (await client.get("/api/v1/propagation/999")).error["code"] == "not_found"
    bad = await client.get(f"/api/v1/propagation/{seed.repository_id}?since=yesterday")
    assert (bad.status, bad.error["field"]) == (400, "since")


@pytest.mark.parametrize("query,field", [("cursor=garbage", "cursor"), ("limit=0", "limit"),
                                         ("limit=501", "limit"), ("limit=x", "limit")])
async def test_bad_paging_is_answered_in_the_error_shape(app: Any, query: str,
                                                         field: str) -> None:
    answer = await Api(app).get(f"/api/v1/categories?{query}")
    assert answer.status == 400
    assert answer.error["field"] == field
