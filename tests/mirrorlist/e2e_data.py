"""A small MirrorManager deployment built through the real paths, for the end-to-end tests.

``populate(store)`` fills an upgraded store the way an operator's tools would:

* the hand-managed part (arches, products, categories, sites, hosts with countries, netblocks,
  ASNs, allowed countries, private sites and hosts, always-up2date host categories, URLs of
  every scheme, redirects) is a deployment TOML applied with the declarative import
  (``parse_deployment`` + ``plan_import`` + ``store.apply_deployment``);
* the master tree (directories with file lists, versions, repositories, ``file_detail`` rows,
  ``host_category_dir`` up-to-date states, netblock-country overrides) is streamed in through
  ``store.bulk_load`` with ids after those the import created.

``write_cache`` then runs the real :class:`ProtobufCacheWriter`; ``load_service`` loads the file
with the server's :class:`Inputs` (plus a GeoIP mmdb and a ``global_netblocks.txt`` written
here) into a :class:`ListService` with a seeded RNG and a frozen clock.

Which host is in which tier, and why, is said next to each host below; the tests refer to hosts
by name.
"""

from __future__ import annotations

import gzip
import hashlib
import random
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import netaddr
import sqlalchemy as sa
from mirrormanager_pg_store import schema as t
from mmdb_writer import MMDBWriter

from mirrormanager_mirrorlist.app import ListService
from mirrormanager_mirrorlist.config import MirrorlistConfig
from mirrormanager_mirrorlist.inputs import InputPaths, Inputs
from mirrormanager_mirrorlist.writer import ProtobufCacheWriter
from mmcore.deployment_parse import parse_deployment
from mmcore.deployment_plan import plan_import
from mmcore.model import FileEntry, encode_file_list

#: ``Time`` of the written cache (the writer's clock is frozen)
CACHE_TIME = 1_714_000_000
#: the list service's clock, for the metalink ``pubdate``
PUBDATE_CLOCK = 1_714_000_000.0
PUBDATE = "Wed, 24 Apr 2024 23:06:40 GMT"

FEDORA_TOP = "pub/fedora/linux"
EPEL_TOP = "pub/epel"
OS_SUB = "releases/40/Everything/x86_64/os"
OS = f"{FEDORA_TOP}/{OS_SUB}"
REPODATA = f"{OS}/repodata"
SRC_SUB = "releases/40/Everything/source/tree"
SRC = f"{FEDORA_TOP}/{SRC_SUB}"
UPD_SUB = "updates/40/Everything/x86_64"
UPD = f"{FEDORA_TOP}/{UPD_SUB}"
UPD_REPODATA = f"{UPD}/repodata"
EPEL_SUB = "9/Everything/x86_64"
EPEL = f"{EPEL_TOP}/{EPEL_SUB}"
#: a directory some repository points at, outside every category: no MirrorListCache entry
ORPHAN = "pub/orphan/1"


# --------------------------------------------------------------------------------------------
# a real (empty) yum repository: what the mirrors serve and what file_detail describes
# --------------------------------------------------------------------------------------------


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


_EMPTY_METADATA = {
    "primary": b'<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/'
    b'metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="0">\n'
    b"</metadata>\n",
    "filelists": b'<?xml version="1.0" encoding="UTF-8"?>\n<filelists xmlns="http://linux.duke.'
    b'edu/metadata/filelists" packages="0">\n</filelists>\n',
    "other": b'<?xml version="1.0" encoding="UTF-8"?>\n<otherdata xmlns="http://linux.duke.edu/'
    b'metadata/other" packages="0">\n</otherdata>\n',
}


def yum_repo(revision: int) -> dict[str, bytes]:
    """The files of an empty yum repository (paths relative to the repository directory):
    ``repodata/repomd.xml`` and the compressed metadata it lists, with real checksums, so
    dnf/librepo can load it.  ``revision`` changes repomd.xml (older versions = alternates)."""
    files: dict[str, bytes] = {}
    entries = []
    for kind, plain in _EMPTY_METADATA.items():
        packed = _gz(plain)
        digest = hashlib.sha256(packed).hexdigest()
        href = f"repodata/{digest}-{kind}.xml.gz"
        files[href] = packed
        entries.append(
            f'  <data type="{kind}">\n'
            f'    <checksum type="sha256">{digest}</checksum>\n'
            f'    <open-checksum type="sha256">{hashlib.sha256(plain).hexdigest()}</open-checksum>\n'
            f'    <location href="{href}"/>\n'
            f"    <timestamp>{revision}</timestamp>\n"
            f"    <size>{len(packed)}</size>\n"
            f"    <open-size>{len(plain)}</open-size>\n"
            "  </data>\n"
        )
    files["repodata/repomd.xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<repomd xmlns="http://linux.duke.edu/metadata/repo" '
        'xmlns:rpm="http://linux.duke.edu/metadata/rpm">\n'
        f"  <revision>{revision}</revision>\n" + "".join(entries) + "</repomd>\n"
    ).encode()
    return files


