"""The protobuf cache, loaded once into lookup structures and read lazily per directory.

Loading (:func:`load_cache`) takes a private snapshot of the file (``cachefile.snapshot``: the
loaded generation never reads the file again, so the file may be replaced, truncated or
rewritten in place at any time) and walks its top-level fields without building Python objects
for the two big ones: every ``MirrorListCache`` (field 16) and ``FileDetailsCache`` (field 5)
entry is recorded as a byte range keyed by its directory name.  Everything else (host tables,
URLs, repository maps -- small) is parsed and turned into dicts.  A request for a directory
parses that one entry on first use into a :class:`~.views.DirectoryView`.

Every message is parsed with the classes of ``strict_pb``, which reject a string that is not
valid UTF-8.  Validation is complete by default: every entry is parsed once at load time and
checked for its ``required`` fields and its strings, so a truncated, corrupt or
schema-violating file is rejected as a whole (:class:`CacheFormatError`) before it can replace a
good one.  Without validation (``validate=False``) an entry is checked when it is first parsed:
:meth:`CacheIndex.view` and :meth:`CacheIndex.file_details` then raise
:class:`CacheFormatError` for that directory, and the other directories keep answering.
"""

from __future__ import annotations

import logging
import mmap
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from google.protobuf.message import DecodeError, Message

from mirrormanager_mirrorlist import strict_pb
from mirrormanager_mirrorlist.cachefile import (
    Buffer,
    CacheFormatError,
    Snapshot,
    TopLevel,
    first_string_field,
    snapshot,
    walk_top_level,
)
from mirrormanager_mirrorlist.continents import Continents
from mirrormanager_mirrorlist.families import NOTHING_UNREACHABLE, unreachable_in
from mirrormanager_mirrorlist.prefixes import NetblockTable, parse_network
from mirrormanager_mirrorlist.views import DirectoryCache, DirectoryView, FileDetail

log = logging.getLogger(__name__)

__all__ = ["CacheFormatError", "CacheIndex", "FileDetail", "load_cache"]

DEFAULT_URL_SCHEMES = ("https:", "http:", "ftp:")
#: where the rest of a URL goes in metalink templates (control characters: not valid in XML)
METALINK_SLASHED = "\x01"
METALINK_PLAIN = "\x02"
_ATTR_ENTITIES = {'"': "&quot;"}


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
        copy: Snapshot,
        top: TopLevel,
        header: strict_pb.MirrorList,
        mirror_list_keys: dict[str, int],
        file_detail_keys: dict[str, int],
        continents_csv: Mapping[str, str],
        checksum: int,
        view_capacity: int,
        load_seconds: float,
    ) -> None:
        self.path = path
        #: where this generation's bytes live (``"file"`` or ``"memory"``, see cachefile)
        self.storage = copy.storage
        self._buffer: Buffer = copy.buffer
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
        #: URL id -> the address families it answered on (families.IPV4 | IPV6); checked URLs only
        self.url_families: dict[int, int] = _first_wins(
            (e.key, e.value) for e in header.HCUrlFamilyCache
        )
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
        #: directories whose entry failed to parse (only without validation), not retried
        self._corrupt: dict[str, str] = {}
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
        """The prepared view of a directory, parsing its entry on first use; ``None`` when the
        cache has no such directory.

        :raises CacheFormatError: the entry does not parse (possible only without validation
            at load time; remembered, so the entry is not parsed again).
        """
        found = self.views.get(directory)
        if found is not None:
            return found
        index = self._mirror_list_keys.get(directory)
        if index is None:
            return None
        offset, length = self._mirror_lists[index]
        entry = self._parse_entry(
            strict_pb.MirrorListCacheType, directory, "MirrorListCache", offset, length
        )
        view = DirectoryView(entry, self._interned)  # type: ignore[arg-type]
        self.views.put(view)
        return view

    def _parse_entry(self, message: type[Message], directory: str, kind: str, offset: int,
                     length: int) -> Message:
        known = self._corrupt.get(f"{kind} {directory}")
        if known is not None:
            raise CacheFormatError(known)
        parsed = parse_checked(message, self._buffer[offset : offset + length])
        if isinstance(parsed, str):
            problem = f"{kind} entry of {directory!r}: {parsed}"
            self._corrupt[f"{kind} {directory}"] = problem
            log.error("event=cache_entry_corrupt generation=%s %s", self.generation, problem)
            raise CacheFormatError(problem)
        return parsed

    def unreachable(self, view: DirectoryView, bit: int) -> frozenset[int]:
        """The hosts of ``view`` a client of family ``bit`` cannot reach (see
        :mod:`.families`); computed once per view and family."""
        if not self.url_families:
            return NOTHING_UNREACHABLE
        found = view.unreachable.get(bit)
        if found is None:
            found = view.unreachable[bit] = unreachable_in(view.by_host, self.url_families, bit)
            self.views.grow(view, len(found))
        return found

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
        """filename -> details, newest first as the writer stores them (empty when none).

        :raises CacheFormatError: as :meth:`view`.
        """
        if view._file_details is None:
            details: dict[str, list[FileDetail]] = {}
            index = self._file_detail_keys.get(view.directory)
            if index is not None:
                offset, length = self._file_details[index]
                entry = self._parse_entry(
                    strict_pb.FileDetailsCacheDirectoryType, view.directory, "FileDetailsCache",
                    offset, length,
                )
                for item in entry.FileDetailsCacheFiles:  # type: ignore[attr-defined]
                    details.setdefault(
                        item.filename,
                        [
                            FileDetail(d.TimeStamp, d.Size, d.MD5, d.SHA1, d.SHA256, d.SHA512)
                            for d in item.FileDetails
                        ],
                    )
            view._file_details = details
        return view._file_details

    def check_entries(self) -> str | None:
        """Parse and check every per-directory entry (what ``validate=True`` does at load
        time), for a generation loaded without it; what is wrong with the first bad entry, or
        ``None``.  May run in a worker thread while requests are answered: it only reads."""
        for ranges, message in (
            (self._mirror_lists, strict_pb.MirrorListCacheType),
            (self._file_details, strict_pb.FileDetailsCacheDirectoryType),
        ):
            problem = _first_problem(self._buffer, ranges, message)
            if problem is not None:
                return problem
        return None

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


