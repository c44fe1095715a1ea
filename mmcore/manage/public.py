"""What the public pages read: :class:`PublicStore` and its plain values.

Public means: hosts that are not private on sites that are not private, active (host and site
``admin_active`` and ``user_active``), with at least one up-to-date directory and one public URL
-- MirrorManager2's public mirror list.  Nothing here exposes private hosts, private URLs, site
admins, robot e-mail addresses, netblocks or comments of private hosts.
"""

from __future__ import annotations

import datetime
from typing import Protocol, runtime_checkable

import attrs

from mmcore.manage.store import Page


@attrs.frozen
class MirrorFilter:
    """The public mirror list's filters (MirrorManager2's ``/mirrors/<product>/<version>/<arch>``
    and ``?country=``); ``None``: any."""

    product: str | None = None
    version: str | None = None
    arch: str | None = None
    country: str | None = None


@attrs.frozen
class CategoryUrls:
    category: str
    #: public URLs, sorted
    urls: tuple[str, ...]


@attrs.frozen
class PublicMirror:
    """A row of the public mirror list."""

    host_id: int
    name: str
    site_name: str
    site_url: str | None
    country: str
    bandwidth: int | None
    internet2: bool
    comment: str | None
    categories: tuple[CategoryUrls, ...]


@attrs.frozen
class PublicCategory:
    """A category of a mirror's public page: how much of it is up to date."""

    category: str
    directories: int
    up2date: int
    #: public URLs by scheme: ``(("http", ("http://...",)), ("rsync", (...)))``
    urls: tuple[tuple[str, tuple[str, ...]], ...]


@attrs.frozen
class PublicHost:
    """A mirror's public page."""

    host_id: int
    name: str
    site_name: str
    site_url: str | None
    country: str
    bandwidth: int | None
    internet2: bool
    comment: str | None
    last_crawled: datetime.datetime | None
    last_crawl_duration: int | None
    categories: tuple[PublicCategory, ...]


@attrs.frozen
class ProductVersions:
    """A public product with its displayed versions (newest first) and the arches it has."""

    id: int
    name: str
    versions: tuple[str, ...]
    arches: tuple[str, ...]


@attrs.frozen
class PropagationRepo:
    """A repository with propagation statistics."""

    repository_id: int
    prefix: str
    version: str | None
    product: str | None
    arch: str | None
    last: datetime.datetime


@attrs.frozen
class PropagationPoint:
    """Mirrors by how far behind the master's repomd.xml they were at one crawl."""

    at: datetime.datetime
    same_day: int
    one_day: int
    two_day: int
    older: int
    no_info: int


@attrs.frozen
class AccessCount:
    name: str
    requests: int
    percent: float


@attrs.frozen
class MirrorLocation:
    """A public mirror with coordinates, for the map."""

    host_id: int
    name: str
    country: str
    latitude: float
    longitude: float


@runtime_checkable
class PublicStore(Protocol):
    """Reads of the public pages.  Each list reads only the rows it shows."""

    def public_products(self) -> tuple[ProductVersions, ...]:
        """Products with ``publiclist``, by name, with displayed versions and public arches."""

    def public_mirrors(self, mirror_filter: MirrorFilter, page: int,
                       page_size: int) -> Page[PublicMirror]:
        """One page of the public mirror list, by country then host name.

        ``product`` keeps hosts carrying a category of that product; ``version`` and ``arch``
        keep hosts with an up-to-date directory of a repository of that version / arch;
        ``country`` keeps hosts of that country or serving it (``host_country``).
        """

    def public_host(self, host_id: int) -> PublicHost | None:
        """A public mirror's page; ``None`` when the host does not exist or is not public."""

    def propagated_repositories(self) -> tuple[PropagationRepo, ...]:
        """Repositories with propagation statistics, by product, version, prefix."""

    def propagation_series(self, repository_id: int,
                           since: datetime.datetime | None = None) -> tuple[PropagationPoint, ...]:
        """A repository's propagation statistics, oldest first (only from ``since``)."""

    def access_stat_dates(self, limit: int = 60) -> tuple[datetime.date, ...]:
        """Days that have access statistics, newest first."""

    def access_stats(self, day: datetime.date, category: str,
                     limit: int = 50) -> tuple[AccessCount, ...]:
        """The most requested keys of one statistic (``countries``, ``archs``,
        ``repositories``) on one day, most requests first."""

    def mirror_locations(self) -> tuple[MirrorLocation, ...]:
        """Public mirrors with a latitude and longitude."""
