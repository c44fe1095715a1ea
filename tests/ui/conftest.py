"""Fixtures of the web UI tests: an app on a real store, clients logged in as the five actors.

Actors (MirrorManager2's roles): ``anonymous``; ``user`` (logged in, administers nothing);
``other`` (site admin of another site); ``owner`` (site admin of the site under test); ``admin``
(member of an admin group).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from mmcore.cli import collect_config_sections
from mmcore.config import load_config
from mmcore.crawl.config import CrawlerConfig
from mmcore.manage.rules import Actor
from mmcore.manage.service import ManageService
from mmcore.plugins import get_plugin_manager
from mmcore.runtime import Runtime

from mirrormanager_quart_ui.app import create_app
from mirrormanager_quart_ui.config import UiConfig

PASSWORD = "correct horse battery"
ACTORS = ("anonymous", "user", "other", "owner", "admin")


class EventLog:
    """A plugin recording every change event announced."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def mm_event_host_added(self, event: Any) -> None:
        self.events.append(event)

    def mm_event_host_updated(self, event: Any) -> None:
        self.events.append(event)

    def mm_event_host_deleted(self, event: Any) -> None:
        self.events.append(event)

    def mm_event_site_deleted(self, event: Any) -> None:
        self.events.append(event)


def ui_settings(**changes: Any) -> UiConfig:
    """Settings for tests: plain HTTP cookies, a fixed key, no log-in delay, no page cache."""
    return attrs.evolve(UiConfig(secret_key="test-secret", cookie_secure=False,
                                 login_failure_delay=0.0, public_cache_seconds=0,
                                 host_counts_seconds=0,
                                 admin_groups=["sysadmin-main"]), **changes)


def make_runtime(store: Any, tmp_path: Any, extra_plugins: tuple = (),
                 **sections: Any) -> Runtime:
    from mmcore import hookimpl

    for plugin in extra_plugins:
        for name in dir(plugin):
            if name.startswith("mm_"):
                hookimpl(getattr(type(plugin), name))
    pm = get_plugin_manager(extra_plugins=extra_plugins)
    loaded = load_config(None, collect_config_sections(pm))
    config = attrs.evolve(
        loaded,
        sections={**loaded.sections, "ui": ui_settings(),
                  "crawler": CrawlerConfig(log_dir=str(tmp_path / "crawler")), **sections},
        paths=attrs.evolve(loaded.paths, data_dir=str(tmp_path)),
    )
    return Runtime(config, pm, store=store)


@attrs.define
class World:
    """The objects every permission test acts on."""

    site_id: int
    host_id: int
    other_site_id: int
    other_host_id: int
    category_id: int
    admin_category_id: int
    hc_id: int
    url_id: int
    netblock_id: int
    other_netblock_id: int


def build_world(store: Any) -> World:
    manage = ManageService(store)
    admin, owner, other = Actor("admin", True), Actor("owner"), Actor("other")
    product = manage.create(admin, "product", {"name": "Fedora", "publiclist": "on"}).row_id
    category = manage.create(admin, "category", {"name": "Fedora Linux", "product_id": product,
                                                 "publiclist": "on"}).row_id
    secret = manage.create(admin, "category", {"name": "Fedora Internal",
                                               "admin_only": "on"}).row_id
    manage.create(admin, "country", {"code": "DE"})
    manage.create(admin, "location", {"name": "cloud-east"})
    site = manage.create_site(owner, {"name": "Owner's site", "org_url": "https://owner.example",
                                      "user_active": "on"}).row_id
    host = manage.create(owner, "host", {
        "name": "mirror.owner.example", "country": "DE", "bandwidth_int": "1000",
        "max_connections": "2", "user_active": "on", "asn_clients": "on",
        "robot_email": "robot@owner.example", "comment": "owner's comment",
    }, parent_id=site).row_id
    hc = manage.create(owner, "host_category", {"category_id": category}, parent_id=host).row_id
    url = manage.create(owner, "host_category_url",
                        {"url": "https://mirror.owner.example/fedora"}, parent_id=hc).row_id
    netblock = manage.create(owner, "host_netblock", {"netblock": "192.0.2.0/24"},
                             parent_id=host).row_id
    other_site = manage.create_site(other, {"name": "Other site", "user_active": "on"}).row_id
    other_host = manage.create(other, "host", {
        "name": "mirror.other.example", "country": "FR", "bandwidth_int": "100",
        "max_connections": "1", "user_active": "on", "private": "on",
        "robot_email": "robot@other.example", "comment": "private comment",
    }, parent_id=other_site).row_id
    other_netblock = manage.create(other, "host_netblock", {"netblock": "198.51.100.0/24"},
                                   parent_id=other_host).row_id
    return World(site, host, other_site, other_host, category, secret, hc, url, netblock,
                 other_netblock)


