"""The domain model: one frozen attrs class per MirrorManager2 table that is still in use.

The classes mirror the MirrorManager2 schema (see ``mm2.md`` section 1) column for column, so that
a row read from an adopted MirrorManager2 database maps onto a class without renaming anything, and
so that readers of the upstream documentation find the same names here.  They are plain values:
no session, no lazy loading, no relationships -- a storage backend builds them from rows and the
engines pass them around freely between threads.

Left out on purpose:

* the legacy tables nothing reads any more (``site_to_site``, ``host_stats``, ``file_group``,
  ``file_detail_file_group``); the storage backend still creates them so an existing database can
  be adopted in place;
* the pickle columns (``host.config``, ``host.last_crawls``, ``host_stats.data``): their content
  would have to be unpickled to be useful, and unpickling database content is never safe;
* the tables no code handles as whole rows: the big ones the engines read and write through
  their use-case interfaces (``directory``, ``category_directory``, ``file_detail``,
  ``host_category_dir``, ``directory_exclusive_host``), the statistics (``propagation_stat``,
  ``access_stat``, ``access_stat_category``) and the group tables (``mm_group``,
  ``mm_user_group``, ``mm_user_visit``).  A class is added here when something reads its table
  as rows.

``directory.files`` is stored as JSON (see the storage backend); here it is a tuple of
:class:`FileEntry` sorted by name.
"""

from __future__ import annotations

import datetime
import json
import logging
import operator
from collections.abc import Iterable
from json.encoder import encode_basestring_ascii as _json_string  # type: ignore[attr-defined]
from typing import ClassVar

import attrs

__all__ = [
    "Arch",
    "Category",
    "Country",
    "CountryContinentRedirect",
    "EmbargoedCountry",
    "FileEntry",
    "Host",
    "HostAclIp",
    "HostCategory",
    "HostCategoryUrl",
    "HostCountry",
    "HostCountryAllowed",
    "HostLocation",
    "HostNetblock",
    "HostPeerAsn",
    "Location",
    "NetblockCountry",
    "Product",
    "Repository",
    "RepositoryRedirect",
    "Site",
    "SiteAdmin",
    "User",
    "Version",
]

# --------------------------------------------------------------------------------------------
# sites and hosts
# --------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Site:
    """An organisation running one or more mirror hosts; ``password`` authenticates
    report_mirror check-ins (a salted hash in this project, plain text in MirrorManager2)."""

    __table__: ClassVar[str] = "site"

    id: int | None = None
    name: str
    password: str | None = None
    org_url: str | None = None
    private: bool = False
    admin_active: bool = True
    user_active: bool = True
    created_at: datetime.datetime | None = None
    created_by: str
    all_sites_can_pull_from_me: bool = False
    downstream_comments: str | None = None
    email_on_drop: bool = False
    email_on_add: bool = False


@attrs.frozen(kw_only=True)
class SiteAdmin:
    """A user name allowed to manage a site (no uniqueness in MirrorManager2)."""

    __table__: ClassVar[str] = "site_admin"

    id: int | None = None
    username: str | None = None
    site_id: int


@attrs.frozen(kw_only=True)
class Host:
    """One mirror server of a site.  ``private`` hosts are only handed to clients matched by
    netblock or ASN; ``crawl_failures`` counts consecutive failed crawls for auto-disabling."""

    __table__: ClassVar[str] = "host"

    id: int | None = None
    name: str
    site_id: int | None = None
    robot_email: str | None = None
    admin_active: bool = True
    user_active: bool = True
    country: str
    bandwidth_int: int | None = 100
    comment: str | None = None
    last_checked_in: datetime.datetime | None = None
    last_crawled: datetime.datetime | None = None
    private: bool = False
    internet2: bool = False
    internet2_clients: bool = False
    asn: int | None = None
    asn_clients: bool = True
    max_connections: int = 1
    last_crawl_duration: int | None = 0
    crawl_failures: int = 0
    disable_reason: str | None = None
    push_ssh_private_key: str | None = None
    push_ssh_host: str | None = None
    push_ssh_command: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@attrs.frozen(kw_only=True)
