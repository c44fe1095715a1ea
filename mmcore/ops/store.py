"""What the operations commands need from storage: :class:`OpsStore` and its plain values.

Implemented by the storage backend (``plugins/pg_store``: ``OpsOpsMixin``).  Every method that
changes data runs in **one transaction** and takes ``dry_run``: a dry run computes exactly the
same change, reports it, and rolls back.  Refusals (an unknown product, a missing target
directory, ...) raise :class:`OpsRefused` before anything is kept.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import attrs

from mmcore.scan.metadata import Digests



class OpsRefused(Exception):
    """The operation cannot be done as asked (unknown name, missing directory, ...); nothing
    was written.  The message names what is wrong (the commands exit 1 with it)."""


# --------------------------------------------------------------------------------------------
# release moves
# --------------------------------------------------------------------------------------------


@attrs.frozen
class RepositoryMove:
    """One repository repointed (or, in a dry run, that would be)."""

    repository_id: int
    #: the repository's ``name`` before the move (its directory name, by convention)
    name: str
    prefix: str | None
    arch: str | None
    old_directory: str
    new_directory: str
    old_category: str | None = None
    new_category: str | None = None


@attrs.frozen
class MoveReport:
    moved: tuple[RepositoryMove, ...] = ()
    #: ``(repository name, why it was left alone)``
    skipped: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class ArchiveSelection:
    """Which repositories ``move-to-archive`` moves: by prefix, or by product and version."""

    prefix: str | None = None
    product: str | None = None
    version: str | None = None


# --------------------------------------------------------------------------------------------
# emergency expiry, products, file details
# --------------------------------------------------------------------------------------------


@attrs.frozen
class ExpireReport:
    #: repositories of the product version whose trees were expired
    repositories: tuple[str, ...] = ()
    #: directories (under those repositories) that had file details
    directories: int = 0
    file_details_deleted: int = 0
    file_details_kept: int = 0
    #: host_category_dir rows set not up to date: their host was last crawled before the
    #: newest repomd.xml, so it cannot have been checked against it
    mirrors_marked_stale: int = 0


@attrs.frozen
class NewProduct:
    """What ``add-product`` creates (MirrorManager2's ``mm2_add-product``)."""

    name: str
    versions: tuple[str, ...]
    #: default ``"<distribution name> <product name>"`` (chosen by the command)
    category: str
    #: the category's top directory (``directory.name``)
    topdir: str
    canonicalhost: str
    #: an existing host (by name) that gets an always-up-to-date host category with this URL
    master_host: str | None = None
    master_url: str | None = None


@attrs.frozen
class AddProductReport:
    #: ``("product", "Fedora")``, ``("version", "40")``, ... in creation order
    created: tuple[tuple[str, str], ...] = ()
    #: what existed already and was left as it was
    existing: tuple[tuple[str, str], ...] = ()


# --------------------------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------------------------

#: the three ``access_stat_category`` names MirrorManager2 uses
ACCESS_STAT_CATEGORIES: tuple[str, ...] = ("countries", "archs", "repositories")


@attrs.frozen
class AccessLogImport:
    """The per-day counts read from one access log (see ``stats import``)."""

    #: identifies the log's content (sha256 of the decompressed bytes): importing the same
    #: content again replaces its counts instead of adding them
    digest: str
    #: the file name, for reports
    source: str
    lines: int
    garbage: int
    #: ``{day: {category: {name: requests}}}`` with categories from ACCESS_STAT_CATEGORIES
    counts: Mapping[datetime.date, Mapping[str, Mapping[str, int]]]


@attrs.frozen
class AccessImportOutcome:
    #: sources of the logs whose content had been imported before (their old counts replaced)
    replaced: tuple[str, ...]
    #: the days whose access_stat rows were rebuilt
    days: tuple[datetime.date, ...]
    rows_written: int


@attrs.frozen
class ExpireStatsReport:
    access_stats_deleted: int = 0
    propagation_stats_deleted: int = 0


# --------------------------------------------------------------------------------------------
# world map
# --------------------------------------------------------------------------------------------


@attrs.frozen
class MapHost:
    """A public, active host with its public http(s) URLs (for the world map)."""

    host_id: int
    name: str
    country: str
    urls: tuple[str, ...]
    latitude: float | None = None
    longitude: float | None = None


@runtime_checkable
class OpsStore(Protocol):
    """Storage operations of the operations commands (see the module docs)."""

    def move_devel_to_release(self, category: str, version: str, *, skip_missing: bool,
                              dry_run: bool) -> MoveReport:
        """Repoint every repository of ``category`` whose directory contains
        ``development/<version>`` to the same path with ``releases/<version>`` (name, directory
        and version updated).  Repositories whose target already has a repository are skipped.

        :raises OpsRefused: unknown category or version; a target directory is missing (unless
            ``skip_missing``, which skips those repositories instead).
        """

    def move_to_archive(self, selection: ArchiveSelection, archive_category: str, *,
                        skip_missing: bool, dry_run: bool,
                        skip_categories: Sequence[str] = ()) -> MoveReport:
        """Move the selected repositories into ``archive_category``: directory
        ``<archive topdir>/<old name without its first component>``, category the archive.
        Repositories already archived, or in one of ``skip_categories``, are skipped.

        :raises OpsRefused: unknown archive category, product, version or prefix; nothing
            selected; a target directory is missing (unless ``skip_missing``).
        """

    def expire_repository_details(self, product: str, version: str, *,
                                  dry_run: bool) -> ExpireReport:
        """Emergency expiry: in every directory under the product version's repositories keep
        only the newest file detail per file name, and set not up to date the rows of those
        repository directories (and their ``repodata``) on hosts last crawled before the newest
        ``repomd.xml`` (always-up-to-date host categories are left alone).

        :raises OpsRefused: unknown product or version, or the version has no repository.
        """

    def add_product(self, product: NewProduct, *, dry_run: bool) -> AddProductReport:
        """Create the product, its versions, its category with top directory, and (when
        ``master_host`` is given) an always-up-to-date host category with ``master_url``.

        :raises OpsRefused: ``master_host`` names no host, or the category exists with another
            product.
        """

    def record_file_detail(self, directory: str, filename: str, timestamp: int,
                           sums: Digests, *, dry_run: bool) -> bool:
        """Insert a file detail (``sums``: size and digests) for ``directory`` unless an
        identical row exists; ``True`` when inserted.

        :raises OpsRefused: the directory is not in the database (scan it first).
        """

    def expire_statistics(self, access_before: datetime.date,
                          propagation_before: datetime.datetime, *,
                          dry_run: bool) -> ExpireStatsReport:
        """Delete access statistics of days before ``access_before`` (with their import
        ledger) and propagation statistics older than ``propagation_before``."""

    def import_access_logs(self, logs: Sequence[AccessLogImport], *,
                           dry_run: bool) -> AccessImportOutcome:
        """Record each log's counts (replacing those of an earlier import of the same content)
        and rebuild ``access_stat`` (requests and percent of the day) for their days from every
        log imported for them, in one transaction."""

    def embargoed_countries(self) -> frozenset[str]:
        """``embargoed_country`` codes, upper case."""

    def map_hosts(self) -> list[MapHost]:
        """Public, active hosts on public, active sites with a public http(s) URL, by id."""

    def set_host_coordinates(self, coordinates: Mapping[int, tuple[float, float] | None], *,
                             dry_run: bool) -> int:
        """Set (or clear, for ``None``) ``latitude``/``longitude``; return the rows changed."""

    def directories_changed_since(self, categories: Sequence[str], since: int) -> list[str]:
        """Names of the directories of these categories whose ``ctime`` is after ``since``
        (epoch seconds), sorted.

        :raises OpsRefused: a category name is unknown.
        """
