"""Events the core and its plugins announce through :meth:`mmcore.runtime.Runtime.announce`.

Each event is a plain frozen record naming the hook that carries it (``hook``), so a notifier
plugin (a message bus) can forward it with ``attrs.asdict``.  Times are epoch seconds (UTC).
A plugin may define events of its own: a subclass of :class:`Event` whose ``hook`` names a hook
specification the plugin added through ``mm_addhooks``.
"""

from __future__ import annotations

from typing import ClassVar

import attrs


@attrs.frozen(kw_only=True)
class Event:
    """Base of every event: ``hook`` is the name of the hook that carries it."""

    hook: ClassVar[str]


@attrs.frozen(kw_only=True)
class SiteInfo:
    """A site as events describe it (the ``site`` of Fedora's mirrormanager messages)."""

    id: int
    name: str
    org_url: str | None = None
    admins: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class HostInfo:
    """A host as events describe it (the ``host`` of Fedora's mirrormanager messages)."""

    id: int
    name: str
    country: str | None = None
    bandwidth: int | None = None
    asn: int | None = None
    #: where a person can look at the host (its page in the web UI), when known
    url: str | None = None


# --------------------------------------------------------------------------------------------
# crawling and scanning
# --------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class HostCrawled(Event):
    """A host's crawl finished and its result was recorded."""

    hook: ClassVar[str] = "mm_event_host_crawled"

    host_id: int
    host_name: str
    #: ``"ok"``, ``"failed"``, ``"timeout"``, ...
    status: str
    directories_up2date: int = 0
    directories_not_up2date: int = 0
    directories_unknown: int = 0
    duration: float = 0.0
    #: why it failed (``None`` when it did not)
    reason: str | None = None
    #: the URL scheme that answered, per category checked (``("rsync", "https")``)
    protocols: tuple[str, ...] = ()
    #: every URL check in order, ``scheme=ok`` or ``scheme=failed``
    checks: tuple[str, ...] = ()
    #: the host's consecutive failed crawls after this one (0 after a success), when recorded
    crawl_failures: int | None = None


@attrs.frozen(kw_only=True)
class CrawlStarted(Event):
    """A crawl (``mirrormanager crawl``) starts, before any host is crawled.

    Announced once by the crawling process; with ``--processes N`` once by the parent
    (``part`` ``None``) and once by each child (``part`` its ``i:N``)."""

    hook: ClassVar[str] = "mm_event_crawl_started"

    #: processes the crawl is split over
    processes: int = 1
    #: the ``--fraction`` of a ``--processes`` child (``"2:4"``); ``None``: the whole crawl
    part: str | None = None
    dry_run: bool = False
    #: when it started (epoch seconds)
    started_at: float = 0.0


@attrs.frozen(kw_only=True)
class CrawlFinished(Event):
    """A crawl ended (also when it was interrupted); announced by whoever announced its
    :class:`CrawlStarted`."""

    hook: ClassVar[str] = "mm_event_crawl_finished"

    processes: int = 1
    part: str | None = None
    #: hosts selected, and how their crawls ended
    hosts: int = 0
    ok: int = 0
    failed: int = 0
    timeout: int = 0
    unknown: int = 0
    disabled: int = 0
    #: seconds the crawl took
    duration: float = 0.0


@attrs.frozen(kw_only=True)
class HostDisabled(Event):
    """A host was disabled (``user_active`` set false), e.g. after repeated crawl failures."""

    hook: ClassVar[str] = "mm_event_host_disabled"

    host_id: int
    host_name: str
    reason: str
    #: the host's site and details (what Fedora's HostCrawlerDisabledV1 message carries), when
    #: the announcer knows them
    site: SiteInfo | None = None
    host: HostInfo | None = None
    #: when the crawl that disabled it finished (epoch seconds)
    crawled_at: float | None = None


@attrs.frozen(kw_only=True)
class MasterTreeChanged(Event):
    """A scan changed the database's picture of one category's master tree."""

    hook: ClassVar[str] = "mm_event_master_tree_changed"

    category: str
    #: directory rows inserted / updated / deleted
    directories_added: int = 0
    directories_changed: int = 0
    directories_deleted: int = 0
    repositories_added: int = 0
    file_details_added: int = 0
    #: the directory names whose rows changed, capped (``truncated`` says when)
    changed_paths: tuple[str, ...] = ()
    truncated: bool = False


@attrs.frozen(kw_only=True)
class CacheWritten(Event):
    """A cache file was written and renamed into place."""

    hook: ClassVar[str] = "mm_event_cache_written"

    #: the cache writer's name (``protobuf``)
    writer: str
    path: str
    size: int
    #: a number that grows with every write (e.g. the write time)
    generation: int
    duration: float = 0.0


# --------------------------------------------------------------------------------------------
# sites and hosts changed by people (web UI, JSON API) or by their mirrors (report_mirror)
# --------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class HostAdded(Event):
    """A host was created."""

    hook: ClassVar[str] = "mm_event_host_added"

    site: SiteInfo
    host: HostInfo
    #: the user who did it
    agent: str


@attrs.frozen(kw_only=True)
class HostUpdated(Event):
    """A host's settings were changed."""

    hook: ClassVar[str] = "mm_event_host_updated"

    site: SiteInfo
    host: HostInfo
    agent: str


@attrs.frozen(kw_only=True)
class HostDeleted(Event):
    """A host was deleted (with everything it owned)."""

    hook: ClassVar[str] = "mm_event_host_deleted"

    site: SiteInfo
    host: HostInfo
    agent: str


@attrs.frozen(kw_only=True)
class SiteDeleted(Event):
    """A site was deleted (with its hosts)."""

    hook: ClassVar[str] = "mm_event_site_deleted"

    site: SiteInfo
    agent: str


@attrs.frozen(kw_only=True)
class HostCheckedIn(Event):
    """A private mirror reported what it carries (report_mirror) and the report was recorded."""

    hook: ClassVar[str] = "mm_event_host_checked_in"

    site: SiteInfo
    host: HostInfo
    #: host category directories marked up to date / created / deleted, over all categories
    directories_updated: int = 0
    directories_added: int = 0
    directories_deleted: int = 0
    #: names of the host's categories the report covered, in the report's order
    categories: tuple[str, ...] = ()
    #: the host's ``user_active`` as the report set it; ``None`` when the report did not say
    user_active: bool | None = None
