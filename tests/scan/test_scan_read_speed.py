"""The fast fullfiletimelist reader and the joined exclude patterns give what the plain ones give.

The reader parses the list in chunks with a fast path per row and a slow path for everything
else; these tests compare it, for many chunk sizes (so every row boundary falls at a chunk
boundary somewhere), against a line-by-line reference reader feeding :func:`group_listing`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mmcore.scan.config import MasterDirectory
from mmcore.scan.listing import Kind, ListingOrderError, group_listing
from mmcore.scan.source import (
    ScannedDirectory,
    ScannedFile,
    SourceError,
    SourceRequest,
    combined_searches,
)
from mmcore.scan.sources import _fft_directories, world_readable_dir

CHUNK_SIZES = (1, 2, 3, 5, 7, 16, 31, 64, 100, 257, 1 << 18)


def reference_rows(list_path: str, prefix: str, request: SourceRequest, root: str) -> Iterator[tuple]:
    """The list read line by line, as the format describes it (the reader before chunking)."""
    kinds = {"f": Kind.FILE, "d": Kind.DIR, "l": Kind.LINK}
    prefix_slash = prefix + "/" if prefix else ""
    in_files = ended = False
    with open(list_path, encoding="utf-8", errors="surrogateescape", newline="\n") as handle:
        for number, line in enumerate(handle, 1):
            if line.startswith("["):
                section = line.strip()
                in_files = section == "[Files]"
                if section == "[End]":
                    ended = True
                    break
                continue
            if not in_files or line == "\n":
                continue
            fields = line[:-1].split("\t", 3)
            try:
                assert len(fields) == 4 and line.endswith("\n")
                kind = kinds[fields[1][:1]]
                mtime, size = int(fields[0]), int(fields[2])
            except (AssertionError, KeyError, ValueError):
                raise SourceError(f"{list_path}:{number}: malformed [Files] row "
                                  f"{line[:120]!r}") from None
            path = fields[3]
            if prefix:
                if path.startswith(prefix_slash):
                    path = path[len(prefix_slash):]
                elif path == prefix:
                    path = ""
                else:
                    continue
            if kind is Kind.FILE:
                if not path.rpartition("/")[2].startswith(request.ignore_files):
                    yield (kind, path, size, mtime, None)
            elif kind is Kind.DIR:
                readable = None
                if not request.unchanged(path, mtime):
                    try:
                        readable = world_readable_dir(os.stat(os.path.join(root, path)).st_mode)
                    except OSError:
                        pass
                yield (kind, path, size, mtime, readable)
    if not ended:
        raise SourceError(f"{list_path}: truncated (no [End] line)")


def outcome(produce: Callable[[], Iterator[ScannedDirectory]]) -> tuple[list[ScannedDirectory], str]:
    seen: list[ScannedDirectory] = []
    try:
        for directory in produce():
            seen.append(directory)
    except SourceError as exc:
        return seen, str(exc)
    return seen, ""


def make_request(root: Path, excludes: tuple[str, ...] = (), known: dict[str, int] | None = None,
                 ) -> SourceRequest:
    known = known or {}
    master = MasterDirectory(category="C", product="P", topdir="pub/c",
                             source="fullfiletimelist", path=str(root))
    return SourceRequest(master, str(root), tuple(re.compile(p) for p in excludes),
                         known_ctime=known.get)


def check_same(list_path: Path, prefix: str, request: SourceRequest, root: Path) -> str:
    """The reader agrees with the reference for every chunk size; returns the error, if any."""
    def reference() -> Iterator[ScannedDirectory]:
        try:
            yield from group_listing(reference_rows(str(list_path), prefix, request, str(root)),
                                     excluded=request.excluded)
        except ListingOrderError as exc:
            raise SourceError(f"{list_path}: not in tree order ({exc})") from None

    expected = outcome(reference)
    for size in CHUNK_SIZES:
        got = outcome(lambda: _fft_directories(str(list_path), prefix, request, str(root),
                                               chunk_bytes=size))
        if expected[1]:  # failed: the same message (directories before it do not count)
            assert got[1] == expected[1], size
        else:
            assert got == expected, size
            assert all(type(f) is ScannedFile for d in got[0] for f in d.files or ())
    return expected[1]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """pub/c on disk (for the permission stats), one directory not readable by others."""
    base = tmp_path / "pub"
    for rel in ("c", "c/a", "c/a/b", "c/a/b/deep", "c/closed", "c/closed/in", "c/skip",
                "c/skip/x", "c/e", "other"):
        (base / rel).mkdir(parents=True, exist_ok=True)
    os.chmod(base / "c" / "closed", 0o750)
    return base


ROWS = """\
[Version]
3

