"""A small MirrorManager database that exercises every rule of the cache writer (spec §5.2).

Inserted through the pg_store schema with explicit ids, so SQLite and PostgreSQL hold exactly the
same content.  The comments say what each row is there to test.
"""

from __future__ import annotations

import sqlalchemy as sa
from mirrormanager_pg_store import schema as t

FEDORA_TOP = "pub/fedora/linux"
F40_X86 = "pub/fedora/linux/releases/40/Everything/x86_64/os"
F40_ARM = "pub/fedora/linux/releases/40/Everything/aarch64/os"
EPEL_TOP = "pub/epel"
EPEL9_X86 = "pub/epel/9/Everything/x86_64"
ARCHIVE_TOP = "pub/archive"
ARCHIVE_OLD = "pub/archive/old"
ORPHAN = "pub/orphan"
NOTOP_DIR = "pub/notop/x"


def _site(id: int, name: str, **kw: object) -> dict:
    return {"id": id, "name": name, "created_by": "test", **kw}


def _host(id: int, site_id: int, name: str, country: str, **kw: object) -> dict:
    row = {
        "id": id,
        "site_id": site_id,
        "name": name,
        "country": country,
        "bandwidth_int": 100,
        "asn": None,
        "asn_clients": True,
        "max_connections": 1,
        "private": False,
        "internet2": False,
        "internet2_clients": False,
        "user_active": True,
        "admin_active": True,
    }
    row.update(kw)
    return row