#: time stamps of the three repomd.xml versions in file_detail (newest first)
REPOMD_TIMES = (1_714_000_300, 1_714_000_200, 1_714_000_100)
REPOMD_NEW = yum_repo(REPOMD_TIMES[0])["repodata/repomd.xml"]
REPOMD_MID = yum_repo(REPOMD_TIMES[1])["repodata/repomd.xml"]
REPOMD_OLD = yum_repo(REPOMD_TIMES[2])["repodata/repomd.xml"]


def digest(name: str, data: bytes) -> str:
    return hashlib.new(name, data).hexdigest()


# --------------------------------------------------------------------------------------------
# the deployment (declarative import)
# --------------------------------------------------------------------------------------------

#: ``(name, country, URLs)`` of the loopback mirrors added for a real-client test
Loopback = tuple[str, str, tuple[str, ...]]


def deployment_toml(loopback: Iterable[Loopback] = ()) -> str:
    """The hand-managed part.  Comments say what each host is there for."""
    extra = "".join(
        f"""
[[site]]
name = "loopback {name}"
password = "pw"
[[site.host]]
name = "{name}"
country = "{country}"
bandwidth_int = 100
[[site.host.category]]
name = "Fedora Linux"
urls = [{", ".join(f'"{u}"' for u in urls)}]
"""
        for name, country, urls in loopback
    )
    return (
        """
[[arch]]
name = "x86_64"
[[arch]]
name = "aarch64"
[[arch]]
name = "source"
primary = false

[[product]]
name = "Fedora"
[[product]]
name = "EPEL"

[[category]]
name = "Fedora Linux"
product = "Fedora"
topdir = "pub/fedora/linux"
[[category]]
name = "Fedora EPEL"
product = "EPEL"
topdir = "pub/epel"

[[repository_redirect]]
from = "f40-old"
to = "fedora-40"
[[repository_redirect]]
from = "epel-9-next"
to = "epel-9"

# Israel is in Asia in country_continent.csv; the redirect puts it in Europe
[[country_continent_redirect]]
country = "IL"
continent = "EU"

[[site]]
name = "alpha university"
password = "alpha secret"
admins = ["alice"]

# public, in Germany, serving clients of 10.1.2.0/24 first (the most specific netblock)
[[site.host]]
name = "de1.alpha.example"
country = "de"
bandwidth_int = 1000
netblocks = ["10.1.2.0/24"]
peer_asns = [64999]
[[site.host.category]]
name = "Fedora Linux"
urls = ["http://de1.alpha.example/fedora", "rsync://de1.alpha.example/fedora"]
private_urls = ["rsync://internal.de1.alpha.example/fedora"]
[[site.host.category]]
name = "Fedora EPEL"
urls = ["http://de1.alpha.example/epel"]

# public, in Germany; its ftp URL sorts before its https URL (URL ids follow the import's order)
[[site.host]]
name = "de2.alpha.example"
country = "DE"
bandwidth_int = 100
[[site.host.category]]
name = "Fedora Linux"
urls = ["https://de2.alpha.example/pub/fedora/linux", "ftp://de2.alpha.example/pub/fedora/linux"]

[[site]]
name = "beta network"
[[site.host]]
name = "at1.beta.example"
country = "AT"
bandwidth_int = 500
[[site.host.category]]
name = "Fedora Linux"
urls = ["https://at1.beta.example/fedora"]

# only serves clients in Sweden
[[site.host]]
name = "se1.beta.example"
country = "SE"
countries_allowed = ["se"]
[[site.host.category]]
name = "Fedora Linux"
urls = ["http://se1.beta.example/fedora"]

# Israel, moved to Europe by the continent redirect
[[site.host]]
name = "il1.beta.example"
country = "IL"
bandwidth_int = 50
[[site.host.category]]
name = "Fedora Linux"
urls = ["http://il1.beta.example/fedora"]

[[site]]
name = "gamma hosting"
# three US hosts with bandwidths 7:2:1 for the weighted shuffle
[[site.host]]
name = "us1.gamma.example"
country = "US"
bandwidth_int = 700
[[site.host.category]]
name = "Fedora Linux"
urls = ["http://us1.gamma.example/fedora"]

[[site.host]]
name = "us2.gamma.example"
country = "US"
bandwidth_int = 200
[[site.host.category]]
name = "Fedora Linux"
urls = ["http://us2.gamma.example/fedora"]

# always up to date: listed everywhere in its category without host_category_dir rows
[[site.host]]
name = "us3.gamma.example"
country = "US"
bandwidth_int = 100
[[site.host.category]]
name = "Fedora Linux"
always_up2date = true
urls = ["http://us3.gamma.example/fedora"]

# switched off by its admins: never listed, although its directories are up to date
[[site.host]]
name = "usoff.gamma.example"
country = "US"
user_active = false
[[site.host.category]]
name = "Fedora Linux"
urls = ["http://usoff.gamma.example/fedora"]

[[site.host]]
name = "ca1.gamma.example"
country = "CA"
[[site.host.category]]
name = "Fedora Linux"
urls = ["http://ca1.gamma.example/fedora"]

[[site]]
name = "delta japan"
# serves its own AS (64500) and Japan
[[site.host]]
name = "jp1.delta.example"
country = "JP"
asn = 64500
asn_clients = true
[[site.host.category]]
name = "Fedora Linux"
urls = ["http://jp1.delta.example/fedora"]

# a private site: its host is only for clients in 10.0.0.0/8
[[site]]
name = "corp intranet"
private = true
[[site.host]]
name = "mirror.corp.example"
country = "DE"
netblocks = ["10.0.0.0/8"]
[[site.host.category]]
name = "Fedora Linux"
urls = ["http://mirror.corp.example/fedora"]

# a public site with a private host: its ISP's customers (AS 64501 and 10.1.0.0/16) only
[[site]]
name = "omega isp"
[[site.host]]
name = "cache.omega.example"
country = "NL"
private = true
asn = 64501
asn_clients = true
netblocks = ["10.1.0.0/16"]
[[site.host.category]]
name = "Fedora Linux"
urls = ["http://cache.omega.example/fedora"]
"""
        + extra
    )


