"""Cache writing: the contract between ``mirrormanager cache write`` and output-format plugins.

A :class:`CacheWriter` (contributed through the ``mm_cache_writers`` hook) turns the database into
one file that a list server loads -- the ``protobuf`` writer of ``plugins/mirrorlist`` produces the
``mirrormanager.MirrorList`` file of Fedora's mirrorlist-server.

Writers read the database only through :class:`CacheSource`: a handful of streaming reads taken
inside one read-only snapshot (:meth:`CacheSource.cache_snapshot`), each with an explicit, total
ordering so that the same content gives the same rows in the same order on SQLite and PostgreSQL.
The large tables come as iterators of plain tuples, never as lists, so a writer can stream
them; ``host_category_dir`` (millions of rows) comes aggregated, one row per directory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs

if TYPE_CHECKING:
    from mmcore.config import Config

__all__ = [
    "CacheDirectoryHosts",
    "CacheFileDetail",
    "CacheHost",
    "CacheHostCategory",
    "CacheRepository",
    "CacheSnapshot",
    "CacheSource",
    "CacheWriteError",
    "CacheWriteResult",
    "CacheWriter",
]


class CacheWriteError(Exception):
    """Writing a cache failed; the message says what, and the previous file is untouched."""


# --------------------------------------------------------------------------------------------
# rows the writer reads
# --------------------------------------------------------------------------------------------


@attrs.frozen
class CacheHost:
    """One ``host`` row joined with the flags of its ``site``.

    ``country`` is as stored (the writer upper-cases it).  ``bandwidth_int`` and
    ``max_connections`` may be ``None`` on databases that allow it.
    """

    id: int
    name: str
    user_active: bool
    admin_active: bool
    site_user_active: bool
    site_admin_active: bool
    private: bool
    site_private: bool
    bandwidth_int: int | None
    country: str | None
    asn: int | None
    asn_clients: bool
    max_connections: int | None
    internet2: bool
    internet2_clients: bool

    @property
    def active(self) -> bool:
        """Served at all: the host and its site are enabled by both the admins and the users."""
        return (
            self.user_active
            and self.admin_active
            and self.site_user_active
            and self.site_admin_active
        )

    @property
    def is_private(self) -> bool:
        """Only given to clients matched by netblock or ASN (host or site marked private)."""
        return self.private or self.site_private


@attrs.frozen
class CacheHostCategory:
    """One ``host_category`` row (``host_id``/``category_id`` are nullable in MirrorManager2)."""

    id: int
    host_id: int | None
    category_id: int | None
    always_up2date: bool


@attrs.frozen
class CacheRepository:
    """A ``repository`` row usable by the list server: it has a directory, a version and an arch.

    ``arch_name`` is ``None`` when ``arch_id`` names no ``arch`` row.
    """

    id: int
    prefix: str | None
    arch_name: str | None
    directory_id: int
    directory_name: str
    disabled: bool


CacheFileDetail = tuple[
    int, str, str, int | None, int | None, str | None, str | None, str | None, str | None
]
"""``(directory_id, directory_name, filename, timestamp, size, sha1, md5, sha256, sha512)`` of a
``file_detail`` row joined with its directory."""

CacheDirectoryHosts = tuple[int, str, int | None, str | None, str]
"""``(directory_id, directory_name, category_id, topdir_name, up2date_host_categories)``: a
directory that belongs to a category, with that category's top directory name and the host
categories that have an ``up2date`` ``host_category_dir`` row for it.

