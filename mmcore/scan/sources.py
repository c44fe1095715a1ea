"""The built-in sources: ``directory`` (a disk walk) and ``fullfiletimelist`` (Fedora's list file).

``directory`` walks the tree with :func:`os.scandir`, one ``stat`` per directory; files are
``stat``-ed only in directories whose ctime differs from the stored one, and a directory whose
ctime did not change is not even listed: its stored subdirectories are ``stat``-ed instead.
A directory listed within the second of its ctime is reported with the token
:data:`~mmcore.scan.source.UNSETTLED_CTIME` (see there).  Symbolic links are not
followed and not recorded (they are not content).  A directory it cannot list is logged and
reported unreadable with its stored files kept; its subtree is left alone.

``fullfiletimelist`` reads a ``fullfiletimelist-*`` file (quick-fedora-mirror's ``[Files]``
section: ``time<TAB>type<TAB>size<TAB>path`` rows, type ``f``, ``d`` or ``l``) instead of walking.
The list found in the master's directory or its nearest parent is used; its paths are relative to
where it lies, so a list at ``pub/fedora`` serves the ``pub/fedora/linux`` category (MirrorManager2
hard-coded that case).  A list without its ``[End]`` line is truncated and fails the category, as
does a malformed row.  Directories whose listed time changed are ``stat``-ed on disk for their
permissions; repomd.xml and checksum files are read from disk.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import operator
import os
import stat
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import BinaryIO

import attrs
import trio

from mmcore.logs import kv
from mmcore.scan.listing import Kind, ListingGrouper, ListingOrderError
from mmcore.scan.source import (
    ScannedDirectory,
    ScannedFile,
    SourceError,
    SourceRequest,
    UNSETTLED_CTIME,
    batches_in_thread,
    read_local_files,
)

log = logging.getLogger("mmcore.scan")

_WORLD_RX = stat.S_IROTH | stat.S_IXOTH


def world_readable_dir(mode: int) -> bool:
    return mode & _WORLD_RX == _WORLD_RX


# --------------------------------------------------------------------------------------------
# directory
# --------------------------------------------------------------------------------------------


_by_name = operator.attrgetter("name")

#: how far a file system's timestamps may lag the wall clock (kernels stamp files from a coarse
#: clock, one tick behind)
CLOCK_SLACK = 0.05


def settled(ctime: int, listed_at: float) -> bool:
    """Whether any change made after ``listed_at`` (wall clock) gives the directory a ctime of a
    later second than ``ctime`` (whole seconds), so that the next scan sees it."""
    return listed_at - CLOCK_SLACK >= ctime + 1


def walk_directory(root: str, request: SourceRequest) -> Iterator[ScannedDirectory]:
    """Sorted pre-order walk of ``root`` (blocking)."""
    try:
        top = os.stat(root)
    except OSError as exc:
        raise SourceError(f"cannot read the master directory {root}: {exc.strerror}") from None
    if not stat.S_ISDIR(top.st_mode):
        raise SourceError(f"the master path {root} is not a directory")
    # (relative path, ctime, readable)
    pending: list[tuple[str, int, bool]] = [("", int(top.st_ctime), world_readable_dir(top.st_mode))]
    while pending:
        rel, ctime, readable = pending.pop()
        full = os.path.join(root, rel) if rel else root
        unchanged = request.unchanged(rel, ctime)
        known_subdirs = request.known_subdirs(rel) if unchanged else None
        if known_subdirs is not None:
            subdirs = _stat_known_subdirs(full, rel, readable, known_subdirs, request)
            yield ScannedDirectory(
                rel, ctime, readable, None, None,
                tuple(child.rpartition("/")[2] for child, _, _ in subdirs),
            )
            pending.extend(reversed(subdirs))
            continue
        try:
            with os.scandir(full) as iterator:
                entries = sorted(iterator, key=_by_name)
        except OSError as exc:
            log.warning("cannot list directory, skipped %s", kv(path=full, error=exc.strerror))
            yield ScannedDirectory(rel, ctime, False, None, (), (), listed=False)
            continue
        token = ctime if settled(ctime, time.time()) else UNSETTLED_CTIME
        files: list[ScannedFile] = []
        names: list[str] = []
        subdirs: list[tuple[str, int, bool]] = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    child = f"{rel}/{entry.name}" if rel else entry.name
                    if request.excluded(child):
                        continue
                    info = entry.stat(follow_symlinks=False)
                    subdirs.append(
                        (child, int(info.st_ctime), readable and world_readable_dir(info.st_mode))
                    )
                elif entry.is_file(follow_symlinks=False):
                    if request.ignored_file(entry.name):
                        continue
                    names.append(entry.name)
                    if not unchanged:
                        info = entry.stat(follow_symlinks=False)
                        files.append(ScannedFile(entry.name, info.st_size, int(info.st_mtime)))
            except OSError as exc:  # vanished or unreadable meanwhile
                log.warning("cannot stat, skipped %s",
                            kv(path=os.path.join(full, entry.name), error=exc.strerror))
        yield ScannedDirectory(
            rel, token, readable, None if unchanged else tuple(files), tuple(names),
            tuple(child.rpartition("/")[2] for child, _, _ in subdirs),
        )
        pending.extend(reversed(subdirs))


def _stat_known_subdirs(
    full: str, rel: str, readable: bool, names: Sequence[str], request: SourceRequest
) -> list[tuple[str, int, bool]]:
    """``(relative path, ctime, readable)`` of the stored subdirectories of an unchanged
    directory, without listing it.  One that is gone (still stored because the scan that saw it
    vanish did not delete directories) or no longer a directory is left out without a word."""
    subdirs: list[tuple[str, int, bool]] = []
    for name in names:
        child = f"{rel}/{name}" if rel else name
        if request.excluded(child):
            continue
        try:
            info = os.stat(os.path.join(full, name), follow_symlinks=False)
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.warning("cannot stat, skipped %s",
                        kv(path=os.path.join(full, name), error=exc.strerror))
            continue
        if stat.S_ISDIR(info.st_mode):
            subdirs.append((child, int(info.st_ctime), readable and world_readable_dir(info.st_mode)))
    return subdirs


@attrs.define
class LocalSession:
    """A scan of a tree readable on this machine."""

    root: str
    request: SourceRequest
    producer: Iterator[ScannedDirectory]

    def batches(self) -> AsyncIterator[list[ScannedDirectory]]:
        return batches_in_thread(self.producer, self.request.batch_size)

    async def read_files(self, paths: Sequence[str], max_bytes: int) -> dict[str, bytes]:
        return await trio.to_thread.run_sync(read_local_files, self.root, paths, max_bytes)


def _local_root(request: SourceRequest) -> str:
    if not request.local_root:
        raise SourceError(f"category {request.master.category!r}: source "
                          f"{request.master.source!r} needs path (or [umdl] prefix + topdir)")
    return request.local_root


@attrs.frozen
class DirectorySource:
    name: str = "directory"

    @contextlib.asynccontextmanager
    async def open(self, request: SourceRequest) -> AsyncIterator[LocalSession]:
        root = _local_root(request)
        yield LocalSession(root, request, walk_directory(root, request))


# --------------------------------------------------------------------------------------------
# fullfiletimelist
# --------------------------------------------------------------------------------------------


def find_fullfiletimelist(path: str) -> tuple[str, str] | None:
    """``(list file, its directory)``: the first ``fullfiletimelist-*`` in ``path`` or the
    nearest parent directory holding one."""
    current = os.path.abspath(path)
    while True:
        found = sorted(glob.glob(os.path.join(glob.escape(current), "fullfiletimelist-*")))
        if found:
            return found[0], current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


_TYPES = {"f": Kind.FILE, "d": Kind.DIR, "l": Kind.LINK}

#: bytes read from the list at a time (the directories completed by one chunk are handed over
#: before the next one is read)
FFT_CHUNK_BYTES = 1 << 18


def _fft_chunks(handle: BinaryIO, chunk_bytes: int) -> Iterator[tuple[str, bool]]:
    """The list's text, about ``chunk_bytes`` at a time, cut after a ``\\n``: ``(text, last)``;
    the last chunk holds only the text after the final ``\\n``, if any (a line without one)."""
    rest = b""
    while True:
        data = handle.read(chunk_bytes)
        if not data:
            if rest:
                yield rest.decode("utf-8", "surrogateescape"), True
            return
        data = rest + data if rest else data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            rest = data
            continue
        rest = data[cut:]
        # a "\n" byte never occurs inside a multi-byte UTF-8 sequence: chunks decode alone
        yield data[:cut].decode("utf-8", "surrogateescape"), False


class _FftRow:
    """The meaning of one line when the fast path could not tell (see :func:`_fft_parse_slow`)."""

    SECTION_FILES = "files"
    SECTION_OTHER = "other"
    END = "end"
    SKIP = "skip"


def _fft_parse_slow(line: str, terminated: bool) -> tuple[str, tuple | None]:
    """One line as the reference reader sees it: a section header, an ignorable line, or a row
    ``(kind, path, size, mtime)`` of the ``[Files]`` section; raises ``ValueError`` for a
    malformed row.  ``terminated``: the line ended with ``\\n``."""
    if line[:1] == "[":
        section = line.strip()
        if section == "[End]":
            return _FftRow.END, None
        return (_FftRow.SECTION_FILES if section == "[Files]" else _FftRow.SECTION_OTHER), None
    if terminated and line == "":
        return _FftRow.SKIP, None
    fields = line.split("\t", 3)
    if len(fields) != 4 or not terminated:
        raise ValueError(line)
    when, kind_text, size_text, path = fields
    kind = _TYPES.get(kind_text[:1])
    try:
        mtime = int(when)
        size = int(size_text)
    except ValueError:
        kind = None
    if kind is None:
        raise ValueError(line)
    return "row", (kind, path, size, mtime)


def _fft_directories(
    list_path: str, prefix: str, request: SourceRequest, root: str,
    chunk_bytes: int = FFT_CHUNK_BYTES,
) -> Iterator[ScannedDirectory]:
    """The directories under ``prefix`` (relative to the list's directory), with paths relative
    to ``prefix``, each once complete.

    The list is read in chunks and each row parsed with a few string operations; a file row
    costs one ``split``, one ``rpartition``, two ``int`` and one tuple (the directory part of a
    run of files in one directory is resolved once).  Directory rows are grouped with
    :class:`~mmcore.scan.listing.ListingGrouper`, excluded once, and ``stat``-ed for their
    permissions only when their listed time differs from the stored one.

    :raises SourceError: unreadable, malformed, truncated or out-of-order list.
    """
    try:
        handle = open(list_path, "rb")
    except OSError as exc:
        raise SourceError(f"cannot read {list_path}: {exc.strerror}") from None
    with handle:
        try:
            yield from _fft_rows(handle, list_path, prefix, request, root, chunk_bytes)
        except ListingOrderError as exc:
            raise SourceError(f"{list_path}: not in tree order ({exc})") from None
        except OSError as exc:
            raise SourceError(f"cannot read {list_path}: {exc.strerror}") from None


def _fft_rows(
    handle: BinaryIO, list_path: str, prefix: str, request: SourceRequest, root: str,
    chunk_bytes: int,
) -> Iterator[ScannedDirectory]:
    prefix_slash = prefix + "/" if prefix else ""
    cut = len(prefix_slash)
    ignored = request.ignore_files
    unchanged = request.unchanged
    grouper = ListingGrouper(request.excluded)
    out = grouper.out
    files_of = grouper.files_of
    in_files = False
    ended = False
    number = 0  # lines before the current chunk
    try:
        root_fd: int | None = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        root_fd = None

    def readable_of(path: str) -> bool | None:
        try:
            if root_fd is not None:
                info = os.stat(path or ".", dir_fd=root_fd)
            else:
                info = os.stat(os.path.join(root, path))
        except OSError:
            return None
        return world_readable_dir(info.st_mode)

    def directory_row(path: str, mtime: int) -> None:
        if cut:
            if path.startswith(prefix_slash):
                path = path[cut:]
            elif path == prefix:
                path = ""
            else:
                return
        if path and grouper.skip_dir(path):
            return
        readable = None if unchanged(path, mtime) else readable_of(path)
        if path:
            grouper.directory(path, mtime, readable)
        else:
            grouper.root(mtime, readable)

    try:
        for text, last in _fft_chunks(handle, chunk_bytes):
            last_parent: str | None = None  # the run of files being read: its raw directory
            target: list[tuple[str, int, int]] | None = None  # ... and its file list
            lines = text.split("\n")
            if not last:
                lines.pop()  # the empty text after the final "\n"
            index = -1
            for index, line in enumerate(lines):
                if in_files and not last:  # (the last chunk: a line without "\n")
                    # fast path: a well-formed file or directory row
                    fields = line.split("\t", 3)
                    if len(fields) == 4:
                        when, kind_text, size_text, path = fields
                        if kind_text == "f":
                            try:
                                mtime = int(when)
                                size = int(size_text)
                            except ValueError:
                                pass
                            else:
                                parent, _, name = path.rpartition("/")
                                if parent != last_parent:
                                    if cut and parent != prefix and not parent.startswith(
                                            prefix_slash):
                                        if path == prefix:  # a file named like the prefix
                                            last_parent = None
                                            target = files_of("")
                                            if target is not None and not "".startswith(ignored):
                                                target.append(("", size, mtime))
                                        continue
                                    last_parent = parent
                                    target = files_of(parent[cut:] if cut else parent)
                                if target is not None and not name.startswith(ignored):
                                    target.append((name, size, mtime))
                                continue
                        elif kind_text == "d":
                            try:
                                mtime = int(when)
                                int(size_text)
                            except ValueError:
                                pass
                            else:
                                last_parent = None
                                directory_row(path, mtime)
                                if out:
                                    yield from out
                                    out.clear()
                                continue
                # everything else: sections, blank lines, links, odd type fields, errors
                last_parent = None
                terminated = not last or index < len(lines) - 1
                try:
                    what, row = _fft_parse_slow(line, terminated)
                except ValueError:
                    if not in_files:
                        continue
                    shown = line + "\n" if terminated else line
                    raise SourceError(f"{list_path}:{number + index + 1}: malformed [Files] "
                                      f"row {shown[:120]!r}") from None
                if what == _FftRow.END:
                    ended = True
                    break
                if what == _FftRow.SECTION_FILES:
                    in_files = True
                elif what == _FftRow.SECTION_OTHER:
                    in_files = False
                elif what == "row" and in_files:
                    kind, path, size, mtime = row  # type: ignore[misc]
                    if kind is Kind.DIR:
                        directory_row(path, mtime)
                    elif kind is Kind.FILE:
                        if cut:
                            if path.startswith(prefix_slash):
                                path = path[cut:]
                            elif path == prefix:
                                path = ""
                            else:
                                continue
                        parent, _, name = path.rpartition("/")
                        target = files_of(parent)
                        if target is not None and not name.startswith(ignored):
                            target.append((name, size, mtime))
                    # symbolic links are not content
                if out:
                    yield from out
                    out.clear()
            if out:
                yield from out
                out.clear()
            if ended:
                break
            number += len(lines)
        if not ended:
            raise SourceError(f"{list_path}: truncated (no [End] line)")
        grouper.finish()
        yield from out
        out.clear()
    finally:
        if root_fd is not None:
            os.close(root_fd)


@attrs.frozen
class FullFileTimeListSource:
    name: str = "fullfiletimelist"

    @contextlib.asynccontextmanager
    async def open(self, request: SourceRequest) -> AsyncIterator[LocalSession]:
        root = _local_root(request)
        if request.master.fullfiletimelist:
            list_path = request.master.fullfiletimelist
            list_dir = os.path.dirname(os.path.abspath(list_path))
        else:
            found = await trio.to_thread.run_sync(find_fullfiletimelist, root)
            if found is None:
                raise SourceError(f"no fullfiletimelist-* in {root} or its parents")
            list_path, list_dir = found
        prefix = os.path.relpath(os.path.abspath(root), list_dir)
        if prefix == ".":
            prefix = ""
        elif prefix.startswith(".."):
            raise SourceError(f"{list_path} does not cover {root}")
        log.info("reading fullfiletimelist %s", kv(file=list_path, prefix=prefix or "."))
        yield LocalSession(root, request, _fft_directories(list_path, prefix, request, root))
