"""The directory source does not list a directory whose ctime did not change: it stats the
stored subdirectories instead.  What that must still find: new and vanished directories anywhere,
directories another category scanned first, and everything again with ``--full``."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator

import pytest

from mirrormanager_devtools.mastertree import MasterTree
from scan_helpers import next_second, dump, masters, scan


@pytest.fixture
def listed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The directories the scan lists (every ``os.scandir`` call, from any thread)."""
    calls: list[str] = []
    real = os.scandir

    def scandir(path: object = ".") -> object:
        if not isinstance(path, int):  # shutil.rmtree lists by file descriptor
            calls.append(os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    yield calls


async def test_unchanged_rescan_lists_only_the_top_directories(scan_store, settled_tree: MasterTree,
                                                                listed: list[str]) -> None:
    tree = settled_tree
    await scan(scan_store, masters(tree))
    first = len(listed)
    assert first > 200
    listed.clear()
    report = await scan(scan_store, masters(tree))
    assert not report.failed
    assert all(o.stats.directories_changed == 0 for o in report.outcomes)
    # every directory is still seen (and so not taken for vanished) ...
    assert [o.stats.directories_seen for o in report.outcomes] == [
        sum(1 for n in dump(scan_store)["directories"]
            if n == c.topdir or n.startswith(c.topdir + "/"))
        for c in tree.categories]
    # ... but only the top directories are listed
    assert sorted(listed) == sorted(str(tree.root / c.topdir) for c in tree.categories)


async def test_new_and_vanished_deep_directories_are_found(scan_store, settled_tree: MasterTree,
                                                           listed: list[str]) -> None:
    tree = settled_tree
    await scan(scan_store, masters(tree))
    repo = tree.repository("fedora-40", "x86_64")
    packages = tree.root / repo.path / "Packages"
    gone = sorted(p for p in packages.iterdir() if p.is_dir())[0]
    next_second()
    new = packages / "zz-new"
    new.mkdir()
    (new / "zz-new-1.0-1.fc40.x86_64.rpm").write_bytes(b"x" * 123)
    shutil.rmtree(gone)
    listed.clear()
    report = await scan(scan_store, masters(tree), delete_directories=True)
    assert not report.failed
    db = dump(scan_store)
    new_name = f"{repo.path}/Packages/zz-new"
    assert db["directories"][new_name][1] == (("zz-new-1.0-1.fc40.x86_64.rpm", 123,
                                               int(os.stat(new / "zz-new-1.0-1.fc40.x86_64.rpm").st_mtime)),)
    assert ("Fedora Linux", new_name) in db["links"]
    assert f"{repo.path}/Packages/{gone.name}" not in db["directories"]
    # the changed directory and the new one were listed, the unchanged siblings were not
    assert str(packages) in listed and str(new) in listed
    assert not any(p.startswith(str(packages) + "/") and p != str(new) for p in listed)


async def test_a_stored_directory_that_vanished_is_skipped_quietly(scan_store, settled_tree: MasterTree,
                                                                   caplog) -> None:
    tree = settled_tree
    await scan(scan_store, masters(tree))
    repo = tree.repository("updates-testing-f39", "aarch64")
    shutil.rmtree(tree.root / repo.path)
    await scan(scan_store, masters(tree))  # without --delete-directories: the rows stay
    assert repo.path in dump(scan_store)["directories"]
    caplog.clear()
    report = await scan(scan_store, masters(tree))  # its parent is unchanged now: not listed
    assert not report.failed
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    await scan(scan_store, masters(tree), delete_directories=True)
    assert repo.path not in dump(scan_store)["directories"]


async def test_full_rescan_finds_what_a_narrower_exclude_hid(scan_store, settled_tree: MasterTree) -> None:
    """Directories an earlier exclude skipped are not stored: an unchanged parent is not listed
    again, so widening the excludes takes one ``--full`` scan (docs/scanner.md)."""
    tree = settled_tree
    repo = tree.repository("updates-released-f40", "x86_64")
    hidden = {"Fedora Linux": {"excludes": (f"^/{repo.path.split('/', 3)[3]}$",)}}
    await scan(scan_store, masters(tree, **hidden))
    assert repo.path not in dump(scan_store)["directories"]
    await scan(scan_store, masters(tree))
    assert repo.path not in dump(scan_store)["directories"]
    report = await scan(scan_store, masters(tree), force=True)
    assert not report.failed
    db = dump(scan_store)
    assert repo.path in db["directories"]
    assert any(r[0] == repo.path for r in db["repositories"])


async def test_a_change_in_the_second_of_the_listing_is_not_missed(scan_store, tmp_path) -> None:
    """ctimes have whole seconds: a subdirectory created right after its parent was listed, in
    the same second, leaves the parent's ctime as it was.  The parent was recorded unsettled
    (ctime -1), so the next scan lists it again and finds the newcomer."""
    from mmcore.scan.config import MasterDirectory

    top = tmp_path / "tiny"
    parent = top / "pub" / "tiny" / "updates"
    parent.mkdir(parents=True)
    master = MasterDirectory(category="Tiny", product="Tiny", topdir="pub/tiny", source="directory",
                             path=str(top / "pub" / "tiny"))
    for _attempt in range(3):  # bounded: each attempt needs one wall-clock second to itself
        next_second()
        (parent / f"a{_attempt}").mkdir()
        second = int(os.stat(parent).st_ctime)
        await scan(scan_store, [master])
        (parent / f"b{_attempt}").mkdir()
        if int(os.stat(parent).st_ctime) == second and int(time.time()) == second:
            break
    else:
        pytest.fail("could not create two directories within one second of a scan")
    names = dump(scan_store)["directories"]
    assert f"pub/tiny/updates/b{_attempt}" not in names
    assert dict(_stored_ctimes(scan_store))["pub/tiny/updates"] == -1  # unsettled
    await scan(scan_store, [master])
    assert f"pub/tiny/updates/b{_attempt}" in dump(scan_store)["directories"]


def _stored_ctimes(store) -> list[tuple[str, int]]:
    import sqlalchemy as sa

    from mirrormanager_pg_store import schema as s
    with store.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.select(s.directory.c.name, s.directory.c.ctime))]
