"""What the crawler needs from storage: :class:`CrawlStore` and the plain values it exchanges.

The storage backend implements it (``plugins/pg_store``: ``CrawlOpsMixin``).  Methods are
synchronous; the engine calls them through :func:`mmcore.db.run_db`.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import attrs

from mmcore.crawl.families import UrlFamilies
from mmcore.crawl.protocol import DirectoryExpectation
from mmcore.events import HostInfo, SiteInfo


class CrawlStatus(enum.Enum):
    """How one host's crawl ended (MirrorManager2's states)."""

    #: at least one category could be checked; results recorded, failures reset
    OK = "ok"
    #: no category could be checked (every URL failed): failure counted
    FAILURE = "failed"
    #: the host's deadline passed: every directory marked not up to date, failure counted
    TIMEOUT = "timeout"
    #: nothing to do (no categories to crawl, wrong continent): nothing recorded
    UNKNOWN = "unknown"


#: recorded crawls kept per host (``host_crawl``)
CRAWL_HISTORY = 50


@attrs.frozen
class CrawlSelection:
    """Which hosts a crawl visits."""

    #: only these host ids (empty: all)
    host_ids: tuple[int, ...] = ()
    #: only these category names (empty: all)
    categories: tuple[str, ...] = ()
    include_private: bool = False
    #: also hosts whose owner or the crawler disabled them (``user_active`` false)
    include_disabled: bool = False


@attrs.frozen
class HostCategoryTarget:
    host_category_id: int
    category_id: int
    category_name: str
    always_up2date: bool
    #: every URL registered for the host category (public and private), sorted
    urls: tuple[str, ...]


@attrs.frozen
class HostTarget:
    """One host to crawl, with what it carries."""

    id: int
    name: str
    country: str
    private: bool
    user_active: bool
    crawl_failures: int
    last_crawl_duration: int
    categories: tuple[HostCategoryTarget, ...]


@attrs.frozen
class CategoryRecord:
    """The verdicts for one host category (only categories a URL answered for)."""

    host_category_id: int
    #: ``(directory_id, path relative to the category top, up2date)``; ``None`` leaves the row
    verdicts: tuple[tuple[int, str, bool | None], ...]
    #: rows of the host category not in ``verdicts`` are set not up to date
    complete: bool = True


@attrs.frozen
class HostCrawlRecord:
    """Everything recorded for one crawled host, in one transaction."""

    host_id: int
    status: CrawlStatus
    finished_at: datetime.datetime  # naive UTC, as MirrorManager2 stores it
    #: seconds
    duration: int
    categories: tuple[CategoryRecord, ...] = ()
    #: failures after which the host is disabled; 0: never
    auto_disable: int = 4
    #: why the crawl failed (for ``disable_reason``)
    reason: str = ""
    #: each URL tried, as ``scheme=ok`` / ``scheme=failed``, space-separated (crawl history)
    protocols: str = ""
    #: the address families each of the host's URLs answered on (``host_category_url.ipv4`` /
    #: ``ipv6``); URLs not probed are left as they were
    url_families: tuple[UrlFamilies, ...] = ()


@attrs.frozen
class HostRecordOutcome:
    crawl_failures: int
    #: this record disabled the host
    disabled: bool = False
    disable_reason: str | None = None
    #: host_category_dir rows set up to date / not up to date / created / set not up to date
    #: because the crawl did not see them
    marked_up2date: int = 0
    marked_not_up2date: int = 0
    created: int = 0
    unseen: int = 0
    #: when this record disabled the host: its site and details, for the HostDisabled event
    site: SiteInfo | None = None
    host: HostInfo | None = None


@attrs.frozen
class PropagationRepository:
    """A repository whose repomd.xml spread ``crawl propagation`` measures."""

    repository_id: int
    prefix: str
    category_id: int
    #: path of its ``repodata`` directory relative to the category top directory
    repodata_path: str
    #: the master's repomd.xml file details, newest first: ``(sha256, timestamp)``
    master: tuple[tuple[str, int], ...]


@attrs.frozen
class PropagationMirror:
    host_id: int
    host_name: str
    category_id: int
    #: an http(s) URL of the host for the category
    url: str


@attrs.frozen
class PropagationCounts:
    repository_id: int
    same_day: int = 0
    one_day: int = 0
    two_day: int = 0
    older: int = 0
    no_info: int = 0


@runtime_checkable
class CrawlStore(Protocol):
    """Storage operations of the crawler."""

    def select_crawl_hosts(self, selection: CrawlSelection) -> list[HostTarget]:
        """Hosts to crawl, slowest first (``last_crawl_duration`` descending, then id).

        Always only hosts with ``admin_active`` on active sites (site ``admin_active`` and
        ``user_active``); ``user_active`` and public (host and site not private) unless the
        selection includes them.  Each host comes with the host categories to crawl (limited to
        ``selection.categories`` when given) and their URLs.  Small: no directory data.
        """

    def category_directories(
        self, category_id: int, after_directory_id: int, limit: int
    ) -> list[DirectoryExpectation]:
        """One page of the readable directories of a category, by directory id ascending
        (keyset pagination: pass the last id seen, 0 first).

        Each carries its path relative to the category's top directory, the scanner's file list
        (``directory.files``) and, for a ``repodata`` directory, the sha256 of the newest
        ``repomd.xml`` file detail.
        """

    def continent_overrides(self) -> dict[str, str]:
        """``country_continent_redirect``: country code -> continent code."""

    def record_host_crawl(self, record: HostCrawlRecord) -> HostRecordOutcome:
        """Record one host's crawl in one transaction (nothing is written if anything fails).

        ``last_crawled`` and ``last_crawl_duration`` are set unless the status is UNKNOWN.
        OK: each category's verdicts are applied (an existing row takes the verdict, a missing
        one is created only when up to date, rows not seen are set not up to date when the
        record is complete); ``crawl_failures`` is reset, the host re-enabled
        (``user_active`` true, ``disable_reason`` cleared).  FAILURE: ``crawl_failures`` + 1.
        TIMEOUT: every row of the host set not up to date and ``crawl_failures`` + 1.  When the
        failures reach ``auto_disable`` (> 0) the host is disabled with a ``disable_reason``.
        Every recorded crawl also adds a row to the host's crawl history (``host_crawl``, the
        last :data:`CRAWL_HISTORY` kept), shown on the host page.
        """

    def propagation_repositories(
        self, prefixes: Sequence[str], arch: str, max_stale_days: int
    ) -> list[PropagationRepository]:
        """For each repository prefix, its repository for ``arch`` (else for the lowest arch
        id) with the master's repomd.xml details at most ``max_stale_days`` older than the
        newest.  Prefixes without a repository or without repomd.xml details are left out."""

    def propagation_versions(self, products: Sequence[str]) -> list[tuple[str, str]]:
        """``(product name, version name)`` of the displayed, non-test versions of products."""

    def propagation_mirrors(self, category_ids: Sequence[int]) -> list[PropagationMirror]:
        """Active public hosts carrying the categories, each with one public http(s) URL per
        category (https preferred)."""

    def record_propagation(
        self, counts: Sequence[PropagationCounts], at: datetime.datetime
    ) -> None:
        """Insert one ``propagation_stat`` row per repository at ``at``, in one transaction."""
