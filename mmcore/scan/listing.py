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
from typing import NamedTuple
from collections.abc import Callable, Iterable, Iterator

import attrs

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


@attrs.define
class _Open:
    path: str
    ctime: int
    readable: bool | None
    files: list[ScannedFile] = attrs.field(factory=list)
    subdirs: list[str] = attrs.field(factory=list)


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def _inside(path: str, directory: str) -> bool:
    return directory == "" or path == directory or path.startswith(directory + "/")


def _and(parent: bool | None, own: bool | None) -> bool | None:
    if own is None:
        return parent if parent is False else None
    return own and parent is not False


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
    meta: dict[str, tuple[int, bool | None]] = {}  # announced, not yet opened directories
    closed: set[str] = set()
    stack: list[_Open] = []

    def emit(node: _Open) -> Iterator[ScannedDirectory]:
        closed.add(node.path)
        # announced subdirectories that never had an entry are empty
        for name in sorted(node.subdirs):
            child = f"{node.path}/{name}" if node.path else name
            if child in meta:
                ctime, readable = meta.pop(child)
                closed.add(child)
                yield ScannedDirectory(
                    child, ctime, _and(node.readable, readable), (), (), ()
                )
        files = tuple(sorted(node.files, key=lambda f: f.name))
        yield ScannedDirectory(
            node.path, node.ctime, node.readable, files, tuple(f.name for f in files),
            tuple(sorted(node.subdirs)),
        )

    def open_path(path: str) -> Iterator[ScannedDirectory]:
        # close what is not on the way to ``path``
        while stack and not _inside(path, stack[-1].path):
            yield from emit(stack.pop())
        if stack and stack[-1].path == path:
            return
        # open the missing levels between the top of the stack and ``path``
        base = stack[-1].path if stack else None
        chain: list[str] = []
        cursor = path
        while cursor != base:
            chain.append(cursor)
            if cursor == "":
                break
            cursor = _parent(cursor)
        for level in reversed(chain):
            if level in closed:
                raise ListingOrderError(f"entries of {level or '.'!r} appear after its subtree")
            ctime, readable = meta.pop(level, (0, None))
            parent_readable = stack[-1].readable if stack else True
            node = _Open(level, ctime, _and(parent_readable, readable))
            if stack and level and level.rpartition("/")[2] not in stack[-1].subdirs:
                stack[-1].subdirs.append(level.rpartition("/")[2])
            stack.append(node)

    excluded_dirs: set[str] = set()
    DIR, FILE = Kind.DIR, Kind.FILE

    for kind, path, size, mtime, readable in entries:
        if kind is FILE:
            parent, _, name = path.rpartition("/")
            if not stack or stack[-1].path != parent:
                if parent in excluded_dirs:
                    continue
                yield from open_path(parent)
            stack[-1].files.append(ScannedFile(name, size, mtime))
        elif kind is DIR:
            if path == "":
                if not stack and "" not in closed:
                    meta[""] = (ctime_of(mtime), readable)
                continue
            parent, _, name = path.rpartition("/")
            # the regular expressions run once per directory, when its entry is seen
            if parent in excluded_dirs or excluded(path):
                excluded_dirs.add(path)
                continue
            if not stack or stack[-1].path != parent:
                yield from open_path(parent)
            if path in closed:
                raise ListingOrderError(f"directory {path!r} listed after its contents")
            meta[path] = (ctime_of(mtime), readable)
            stack[-1].subdirs.append(name)
        # symbolic links and special files are not content
    if not stack and "" not in closed:
        yield from open_path("")
    while stack:
        yield from emit(stack.pop())
