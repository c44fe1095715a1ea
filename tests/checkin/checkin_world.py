"""A small deployment for check-in tests, the private mirror's tree on disk, its
report_mirror.conf, and MirrorManager2's client written out step by step."""

from __future__ import annotations

import base64
import bz2
import configparser
import datetime
import functools
import json
import os
import xmlrpc.client
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs
import sqlalchemy as sa

from mirrormanager_pg_store import schema as t
from mirrormanager_pg_store.store import SqlStore
from mmcore.passwords import hash_password

SITE = "Private Site"
PASSWORD = "report secret"
PRIVATE_HOST = "private.example.org"
PUBLIC_HOST = "public.example.org"

# category name -> (top directory, directories of the master tree below it)
MASTER = {
    "Fedora Linux": ("pub/fedora/linux", (
        "", "releases", "releases/42", "releases/42/Everything", "releases/42/Everything/x86_64",
        "updates", "updates/42", "development", "old",
    )),
    "Fedora EPEL": ("pub/epel", ("", "9", "9/Everything")),
    "Fedora Archive": ("pub/archive", ("", "fedora")),
}
# what the private host has stored before a check-in: category -> {path: up2date}
STORED = {
    "Fedora Linux": {"": True, "releases": False, "releases/42": True, "development": True,
                     "old": False},
    "Fedora EPEL": {"": True},
}
# what the private mirror has on disk: category -> directories below its path
ON_DISK = {
    "Fedora Linux": ("", "releases", "releases/42", "releases/42/Everything", "updates",
                     "updates/42", "not-in-master"),
    "Fedora EPEL": ("", "9"),
}
EXPECTED_MESSAGE = (
    "Category Fedora Linux directories updated: 3  added: 3  deleted 2\n"
    "Category Fedora EPEL directories updated: 1  added: 1  deleted 0\n"
    "checked in successful"
)
EXPECTED_AFTER = {
    "Fedora Linux": {"": True, "releases": True, "releases/42": True,
                     "releases/42/Everything": True, "updates": True, "updates/42": True},
    "Fedora EPEL": {"": True, "9": True},
}


@functools.cache
def password_hash(password: str) -> str:
    """Hashing costs tens of milliseconds: once per password per session."""
    return hash_password(password)


@attrs.frozen
class World:
    private_host_id: int
    public_host_id: int
    site_id: int


def populate(store: SqlStore, *, password: str | None = None) -> World:
    """Sites, hosts, categories, the master tree and the private host's stored rows."""
    directories, category_dirs, categories = [], [], []
    ids: dict[tuple[str, str], int] = {}
    for number, (category, (topdir, paths)) in enumerate(MASTER.items(), 1):
        for path in paths:
            ids[category, path] = len(directories) + 1
            directories.append((len(directories) + 1, f"{topdir}/{path}" if path else topdir))
            category_dirs.append((number, ids[category, path]))
        categories.append((number, category, 1, ids[category, ""]))
    stored_password = password if password is not None else password_hash(PASSWORD)
    hcds = []
    for number, category in enumerate(STORED, 1):
        for path, up2date in STORED[category].items():
            hcds.append((len(hcds) + 1, number, path, up2date, ids[category, path]))
    # the public host carries Fedora Linux with every directory
    for path in MASTER["Fedora Linux"][1]:
        hcds.append((len(hcds) + 1, 3, path, True, ids["Fedora Linux", path]))
    store.bulk_load({
        "site": (("id", "name", "password", "created_by"),
                 [(1, SITE, stored_password, "test"), (2, "Other Site", password_hash("x"), "t")]),
        "directory": (("id", "name", "readable", "ctime"),
                      [(i, name, True, 0) for i, name in directories]),
        "product": (("id", "name"), [(1, "Fedora")]),
        "category": (("id", "name", "product_id", "topdir_id"), categories),
        "category_directory": (("category_id", "directory_id"), category_dirs),
        "host": (("id", "name", "site_id", "country", "private"),
                 [(1, PRIVATE_HOST, 1, "DE", True), (2, PUBLIC_HOST, 1, "DE", False),
                  (3, PRIVATE_HOST, 2, "US", True)]),
        "host_category": (("id", "host_id", "category_id", "always_up2date"),
                          [(1, 1, 1, False), (2, 1, 2, False), (3, 2, 1, False)]),
        "host_category_dir": (("id", "host_category_id", "path", "up2date", "directory_id"),
                              hcds),
    })
    return World(private_host_id=1, public_host_id=2, site_id=1)


