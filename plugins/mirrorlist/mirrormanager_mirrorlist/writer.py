"""The ``protobuf`` cache writer: the database as one ``mirrormanager.MirrorList`` file.

The file is what Fedora's ``generate-mirrorlist-cache`` writes and ``mirrorlist-server`` reads
(spec ``mirrorlist.md`` sections 1 and 5).  It is produced as a sequence of top-level fields in
field-number order, one repeated element at a time -- protobuf concatenation merges repeated
fields, so the result is byte-identical to serialising the whole message, without ever holding
it.  The big part, ``MirrorListCache`` (one record per directory of a category), is built by
streaming ``host_category_dir`` ordered by directory and hand-encoding each record from
per-host-category fragments computed once.

Every element order is fixed (ids, or code-point order of text sorted in Python), so the same
database content gives the same bytes on SQLite and PostgreSQL; only ``Time`` changes between
runs.
"""

from __future__ import annotations

import functools
from array import array
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import attrs
import trio

from mmcore.atomic import atomic_writer
from mmcore.cache import (
    CacheCategoryDirectory,
    CacheFileDetail,
    CacheHost,
    CacheHostCategory,
    CacheSnapshot,
    CacheSource,
    CacheWriteError,
    CacheWriteResult,
)
from mirrormanager_mirrorlist import mirrormanager_pb2 as pb
from mirrormanager_mirrorlist.families import IPV4, IPV6
from mirrormanager_mirrorlist.config import MirrorlistConfig
from mirrormanager_mirrorlist.host_netblocks import Resolver, parse_netblock, resolve_names, system_resolver
from mirrormanager_mirrorlist import varint
from mirrormanager_mirrorlist.wire import int_field, len_field, str_field

if TYPE_CHECKING:
    from mmcore.runtime import Runtime

log = logging.getLogger(__name__)

MIN_BANDWIDTH = 1
MAX_BANDWIDTH = 10_000
#: ``host.bandwidth_int`` default in MirrorManager2, used when the column is NULL
DEFAULT_BANDWIDTH = 100
DEFAULT_MAX_CONNECTIONS = 1
PROGRESS_SECONDS = 5.0
#: distinct host lists kept encoded (directories usually share a few hundred)
PARTS_CACHE_SIZE = 1024

# MirrorList field numbers (proto/mirrormanager.proto)
F_TIME = 1
F_NETBLOCK_COUNTRY = 2
F_HCURL = 4
F_FILE_DETAILS = 5
F_DISABLED_REPOSITORY = 6
F_COUNTRY_CONTINENT_REDIRECT = 7
F_REPOSITORY_REDIRECT = 8
F_REPO_ARCH_TO_DIRECTORY = 9
F_HOST_ASN = 10
F_HOST_MAX_CONNECTION = 11
F_HOST_COUNTRY = 12
F_HOST_BANDWIDTH = 13
F_HOST_COUNTRY_ALLOWED = 14
F_HOST_NETBLOCK = 15
F_MIRRORLIST_CACHE = 16
#: this project's extension (proto/mirrormanager.proto): URL id -> address-family bits
F_HCURL_FAMILY = 100
# MirrorListCacheType field numbers
F_DIRECTORY = 1
F_GLOBAL = 2
F_SUBPATH = 3
F_BY_COUNTRY = 4
F_BY_COUNTRY_INTERNET2 = 5
F_BY_HOST_ID = 6
# key/value map messages
F_KEY = 1
F_VALUE = 2


# --------------------------------------------------------------------------------------------
# pure building blocks (tested on their own)
# --------------------------------------------------------------------------------------------


def clamp_bandwidth(bandwidth: int | None) -> int:
    """``host.bandwidth_int`` as a shuffle weight: NULL -> 100, then clamped to 1..10000."""
    value = DEFAULT_BANDWIDTH if bandwidth is None else bandwidth
    return max(MIN_BANDWIDTH, min(MAX_BANDWIDTH, value))