def apply_deployment_file(store: Any, text: str) -> None:
    """``mirrormanager import``: parse against the database, hash passwords, apply."""
    current = store.load_deployment()
    parsed = parse_deployment(text, "e2e-deployment.toml", current=current)
    store.apply_deployment(plan_import(current, parsed).target)


# --------------------------------------------------------------------------------------------
# the master tree (bulk load)
# --------------------------------------------------------------------------------------------

#: hosts whose host category is up to date (True) or stale (False) per directory; a host
#: missing from a directory's map has no host_category_dir row there
UP2DATE: Mapping[str, Mapping[str, bool]] = {
    FEDORA_TOP: {h: True for h in ("de1", "de2", "at1", "us1", "us2")},
    OS: {
        "de1": True, "de2": True, "at1": True, "se1": True, "il1": True, "us1": True,
        "us2": True, "usoff": True, "ca1": True, "jp1": True, "corp": True, "omega": True,
    },
    REPODATA: {
        "de1": True, "de2": True, "at1": True, "se1": True, "il1": True, "us1": True,
        "us2": True, "usoff": True, "ca1": True, "jp1": True, "corp": True, "omega": True,
    },
    SRC: {"at1": True, "de1": False},
    # updates: only us1 (and the always-up2date us3) carry the current content
    UPD: {"us1": True, "us2": False, "de1": False, "at1": False},
    UPD_REPODATA: {"us1": True, "us2": False},
    EPEL: {"de1": True},
}

SHORT_NAMES = {
    "de1": "de1.alpha.example", "de2": "de2.alpha.example", "at1": "at1.beta.example",
    "se1": "se1.beta.example", "il1": "il1.beta.example", "us1": "us1.gamma.example",
    "us2": "us2.gamma.example", "us3": "us3.gamma.example", "usoff": "usoff.gamma.example",
    "ca1": "ca1.gamma.example", "jp1": "jp1.delta.example", "corp": "mirror.corp.example",
    "omega": "cache.omega.example",
}


@attrs.frozen
class Ids:
    """Ids the import chose, looked up by name."""

    directories: Mapping[str, int]
    categories: Mapping[str, int]
    products: Mapping[str, int]
    arches: Mapping[str, int]
    #: (host name, category name) -> host_category id
    host_categories: Mapping[tuple[str, str], int]
    next_id: Mapping[str, int]


