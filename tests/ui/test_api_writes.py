"""The JSON API's writes against the five actors, on SQLite and PostgreSQL: the UI's writes
through the API, with the UI's permission rules and validation, answered in the error shape."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.api_client import Api, make_token, sessions
from tests.ui.conftest import World

HOST = {"name": "new.owner.example", "country": "DE", "bandwidth_int": 10,
        "max_connections": 1}


def writes(w: World) -> list[tuple[str, str, Any]]:
    """``(method, path, body)``, each leaving what the later ones need."""
    v1 = "/api/v1"
    return [
        ("PATCH", f"{v1}/sites/{w.site_id}", {"name": "Renamed", "private": False}),
        ("POST", f"{v1}/sites/{w.site_id}/admins", {"username": "helper"}),
        ("POST", f"{v1}/sites/{w.site_id}/hosts", HOST),
        ("PATCH", f"{v1}/hosts/{w.host_id}", {"bandwidth_int": 2000, "comment": "faster"}),
        ("POST", f"{v1}/hosts/{w.host_id}/netblocks", {"netblock": "10.1.0.0/16"}),
        ("POST", f"{v1}/hosts/{w.host_id}/countries_allowed", {"country": "NL"}),
        ("POST", f"{v1}/hosts/{w.host_id}/acl_ips", {"ip": "rsync.owner.example"}),
        ("POST", f"{v1}/hosts/{w.host_id}/countries", {"country_id": "DE"}),
        ("POST", f"{v1}/hosts/{w.host_id}/categories/{w.hc_id}/urls",
         {"url": "rsync://mirror.owner.example/fedora"}),
        ("PATCH", f"{v1}/hosts/{w.host_id}/categories/{w.hc_id}", {"always_up2date": False}),
        ("DELETE", f"{v1}/hosts/{w.host_id}/netblocks/{w.netblock_id}", None),
        ("DELETE", f"{v1}/hosts/{w.host_id}/categories/{w.hc_id}/urls/{w.url_id}", None),
    ]


EXPECTED = {"POST": 201, "PATCH": 200, "DELETE": 204}


@pytest.mark.parametrize("actor,denied", [("user", 403), ("other", 403), ("owner", None),
                                          ("admin", None)])
@pytest.mark.parametrize("auth", ["session", "token"])
async def test_writes_by_actor(app: Any, actors: dict, world: World, store: Any, actor: str,
                               denied: int | None, auth: str) -> None:
    if auth == "session":
        client = (await sessions(app, actors))[actor]
    else:
        groups = ("sysadmin-main",) if actor == "admin" else ()
        client = Api(app, token=make_token(app, actor, "admin" if groups else "write",
                                           groups=groups))
    before = store.table_counts()
    for method, path, body in writes(world):
        answer = await client.call(method, path, body)
        want = denied or EXPECTED[method]
        assert answer.status == want, (actor, method, path, answer)
        if denied:
            assert answer.error["code"] == "forbidden"
    after = store.table_counts()
    if denied:
        assert after == before  # nothing written, not even an audit entry
    else:
        # every write but the host category's unchanged always_up2date left an audit entry
        assert after["mm_audit_log"] == before["mm_audit_log"] + len(writes(world)) - 1
        host = store.get_row("host", world.host_id)
        assert (host.bandwidth_int, host.comment) == (2000, "faster")


async def test_create_answers_the_row_and_events(app: Any, actors: dict, world: World,
                                                 events: Any) -> None:
    client = (await sessions(app, actors))["user"]
    site = await client.post("/api/v1/sites", {"name": "Fresh", "password": "s3cret!"})
    assert site.status == 201 and site.data["created_by"] == "user"
    assert "password" not in site.data and site.data["user_active"] is True
    assert site.headers["Location"] == f"/api/v1/sites/{site.data['id']}"
    host = await client.post(f"/api/v1/sites/{site.data['id']}/hosts", HOST)
    assert host.status == 201 and host.data["admin_active"] is True
    assert host.headers["Location"] == f"/api/v1/hosts/{host.data['id']}"
    assert [type(e).__name__ for e in events.events] == ["HostAdded"]
    assert (await client.delete(f"/api/v1/hosts/{host.data['id']}")).status == 204
    assert (await client.delete(f"/api/v1/sites/{site.data['id']}")).status == 204
    assert [type(e).__name__ for e in events.events] == ["HostAdded", "HostDeleted",
                                                        "SiteDeleted"]


async def test_site_admins_keep_to_the_site_admin_rules(app: Any, actors: dict, world: World,
                                                        store: Any) -> None:
    clients = await sessions(app, actors)
    owner, admin = clients["owner"], clients["admin"]
    host = f"/api/v1/hosts/{world.host_id}"
    big = await owner.post(f"{host}/netblocks", {"netblock": "10.0.0.0/8"})
    assert (big.status, big.error["code"], big.error["field"]) == (422, "invalid", "netblock")
    secret = await owner.post(f"{host}/categories", {"category_id": world.admin_category_id})
    assert (secret.status, secret.error["field"]) == (403, "category_id")
    for path, body in ((f"{host}/peer_asns", {"asn": 64500}),
                       (f"{host}/locations", {"location_id": 1}),
                       ("/api/v1/admin/embargoed_country", {"country_code": "KP"})):
        assert (await owner.post(path, body)).status == 403, path
        assert (await admin.post(path, body)).status == 201, path
    # admin-only fields keep their value on a site admin's change, as in the UI
    changed = await owner.patch(host, {"admin_active": False, "comment": "mine"})
    assert changed.status == 200 and changed.data["admin_active"] is True
    disabled = await admin.patch(host, {"admin_active": False, "disable_reason": "abuse"})
    assert disabled.data["admin_active"] is False
    last = store.site_detail(world.site_id).admins[0].id
    only = await owner.delete(f"/api/v1/sites/{world.site_id}/admins/{last}")
    assert only.status == 409 and only.error["code"] == "conflict"


async def test_ids_not_where_the_path_says_are_not_found(app: Any, actors: dict, world: World,
                                                        store: Any) -> None:
    owner = (await sessions(app, actors))["owner"]
    before = store.table_counts()
    answer = await owner.delete(
        f"/api/v1/hosts/{world.host_id}/netblocks/{world.other_netblock_id}")
    assert answer.status == 404 and answer.error["code"] == "not_found"
    answer = await owner.delete(
        f"/api/v1/hosts/{world.other_host_id}/netblocks/{world.other_netblock_id}")
    assert answer.status == 403
    assert (await owner.patch("/api/v1/hosts/99999", {"comment": "x"})).status == 404
    assert store.table_counts() == before


@pytest.mark.parametrize("body,status,code,field", [
    ({"bandwidth_int": "fast"}, 422, "invalid", "bandwidth_int"),
    ({"country": "Germany"}, 422, "invalid", "country"),
    ({"robot_email": "nobody"}, 422, "invalid", "robot_email"),
    ({"no_such_field": 1}, 422, "invalid", "no_such_field"),
    ({"comment": ["a", "list"]}, 422, "invalid", "comment"),
    ([1, 2], 400, "invalid_json", None),
])
async def test_validation_errors_name_the_field(app: Any, actors: dict, world: World,
                                                store: Any, body: Any, status: int, code: str,
                                                field: str | None) -> None:
    owner = Api(app, token=make_token(app, "owner", "write"))
    before = store.table_counts()
    answer = await owner.patch(f"/api/v1/hosts/{world.host_id}", body)
    assert (answer.status, answer.error["code"], answer.error["field"]) == (status, code, field)
    assert store.table_counts() == before


async def test_duplicate_url_and_non_json_bodies(app: Any, actors: dict, world: World) -> None:
    owner = Api(app, token=make_token(app, "owner", "write"))
    urls = f"/api/v1/hosts/{world.host_id}/categories/{world.hc_id}/urls"
    again = await owner.post(urls, {"url": "https://mirror.owner.example/fedora"})
    assert (again.status, again.error["code"], again.error["field"]) == (409, "conflict", "url")
    ftp = await owner.post(urls, {"url": "ftp://mirror.owner.example/fedora"})
    assert (ftp.status, ftp.error["field"]) == (422, "url")
    form = await owner.client.post(urls, form={"url": "https://x.example/"},
                                   headers={"Authorization": f"Bearer {owner.token}"})
    assert form.status_code == 415