def subpath(directory_name: str, topdir_name: str) -> str:
    """The directory name relative to its category's top directory (upstream's byte rule).

    With a top directory of L bytes: a longer name with ``/`` at byte L loses L+1 bytes, any
    other name loses L bytes (nothing is left of a name shorter than L).
    """
    name = directory_name.encode("utf-8")
    top_length = len(topdir_name.encode("utf-8"))
    if top_length > 0 and len(name) > top_length and name[top_length : top_length + 1] == b"/":
        cut = top_length + 1
    else:
        cut = top_length
    return name[cut:].decode("utf-8", errors="replace")


def string_string(field: int, key: str, value: str) -> bytes:
    return len_field(field, str_field(F_KEY, key) + str_field(F_VALUE, value))


def int_int(field: int, key: int, value: int) -> bytes:
    return len_field(field, int_field(F_KEY, key) + int_field(F_VALUE, value))


def int_string(field: int, key: int, value: str) -> bytes:
    return len_field(field, int_field(F_KEY, key) + str_field(F_VALUE, value))


def int_ints(field: int, key: int, values: Iterable[int]) -> bytes:
    return len_field(field, int_field(F_KEY, key) + b"".join(int_field(F_VALUE, v) for v in values))


def int_strings(field: int, key: int, values: Iterable[str]) -> bytes:
    return len_field(field, int_field(F_KEY, key) + b"".join(str_field(F_VALUE, v) for v in values))


def string_ints(field: int, key: str, values: Iterable[int]) -> bytes:
    return len_field(field, str_field(F_KEY, key) + b"".join(int_field(F_VALUE, v) for v in values))


def string_bool(field: int, key: str, value: bool) -> bytes:
    return len_field(field, str_field(F_KEY, key) + int_field(F_VALUE, int(value)))


def upper(country: str | None) -> str | None:
    return None if country is None else country.upper()


@attrs.frozen
class HostCategoryFragment:
    """What one host category contributes to every directory record it appears in."""

    host_id: int
    global_bytes: bytes  # Global entry (empty for private hosts)
    by_host_id: bytes  # ByHostId entry (empty without public URLs)
    country: str | None  # upper-cased, for ByCountry (None for private hosts)
    internet2_country: str | None  # for ByCountryInternet2
    #: the host id as one ``value`` of a ByCountry entry
    value_bytes: bytes = attrs.field(init=False)

    @value_bytes.default
    def _value_bytes(self) -> bytes:
        return int_field(F_VALUE, self.host_id)


def host_category_fragment(
    hc: CacheHostCategory, host: CacheHost | None, url_ids: list[int]
) -> HostCategoryFragment | None:
    """The §5.2 rules for one (active) host category; ``None`` when its host is not served."""
    if hc.host_id is None or host is None or not host.active:
        return None
    by_host_id = int_ints(F_BY_HOST_ID, host.id, url_ids) if url_ids else b""
    country = upper(host.country)
    if host.is_private and not host.internet2_clients:
        return HostCategoryFragment(host.id, b"", by_host_id, None, None)
    internet2_country = country if host.internet2 else None
    if host.is_private:
        return HostCategoryFragment(host.id, b"", by_host_id, None, internet2_country)
    return HostCategoryFragment(
        host.id, int_field(F_GLOBAL, host.id), by_host_id, country, internet2_country
    )


