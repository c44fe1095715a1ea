"""A small world for the list-server tests: hosts in several countries and tiers, a GeoIP
database, a global-netblocks (ASN) file, and helpers to build and load the cache."""

from __future__ import annotations

import random
from pathlib import Path

import netaddr
from mmdb_writer import MMDBWriter

from mirrormanager_mirrorlist import mirrormanager_pb2 as pb
from mirrormanager_mirrorlist.app import ListService
from mirrormanager_mirrorlist.builder import CacheBuilder
from mirrormanager_mirrorlist.inputs import InputPaths, Inputs

OS = "pub/fedora/linux/releases/40/Everything/x86_64/os"
SUB = "linux/releases/40/Everything/x86_64/os"
REPODATA = OS + "/repodata"
CACHE_TIME = 1_714_000_000
PUBDATE_CLOCK = 1_714_000_000.0  # Wed, 24 Apr 2024 23:06:40 GMT

SHA256_NEW = "a" * 64
SHA256_OLD = "b" * 64


def url(host: str, directory_sub: str = SUB, file: str = "") -> str:
    return f"http://{host}.example/pub/{directory_sub}/{file}"


def world(time: int = CACHE_TIME, *, redirect_host: int | None = None) -> CacheBuilder:
    b = CacheBuilder(time)
    b.host(1, ["http://de.example/pub", "rsync://de.example/pub"], country="de", bandwidth=100)
    b.host(2, ["https://at.example/pub"], country="AT", bandwidth=100)
    b.host(3, ["http://us.example/pub", "ftp://us.example/pub"], country="US", bandwidth=100)
    b.host(4, ["http://private.example/pub"], country="DE", private=True,
           netblocks=["10.0.0.0/8"])
    b.host(5, ["http://private16.example/pub"], private=True, netblocks=["10.1.0.0/16"])
    b.host(6, ["http://jp.example/pub"], country="JP", asn=64500)
    b.host(7, ["https://se.example/pub"], country="SE", allowed=["SE"])
    b.host(8, ["http://ca.example/pub"], country="CA")
    b.host(9, ["rsync://only-rsync.example/pub"], country="BR")
    hosts = [1, 2, 3, 4, 5, 6, 7]
    b.directory(OS, hosts, subpath=SUB)
    b.directory(REPODATA, hosts, subpath=SUB + "/repodata")
    b.directory("pub/fedora/linux/updates/40/Everything/x86_64", [8],
                subpath="linux/updates/40/Everything/x86_64")
    b.directory("pub/fedora/linux/updates/40/Everything/x86_64/repodata", [8],
                subpath="linux/updates/40/Everything/x86_64/repodata")
    b.directory("pub/alt/rsync-only", [9], subpath="alt/rsync-only")
    b.repo("fedora-40", "x86_64", OS)
    b.repo("fedora-source-40", "source", OS)
    b.repo("fedora-dead", "x86_64", OS, disabled=True)
    b.repo("updates-40", "x86_64", "pub/fedora/linux/updates/40/Everything/x86_64")
    b.repo("broken", "x86_64", "pub/not/in/the/cache")
    b.repo("a+b", "x86_64", OS)  # hidden from the listing: the key splits into three parts
    b.repo_redirects.append(("fedora-old", "fedora-40"))
    b.netblock_countries.append(("172.16.0.0/12", "JP"))
    b.files(
        REPODATA, "repomd.xml",
        pb.FileDetailsType(TimeStamp=1_713_999_000, Size=4057, SHA256=SHA256_NEW,
                           MD5="m" * 32, SHA512="s" * 128),
        pb.FileDetailsType(TimeStamp=1_713_900_000, Size=4000, SHA256=SHA256_OLD),
    )
    return b


def write_geoip(path: Path) -> Path:
    writer = MMDBWriter(ip_version=6, database_type="GeoIP2-Country", languages=["en"],
                        description="list-server tests", ipv4_compatible=True)
    for network, country in [
        ("192.0.2.0/24", "DE"),
        ("198.51.100.0/24", "US"),
        ("203.0.113.0/24", "SE"),
        ("100.64.0.0/10", "FR"),
        ("2001:db8::/32", "AT"),
    ]:
        writer.insert_network(netaddr.IPSet([network]), {"country": {"iso_code": country}})
    writer.to_db_file(str(path))
    return path


NETBLOCKS = """\
198.18.0.0/15 64500
198.19.0.0/16 notanumber
not-a-network 1
10.99.0.0/16
0.0.0.0/0 1
2001:db8:ffff::/48 64501
"""


def write_inputs(directory: Path, builder: CacheBuilder | None = None) -> InputPaths:
    cache = (builder or world()).write(directory / "mirrorlist_cache.proto")
    geoip = write_geoip(directory / "country.mmdb")
    netblocks = directory / "global_netblocks.txt"
    netblocks.write_text(NETBLOCKS)
    return InputPaths(cache=cache, geoip=geoip, netblocks=netblocks)


def service(directory: Path, *, minimum: int = 1, seed: int = 7, **kwargs: object) -> ListService:
    inputs = Inputs(write_inputs(directory))
    inputs.load_all()
    return ListService(inputs, minimum=minimum, rng=random.Random(seed),
                       clock=lambda: PUBDATE_CLOCK, **kwargs)  # type: ignore[arg-type]


def with_invalid_utf8(data: bytes, text: str, occurrence: int = 0) -> bytes:
    """``data`` with the second byte of an occurrence of ``text`` (the first by default)
    replaced by 0xFF: the same length, so the protobuf structure stays valid, but that string
    no longer decodes."""
    encoded = text.encode()
    at = -1
    for _ in range(occurrence + 1):
        at = data.index(encoded, at + 1)
    return data[: at + 1] + b"\xff" + data[at + 2 :]


def many_directories(time: int = CACHE_TIME, count: int = 400) -> CacheBuilder:
    """:func:`world` plus ``count`` directories (``pub/extra/N``, hosts 1-3): a cache with many
    entries that no request has parsed yet."""
    b = world(time)
    for n in range(count):
        b.directory(f"pub/extra/{n}", [1, 2, 3], subpath=f"extra/{n}")
    return b