When a directory belongs to several categories the one with the lowest ``category.id`` is given.
``topdir_name`` is ``None`` when the category has no (existing) top directory.
``up2date_host_categories`` lists the ``host_category_id`` of those rows in decimal, separated by
commas, in no particular order and possibly repeated (``""`` for none): equal texts name equal
sets, so a writer can key what it derives from a set by the text and read the numbers only
the first time it meets a text."""


# --------------------------------------------------------------------------------------------
# the reads
# --------------------------------------------------------------------------------------------


@runtime_checkable
class CacheSnapshot(Protocol):
    """Reads from one consistent, read-only view of the database.

    Every method returns rows in the order its docstring gives, identical on every backend (ties
    are broken by primary key).  Text ordering is never left to the database collation.
    """

    def hosts(self) -> Iterator[CacheHost]:
        """Every host with its site's flags, by ``host.id``."""

    def host_countries_allowed(self) -> Iterator[tuple[int, str]]:
        """``(host_id, country)`` of every ``host_country_allowed`` row, by host_id then id."""

    def host_netblocks(self) -> Iterator[tuple[int, str]]:
        """``(host_id, netblock)`` of every ``host_netblock`` row with a non-NULL netblock, by
        host_id then id."""

    def public_host_category_urls(self) -> Iterator[tuple[int, int, str]]:
        """``(id, host_category_id, url)`` of every ``host_category_url`` with ``private`` false,
        by id."""

    def url_address_families(self) -> Iterator[tuple[int, bool | None, bool | None]]:
        """``(id, ipv4, ipv6)`` of every ``host_category_url`` with ``private`` false that a
        crawl checked (``ipv4`` or ``ipv6`` not NULL), by id: ``True`` answered over that
        family, ``False`` or ``None`` did not (see :mod:`mmcore.crawl.families`)."""

    def host_categories(self) -> Iterator[CacheHostCategory]:
        """Every ``host_category`` row, by id."""

    def directory_host_lists(self) -> Iterator[CacheDirectoryHosts]:
        """Every directory that appears in ``category_directory``, once, by ``directory.id``,
        with its up-to-date host categories.  Streams, one row per directory:
        ``host_category_dir`` is the largest table (millions of rows), so backends aggregate it
        rather than return it row by row."""

    def file_details(self) -> Iterator[CacheFileDetail]:
        """Every ``file_detail`` row whose directory exists, by directory_id then id.  Streams."""

    def repositories(self) -> Iterator[CacheRepository]:
        """Repositories with non-NULL directory, version and arch ids, by directory_id then id."""

    def repository_redirects(self) -> Iterator[tuple[str, str | None]]:
        """``(from_repo, to_repo)`` of every ``repository_redirect`` row, by id."""

    def country_continent_redirects(self) -> Iterator[tuple[str, str]]:
        """``(country, continent)`` of every ``country_continent_redirect`` row, by id."""

    def netblock_countries(self) -> Iterator[tuple[str, str]]:
        """``(netblock, country)`` of every ``netblock_country`` row, by id."""


@runtime_checkable
class CacheSource(Protocol):
    """The storage reads a cache writer needs (part of :class:`mmcore.store.Store`)."""

    def cache_snapshot(self) -> contextlib.AbstractContextManager[CacheSnapshot]:
        """Open a read-only snapshot (one transaction, repeatable read where the backend has
        it) for the duration of the ``with`` block.  Blocking; use from a worker thread."""


# --------------------------------------------------------------------------------------------
# writers
# --------------------------------------------------------------------------------------------


@attrs.frozen
class CacheWriteResult:
    """What a writer produced.

    :param path: the file renamed into place.
    :param bytes: its size.
    :param counts: entries written per output section (format-specific names).
    :param seconds: wall time of the whole write.
    :param generation: identifies this cache's content (for the protobuf writer: its ``Time``,
        the unix time the write started); a list server reports it with each answer.
    """

    path: Path
    bytes: int
    counts: dict[str, int]
    seconds: float
    generation: int


@runtime_checkable
class CacheWriter(Protocol):
    """One output format of ``mirrormanager cache write`` (contributed by ``mm_cache_writers``)."""

    #: unique name, e.g. ``"protobuf"``
    name: str

    def default_path(self, config: Config) -> Path:
        """Where the file goes when ``-o`` is not given."""

    async def write(self, source: CacheSource, path: Path, config: Config) -> CacheWriteResult:
        """Build the cache from ``source`` and atomically replace ``path`` with it.

        Runs its blocking work in worker threads.  On failure raises :class:`CacheWriteError`
        and leaves any existing file at ``path`` as it was.
        """
