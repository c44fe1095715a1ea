"""The protobuf cache, loaded once into lookup structures and read lazily per directory.

Loading (:func:`load_cache`) memory-maps the file and walks its top-level fields without building
Python objects for the two big ones: every ``MirrorListCache`` (field 16) and
``FileDetailsCache`` (field 5) entry is recorded as a byte range keyed by its directory name.
Everything else (host tables, URLs, repository maps -- small) is parsed with the upb runtime and
turned into dicts.  A request for a directory parses that one entry on first use into a
:class:`DirectoryView` (host lists, URL stems, per-host default URL), kept in a least-recently
used cache bounded by the number of host entries it holds.

Validation is complete by default: every entry is parsed once at load time and checked for its
``required`` fields, so a truncated, corrupt or schema-violating file is rejected as a whole
(:class:`CacheFormatError`) before it can replace a good one.
"""

from __future__ import annotations

import logging
import mmap
import os
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import attrs
from google.protobuf.message import DecodeError

from mirrormanager_mirrorlist import mirrormanager_pb2 as pb
from mirrormanager_mirrorlist.continents import Continents
from mirrormanager_mirrorlist.prefixes import NetblockTable, parse_network

log = logging.getLogger(__name__)

FIELD_FILE_DETAILS = 5
FIELD_MIRROR_LIST = 16
_LAZY_FIELDS = (FIELD_FILE_DETAILS, FIELD_MIRROR_LIST)
DEFAULT_URL_SCHEMES = ("https:", "http:", "ftp:")
#: where the rest of a URL goes in metalink templates (control characters: not valid in XML)
METALINK_SLASHED = "\x01"
METALINK_PLAIN = "\x02"
_ATTR_ENTITIES = {'"': "&quot;"}


class CacheFormatError(Exception):
    """The file is not a complete, valid ``mirrormanager.MirrorList``."""


@attrs.frozen
class FileDetail:
    timestamp: int
    size: int
    md5: str
    sha1: str
    sha256: str
    sha512: str


# ---------------------------------------------------------------------------------------------
# wire-format walking
# ---------------------------------------------------------------------------------------------


