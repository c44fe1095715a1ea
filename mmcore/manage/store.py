"""What managing sites, hosts and the admin tables needs from storage: :class:`ManageStore`.

Plain values in and out (rows as :mod:`mmcore.model` classes, changes as mappings of column to
parsed value); list reads are paged and fetch only the rows of the page.  Every write is one
transaction that also records its :class:`AuditRecord`: a change and its audit entry are written
together or not at all.  The generic row operations accept only the tables and columns of
:mod:`mmcore.manage.catalog`.

``plugins/pg_store`` implements it (``manage_ops.py``).  Methods are synchronous; call them from
trio through :func:`mmcore.db.run_db`.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import attrs

from mmcore.model import (
    Host,
    HostAclIp,
    HostCategory,
    HostCategoryUrl,
    HostCountryAllowed,
    HostNetblock,
    HostPeerAsn,
    Site,
    SiteAdmin,
)

T = TypeVar("T")

#: the largest page a list read returns
MAX_PAGE_SIZE = 500


@attrs.frozen
class Page(Generic[T]):
    """One page of a list; ``total`` counts every row the list has."""

    items: tuple[T, ...]
    total: int
    page: int = 1
    page_size: int = 20

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size)) if self.page_size else 1

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def page_bounds(page: int, page_size: int) -> tuple[int, int]:
    """Clamp a requested page to ``(page >= 1, 1 <= page_size <= MAX_PAGE_SIZE)``."""
    return max(1, page), min(max(1, page_size), MAX_PAGE_SIZE)


@attrs.frozen(kw_only=True)
class AuditRecord:
    """What a write records: who changed which object, and how."""

    username: str
    #: ``create``, ``update``, ``delete``
    action: str
    #: the table (``host``, ``host_netblock``, ...)
    object_type: str
    #: the row's id (filled in by the store for a create)
    object_id: int | None = None
    #: the site and host the object belongs to, for filtering the audit list
    site_id: int | None = None
    host_id: int | None = None
    #: what changed, readable (``bandwidth_int: 100 -> 1000``); secrets never appear
    summary: str = ""


@attrs.frozen(kw_only=True)
class AuditEntry(AuditRecord):
    """A stored :class:`AuditRecord`."""

    id: int
    at: datetime.datetime


@attrs.frozen
class Owner:
    """Where a row sits: its own id, its parent's, and the host and site above it."""

    table: str
    row_id: int
    parent_id: int | None
    host_id: int | None
    site_id: int | None


@attrs.frozen
class SiteSummary:
    id: int
    name: str
    org_url: str | None
    private: bool
    admin_active: bool
    user_active: bool
    hosts: int
    created_by: str


@attrs.frozen
class SiteDetail:
    site: Site
    admins: tuple[SiteAdmin, ...]
    hosts: tuple[Host, ...]


@attrs.frozen
class HostCategoryDetail:
    host_category: HostCategory
    category_name: str
    category_admin_only: bool
    urls: tuple[HostCategoryUrl, ...]
    #: host_category_dir rows of the host category, and how many are up to date
    directories: int
    up2date: int


@attrs.frozen
class HostCountryName:
    """A ``host_country`` row with its country code."""

    id: int
    country_id: int
    code: str


@attrs.frozen
class HostLocationName:
    id: int
    location_id: int
    name: str


@attrs.frozen
class CrawlHistoryEntry:
    """One recorded crawl of a host."""

    finished_at: datetime.datetime
    #: seconds
    duration: int
    #: ``ok``, ``failed``, ``timeout``
    status: str
    #: consecutive failures after this crawl
    crawl_failures: int
    reason: str | None = None
    #: ``scheme=outcome`` per category checked (``https=ok rsync=failed``)
    protocols: str = ""
    #: the record's id (for paging through the history)
    id: int | None = None


@attrs.frozen
class HostDetail:
    """Everything the host page shows."""

    host: Host
    site: Site
    site_admins: tuple[str, ...]
    categories: tuple[HostCategoryDetail, ...]
    netblocks: tuple[HostNetblock, ...]
    peer_asns: tuple[HostPeerAsn, ...]
    countries_allowed: tuple[HostCountryAllowed, ...]
    countries: tuple[HostCountryName, ...]
    acl_ips: tuple[HostAclIp, ...]
    locations: tuple[HostLocationName, ...]
    crawls: tuple[CrawlHistoryEntry, ...] = ()

    def with_counts(self, counts: Mapping[int, tuple[int, int]]) -> HostDetail:
        """The same detail with the directory counts of its categories filled in."""
        return attrs.evolve(self, categories=tuple(
            attrs.evolve(c, directories=counts.get(c.host_category.id, (0, 0))[0],
                         up2date=counts.get(c.host_category.id, (0, 0))[1])
            for c in self.categories))


