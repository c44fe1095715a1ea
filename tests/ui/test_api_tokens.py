"""API tokens and how API requests authenticate, on SQLite and PostgreSQL: the token page
(CSRF-protected, plaintext shown once, stored hashed, revocation), Bearer auth with each scope,
revoked, expired and unknown tokens, and session writes with and without the CSRF header."""

from __future__ import annotations

import datetime
import re
from typing import Any

import sqlalchemy as sa

from mmcore.accounts.api_tokens import utcnow

from tests.ui.api_client import Api, make_token, sessions
from tests.ui.conftest import World

ADMINS = ("sysadmin-main",)
TOKEN = re.compile(r'<code id="token-value">(mmt_[A-Za-z0-9_-]+)</code>')


def _netblock(n: int) -> dict[str, str]:
    return {"netblock": f"203.0.{n}.0/24", "name": f"block {n}"}


async def test_token_page_creates_shows_once_and_revokes(app: Any, actors: dict, store: Any,
                                                        world: World) -> None:
    owner = actors["owner"]
    page = await owner.get("/account/tokens")
    assert page.status_code == 200 and 'value="admin"' not in page.text  # not an admin
    refused = await owner.post("/account/tokens", {"name": "ci", "scope": "write"}, csrf=False)
    assert refused.status_code == 400  # the UI's CSRF check
    created = await owner.post("/account/tokens", {"name": "ci", "scope": "write",
                                                   "days": "30"})
    assert created.status_code == 200
    plaintext = TOKEN.search(created.text).group(1)
    listing = await owner.get("/account/tokens")
    assert plaintext not in listing.text and plaintext[:8] in listing.text
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM mm_api_token")).mappings().all()
    assert len(rows) == 1 and plaintext not in str(dict(rows[0]))
    assert rows[0]["token_hash"] != plaintext and rows[0]["last_used"] is None
    client = Api(app, token=plaintext)
    me = await client.get("/api/v1/me")
    assert me.data["username"] == "owner" and me.data["scope"] == "write"
    assert me.data["csrf_token"] is None
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT last_used FROM mm_api_token")).scalar() is not None
    duplicate = await owner.post("/account/tokens", {"name": "ci", "scope": "read"})
    assert duplicate.status_code == 409
    as_admin = await owner.post("/account/tokens", {"name": "root", "scope": "admin"})
    assert as_admin.status_code == 403
    token_id = rows[0]["id"]
    assert (await actors["other"].post(f"/account/tokens/{token_id}/revoke")).status_code == 404
    assert (await owner.post(f"/account/tokens/{token_id}/revoke")).status_code == 303
    revoked = await client.get("/api/v1/me")
    assert revoked.status == 401 and revoked.error["code"] == "unauthenticated"
    assert "revoked" in (await owner.get("/account/tokens")).text
    assert (await actors["anonymous"].get("/account/tokens")).status_code == 303


async def test_read_token_reads_and_changes_nothing(app: Any, actors: dict, store: Any,
                                                   world: World) -> None:
    client = Api(app, token=make_token(app, "owner", "read"))
    assert (await client.get(f"/api/v1/hosts/{world.host_id}")).status == 200
    before = store.table_counts()
    for answer in (
        await client.post(f"/api/v1/hosts/{world.host_id}/netblocks", _netblock(1)),
        await client.patch(f"/api/v1/sites/{world.site_id}", {"name": "Renamed"}),
        await client.delete(f"/api/v1/hosts/{world.host_id}/netblocks/{world.netblock_id}"),
    ):
        assert answer.status == 403 and answer.error["code"] == "insufficient_scope"
    assert store.table_counts() == before


async def test_write_token_writes_only_the_users_sites(app: Any, actors: dict, store: Any,
                                                      world: World) -> None:
    client = Api(app, token=make_token(app, "owner", "write"))
    added = await client.post(f"/api/v1/hosts/{world.host_id}/netblocks", _netblock(2))
    assert added.status == 201 and added.data["netblock"] == "203.0.2.0/24"
    other = await client.post(f"/api/v1/hosts/{world.other_host_id}/netblocks", _netblock(3))
    assert other.status == 403 and other.error["code"] == "forbidden"
    assert (await client.get(f"/api/v1/sites/{world.other_site_id}")).status == 403


