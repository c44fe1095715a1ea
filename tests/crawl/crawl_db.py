"""Filling a test database with a category, its directories (from a master tree) and mirrors,
through the store's ``bulk_load`` (no scanner run needed)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path

import attrs
import sqlalchemy as sa

from crawl_trees import TOPDIR, UPDATES
from mmcore.crawl.protocol import DirectoryExpectation
from mirrormanager_pg_store import schema as t
from mirrormanager_pg_store.store import SqlStore

CATEGORY_ID = 1
CATEGORY = "Fedora Linux"


@attrs.frozen
class MirrorSpec:
    name: str
    urls: tuple[str, ...]
    private: bool = False
    always_up2date: bool = False
    country: str = "DE"
    #: create host_category_dir rows for every directory, all up to date, before the crawl
    seed_hcds: bool = True


def populate(
    store: SqlStore,
    master_top: Path,
    directories: Sequence[DirectoryExpectation],
    mirrors: Sequence[MirrorSpec],
) -> dict[str, int]:
    """Load everything; returns host name -> host id."""
    now = int(time.time())
    dir_rows = [(1000, TOPDIR.rsplit("/", 1)[0], None, True, 0)]  # pub/fedora: outside the category
    details = []
    for d in directories:
        name = TOPDIR if d.path == "" else f"{TOPDIR}/{d.path}"
        files = [
            {"name": f.name, "size": f.size, "timestamp": now - 3600}
            for f in sorted(d.files, key=lambda f: f.name)
        ]
        dir_rows.append((d.directory_id, name, json.dumps(files).encode(), True, 0))
        if d.repomd_sha256:
            repomd = master_top / d.path / "repomd.xml"
            details.append((len(details) + 1, "repomd.xml", now - 3600, repomd.stat().st_size,
                            d.repomd_sha256, d.directory_id))
    hosts, hcs, urls, hcds = [], [], [], []
    ids = {}
    for number, mirror in enumerate(mirrors, 1):
        ids[mirror.name] = number
        hosts.append((number, mirror.name, 1, mirror.country, mirror.private))
        hcs.append((number, number, CATEGORY_ID, mirror.always_up2date))
        for url in mirror.urls:
            urls.append((len(urls) + 1, number, url, False))
        if mirror.seed_hcds:
            for d in directories:
                hcds.append((len(hcds) + 1, number, d.path, True, d.directory_id))
    store.bulk_load({
        "site": (("id", "name", "created_by"), [(1, "Test site", "test")]),
        "directory": (("id", "name", "files", "readable", "ctime"), dir_rows),
        "product": (("id", "name"), [(1, "Fedora")]),
        "category": (("id", "name", "product_id", "topdir_id"), [(CATEGORY_ID, CATEGORY, 1, 1)]),
        "category_directory": (("category_id", "directory_id"),
                               [(CATEGORY_ID, d.directory_id) for d in directories]),
        "file_detail": (("id", "filename", "timestamp", "size", "sha256", "directory_id"), details),
        "host": (("id", "name", "site_id", "country", "private"), hosts),
        "host_category": (("id", "host_id", "category_id", "always_up2date"), hcs),
        "host_category_url": (("id", "host_category_id", "url", "private"), urls),
        "host_category_dir": (("id", "host_category_id", "path", "up2date", "directory_id"), hcds),
    })
    return ids


def add_repository(store: SqlStore, directories: Sequence[DirectoryExpectation]) -> int:
    """The updates repository (prefix ``updates-released-f40``, x86_64) with a version."""
    repo_dir = next(d for d in directories if d.path == UPDATES)
    store.bulk_load({
        "arch": (("id", "name"), [(1, "x86_64")]),
        "version": (("id", "name", "product_id"), [(1, "40", 1)]),
        "repository": (("id", "name", "prefix", "category_id", "version_id", "arch_id",
                        "directory_id"),
                       [(1, f"{TOPDIR}/{UPDATES}", "updates-released-f40", CATEGORY_ID, 1, 1,
                         repo_dir.directory_id)]),
    })
    return 1


def add_file_detail(store: SqlStore, directory_id: int, sha256: str, timestamp: int) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.insert(t.file_detail).values(
            filename="repomd.xml", timestamp=timestamp, size=1, sha256=sha256,
            directory_id=directory_id,
        ))


def hcd_state(store: SqlStore, host_id: int) -> dict[str, bool]:
    hcd, hc = t.host_category_dir, t.host_category
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(hcd.c.path, hcd.c.up2date)
            .select_from(hcd.join(hc, hcd.c.host_category_id == hc.c.id))
            .where(hc.c.host_id == host_id)
        ).all()
    return {row.path: bool(row.up2date) for row in rows}


def host_row(store: SqlStore, host_id: int):
    with store.engine.connect() as conn:
        return conn.execute(sa.select(t.host).where(t.host.c.id == host_id)).one()


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
