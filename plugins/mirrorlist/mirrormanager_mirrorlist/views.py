"""Per-directory views of a loaded cache and the least-recently-used cache that holds them.

A request for a directory parses that directory's ``MirrorListCache`` entry on first use into a
:class:`DirectoryView` (host lists, URL-id tuples, per-host default URL), kept in a
:class:`DirectoryCache` bounded by the number of host entries it holds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import attrs

from mirrormanager_mirrorlist import mirrormanager_pb2 as pb


@attrs.frozen
class FileDetail:
    timestamp: int
    size: int
    md5: str
    sha1: str
    sha256: str
    sha512: str


class DirectoryView:
    """One ``MirrorListCacheType`` entry, ready for selection.

    Holds only host ids and (interned, shared) tuples of URL ids; URL strings are joined per
    answer by :meth:`CacheIndex.host_urls`, so a view costs a few KB whatever its URLs.
    """

    __slots__ = (
        "directory",
        "subpath",
        "global_ids",
        "_public",
        "by_country",
        "by_host",
        "dir_suffix",
        "file_prefix",
        "_file_details",
        "metalink_heads",
        "metalink_blocks",
        "plans",
        "unreachable",
        "weight",
    )

    def __init__(
        self, entry: pb.MirrorListCacheType, interned: dict[tuple[int, ...], tuple[int, ...]]
    ) -> None:
        self.directory: str = entry.directory
        self.subpath: str = entry.Subpath
        self.global_ids: tuple[int, ...] = tuple(entry.Global)
        self._public: frozenset[int] | None = None
        by_country: dict[str, tuple[int, ...]] = {}
        for item in entry.ByCountry:
            by_country.setdefault(item.key, tuple(item.value))
        self.by_country = by_country
        by_host: dict[int, tuple[int, ...]] = {}
        for item in entry.ByHostId:
            if item.key not in by_host:
                ids = tuple(item.value)
                by_host[item.key] = interned.setdefault(ids, ids)
        self.by_host = by_host
        #: appended to a base URL for the directory itself / before a file name
        self.file_prefix = "/" + self.subpath if self.subpath else ""
        self.dir_suffix = self.file_prefix + "/"
        self._file_details: dict[str, list[FileDetail]] | None = None
        #: filename -> rendered metalink text before <resources> (filled by the renderer)
        self.metalink_heads: dict[str, str] = {}
        #: host -> its metalink template (CacheIndex.metalink_template), built on first use
        self.metalink_blocks: dict[int, tuple[str, ...]] | None = None
        #: (client country, minimum, family bit or 0) -> its TierPlan, or None: use the
        #: general path (plans.py)
        self.plans: dict[tuple[str, int, int], object] = {}
        #: family bit -> hosts here a client of that family cannot reach (families.py)
        self.unreachable: dict[int, frozenset[int]] = {}
        #: size in the DirectoryCache; grows as the caches above fill (see DirectoryCache.grow)
        self.weight = 1 + 2 * len(by_host) + len(self.global_ids)

    @property
    def global_set(self) -> frozenset[int]:
        """The hosts of the ``Global`` list (the others are private here); built on use."""
        if self._public is None:
            self._public = frozenset(self.global_ids)
        return self._public


class DirectoryCache:
    """LRU of :class:`DirectoryView` bounded by the total number of host entries held."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._views: OrderedDict[str, DirectoryView] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, directory: str) -> DirectoryView | None:
        view = self._views.get(directory)
        if view is not None:
            self.hits += 1
            self._views.move_to_end(directory)
        return view

    def put(self, view: DirectoryView) -> None:
        with self._lock:
            old = self._views.pop(view.directory, None)
            if old is not None:
                self._weight -= old.weight
            self._views[view.directory] = view
            self._weight += view.weight
            self.misses += 1
            while self._weight > self.capacity and len(self._views) > 1:
                _, evicted = self._views.popitem(last=False)
                self._weight -= evicted.weight

    def grow(self, view: DirectoryView, amount: int) -> None:
        """Account for ``amount`` more entries cached inside ``view`` (evicting others)."""
        with self._lock:
            view.weight += amount
            if self._views.get(view.directory) is not view:
                return
            self._weight += amount
            while self._weight > self.capacity and len(self._views) > 1:
                directory, evicted = next(iter(self._views.items()))
                if evicted is view:
                    break
                del self._views[directory]
                self._weight -= evicted.weight

    @property
    def weight(self) -> int:
        return self._weight

    def __len__(self) -> int:
        return len(self._views)
