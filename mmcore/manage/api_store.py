"""What the JSON API reads beyond the UI's reads: :class:`ApiReadStore`.

Lists are read by keyset (``id`` after a cursor's id), so a cursor stays valid while rows are
added or deleted and a page never costs an ``OFFSET`` scan.  ``plugins/pg_store`` implements it
(``api_reads.py``).  Methods are synchronous; call them through :func:`mmcore.db.run_db`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

from mmcore.manage.store import CrawlHistoryEntry

#: a filter value: one value (``=``) or several (``IN``)
FilterValue = Any | tuple[Any, ...]


@attrs.frozen
class RepositoryDirectory:
    """A repository as MirrorManager2's ``/api/repositories`` shows it."""

    prefix: str | None
    name: str
    directory: str | None


@runtime_checkable
class ApiReadStore(Protocol):
    def rows_after(self, table: str, after_id: int, limit: int,
                   filters: Mapping[str, FilterValue] | None = None,
                   descending: bool = False) -> tuple[Any, ...]:
        """At most ``limit`` rows of a catalog table whose id comes after ``after_id`` (greater,
        or smaller when ``descending``; ``after_id`` 0 starts at either end), by id.

        ``filters``: column name (the kind's columns or ``id``) to a value or a tuple of values;
        an empty tuple matches nothing.

        :raises KeyError: a table or column outside the catalog.
        """

    def mirror_admins(self, name: str | None = None) -> tuple[str, ...] | None:
        """MirrorManager2's ``/api/mirroradmins``: every site admin's user name, or (``name``)
        the creator and admins of the site of the host of that name, else of the site of that
        name; sorted, distinct.  ``None``: no host or site has that name."""

    def repository_directories(self) -> tuple[RepositoryDirectory, ...]:
        """Every repository with its directory's name, by prefix then id."""

    def host_crawls_before(self, host_id: int, before_id: int,
                           limit: int) -> tuple[CrawlHistoryEntry, ...]:
        """At most ``limit`` recorded crawls of the host with an id below ``before_id`` (0: from
        the newest), newest first, each with its ``id``."""
