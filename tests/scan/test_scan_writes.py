"""The scanner's bulk write path (``mirrormanager_pg_store.scan_ops``): multi-row statements in
small chunks, directories that exist under another category, forced rewrites and updates that keep
the file list give the same rows as the plain path, on both backends."""

from __future__ import annotations

import json

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa

from mmcore.deployment import ArchSpec, Deployment
from mirrormanager_devtools.mastertree import MasterTree
from mmcore.model import FileEntry, decode_file_list, encode_file_list
from mmcore.scan.config import MasterDirectory, UmdlConfig
from mmcore.scan.run import run_umdl
from mmcore.scan.store import CategoryTarget, DirectoryWrite, ScanBatch
from mirrormanager_pg_store import scan_ops
from mirrormanager_pg_store import schema as s
from mirrormanager_pg_store.store import SqlStore
from scan_helpers import ARCHES, SOURCES, WriteCounter, dump, masters, scan


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Statements of 7 rows (every batch spans several, the last one short), the engine's
    batches applied a few at a time."""
    monkeypatch.setattr(scan_ops, "_CHUNK", 7)
    monkeypatch.setattr(scan_ops, "_FLUSH_ROWS", 20)


def test_file_list_encoding_is_mirrormanager2_json() -> None:
    entries = [
        ("b.rpm", 2, 20), ("a \"quoted\" \\ name", 0, 0), ("café-ü.iso", 10**12, 1_700_000_000),
        ("tab\tand\nnewline", 5, 6), ("undecodable-\udcff", 7, 8), ("\U0001f600.txt", 9, 10),
    ]
    expected = json.dumps(
        [{"name": n, "size": size, "timestamp": t} for n, size, t in sorted(entries)],
        separators=(",", ":"),
    ).encode()
    assert encode_file_list(entries) == expected
    assert encode_file_list([FileEntry(*e) for e in entries]) == expected
    assert decode_file_list(encode_file_list(entries)) == tuple(
        sorted((FileEntry(*e) for e in entries), key=lambda f: f.name))
    assert encode_file_list(()) == encode_file_list([]) == b"[]"


async def test_small_chunks_give_the_same_database(
    scan_store, settled_tree: MasterTree, tmp_path: Path, small_chunks: None
) -> None:
    tree = settled_tree
    config = UmdlConfig(master=masters(tree), batch_size=13)
    report = await run_umdl(config, scan_store, sources=SOURCES)
    assert not report.failed, report.failed
    got = dump(scan_store, with_ctime=True)
    # the reference: default chunks and batches, on SQLite
    reference = SqlStore(f"sqlite:///{tmp_path / 'reference.db'}")
    reference.upgrade()
    reference.apply_deployment(Deployment(arches=tuple(ArchSpec(a) for a in ARCHES)))
    try:
        report = await scan(reference, masters(tree))
        assert not report.failed
        expected = dump(reference, with_ctime=True)
    finally:
        reference.close()
    assert got == expected
    assert len(got["repositories"]) == len(tree.repositories)


def _fedora_everything(tree: MasterTree) -> MasterDirectory:
    """A second category over ``pub/fedora``: it contains every directory of Fedora Linux."""
    return MasterDirectory(category="Fedora Everything", product="Fedora", topdir="pub/fedora",
                           source="directory", path=str(tree.root / "pub" / "fedora"))


@pytest.mark.parametrize("linux_first", [True, False], ids=["linux-first", "everything-first"])
async def test_overlapping_categories_share_directory_rows(
    scan_store, settled_tree: MasterTree, small_chunks: None, linux_first: bool, caplog
) -> None:
    tree = settled_tree
    linux = next(m for m in masters(tree) if m.category == "Fedora Linux")
    everything = _fedora_everything(tree)
    order = (linux, everything) if linux_first else (everything, linux)
    caplog.set_level(logging.WARNING)
    first = await scan(scan_store, order[:1])
    assert not first.failed
    alone = dump(scan_store, with_ctime=True)
    second = await scan(scan_store, order[1:])
    assert not second.failed, second.failed
    db = dump(scan_store, with_ctime=True)
    linux_names = {n for n in db["directories"]
                   if n == "pub/fedora/linux" or n.startswith("pub/fedora/linux/")}
    # one row per name, linked to both categories, with the values the first scan wrote
    for name in linux_names:
        assert ("Fedora Linux", name) in db["links"], name
        assert ("Fedora Everything", name) in db["links"], name
        if name in alone["directories"] and name != "pub/fedora/linux":
            assert db["directories"][name] == alone["directories"][name], name
    stats = second.outcomes[0].stats.write
    if linux_first:
        # everything under pub/fedora/linux existed: linked and rewritten, not inserted
        # (the new top directory pub/fedora was created when the category was opened)
        assert stats.directories_added == len(db["directories"]) - len(alone["directories"]) - 1
        assert stats.directories_updated >= len(linux_names) - 1
    else:
        assert stats.directories_added == 0
    # a repository directory is never given a second repository
    assert len(db["repositories"]) == len(alone["repositories"])
    if linux_first:
        assert "repository exists, not created" in caplog.text


async def test_forced_rescan_rewrites_every_row_identically(
    scan_store, settled_tree: MasterTree, small_chunks: None
) -> None:
    tree = settled_tree
    await scan(scan_store, masters(tree))
    before = dump(scan_store, with_ctime=True)
    counter = WriteCounter(scan_store.engine)
    try:
        report = await scan(scan_store, masters(tree), force=True)
    finally:
        counter.close()
    assert not report.failed
    seen = sum(o.stats.directories_seen for o in report.outcomes)
    assert sum(o.stats.directories_changed for o in report.outcomes) == seen
    assert sum(o.stats.write.directories_updated for o in report.outcomes) == seen
    updates = [st for st in counter.statements if st.lstrip().upper().startswith("UPDATE")]
    # one statement per chunk of 7 rows (each category fits one batch), not one per row
    assert 0 < len(updates) <= seen // 7 + 2 * len(report.outcomes)
    assert dump(scan_store, with_ctime=True) == before


async def test_update_that_keeps_the_file_list(scan_store, tree: MasterTree) -> None:
    """A directory that could not be listed is marked unreadable; its files stay as they were."""
    await scan(scan_store, masters(tree))
    before = dump(scan_store, with_ctime=True)
    target = CategoryTarget("Fedora Linux", "Fedora", "pub/fedora/linux")
    snapshot = scan_store.scan_open_category(target)
    path = "releases/40/Everything/x86_64/os/repodata"
    known = snapshot.directories[path]
    result = scan_store.scan_apply(snapshot, [ScanBatch(directories=(
        DirectoryWrite(path, known.ctime + 5, False, None),))], max_stale_days=4, now=0)
    assert result.directories_updated == 1 and result.directories_added == 0
    after = dump(scan_store, with_ctime=True)
    name = "pub/fedora/linux/" + path
    readable, files, ctime = after["directories"][name]
    assert (readable, files, ctime) == (False, before["directories"][name][1], known.ctime + 5)
    assert {n: v for n, v in after["directories"].items() if n != name} == {
        n: v for n, v in before["directories"].items() if n != name}


async def test_new_rows_after_other_writes_get_fresh_ids(scan_store) -> None:
    """New directory ids follow whatever is in the table (SQLite: assigned by the writer)."""
    target = CategoryTarget("Fedora Linux", "Fedora", "pub/fedora/linux")
    snapshot = scan_store.scan_open_category(target)
    with scan_store.engine.begin() as conn:
        conn.execute(sa.insert(s.directory).values(id=1000, name="pub/other", readable=True,
                                                   ctime=1))
    files = (("a.rpm", 1, 2),)
    result = scan_store.scan_apply(snapshot, [ScanBatch(directories=tuple(
        DirectoryWrite(f"d{i}", 10 + i, None, files) for i in range(20)))],
        max_stale_days=4, now=0)
    assert result.directories_added == 20
    with scan_store.engine.connect() as conn:
        rows = dict(conn.execute(sa.select(s.directory.c.name, s.directory.c.id)).all())
        linked = set(conn.execute(sa.select(s.category_directory.c.directory_id).where(
            s.category_directory.c.category_id == snapshot.category_id)).scalars())
    new = {rows[f"pub/fedora/linux/d{i}"] for i in range(20)}
    assert len(new) == 20 and all(i > 1000 for i in new if scan_store.dialect == "sqlite")
    assert new <= linked and rows["pub/other"] == 1000
    db = dump(scan_store)
    assert db["directories"]["pub/fedora/linux/d3"] == (True, (("a.rpm", 1, 2),))