@attrs.frozen
class Choice:
    """An option of a select field: a referenced row's id and its title."""

    id: int
    title: str
    #: ``category.admin_only`` for categories (non-admins are not offered those)
    admin_only: bool = False


@runtime_checkable
class ManageStore(Protocol):
    """Reads and writes of the management pages and API."""

    # -- reads ---------------------------------------------------------------------------------

    def get_row(self, table: str, row_id: int) -> Any | None:
        """The row of a catalog table as its :mod:`mmcore.model` value, ``None`` if absent."""

    def list_rows(self, table: str, page: int, page_size: int,
                  parent_id: int | None = None) -> Page[Any]:
        """One page of a catalog table in the kind's order (only rows under ``parent_id`` when
        given)."""

    def owner_of(self, table: str, row_id: int) -> Owner | None:
        """The parent, host and site a row belongs to; ``None`` if the row does not exist."""

    def site_admin_names(self, site_id: int) -> tuple[str, ...]:
        """User names of the site's admins (sorted, distinct)."""

    def sites_of(self, username: str) -> tuple[SiteSummary, ...]:
        """The sites ``username`` is a site admin of, by name."""

    def list_sites(self, page: int, page_size: int, search: str | None = None) -> Page[SiteSummary]:
        """Every site, by name (names containing ``search``, case-insensitive, when given)."""

    def site_detail(self, site_id: int) -> SiteDetail | None:
        """A site with its admins and hosts."""

    def host_detail(self, host_id: int, crawls: int = 10,
                    counts: bool = True) -> HostDetail | None:
        """A host with everything it owns and its last ``crawls`` recorded crawls.
        ``counts=False`` leaves the directory counts of its categories at 0 (they are the
        costly part: one pass over the host's directory rows; see :meth:`directory_counts`)."""

    def directory_counts(self, host_category_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        """Per host category: how many ``host_category_dir`` rows, how many up to date."""

    def choices(self, table: str) -> tuple[Choice, ...]:
        """Options for a ``ref`` field pointing at ``table`` (small tables only)."""

    def titles(self, table: str, ids: Sequence[int]) -> dict[int, str]:
        """Titles of the given rows of ``table`` (for showing references)."""

    def directory_id(self, name: str) -> int | None:
        """The id of the directory named ``name``."""

    def directory_names(self, ids: Sequence[int]) -> dict[int, str]:
        """Names of the given directories."""

    def country_id(self, code: str) -> int | None:
        """The id of the ``country`` row of ``code``."""

    def url_exists(self, url: str) -> bool:
        """Whether any host category already has this URL (URLs are globally unique)."""

    def audit_entries(self, page: int, page_size: int, *, site_id: int | None = None,
                      host_id: int | None = None,
                      username: str | None = None) -> Page[AuditEntry]:
        """The audit log, newest first, optionally for one site, host or user."""

    # -- writes (one transaction each, with its audit record) ----------------------------------

    def insert_row(self, table: str, values: Mapping[str, Any], audit: AuditRecord) -> int:
        """Insert a row of a catalog table; return its id.

        :raises mmcore.manage.errors.Conflict: a unique constraint refused it.
        """

    def update_row(self, table: str, row_id: int, values: Mapping[str, Any], audit: AuditRecord,
                   *, mark_not_up2date: bool = False) -> None:
        """Change columns of a row.  ``mark_not_up2date`` (a host or a site whose ``private``
        flag changed) sets every ``host_category_dir`` of the host, or of the site's hosts, not
        up to date in the same transaction.

        :raises mmcore.manage.errors.NotFound: no such row.
        """

    def delete_row(self, table: str, row_id: int, audit: AuditRecord) -> None:
        """Delete a row and everything it owns (a site its hosts and admins, a host its
        categories, directories, URLs, netblocks, ...; a host category its URLs and
        directories).

        :raises mmcore.manage.errors.NotFound: no such row.
        :raises mmcore.manage.errors.Conflict: other rows still refer to it (a product with
            versions, say).
        """

    def create_site(self, values: Mapping[str, Any], creator: str, audit: AuditRecord) -> int:
        """Insert a site created by ``creator`` (``created_by``) with ``creator`` as its first
        site admin; return its id."""

    def remove_site_admin(self, admin_id: int, audit: AuditRecord) -> None:
        """Delete a site admin row unless it is the site's last one.

        :raises mmcore.manage.errors.Conflict: it is the last admin of its site.
        """
