"""Scanning a generated Fedora-like tree with the directory source."""

from __future__ import annotations

import hashlib

from mirrormanager_devtools.mastertree import MasterTree

from scan_helpers import dump, masters, scan


async def test_first_scan_records_directories_repositories_and_checksums(
    scan_store, tree: MasterTree
) -> None:
    report = await scan(scan_store, masters(tree))
    assert not report.failed, report.failed
    db = dump(scan_store)
    # every generated directory under the category top directories is there
    for directory in ("pub/fedora/linux", "pub/fedora/linux/releases/40/Everything/x86_64/os",
                      "pub/fedora/linux/releases/40/Everything/x86_64/os/repodata",
                      "pub/fedora/linux/updates/testing/39/Everything/source/tree",
                      "pub/epel/9/Everything/aarch64/debug/repodata"):
        assert directory in db["directories"], directory
    # repositories: prefix, arch, version and category as Fedora names them
    got = {(name, prefix, arch, version, category)
           for name, prefix, arch, version, category, _ in db["repositories"]}
    expected = {(r.path, r.prefix, r.arch, r.version, r.category) for r in tree.repositories}
    assert got == expected
    prefixes = {prefix for _, prefix, *_ in got}
    assert {"fedora-40", "fedora-debug-40", "fedora-source-40", "updates-released-f40",
            "updates-released-debug-f39", "updates-testing-f40", "updates-testing-source-f39",
            "rawhide", "rawhide-debug", "rawhide-source", "epel-9", "epel-debug-9",
            "epel-source-9", "testing-epel9"} <= prefixes
    # repomd.xml checksums and timestamps, on the repodata directory
    details = {(d, f): rest for d, f, *rest in db["file_details"]}
    for repo in tree.repositories:
        data = (tree.root / repo.path / "repodata" / "repomd.xml").read_bytes()
        timestamp, size, md5, sha1, sha256, sha512 = details[(repo.path + "/repodata", "repomd.xml")]
        assert (timestamp, size) == (repo.timestamp, len(data))
        assert md5 == hashlib.md5(data).hexdigest()
        assert sha1 == hashlib.sha1(data).hexdigest()
        assert sha256 == hashlib.sha256(data).hexdigest()
        assert sha512 == hashlib.sha512(data).hexdigest()
    # checksum files: BSD style (*-CHECKSUM) and GNU style (SHA256SUM)
    iso = "pub/fedora/linux/releases/40/Server/x86_64/iso"
    iso_data = (tree.root / iso / "Fedora-Server-40-x86_64-dvd.iso").read_bytes()
    assert details[(iso, "Fedora-Server-40-x86_64-dvd.iso")][4] == hashlib.sha256(iso_data).hexdigest()
    cloud = "pub/fedora/linux/releases/39/Cloud/aarch64/images"
    assert (cloud, "Fedora-Cloud-39-aarch64-netinst.iso") in details
    # versions were created per product
    assert {("Fedora", "39"), ("Fedora", "40"), ("Fedora", "development"),
            ("EPEL", "9")} <= db["versions"]
    # the short file list: more than 10 rpms -> the 3 newest; few files -> all
    packages_dirs = [files for name, (_, files) in db["directories"].items()
                     if name.endswith("/Packages/a")]
    assert packages_dirs and all(len(files) == 3 for files in packages_dirs)
    _, repodata_files = db["directories"]["pub/fedora/linux/releases/40/Everything/x86_64/os/repodata"]
    assert len(repodata_files) == 4 and "repomd.xml" in {f[0] for f in repodata_files}
    # membership
    assert ("Fedora EPEL", "pub/epel/9/Everything/x86_64") in db["links"]
    assert all(not name.startswith("pub/epel") for cat, name in db["links"] if cat == "Fedora Linux")


async def test_bad_input_is_logged_and_skipped(scan_store, tree: MasterTree, caplog) -> None:
    import os

    fedora = tree.root / "pub" / "fedora" / "linux"
    broken = tree.repository("fedora-39", "x86_64")
    (tree.root / broken.path / "repodata" / "repomd.xml").write_bytes(b"<repomd><data type=")
    os.symlink("nowhere", fedora / "releases" / "dangling")
    private = fedora / "releases" / "40" / "Everything" / "x86_64" / "os"
    os.chmod(private, 0o750)
    checksum_dir = fedora / "releases" / "40" / "Server" / "x86_64" / "iso"
    with open(checksum_dir / "Fedora-Server-40-x86_64-CHECKSUM", "a") as handle:
        handle.write("garbage line\nSHA256 (missing.iso) = " + "0" * 64 + "\n")
    report = await scan(scan_store, masters(tree))
    assert not report.failed
    db = dump(scan_store)
    assert (broken.path, "fedora-39", "x86_64", "39", "Fedora Linux", broken.path) in db["repositories"]
    assert not any(d[0] == broken.path + "/repodata" for d in db["file_details"])
    assert "bad repomd.xml" in caplog.text and broken.path in caplog.text
    # world-unreadable: recorded, and inherited by the subdirectories
    assert db["directories"][private.relative_to(tree.root).as_posix()][0] is False
    assert db["directories"][private.relative_to(tree.root).as_posix() + "/repodata"][0] is False
    assert db["directories"]["pub/fedora/linux/releases/40/Everything/aarch64/os"][0] is True
    # symlinks are not content
    assert "dangling" not in {f[0] for f in db["directories"]["pub/fedora/linux/releases"][1]}
    iso_details = {d[1] for d in db["file_details"] if d[0] == checksum_dir.relative_to(tree.root).as_posix()}
    assert iso_details == {"Fedora-Server-40-x86_64-dvd.iso", "Fedora-Server-40-x86_64-netinst.iso"}
