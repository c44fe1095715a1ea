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


@attrs.frozen(kw_only=True)
class HostCheckedIn:
    """A private mirror checked in with report_mirror and its directories were recorded."""

    host_id: int
    host_name: str
    site_name: str
    #: names of the host's categories the report covered, in the report's order
    categories: tuple[str, ...] = ()
    #: host_category_dir rows the report confirmed / created / removed (MirrorManager2's counts)
    directories_updated: int = 0
    directories_added: int = 0
    directories_deleted: int = 0
    #: the host's ``user_active`` as the report set it; ``None`` when the report did not say
    user_active: bool | None = None