class HostAclIp:
    """A host name or address allowed to rsync from the master (globally unique)."""

    __table__: ClassVar[str] = "host_acl_ip"

    id: int | None = None
    ip: str | None = None
    host_id: int | None = None


@attrs.frozen(kw_only=True)
class HostCountryAllowed:
    """Restricts a host to clients of these countries (``country`` is globally unique upstream)."""

    __table__: ClassVar[str] = "host_country_allowed"

    id: int | None = None
    country: str
    host_id: int | None = None


@attrs.frozen(kw_only=True)
class HostNetblock:
    """A CIDR block whose clients get this host first; ``name`` is a free label."""

    __table__: ClassVar[str] = "host_netblock"

    id: int | None = None
    netblock: str | None = None
    name: str | None = None
    host_id: int | None = None


@attrs.frozen(kw_only=True)
class HostPeerAsn:
    """An autonomous system whose clients are sent to this host."""

    __table__: ClassVar[str] = "host_peer_asn"

    id: int | None = None
    asn: int
    name: str | None = None
    host_id: int | None = None


@attrs.frozen(kw_only=True)
class Country:
    """An ISO 3166 two-letter code; only referenced by :class:`HostCountry`."""

    __table__: ClassVar[str] = "country"

    id: int | None = None
    code: str


@attrs.frozen(kw_only=True)
class HostCountry:
    """An extra country a host serves as if it were local."""

    __table__: ClassVar[str] = "host_country"

    id: int | None = None
    country_id: int
    host_id: int


@attrs.frozen(kw_only=True)
class Location:
    """A named group of hosts across sites (a cloud region, say) clients may ask for."""

    __table__: ClassVar[str] = "location"

    id: int | None = None
    name: str


@attrs.frozen(kw_only=True)
class HostLocation:
    """Membership of a host in a :class:`Location`."""

    __table__: ClassVar[str] = "host_location"

    id: int | None = None
    location_id: int
    host_id: int


# --------------------------------------------------------------------------------------------
# content: products, categories, directories, repositories, files
# --------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Product:
    """A distribution ("Fedora", "EPEL"); versions and categories belong to one."""

    __table__: ClassVar[str] = "product"

    id: int | None = None
    name: str
    publiclist: bool = True


@attrs.frozen(kw_only=True)
class Category:
    """A top-level tree mirrors carry as a whole ("Fedora Linux"), rooted at ``topdir_id``."""

    __table__: ClassVar[str] = "category"

    id: int | None = None
    name: str
    canonicalhost: str | None = "http://download.fedora.redhat.com"
    publiclist: bool = True
    geo_dns_domain: str | None = None
    admin_only: bool | None = False
    product_id: int | None = None
    topdir_id: int | None = None


@attrs.frozen(kw_only=True)
class Version:
    """A release of a product ("39", "rawhide"); unique by (name, product)."""

    __table__: ClassVar[str] = "version"

    id: int | None = None
    name: str | None = None
    codename: str | None = None
    is_test: bool = False
    display: bool = True
    display_name: str | None = None
    ordered_mirrorlist: bool = True
    sortorder: int = 0
    product_id: int | None = None


@attrs.frozen(kw_only=True)
class Arch:
    """A machine architecture as it appears in master-tree paths."""

    __table__: ClassVar[str] = "arch"

    id: int | None = None
    name: str
    publiclist: bool = True
    primary_arch: bool = True


@attrs.frozen
class FileEntry:
    """One file of a directory's listing: what the crawler compares against mirrors."""

    name: str
    size: int
    timestamp: int


#: a file of a listing as the scanner produces it: ``(name, size, mtime)``
FileTuple = tuple[str, int, int]

_FILE_ENTRY = '{"name":%s,"size":%d,"timestamp":%d}'
_by_name = operator.itemgetter(0)
log = logging.getLogger(__name__)


