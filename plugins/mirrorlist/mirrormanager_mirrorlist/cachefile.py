"""The bytes of a cache file: a private snapshot, and a walk over its top-level fields.

A loaded generation must not depend on the file it came from staying intact: an operator may
truncate or rewrite the file in place (``: > cache``, ``cp new cache``, ``truncate``), and a
memory map of that file would then fault (SIGBUS) on the next page read.  :func:`snapshot`
therefore copies the file, once per load, into storage this process owns: an unnamed file
(``O_TMPFILE``) in the cache's own directory, memory-mapped (its pages live in the page cache,
not in the process's anonymous memory); when that directory is not writable, into memory.
Nothing outside the process can reach either copy.

:func:`walk_top_level` splits a ``MirrorList`` into its small fields (parsed as a whole) and
the byte ranges of the two big repeated fields, parsed one entry at a time.
"""

from __future__ import annotations

import errno
import mmap
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

import attrs

from mirrormanager_mirrorlist import varint

FIELD_FILE_DETAILS = 5
FIELD_MIRROR_LIST = 16
_COPY_CHUNK = 1 << 24
_NO_COPY_FILE_RANGE = (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP)

Buffer = mmap.mmap | bytes


class CacheFormatError(Exception):
    """The file is not a complete, valid ``mirrormanager.MirrorList``."""


@attrs.frozen
class Snapshot:
    """A private copy of a cache file, as it was when it was read."""

    buffer: Buffer
    #: ``"file"`` (an unnamed file in the cache's directory, mapped) or ``"memory"``
    storage: str

    def close(self) -> None:
        if isinstance(self.buffer, mmap.mmap):
            self.buffer.close()


def snapshot(path: Path) -> Snapshot:
    """Copy the cache file at ``path`` into storage of this process (see the module).

    :raises CacheFormatError: the file is empty, or changed (size or mtime) while it was read.
    :raises OSError: the file cannot be opened or read.
    """
    with path.open("rb") as source:
        before = os.fstat(source.fileno())
        size = before.st_size
        if size == 0:
            raise CacheFormatError("empty file")
        taken = _copy_to_private_file(source, size, path.parent)
        if taken is None:
            taken = Snapshot(_read_exactly(source, size), "memory")
        after = os.fstat(source.fileno())
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        taken.close()
        raise CacheFormatError("the file changed while it was being read")
    return taken


def _copy_to_private_file(source: BinaryIO, size: int, directory: Path) -> Snapshot | None:
    """``None`` when no private file can be made in ``directory`` (read-only, no space)."""
    try:
        copy = tempfile.TemporaryFile(dir=directory)
    except OSError:
        return None
    with copy:
        try:
            _copy_exactly(source, copy, size)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                source.seek(0)
                return None
            raise
        # the map keeps the unnamed file alive after its descriptor is closed
        return Snapshot(mmap.mmap(copy.fileno(), size, access=mmap.ACCESS_READ), "file")


def _copy_exactly(source: BinaryIO, target: BinaryIO, size: int) -> None:
    source_fd, target_fd = source.fileno(), target.fileno()
    done = 0
    try:
        while done < size:
            copied = os.copy_file_range(source_fd, target_fd, min(size - done, _COPY_CHUNK))
            if copied == 0:
                raise CacheFormatError(f"the file was truncated while being read ({done} bytes)")
            done += copied
    except OSError as exc:
        if done or exc.errno not in _NO_COPY_FILE_RANGE:
            raise
        source.seek(0)
        target.seek(0)
        shutil.copyfileobj(source, target, _COPY_CHUNK)
        target.flush()
        done = target.tell()
    if done != size:
        raise CacheFormatError(f"the file changed while being read ({done} of {size} bytes)")


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise CacheFormatError(f"the file was truncated while being read ({len(data)} bytes)")
    return data


# ---------------------------------------------------------------------------------------------
# top-level fields
# ---------------------------------------------------------------------------------------------


@attrs.frozen
class TopLevel:
    #: every field but 5 and 16, as they were (a ``MirrorList`` with only the small fields)
    small: bytes
    #: (offset, length) of each ``MirrorListCache`` entry's bytes
    mirror_lists: list[tuple[int, int]]
    #: (offset, length) of each ``FileDetailsCache`` entry's bytes
    file_details: list[tuple[int, int]]


def walk_top_level(buf: Buffer) -> TopLevel:
    """Split the message into the small fields and the byte ranges of fields 5 and 16.

    :raises CacheFormatError: a field is truncated, has field number 0 or a group wire type.
    """
    try:
        return _walk(buf)
    except varint.VarintError as exc:
        raise CacheFormatError(str(exc)) from None


def _walk(buf: Buffer) -> TopLevel:
    decode = varint.decode
    end = len(buf)
    pos = 0
    small: list[bytes] = []
    lazy: dict[int, list[tuple[int, int]]] = {FIELD_FILE_DETAILS: [], FIELD_MIRROR_LIST: []}
    while pos < end:
        start = pos
        tag, pos = decode(buf, pos, end)
        field, wire = tag >> 3, tag & 7
        if field == 0:
            raise CacheFormatError(f"field number 0 at byte {start}")
        if wire == 0:
            _, pos = decode(buf, pos, end)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, pos = decode(buf, pos, end)
            if pos + length > end:
                raise CacheFormatError(f"field {field} at byte {start} runs past the end")
            if field in lazy:
                lazy[field].append((pos, length))
                pos += length
                continue
            pos += length
        else:
            raise CacheFormatError(f"unsupported wire type {wire} at byte {start}")
        if pos > end:
            raise CacheFormatError(f"field {field} at byte {start} runs past the end")
        small.append(buf[start:pos])
    return TopLevel(b"".join(small), lazy[FIELD_MIRROR_LIST], lazy[FIELD_FILE_DETAILS])


def first_string_field(buf: Buffer, pos: int, length: int) -> str | None:
    """The value of field 1 when it is the entry's first field (as every writer emits it) and
    valid UTF-8; ``None`` otherwise (the caller parses the entry)."""
    end = pos + length
    if pos >= end or buf[pos] != 0x0A:
        return None
    try:
        size, start = varint.decode(buf, pos + 1, end)
    except varint.VarintError:
        return None
    if start + size > end:
        return None
    try:
        return bytes(buf[start : start + size]).decode("utf-8")
    except UnicodeDecodeError:
        return None
