"""One run of the ``protobuf`` cache writer over one database snapshot: every section in order.

The file is produced as a sequence of top-level fields in field-number order, one repeated
element at a time -- protobuf concatenation merges repeated fields, so the result is
byte-identical to serialising the whole message, without ever holding it.  The big part,
``MirrorListCache`` (one record per directory of a category), comes from one row per directory
(the database aggregates ``host_category_dir``, millions of rows) and the host lists of
:mod:`~.host_lists`, encoded once per distinct set.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import attrs

from mmcore.cache import CacheHost, CacheSnapshot
from mirrormanager_mirrorlist.cache_records import (
    DEFAULT_MAX_CONNECTIONS,
    F_COUNTRY_CONTINENT_REDIRECT,
    F_DISABLED_REPOSITORY,
    F_HCURL,
    F_HCURL_FAMILY,
    F_HOST_ASN,
    F_HOST_BANDWIDTH,
    F_HOST_COUNTRY,
    F_HOST_COUNTRY_ALLOWED,
    F_HOST_MAX_CONNECTION,
    F_HOST_NETBLOCK,
    F_NETBLOCK_COUNTRY,
    F_REPO_ARCH_TO_DIRECTORY,
    F_REPOSITORY_REDIRECT,
    F_TIME,
    clamp_bandwidth,
    directory_record,
    file_details_record,
    group_by_first,
    host_category_fragment,
    int_int,
    int_ints,
    int_string,
    int_strings,
    string_bool,
    string_ints,
    string_string,
    subpath,
)
from mirrormanager_mirrorlist.config import MirrorlistConfig
from mirrormanager_mirrorlist.families import IPV4, IPV6
from mirrormanager_mirrorlist.host_lists import HostLists
from mirrormanager_mirrorlist.host_netblocks import Resolver, parse_netblock, resolve_names
from mirrormanager_mirrorlist.wire import int_field

log = logging.getLogger(__name__)

PROGRESS_SECONDS = 5.0
#: directories between two looks at the clock for the progress line
PROGRESS_EVERY = 4096


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

    def _host_lists(
        self, hosts: dict[int, CacheHost], urls_by_hc: dict[int, list[int]]
    ) -> HostLists:
        fragments = {}
        category_of: dict[int, int] = {}
        always: list[int] = []
        for hc in self.snapshot.host_categories():
            host = hosts.get(hc.host_id) if hc.host_id is not None else None
            fragment = host_category_fragment(hc, host, urls_by_hc.get(hc.id, []))
            if fragment is None or hc.category_id is None:
                continue
            fragments[hc.id] = fragment
            category_of[hc.id] = hc.category_id
            if hc.always_up2date:
                always.append(hc.id)
        return HostLists(fragments, category_of, always)

    def _mirrorlist_records(
        self, hosts: dict[int, CacheHost], urls_by_hc: dict[int, list[int]]
    ) -> Iterator[bytes]:
        host_lists = self._host_lists(hosts, urls_by_hc)
        parts = host_lists.parts
        last_report = time.monotonic()
        done = 0
        for _directory_id, name, category, topdir, up2date in self.snapshot.directory_host_lists():
            done += 1
            if done % PROGRESS_EVERY == 0 and time.monotonic() - last_report >= PROGRESS_SECONDS:
                last_report = time.monotonic()
                log.info("cache_write_progress directories=%d", done)
            if topdir is None:
                continue
            yield directory_record(name, subpath(name, topdir), parts(category, up2date))
        self.counts["host_lists_encoded"] = host_lists.encoded