def host_set_parts(fragments: Iterable[HostCategoryFragment]) -> tuple[bytes, bytes]:
    """The encoded fields a set of host categories gives a directory record: ``Global`` (field
    2), and ``ByCountry``, ``ByCountryInternet2`` and ``ByHostId`` (fields 4-6) together.

    Element order follows ``fragments``; country keys are sorted.
    """
    frs = list(fragments)
    by_country: dict[str, list[bytes]] = defaultdict(list)
    by_internet2: dict[str, list[bytes]] = defaultdict(list)
    for fragment in frs:
        if fragment.country is not None:
            by_country[fragment.country].append(fragment.value_bytes)
        if fragment.internet2_country is not None:
            by_internet2[fragment.internet2_country].append(fragment.value_bytes)
    tail = b"".join(
        [
            *(
                len_field(F_BY_COUNTRY, str_field(F_KEY, c) + b"".join(by_country[c]))
                for c in sorted(by_country)
            ),
            *(
                len_field(F_BY_COUNTRY_INTERNET2, str_field(F_KEY, c) + b"".join(by_internet2[c]))
                for c in sorted(by_internet2)
            ),
            *[f.by_host_id for f in frs],
        ]
    )
    return b"".join([f.global_bytes for f in frs]), tail


def directory_record(directory_name: str, sub_path: str, parts: tuple[bytes, bytes]) -> bytes:
    """One ``MirrorListCache`` element (field 16 of ``MirrorList``), encoded; ``parts`` from
    :func:`host_set_parts`."""
    global_bytes, tail = parts
    payload = b"".join(
        (
            str_field(F_DIRECTORY, directory_name),
            global_bytes,
            str_field(F_SUBPATH, sub_path),
            tail,
        )
    )
    return len_field(F_MIRRORLIST_CACHE, payload)


def file_details_record(directory_name: str, rows: list[CacheFileDetail]) -> bytes:
    """One ``FileDetailsCache`` element: files by name, each file's details newest first."""
    by_file: dict[str, list[CacheFileDetail]] = defaultdict(list)
    for row in rows:
        by_file[row[2]].append(row)
    message = pb.FileDetailsCacheDirectoryType(directory=directory_name)
    for filename in sorted(by_file):
        entry = message.FileDetailsCacheFiles.add(filename=filename)
        # stable: equal timestamps keep row (id) order
        for row in sorted(by_file[filename], key=lambda r: -(r[3] or 0)):
            _, _, _, timestamp, size, sha1, md5, sha256, sha512 = row
            detail = entry.FileDetails.add(TimeStamp=max(0, timestamp or 0), Size=max(0, size or 0))
            if sha1 is not None:
                detail.SHA1 = sha1
            if md5 is not None:
                detail.MD5 = md5
            if sha256 is not None:
                detail.SHA256 = sha256
            if sha512 is not None:
                detail.SHA512 = sha512
    return len_field(F_FILE_DETAILS, message.SerializeToString())


def group_by_first(rows: Iterable[tuple]) -> Iterator[tuple[object, list[tuple]]]:
    """Consecutive rows with the same first element, as ``(key, rows)``."""
    current: object = None
    batch: list[tuple] = []
    for row in rows:
        if batch and row[0] != current:
            yield current, batch
            batch = []
        current = row[0]
        batch.append(row)
    if batch:
        yield current, batch


# --------------------------------------------------------------------------------------------
# the build
# --------------------------------------------------------------------------------------------


