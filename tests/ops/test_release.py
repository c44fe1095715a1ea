"""Release engineering commands through the real CLI on both backends: the rows they change,
the rows they leave, dry runs that change nothing, refusals that write nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from ops_data import (
    ARC40,
    DEV41,
    DEV41_SRC,
    REL40,
    REL41,
    REPOMD_40,
    dump,
    populate,
    rows,
    run_cli,
    write_config,
)

from mmcore.scan.metadata import digests


@pytest.fixture
def config(store, store_url: str, tmp_path: Path) -> Path:
    populate(store)
    return write_config(tmp_path, store_url)


def test_move_devel_to_release(store, config: Path) -> None:
    status, out, err = run_cli(config, "move-devel-to-release", "--category", "Fedora Linux",
                               "--version", "41")
    # the source tree's releases/41 directory was never scanned: the whole move is refused
    assert status == 1 and "releases/41/Everything/source/tree" in err, err
    assert rows(store, "SELECT directory_id FROM repository WHERE id = 1") == [(2,)]

    before = dump(store)
    status, out, _ = run_cli(config, "move-devel-to-release", "--category", "Fedora Linux",
                             "--version", "41", "--skip-missing", "--dry-run")
    assert status == 0 and f"would move fedora-41 x86_64: {DEV41} -> {REL41}" in out
    assert "dry_run=true" in out.splitlines()[-1]
    assert dump(store) == before

    status, out, _ = run_cli(config, "move-devel-to-release", "--category", "Fedora Linux",
                             "--version", "41", "--skip-missing")
    assert status == 0, out
    assert out.splitlines()[-1].startswith("command=move-devel-to-release")
    assert "moved=1 skipped=1" in out
    assert rows(store, "SELECT name, directory_id, version_id FROM repository WHERE id = 1") == [
        (REL41, 4, 2)
    ]
    # the others untouched
    assert rows(store, "SELECT name, directory_id FROM repository WHERE id IN (2, 3) "
                       "ORDER BY id") == [(DEV41_SRC, 10), (REL40, 6)]
    # again: the target has a repository now, nothing moves
    status, out, _ = run_cli(config, "move-devel-to-release", "--category", "Fedora Linux",
                             "--version", "41", "--skip-missing")
    assert status == 0 and "moved=0" in out


def test_move_devel_to_release_refuses_unknown_names(store, config: Path) -> None:
    before = dump(store)
    status, _, err = run_cli(config, "move-devel-to-release", "--category", "Nope",
                             "--version", "41")
    assert status == 1 and "unknown category 'Nope'" in err and "Fedora Linux" in err
    status, _, err = run_cli(config, "move-devel-to-release", "--category", "Fedora Linux",
                             "--version", "99")
    assert status == 1 and "no version '99'" in err
    assert dump(store) == before


def test_move_to_archive(store, config: Path) -> None:
    before = dump(store)
    status, out, _ = run_cli(config, "move-to-archive", "--product", "Fedora", "--version",
                             "40", "--dry-run")
    assert status == 1 or status == 0
    assert dump(store) == before
    # updates/40 has no archive copy: refused as a whole
    status, _, err = run_cli(config, "move-to-archive", "--product", "Fedora", "--version", "40")
    assert status == 1 and "pub/archive/fedora/linux/updates/40" in err
    assert dump(store) == before

    status, out, _ = run_cli(config, "move-to-archive", "--repository", "fedora-40")
    assert status == 0 and f"moved fedora-40 x86_64: {REL40} -> {ARC40}" in out, out
    assert rows(store, "SELECT name, directory_id, category_id FROM repository WHERE id = 3") == [
        (ARC40, 9, 2)
    ]
    assert rows(store, "SELECT directory_id, category_id FROM repository WHERE id = 4") == [(11, 1)]
    status, out, _ = run_cli(config, "move-to-archive", "--repository", "fedora-40")
    assert status == 0 and "skipped" in out and "already archived" in out


def test_move_to_archive_skips_codecs_and_refuses_unknowns(store, config: Path) -> None:
    status, out, _ = run_cli(config, "move-to-archive", "--product", "Codecs", "--version", "40")
    assert status == 0 and "never archived" in out and "moved=0" in out
    status, _, err = run_cli(config, "move-to-archive", "--repository", "nope-1")
    assert status == 1 and "no repository matches prefix 'nope-1'" in err
    status, _, err = run_cli(config, "move-to-archive", "--repository", "fedora-40",
                             "--archive-category", "Attic")
    assert status == 1 and "unknown archive category 'Attic'" in err
    status, _, err = run_cli(config, "move-to-archive", "--product", "Fedora")
    assert status == 2 and "--product needs --version" in err


def test_expire_repo(store, config: Path) -> None:
    before = dump(store)
    status, out, _ = run_cli(config, "expire-repo", "Fedora", "40", "--dry-run")
    assert status == 0 and "file_details_deleted=4" in out and "mirrors_marked_stale=4" in out
    assert dump(store) == before

    status, out, _ = run_cli(config, "expire-repo", "Fedora", "40")
    assert status == 0, out
    # one repomd.xml per repodata directory and one CHECKSUM file are left
    assert rows(store, "SELECT directory_id, filename, timestamp FROM file_detail "
                       "ORDER BY directory_id, filename") == [
        (3, "repomd.xml", 1_714_000_400), (3, "repomd.xml", 1_714_000_500),  # 41: untouched
        (6, "Fedora-40-x86_64-CHECKSUM", 1_714_000_050),
        (7, "repomd.xml", REPOMD_40[-1]),
        (12, "repomd.xml", 1_714_000_250),
    ]
    # stale (crawled before the newest repomd.xml) is no longer up to date for the two
    # repositories (directory and repodata); fresh and the always-up-to-date master are
    assert rows(store, "SELECT host_category_id, directory_id FROM host_category_dir "
                       "WHERE up2date = false ORDER BY host_category_id, directory_id") == [
        (2, 6), (2, 7), (2, 11), (2, 12)
    ]


def test_expire_repo_refuses_unknowns(store, config: Path) -> None:
    before = dump(store)
    status, _, err = run_cli(config, "expire-repo", "Nope", "40")
    assert status == 1 and "unknown product 'Nope'" in err
    status, _, err = run_cli(config, "expire-repo", "Fedora", "7")
    assert status == 1 and "no version '7'" in err
    assert dump(store) == before


def test_add_product(store, config: Path) -> None:
    before = dump(store)
    args = ["add-product", "-n", "Lumina", "--version", "1", "--version", "2", "--master-host",
            "master.example"]
    status, out, _ = run_cli(config, *args, "--dry-run")
    assert status == 0 and "would create product Lumina" in out
    assert dump(store) == before
    status, out, _ = run_cli(config, *args)
    assert status == 0 and "created=" in out
    assert rows(store, "SELECT v.name FROM version v JOIN product p ON v.product_id = p.id "
                       "WHERE p.name = 'Lumina' ORDER BY v.name") == [("1",), ("2",)]
    assert rows(store, "SELECT c.name, d.name FROM category c JOIN directory d "
                       "ON c.topdir_id = d.id WHERE c.name = 'Fedora Lumina'") == [
        ("Fedora Lumina", "pub/lumina")
    ]
    assert rows(store, "SELECT hc.always_up2date, u.url FROM host_category hc "
                       "JOIN host_category_url u ON u.host_category_id = hc.id "
                       "JOIN category c ON hc.category_id = c.id "
                       "WHERE c.name = 'Fedora Lumina' AND hc.host_id = 3") == [
        (True, "https://dl.fedoraproject.org/pub/lumina")
    ]
    after = dump(store)
    status, out, _ = run_cli(config, *args)  # idempotent
    assert status == 0 and "created=0" in out and dump(store) == after
    status, _, err = run_cli(config, "add-product", "-n", "X", "--master-host", "nohost")
    assert status == 1 and "no host named 'nohost'" in err


def test_update_file_detail(store, store_url: str, tmp_path: Path) -> None:
    populate(store)
    master = tmp_path / "master"
    repodata = master / "releases/40/Everything/x86_64/os/repodata"
    repodata.mkdir(parents=True)
    repomd = repodata / "repomd.xml"
    repomd.write_bytes(
        b'<?xml version="1.0"?><repomd xmlns="http://linux.duke.edu/metadata/repo">'
        b"<revision>7</revision><data type=\"primary\"><timestamp>1714000999</timestamp>"
        b"</data></repomd>"
    )
    config = write_config(tmp_path, store_url, f"""
