"""The generator on its own (no database): sizes at both scales, determinism, realism."""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections import Counter

import pytest

from mirrormanager_devtools.dataset.reference import CATEGORIES
from mirrormanager_devtools.dataset.scales import SCALES
from mirrormanager_devtools.dataset.tables import Dataset


def _digest(dataset: Dataset) -> dict[str, str]:
    out = {}
    for name, table in dataset.tables().items():
        h = hashlib.sha256()
        for row in table.rows:
            h.update(repr(row).encode())
        out[name] = h.hexdigest()
    return out


def test_fedora_scale_matches_the_spec() -> None:
    """Spec README "Fedora scale": ~700 hosts (400 public, 300 private) on 600 sites, ~1,700
    URLs, ~10 categories, ~100k directories, ~5k repositories, ~20k file details, ~10k
    netblocks, ~5M host category directories.  Counted without generating the big table."""
    tables = Dataset(SCALES["fedora"], 1).tables()
    n = {name: t.expected for name, t in tables.items()}
    assert n["site"] == 600
    assert n["host"] == 700
    assert n["category"] == 10
    assert 1_500 <= n["host_category_url"] <= 2_000
    assert 85_000 <= n["directory"] <= 110_000
    assert 4_000 <= n["repository"] <= 5_500
    assert 15_000 <= n["file_detail"] <= 22_000
    assert n["host_netblock"] == 10_000
    assert 4_500_000 <= n["host_category_dir"] <= 5_500_000


def test_small_scale_is_small_and_has_every_kind_of_row() -> None:
    tables = Dataset(SCALES["small"], 1).tables()
    n = {name: t.expected for name, t in tables.items()}
    assert sum(n.values()) < 30_000
    assert all(count > 0 for count in n.values()), n


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    first = _digest(Dataset(SCALES["small"], 7))
    again = _digest(Dataset(SCALES["small"], 7))
    other = _digest(Dataset(SCALES["small"], 8))
    assert first == again
    # the tree is the same for every seed; who mirrors it and how differs
    for table in ("site", "host", "host_category_dir", "host_netblock", "directory",
                  "file_detail"):
        assert first[table] != other[table], table


def test_expected_counts_are_exact() -> None:
    for name, table in Dataset(SCALES["small"], 3).tables().items():
        assert sum(1 for _ in table.rows) == table.expected, name


def test_rows_look_like_fedora() -> None:
    dataset = Dataset(SCALES["small"], 1)
    tables = dataset.tables()
    hosts = list(tables["host"].rows)
    assert sum(1 for h in hosts if h[11]) == SCALES["small"].private_hosts
    netblocks = [row[1] for row in tables["host_netblock"].rows]
    for block in netblocks:
        ipaddress.ip_network(block)  # valid, aligned CIDR (strict)
    assert any(":" in b for b in netblocks) and any("." in b for b in netblocks)
    prefixes = {row[2] for row in tables["repository"].rows}
    assert {"fedora-42", "updates-released-f42", "updates-testing-f42", "rawhide",
            "epel-9", "testing-epel9", "fedora-30"} <= prefixes
    names = {row[1] for row in tables["directory"].rows}
    assert "pub/fedora/linux/releases/42/Everything/x86_64/os/repodata" in names
    # directory.files is MirrorManager2's JSON: a name-sorted list of name/size/timestamp
    for row in tables["directory"].rows:
        files = json.loads(row[2])
        assert [f["name"] for f in files] == sorted(f["name"] for f in files)
        assert all(set(f) == {"name", "size", "timestamp"} for f in files)


def test_newest_repomd_matches_the_directory_listing() -> None:
    """The crawler compares a mirror's repomd.xml to directory.files; metalinks use the
    newest file_detail: both must agree."""
    tables = Dataset(SCALES["small"], 1).tables()
    listed = {}
    for dir_id, _name, files, _readable, _ctime in tables["directory"].rows:
        for f in json.loads(files):
            if f["name"] == "repomd.xml":
                listed[dir_id] = (f["size"], f["timestamp"])
    newest: dict[int, tuple[int, int]] = {}
    for _id, filename, stamp, size, sha1, md5, sha256, sha512, dir_id in tables["file_detail"].rows:
        if filename == "repomd.xml":
            assert len(md5) == 32 and len(sha1) == 40 and len(sha256) == 64 and len(sha512) == 128
            if dir_id not in newest or stamp > newest[dir_id][1]:
                newest[dir_id] = (size, stamp)
    assert newest == listed


def test_host_category_dirs_mostly_up_to_date_and_carry_most_of_their_category() -> None:
    dataset = Dataset(SCALES["small"], 1)
    tables = dataset.tables()
    up = Counter(row[3] for row in tables["host_category_dir"].rows)
    share = up[True] / (up[True] + up[False])
    assert 0.85 <= share <= 0.995
    per_category = Counter(dataset.tree.categories)
    carried = [dataset.hcd_count(hc) / per_category[hc.category] for hc in dataset.host_categories]
    assert sum(carried) / len(carried) > 0.6


@pytest.mark.parametrize("scale", ["small", "fedora"])
def test_every_category_is_carried(scale: str) -> None:
    dataset = Dataset(SCALES[scale], 1)
    assert {hc.category for hc in dataset.host_categories} == set(range(len(CATEGORIES)))
