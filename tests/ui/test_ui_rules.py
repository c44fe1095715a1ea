"""MirrorManager2's rules, enforced on the server whatever the form sends, and bad input:
a clear message, a 4xx status, nothing written."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from mirrormanager_pg_store import schema as t
from mirrormanager_quart_ui.app import create_app

from tests.ui.conftest import Browser, World, local_user

HOST_FORM = {"name": "mirror.owner.example", "country": "DE", "bandwidth_int": "1000",
             "max_connections": "2", "user_active": "on", "asn_clients": "on"}


async def test_admin_only_fields_are_kept_on_a_site_admins_edit(actors: dict, world: World,
                                                                store: Any) -> None:
    admin, owner = actors["admin"], actors["owner"]
    await admin.post(f"/host/{world.host_id}/disable", {"disable_reason": "bad mirror"})
    await admin.post(f"/host/{world.host_id}/host_category/{world.hc_id}", {})
    # the owner posts every admin-only field, as a hand-made form would
    response = await owner.post(f"/host/{world.host_id}", {
        **HOST_FORM, "admin_active": "on", "disable_reason": "", "bandwidth_int": "5000"})
    assert response.status_code == 303
    host = store.get_row("host", world.host_id)
    assert host.bandwidth_int == 5000  # the owner's own field changed
    assert host.admin_active is False and host.disable_reason == "bad mirror"
    response = await owner.post(f"/site/{world.site_id}", {
        "name": "Owner's site", "user_active": "on", "admin_active": ""})
    assert store.get_row("site", world.site_id).admin_active is True
    # always_up2date: set by the admin, the owner's post cannot touch it
    await admin.post(f"/host/{world.host_id}/host_category/{world.hc_id}",
                     {"always_up2date": "on"})
    assert store.get_row("host_category", world.hc_id).always_up2date is True
    response = await owner.post(f"/host/{world.host_id}/host_category/{world.hc_id}", {})
    assert response.status_code == 303
    assert store.get_row("host_category", world.hc_id).always_up2date is True
    # a private URL and always_up2date on creation: defaults for a site admin
    await owner.post(f"/host/{world.host_id}/host_category/{world.hc_id}/urls/new",
                     {"url": "rsync://mirror.owner.example/fedora", "private": "on"})
    urls = {u.url: u.private for u in store.host_detail(world.host_id).categories[0].urls}
    assert urls["rsync://mirror.owner.example/fedora"] is False
    await admin.post(f"/host/{world.host_id}/host_category/{world.hc_id}/urls/new",
                     {"url": "rsync://mirror.owner.example/private", "private": "on"})
    urls = {u.url: u.private for u in store.host_detail(world.host_id).categories[0].urls}
    assert urls["rsync://mirror.owner.example/private"] is True


async def test_admin_only_categories(actors: dict, world: World, store: Any) -> None:
    owner, admin = actors["owner"], actors["admin"]
    page = (await owner.get(f"/host/{world.host_id}")).text
    assert "Fedora Internal" not in page  # not offered
    response = await owner.post(f"/host/{world.host_id}/host_category/new",
                                {"category_id": str(world.admin_category_id),
                                 "always_up2date": "on"})
    assert response.status_code == 403 and "only MirrorManager admins" in response.text
    response = await admin.post(f"/host/{world.host_id}/host_category/new",
                                {"category_id": str(world.admin_category_id),
                                 "always_up2date": "on"})
    assert response.status_code == 303
    added = [c for c in store.host_detail(world.host_id).categories
             if c.category_name == "Fedora Internal"]
    assert added and added[0].host_category.always_up2date is True


@pytest.mark.parametrize("netblock,owner_ok", [
    ("10.0.0.0/16", True), ("10.0.0.0/15", False), ("0.0.0.0/0", False),
    ("2001:db8::/32", True), ("2001:db8::/31", False), ("192.0.2.7/32", True),
])
async def test_netblock_limits(actors: dict, world: World, store: Any, netblock: str,
                               owner_ok: bool) -> None:
    owner, admin = actors["owner"], actors["admin"]
    response = await owner.post(f"/host/{world.host_id}/host_netblock/new",
                                {"netblock": netblock})
    assert response.status_code == (303 if owner_ok else 422)
    if not owner_ok:
        assert "larger than" in response.text
        assert (await admin.post(f"/host/{world.host_id}/host_netblock/new",
                                 {"netblock": netblock})).status_code == 303
    blocks = [n.netblock for n in store.host_detail(world.host_id).netblocks]
    assert str(__import__("ipaddress").ip_network(netblock)) in blocks


async def test_netblock_limit_is_configurable(runtime: Any, store: Any, world: World) -> None:
    settings = attrs.evolve(runtime.section("ui", object), ipv4_netblock_max_prefix=24)
    app = create_app(runtime, settings)
    await local_user(store, "owner")
    owner = Browser(app)
    await owner.login("owner")
    response = await owner.post(f"/host/{world.host_id}/host_netblock/new",
                                {"netblock": "10.0.0.0/20"})
    assert response.status_code == 422 and "/24" in response.text


async def test_last_site_admin_cannot_be_removed(actors: dict, world: World,
                                                 store: Any) -> None:
    owner = actors["owner"]
    (only,) = store.site_detail(world.site_id).admins
    response = await owner.post(f"/site/{world.site_id}/admins/{only.id}/delete")
    assert response.status_code == 409 and "only one admin" in response.text
    await owner.post(f"/site/{world.site_id}/admins", {"username": "helper"})
    response = await owner.post(f"/site/{world.site_id}/admins/{only.id}/delete")
    assert response.status_code == 303
    assert [a.username for a in store.site_detail(world.site_id).admins] == ["helper"]


async def test_toggling_private_marks_the_directories_not_up_to_date(
        actors: dict, world: World, store: Any) -> None:
    with store.engine.begin() as conn:
        directory = conn.execute(sa.insert(t.directory).values(name="pub/fedora/linux/x")
                                 .returning(t.directory.c.id)).scalar_one()
        conn.execute(sa.insert(t.host_category_dir).values(
            host_category_id=world.hc_id, path="x", up2date=True, directory_id=directory))

    def up2date() -> list[bool]:
        with store.engine.connect() as conn:
            return list(conn.execute(sa.select(t.host_category_dir.c.up2date)).scalars())

    owner = actors["owner"]
    await owner.post(f"/host/{world.host_id}", HOST_FORM)  # no change of private
    assert up2date() == [True]
    await owner.post(f"/host/{world.host_id}", {**HOST_FORM, "private": "on"})
    assert up2date() == [False]
    with store.engine.begin() as conn:
        conn.execute(sa.update(t.host_category_dir).values(up2date=True))
    await owner.post(f"/site/{world.site_id}", {"name": "Owner's site", "private": "on",
                                                "user_active": "on"})
    assert up2date() == [False]


BAD_INPUT = [
    ("/host/{host}/host_country_allowed/new", {"country": "XX"}, 422, "unknown country code"),
    ("/host/{host}/host_netblock/new", {"netblock": "10.0.0.300/24"}, 422, "malformed netblock"),
    ("/host/{host}/host_netblock/new", {"netblock": "not a block"}, 422, "malformed netblock"),
    ("/host/{host}/host_category/{hc}/urls/new", {"url": "gopher://h.example/x"}, 422,
     "unsupported URL scheme"),
    ("/host/{host}/host_category/{hc}/urls/new", {"url": "ftp://h.example/x"}, 422,
     "ftp URLs are not accepted"),
    ("/host/{host}/host_category/{hc}/urls/new", {"url": "https://mirror.owner.example/fedora/"},
     409, "already registered"),
    ("/host/{host}/host_category/{hc}/urls/new", {"url": "https://h.example/x?a=1"}, 422,
     "malformed URL"),
    ("/host/{host}", {**HOST_FORM, "name": "x" * 300}, 422, "at most 253"),
    ("/host/{host}", {**HOST_FORM, "comment": "c" * 5000}, 422, "at most 4096"),
    ("/host/{host}", {**HOST_FORM, "bandwidth_int": "lots"}, 422, "whole number"),
    ("/host/{host}", {**HOST_FORM, "country": "ZZ"}, 422, "unknown country code"),
    ("/host/{host}/host_country/new", {"country_id": "NL"}, 422, "invalid country code"),
    ("/site/{site}/admins", {"username": "bad name!"}, 422, "letters, digits"),
    ("/site/{site}/admins", {"username": "owner"}, 409, "already administers"),
    ("/site/new", {"name": "", "user_active": "on"}, 422, "required"),
]


async def test_bad_input_is_refused_with_a_message_and_nothing_written(
        actors: dict, world: World, store: Any) -> None:
    owner = actors["owner"]
    before = store.table_counts()
    for path, form, status, message in BAD_INPUT:
        path = path.format(host=world.host_id, hc=world.hc_id, site=world.site_id)
        response = await owner.post(path, form)
        assert response.status_code == status, (path, form, response.text[:300])
        assert message in response.text, (path, message)
        assert 'role="alert"' in response.text
    assert store.table_counts() == before


async def test_oversized_request_body_is_refused(actors: dict, world: World,
                                                 store: Any) -> None:
    before = store.table_counts()
    response = await actors["owner"].post(f"/host/{world.host_id}",
                                          {**HOST_FORM, "comment": "c" * 2_000_000})
    assert response.status_code == 413
    assert store.table_counts() == before


async def test_kept_host_forms_follow_the_row_and_the_reader(actors: dict, world: World,
                                                             store: Any) -> None:
    """The host page's settings form is kept per stored row and admin-or-not: an edit (here
    written behind the UI's back, as another process would) shows at once, and an admin-only
    field is locked for the site admin and open for the admin reading the same row."""
    admin, owner = actors["admin"], actors["owner"]
    locked = 'name="admin_active" checked disabled'
    for round_ in range(2):  # the second round reads the kept fragments
        page = (await owner.get(f"/host/{world.host_id}")).text
        assert locked in page, round_
        assert locked not in (await admin.get(f"/host/{world.host_id}")).text
    with store.engine.begin() as conn:
        conn.execute(sa.update(t.host).where(t.host.c.id == world.host_id)
                     .values(bandwidth_int=4321))
    page = (await owner.get(f"/host/{world.host_id}")).text
    assert 'name="bandwidth_int" value="4321"' in page
    assert page.count('name="csrf_token" value="') >= 5 and owner.token in page
