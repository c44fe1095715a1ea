"""Events the core announces through the ``mm_event_*`` hooks (see :mod:`mmcore.hookspecs`).

Plain frozen records, so a notifier plugin can forward them (``attrs.asdict``) to a message bus.
Times are epoch seconds (UTC).
"""

from __future__ import annotations

from typing import ClassVar

import attrs


@attrs.frozen(kw_only=True)
class HostCrawled:
    """A host's crawl finished and its result was recorded."""

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


@attrs.frozen(kw_only=True)
class HostDisabled:
    """A host was disabled (``user_active`` set false)."""

    host_id: int
    host_name: str
    reason: str


@attrs.frozen(kw_only=True)
class MasterTreeChanged:
    """A scan changed the database's picture of one category's master tree."""

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
class CacheWritten:
    """A cache file was written and renamed into place."""

    #: the cache writer's name (``protobuf``)
    writer: str
    path: str
    size: int
    #: a number that grows with every write (e.g. the write time in nanoseconds)
    generation: int
    duration: float = 0.0


# --------------------------------------------------------------------------------------------
# sites and hosts changed by people (web UI, JSON API); the same classes as the runtime branch
# --------------------------------------------------------------------------------------------


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


@attrs.frozen(kw_only=True)
class HostAdded:
    """A host was created."""

    hook: ClassVar[str] = "mm_event_host_added"

    site: SiteInfo
    host: HostInfo
    #: the user who did it
    agent: str


@attrs.frozen(kw_only=True)
class HostUpdated:
    """A host's settings were changed."""

    hook: ClassVar[str] = "mm_event_host_updated"

    site: SiteInfo
    host: HostInfo
    agent: str


@attrs.frozen(kw_only=True)
class HostDeleted:
    """A host was deleted (with everything it owned)."""

    hook: ClassVar[str] = "mm_event_host_deleted"

    site: SiteInfo
    host: HostInfo
    agent: str


@attrs.frozen(kw_only=True)
class SiteDeleted:
    """A site was deleted (with its hosts)."""

    hook: ClassVar[str] = "mm_event_site_deleted"

    site: SiteInfo
    agent: str