[Files]
100\td\t4096\tc
101\td\t4096\tc/a
102\td-\t4096\tc/closed
103\td\t4096\tc/skip
104\td\t4096\tc/e
105\td\t4096\tother
106\tf\t10\tother/x.rpm
107\td\t4096\tc/a/b
108\td\t4096\tc/a/b/deep
109\td\t4096\tc/a/b/gone
110\tf\t5\tc/a/b/z.rpm
111\tf\t6\tc/a/b/a.rpm
112\tf-\t7\tc/a/b/m.rpm
113\tl\t9\tc/a/b/link

114\tf\t8\tc/a/b/fullfiletimelist-c
115\tf\t3\tc/a/b/deep/\u00e9t\u00e9.iso
116\tf\t1\tc/a/b/deep/\u00e9t\u00e9.iso
117\td\t4096\tc/closed/in
118\tf\t2\tc/closed/in/f
119\td\t4096\tc/skip/x
120\tf\t2\tc/skip/x/f
121\tf\t2\tc/skip/f
122\tf\t4\tc/top.txt
123\tf\t4\tcx/not-ours
124\tf\t4\tc
[Checksums SHA1]
abc\tc/a/b/z.rpm
[Files]
125\tf\t4\tc/e/late
[End]
ignored\tafter the end
"""


@pytest.mark.parametrize("prefix", ["c", ""])
def test_chunked_reader_matches_the_line_reader(tree: Path, prefix: str) -> None:
    rows = ROWS if prefix else ROWS.replace("\tc/", "\t").replace("\tc\n", "\t.\n")
    list_path = tree / "fullfiletimelist-c"
    list_path.write_text(rows, encoding="utf-8")
    root = tree / "c"
    for excludes, known in (((), None), ((r".*/skip$", r"^/a/b/deep"), {"a": 101, "": 100}),
                            ((r".*", ), None)):
        request = make_request(root, excludes, known)
        assert check_same(list_path, prefix, request, root) == ""
    got = {d.path: d for d in _fft_directories(str(list_path), prefix, make_request(root),
                                               str(root), chunk_bytes=3)}
    if prefix:
        assert got["a/b"].files == (ScannedFile("a.rpm", 6, 111), ScannedFile("m.rpm", 7, 112),
                                    ScannedFile("z.rpm", 5, 110))
        assert got["a/b"].subdirs == ("deep", "gone") and got["a/b/gone"].files == ()
        assert got["a/b/deep"].file_names == ("\u00e9t\u00e9.iso", "\u00e9t\u00e9.iso")
        assert got["closed/in"].readable is False and got["a/b"].readable is True
        assert got["e"].file_names == ("late",) and "cx" not in got
        assert ScannedFile("", 4, 124) in got[""].files  # a file where the prefix is


@pytest.mark.parametrize(("text", "message"), [
    ("[Files]\n1\td\t1\tc\n1\tf\t1\tc/x\n", "truncated (no [End] line)"),
    ("[Files]\n1\td\t1\tc\n1\tf\t1\tc/x\n[End]", ""),
    ("[Files]\n1\td\t1\tc\n1\tf\t1\tc/x", ":3: malformed [Files] row '1\\tf\\t1\\tc/x'"),
    ("[Files]\n1\td\t1\tc\n1\tf\tx\tc/x\n[End]\n", ":3: malformed"),
    ("[Files]\n1\td\t1\tc\n1\tq\t1\tc/x\n[End]\n", ":3: malformed"),
    ("[Files]\n1\td\t1\tc\n1\tf\t1\n[End]\n", ":3: malformed"),
    ("[Files]\n1\td\t1\tc\n\tf\t1\tc/x\n[End]\n", ":3: malformed"),
    ("[Files]\n1\td\t1\tc\n1\t\t1\tc/x\n[End]\n", ":3: malformed"),
    ("[Version]\nanything goes\n[Files]\n1\td\t1\tc\n+1\tf\t 2\tc/y\r\n[End]\n", ""),
    ("[Files]\n1\td\t1\tc\n1\tf\t1\tc/a/x\n1\tf\t1\tc/b/x\n1\tf\t1\tc/a/y\n[End]\n",
     "not in tree order"),
    ("[Files]\n1\td\t1\tc\n1\tf\t1\tc/a/x\n1\td\t1\tc/e/q\n1\tf\t1\tc/a/y\n[End]\n",
     "not in tree order"),
    ("[Files]\n1\td\t1\tc\n1\tf\t1\tc/a/x\n1\td\t1\tc/a/q\n1\tf\t1\tc/a/y\n[End]\n", ""),
])
def test_errors_and_odd_rows_match(tree: Path, text: str, message: str) -> None:
    list_path = tree / "fullfiletimelist-c"
    list_path.write_text(text, encoding="utf-8")
    root = tree / "c"
    error = check_same(list_path, "c", make_request(root), root)
    assert message in error and (error == "") == (message == "")


def test_the_bench_style_list_in_tiny_chunks(tree: Path) -> None:
    """Many rows, long and short, the prefix's own rows among others."""
    lines = ["[Version]", "3", "", "[Files]", "1\td\t1\tc"]
    for i in range(40):
        lines.append(f"{i}\td\t4096\tc/d{i % 7}" if i % 9 == 0 else f"{i}\tf\t{i * 3}\tc/f{i}")
        lines.append(f"{i}\td\t4096\tc/d{i % 7}/s{i}")
        lines.extend(f"{i}\tf\t{j}\tc/d{i % 7}/s{i}/{'n' * j}" for j in range(1, 6))
    lines += ["[End]", ""]
    list_path = tree / "fullfiletimelist-c"
    list_path.write_text("\n".join(lines), encoding="utf-8")
    root = tree / "c"
    check_same(list_path, "c", make_request(root, (r"/d3/s1", r"s2\d$")), root)


@pytest.mark.parametrize("patterns", [
    (r".*\.snapshot", r".*/\.~tmp~", r"^/alt/"),
    (r"(a)\1", r"^/b/", r"(?P<x>c)(?P=x)"),
    (r"(?i)UPPER", r"lower$", r"(?P<g>x)", r"(?P<g>y)"),
    (r".*?q", r".*+z", r".*", r"(?x) w  # a comment"),
    (),
])
def test_joined_excludes_find_what_the_patterns_find(patterns: tuple[str, ...]) -> None:
    compiled = tuple(re.compile(p) for p in patterns)
    searches = combined_searches(compiled)
    assert len(searches) <= len(compiled)
    probes = ["/", "/a", "/aa", "/x/.snapshot", "/x/.~tmp~/y", "/alt/", "/b/", "/cc", "/UPPER",
              "/upper", "/lower", "/x", "/y", "/q", "/z", "/zz", "/w", "/ w", "/a\nb"]
    for probe in probes:
        expected = any(p.search(probe) for p in compiled)
        assert any(s(probe) for s in searches) == expected, (patterns, probe)
    request = make_request(Path("/nonexistent"), patterns)
    for probe in probes:
        assert request.excluded(probe[1:]) == any(p.search(probe) for p in compiled)