def encode_file_list(files: Iterable[FileEntry | FileTuple]) -> bytes:
    """``directory.files`` as MirrorManager2 stores it: a JSON list of
    ``{"name", "size", "timestamp"}`` sorted by name, compact separators, ASCII -- the bytes
    ``json.dumps(..., separators=(",", ":"))`` gives, several times faster (a first scan encodes
    one list per directory of the tree)."""
    entries = [
        (f.name, f.size, f.timestamp) if isinstance(f, FileEntry) else f for f in files
    ]
    if not entries:
        return b"[]"
    entries.sort(key=_by_name)
    return (
        "[" + ",".join([_FILE_ENTRY % (_json_string(n), s, t) for n, s, t in entries]) + "]"
    ).encode()


def decode_file_list(raw: bytes | memoryview | None, directory_name: str = "?") -> tuple[FileEntry, ...]:
    """Read ``directory.files``.  A value that is not this JSON (a MirrorManager1 pickle) is
    logged and read as an empty listing: unpickling data from a database could run code."""
    if raw is None:
        return ()
    try:
        entries = json.loads(bytes(raw))
        return tuple(
            sorted(
                (FileEntry(str(e["name"]), int(e["size"]), int(e["timestamp"])) for e in entries),
                key=lambda f: f.name,
            )
        )
    except (ValueError, TypeError, KeyError):
        log.warning(
            "directory %s: files column is not JSON (a legacy pickle?); treated as no file list",
            directory_name,
        )
        return ()


@attrs.frozen(kw_only=True)
class Repository:
    """A yum (or ostree) repository: the ``prefix`` and arch clients ask for with
    ``repo=...&arch=...``, mapped to the directory that holds it."""

    __table__: ClassVar[str] = "repository"

    id: int | None = None
    name: str
    prefix: str | None = None
    category_id: int | None = None
    version_id: int | None = None
    arch_id: int | None = None
    directory_id: int | None = None
    disabled: bool = False


# --------------------------------------------------------------------------------------------
# what a host carries
# --------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class HostCategory:
    """A host carrying a category; ``always_up2date`` makes the crawler skip it."""

    __table__: ClassVar[str] = "host_category"

    id: int | None = None
    host_id: int | None = None
    category_id: int | None = None
    always_up2date: bool = False


@attrs.frozen(kw_only=True)
class HostCategoryUrl:
    """A base URL of a host category (globally unique); ``private`` URLs are for downstream
    mirrors only and never handed to clients."""

    __table__: ClassVar[str] = "host_category_url"

    id: int | None = None
    host_category_id: int
    url: str
    private: bool = False


# --------------------------------------------------------------------------------------------
# redirects and overrides
# --------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class RepositoryRedirect:
    """Aliases a repository prefix to another (strings, so the target may not exist yet)."""

    __table__: ClassVar[str] = "repository_redirect"

    id: int | None = None
    from_repo: str
    to_repo: str | None = None


@attrs.frozen(kw_only=True)
class CountryContinentRedirect:
    """Overrides the continent of a country for the continent fallback."""

    __table__: ClassVar[str] = "country_continent_redirect"

    id: int | None = None
    country: str
    continent: str


@attrs.frozen(kw_only=True)
class EmbargoedCountry:
    """Clients from this country get no mirrors."""

    __table__: ClassVar[str] = "embargoed_country"

    id: int | None = None
    country_code: str


@attrs.frozen(kw_only=True)
class NetblockCountry:
    """Overrides the GeoIP country of a netblock."""

    __table__: ClassVar[str] = "netblock_country"

    id: int | None = None
    netblock: str
    country: str


# --------------------------------------------------------------------------------------------
# local authentication
# --------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class User:
    """A local account (only used with local authentication); ``password`` is a salted hash."""

    __table__: ClassVar[str] = "mm_user"

    id: int | None = None
    user_name: str
    email_address: str
    display_name: str | None = None
    password: str | None = None
    token: str | None = None
    created: datetime.datetime | None = None
    updated_on: datetime.datetime | None = None
