"""The ``rsync --list-only`` parser: real rsync output, odd names, garbage lines."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


from mirrormanager_rsync.listing import EntryType, parse_line, parse_listing
from system_tools import needs_rsync


def test_parses_the_three_kinds_of_entries() -> None:
    lines = [
        "drwxr-xr-x          4,096 2024/03/01 12:00:00 .",
        "drwxr-x---          4,096 2024/03/01 12:00:01 pub",
        "-rw-r--r--      1,234,567 2024/03/01 12:00:02 pub/file with spaces.rpm",
        "lrwxrwxrwx             11 2024/03/01 12:00:03 pub/latest -> releases/40",
    ]
    entries = list(parse_listing(lines))
    assert [(e.type, e.path) for e in entries] == [
        (EntryType.DIR, ""),
        (EntryType.DIR, "pub"),
        (EntryType.FILE, "pub/file with spaces.rpm"),
        (EntryType.SYMLINK, "pub/latest"),
    ]
    assert entries[0].mtime == 1709294400  # 2024-03-01T12:00:00Z
    assert entries[2].size == 1234567
    assert entries[2].parent == "pub" and entries[2].name == "file with spaces.rpm"
    assert entries[3].target == "releases/40"
    assert entries[0].world_readable and not entries[1].world_readable


def test_garbage_lines_are_reported_and_skipped() -> None:
    bad: list[tuple[int, str]] = []
    lines = [
        "Welcome to the mirror!  Please be nice.",
        "receiving incremental file list",
        "drwxr-xr-x          4,096 2024/03/01 12:00:00 ok",
        "-rw-r--r--   12 2024/13/01 12:00:00 bad-month",
        "-rw-r--r--   12 2024/03/01 12:00",  # truncated
        "-rw-r--r--   12 2024/03/01 12:00:00 ../escape",
        "",
        "rsync: [sender] link_stat \"/nope\" failed: No such file or directory (2)",
        b"-rw-r--r--   7 2024/03/01 12:00:00 ok/bytes\xff",
    ]
    entries = list(parse_listing(lines, on_bad_line=lambda n, text: bad.append((n, text))))
    assert [e.path for e in entries] == ["ok", "ok/bytes\udcff"]
    assert [n for n, _ in bad] == [1, 2, 4, 5, 6, 8]


def test_size_styles() -> None:
    assert parse_line("-rw-r--r--        4.096 2024/03/01 12:00:00 a").size == 4096
    assert parse_line("-rw-r--r--         1.50K 2024/03/01 12:00:00 a").size == 1536
    assert parse_line("-rw-r--r--+           3 2024/03/01 12:00:00 a").size == 3


def test_escaped_names_are_decoded() -> None:
    entry = parse_line("-rw-r--r--    1 2024/03/01 12:00:00 a/new\\#012line")
    assert entry is not None and entry.path == "a/new\nline"
    entry = parse_line("-rw-r--r--    1 2024/03/01 12:00:00 caf\\#303\\#251")
    assert entry is not None and entry.path == "café"


@needs_rsync
def test_real_rsync_output_round_trips(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "f.rpm").write_bytes(b"x" * 5000)
    (root / "a" / "sp ace").write_text("y")
    (root / "a" / "new\nline").write_text("z")
    os.symlink("f.rpm", root / "a" / "link")
    os.utime(root / "a" / "f.rpm", (1700000000, 1700000000))
    output = subprocess.run(
        ["rsync", "--list-only", "-r", "-l", f"{root}/"],
        capture_output=True, check=True, timeout=30, env={**os.environ, "TZ": "UTC"},
    ).stdout.splitlines()
    entries = {e.path: e for e in parse_listing(output)}
    assert set(entries) == {"", "a", "a/b", "a/f.rpm", "a/sp ace", "a/new\nline", "a/link"}
    assert entries["a/f.rpm"].size == 5000 and entries["a/f.rpm"].mtime == 1700000000
    assert entries["a/link"].type is EntryType.SYMLINK and entries["a/link"].target == "f.rpm"
    assert entries["a/b"].type is EntryType.DIR
