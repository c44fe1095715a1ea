"""The protobuf cache writer on a real database (SQLite and PostgreSQL): every field of §5.2."""

from __future__ import annotations

from pathlib import Path

import pytest
from mirrormanager_pg_store.store import SqlStore
from cache_writer_data import (
    ARCHIVE_OLD,
    ARCHIVE_TOP,
    EPEL9_X86,
    EPEL_TOP,
    F40_ARM,
    F40_X86,
    FEDORA_TOP,
    ORPHAN,
    fake_resolver,
    populate,
)
from mirrormanager_mirrorlist import mirrormanager_pb2 as pb
from mirrormanager_mirrorlist.config import MirrorlistConfig
from mirrormanager_mirrorlist.writer import ProtobufCacheWriter

NOW = 1_700_000_000


@pytest.fixture
def cache_store(store_url: str):
    store = SqlStore(store_url)
    store.upgrade()
    yield store
    store.close()


@pytest.fixture
def writer() -> ProtobufCacheWriter:
    return ProtobufCacheWriter(resolver=fake_resolver, clock=lambda: NOW)


@pytest.fixture
def written(cache_store: SqlStore, writer: ProtobufCacheWriter, tmp_path: Path):
    populate(cache_store.engine)
    path = tmp_path / "mirrorlist_cache.proto"
    result = writer.write_blocking(cache_store, path, MirrorlistConfig(dns_timeout=5.0))
    data = path.read_bytes()
    message = pb.MirrorList.FromString(data)
    return result, data, message


def ss(entries) -> list[tuple[str, str]]:
    return [(e.key, e.value) for e in entries]


def ints(entries) -> list[tuple[object, list[int]]]:
    return [(e.key, list(e.value)) for e in entries]


def test_file_is_a_complete_message_in_canonical_encoding(written) -> None:
    result, data, message = written
    assert message.IsInitialized()
    # byte-identical to what protobuf itself serialises: field order, unpacked repeated ints
    assert message.SerializeToString() == data
    assert result.bytes == len(data)
    assert result.generation == NOW == message.Time
    assert result.counts["MirrorListCache"] == len(message.MirrorListCache)


def test_host_caches(written) -> None:
    _, _, m = written
    # every host joined to a site, clamped to 1..10000, NULL -> 100
    assert [(e.key, e.value) for e in m.HostBandwidthCache] == [
        (1, 10000), (2, 1), (3, 100), (4, 100), (5, 100), (6, 100), (7, 100),
    ]
    assert [(e.key, e.value) for e in m.HostCountryCache] == [
        (1, "DE"), (2, "US"), (3, "DE"), (4, "CZ"), (5, "FR"), (6, "IT"), (7, "GB"),
    ]
    assert [(e.key, e.value) for e in m.HostMaxConnectionCache] == [
        (1, 4), (2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1),
    ]
    # asn_clients (default true) with an ASN, activity not checked; host 2 has asn_clients off
    assert ints(m.HostAsnCache) == [(100, [1, 3]), (300, [7])]
    # active hosts only (host 5 is disabled), upper-cased, row order
    assert [(e.key, list(e.value)) for e in m.HostCountryAllowedCache] == [
        (1, ["DE", "AT"]), (3, ["CH"]),
    ]


def test_host_netblocks(written) -> None:
    _, _, m = written
    assert ints(m.HostNetblockCache) == [
        ("192.0.2.0/24", [1, 2]),  # one key, both hosts
        ("10.1.2.3/8", [1]),  # trimmed, host bits kept
        ("198.18.0.0/15", [1]),  # netmask -> prefix length
        ("198.51.100.7/32", [2]),  # DNS name -> every address, deduplicated, sorted
        ("2001:db8::7/128", [2]),
        ("2001:db8:1::/48", [3]),  # private hosts keep their netblocks
        ("198.51.100.1/32", [3]),  # bare address
        # garbage/99 skipped, inactive host 5 skipped, unresolvable name skipped
    ]


def test_urls_and_tables_copied(written) -> None:
    _, _, m = written
    assert [(e.key, e.value) for e in m.HCUrlCache] == [
        (1, "http://m1.example.org/fedora"),
        (2, "rsync://m1.example.org/fedora"),
        (4, "https://m2.example.org/pub/fedora/linux/"),  # verbatim, trailing slash kept
        (5, "http://p3.example.org/fedora"),
        (6, "http://p4.example.org/fedora"),
        (7, "http://m1.example.org/epel"),
        (8, "ftp://m2.example.org/epel"),
        (9, "http://off5.example.org/fedora"),  # no activity filter
        (10, "http://sitedown6.example.org/fedora"),
    ]
    assert ss(m.NetblockCountryCache) == [("2001:db8::/32", "NL"), ("192.0.2.0/24", "DE")]
    assert ss(m.CountryContinentRedirectCache) == [("IL", "EU"), ("AM", "EU")]
    assert ss(m.RepositoryRedirectCache) == [("fedora-rawhide", "rawhide"), ("epel-8-old", "epel-8")]
    assert [(e.key, e.value) for e in m.DisabledRepositoryCache] == [("epel-9", True)]
    assert ss(m.RepoArchToDirectoryName) == [
        ("fedora-40+x86_64", F40_X86),
        ("fedora-40+aarch64", F40_ARM),
        ("epel-9+x86_64", EPEL9_X86),
    ]
    assert len(m.LocationCache) == 0
    # the extension: public URLs a crawl checked, 1 = IPv4, 2 = IPv6
    assert [(e.key, e.value) for e in m.HCUrlFamilyCache] == [(1, 1), (2, 1), (4, 2)]