@pytest.fixture
def events() -> EventLog:
    return EventLog()


@pytest.fixture
def runtime(store: Any, tmp_path: Any, events: EventLog) -> Iterator[Runtime]:
    yield make_runtime(store, tmp_path, (events,))


@pytest.fixture
def app(runtime: Runtime) -> Any:
    return create_app(runtime, runtime.section("ui", UiConfig))


@pytest.fixture
def world(store: Any) -> World:
    return build_world(store)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A Quart test client that keeps cookies and the page's CSRF token, like a browser."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.client = app.test_client()
        self.token: str | None = None

    async def get(self, path: str, **kwargs: Any) -> Any:
        response = await self.client.get(path, **kwargs)
        page = await response.get_data(as_text=True)
        found = CSRF.search(page)
        if found:
            self.token = found.group(1)
        response.text = page
        return response

    async def post(self, path: str, data: dict[str, Any] | None = None, *,
                   csrf: bool = True, **kwargs: Any) -> Any:
        form = dict(data or {})
        if csrf:
            if self.token is None:
                await self.get("/login")
            form["csrf_token"] = self.token
        response = await self.client.post(path, form=form, **kwargs)
        response.text = await response.get_data(as_text=True)
        return response

    async def login(self, username: str, password: str = PASSWORD) -> Any:
        await self.get("/login")
        response = await self.post("/login", {"username": username, "password": password})
        assert response.status_code == 303, response.text
        await self.get("/")
        return response


async def local_user(store: Any, username: str, groups: tuple[str, ...] = ()) -> None:
    """A confirmed local account with :data:`PASSWORD` (and group memberships)."""
    import sqlalchemy as sa
    from mirrormanager_pg_store import schema as t

    from mmcore.accounts.passwords import hash_user_password

    user_id = store.create_user(username, f"{username}@example.org", None,
                                hash_user_password(PASSWORD))
    with store.engine.begin() as conn:
        for group in groups:
            group_id = conn.execute(sa.select(t.mm_group.c.id)
                                    .where(t.mm_group.c.group_name == group)).scalar()
            if group_id is None:
                group_id = conn.execute(sa.insert(t.mm_group).values(group_name=group)
                                        .returning(t.mm_group.c.id)).scalar_one()
            conn.execute(sa.insert(t.mm_user_group).values(user_id=user_id, group_id=group_id))


@pytest.fixture
async def actors(app: Any, store: Any, world: World) -> dict[str, Browser]:
    """A browser per actor, logged in (``anonymous`` is not)."""
    browsers = {"anonymous": Browser(app)}
    for name, groups in (("user", ()), ("other", ()), ("owner", ()),
                         ("admin", ("sysadmin-main",))):
        await local_user(store, name, groups)
        browsers[name] = Browser(app)
        await browsers[name].login(name)
    return browsers


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with the smallest cost: the tests hash and check many passwords (the production
    parameters are argon2-cffi's defaults, checked in test_ui_accounts)."""
    from argon2 import PasswordHasher

    from mmcore.accounts import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", lambda: cheap)