def _read_ids(engine: sa.Engine) -> Ids:
    with engine.connect() as conn:
        hc = conn.execute(
            sa.select(t.host.c.name, t.category.c.name, t.host_category.c.id).select_from(
                t.host_category.join(t.host, t.host_category.c.host_id == t.host.c.id).join(
                    t.category, t.host_category.c.category_id == t.category.c.id
                )
            )
        ).all()

        def names(table: sa.Table) -> dict[str, int]:
            return {n: i for i, n in conn.execute(sa.select(table.c.id, table.c.name))}

        next_id = {
            table.name: (conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0) + 1
            for table in (t.directory, t.version, t.repository, t.file_detail,
                          t.host_category_dir, t.netblock_country)
        }
        return Ids(
            directories=names(t.directory),
            categories=names(t.category),
            products=names(t.product),
            arches=names(t.arch),
            host_categories={(h, c): i for h, c, i in hc},
            next_id=next_id,
        )


def _files(*names: str) -> bytes | None:
    return encode_file_list([FileEntry(name=n, size=1000 + i, timestamp=1_713_990_000 + i)
                           for i, n in enumerate(names)])


def master_tree_tables(ids: Ids, loopback: Iterable[Loopback] = ()) -> dict[str, tuple]:
    """The ``bulk_load`` mapping of the master tree."""
    fedora, epel = ids.categories["Fedora Linux"], ids.categories["Fedora EPEL"]
    next_dir = ids.next_id["directory"]
    directories = {
        OS: (fedora, _files()),
        REPODATA: (fedora, _files("repomd.xml", "primary.xml.gz")),
        SRC: (fedora, _files()),
        f"{SRC}/repodata": (fedora, _files("repomd.xml")),
        UPD: (fedora, _files()),
        UPD_REPODATA: (fedora, _files("repomd.xml")),
        "pub/epel/9": (epel, None),
        EPEL: (epel, _files()),
        f"{EPEL}/repodata": (epel, _files("repomd.xml")),
        ORPHAN: (None, None),
    }
    dir_ids = dict(ids.directories)
    directory_rows = []
    for offset, (name, (_category, files)) in enumerate(directories.items()):
        dir_ids[name] = next_dir + offset
        directory_rows.append((dir_ids[name], name, files, True, 1_713_990_000))
    category_directory_rows = [
        (category, dir_ids[name]) for name, (category, _) in directories.items() if category
    ]

    v = ids.next_id["version"]
    fedora40, epel9 = v, v + 1
    version_rows = [(fedora40, "40", ids.products["Fedora"]), (epel9, "9", ids.products["EPEL"])]

    r = ids.next_id["repository"]
    x86, src = ids.arches["x86_64"], ids.arches["source"]
    repository_rows = [
        (r, "Fedora 40 x86_64", "fedora-40", fedora, fedora40, x86, dir_ids[OS], False),
        (r + 1, "Fedora 40 source", "fedora-source-40", fedora, fedora40, src, dir_ids[SRC], False),
        (r + 2, "Fedora 40 updates x86_64", "updates-released-f40", fedora, fedora40, x86,
         dir_ids[UPD], False),
        (r + 3, "EPEL 9 x86_64", "epel-9", epel, epel9, x86, dir_ids[EPEL], True),
        (r + 4, "orphan", "orphan-1", fedora, fedora40, x86, dir_ids[ORPHAN], False),
        # no version: not in RepoArchToDirectoryName, so not in the invalid-repo listing
        (r + 5, "unversioned", "unversioned", fedora, None, x86, dir_ids[OS], False),
    ]

    f = ids.next_id["file_detail"]
    file_detail_rows = [
        # inserted oldest first on purpose: the writer orders newest first
        (f, dir_ids[REPODATA], "repomd.xml", REPOMD_TIMES[2], len(REPOMD_OLD),
         digest("sha1", REPOMD_OLD), None, digest("sha256", REPOMD_OLD), None),
        (f + 1, dir_ids[REPODATA], "repomd.xml", REPOMD_TIMES[0], len(REPOMD_NEW),
         digest("sha1", REPOMD_NEW), digest("md5", REPOMD_NEW), digest("sha256", REPOMD_NEW),
         digest("sha512", REPOMD_NEW)),
        (f + 2, dir_ids[REPODATA], "repomd.xml", REPOMD_TIMES[1], len(REPOMD_MID),
         None, None, digest("sha256", REPOMD_MID), None),
        (f + 3, dir_ids[REPODATA], "primary.xml.gz", 1_714_000_300, 123, None, None,
         "f" * 64, None),
        (f + 4, dir_ids[f"{SRC}/repodata"], "repomd.xml", 1_714_000_050, 77, None, None,
         "5" * 64, None),
        # UPD_REPODATA has no file_detail: its metalink is a 404 failure document
    ]

    fedora_hc = {short: ids.host_categories[(name, "Fedora Linux")]
                 for short, name in SHORT_NAMES.items()}
    for name, _country, _urls in loopback:
        fedora_hc[name] = ids.host_categories[(name, "Fedora Linux")]
    up2date = {k: dict(v) for k, v in UP2DATE.items()}
    for name, _country, _urls in loopback:
        # a loopback host named "stale..." is stale for the repository, the others up to date
        fresh = not name.startswith("stale")
        up2date[OS][name] = fresh
        up2date[REPODATA][name] = fresh
    hcd_rows = []
    h = ids.next_id["host_category_dir"]
    for directory, hosts in up2date.items():
        for short, fresh in hosts.items():
            if directory == EPEL:
                hc_id = ids.host_categories[(SHORT_NAMES[short], "Fedora EPEL")]
                path = EPEL_SUB
            else:
                hc_id = fedora_hc[short]
                path = directory[len(FEDORA_TOP) + 1:]
            hcd_rows.append((h, hc_id, path, fresh, dir_ids[directory]))
            h += 1

    n = ids.next_id["netblock_country"]
    netblock_country_rows = [
        (n, "192.0.2.0/26", "JP"),  # overrides the GeoIP country (DE) of its addresses
        (n + 1, "172.16.0.0/12", "JP"),
    ]
    return {
        "directory": (("id", "name", "files", "readable", "ctime"), directory_rows),
        "category_directory": (("category_id", "directory_id"), category_directory_rows),
        "version": (("id", "name", "product_id"), version_rows),
        "repository": (("id", "name", "prefix", "category_id", "version_id", "arch_id",
                        "directory_id", "disabled"), repository_rows),
        "file_detail": (("id", "directory_id", "filename", "timestamp", "size", "sha1", "md5",
                         "sha256", "sha512"), file_detail_rows),
        "host_category_dir": (("id", "host_category_id", "path", "up2date", "directory_id"),
                              hcd_rows),
        "netblock_country": (("id", "netblock", "country"), netblock_country_rows),
    }


