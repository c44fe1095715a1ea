"""Pieces of the scanner without a database: config, prefix rules, metadata parsing, listings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mmcore.config import ConfigError, load_config
from mmcore.scan.config import UmdlConfig
from mmcore.scan.engine import short_filelist
from mmcore.scan.listing import Kind, ListingOrderError, group_listing
from mmcore.scan.metadata import MetadataError, parse_checksum_file, repomd_timestamp
from mmcore.scan.repomap import BUILTIN_RULES, RepositoryRule, choose_prefix, guess_version
from mmcore.scan.run import collect_rules
from mmcore.scan.source import ScannedFile


def test_umdl_config_section(tmp_path: Path) -> None:
    path = tmp_path / "mm.toml"
    path.write_text(
        '[umdl]\nprefix = "/srv/"\nmax_stale_days = 6\n'
        '[[umdl.master]]\ncategory = "Fedora Linux"\nproduct = "Fedora"\n'
        'path = "/srv/pub/fedora/linux"\nexcludes = ["^/alt/"]\n'
        '[[umdl.repository_rule]]\ncategories = ["Mine"]\nmatch = "/stable/"\n'
        'prefix = "mine-{version}"\n'
    )
    config = load_config(path, {"umdl": UmdlConfig}).section("umdl", UmdlConfig)
    master = config.master[0]
    assert master.resolved_topdir(config.prefix) == "pub/fedora/linux"
    assert master.excludes == ("^/alt/",) and config.max_stale_days == 6
    rules = collect_rules(config, None)
    assert rules[0].categories == ("Mine",) and rules[1:] == BUILTIN_RULES
    path.write_text('[[umdl.master]]\ncategory = "X"\nsauce = "directory"\n')
    with pytest.raises(ConfigError, match="sauce"):
        load_config(path, {"umdl": UmdlConfig})


@pytest.mark.parametrize(("category", "path", "version", "arch", "prefix"), [
    ("Fedora Linux", "releases/40/Everything/x86_64/os", "40", "x86_64", "fedora-40"),
    ("Fedora Linux", "releases/40/Everything/x86_64/debug/tree", "40", "x86_64", "fedora-debug-40"),
    ("Fedora Linux", "releases/40/Everything/source/tree", "40", "source", "fedora-source-40"),
    ("Fedora Linux", "releases/40/Fedora/x86_64/os", "40", "x86_64", "fedora-install-40"),
    ("Fedora Linux", "updates/40/Everything/x86_64", "40", "x86_64", "updates-released-f40"),
    ("Fedora Linux", "updates/testing/40/Everything/x86_64/debug", "40", "x86_64",
     "updates-testing-debug-f40"),
    ("Fedora Linux", "development/rawhide/Everything/x86_64/os", "development", "x86_64",
     "rawhide"),
    ("Fedora Linux", "development/41/Everything/x86_64/os", "41", "x86_64", "fedora-41"),
    ("Fedora Linux", "releases/test/41_Beta/Everything/x86_64/os", "41_Beta", "x86_64", None),
    ("Fedora Secondary Arches", "releases/40/Everything/s390x/os", "40", "s390x", "fedora-40"),
    ("Fedora EPEL", "9/Everything/x86_64", "9", "x86_64", "epel-9"),
    ("Fedora EPEL", "testing/9/Everything/source/tree", "9", "source", "testing-source-epel9"),
    ("Fedora Codecs", "openh264/40/x86_64/debug", "40", "x86_64", "fedora-cisco-openh264-debug-40"),
    ("RPMFUSION free EL", "el/updates/9/x86_64", "9", "x86_64", "free-el-updates-released-9"),
    ("CentOS", "7/extras/x86_64", "7", "x86_64", "extras-7"),
    ("RHEL", "9/optional/x86_64", "9", "x86_64", "rhel-optional-9"),
])
def test_builtin_prefix_rules(category, path, version, arch, prefix) -> None:
    assert choose_prefix(BUILTIN_RULES, category, path, version, arch).prefix == prefix


def test_rules_are_data_and_extensible() -> None:
    mine = RepositoryRule.of(["Fedora Linux"], r"/updates/(?P<n>\d+)/", "mine-{n}{debug}")
    rules = (mine, *BUILTIN_RULES)
    assert choose_prefix(rules, "Fedora Linux", "updates/40/x86_64/debug", "40", "x86_64").prefix \
        == "mine-40-debug"
    assert choose_prefix(rules, "Other", "updates/40/x86_64", "40", "x86_64").rule is None


def test_version_guessing() -> None:
    assert guess_version("pub/fedora/linux/releases/40/Everything/x86_64/os", []).name == "40"
    assert guess_version("pub/fedora/linux/releases/test/41_Beta/x/os", []).is_test
    assert guess_version("pub/fedora/linux/development/rawhide/Everything/x86_64/os",
                         []).name == "development"
    known = guess_version("pub/epel/9/Everything/x86_64", ["10", "9"])
    assert known.name == "9" and known.existing


def test_repomd_timestamp_and_bad_repomd() -> None:
    good = (b'<?xml version="1.0"?><repomd xmlns="http://linux.duke.edu/metadata/repo">'
            b"<revision>5</revision><data type='primary'><timestamp>100</timestamp></data>"
            b"<data type='other'><timestamp>250</timestamp></data></repomd>")
    assert repomd_timestamp(good) == 250
    with pytest.raises(MetadataError, match="well-formed"):
        repomd_timestamp(good[: len(good) // 2])
    with pytest.raises(MetadataError, match="not <repomd>"):
        repomd_timestamp(b"<html/>")
    with pytest.raises(MetadataError, match="timestamp"):
        repomd_timestamp(b"<repomd><data type='x'/></repomd>")
    with pytest.raises(MetadataError, match="DTD"):
        repomd_timestamp(b'<!DOCTYPE x [<!ENTITY a "b">]><repomd/>')


def test_checksum_lines_gnu_bsd_and_garbage() -> None:
    sha = "a" * 64
    text = (f"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n# comment\n"
            f"SHA256 (one.iso) = {sha}\n{'b' * 32}  two.iso\n{'c' * 40} *three.iso\n"
            f"SHA256 (short.iso) = abc\nMD5 (wrong-length.iso) = {sha}\n{sha}  sub/dir.iso\n"
            "complete garbage \x00\xff\n").encode("utf-8", "surrogateescape")
    assert list(parse_checksum_file(text)) == [
        ("one.iso", "sha256", sha), ("two.iso", "md5", "b" * 32), ("three.iso", "sha1", "c" * 40)]


def test_short_filelist() -> None:
    rpms = [ScannedFile(f"p{i}.rpm", i, 1000 + i) for i in range(11)]
    assert [f.name for f in short_filelist(rpms)] == ["p10.rpm", "p8.rpm", "p9.rpm"]
    assert len(short_filelist(rpms[:10])) == 10


def test_group_listing_streams_and_detects_disorder() -> None:
    D, F = Kind.DIR, Kind.FILE
    entries = [(D, "", 0, 1, True), (D, "a", 0, 2, True), (F, "top", 1, 3, None),
               (D, "a/b", 0, 4, False), (F, "a/x", 5, 6, None), (F, "a/b/y", 7, 8, None),
               (D, "a/empty", 0, 9, True), (D, "skip.snapshot", 0, 9, True),
               (F, "skip.snapshot/z", 1, 1, None)]
    out = {d.path: d for d in group_listing(
        entries, excluded=lambda p: re.search(r"\.snapshot", p) is not None)}
    assert set(out) == {"", "a", "a/b", "a/empty"}
    assert [f.name for f in out["a"].files] == ["x"] and out["a"].subdirs == ("b", "empty")
    assert out["a/b"].readable is False and out["a/empty"].files == ()
    with pytest.raises(ListingOrderError):
        list(group_listing([(F, "a/x", 1, 1, None), (F, "b/y", 1, 1, None),
                            (F, "a/z", 1, 1, None)]))