def _varint(buf: mmap.mmap | bytes, pos: int, end: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise CacheFormatError(f"truncated varint at byte {pos}")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise CacheFormatError(f"overlong varint at byte {pos}")


@attrs.frozen
class TopLevel:
    small: bytes
    mirror_lists: list[tuple[int, int]]
    file_details: list[tuple[int, int]]


def walk_top_level(buf: mmap.mmap | bytes) -> TopLevel:
    """Split the message into the small fields (re-encoded) and the byte ranges of fields 5/16."""
    end = len(buf)
    pos = 0
    small: list[bytes] = []
    lazy: dict[int, list[tuple[int, int]]] = {FIELD_FILE_DETAILS: [], FIELD_MIRROR_LIST: []}
    while pos < end:
        start = pos
        tag, pos = _varint(buf, pos, end)
        field, wire = tag >> 3, tag & 7
        if field == 0:
            raise CacheFormatError(f"field number 0 at byte {start}")
        if wire == 0:
            _, pos = _varint(buf, pos, end)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, pos = _varint(buf, pos, end)
            if field in lazy:
                if pos + length > end:
                    raise CacheFormatError(f"field {field} at byte {start} runs past the end")
                lazy[field].append((pos, length))
                pos += length
                continue
            pos += length
        else:
            raise CacheFormatError(f"unsupported wire type {wire} at byte {start}")
        if pos > end:
            raise CacheFormatError(f"field {field} at byte {start} runs past the end")
        small.append(buf[start:pos])
    return TopLevel(b"".join(small), lazy[FIELD_MIRROR_LIST], lazy[FIELD_FILE_DETAILS])


def _first_string_field(buf: mmap.mmap | bytes, pos: int, length: int) -> str | None:
    """The value of field 1 when it is the entry's first field (as every writer emits it)."""
    end = pos + length
    if pos >= end or buf[pos] != 0x0A:
        return None
    size, start = _varint(buf, pos + 1, end)
    if start + size > end:
        return None
    return bytes(buf[start : start + size]).decode("utf-8", "surrogateescape")


# ---------------------------------------------------------------------------------------------
# per-directory views
# ---------------------------------------------------------------------------------------------


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
        #: (client country, minimum) -> its TierPlan, or None: use the general path (plans.py)
        self.plans: dict[tuple[str, int], object] = {}
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


# ---------------------------------------------------------------------------------------------
# the loaded cache
# ---------------------------------------------------------------------------------------------


def _first_wins(items: Iterable[tuple[object, object]]) -> dict:  # type: ignore[type-arg]
    table: dict = {}  # type: ignore[type-arg]
    for key, value in items:
        table.setdefault(key, value)
    return table


def _concatenated(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Upstream's string->string lookup glues together the values of duplicate keys."""
    table: dict[str, str] = {}
    for key, value in items:
        table[key] = table.get(key, "") + value
    return table


class CacheIndex:
    """A loaded cache generation: dicts for the small tables, byte ranges for the big ones."""

    def __init__(
        self,
        *,
        path: Path,
        buffer: mmap.mmap | bytes,
        top: TopLevel,
        header: pb.MirrorList,
        mirror_list_keys: dict[str, int],
        file_detail_keys: dict[str, int],
        continents_csv: Mapping[str, str],
        checksum: int,
        view_capacity: int,
        load_seconds: float,
    ) -> None:
        self.path = path
        self._buffer = buffer
        self._mirror_lists = top.mirror_lists
        self._file_details = top.file_details
        self._mirror_list_keys = mirror_list_keys
        self._file_detail_keys = file_detail_keys
        self.time: int = header.Time
        self.checksum = checksum
        #: reported in the ``X-MirrorList-Generation`` header of every answer
        self.generation = f"{header.Time}-{checksum:08x}"
        self.load_seconds = load_seconds
        self.hcurls: dict[int, str] = _first_wins((e.key, e.value) for e in header.HCUrlCache)
        self.disabled: dict[str, bool] = _first_wins(
            (e.key, e.value) for e in header.DisabledRepositoryCache
        )
        self.repo_redirects = _concatenated(
            (e.key, e.value) for e in header.RepositoryRedirectCache
        )
        self.repo_arch_dirs = _concatenated(
            (e.key, e.value) for e in header.RepoArchToDirectoryName
        )
        self.host_asn: dict[int, tuple[int, ...]] = _first_wins(
            (e.key, tuple(e.value)) for e in header.HostAsnCache
        )
        self.host_country: dict[int, str] = _first_wins(
            (e.key, e.value) for e in header.HostCountryCache
        )
        self.host_bandwidth: dict[int, int] = _first_wins(
            (e.key, e.value) for e in header.HostBandwidthCache
        )
        self.host_allowed: dict[int, frozenset[str]] = _first_wins(
            (e.key, frozenset(e.value)) for e in header.HostCountryAllowedCache
        )
        self.host_netblocks: NetblockTable[tuple[int, ...]] = NetblockTable(
            (e.key, tuple(e.value)) for e in header.HostNetblockCache
        )
        self.netblock_country: NetblockTable[str] = NetblockTable(
            _until_unparseable((e.key, e.value) for e in header.NetblockCountryCache)
        )
        redirects = _concatenated((e.key, e.value) for e in header.CountryContinentRedirectCache)
        self.continents = Continents.build(continents_csv, redirects)
        self.views = DirectoryCache(view_capacity)
        self._repo_listing: str | None = None
        self._interned: dict[tuple[int, ...], tuple[int, ...]] = {}
        #: URL-id tuple -> the first id whose URL is http(s)/ftp (0: none)
        self._default_ids: dict[tuple[int, ...], int] = {}
        #: host -> 1 / its bandwidth (hosts with a positive bandwidth), for weighted shuffles
        self.inverse_bandwidth: dict[int, float] = {
            host: 1.0 / w for host, w in self.host_bandwidth.items() if w > 0
        }
        #: (host, public) -> (URL ids, metalink template); see metalink_template
        self._templates: dict[tuple[int, bool], tuple[tuple[int, ...], tuple[str, ...]]] = {}
        self._templates_safe = not any(
            METALINK_SLASHED in text or METALINK_PLAIN in text
            for text in (*self.hcurls.values(), *self.host_country.values())
        )

    # -- directories ---------------------------------------------------------------------

    def has_directory(self, directory: str) -> bool:
        return directory in self._mirror_list_keys

    @property
    def directory_count(self) -> int:
        return len(self._mirror_list_keys)

    def view(self, directory: str) -> DirectoryView | None:
        """The prepared view of a directory, parsing its entry on first use."""
        found = self.views.get(directory)
        if found is not None:
            return found
        index = self._mirror_list_keys.get(directory)
        if index is None:
            return None
        offset, length = self._mirror_lists[index]
        entry = pb.MirrorListCacheType.FromString(self._buffer[offset : offset + length])
        view = DirectoryView(entry, self._interned)
        self.views.put(view)
        return view

    def host_urls(
        self, view: DirectoryView, hosts: Iterable[int], filename: str | None
    ) -> list[tuple[int, list[str]]]:
        """(host, its URLs) for the directory itself (``None``) or a file in it; hosts without
        URLs in this directory are left out."""
        hcurls = self.hcurls
        by_host = view.by_host
        result: list[tuple[int, list[str]]] = []
        if filename is None:
            suffix = view.dir_suffix
            for host in hosts:
                ids = by_host.get(host)
                if ids is not None:
                    result.append((host, [hcurls.get(i, "") + suffix for i in ids]))
            return result
        prefix = view.file_prefix
        for host in hosts:
            ids = by_host.get(host)
            if ids is not None:
                urls = []
                for i in ids:
                    stem = hcurls.get(i, "") + prefix
                    urls.append(stem + filename if stem.endswith("/") else stem + "/" + filename)
                result.append((host, urls))
        return result

    def default_dir_urls(self, view: DirectoryView, hosts: Iterable[int]) -> list[str]:
        """One line per host (its first http/https/ftp URL for the directory itself and
        ``\n``); hosts without such a URL are left out."""
        suffix = view.dir_suffix + "\n"
        base = self.default_base
        return [b + suffix for b in (base(view, host) for host in hosts) if b]

    def default_base(self, view: DirectoryView, host: int) -> str:
        """The base URL (``HCUrlCache`` value) of the host's first http/https/ftp URL here, ""
        when it has none; the directory's URL is this plus ``view.dir_suffix``."""
        ids = view.by_host.get(host)
        if ids is None:
            return ""
        chosen = self._default_ids.get(ids)
        if chosen is None:
            hcurls = self.hcurls
            chosen = next(
                (i for i in ids if hcurls.get(i, "").startswith(DEFAULT_URL_SCHEMES)), 0
            )
            self._default_ids[ids] = chosen
        return self.hcurls[chosen] if chosen else ""

    def metalink_template(self, host: int, ids: tuple[int, ...], public: bool) -> tuple[str, ...] | None:
        """The host's ``<url>`` lines for any file, as pieces to be joined with its preference
        value, with ``METALINK_SLASHED`` / ``METALINK_PLAIN`` where the rest of the URL goes
        (after a base URL that ends in ``/`` or not); ``None`` when the lines cannot be
        templated (a base URL without a scheme, or marker characters in the cache)."""
        key = (host, public)
        found = self._templates.get(key)
        if found is not None and found[0] is ids:
            return found[1]
        if not self._templates_safe:
            return None
        location = escape(self.host_country.get(host, "").upper(), _ATTR_ENTITIES)
        private = "" if public else ' mm0:private="True"'
        pieces = []
        tail = ""
        for i in ids:
            base = self.hcurls.get(i, "")
            if ":" not in base:
                return None
            protocol = escape(base.split(":", 1)[0], _ATTR_ENTITIES)
            pieces.append(
                f'{tail}    <url protocol="{protocol}" type="{protocol}" location="{location}" '
                'preference="'
            )
            marker = METALINK_SLASHED if base.endswith("/") else METALINK_PLAIN
            tail = f'"{private}>{escape(base)}{marker}</url>\n'
        pieces.append(tail)
        template = tuple(pieces)
        self._templates[key] = (ids, template)
        return template

    def has_url_with(self, view: DirectoryView, host: int, prefixes: tuple[str, ...]) -> bool:
        hcurls = self.hcurls
        return any(hcurls.get(i, "").startswith(prefixes) for i in view.by_host.get(host, ()))

    def file_details(self, view: DirectoryView) -> dict[str, list[FileDetail]]:
        """filename -> details, newest first as the writer stores them (empty when none)."""
        if view._file_details is None:
            details: dict[str, list[FileDetail]] = {}
            index = self._file_detail_keys.get(view.directory)
            if index is not None:
                offset, length = self._file_details[index]
                entry = pb.FileDetailsCacheDirectoryType.FromString(
                    self._buffer[offset : offset + length]
                )
                for item in entry.FileDetailsCacheFiles:
                    details.setdefault(
                        item.filename,
                        [
                            FileDetail(d.TimeStamp, d.Size, d.MD5, d.SHA1, d.SHA256, d.SHA512)
                            for d in item.FileDetails
                        ],
                    )
            view._file_details = details
        return view._file_details

    def repository_listing(self) -> str:
        """The ``# repo=…&arch=…`` lines of the invalid-repo answer (computed once)."""
        if self._repo_listing is None:
            lines = []
            for key in sorted(self.repo_arch_dirs, key=lambda k: k.encode("utf-8", "surrogateescape")):
                parts = key.split("+")
                if len(parts) == 2:
                    lines.append(f"# repo={parts[0]}&arch={parts[1]}\n")
            self._repo_listing = "".join(lines)
        return self._repo_listing

    def stats(self) -> dict[str, int]:
        return {
            "directories": len(self._mirror_list_keys),
            "file_detail_directories": len(self._file_detail_keys),
            "hosts": len(self.host_bandwidth),
            "urls": len(self.hcurls),
            "views": len(self.views),
        }


def _until_unparseable(items: Iterable[tuple[str, str]]) -> Iterable[tuple[str, str]]:
    """Upstream stops the netblock-country scan at the first key it cannot parse."""
    for key, value in items:
        if parse_network(key) is None:
            return
        yield key, value


def _index_entries(
    buf: mmap.mmap | bytes,
    ranges: Sequence[tuple[int, int]],
    message: type,
    validate: bool,
) -> dict[str, int]:
    keys: dict[str, int] = {}
    for i, (offset, length) in enumerate(ranges):
        key = None if validate else _first_string_field(buf, offset, length)
        if key is None:
            try:
                parsed = message.FromString(buf[offset : offset + length])
            except DecodeError as exc:
                raise CacheFormatError(f"{message.__name__} entry #{i}: {exc}") from None
            if not parsed.IsInitialized():
                missing = ", ".join(parsed.FindInitializationErrors())
                raise CacheFormatError(
                    f"{message.__name__} entry #{i}: missing required field(s) {missing}"
                )
            key = parsed.directory
        keys.setdefault(key, i)
    return keys


def load_cache(
    path: Path,
    *,
    continents_csv: Mapping[str, str],
    view_capacity: int = 4_000_000,
    validate: bool = True,
) -> CacheIndex:
    """Load and check a cache file.

    :raises CacheFormatError: the file is empty, truncated, corrupt or misses required fields.
    :raises OSError: the file cannot be opened.
    """
    started = time.monotonic()
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            raise CacheFormatError("empty file")
        buf = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        top = walk_top_level(buf)
        header = pb.MirrorList()
        try:
            header.ParseFromString(top.small)
        except DecodeError as exc:
            raise CacheFormatError(f"MirrorList: {exc}") from None
        if not header.IsInitialized():
            missing = ", ".join(header.FindInitializationErrors())
            raise CacheFormatError(f"MirrorList: missing required field(s) {missing}")
        mirror_keys = _index_entries(buf, top.mirror_lists, pb.MirrorListCacheType, validate)
        detail_keys = _index_entries(
            buf, top.file_details, pb.FileDetailsCacheDirectoryType, validate
        )
        checksum = zlib.crc32(buf)
        if hasattr(mmap, "MADV_DONTNEED"):
            # the walk touched every page; let them go from our RSS (they stay in the page cache)
            buf.madvise(mmap.MADV_DONTNEED)
    except BaseException:
        buf.close()
        raise
    index = CacheIndex(
        path=path,
        buffer=buf,
        top=top,
        header=header,
        mirror_list_keys=mirror_keys,
        file_detail_keys=detail_keys,
        continents_csv=continents_csv,
        checksum=checksum,
        view_capacity=view_capacity,
        load_seconds=time.monotonic() - started,
    )
    return index
