"""Security: CSRF, the session cookie, server-side logout, log-in throttling, no user
enumeration, crawl logs, and nothing private on public pages or in the JSON of old."""

from __future__ import annotations

from typing import Any

import attrs

from mirrormanager_quart_ui.app import create_app

from tests.ui.conftest import PASSWORD, Browser, World, local_user


async def test_post_without_or_with_a_wrong_csrf_token_is_refused(actors: dict, world: World,
                                                                 store: Any) -> None:
    owner = actors["owner"]
    before = store.table_counts()
    form = {"netblock": "10.9.0.0/24"}
    path = f"/host/{world.host_id}/host_netblock/new"
    response = await owner.post(path, form, csrf=False)
    assert response.status_code == 400 and "security token" in response.text
    response = await owner.client.post(path, form={**form, "csrf_token": "forged"})
    assert response.status_code == 400
    response = await owner.client.post(path, form=form, headers={"X-CSRF-Token": "forged"})
    assert response.status_code == 400
    # a token from another session (the other actor's page) is stale here
    stale = actors["other"].token
    response = await owner.client.post(path, form={**form, "csrf_token": stale})
    assert response.status_code == 400
    assert store.table_counts() == before
    # logging out also needs the token (no forced log-out from another site)
    assert (await owner.post("/logout", csrf=False)).status_code == 400
    assert (await owner.get(f"/host/{world.host_id}")).status_code == 200
    # the right token in the header works (for scripts)
    response = await owner.client.post(path, form=form, headers={"X-CSRF-Token": owner.token})
    assert response.status_code == 303