class CountingOutput:
    """Counts what goes through to the file."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.bytes = 0

    def write(self, data: bytes) -> None:
        self._out.write(data)
        self.bytes += len(data)


@attrs.define
class CacheBuild:
    """One run of the writer over one snapshot."""

    snapshot: CacheSnapshot
    settings: MirrorlistConfig
    resolver: Resolver
    time: int
    counts: dict[str, int] = attrs.Factory(dict)

    def write_to(self, out: CountingOutput) -> None:
        snap = self.snapshot
        hosts = {host.id: host for host in snap.hosts()}
        self.counts["hosts"] = len(hosts)
        out.write(int_field(F_TIME, self.time))
        self._count("NetblockCountryCache", out, self._netblock_countries())
        urls_by_hc: dict[int, list[int]] = defaultdict(list)
        self._count("HCUrlCache", out, self._hcurls(urls_by_hc))
        self._count("FileDetailsCache", out, self._file_details())
        repositories = list(snap.repositories())
        self._count("DisabledRepositoryCache", out, self._disabled_repositories(repositories))
        self._count(
            "CountryContinentRedirectCache",
            out,
            (
                string_string(F_COUNTRY_CONTINENT_REDIRECT, country, continent)
                for country, continent in snap.country_continent_redirects()
            ),
        )
        self._count(
            "RepositoryRedirectCache",
            out,
            (
                string_string(F_REPOSITORY_REDIRECT, from_repo, to_repo)
                for from_repo, to_repo in snap.repository_redirects()
                if to_repo is not None
            ),
        )
        self._count("RepoArchToDirectoryName", out, self._repo_arch_directories(repositories))
        self._count("HostAsnCache", out, self._host_asns(hosts))
        self._count(
            "HostMaxConnectionCache",
            out,
            (
                int_int(
                    F_HOST_MAX_CONNECTION,
                    h.id,
                    DEFAULT_MAX_CONNECTIONS if h.max_connections is None else h.max_connections,
                )
                for h in hosts.values()
            ),
        )
        self._count(
            "HostCountryCache",
            out,
            (
                int_string(F_HOST_COUNTRY, h.id, h.country.upper())
                for h in hosts.values()
                if h.country is not None
            ),
        )
        self._count(
            "HostBandwidthCache",
            out,
            (int_int(F_HOST_BANDWIDTH, h.id, clamp_bandwidth(h.bandwidth_int)) for h in hosts.values()),
        )
        self._count("HostCountryAllowedCache", out, self._countries_allowed(hosts))
        self._count("HostNetblockCache", out, self._host_netblocks(hosts))
        self._count("MirrorListCache", out, self._mirrorlist_records(hosts, urls_by_hc))
        self._count("HCUrlFamilyCache", out, self._url_families())

    def _count(self, name: str, out: CountingOutput, records: Iterable[bytes]) -> None:
        n = 0
        for record in records:
            out.write(record)
            n += 1
        self.counts[name] = n
        log.debug("cache_section_written section=%s entries=%d", name, n)

    # ---- small sections ---------------------------------------------------------------------

    def _netblock_countries(self) -> Iterator[bytes]:
        for netblock, country in self.snapshot.netblock_countries():
            yield string_string(F_NETBLOCK_COUNTRY, netblock, country)

    def _hcurls(self, urls_by_hc: dict[int, list[int]]) -> Iterator[bytes]:
        for url_id, hc_id, url in self.snapshot.public_host_category_urls():
            urls_by_hc[hc_id].append(url_id)
            yield int_string(F_HCURL, url_id, url)

    def _url_families(self) -> Iterator[bytes]:
        for url_id, ipv4, ipv6 in self.snapshot.url_address_families():
            yield int_int(F_HCURL_FAMILY, url_id, (IPV4 if ipv4 else 0) | (IPV6 if ipv6 else 0))

    def _file_details(self) -> Iterator[bytes]:
        rows = 0
        for _directory_id, batch in group_by_first(self.snapshot.file_details()):
            rows += len(batch)
            yield file_details_record(batch[0][1], batch)  # type: ignore[arg-type]
        self.counts["file_detail_rows"] = rows

    def _disabled_repositories(self, repositories: list) -> Iterator[bytes]:
        seen: set[str] = set()
        for repo in repositories:
            if repo.disabled and repo.prefix is not None and repo.prefix not in seen:
                seen.add(repo.prefix)
                yield string_bool(F_DISABLED_REPOSITORY, repo.prefix, True)

    def _repo_arch_directories(self, repositories: list) -> Iterator[bytes]:
        seen: set[str] = set()
        for repo in repositories:
            if not repo.prefix or repo.arch_name is None:
                continue
            key = f"{repo.prefix}+{repo.arch_name}"
            if key in seen:  # first wins; never emit a duplicate key (readers would concatenate)
                log.warning("repo_arch_duplicate key=%s directory=%s", key, repo.directory_name)
                continue
            seen.add(key)
            yield string_string(F_REPO_ARCH_TO_DIRECTORY, key, repo.directory_name)

    def _host_asns(self, hosts: dict[int, CacheHost]) -> Iterator[bytes]:
        by_asn: dict[int, list[int]] = defaultdict(list)
        for host in hosts.values():
            if host.asn_clients and host.asn is not None:
                by_asn[host.asn].append(host.id)
        for asn in sorted(by_asn):
            yield int_ints(F_HOST_ASN, asn, by_asn[asn])

    def _countries_allowed(self, hosts: dict[int, CacheHost]) -> Iterator[bytes]:
        for host_id, rows in group_by_first(self.snapshot.host_countries_allowed()):
            host = hosts.get(host_id)  # type: ignore[arg-type]
            if host is not None and host.active:
                yield int_strings(F_HOST_COUNTRY_ALLOWED, host.id, [c.upper() for _, c in rows])

    def _host_netblocks(self, hosts: dict[int, CacheHost]) -> Iterator[bytes]:
        entries: list[tuple[int, str]] = []  # (host_id, network) or (host_id, "dns:"name)
        names: list[str] = []
        for host_id, text in self.snapshot.host_netblocks():
            host = hosts.get(host_id)
            if host is None or not host.active:
                continue
            parsed = parse_netblock(text)
            if parsed.dns_name is not None:
                names.append(parsed.dns_name)
                entries.append((host_id, "dns:" + parsed.dns_name))
            elif parsed.networks:
                entries.extend((host_id, net) for net in parsed.networks)
            elif text.strip():
                log.warning("netblock_invalid host=%d netblock=%r", host_id, text)
        resolved = resolve_names(
            names, self.settings.dns_timeout, self.settings.dns_workers, self.resolver
        )
        self.counts["netblock_names_resolved"] = len(resolved)
        by_network: dict[str, list[int]] = {}
        for host_id, item in entries:
            networks = resolved.get(item[4:], ()) if item.startswith("dns:") else (item,)
            for network in networks:
                ids = by_network.setdefault(network, [])
                if host_id not in ids:
                    ids.append(host_id)
        for network, ids in by_network.items():
            yield string_ints(F_HOST_NETBLOCK, network, ids)

    # ---- the per-directory records ----------------------------------------------------------

    def _mirrorlist_records(
        self, hosts: dict[int, CacheHost], urls_by_hc: dict[int, list[int]]
    ) -> Iterator[bytes]:
        snap = self.snapshot
        fragments: dict[int, HostCategoryFragment] = {}
        served_in: dict[int, set[int]] = defaultdict(set)  # category -> served host categories
        always: dict[int, set[int]] = defaultdict(set)
        for hc in snap.host_categories():
            host = hosts.get(hc.host_id) if hc.host_id is not None else None
            fragment = host_category_fragment(hc, host, urls_by_hc.get(hc.id, []))
            if fragment is None or hc.category_id is None:
                continue
            fragments[hc.id] = fragment
            served_in[hc.category_id].add(hc.id)
            if hc.always_up2date:
                always[hc.category_id].add(hc.id)

        # Directories mirrored by the same host categories share their encoded host lists:
        # cache them by (category, up-to-date host categories), bounded; keys are packed.
        parts_cache: dict[tuple[int, bytes], tuple[bytes, bytes]] = {}
        # two directory-ordered streams, merged (both cursors open at once)
        directories: Iterator[CacheCategoryDirectory] = snap.category_directories()
        up2date = iter(snap.up2date_host_categories_by_directory())
        pending = next(up2date, None)
        last_report = time.monotonic()
        encoded = 0
        for done, directory in enumerate(directories):
            # merge the two directory-ordered streams
            while pending is not None and pending[0] < directory.directory_id:
                pending = next(up2date, None)
            up_to_date: tuple[int, ...] = ()
            if pending is not None and pending[0] == directory.directory_id:
                up_to_date = pending[1]
            if directory.topdir_name is None:
                continue
            category = directory.category_id
            key = (category, array("q", up_to_date).tobytes())
            parts = parts_cache.get(key)
            if parts is None:
                chosen = served_in[category].intersection(up_to_date)
                chosen.update(always[category])
                parts = host_set_parts([fragments[hc] for hc in sorted(chosen)])
                encoded += 1
                if len(parts_cache) >= PARTS_CACHE_SIZE:
                    parts_cache.clear()
                parts_cache[key] = parts
            yield directory_record(
                directory.directory_name,
                subpath(directory.directory_name, directory.topdir_name),
                parts,
            )
            now = time.monotonic()
            if now - last_report >= PROGRESS_SECONDS:
                last_report = now
                log.info("cache_write_progress directories=%d", done + 1)
        self.counts["host_lists_encoded"] = encoded


# --------------------------------------------------------------------------------------------
# the writer
# --------------------------------------------------------------------------------------------


@attrs.frozen
class ProtobufCacheWriter:
    """``mirrormanager cache write`` in the mirrorlist-server format (the ``protobuf`` writer).

    :param resolver: looks up netblocks given as DNS names (tests inject a fake one).
    :param clock: the unix time written as ``Time`` (tests freeze it).
    """

    name: str = "protobuf"
    resolver: Resolver = system_resolver
    clock: Callable[[], float] = time.time

    def default_path(self, runtime: Runtime) -> Path:
        return Path(runtime.section("mirrorlist", MirrorlistConfig).cache_path)

    async def write(self, runtime: Runtime, path: Path) -> CacheWriteResult:
        """Write from the runtime's store (which must provide :class:`CacheSource`)."""
        store = runtime.open_store()
        store.check_schema()
        if not isinstance(store, CacheSource):
            raise CacheWriteError(
                f"the storage backend {type(store).__name__} provides no cache reads"
            )
        settings = runtime.section("mirrorlist", MirrorlistConfig)
        return await trio.to_thread.run_sync(
            functools.partial(self.write_blocking, store, path, settings)
        )

    def write_blocking(
        self, source: CacheSource, path: Path, settings: MirrorlistConfig | None = None
    ) -> CacheWriteResult:
        """Build the cache and replace ``path`` atomically (blocking)."""
        settings = settings or MirrorlistConfig()
        path = Path(path)
        started = time.monotonic()
        generation = next_generation(int(self.clock()), previous_generation(path))
        log.info("cache_write_start path=%s generation=%d", path, generation)
        try:
            with source.cache_snapshot() as snapshot, atomic_writer(path) as raw:
                out = CountingOutput(raw)
                build = CacheBuild(snapshot, settings, self.resolver, generation)
                build.write_to(out)
        except OSError as exc:
            raise CacheWriteError(f"cannot write {path}: {exc.strerror or exc}") from exc
        seconds = time.monotonic() - started
        result = CacheWriteResult(
            path=path, bytes=out.bytes, counts=build.counts, seconds=seconds, generation=generation
        )
        log.info(
            "cache_written path=%s bytes=%d seconds=%.2f generation=%d %s",
            path,
            out.bytes,
            seconds,
            generation,
            " ".join(f"{k}={v}" for k, v in build.counts.items()),
        )
        return result


def previous_generation(path: Path) -> int | None:
    """The ``Time`` of the cache file at ``path`` (its first field), ``None`` if unreadable."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 + varint.MAX_BYTES)
    except OSError:
        return None
    if len(head) < 2 or head[0] != 0x08:  # field 1, varint
        return None
    try:
        return varint.decode(head, 1, len(head))[0]
    except varint.VarintError:
        return None


def next_generation(now: int, previous: int | None) -> int:
    """``now``, unless the file being replaced is as new or newer: then one more than it, so a
    list server always sees the generation change when the file is replaced."""
    if previous is not None and previous >= now and previous - now < 3600:
        return previous + 1
    return now
