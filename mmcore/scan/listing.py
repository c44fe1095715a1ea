"""From a flat listing (a fullfiletimelist, an rsync listing) to complete directories.

Listings name every entry by its full path.  :func:`group_listing` streams them into
:class:`~mmcore.scan.source.ScannedDirectory` records while holding only the directories on the
current path (a stack), so memory does not grow with the tree.  That works when each directory's
subtree is contiguous in the listing -- true of plain sorted listings and of rsync's order.  A
listing that breaks it raises :class:`ListingOrderError` (the sources then fail the category:
nothing is written).
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable, Iterable, Iterator
from itertools import repeat
from typing import NamedTuple

from mmcore.scan.source import ScannedDirectory, ScannedFile


class Kind(enum.Enum):
    DIR = "d"
    FILE = "f"
    LINK = "l"
    OTHER = "o"


class FlatEntry(NamedTuple):
    """One listing line: ``path`` relative to the scanned root (``""`` for the root)."""

    kind: Kind
    path: str
    size: int
    mtime: int
    #: ``None`` when the listing does not say
    readable: bool | None = None


class ListingOrderError(Exception):
    """A directory's entries came back after the listing had left its subtree."""


def _and(parent: bool | None, own: bool | None) -> bool | None:
    if own is None:
        return parent if parent is False else None
    return own and parent is not False


_BY_NAME = operator.itemgetter(0)
_new_tuple = tuple.__new__


class ListingGrouper:
    """The state of :func:`group_listing`, for sources that drive it row by row.

    Completed directories are appended to :attr:`out` (the caller drains it).  The per-file path
    is :meth:`files_of`: it returns the list to append ``(name, size, mtime)`` tuples to, valid
    until the next call of any method -- a source reading many files of one directory calls it
    once per run of that directory's files.  Directory rows go through :meth:`skip_dir` (the
    exclusion check) and then :meth:`directory`.
    """

    __slots__ = ("out", "_excluded", "_meta", "_closed", "_excluded_dirs", "_paths", "_ready",
                 "_files", "_subdirs")

    def __init__(self, excluded: Callable[[str], bool] = lambda path: False) -> None:
        self.out: list[ScannedDirectory] = []
        self._excluded = excluded
        #: announced, not yet opened directories: path -> (ctime, readable)
        self._meta: dict[str, tuple[int, bool | None]] = {}
        self._closed: set[str] = set()
        self._excluded_dirs: set[str] = set()
        # the open directories (the current path), as parallel stacks: path, (ctime, readable),
        # files, subdirectory names
        self._paths: list[str] = []
        self._ready: list[tuple[int, bool | None]] = []
        self._files: list[list[tuple[str, int, int]]] = []
        self._subdirs: list[list[str]] = []

    # -- rows ------------------------------------------------------------------------------

    def files_of(self, parent: str) -> list[tuple[str, int, int]] | None:
        """The file list of directory ``parent`` (opened if need be), ``None`` if excluded."""
        paths = self._paths
        if not paths or paths[-1] != parent:
            if parent in self._excluded_dirs:
                return None
            self._open_path(parent)
        return self._files[-1]

    def skip_dir(self, path: str) -> bool:
        """Whether the directory row ``path`` (not the root) is excluded (then it is dropped with
        its subtree).  The regular expressions run once per directory."""
        if path.rpartition("/")[0] in self._excluded_dirs or self._excluded(path):
            self._excluded_dirs.add(path)
            return True
        return False

    def root(self, ctime: int, readable: bool | None) -> None:
        """The row of the root directory (path ``""``)."""
        if not self._paths and "" not in self._closed:
            self._meta[""] = (ctime, readable)

    def directory(self, path: str, ctime: int, readable: bool | None) -> None:
        """The row of directory ``path`` (not the root; :meth:`skip_dir` said no)."""
        parent, _, name = path.rpartition("/")
        paths = self._paths
        if not paths or paths[-1] != parent:
            self._open_path(parent)
        if path in self._closed:
            raise ListingOrderError(f"directory {path!r} listed after its contents")
        self._meta[path] = (ctime, readable)
        self._subdirs[-1].append(name)

    def finish(self) -> None:
        """The listing ended: close every open directory."""
        if not self._paths and "" not in self._closed:
            self._open_path("")
        while self._paths:
            self._close_top()

    # -- the stack -------------------------------------------------------------------------

    def _close_top(self) -> None:
        path = self._paths.pop()
        ctime, readable = self._ready.pop()
        files = self._files.pop()
        subdirs = self._subdirs.pop()
        out = self.out
        closed = self._closed
        meta = self._meta
        closed.add(path)
        ordered = sorted(subdirs)
        # announced subdirectories that never had an entry are empty
        for name in ordered:
            child = f"{path}/{name}" if path else name
            if child in meta:
                child_ctime, child_readable = meta.pop(child)
                closed.add(child)
                out.append(ScannedDirectory(
                    child, child_ctime, _and(readable, child_readable), (), (), ()))
        if files:
            files.sort(key=_BY_NAME)
            scanned = tuple(map(_new_tuple, repeat(ScannedFile, len(files)), files))
            names = tuple(map(_BY_NAME, files))
        else:
            scanned = names = ()
        out.append(ScannedDirectory(path, ctime, readable, scanned, names, tuple(ordered)))

    def _open_path(self, path: str) -> None:
        paths = self._paths
        # close what is not on the way to ``path``
        while paths:
            top = paths[-1]
            if top == "" or path == top or path.startswith(top + "/"):
                break
            self._close_top()
        if paths and paths[-1] == path:
            return
        # open the missing levels between the top of the stack and ``path``
        base = paths[-1] if paths else None
        chain: list[str] = []
        cursor = path
        while cursor != base:
            chain.append(cursor)
            if cursor == "":
                break
            cursor = cursor.rpartition("/")[0]
        meta = self._meta
        for level in reversed(chain):
            if level in self._closed:
                raise ListingOrderError(f"entries of {level or '.'!r} appear after its subtree")
            ctime, readable = meta.pop(level, (0, None))
            parent_readable = self._ready[-1][1] if paths else True
            if paths and level:
                name = level.rpartition("/")[2]
                siblings = self._subdirs[-1]
                if name not in siblings:
                    siblings.append(name)
            paths.append(level)
            self._ready.append((ctime, _and(parent_readable, readable)))
            self._files.append([])
            self._subdirs.append([])