[[umdl.master]]
category = "Fedora Linux"
topdir = "pub/fedora/linux"
path = "{master}"
""")
    before = dump(store)
    status, out, _ = run_cli(config, "update-file-detail", str(repomd), "--dry-run")
    assert status == 0 and "added=true" in out and dump(store) == before
    status, out, _ = run_cli(config, "update-file-detail", str(repomd))
    assert status == 0 and f"directory={REL40}/repodata" in out
    sums = digests(repomd.read_bytes())
    assert rows(store, "SELECT timestamp, size, sha256, sha512 FROM file_detail "
                       "WHERE directory_id = 7 AND timestamp = 1714000999") == [
        (1714000999, sums.size, sums.sha256, sums.sha512)
    ]
    status, out, _ = run_cli(config, "update-file-detail", str(repomd))
    assert status == 0 and "added=false" in out

    repomd.write_bytes(b"<repomd><truncated")
    status, _, err = run_cli(config, "update-file-detail", str(repomd))
    assert status == 1 and "not well-formed" in err
    outside = tmp_path / "elsewhere.xml"
    outside.write_text("x")
    status, _, err = run_cli(config, "update-file-detail", str(outside))
    assert status == 2 and "under no [[umdl.master]]" in err
    unknown = master / "releases/99/repodata"
    unknown.mkdir(parents=True)
    (unknown / "repomd.xml").write_bytes(repomd_bytes := b"<repomd><data><timestamp>1</timestamp>"
                                         b"</data></repomd>")
    assert repomd_bytes
    status, _, err = run_cli(config, "update-file-detail", str(unknown / "repomd.xml"))
    assert status == 1 and "is not in the database" in err
