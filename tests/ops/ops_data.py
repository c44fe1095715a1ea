"""A small release-cycle deployment for the operations tests, written through ``bulk_load``.

Fedora 40 is released (``releases/40``), Fedora 41 still in ``development/41`` with its
``releases/41`` directory already scanned; an archive category mirrors ``releases/40`` under
``pub/archive``.  Three hosts carry Fedora Linux: ``fresh`` (crawled after the newest 40
repomd.xml), ``stale`` (crawled before it) and ``master`` (always up to date).
"""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mmcore.cli import main
from mmcore.model import encode_file_list

TOP = "pub/fedora/linux"
DEV41 = f"{TOP}/development/41/Everything/x86_64/os"
DEV41_SRC = f"{TOP}/development/41/Everything/source/tree"
REL41 = f"{TOP}/releases/41/Everything/x86_64/os"
REL40 = f"{TOP}/releases/40/Everything/x86_64/os"
UPD40 = f"{TOP}/updates/40/Everything/x86_64"
ARCHIVE = "pub/archive"
ARC40 = f"{ARCHIVE}/fedora/linux/releases/40/Everything/x86_64/os"

#: repomd.xml timestamps of releases/40 (oldest first) and of updates/40
REPOMD_40 = (1_714_000_100, 1_714_000_200, 1_714_000_300)
REPOMD_UPD = (1_714_000_150, 1_714_000_250)
#: the newest 40 repomd.xml appeared at REPOMD_40[-1]; fresh was crawled after, stale before
FRESH_CRAWL = datetime.datetime(2024, 4, 25, 12, 0)
STALE_CRAWL = datetime.datetime(2024, 4, 24, 23, 0)  # 1_713_999_600 < REPOMD_40[-1]

DIRECTORIES = {
    1: TOP, 2: DEV41, 3: f"{DEV41}/repodata", 4: REL41, 5: f"{REL41}/repodata", 6: REL40,
    7: f"{REL40}/repodata", 8: ARCHIVE, 9: ARC40, 10: DEV41_SRC, 11: UPD40,
    12: f"{UPD40}/repodata", 13: "pub/codecs", 14: "pub/codecs/40/x86_64",
}
CTIMES = {1: 100, 2: 100, 3: 100, 4: 500, 5: 500, 6: 900, 7: 900, 8: 100, 9: 100, 10: 100,
          11: 1000, 12: 1000, 13: 100, 14: 100}
CATEGORY_DIRECTORIES = {1: [1, 2, 3, 4, 5, 6, 7, 10, 11, 12], 2: [8, 9], 3: [13, 14]}


def _sha(n: int) -> str:
    return f"{n:064x}"


def tables() -> dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]:
    details = [
        (i + 1, "repomd.xml", ts, 3000 + i, _sha(ts), 7) for i, ts in enumerate(REPOMD_40)
    ] + [
        (4 + i, "repomd.xml", ts, 4000 + i, _sha(ts), 12) for i, ts in enumerate(REPOMD_UPD)
    ] + [
        (6, "Fedora-40-x86_64-CHECKSUM", 1_714_000_000, 10, _sha(1), 6),
        (7, "Fedora-40-x86_64-CHECKSUM", 1_714_000_050, 11, _sha(2), 6),
        (8, "repomd.xml", 1_714_000_400, 5000, _sha(9), 3),
        (9, "repomd.xml", 1_714_000_500, 5001, _sha(10), 3),
    ]
    hcd = []
    next_id = 1
    for hc in (1, 2, 3):
        for directory in (1, 6, 7, 11, 12):
            hcd.append((next_id, hc, DIRECTORIES[directory][len(TOP) + 1:]
                        if directory != 1 else "", True, directory))
            next_id += 1
    return {
        "arch": (("id", "name"), [(1, "x86_64"), (2, "source")]),
        "product": (("id", "name"), [(1, "Fedora"), (2, "Codecs")]),
        "version": (("id", "name", "product_id"),
                    [(1, "40", 1), (2, "41", 1), (3, "40", 2)]),
        "directory": (("id", "name", "files", "readable", "ctime"), [
            (i, name, encode_file_list([("repomd.xml", 3000, 1)]) if name.endswith("repodata")
             else b"[]", True, CTIMES[i]) for i, name in DIRECTORIES.items()
        ]),
        "category": (("id", "name", "product_id", "topdir_id", "canonicalhost"), [
            (1, "Fedora Linux", 1, 1, "https://dl.example"),
            (2, "Fedora Archive", 1, 8, "https://dl.example"),
            (3, "Fedora Codecs", 2, 13, "https://codecs.example"),
        ]),
        "category_directory": (("category_id", "directory_id"), [
            (c, d) for c, ds in CATEGORY_DIRECTORIES.items() for d in ds
        ]),
        "repository": (("id", "name", "prefix", "category_id", "version_id", "arch_id",
                        "directory_id"), [
            (1, DEV41, "fedora-41", 1, 2, 1, 2),
            (2, DEV41_SRC, "fedora-source-41", 1, 2, 2, 10),
            (3, REL40, "fedora-40", 1, 1, 1, 6),
            (4, UPD40, "updates-released-f40", 1, 1, 1, 11),
            (5, "pub/codecs/40/x86_64", "fedora-cisco-openh264-40", 3, 3, 1, 14),
        ]),
        "file_detail": (("id", "filename", "timestamp", "size", "sha256", "directory_id"),
                        details),
        "site": (("id", "name", "org_url", "created_by", "password"), [
            (1, "Alpha", "https://alpha.example", "admin", None),
        ]),
        "site_admin": (("id", "username", "site_id"), [(1, "ralph", 1)]),
        "host": (("id", "name", "site_id", "country", "last_crawled", "bandwidth_int"), [
            (1, "fresh.example", 1, "DE", FRESH_CRAWL, 100),
            (2, "stale.example", 1, "DE", STALE_CRAWL, 100),
            (3, "master.example", 1, "US", None, 1000),
        ]),
        "host_category": (("id", "host_id", "category_id", "always_up2date"), [
            (1, 1, 1, False), (2, 2, 1, False), (3, 3, 1, True),
        ]),
        "host_category_url": (("id", "host_category_id", "url", "private"), [
            (1, 1, "http://127.0.0.11/fedora", False),
            (2, 2, "http://127.0.0.12/fedora", False),
            (3, 3, "https://127.0.0.13/pub/fedora/linux", False),
            (4, 1, "rsync://127.0.0.11/fedora", False),
        ]),
        "host_category_dir": (("id", "host_category_id", "path", "up2date", "directory_id"),
                              hcd),
    }


def populate(store: Any) -> None:
    store.bulk_load(tables())


def write_config(tmp_path: Path, url: str, extra: str = "") -> Path:
    config = tmp_path / "mirrormanager.toml"
    config.write_text(
        f'[database]\nurl = "{url}"\n\n[paths]\ndata_dir = "{tmp_path / "var"}"\n\n{extra}'
    )
    return config


def run_cli(config: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["--config", str(config), *argv], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def dump(store: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: compared before and after a dry run."""
    from mirrormanager_pg_store import schema

    with store.engine.connect() as conn:
        return {
            name: sorted((tuple(row) for row in conn.execute(sa.select(table))), key=repr)
            for name, table in schema.metadata.tables.items()
        }


def rows(store: Any, statement: str) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return [tuple(row) for row in conn.exec_driver_sql(statement)]