async def test_session_cookie_flags(app: Any, store: Any) -> None:
    await local_user(store, "alice")
    browser = Browser(app)
    await browser.get("/login")
    response = await browser.post("/login", {"username": "alice", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the tests turn it off for plain HTTP


async def test_session_cookie_is_secure_by_default(runtime: Any, store: Any) -> None:
    settings = attrs.evolve(runtime.section("ui", object), cookie_secure=True)
    app = create_app(runtime, settings)
    await local_user(store, "alice")
    client = app.test_client()
    page = await (await client.get("/login")).get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = await client.post("/login", form={"username": "alice", "password": PASSWORD,
                                                 "csrf_token": token})
    assert "; Secure" in response.headers["Set-Cookie"]


async def test_logout_ends_the_session_on_the_server(app: Any, store: Any,
                                                     world: World) -> None:
    await local_user(store, "owner")
    owner = Browser(app)
    await owner.login("owner")
    stolen = owner.client.cookie_jar  # what an attacker copied before the log-out
    saved = [(c.name, c.value) for c in stolen]
    assert (await owner.post("/logout")).status_code == 303
    replay = app.test_client()
    for name, value in saved:
        replay.set_cookie("localhost", name, value)
    response = await replay.get(f"/host/{world.host_id}")
    assert response.status_code == 303 and "/login" in response.headers["Location"]
    assert store.table_counts()["mm_session"] == 0


async def test_repeated_failed_logins_are_refused_for_a_while(runtime: Any, store: Any) -> None:
    settings = attrs.evolve(runtime.section("ui", object), login_max_failures=3,
                            login_failure_delay=0.05)
    app = create_app(runtime, settings)
    await local_user(store, "alice")
    browser = Browser(app)
    await browser.get("/login")
    for _ in range(3):
        response = await browser.post("/login", {"username": "alice", "password": "wrong one"})
        assert response.status_code == 401
    # now even the right password is refused, with a Retry-After
    response = await browser.post("/login", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many failed log-ins" in response.text
    # another user from the same address is throttled too (per-address key)
    await local_user(store, "bob")
    response = await browser.post("/login", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 429


async def test_answers_do_not_reveal_which_accounts_exist(app: Any, store: Any) -> None:
    await local_user(store, "alice")
    browser = Browser(app)
    await browser.get("/login")
    unknown = await browser.post("/login", {"username": "nobody", "password": "whatever pw"})
    wrong = await browser.post("/login", {"username": "alice", "password": "whatever pw"})
    assert unknown.status_code == wrong.status_code == 401
    assert _error(unknown.text) == _error(wrong.text) == "Wrong user name or password."
    await browser.get("/password/lost")
    known = await browser.post("/password/lost", {"email": "alice@example.org"})
    unknown = await browser.post("/password/lost", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert _message(known.text) == _message(unknown.text)
    await browser.get("/register")
    taken = await browser.post("/register", {"username": "alice2", "email": "alice@example.org",
                                             "password": "long enough pw"})
    fresh = await browser.post("/register", {"username": "carol", "email": "carol@example.org",
                                             "password": "long enough pw"})
    assert taken.status_code == fresh.status_code == 200
    assert _message(taken.text) == _message(fresh.text)
    assert store.user_by_name("alice2") is None


def _error(page: str) -> str:
    return page.split('id="login-error">')[1].split("<")[0]


def _message(page: str) -> str:
    return page.split('id="message" role="status">')[1].split("<")[0]


async def test_crawl_log_is_for_the_hosts_admins_only(actors: dict, world: World,
                                                      runtime: Any) -> None:
    log_dir = runtime.section("crawler", object).log_path(runtime.config.data_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    (log_dir / f"{world.other_host_id}.log").write_text("secret crawl details\n")
    for actor in ("user", "owner"):
        response = await actors[actor].get(f"/host/{world.other_host_id}/crawl.log")
        assert response.status_code == 403 and "secret crawl" not in response.text
    anonymous = await actors["anonymous"].get(f"/host/{world.other_host_id}/crawl.log")
    assert anonymous.status_code == 303
    for actor in ("other", "admin"):
        response = await actors[actor].get(f"/host/{world.other_host_id}/crawl.log")
        assert response.status_code == 200 and response.text == "secret crawl details\n"
        assert response.headers["Content-Type"].startswith("text/plain")


PRIVATE = ("mirror.other.example", "robot@other.example", "robot@owner.example",
           "private comment", "198.51.100.0/24", "192.0.2.0/24", "scrypt$")


async def test_nothing_private_for_anonymous_and_plain_users(actors: dict, world: World,
                                                             store: Any) -> None:
    store.update_row("host_category_url", world.url_id, {"private": True}, _audit())
    for actor in ("anonymous", "user"):
        browser = actors[actor]
        # the old JSON dump of the whole deployment is gone
        assert (await browser.get("/api/deployment")).status_code == 404
        for path in ("/", "/mirrors", "/map", f"/mirror/{world.host_id}", "/mirrors/Fedora"):
            page = (await browser.get(path)).text
            for secret in (*PRIVATE, "https://mirror.owner.example/fedora"):
                assert secret not in page, (actor, path, secret)
        assert (await browser.get(f"/mirror/{world.other_host_id}")).status_code == 404


def _audit() -> Any:
    from mmcore.manage.store import AuditRecord

    return AuditRecord(username="test", action="update", object_type="host_category_url")


async def test_security_headers(actors: dict) -> None:
    response = await actors["anonymous"].get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response = await actors["owner"].get("/sites")
    assert response.headers["Cache-Control"] == "no-store"


async def test_throttling_counts_the_client_behind_a_trusted_proxy(runtime: Any,
                                                                   store: Any) -> None:
    settings = attrs.evolve(runtime.section("ui", object), login_max_failures=2,
                            trusted_proxies=["<local>"])  # the test client's address
    app = create_app(runtime, settings)
    await local_user(store, "alice")
    browser = Browser(app)
    await browser.get("/login")
    attacker = {"X-Forwarded-For": "203.0.113.9"}
    for name in ("x1", "x2"):
        response = await browser.post("/login", {"username": name, "password": "wrong pw"},
                                      headers=attacker)
        assert response.status_code == 401
    response = await browser.post("/login", {"username": "x3", "password": "wrong pw"},
                                  headers=attacker)
    assert response.status_code == 429  # the attacker's address is throttled
    response = await browser.post("/login", {"username": "alice", "password": PASSWORD},
                                  headers={"X-Forwarded-For": "198.51.100.7"})
    assert response.status_code == 303  # another client behind the same proxy is not
