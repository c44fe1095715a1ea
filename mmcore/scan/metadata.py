"""Reading the metadata files the scanner records checksums of.

* ``repodata/repomd.xml``: its size, md5, sha1, sha256, sha512 and timestamp -- the newest
  ``<timestamp>`` of its ``<data>`` entries (the top-level ``<revision>`` is not a time);
* checksum files (``*-CHECKSUM``, ``SHA256SUM``, ``sha1sum.txt``, ...): the digests they list, in
  GNU (``<hex>  [*]name``) or BSD (``SHA256 (name) = <hex>``) style.  Lines that are neither --
  PGP armour, comments, garbage -- are skipped.

Bad input is an error value (:class:`MetadataError`), raised here and caught by the engine, which
logs it with the path and records nothing for that file.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

import attrs


class MetadataError(Exception):
    """A metadata file is malformed or truncated; the message says how."""


@attrs.frozen
class Digests:
    size: int
    md5: str
    sha1: str
    sha256: str
    sha512: str


def digests(data: bytes) -> Digests:
    return Digests(
        size=len(data),
        md5=hashlib.md5(data).hexdigest(),
        sha1=hashlib.sha1(data).hexdigest(),
        sha256=hashlib.sha256(data).hexdigest(),
        sha512=hashlib.sha512(data).hexdigest(),
    )


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def repomd_timestamp(data: bytes) -> int:
    """The newest ``<data><timestamp>`` of a repomd.xml.

    :raises MetadataError: not XML (truncated files are not), not a ``<repomd>``, or no
        ``<data>`` entry with a numeric timestamp.
    """
    try:
        # the standard library parser resolves no external entities; refuse DTDs altogether
        if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
            raise MetadataError("repomd.xml declares a DTD or entities")
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise MetadataError(f"repomd.xml is not well-formed XML ({exc})") from None
    if _local(root.tag) != "repomd":
        raise MetadataError(f"root element is <{_local(root.tag)}>, not <repomd>")
    newest: int | None = None
    for element in root:
        if _local(element.tag) != "data":
            continue
        for child in element:
            if _local(child.tag) == "timestamp" and child.text:
                try:
                    value = int(float(child.text.strip()))
                except ValueError:
                    raise MetadataError(f"bad <timestamp> {child.text.strip()!r}") from None
                newest = value if newest is None else max(newest, value)
    if newest is None:
        raise MetadataError("no <data> entry with a <timestamp>")
    return newest


# --------------------------------------------------------------------------------------------
# checksum files
# --------------------------------------------------------------------------------------------

#: MirrorManager2's checksum file names (matched from the start of the name) and their algorithm
CHECKSUM_FILE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r".*\.md5sum$"), "md5"),
    (re.compile(r"MD5SUM$"), "md5"),
    (re.compile(r"md5sum\.txt$"), "md5"),
    (re.compile(r".*\.sha1sum$"), "sha1"),
    (re.compile(r"SHA1SUM$"), "sha1"),
    (re.compile(r"sha1sum\.txt$"), "sha1"),
    (re.compile(r".*-CHECKSUM$"), "sha256"),
    (re.compile(r"SHA256SUM$"), "sha256"),
    (re.compile(r"sha256sum\.txt$"), "sha256"),
    (re.compile(r".*\.sha512sum$"), "sha512"),
    (re.compile(r"SHA512SUM$"), "sha512"),
    (re.compile(r"sha512sum\.txt$"), "sha512"),
)
#: every checksum file name above ends with one of these
_CHECKSUM_ENDINGS = ("SUM", "sum", "sum.txt")
_HEX_LENGTH = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
_ALGORITHMS = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA512": "sha512"}
_GNU = re.compile(r"^(?P<hex>[0-9a-fA-F]+) [ *](?P<name>.+)$")
_BSD = re.compile(r"^(?P<algo>[A-Z0-9]+) ?\((?P<name>.+)\) ?= (?P<hex>[0-9a-fA-F]+)$")


def checksum_file_algorithm(name: str) -> str | None:
    """The algorithm a checksum file of this name holds, ``None`` if it is not one."""
    if not name.endswith(_CHECKSUM_ENDINGS):  # fast path: called for every file of the tree
        return None
    for pattern, algorithm in CHECKSUM_FILE_PATTERNS:
        if pattern.match(name):
            return algorithm
    return None


def parse_checksum_file(data: bytes) -> Iterable[tuple[str, str, str]]:
    """``(filename, algorithm, hex digest)`` for every well-formed line.

    The algorithm comes from the digest's length (GNU) or the line (BSD), so a file of another
    algorithm than its name says is still read right.  Names with a directory part are skipped:
    a checksum file describes its own directory.
    """
    text = data.decode("utf-8", "replace")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _BSD.match(line)
        if match is not None:
            algorithm = _ALGORITHMS.get(match["algo"])
            if algorithm is None or _HEX_LENGTH.get(len(match["hex"])) != algorithm:
                continue
        else:
            match = _GNU.match(line)
            if match is None:
                continue
            algorithm = _HEX_LENGTH.get(len(match["hex"]))
            if algorithm is None:
                continue
        name = match["name"].strip()
        if not name or "/" in name:
            continue
        yield name, algorithm, match["hex"].lower()
