"""Compose a ``MirrorList`` cache from hosts and directories, without a database.

For tests, benchmarks and experiments: hosts carry their URLs, directories list the hosts that
carry them, and :meth:`CacheBuilder.build` fills ``Global``/``ByCountry``/``ByHostId`` the way
the cache writer does (private hosts only in ``ByHostId``).  The real cache comes from
``mirrormanager cache write``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs

from mmcore.atomic import write_atomically
from mirrormanager_mirrorlist import mirrormanager_pb2 as pb


@attrs.define
class BuiltHost:
    id: int
    country: str | None
    bandwidth: int
    url_ids: list[int]
    private: bool


@attrs.define
class BuiltDirectory:
    name: str
    subpath: str
    hosts: list[int]


class CacheBuilder:
    def __init__(self, time: int = 1_700_000_000) -> None:
        self.time = time
        self.hosts: dict[int, BuiltHost] = {}
        self.urls: dict[int, str] = {}
        self.url_families: dict[int, int] = {}
        self.directories: list[BuiltDirectory] = []
        self.repos: list[tuple[str, str]] = []
        self.disabled: list[str] = []
        self.repo_redirects: list[tuple[str, str]] = []
        self.continent_redirects: list[tuple[str, str]] = []
        self.netblock_countries: list[tuple[str, str]] = []
        self.asn_hosts: dict[int, list[int]] = {}
        self.allowed: dict[int, list[str]] = {}
        self.netblocks: dict[str, list[int]] = {}
        self.file_details: dict[str, dict[str, list[pb.FileDetailsType]]] = {}
        self._next_url = 1

    def host(
        self,
        host_id: int,
        urls: Sequence[str],
        *,
        country: str | None = None,
        bandwidth: int = 100,
        private: bool = False,
        asn: int | None = None,
        allowed: Iterable[str] = (),
        netblocks: Iterable[str] = (),
        families: int | None = None,
    ) -> CacheBuilder:
        """``families``: the address-family bits every URL of the host answered on
        (``HCUrlFamilyCache``; ``None``: not checked)."""
        ids = []
        for url in urls:
            self.urls[self._next_url] = url
            ids.append(self._next_url)
            if families is not None:
                self.url_families[self._next_url] = families
            self._next_url += 1
        self.hosts[host_id] = BuiltHost(host_id, country, bandwidth, ids, private)
        if asn is not None:
            self.asn_hosts.setdefault(asn, []).append(host_id)
        if allowed:
            self.allowed[host_id] = [c.upper() for c in allowed]
        for netblock in netblocks:
            self.netblocks.setdefault(netblock, []).append(host_id)
        return self

    def directory(
        self, name: str, hosts: Iterable[int], *, subpath: str | None = None
    ) -> CacheBuilder:
        self.directories.append(
            BuiltDirectory(name, name if subpath is None else subpath, list(hosts))
        )
        return self

    def repo(self, prefix: str, arch: str, directory: str, *, disabled: bool = False) -> CacheBuilder:
        self.repos.append((f"{prefix}+{arch}", directory))
        if disabled:
            self.disabled.append(prefix)
        return self

    def files(
        self, directory: str, filename: str, *details: pb.FileDetailsType
    ) -> CacheBuilder:
        self.file_details.setdefault(directory, {})[filename] = list(details)
        return self

    def build(self) -> pb.MirrorList:
        ml = pb.MirrorList(Time=self.time)
        for netblock, country in self.netblock_countries:
            ml.NetblockCountryCache.add(key=netblock, value=country)
        for url_id, url in self.urls.items():
            ml.HCUrlCache.add(key=url_id, value=url)
        for directory, files in self.file_details.items():
            entry = ml.FileDetailsCache.add(directory=directory)
            for filename, details in files.items():
                entry.FileDetailsCacheFiles.add(filename=filename).FileDetails.extend(details)
        for prefix in self.disabled:
            ml.DisabledRepositoryCache.add(key=prefix, value=True)
        for country, continent in self.continent_redirects:
            ml.CountryContinentRedirectCache.add(key=country, value=continent)
        for source, target in self.repo_redirects:
            ml.RepositoryRedirectCache.add(key=source, value=target)
        for key, directory in self.repos:
            ml.RepoArchToDirectoryName.add(key=key, value=directory)
        for asn, hosts in self.asn_hosts.items():
            ml.HostAsnCache.add(key=asn, value=hosts)
        for host in self.hosts.values():
            if host.country is not None:
                ml.HostCountryCache.add(key=host.id, value=host.country.upper())
        for host in self.hosts.values():
            ml.HostBandwidthCache.add(key=host.id, value=host.bandwidth)
        for host_id, countries in self.allowed.items():
            ml.HostCountryAllowedCache.add(key=host_id, value=countries)
        for netblock, hosts in self.netblocks.items():
            ml.HostNetblockCache.add(key=netblock, value=hosts)
        for directory in self.directories:
            ml.MirrorListCache.append(self.directory_entry(directory))
        for url_id, families in self.url_families.items():
            ml.HCUrlFamilyCache.add(key=url_id, value=families)
        return ml

    def directory_entry(self, directory: BuiltDirectory) -> pb.MirrorListCacheType:
        entry = pb.MirrorListCacheType(directory=directory.name, Subpath=directory.subpath)
        by_country: dict[str, list[int]] = {}
        for host_id in directory.hosts:
            host = self.hosts[host_id]
            if host.url_ids:
                entry.ByHostId.add(key=host_id, value=host.url_ids)
            if host.private:
                continue
            entry.Global.append(host_id)
            if host.country is not None:
                by_country.setdefault(host.country.upper(), []).append(host_id)
        for country, hosts in by_country.items():
            entry.ByCountry.add(key=country, value=hosts)
        return entry

    def write(self, path: Path) -> Path:
        write_atomically(path, self.build().SerializeToString())
        return path