def host_directories(store: SqlStore, host_id: int) -> dict[str, dict[str, bool]]:
    """category name -> {path: up2date} of a host."""
    hc, c, hcd = t.host_category, t.category, t.host_category_dir
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(c.c.name, hcd.c.path, hcd.c.up2date)
            .select_from(hcd.join(hc, hcd.c.host_category_id == hc.c.id)
                         .join(c, hc.c.category_id == c.c.id))
            .where(hc.c.host_id == host_id)
        ).all()
    result: dict[str, dict[str, bool]] = {}
    for name, path, up2date in rows:
        result.setdefault(name, {})[path] = bool(up2date)
    return result


def host_row(store: SqlStore, host_id: int) -> sa.Row:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(t.host).where(t.host.c.id == host_id)).one()


def snapshot(store: SqlStore) -> dict[str, list[tuple]]:
    """Every row a check-in could touch (the failure counter apart)."""
    tables = (t.site, t.host, t.host_category, t.host_category_dir)
    with store.engine.connect() as conn:
        return {
            table.name: sorted(tuple(row) for row in conn.execute(sa.select(table)))
            for table in tables
        }


def failures(store: SqlStore) -> dict[str, int]:
    """Failed check-ins of the last hour, by throttle key (``site:<id>``)."""
    f = t.mm_login_failure
    recent = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(hours=1)
    with store.engine.connect() as conn:
        return dict(conn.execute(sa.select(f.c.key, sa.func.count()).where(f.c.at > recent)
                                 .group_by(f.c.key)).all())


def make_tree(root: Path, layout: Mapping[str, Iterable[str]] = ON_DISK) -> dict[str, Path]:
    """The private mirror's directories on disk: category -> its path."""
    paths = {}
    for category, directories in layout.items():
        top = root / category.lower().replace(" ", "-")
        for directory in directories:
            (top / directory).mkdir(parents=True, exist_ok=True)
            (top / directory / "some.rpm").write_text("x")
        paths[category] = top
    return paths


def write_conf(
    path: Path,
    server: str,
    categories: Mapping[str, Path],
    *,
    site: str = SITE,
    password: str = PASSWORD,
    host: str = PRIVATE_HOST,
    user_active: str | None = None,
    extra: str = "",
) -> Path:
    lines = [
        "[global]", "enabled = 1", f"server = {server}", "",
        "[site]", "enabled = 1", f"name = {site}", f"password = {password}", "",
        "[host]", "enabled = 1", f"name = {host}",
    ]
    if user_active is not None:
        lines.append(f"user_active = {user_active}")
    lines += ["", "[stats]", "enabled = 0", ""]
    for category, top in categories.items():
        lines += [f"[{category}]", "enabled = 1", f"path = {top}", ""]
    path.write_text("\n".join(lines) + extra)
    return path


# ---------------------------------------------------------------------------------------------
# MirrorManager2's report_mirror client, each of its steps written out
# ---------------------------------------------------------------------------------------------


def mm2_client_config(conf_path: Path) -> dict:
    """configparser -> the config dict, as MirrorManager2's ``report_mirror`` builds it."""
    conf = configparser.ConfigParser()
    conf.read(conf_path)
    config: dict = {"version": 0, "global": {}, "site": {}, "host": {}, "stats": {}}
    for section, options in (("global", ("enabled", "server")),
                             ("site", ("enabled", "name", "password")),
                             ("host", ("enabled", "name", "user_active"))):
        for option in options:
            if conf.has_option(section, option):
                config[section][option] = conf.get(section, option)
    for section in conf.sections():
        if section in ("global", "site", "host", "stats"):
            continue
        root = conf.get(section, "path")
        tree = {}
        for dirpath, _dirnames, _filenames in os.walk(root):
            tree[dirpath[len(root):] if root.endswith("/") else dirpath[len(root) + 1:]] = {}
        config[section.lower()] = {"enabled": conf.get(section, "enabled"), "dirtree": tree}
    return config


def mm2_encode(config: object) -> str:
    """json -> bz2 -> urlsafe base64, as MirrorManager2's ``report_mirror`` does."""
    return base64.urlsafe_b64encode(bz2.compress(json.dumps(config).encode())).decode()


def mm2_client_checkin(conf_path: Path) -> str:
    """The whole client: build, encode, ``xmlrpc.client`` ``checkin``."""
    config = mm2_client_config(conf_path)
    server = xmlrpc.client.ServerProxy(config["global"]["server"])
    return server.checkin(mm2_encode(config))