def load_master_tree(store: Any, loopback: Iterable[Loopback] = ()) -> None:
    """Bulk-load the master tree into a store that holds the deployment."""
    store.bulk_load(master_tree_tables(_read_ids(store.engine), list(loopback)))


def populate(store: Any, loopback: Iterable[Loopback] = ()) -> None:
    """Fill an upgraded, empty store: the deployment, then the master tree."""
    loopback = list(loopback)
    apply_deployment_file(store, deployment_toml(loopback))
    load_master_tree(store, loopback)


# --------------------------------------------------------------------------------------------
# cache, side files, service
# --------------------------------------------------------------------------------------------


def no_dns(name: str) -> list[str]:
    raise OSError(f"{name}: no DNS in tests")


def write_cache(store: Any, path: Path) -> Path:
    """``mirrormanager cache write`` through the protobuf writer (frozen clock)."""
    writer = ProtobufCacheWriter(resolver=no_dns, clock=lambda: CACHE_TIME)
    writer.write_blocking(store, path, MirrorlistConfig(dns_timeout=2.0))
    return path


GEOIP = [
    ("192.0.2.0/24", "DE"),
    ("198.51.100.0/24", "US"),
    ("203.0.113.0/24", "SE"),
    ("100.64.0.0/10", "FR"),
    ("2001:db8::/32", "AT"),
    ("3fff::/20", "JP"),
]

GLOBAL_NETBLOCKS = """\
198.18.0.0/15 64500
192.0.2.128/25 64501
2001:db8:ffff::/48 64501
"""


def write_geoip(path: Path) -> Path:
    writer = MMDBWriter(ip_version=6, database_type="GeoIP2-Country", languages=["en"],
                        description="end-to-end tests", ipv4_compatible=True)
    for network, country in GEOIP:
        writer.insert_network(netaddr.IPSet([network]), {"country": {"iso_code": country}})
    writer.to_db_file(str(path))
    return path


def write_side_files(directory: Path, cache: Path) -> InputPaths:
    netblocks = directory / "global_netblocks.txt"
    netblocks.write_text(GLOBAL_NETBLOCKS)
    return InputPaths(cache=cache, geoip=write_geoip(directory / "country.mmdb"),
                      netblocks=netblocks)


def load_service(paths: InputPaths, *, minimum: int, seed: int = 1,
                 use_plans: bool = True) -> ListService:
    inputs = Inputs(paths)
    inputs.load_all()
    return ListService(inputs, minimum=minimum, rng=random.Random(seed),
                       clock=lambda: PUBDATE_CLOCK, use_plans=use_plans)
