"""Every page and every write against the five actors, on SQLite and PostgreSQL.

Expected statuses: 200 a page, 303 done (redirect), 303 to the log-in page for an anonymous
visitor of a page that needs one, 403 not allowed, 404 not there (an id that is not where the
URL says it is).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.conftest import ACTORS, World

LOGIN = "login"

# expected result per actor, in ACTORS order: anonymous, user, other, owner, admin
OWNER_ONLY = (LOGIN, 403, 403, 200, 200)
LOGGED_IN = (LOGIN, 200, 200, 200, 200)
ADMIN_ONLY = (LOGIN, 403, 403, 403, 200)
PUBLIC = (200, 200, 200, 200, 200)


def pages(w: World) -> list[tuple[str, tuple]]:
    return [
        ("/", PUBLIC),
        ("/mirrors", PUBLIC),
        ("/mirrors/Fedora", PUBLIC),
        (f"/mirror/{w.host_id}", PUBLIC),
        ("/propagation", PUBLIC),
        ("/statistics", PUBLIC),
        ("/map", PUBLIC),
        ("/login", PUBLIC),
        ("/register", PUBLIC),
        ("/password/lost", PUBLIC),
        ("/healthz/live", PUBLIC),
        ("/healthz/ready", PUBLIC),
        ("/sites", LOGGED_IN),
        ("/site/new", LOGGED_IN),
        (f"/site/{w.site_id}", OWNER_ONLY),
        (f"/site/{w.site_id}/hosts/new", OWNER_ONLY),
        (f"/host/{w.host_id}", OWNER_ONLY),
        (f"/host/{w.host_id}/crawl.log", OWNER_ONLY),
        ("/admin/", ADMIN_ONLY),
        ("/admin/sites", ADMIN_ONLY),
        ("/admin/audit", ADMIN_ONLY),
        *((f"/admin/{table}", ADMIN_ONLY) for table in (
            "product", "version", "arch", "category", "repository", "repository_redirect",
            "country_continent_redirect", "embargoed_country", "location", "netblock_country",
            "country")),
        (f"/admin/category/{w.category_id}", ADMIN_ONLY),
    ]


def _outcome(response: Any) -> int | str:
    if response.status_code == 303 and "/login" in response.headers.get("Location", ""):
        return LOGIN
    return response.status_code


async def test_every_page_for_every_actor(actors: dict, world: World, runtime: Any) -> None:
    log_dir = runtime.section("crawler", object).log_path(runtime.config.data_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    (log_dir / f"{world.host_id}.log").write_text("2026-12-01T00:00:00Z INFO crawled\n")
    wrong = []
    for path, expected in pages(world):
        for actor, want in zip(ACTORS, expected, strict=True):
            got = _outcome(await actors[actor].get(path))
            if got != want:
                wrong.append(f"{actor} GET {path}: {got}, expected {want}")
    assert wrong == []


def writes(w: World) -> list[tuple[str, dict, tuple]]:
    """``(path, form, expected per actor)``; run in this order, each on a fresh world would be
    costly, so each write leaves the objects the later ones need."""
    denied = ("403", 403, 403)
    host = {"name": "mirror.owner.example", "country": "DE", "bandwidth_int": "10",
            "max_connections": "1", "user_active": "on"}
    return [
        (f"/site/{w.site_id}", {"name": "Renamed", "user_active": "on"}, denied),
        (f"/site/{w.site_id}/admins", {"username": "helper"}, denied),
        (f"/site/{w.site_id}/hosts/new", {**host, "name": "new.owner.example"}, denied),
        (f"/host/{w.host_id}", host, denied),
        (f"/host/{w.host_id}/host_netblock/new", {"netblock": "10.1.0.0/16"}, denied),
        (f"/host/{w.host_id}/host_country_allowed/new", {"country": "NL"}, denied),
        (f"/host/{w.host_id}/host_acl_ip/new", {"ip": "rsync.owner.example"}, denied),
        (f"/host/{w.host_id}/host_country/new", {"country_id": "DE"}, denied),
        (f"/host/{w.host_id}/host_category/{w.hc_id}/urls/new",
         {"url": "rsync://mirror.owner.example/fedora"}, denied),
        (f"/host/{w.host_id}/host_netblock/{w.netblock_id}/delete", {}, denied),
    ]


@pytest.mark.parametrize("actor,status", [("anonymous", 403), ("user", 403), ("other", 403),
                                          ("owner", 303), ("admin", 303)])
async def test_writes_by_actor(actors: dict, world: World, store: Any, actor: str,
                               status: int) -> None:
    before = store.table_counts()
    for path, form, _ in writes(world):
        response = await actors[actor].post(path, form)
        assert response.status_code == status, (actor, path, response.text[:500])
    after = store.table_counts()
    if status == 403:
        assert after == before  # nothing written, not even an audit entry
    else:
        assert after["mm_audit_log"] == before["mm_audit_log"] + len(writes(world))


async def test_admin_only_writes(actors: dict, world: World, store: Any) -> None:
    owner, admin = actors["owner"], actors["admin"]
    admin_writes = [
        (f"/host/{world.host_id}/host_peer_asn/new", {"asn": "64500", "name": "peer"}),
        (f"/host/{world.host_id}/host_location/new", {"location_id": "1"}),
        (f"/host/{world.host_id}/disable", {"disable_reason": "abuse"}),
        (f"/host/{world.host_id}/enable", {}),
        ("/admin/product", {"name": "EPEL", "publiclist": "on"}),
        ("/admin/embargoed_country", {"country_code": "KP"}),
    ]
    for path, form in admin_writes:
        assert (await owner.post(path, form)).status_code == 403, path
        assert (await admin.post(path, form)).status_code == 303, path
    detail = store.host_detail(world.host_id)
    assert [a.asn for a in detail.peer_asns] == [64500]
    assert [loc.name for loc in detail.locations] == ["cloud-east"]


async def test_ids_of_another_site_are_refused(actors: dict, world: World, store: Any) -> None:
    owner = actors["owner"]
    before = store.table_counts()
    # the other site's netblock through the owner's own host: not there
    response = await owner.post(
        f"/host/{world.host_id}/host_netblock/{world.other_netblock_id}/delete")
    assert response.status_code == 404
    # through the other site's host: not allowed
    response = await owner.post(
        f"/host/{world.other_host_id}/host_netblock/{world.other_netblock_id}/delete")
    assert response.status_code == 403
    # a host category of another host in the URL of the owner's host
    other_hc = store.insert_row("host_category", {"host_id": world.other_host_id,
                                                  "category_id": world.category_id},
                                _audit())
    before["host_category"] += 1
    before["mm_audit_log"] += 1
    response = await owner.post(f"/host/{world.host_id}/host_category/{other_hc}/urls/new",
                                {"url": "https://evil.example/fedora"})
    assert response.status_code == 404
    # an admin table row through the site pages
    response = await owner.post(f"/site/{world.other_site_id}/admins", {"username": "owner"})
    assert response.status_code == 403
    for path in (f"/host/{world.other_host_id}", f"/site/{world.other_site_id}",
                 f"/host/{world.other_host_id}/crawl.log"):
        assert (await owner.get(path)).status_code == 403, path
    assert store.table_counts() == before


def _audit() -> Any:
    from mmcore.manage.store import AuditRecord

    return AuditRecord(username="test", action="create", object_type="host_category")
