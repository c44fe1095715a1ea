"""Events the core announces through the ``mm_event_*`` hooks (see :mod:`mmcore.hookspecs`).

Plain frozen records, so a notifier plugin can forward them (``attrs.asdict``) to a message bus.
Times are epoch seconds (UTC).
"""

from __future__ import annotations

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
# changes made through the web UI or the JSON API (Fedora's mirrormanager.host.* and
# mirrormanager.site.* messages carry these bodies: ``site``, ``host``, ``agent``)
# --------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SiteRef:
    """The site part of a change event (Fedora's V2 message ``site``)."""

    id: int
    name: str
    org_url: str | None = None
    #: user names of the site's admins at the time of the change
    admins: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class HostRef:
    """The host part of a change event (Fedora's V2 message ``host``)."""

    id: int
    name: str
    country: str
    #: Mbit/s (``host.bandwidth_int``)
    bandwidth: int | None = None
    asn: int | None = None
    #: the host's page in the web UI (absolute when ``[ui] application_url`` is set)
    url: str | None = None


@attrs.frozen(kw_only=True)
class HostAdded:
    """A host was created (``mm_event_host_added``)."""

    site: SiteRef
    host: HostRef
    #: the user name that made the change
    agent: str


@attrs.frozen(kw_only=True)
class HostUpdated:
    """A host's own fields were changed (``mm_event_host_updated``)."""

    site: SiteRef
    host: HostRef
    agent: str


@attrs.frozen(kw_only=True)
class HostDeleted:
    """A host was deleted with everything it owned (``mm_event_host_deleted``)."""

    site: SiteRef
    host: HostRef
    agent: str


@attrs.frozen(kw_only=True)
class SiteDeleted:
    """A site was deleted with its hosts (``mm_event_site_deleted``)."""

    site: SiteRef
    agent: str
