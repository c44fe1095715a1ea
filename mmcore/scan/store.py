"""What the scanner needs from storage: :class:`ScanStore`.

Two operations per category:

1. :meth:`ScanStore.scan_open_category` creates what is missing (product, category, its top
   directory) in its own short transaction and returns a :class:`CategorySnapshot` -- what the
   engine compares the tree against (per directory only ``ctime`` and ``readable``: a few tens of
   bytes each, never file lists);
2. :meth:`ScanStore.scan_apply` applies the engine's decisions, a stream of :class:`ScanBatch`,
   in **one transaction**: if the stream raises (the source failed, the scan was cancelled) or the
   database fails, nothing of the category's scan is kept.  An unchanged tree produces empty
   batches, which cost no statement at all.

Directories are named by their path relative to the category's top directory (``""`` is the top
directory itself); the store prefixes the top directory's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple, Protocol, runtime_checkable

import attrs

#: one entry of a directory's short file list: ``(name, size, mtime)`` -- any tuple in that
#: order, such as the sources' :class:`mmcore.scan.source.ScannedFile` (``directory.files``
#: stores it as MirrorManager2's ``{"name", "size", "timestamp"}``)
ListedFile = tuple[str, int, int]


class KnownDirectory(NamedTuple):
    """A stored directory of the category (a tuple: the snapshot holds ~100k of them)."""

    id: int
    ctime: int
    readable: bool


@attrs.frozen
class CategoryTarget:
    """The category a ``[[umdl.master]]`` entry scans."""

    category: str
    product: str
    topdir: str


@attrs.frozen
class CategorySnapshot:
    """The stored picture of one category, as the engine needs it."""

    category_id: int
    category: str
    product_id: int
    topdir: str
    #: the category, product or top directory did not exist and was created
    created: tuple[str, ...]
    #: by path relative to ``topdir``
    directories: Mapping[str, KnownDirectory]
    #: relative paths of the category's directories that already have a repository
    repository_directories: frozenset[str]
    #: ``(prefix, arch name)`` of every repository (unique in the database)
    repository_keys: frozenset[tuple[str, str]]
    #: arch names, in id order
    arches: tuple[str, ...]
    #: the product's version names, newest (highest id) first
    versions: tuple[str, ...]
    #: relative paths of the category's directories that another category holds too (their
    #: ctime may have been stored by that category's scan, with its own excludes)
    shared_directories: frozenset[str] = frozenset()


@attrs.frozen
class DirectoryWrite:
    """Insert (unknown path) or update (known path) one directory row."""

    path: str
    ctime: int
    #: ``None``: keep (new rows: true)
    readable: bool | None
    #: the short file list, sorted by name; ``None``: keep
    files: tuple[ListedFile, ...] | None


@attrs.frozen
class FileDetailWrite:
    """A file_detail row; inserted unless an identical row exists for that directory."""

    path: str
    filename: str
    timestamp: int
    size: int
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    sha512: str | None = None


@attrs.frozen
class RepositoryWrite:
    """A new repository for the directory at ``path``; its version is created if missing."""

    path: str
    prefix: str | None
    arch: str
    version: str
    version_is_test: bool = False


@attrs.frozen
class ScanBatch:
    directories: tuple[DirectoryWrite, ...] = ()
    file_details: tuple[FileDetailWrite, ...] = ()
    repositories: tuple[RepositoryWrite, ...] = ()
    #: relative paths of directories gone from the master: deleted with their file details,
    #: host_category_dir rows and repositories, unless they belong to another category too (then
    #: left alone).  The top directory is never deleted.
    delete_directories: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(
            self.directories or self.file_details or self.repositories or self.delete_directories
        )


@attrs.frozen
class ScanWriteResult:
    directories_added: int = 0
    directories_updated: int = 0
    directories_deleted: int = 0
    repositories_added: int = 0
    versions_added: int = 0
    file_details_added: int = 0
    file_details_aged: int = 0

    @property
    def wrote(self) -> bool:
        return any(attrs.astuple(self))


@runtime_checkable
class ScanStore(Protocol):
    """Storage operations of the master-tree scanner."""

    def scan_open_category(self, target: CategoryTarget) -> CategorySnapshot:
        """Create the product, the category and its top directory when missing (committed at
        once), and read the category's snapshot.

        :raises mmcore.store.StoreError: the category exists with another product or another top
            directory (the message says which), or the database failed.
        """

    def scan_apply(
        self,
        snapshot: CategorySnapshot,
        batches: Iterable[ScanBatch],
        *,
        max_stale_days: int,
        now: int,
    ) -> ScanWriteResult:
        """Apply every batch, then age the category's file details (MirrorManager2's rule with
        ``max_stale_days``, relative to ``now`` in epoch seconds), in one transaction.

        ``batches`` is consumed lazily (it may block while the scan produces the next batch); if
        iterating it raises, the transaction is rolled back and the exception propagates.
        """
