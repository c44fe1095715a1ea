"""A directory's file listing as MirrorManager2 stores it in ``directory.files``: one
:class:`FileEntry` per file, encoded as JSON (never a pickle) by :func:`encode_file_list` and
read back by :func:`decode_file_list`.

The tables themselves are described by the storage backend's schema (MirrorManager2's table and
column names) and the engines exchange the plain values of the use-case interfaces
(``mmcore/store.py``, ``mmcore/crawl/store.py``, ``mmcore/scan/store.py``).
"""

from __future__ import annotations

import json
import logging
import operator
from collections.abc import Iterable
from json.encoder import encode_basestring_ascii as _json_string  # type: ignore[attr-defined]

import attrs

__all__ = ["FileEntry", "FileTuple", "decode_file_list", "encode_file_list"]


@attrs.frozen
class FileEntry:
    """One file of a directory's listing: what the crawler compares against mirrors."""

    name: str
    size: int
    timestamp: int


#: a file of a listing as the scanner produces it: ``(name, size, mtime)``
FileTuple = tuple[str, int, int]

_FILE_ENTRY = '{"name":%s,"size":%d,"timestamp":%d}'
_by_name = operator.itemgetter(0)
log = logging.getLogger(__name__)


def encode_file_list(files: Iterable[FileEntry | FileTuple]) -> bytes:
    """``directory.files`` as MirrorManager2 stores it: a JSON list of
    ``{"name", "size", "timestamp"}`` sorted by name, compact separators, ASCII -- the bytes
    ``json.dumps(..., separators=(",", ":"))`` gives, several times faster (a first scan encodes
    one list per directory of the tree)."""
    entries = [
        (f.name, f.size, f.timestamp) if isinstance(f, FileEntry) else f for f in files
    ]
    if not entries:
        return b"[]"
    entries.sort(key=_by_name)
    return (
        "[" + ",".join([_FILE_ENTRY % (_json_string(n), s, t) for n, s, t in entries]) + "]"
    ).encode()


def decode_file_list(raw: bytes | memoryview | None, directory_name: str = "?") -> tuple[FileEntry, ...]:
    """Read ``directory.files``.  A value that is not this JSON (a MirrorManager1 pickle) is
    logged and read as an empty listing: unpickling data from a database could run code."""
    if raw is None:
        return ()
    try:
        entries = json.loads(bytes(raw))
        return tuple(
            sorted(
                (FileEntry(str(e["name"]), int(e["size"]), int(e["timestamp"])) for e in entries),
                key=lambda f: f.name,
            )
        )
    except (ValueError, TypeError, KeyError):
        log.warning(
            "directory %s: files column is not JSON (a legacy pickle?); treated as no file list",
            directory_name,
        )
        return ()