def test_file_details_newest_first(written) -> None:
    _, _, m = written
    by_dir = {d.directory: d for d in m.FileDetailsCache}
    assert list(by_dir) == [F40_X86, ORPHAN]  # every directory with rows, category or not
    files = by_dir[F40_X86].FileDetailsCacheFiles
    assert [f.filename for f in files] == ["other.xml", "repomd.xml", "Äpfel.xml"]  # code points
    repomd = files[1].FileDetails
    assert [(d.TimeStamp, d.Size) for d in repomd] == [(300, 30), (200, 20), (100, 10), (0, 0)]
    newest = repomd[0]
    assert (newest.SHA1, newest.MD5, newest.SHA256, newest.SHA512) == (
        "c" * 40, "d" * 32, "e" * 64, "f" * 128,
    )
    # hashes only where the row has them
    assert not repomd[1].HasField("SHA256") and not repomd[1].HasField("SHA1")
    assert repomd[3].SHA256 == "0" * 64 and not repomd[3].HasField("MD5")


def test_mirrorlist_cache_entries(written) -> None:
    _, _, m = written
    entries = {e.directory: e for e in m.MirrorListCache}
    # one entry per category directory whose category has a top directory, by directory id
    assert [e.directory for e in m.MirrorListCache] == [
        FEDORA_TOP, F40_X86, F40_ARM, EPEL_TOP, EPEL9_X86, ARCHIVE_OLD, ARCHIVE_TOP,
    ]
    top = entries[FEDORA_TOP]
    assert top.HasField("Subpath") and top.Subpath == ""
    assert list(top.Global) == [1, 7]  # up to date + always_up2date
    assert ints(top.ByCountry) == [("DE", [1]), ("GB", [7])]
    assert ints(top.ByHostId) == [(1, [1, 2])]  # host 7 has no URL: Global only

    x86 = entries[F40_X86]
    assert x86.Subpath == "releases/40/Everything/x86_64/os"
    # 3 and 4 are private, 5 is disabled, 6's site is disabled by the admins
    assert list(x86.Global) == [1, 2, 7]
    assert ints(x86.ByCountry) == [("DE", [1]), ("GB", [7]), ("US", [2])]
    assert ints(x86.ByCountryInternet2) == [("CZ", [4]), ("US", [2])]
    assert ints(x86.ByHostId) == [(1, [1, 2]), (2, [4]), (3, [5]), (4, [6])]
    assert not x86.HasField("OrderedMirrorList")

    arm = entries[F40_ARM]
    assert list(arm.Global) == [1, 7]  # host 2 is stale there

    assert list(entries[EPEL_TOP].Global) == [2]  # always_up2date; host category without host skipped
    assert ints(entries[EPEL_TOP].ByHostId) == [(2, [8])]
    # host 1's EPEL host category is up to date; its Fedora one pointing here does not count
    epel = entries[EPEL9_X86]
    assert list(epel.Global) == [1, 2]
    assert ints(epel.ByHostId) == [(1, [7]), (2, [8])]
    assert epel.Subpath == "9/Everything/x86_64"

    # a category without host categories: entries with no hosts (upstream panics)
    for name, sub in [(ARCHIVE_OLD, "old"), (ARCHIVE_TOP, "")]:
        assert entries[name].Subpath == sub
        assert list(entries[name].Global) == [] and len(entries[name].ByHostId) == 0


async def test_async_write_through_the_hook_interface(
    cache_store: SqlStore, writer: ProtobufCacheWriter, tmp_path: Path
) -> None:
    populate(cache_store.engine)
    from mmcore.config import Config
    from mmcore.plugins import get_plugin_manager
    from mmcore.runtime import Runtime

    runtime = Runtime(Config(sections={"mirrorlist": MirrorlistConfig()}),
                      get_plugin_manager(load_entry_points=False), store=cache_store)
    path = tmp_path / "sub" / "cache.proto"
    result = await writer.write(runtime, path)
    assert result.path == path and path.stat().st_size == result.bytes
    assert pb.MirrorList.FromString(path.read_bytes()).Time == NOW


def test_empty_database_gives_a_valid_file(cache_store: SqlStore, writer, tmp_path: Path) -> None:
    path = tmp_path / "empty.proto"
    writer.write_blocking(cache_store, path)
    message = pb.MirrorList.FromString(path.read_bytes())
    assert message.IsInitialized() and message.Time == NOW
    assert len(message.MirrorListCache) == 0