def group_listing(
    entries: Iterable[FlatEntry],
    *,
    excluded: Callable[[str], bool] = lambda path: False,
    ctime_of: Callable[[int], int] = lambda listed_time: listed_time,
) -> Iterator[ScannedDirectory]:
    """Yield each directory of the listing once it is complete (deepest first along a path).

    :param excluded: directories for which this is true are dropped with their subtree.
    :param entries: :class:`FlatEntry` tuples (plain tuples in that field order are fine and
        faster).
    :param ctime_of: the change token of a directory from its listed time (default: as is).
    :raises ListingOrderError: see the module documentation.
    """
    grouper = ListingGrouper(excluded)
    out = grouper.out
    DIR, FILE = Kind.DIR, Kind.FILE
    last_parent: str | None = None
    target: list[tuple[str, int, int]] | None = None
    for kind, path, size, mtime, readable in entries:
        if kind is FILE:
            parent, _, name = path.rpartition("/")
            if parent != last_parent:
                target = grouper.files_of(parent)
                last_parent = parent
                if out:
                    yield from out
                    out.clear()
            if target is not None:
                target.append((name, size, mtime))
            continue
        last_parent = None
        if kind is DIR:
            if path == "":
                grouper.root(ctime_of(mtime), readable)
            elif not grouper.skip_dir(path):
                grouper.directory(path, ctime_of(mtime), readable)
        # symbolic links and special files are not content
        if out:
            yield from out
            out.clear()
    grouper.finish()
    yield from out
    out.clear()
