"""The built-in sources: ``directory`` (a disk walk) and ``fullfiletimelist`` (Fedora's list file).

``directory`` walks the tree with :func:`os.scandir`, one ``stat`` per directory; files are
``stat``-ed only in directories whose ctime differs from the stored one.  Symbolic links are not
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
import os
import stat
from collections.abc import AsyncIterator, Iterator, Sequence

import attrs
import trio

from mmcore.logs import kv
from mmcore.scan.listing import FlatEntry, Kind, ListingOrderError, group_listing
from mmcore.scan.source import (
    ScannedDirectory,
    ScannedFile,
    SourceError,
    SourceRequest,
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
        try:
            with os.scandir(full) as iterator:
                entries = sorted(iterator, key=lambda e: e.name)
        except OSError as exc:
            log.warning("cannot list directory, skipped %s", kv(path=full, error=exc.strerror))
            yield ScannedDirectory(rel, ctime, False, None, (), (), listed=False)
            continue
        unchanged = request.unchanged(rel, ctime)
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
            rel, ctime, readable, None if unchanged else tuple(files), tuple(names),
            tuple(child.rpartition("/")[2] for child, _, _ in subdirs),
        )
        pending.extend(reversed(subdirs))


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


def read_fullfiletimelist(
    list_path: str, prefix: str, request: SourceRequest, root: str
) -> Iterator[tuple]:
    """The entries under ``prefix`` (relative to the list's directory), relative to ``prefix``.

    :raises SourceError: unreadable, malformed or truncated list.
    """
    prefix_slash = prefix + "/" if prefix else ""
    cut = len(prefix_slash)
    in_files = False
    ended = False
    try:
        handle = open(list_path, encoding="utf-8", errors="surrogateescape", newline="\n")
    except OSError as exc:
        raise SourceError(f"cannot read {list_path}: {exc.strerror}") from None
    FILE, DIR = Kind.FILE, Kind.DIR
    ignored = request.ignore_files
    unchanged = request.unchanged
    with handle:
        for number, line in enumerate(handle, 1):
            if line[0] == "[":
                section = line.strip()
                in_files = section == "[Files]"
                if section == "[End]":
                    ended = True
                    break
                continue
            if not in_files or line == "\n":
                continue
            fields = line[:-1].split("\t", 3)
            if len(fields) != 4 or line[-1] != "\n":
                raise SourceError(f"{list_path}:{number}: malformed [Files] row {line[:120]!r}")
            when, kind_text, size_text, path = fields
            kind = _TYPES.get(kind_text[:1])
            try:
                mtime = int(when)
                size = int(size_text)
            except ValueError:
                kind = None
            if kind is None:
                raise SourceError(f"{list_path}:{number}: malformed [Files] row {line[:120]!r}")
            if cut:
                if path.startswith(prefix_slash):
                    path = path[cut:]
                elif path == prefix:
                    path = ""
                else:
                    continue
            if kind is FILE:
                if path.rpartition("/")[2].startswith(ignored):
                    continue
                yield (FILE, path, size, mtime, None)
            elif kind is DIR:
                readable = None
                if not unchanged(path, mtime):
                    try:
                        readable = world_readable_dir(os.stat(os.path.join(root, path)).st_mode)
                    except OSError:
                        readable = None
                yield (DIR, path, size, mtime, readable)
    if not ended:
        raise SourceError(f"{list_path}: truncated (no [End] line)")


def _fft_directories(
    list_path: str, prefix: str, request: SourceRequest, root: str
) -> Iterator[ScannedDirectory]:
    try:
        yield from group_listing(
            read_fullfiletimelist(list_path, prefix, request, root), excluded=request.excluded
        )
    except ListingOrderError as exc:
        raise SourceError(f"{list_path}: not in tree order ({exc})") from None


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