def rows() -> list[tuple[sa.Table, list[dict]]]:
    """Every row of the small database, table by table in foreign-key order."""
    return [
        (t.site, [
            _site(1, "public site"),
            _site(2, "private site", private=True),
            _site(3, "site disabled by admins", admin_active=False),
        ]),
        (t.host, [
            # active public host: lower-case country, bandwidth above the clamp, serves its ASN
            _host(1, 1, "m1.example.org", "de", bandwidth_int=50_000, asn=100, asn_clients=True,
                  max_connections=4),
            # active public host on Internet2, bandwidth below the clamp, ASN but not asn_clients
            _host(2, 1, "m2.example.org", "US", bandwidth_int=0, internet2=True, asn=200,
                  asn_clients=False),
            # on a private site, no Internet2 clients: only in ByHostId
            _host(3, 2, "p3.example.org", "DE", asn=100),
            # on a private site, Internet2 with Internet2 clients: ByHostId and ByCountryInternet2
            _host(4, 2, "p4.example.org", "CZ", internet2=True, internet2_clients=True),
            # disabled by its user: nowhere except the every-host caches
            _host(5, 1, "off5.example.org", "FR", user_active=False),
            # its site is disabled by the admins (upstream's old Python writer missed this)
            _host(6, 3, "sitedown6.example.org", "IT"),
            # NULL bandwidth (weight 100), always up to date, no URL in its category
            _host(7, 1, "m7.example.org", "gb", bandwidth_int=None, asn=300),
        ]),
        (t.host_country_allowed, [
            {"id": 1, "host_id": 1, "country": "de"},
            {"id": 2, "host_id": 1, "country": "AT"},
            {"id": 3, "host_id": 5, "country": "FR"},  # inactive host: left out
            {"id": 4, "host_id": 3, "country": "ch"},
        ]),
        (t.host_netblock, [
            {"id": 1, "host_id": 1, "netblock": "192.0.2.0/24", "name": "lan"},
            {"id": 2, "host_id": 1, "netblock": " 10.1.2.3/8 ", "name": "host bits kept"},
            {"id": 3, "host_id": 2, "netblock": "192.0.2.0/24", "name": "shared"},
            {"id": 4, "host_id": 2, "netblock": "mirror.example.test", "name": "dns"},
            {"id": 5, "host_id": 2, "netblock": "garbage/99", "name": "skipped"},
            {"id": 6, "host_id": 5, "netblock": "203.0.113.0/24", "name": "inactive host"},
            {"id": 7, "host_id": 1, "netblock": "198.18.0.0/255.254.0.0", "name": "netmask"},
            {"id": 8, "host_id": 3, "netblock": "2001:DB8:1::/48", "name": "v6"},
            {"id": 9, "host_id": 3, "netblock": "198.51.100.1", "name": "bare"},
            {"id": 10, "host_id": 4, "netblock": "unresolvable.example.test", "name": "nx"},
        ]),
        (t.directory, [
            {"id": 1, "name": FEDORA_TOP},
            {"id": 2, "name": F40_X86},
            {"id": 3, "name": F40_ARM},
            {"id": 4, "name": EPEL_TOP},
            {"id": 5, "name": EPEL9_X86},
            {"id": 6, "name": ARCHIVE_OLD},
            {"id": 7, "name": ORPHAN},
            {"id": 8, "name": ARCHIVE_TOP},
            {"id": 9, "name": NOTOP_DIR},
        ]),
        (t.product, [{"id": 1, "name": "Fedora"}, {"id": 2, "name": "EPEL"}]),
        (t.category, [
            {"id": 1, "name": "Fedora Linux", "product_id": 1, "topdir_id": 1},
            {"id": 2, "name": "Fedora EPEL", "product_id": 2, "topdir_id": 4},
            # has directories but no host categories: upstream's writer panics here
            {"id": 3, "name": "Fedora Archive", "product_id": 1, "topdir_id": 8},
            # no top directory: its directories get no MirrorListCache entry
            {"id": 4, "name": "No Topdir", "product_id": 1, "topdir_id": None},
        ]),
        (t.category_directory, [
            {"category_id": c, "directory_id": d}
            for c, d in [(1, 1), (1, 2), (1, 3), (2, 4), (2, 5), (3, 8), (3, 6), (4, 9)]
        ]),
        (t.arch, [{"id": 1, "name": "x86_64"}, {"id": 2, "name": "aarch64"}]),
        (t.version, [{"id": 1, "name": "40", "product_id": 1}, {"id": 2, "name": "9", "product_id": 2}]),
        (t.repository, [
            {"id": 1, "name": F40_X86, "prefix": "fedora-40", "category_id": 1, "version_id": 1,
             "arch_id": 1, "directory_id": 2},
            {"id": 2, "name": F40_ARM, "prefix": "fedora-40", "category_id": 1, "version_id": 1,
             "arch_id": 2, "directory_id": 3},
            {"id": 3, "name": EPEL9_X86, "prefix": "epel-9", "category_id": 2, "version_id": 2,
             "arch_id": 1, "directory_id": 5, "disabled": True},
            # no prefix: not in RepoArchToDirectoryName
            {"id": 4, "name": FEDORA_TOP, "prefix": None, "category_id": 1, "version_id": 1,
             "arch_id": 1, "directory_id": 1},
            # no version: ignored altogether (even though disabled)
            {"id": 5, "name": "pub/fedora/linux/other", "prefix": "nover", "category_id": 1,
             "version_id": None, "arch_id": 1, "directory_id": 3, "disabled": True},
        ]),
        (t.host_category, [
            {"id": 1, "host_id": 1, "category_id": 1, "always_up2date": False},
            {"id": 2, "host_id": 2, "category_id": 1, "always_up2date": False},
            {"id": 3, "host_id": 3, "category_id": 1, "always_up2date": False},
            {"id": 4, "host_id": 4, "category_id": 1, "always_up2date": False},
            {"id": 5, "host_id": 5, "category_id": 1, "always_up2date": False},
            {"id": 6, "host_id": 6, "category_id": 1, "always_up2date": False},
            {"id": 7, "host_id": 7, "category_id": 1, "always_up2date": True},
            {"id": 8, "host_id": 1, "category_id": 2, "always_up2date": False},
            {"id": 9, "host_id": 2, "category_id": 2, "always_up2date": True},
            {"id": 10, "host_id": None, "category_id": 2, "always_up2date": True},
        ]),
        (t.host_category_url, [
            # address families as a crawl records them (NULL: not checked, or no address)
            {"id": 1, "host_category_id": 1, "url": "http://m1.example.org/fedora",
             "ipv4": True, "ipv6": False},
            {"id": 2, "host_category_id": 1, "url": "rsync://m1.example.org/fedora",
             "ipv4": True},
            {"id": 3, "host_category_id": 1, "url": "https://internal.m1/fedora", "private": True,
             "ipv4": True, "ipv6": True},
            {"id": 4, "host_category_id": 2, "url": "https://m2.example.org/pub/fedora/linux/",
             "ipv6": True},
            {"id": 5, "host_category_id": 3, "url": "http://p3.example.org/fedora"},
            {"id": 6, "host_category_id": 4, "url": "http://p4.example.org/fedora"},
            {"id": 7, "host_category_id": 8, "url": "http://m1.example.org/epel"},
            {"id": 8, "host_category_id": 9, "url": "ftp://m2.example.org/epel"},
            {"id": 9, "host_category_id": 5, "url": "http://off5.example.org/fedora"},
            {"id": 10, "host_category_id": 6, "url": "http://sitedown6.example.org/fedora"},
        ]),
        (t.host_category_dir, [
            {"id": 1, "host_category_id": 1, "path": "", "directory_id": 1, "up2date": True},
            # inserted out of order on purpose: the writer sorts
            {"id": 2, "host_category_id": 6, "path": "releases/40/Everything/x86_64/os",
             "directory_id": 2, "up2date": True},
            {"id": 3, "host_category_id": 2, "path": "releases/40/Everything/x86_64/os",
             "directory_id": 2, "up2date": True},
            {"id": 4, "host_category_id": 1, "path": "releases/40/Everything/x86_64/os",
             "directory_id": 2, "up2date": True},
            {"id": 5, "host_category_id": 3, "path": "releases/40/Everything/x86_64/os",
             "directory_id": 2, "up2date": True},
            {"id": 6, "host_category_id": 4, "path": "releases/40/Everything/x86_64/os",
             "directory_id": 2, "up2date": True},
            {"id": 7, "host_category_id": 5, "path": "releases/40/Everything/x86_64/os",
             "directory_id": 2, "up2date": True},
            {"id": 8, "host_category_id": 1, "path": "releases/40/Everything/aarch64/os",
             "directory_id": 3, "up2date": True},
            # stale: host 2 is not listed for aarch64
            {"id": 9, "host_category_id": 2, "path": "releases/40/Everything/aarch64/os",
             "directory_id": 3, "up2date": False},
            {"id": 10, "host_category_id": 8, "path": "9/Everything/x86_64", "directory_id": 5,
             "up2date": True},
            # a Fedora host category pointing into EPEL's directory: not EPEL's host, ignored
            {"id": 11, "host_category_id": 1, "path": "../epel", "directory_id": 5,
             "up2date": True},
            # no directory
            {"id": 12, "host_category_id": 2, "path": "gone", "directory_id": None,
             "up2date": True},
        ]),
        (t.file_detail, [
            {"id": 1, "directory_id": 2, "filename": "repomd.xml", "timestamp": 100, "size": 10,
             "sha256": "a" * 64, "sha512": "b" * 128},
            {"id": 2, "directory_id": 2, "filename": "repomd.xml", "timestamp": 300, "size": 30,
             "sha1": "c" * 40, "md5": "d" * 32, "sha256": "e" * 64, "sha512": "f" * 128},
            {"id": 3, "directory_id": 2, "filename": "repomd.xml", "timestamp": None,
             "size": None, "sha256": "0" * 64},
            {"id": 4, "directory_id": 2, "filename": "repomd.xml", "timestamp": 200, "size": 20},
            {"id": 5, "directory_id": 2, "filename": "Äpfel.xml", "timestamp": 5, "size": 1},
            {"id": 6, "directory_id": 2, "filename": "other.xml", "timestamp": 50, "size": 5},
            {"id": 7, "directory_id": 7, "filename": "repomd.xml", "timestamp": 7, "size": 7},
        ]),
        (t.repository_redirect, [
            {"id": 1, "from_repo": "fedora-rawhide", "to_repo": "rawhide"},
            {"id": 2, "from_repo": "dropped", "to_repo": None},
            {"id": 3, "from_repo": "epel-8-old", "to_repo": "epel-8"},
        ]),
        (t.country_continent_redirect, [
            {"id": 1, "country": "IL", "continent": "EU"},
            {"id": 2, "country": "AM", "continent": "EU"},
        ]),
        (t.netblock_country, [
            {"id": 2, "netblock": "192.0.2.0/24", "country": "DE"},
            {"id": 1, "netblock": "2001:db8::/32", "country": "NL"},
        ]),
    ]


def _complete(table: sa.Table, table_rows: list[dict]) -> list[dict]:
    """Give every row the same keys (an executemany needs them): absent -> column default."""
    keys = {key for row in table_rows for key in row}
    defaults = {}
    for key in keys:
        default = table.c[key].default
        defaults[key] = default.arg if default is not None and default.is_scalar else None
    return [{**defaults, **row} for row in table_rows]


def populate(engine: sa.Engine) -> None:
    """Insert :func:`rows` in one transaction."""
    with engine.begin() as conn:
        for table, table_rows in rows():
            conn.execute(table.insert(), _complete(table, table_rows))


def fake_resolver(name: str) -> list[str]:
    """DNS without the network: one known name, everything else fails."""
    if name == "mirror.example.test":
        return ["198.51.100.7", "2001:db8::7", "198.51.100.7"]
    raise OSError(f"{name}: Name or service not known")
