"""The four sources give the same database for the same tree; failing sources write nothing."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path


from mmcore.mastertree import MasterTree, write_fullfiletimelist
from rsyncd import rsync_daemon
from mirrormanager_pg_store.store import SqlStore
from mirrormanager_rsync.config import RsyncSettings
from mirrormanager_rsync.source import RsyncSource
from scan_helpers import SOURCES, dump, masters, scan
from system_tools import needs_rsync

pytestmark = needs_rsync


def _write_lists(tree: MasterTree) -> None:
    write_fullfiletimelist(tree.root / "pub" / "fedora")
    write_fullfiletimelist(tree.root / "pub" / "epel")


async def test_all_sources_give_the_same_database(store_url, tree: MasterTree, tmp_path: Path):
    from mmcore.deployment import ArchSpec, Deployment
    from scan_helpers import ARCHES

    _write_lists(tree)
    results = {}
    with rsync_daemon(tree.root, tmp_path / "rsyncd") as url:
        listing_dir = tmp_path / "listings"
        listing_dir.mkdir()
        files = {}
        for category in tree.categories:
            listing = listing_dir / (category.product + ".txt")
            with open(listing, "wb") as out:
                subprocess.run(["rsync", "--list-only", "-r", f"{url}/{category.topdir}/"],
                               stdout=out, check=True, timeout=60,
                               env={**os.environ, "TZ": "UTC"})
            files[category.name] = listing
        variants = {
            "directory": masters(tree, "directory"),
            "fullfiletimelist": masters(tree, "fullfiletimelist"),
            "rsync": masters(tree, "rsync", **{
                c.name: {"url": f"{url}/{c.topdir}"} for c in tree.categories}),
            # a saved listing, with a local copy to read repomd.xml and checksum files from
            "file": masters(tree, "file", **{
                c.name: {"url": str(files[c.name]), "path": str(tree.root / c.topdir)}
                for c in tree.categories}),
        }
        for index, (name, config) in enumerate(variants.items()):
            url_for_run = store_url
            if store_url.startswith("sqlite"):
                url_for_run = f"sqlite:///{tmp_path / f'{name}.db'}"
            elif index:
                url_for_run = None
            if url_for_run is None:
                continue  # one PostgreSQL database per test: compared on SQLite only
            store = SqlStore(url_for_run)
            store.upgrade()
            store.apply_deployment(Deployment(arches=tuple(ArchSpec(a) for a in ARCHES)))
            report = await scan(store, config)
            assert not report.failed, (name, report.failed)
            results[name] = dump(store)
            store.close()
    reference = results["directory"]
    assert len(reference["repositories"]) == len(tree.repositories)
    assert len(reference["file_details"]) > len(tree.repositories)
    for name, result in results.items():
        for key in reference:
            assert result[key] == reference[key], (name, key)


async def test_truncated_fullfiletimelist_fails_its_category_only(scan_store, tree: MasterTree):
    _write_lists(tree)
    fedora_list = tree.root / "pub" / "fedora" / "fullfiletimelist-fedora"
    text = fedora_list.read_text()
    fedora_list.write_text(text[: len(text) // 2])
    report = await scan(scan_store, masters(tree, "fullfiletimelist"))
    assert [o.category for o in report.failed] == ["Fedora Linux"]
    assert "truncated" in report.failed[0].error or "malformed" in report.failed[0].error
    db = dump(scan_store)
    # nothing of Fedora Linux but its top directory; EPEL complete
    assert [n for n in db["directories"] if n.startswith("pub/fedora")] == ["pub/fedora/linux"]
    assert any(n.startswith("pub/epel/9/") for n in db["directories"])


async def test_malformed_fullfiletimelist_row_names_the_line(scan_store, tree: MasterTree):
    _write_lists(tree)
    epel_list = tree.root / "pub" / "epel" / "fullfiletimelist-epel"
    lines = epel_list.read_text().splitlines(keepends=True)
    lines.insert(8, "not\ta row\n")
    epel_list.write_text("".join(lines))
    report = await scan(scan_store, masters(tree, "fullfiletimelist"), categories=["Fedora EPEL"])
    assert report.failed and "fullfiletimelist-epel:9" in report.failed[0].error


async def test_rsync_failure_and_hang_fail_the_category(scan_store, tree: MasterTree, tmp_path):
    with socket.socket() as silent:  # accepts connections (backlog) but never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        port = silent.getsockname()[1]
        config = masters(tree, "rsync", **{
            "Fedora Linux": {"url": f"rsync://127.0.0.1:{port}/master/pub/fedora/linux"},
            "Fedora EPEL": {"url": str(tmp_path / "does-not-exist")},
        })
        impatient = RsyncSource(RsyncSettings(scan_timeout=1.5))
        report = await scan(scan_store, config, sources={**SOURCES, "rsync": impatient})
    errors = {o.category: o.error for o in report.failed}
    assert "did not finish within 1.5s" in errors["Fedora Linux"]
    assert "exited with status" in errors["Fedora EPEL"]
    assert set(dump(scan_store)["directories"]) == {"pub/fedora/linux", "pub/epel"}
