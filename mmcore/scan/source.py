"""Scanner sources: where the master tree is read from.

A source turns one ``[[umdl.master]]`` entry into a stream of :class:`ScannedDirectory` records,
one per directory, each complete (all its files) before it is handed over, so the engine never
holds the tree: memory is bounded by the largest directory plus one batch.

Contract of :meth:`ScanSession.batches`:

* every directory under the master's root, the root itself included (path ``""``), is yielded
  exactly once, unless excluded (then its whole subtree is skipped);
* the ``directory`` source yields in sorted pre-order (a directory before its subdirectories,
  siblings by name); listing sources yield in the order their listing allows (each directory once
  it is complete).  The engine does not depend on the order;
* a directory the engine already knows with the same ``ctime`` may come with ``files=None``:
  the source skipped the per-file work (stats) because nothing changed.  A source that lists
  directories one by one (``directory``) may go further and not list it at all when the engine
  offers its stored subdirectories (:attr:`SourceRequest.known_subdirs`): a directory's ctime
  changes whenever an entry is added, removed or renamed in it, so an unchanged one holds the
  same names as when it was last scanned.  It then comes with ``file_names=None``.

Sources implement the :class:`ScannerSource` protocol and are contributed through the
``mm_scanner_sources`` hook.  Errors a source cannot get past (the listing is missing, rsync failed
or timed out, a fullfiletimelist is truncated) are raised as :class:`SourceError`; the engine
fails that category with the message and goes on with the others.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, NamedTuple, Protocol, TypeVar, runtime_checkable

import attrs
import trio

if TYPE_CHECKING:
    from mmcore.scan.config import MasterDirectory

T = TypeVar("T")


#: the change token of a directory that was listed within the second of its ctime: a change
#: made right after the listing could leave its ctime (whole seconds) as it was, so this token
#: never counts as unchanged, and the directory is read again by the next scan
UNSETTLED_CTIME = -1


class SourceError(Exception):
    """A source cannot produce the tree; the message names the master and what went wrong."""


class ScannedFile(NamedTuple):
    """A regular file: its name in its directory, size in bytes, modification time."""

    name: str
    size: int
    mtime: int


@attrs.frozen
class ScannedDirectory:
    """One directory of the master tree as a source saw it."""

    #: path relative to the master's root, ``""`` for the root; no leading or trailing slash
    path: str
    #: the change token: the directory's ctime on disk (seconds), or what the listing says.
    #: The engine compares it with the stored ``directory.ctime`` to skip unchanged directories;
    #: :data:`UNSETTLED_CTIME` never matches
    ctime: int
    #: world-readable (and enterable) with every parent readable; ``None``: the source cannot tell
    readable: bool | None
    #: the regular files (symbolic links are not files), sorted by name; ``None`` when the source
    #: skipped them because the directory is unchanged
    files: tuple[ScannedFile, ...] | None
    #: names of the regular files, also when ``files`` is ``None`` (they cost no stat);
    #: ``None`` when the source did not list the directory because it is unchanged
    file_names: tuple[str, ...] | None
    #: names of the subdirectories (repository detection looks for ``repodata``, ``objects``);
    #: for an unchanged directory that was not listed, the stored ones that still exist
    subdirs: tuple[str, ...]
    #: ``False`` when the directory could not be listed: its stored files and its subtree are
    #: left as they are
    listed: bool = True


_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=|\\g<")
_LEADING_ANY = re.compile(r"\.\*(?![?+*{])")


def combined_searches(patterns: Sequence[re.Pattern[str]]) -> tuple[Callable[[str], object], ...]:
    """``search`` methods that together find what ``any(p.search(s) for p in patterns)`` finds:
    the patterns joined into one alternation where that keeps their meaning (same flags, no
    back-references, whose group numbers the alternation would shift), the others alone."""
    joinable: dict[int, list[str]] = {}
    alone: list[re.Pattern[str]] = []
    for pattern in patterns:
        source = pattern.pattern
        if isinstance(source, str) and not _BACKREFERENCE.search(source):
            # a leading ``.*`` can always match the empty string: searching ``.*X`` finds
            # something exactly when searching ``X`` does, without retrying ``.*`` from every
            # position (quadratic in the path's length)
            if _LEADING_ANY.match(source):
                source = source[2:]
            joinable.setdefault(pattern.flags, []).append(source)
        else:
            alone.append(pattern)
    searches: list[Callable[[str], object]] = []
    for flags, sources in joinable.items():
        if len(sources) == 1:
            searches.append(re.compile(sources[0], flags).search)
            continue
        try:
            joined = re.compile("|".join(f"(?:{source})" for source in sources), flags)
        except re.error:  # e.g. a name used by two groups, inline global flags
            searches.extend(re.compile(source, flags).search for source in sources)
        else:
            searches.append(joined.search)
    searches.extend(pattern.search for pattern in alone)
    return tuple(searches)


@attrs.frozen
class SourceRequest:
    """What a source needs to scan one master directory."""

    master: MasterDirectory
    #: the master's root on disk (``path`` with ``[umdl] prefix`` applied), ``None`` for remote
    #: sources
    local_root: str | None
    #: directories matching any of these (searched in the path relative to the root, with a
    #: leading ``/``) are skipped with their subtree
    excludes: tuple[re.Pattern[str], ...]
    #: the stored change token of a directory (by relative path), ``None`` if unknown; a source
    #: may skip per-file work when it equals the one it sees
    known_ctime: Callable[[str], int | None]
    #: the stored subdirectory names of an unchanged directory (by relative path, sorted), or
    #: ``None`` where the engine wants the directory listed anyway; a source may then stat
    #: those instead of listing the directory (see the module's contract)
    known_subdirs: Callable[[str], Sequence[str] | None] = lambda path: None
    #: ignore ``known_ctime`` and read everything
    force: bool = False
    #: directories per batch
    batch_size: int = 500
    #: file names starting with these are not content (the tree's own listing files)
    ignore_files: tuple[str, ...] = ("fullfiletimelist-", "imagelist-")

    def ignored_file(self, name: str) -> bool:
        return name.startswith(self.ignore_files)

    #: ``excludes`` as one alternation (searched once per directory) plus the patterns that
    #: cannot join it (numbered back-references, other flags); derived, not an argument
    _exclude_search: tuple[Callable[[str], object], ...] = attrs.field(
        init=False, eq=False, repr=False)

    @_exclude_search.default
    def _combine_excludes(self) -> tuple[Callable[[str], object], ...]:
        return combined_searches(self.excludes)

    def excluded(self, path: str) -> bool:
        searches = self._exclude_search
        if not searches:
            return False
        probe = "/" + path
        for search in searches:
            if search(probe):
                return True
        return False

    def unchanged(self, path: str, ctime: int) -> bool:
        return not self.force and self.known_ctime(path) == ctime


@runtime_checkable
class ScanSession(Protocol):
    """One open scan of one master directory; owned by the ``async with`` that opened it."""

    def batches(self) -> AsyncIterator[list[ScannedDirectory]]:
        """Stream the tree, a list of complete directories at a time."""

    async def read_files(self, paths: Sequence[str], max_bytes: int) -> dict[str, bytes]:
        """The contents of small metadata files (``repomd.xml``, checksum files), by path relative
        to the root.  Files that cannot be read (or are larger than ``max_bytes``) are left out
        and logged; a source that cannot read file contents returns ``{}``."""


@runtime_checkable
class ScannerSource(Protocol):
    """A way of reading a master tree, named in ``[[umdl.master]] source``."""

    #: ``directory``, ``fullfiletimelist``, ``rsync``, ``file``, ...
    name: str

    def open(self, request: SourceRequest) -> AbstractAsyncContextManager[ScanSession]:
        """Prepare a scan (run a listing command, open a file) and yield its session; leaving the
        context releases everything (temporary files, processes).  Raise :class:`SourceError`
        when the tree cannot be read at all."""


# --------------------------------------------------------------------------------------------
# helpers for sources written as synchronous generators
# --------------------------------------------------------------------------------------------


def _take(iterator: Iterator[T], count: int) -> list[T]:
    batch: list[T] = []
    for item in iterator:
        batch.append(item)
        if len(batch) >= count:
            break
    return batch


async def batches_in_thread(iterator: Iterator[T], batch_size: int) -> AsyncIterator[list[T]]:
    """Advance a blocking iterator in worker threads, ``batch_size`` items at a time, so the trio
    thread never blocks on the disk.  The iterator is closed when the consumer stops early."""
    try:
        while True:
            batch = await trio.to_thread.run_sync(_take, iterator, batch_size)
            if not batch:
                return
            yield batch
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def read_local_files(root: str, paths: Sequence[str], max_bytes: int) -> dict[str, bytes]:
    """Read small files under ``root`` (blocking; run it in a thread)."""
    import logging
    import os

    from mmcore.logs import kv

    log = logging.getLogger("mmcore.scan")
    contents: dict[str, bytes] = {}
    for path in paths:
        full = os.path.join(root, path)
        try:
            with open(full, "rb") as handle:
                data = handle.read(max_bytes + 1)
        except OSError as exc:
            log.warning("cannot read metadata file %s", kv(path=full, error=exc.strerror))
            continue
        if len(data) > max_bytes:
            log.warning("metadata file too large, skipped %s", kv(path=full, limit=max_bytes))
            continue
        contents[path] = data
    return contents
