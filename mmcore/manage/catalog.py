"""Which tables can be managed, with which fields, owned by what, settable by whom.

One :class:`Kind` per MirrorManager2 table a frontend edits.  The store accepts only these
tables and these columns (a whitelist: nothing else can be written through the generic row
operations), and the service parses every submitted value by its :class:`Field`.

Ownership: a kind with ``parent`` belongs to a row of the parent kind (``host_netblock`` to a
``host``, ``host_category_url`` to a ``host_category``); following parents leads to a ``site``,
whose admins may manage everything under it (see :mod:`mmcore.manage.rules`).  A kind without a
parent other than ``site`` is an admin table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from mmcore import model

#: ``Field.kind`` values
FIELD_KINDS = frozenset({
    "text", "longtext", "bool", "int", "country", "continent", "netblock", "url", "hostname",
    "email", "username", "password", "ref", "directory", "country_ref",
})


@attrs.frozen
class Field:
    """One editable column."""

    #: the column name (MirrorManager2's)
    name: str
    #: how the value is parsed (one of :data:`FIELD_KINDS`)
    kind: str = attrs.field(validator=attrs.validators.in_(FIELD_KINDS))
    label: str = ""
    required: bool = False
    #: only MirrorManager admins may set it; a site admin's edit keeps the stored value and a
    #: site admin's create takes the default
    admin_only: bool = False
    #: the referenced table of a ``ref`` field
    ref: str | None = None
    #: text length cap
    max_length: int = 255
    #: number range of an ``int`` field
    minimum: int | None = None
    maximum: int | None = None
    #: what a create gets when the form leaves the field out
    default: Any = None
    help: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ")


@attrs.frozen
class Kind:
    """A managed table."""

    table: str
    #: singular noun for pages and messages
    label: str
    model: type
    fields: tuple[Field, ...]
    #: the owning kind's table and this table's column pointing at it
    parent: str | None = None
    parent_column: str | None = None
    #: only MirrorManager admins may create, change or delete rows of this kind
    admin_only: bool = False
    #: rows can be changed after creation (else: add and delete only)
    editable: bool = True
    #: the column naming a row in lists and messages
    title_column: str = "name"
    #: list order
    order_by: tuple[str, ...] = ("id",)

    def field(self, name: str) -> Field:
        for field in self.fields:
            if field.name == name:
                return field
        raise KeyError(f"{self.table} has no field {name!r}")

    @property
    def columns(self) -> tuple[str, ...]:
        extra = (self.parent_column,) if self.parent_column else ()
        return tuple(f.name for f in self.fields) + extra


def _kind(table: str, label: str, model_cls: type, *fields: Field, **options: Any) -> Kind:
    return Kind(table, label, model_cls, tuple(fields), **options)


F = Field
_BOOL = "bool"

KINDS: Mapping[str, Kind] = {kind.table: kind for kind in (
    # ---- sites and what they own ------------------------------------------------------------
    _kind(
        "site", "site", model.Site,
        F("name", "text", required=True),
        F("password", "password", label="report_mirror password",
          help="leave empty to keep the current one"),
        F("org_url", "url", label="organisation URL"),
        F("private", _BOOL, default=False),
        F("user_active", _BOOL, label="active (user)", default=True),
        F("admin_active", _BOOL, label="active (admin)", admin_only=True, default=True),
        F("all_sites_can_pull_from_me", _BOOL, default=False),
        F("downstream_comments", "longtext", max_length=4096),
        F("email_on_drop", _BOOL, default=False),
        F("email_on_add", _BOOL, default=False),
    ),
    _kind(
        "site_admin", "site admin", model.SiteAdmin,
        F("username", "username", label="user name", required=True),
        parent="site", parent_column="site_id", editable=False, title_column="username",
        order_by=("username",),
    ),
    _kind(
        "host", "host", model.Host,
        F("name", "hostname", required=True),
        F("country", "country", required=True),
        F("bandwidth_int", "int", label="bandwidth (Mbit/s)", required=True, minimum=0,
          maximum=10**7, default=100),
        F("max_connections", "int", required=True, minimum=1, maximum=1000, default=1),
        F("private", _BOOL, default=False),
        F("internet2", _BOOL, default=False),
        F("internet2_clients", _BOOL, default=False),
        F("asn", "int", label="ASN", minimum=0, maximum=2**32 - 1),
        F("asn_clients", _BOOL, label="serve clients of the same ASN", default=True),
        F("robot_email", "email", label="robot e-mail"),
        F("comment", "longtext", max_length=4096),
        F("user_active", _BOOL, label="active (user)", default=True),
        F("admin_active", _BOOL, label="active (admin)", admin_only=True, default=True),
        F("disable_reason", "text", admin_only=True, max_length=1024),
        parent="site", parent_column="site_id", order_by=("name",),
    ),
    _kind(
        "host_category", "host category", model.HostCategory,
        F("category_id", "ref", label="category", ref="category", required=True),
        F("always_up2date", _BOOL, label="always up to date", admin_only=True, default=False),
        parent="host", parent_column="host_id", title_column="category_id",
    ),
    _kind(
        "host_category_url", "URL", model.HostCategoryUrl,
        F("url", "url", label="URL", required=True, max_length=1024),
        F("private", _BOOL, admin_only=True, default=False,
          help="for downstream mirrors only; never handed to clients"),
        parent="host_category", parent_column="host_category_id", editable=False,
        title_column="url", order_by=("url",),
    ),
    _kind(
        "host_netblock", "netblock", model.HostNetblock,
        F("netblock", "netblock", required=True),
        F("name", "text"),
        parent="host", parent_column="host_id", editable=False, title_column="netblock",
        order_by=("netblock",),
    ),
    _kind(
        "host_peer_asn", "peer ASN", model.HostPeerAsn,
        F("asn", "int", label="ASN", required=True, minimum=0, maximum=2**32 - 1),
        F("name", "text"),
        parent="host", parent_column="host_id", admin_only=True, editable=False,
        title_column="asn", order_by=("asn",),
    ),
    _kind(
        "host_country_allowed", "allowed country", model.HostCountryAllowed,
        F("country", "country", required=True),
        parent="host", parent_column="host_id", editable=False, title_column="country",
        order_by=("country",),
    ),
    _kind(
        "host_country", "served country", model.HostCountry,
        F("country_id", "country_ref", label="country", required=True),
        parent="host", parent_column="host_id", editable=False, title_column="country_id",
    ),
    _kind(
        "host_acl_ip", "ACL IP", model.HostAclIp,
        F("ip", "hostname", label="host name or address", required=True),
        parent="host", parent_column="host_id", editable=False, title_column="ip",
        order_by=("ip",),
    ),
    _kind(
        "host_location", "location", model.HostLocation,
        F("location_id", "ref", label="location", ref="location", required=True),
        parent="host", parent_column="host_id", admin_only=True, editable=False,
        title_column="location_id",
    ),
    # ---- admin tables -----------------------------------------------------------------------
    _kind(
        "product", "product", model.Product,
        F("name", "text", required=True),
        F("publiclist", _BOOL, label="public", default=True),
        admin_only=True, order_by=("name",),
    ),
    _kind(
        "version", "version", model.Version,
        F("name", "text", required=True),
        F("product_id", "ref", label="product", ref="product", required=True),
        F("codename", "text"),
        F("display_name", "text"),
        F("is_test", _BOOL, label="test release", default=False),
        F("display", _BOOL, default=True),
        F("ordered_mirrorlist", _BOOL, default=True),
        F("sortorder", "int", default=0, minimum=-10**6, maximum=10**6),
        admin_only=True, order_by=("product_id", "sortorder", "name"),
    ),
    _kind(
        "arch", "architecture", model.Arch,
        F("name", "text", required=True),
        F("publiclist", _BOOL, label="public", default=True),
        F("primary_arch", _BOOL, label="primary", default=True),
        admin_only=True, order_by=("name",),
    ),
    _kind(
        "category", "category", model.Category,
        F("name", "text", required=True),
        F("product_id", "ref", label="product", ref="product"),
        F("topdir_id", "directory", label="top directory"),
        F("canonicalhost", "url", label="canonical host"),
        F("geo_dns_domain", "text"),
        F("publiclist", _BOOL, label="public", default=True),
        F("admin_only", _BOOL, label="only admins may add it to a host", default=False),
        admin_only=True, order_by=("name",),
    ),
    _kind(
        "repository", "repository", model.Repository,
        F("name", "text", required=True, max_length=1024),
        F("prefix", "text"),
        F("category_id", "ref", label="category", ref="category"),
        F("version_id", "ref", label="version", ref="version"),
        F("arch_id", "ref", label="architecture", ref="arch"),
        F("directory_id", "directory", label="directory"),
        F("disabled", _BOOL, default=False),
        admin_only=True, order_by=("prefix", "arch_id"),
    ),
    _kind(
        "repository_redirect", "repository redirect", model.RepositoryRedirect,
        F("from_repo", "text", label="from", required=True),
        F("to_repo", "text", label="to"),
        admin_only=True, title_column="from_repo", order_by=("from_repo",),
    ),
    _kind(
        "country_continent_redirect", "country-continent redirect",
        model.CountryContinentRedirect,
        F("country", "country", required=True),
        F("continent", "continent", required=True),
        admin_only=True, title_column="country", order_by=("country",),
    ),
    _kind(
        "embargoed_country", "embargoed country", model.EmbargoedCountry,
        F("country_code", "country", label="country", required=True),
        admin_only=True, title_column="country_code", order_by=("country_code",),
    ),
    _kind(
        "location", "location", model.Location,
        F("name", "text", required=True),
        admin_only=True, order_by=("name",),
    ),
    _kind(
        "netblock_country", "netblock country", model.NetblockCountry,
        F("netblock", "netblock", required=True),
        F("country", "country", required=True),
        admin_only=True, title_column="netblock", order_by=("netblock",),
    ),
    _kind(
        "country", "country", model.Country,
        F("code", "country", required=True),
        admin_only=True, title_column="code", order_by=("code",),
    ),
)}

#: the admin tables, in the order the admin pages list them
ADMIN_TABLES: tuple[str, ...] = (
    "product", "version", "arch", "category", "repository", "repository_redirect",
    "country_continent_redirect", "embargoed_country", "location", "netblock_country", "country",
)

#: what a host owns directly, in the order the host page shows it
HOST_CHILDREN: tuple[str, ...] = (
    "host_category", "host_netblock", "host_peer_asn", "host_country_allowed", "host_country",
    "host_acl_ip", "host_location",
)


def kind(table: str) -> Kind:
    """The kind of ``table``; :class:`KeyError` for a table that cannot be managed."""
    return KINDS[table]