def parse_checked(message: type[Message], data: Buffer) -> Message | str:
    """The parsed message, or what is wrong with it (does not parse: bad wire format or a
    string that is not UTF-8; misses a required field)."""
    try:
        parsed = message.FromString(data)
    except DecodeError as exc:
        return str(exc)
    if not parsed.IsInitialized():
        return f"missing required field(s) {', '.join(parsed.FindInitializationErrors())}"
    return parsed


def _first_problem(buf: Buffer, ranges: Sequence[tuple[int, int]],
                   message: type[Message]) -> str | None:
    for i, (offset, length) in enumerate(ranges):
        parsed = parse_checked(message, buf[offset : offset + length])
        if isinstance(parsed, str):
            return f"{message.DESCRIPTOR.name} entry #{i}: {parsed}"
    return None


def _index_entries(
    buf: Buffer,
    ranges: Sequence[tuple[int, int]],
    message: type[Message],
    validate: bool,
) -> dict[str, int]:
    """directory -> the number of its entry (the first one wins); every entry parsed and
    checked when ``validate``, else only its directory name read (parsed when that fails)."""
    keys: dict[str, int] = {}
    for i, (offset, length) in enumerate(ranges):
        key = None if validate else first_string_field(buf, offset, length)
        if key is None:
            parsed = parse_checked(message, buf[offset : offset + length])
            if isinstance(parsed, str):
                raise CacheFormatError(f"{message.DESCRIPTOR.name} entry #{i}: {parsed}")
            key = parsed.directory  # type: ignore[attr-defined]
        keys.setdefault(key, i)
    return keys


def load_cache(
    path: Path,
    *,
    continents_csv: Mapping[str, str],
    view_capacity: int = 4_000_000,
    validate: bool = True,
) -> CacheIndex:
    """Load and check a cache file (into a private snapshot: see ``cachefile``).

    :raises CacheFormatError: the file is empty, truncated, corrupt, misses required fields,
        holds a string that is not UTF-8, or changed while it was read.
    :raises OSError: the file cannot be opened or read.
    """
    started = time.monotonic()
    copy = snapshot(path)
    buf = copy.buffer
    try:
        top = walk_top_level(buf)
        header = parse_checked(strict_pb.MirrorList, top.small)
        if isinstance(header, str):
            raise CacheFormatError(f"MirrorList: {header}")
        mirror_keys = _index_entries(buf, top.mirror_lists, strict_pb.MirrorListCacheType,
                                     validate)
        detail_keys = _index_entries(
            buf, top.file_details, strict_pb.FileDetailsCacheDirectoryType, validate
        )
        checksum = zlib.crc32(buf)
        if isinstance(buf, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
            # the walk touched every page; let them go from our RSS (they stay in the page cache)
            buf.madvise(mmap.MADV_DONTNEED)
        return CacheIndex(
            path=path,
            copy=copy,
            top=top,
            header=header,  # type: ignore[arg-type]
            mirror_list_keys=mirror_keys,
            file_detail_keys=detail_keys,
            continents_csv=continents_csv,
            checksum=checksum,
            view_capacity=view_capacity,
            load_seconds=time.monotonic() - started,
        )
    except BaseException:
        copy.close()
        raise