async def test_write_token_of_an_admin_has_no_admin_rights(app: Any, actors: dict, store: Any,
                                                          world: World) -> None:
    write = Api(app, token=make_token(app, "admin", "write", groups=ADMINS))
    assert (await write.get("/api/v1/me")).data["is_admin"] is False
    assert (await write.get("/api/v1/admin/product")).status == 403
    assert (await write.post("/api/v1/admin/product", {"name": "EPEL"})).status == 403
    assert (await write.get(f"/api/v1/hosts/{world.host_id}")).status == 403
    admin = Api(app, token=make_token(app, "admin", "admin", groups=ADMINS))
    assert (await admin.get("/api/v1/me")).data["is_admin"] is True
    created = await admin.post("/api/v1/admin/product", {"name": "EPEL"})
    assert created.status == 201 and created.data["publiclist"] is True
    peer = await admin.post(f"/api/v1/hosts/{world.host_id}/peer_asns", {"asn": 64500})
    assert peer.status == 201
    read = Api(app, token=make_token(app, "admin", "read", groups=ADMINS))
    assert (await read.get("/api/v1/admin/product")).status == 403


async def test_an_admin_token_loses_admin_rights_with_its_user(app: Any, actors: dict,
                                                              store: Any, world: World) -> None:
    client = Api(app, token=make_token(app, "admin", "admin", groups=ADMINS))
    assert (await client.get("/api/v1/admin/product")).status == 200
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM mm_user_group"))
    assert (await client.get("/api/v1/admin/product")).status == 403
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM mm_session"))
        conn.execute(sa.text("DELETE FROM mm_user WHERE user_name = 'admin'"))
    assert (await client.get("/api/v1/me")).status == 401


async def test_expired_unknown_and_malformed_tokens_are_refused(app: Any, actors: dict,
                                                               world: World) -> None:
    old = utcnow() - datetime.timedelta(days=10)
    expired = make_token(app, "owner", "write", days=1, now=old)
    valid = make_token(app, "owner", "write")
    for token in (expired, valid[:-2] + "xx", "mmt_", "not-a-token", "x" * 300):
        answer = await Api(app, token=token).get("/api/v1/me")
        assert answer.status == 401, token
        assert answer.error["code"] == "unauthenticated"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    # on a write too: refused before anything is done
    answer = await Api(app, token=expired).post(
        f"/api/v1/hosts/{world.host_id}/netblocks", _netblock(4))
    assert answer.status == 401


async def test_session_writes_need_the_csrf_header(app: Any, actors: dict, store: Any,
                                                  world: World) -> None:
    without = (await sessions(app, actors, csrf=False))["owner"]
    before = store.table_counts()
    answer = await without.post(f"/api/v1/hosts/{world.host_id}/netblocks", _netblock(5))
    assert answer.status == 403 and answer.error["code"] == "csrf"
    answer = await without.patch(f"/api/v1/hosts/{world.host_id}", {"comment": "x"},
                                 headers={"X-CSRF-Token": "forged"})
    assert answer.status == 403 and answer.error["code"] == "csrf"
    assert store.table_counts() == before
    me = await without.get("/api/v1/me")
    assert me.data["auth"] == "session" and me.data["csrf_token"]
    answer = await without.post(f"/api/v1/hosts/{world.host_id}/netblocks", _netblock(5),
                                headers={"X-CSRF-Token": me.data["csrf_token"]})
    assert answer.status == 201
    # a token write needs no CSRF token, even with a session cookie beside it
    token = Api(app, browser=actors["owner"], token=make_token(app, "owner", "write"),
                csrf=False)
    assert (await token.post(f"/api/v1/hosts/{world.host_id}/netblocks",
                             _netblock(6))).status == 201


async def test_anonymous_writes_are_unauthenticated(app: Any, world: World, store: Any) -> None:
    before = store.table_counts()
    client = Api(app)
    for answer in (await client.post("/api/v1/sites", {"name": "Mine"}),
                   await client.patch(f"/api/v1/hosts/{world.host_id}", {"comment": "x"})):
        # no session: the CSRF check of a cookie-less write comes first
        assert answer.status in (401, 403), answer
        assert answer.error["code"] in ("unauthenticated", "csrf")
    assert store.table_counts() == before
