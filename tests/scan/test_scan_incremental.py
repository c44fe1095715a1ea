"""Incremental scans: an unchanged tree costs no writes; one changed repository costs its rows;
interrupted scans leave the database as it was; vanished directories go with --delete-directories."""

from __future__ import annotations

import contextlib
import shutil
import time

import pytest
import trio

from mirrormanager_devtools.mastertree import (
    MasterTree,
    TreeSpec,
    generate_master_tree,
    update_repository,
    write_fullfiletimelist,
)
from mmcore.scan.config import UmdlConfig
from mmcore.scan.run import run_umdl
from mmcore.scan.sources import DirectorySource
from scan_helpers import next_second, SOURCES, WriteCounter, dump, masters, scan


@pytest.mark.parametrize("source", ["directory", "fullfiletimelist"])
async def test_unchanged_rescan_writes_nothing(scan_store, settled_tree: MasterTree,
                                               source: str) -> None:
    tree = settled_tree
    if source == "fullfiletimelist":
        write_fullfiletimelist(tree.root / "pub" / "fedora")
        write_fullfiletimelist(tree.root / "pub" / "epel")
    await scan(scan_store, masters(tree, source))
    before = dump(scan_store, with_ctime=True)
    counter = WriteCounter(scan_store.engine)
    try:
        report = await scan(scan_store, masters(tree, source))
    finally:
        counter.close()
    assert not report.failed
    assert counter.statements == []
    assert all(o.stats.directories_changed == 0 for o in report.outcomes)
    assert dump(scan_store, with_ctime=True) == before


async def test_changed_repomd_updates_only_that_directory(scan_store, tmp_path) -> None:
    # metadata as fresh as on a real master, so the previous repomd.xml is kept as history
    tree = generate_master_tree(tmp_path / "fresh", TreeSpec(base_time=int(time.time())))
    next_second()  # settled: see the settled_tree fixture
    await scan(scan_store, masters(tree))
    before = dump(scan_store, with_ctime=True)
    repo = tree.repository("updates-released-f40", "x86_64")
    next_second()
    new_repomd = update_repository(tree.root, repo.path, repo.timestamp + 3600)
    counter = WriteCounter(scan_store.engine)
    try:
        report = await scan(scan_store, masters(tree))
    finally:
        counter.close()
    assert not report.failed
    after = dump(scan_store, with_ctime=True)
    changed = {name for name in after["directories"]
               if after["directories"][name] != before["directories"].get(name)}
    assert changed == {repo.path + "/repodata"}
    new_details = [d for d in after["file_details"] if d not in before["file_details"]]
    assert [(d[0], d[1], d[2], d[3]) for d in new_details] == [
        (repo.path + "/repodata", "repomd.xml", repo.timestamp + 3600, len(new_repomd))]
    # the old repomd.xml detail is kept as history (the newest is younger than MAX_STALE_DAYS)
    assert len([d for d in after["file_details"] if d[0] == repo.path + "/repodata"]) == 2
    assert after["repositories"] == before["repositories"]
    # one directory update and one file_detail insert: nothing per row elsewhere
    assert len(counter.statements) == 2, counter.statements


async def test_old_repomd_history_is_aged(scan_store, tree: MasterTree) -> None:
    """The generated metadata is months old: the previous repomd.xml row goes at once."""
    await scan(scan_store, masters(tree))
    repo = tree.repository("fedora-40", "aarch64")
    next_second()
    update_repository(tree.root, repo.path, repo.timestamp + 60)
    report = await scan(scan_store, masters(tree))
    fedora = next(o for o in report.outcomes if o.category == "Fedora Linux")
    assert fedora.stats.write.file_details_aged == 1
    rows = [d for d in dump(scan_store)["file_details"] if d[0] == repo.path + "/repodata"]
    assert [r[2] for r in rows] == [repo.timestamp + 60]


async def test_interrupted_scan_leaves_the_database_as_it_was(scan_store, tree: MasterTree):
    await scan(scan_store, masters(tree))
    before = dump(scan_store, with_ctime=True)
    next_second()
    for repo in tree.repositories[:10]:
        update_repository(tree.root, repo.path, repo.timestamp + 7200)
    config = UmdlConfig(master=masters(tree), batch_size=5)
    with trio.CancelScope() as scope:
        # cancelled (as by Ctrl-C) after 200 of the 233 directories of the first category, mid-transaction
        sources = {**SOURCES, "directory": CancellingSource(scope, after_batches=40)}
        await run_umdl(config, scan_store, sources=sources)
    assert scope.cancelled_caught
    assert dump(scan_store, with_ctime=True) == before


class CancellingSource:
    """The directory source, cancelling ``scope`` once it handed over some batches."""

    name = "directory"

    def __init__(self, scope: trio.CancelScope, after_batches: int) -> None:
        self.scope = scope
        self.after = after_batches

    @contextlib.asynccontextmanager
    async def open(self, request):
        async with DirectorySource().open(request) as session:
            yield _CancellingSession(session, self)


class _CancellingSession:
    def __init__(self, session, owner: CancellingSource) -> None:
        self.session = session
        self.owner = owner

    async def batches(self):
        count = 0
        async for batch in self.session.batches():
            yield batch
            count += 1
            if count == self.owner.after:
                self.owner.scope.cancel()

    async def read_files(self, paths, max_bytes):
        return await self.session.read_files(paths, max_bytes)


async def test_delete_directories(scan_store, tree: MasterTree) -> None:
    await scan(scan_store, masters(tree))
    repo = tree.repository("updates-testing-f39", "aarch64")
    shutil.rmtree(tree.root / repo.path)
    report = await scan(scan_store, masters(tree))  # without the flag: kept
    assert repo.path in dump(scan_store)["directories"]
    report = await scan(scan_store, masters(tree), delete_directories=True)
    assert not report.failed
    db = dump(scan_store)
    assert not any(n == repo.path or n.startswith(repo.path + "/") for n in db["directories"])
    assert not any(r[0].startswith(repo.path) for r in db["repositories"])
    assert "pub/fedora/linux" in db["directories"]
    # the top directory is never deleted, even when it vanished
    shutil.rmtree(tree.root / "pub" / "epel")
    (tree.root / "pub" / "epel").mkdir()
    await scan(scan_store, masters(tree), delete_directories=True)
    db = dump(scan_store)
    assert [n for n in db["directories"] if n.startswith("pub/epel")] == ["pub/epel"]
