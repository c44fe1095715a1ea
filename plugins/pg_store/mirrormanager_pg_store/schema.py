"""The complete MirrorManager2 schema as SQLAlchemy Core tables.

Every table of MirrorManager2 is here -- the legacy ones too (``site_to_site``, ``host_stats``,
``file_group``, ``file_detail_file_group``, ``country``) -- with MirrorManager2's table, column,
constraint and index names, so that an existing MirrorManager2 database can be adopted in place
and this one can be read by MirrorManager2's tools.

Differences from upstream, all additive:

* columns with a default also get a *server* default, so rows written without an ORM (bulk
  loads, other tools) get the same values;
* a few extra indexes on foreign keys our queries join on (named ``ix_<table>_<column>``).

This module is the reference the migrations are checked against (see ``tests/test_store.py``);
the migrations themselves spell out every table explicitly so later revisions can chain on them.

``directory.files`` holds JSON bytes: a list ``[{"name": .., "size": .., "timestamp": ..}]``
sorted by name.  Old MirrorManager1 databases may hold a pickle there instead; it is never
unpickled (unpickling database content can execute code) -- it reads as "no file list".
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa

#: The naming convention of MirrorManager2 (sqlalchemy_helpers), so generated names match.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: ``Column.info`` of the columns this project adds to MirrorManager2's tables (its migrations
#: add them; ``db adopt`` does not expect them in a MirrorManager2 database)
OURS = {"mm2": False}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

TRUE = sa.true()
FALSE = sa.false()


def _utcnow() -> datetime.datetime:
    """Naive UTC, as MirrorManager2 stores its timestamps."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True)


def _flag(name: str, default: bool, *, nullable: bool = False, index: bool = False) -> sa.Column:
    """A boolean column with the same default on the Python and the server side."""
    return sa.Column(
        name,
        sa.Boolean,
        nullable=nullable,
        default=default,
        server_default=TRUE if default else FALSE,
        index=index,
    )


#: an AS number column: BIGINT on PostgreSQL, INTEGER (64-bit) on SQLite
ASN = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _int(name: str, default: int, *, nullable: bool = False, big: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.BigInteger if big else sa.Integer,
        nullable=nullable,
        default=default,
        server_default=sa.text(str(default)),
    )


def _fk(name: str, target: str, *, nullable: bool, ondelete: str | None = None,
        onupdate: str | None = None, **kw: object) -> sa.Column:
    return sa.Column(
        name,
        sa.Integer,
        sa.ForeignKey(target, ondelete=ondelete, onupdate=onupdate),
        nullable=nullable,
        **kw,
    )


# --------------------------------------------------------------------------------------------
# sites and hosts
# --------------------------------------------------------------------------------------------

site = sa.Table(
    "site",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False, index=True),
    sa.Column("password", sa.Text, nullable=True),
    sa.Column("org_url", sa.Text, nullable=True),
    _flag("private", False, index=True),
    _flag("admin_active", True, index=True),
    _flag("user_active", True, index=True),
    sa.Column("created_at", sa.DateTime, nullable=False, default=_utcnow,
              server_default=sa.func.current_timestamp(), index=True),
    sa.Column("created_by", sa.Text, nullable=False),
    _flag("all_sites_can_pull_from_me", False),
    sa.Column("downstream_comments", sa.Text, nullable=True),
    _flag("email_on_drop", False),
    _flag("email_on_add", False),
)

site_admin = sa.Table(
    "site_admin",
    metadata,
    _id(),
    sa.Column("username", sa.Text, nullable=True),
    _fk("site_id", "site.id", nullable=False, index=True),
)

site_to_site = sa.Table(
    "site_to_site",
    metadata,
    _id(),
    sa.Column("username", sa.Text, nullable=True),
    sa.Column("password", sa.Text, nullable=True),
    _fk("upstream_site_id", "site.id", nullable=False),
    _fk("downstream_site_id", "site.id", nullable=False),
    sa.UniqueConstraint("upstream_site_id", "downstream_site_id", name="site_to_site_idx"),
    sa.UniqueConstraint("upstream_site_id", "username", name="site_to_site_username_idx"),
)

country = sa.Table(
    "country",
    metadata,
    _id(),
    sa.Column("code", sa.Text, nullable=False, unique=True),
)

host = sa.Table(
    "host",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False, index=True),
    _fk("site_id", "site.id", nullable=True),
    sa.Column("robot_email", sa.Text, nullable=True),
    _flag("admin_active", True, index=True),
    _flag("user_active", True, index=True),
    sa.Column("country", sa.Text, nullable=False, index=True),
    _int("bandwidth_int", 100, nullable=True),
    sa.Column("comment", sa.Text, nullable=True),
    # a pickle upstream (last report_mirror upload); never unpickled here
    sa.Column("config", sa.LargeBinary, nullable=True),
    sa.Column("last_checked_in", sa.DateTime, nullable=True),
    sa.Column("last_crawled", sa.DateTime, nullable=True),
    _flag("private", False, index=True),
    _flag("internet2", False),
    _flag("internet2_clients", False),
    # 32-bit unsigned AS numbers (RFC 6793) do not fit PostgreSQL's INTEGER (upstream's type);
    # SQLite's INTEGER already holds 64 bits (migration 0004)
    sa.Column("asn", ASN, nullable=True),
    _flag("asn_clients", True),
    _int("max_connections", 1),
    sa.Column("last_crawl_duration", sa.BigInteger, nullable=True, default=0,
              server_default=sa.text("0"), index=True),
    _int("crawl_failures", 0),
    sa.Column("disable_reason", sa.Text, nullable=True),
    sa.Column("push_ssh_private_key", sa.Text, nullable=True),
    sa.Column("push_ssh_host", sa.Text, nullable=True),
    sa.Column("push_ssh_command", sa.Text, nullable=True),
    # a pickle upstream (crawl history); never unpickled here
    sa.Column("last_crawls", sa.LargeBinary, nullable=True),
    sa.Column("latitude", sa.Float, nullable=True),
    sa.Column("longitude", sa.Float, nullable=True),
    sa.UniqueConstraint("site_id", "name", name="host_idx"),
)

host_acl_ip = sa.Table(
    "host_acl_ip",
    metadata,
    _id(),
    sa.Column("ip", sa.Text, nullable=True, unique=True),
    _fk("host_id", "host.id", nullable=True),
    sa.UniqueConstraint("host_id", "ip", name="host_acl_ip_hipindex"),
)

host_country_allowed = sa.Table(
    "host_country_allowed",
    metadata,
    _id(),
    # globally unique upstream (only one host may restrict itself to a country); kept as is
    sa.Column("country", sa.Text, nullable=False, unique=True),
    _fk("host_id", "host.id", nullable=True, index=True),
)

host_netblock = sa.Table(
    "host_netblock",
    metadata,
    _id(),
    sa.Column("netblock", sa.Text, nullable=True),
    sa.Column("name", sa.Text, nullable=True),
    _fk("host_id", "host.id", nullable=True, index=True),
)

host_peer_asn = sa.Table(
    "host_peer_asn",
    metadata,
    _id(),
    sa.Column("asn", ASN, nullable=False),
    sa.Column("name", sa.Text, nullable=True),
    _fk("host_id", "host.id", nullable=True),
    sa.UniqueConstraint("host_id", "asn", name="host_peer_asn_idx"),
)

host_country = sa.Table(
    "host_country",
    metadata,
    _id(),
    _fk("country_id", "country.id", nullable=False),
    _fk("host_id", "host.id", nullable=False),
    sa.UniqueConstraint("host_id", "country_id", name="host_country_hlidx"),
)

host_stats = sa.Table(
    "host_stats",
    metadata,
    _id(),
    sa.Column("timestamp", sa.DateTime, nullable=False, default=_utcnow,
              server_default=sa.func.current_timestamp()),
    sa.Column("type", sa.Text, nullable=True),
    # a pickle upstream; legacy, unused, never unpickled here
    sa.Column("data", sa.LargeBinary, nullable=True),
    _fk("host_id", "host.id", nullable=True, index=True),
)

location = sa.Table(
    "location",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False, unique=True),
)

host_location = sa.Table(
    "host_location",
    metadata,
    _id(),
    _fk("location_id", "location.id", nullable=False),
    _fk("host_id", "host.id", nullable=False, index=True),
    sa.UniqueConstraint("location_id", "host_id", name="host_location_hlidx"),
)

# --------------------------------------------------------------------------------------------
# content
# --------------------------------------------------------------------------------------------

product = sa.Table(
    "product",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    _flag("publiclist", True),
)

directory = sa.Table(
    "directory",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    # JSON bytes, see mmcore.model.encode_file_list / decode_file_list
    sa.Column("files", sa.LargeBinary, nullable=True),
    _flag("readable", True, index=True),
    _int("ctime", 0, nullable=True, big=True),
)

category = sa.Table(
    "category",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("canonicalhost", sa.Text, nullable=True,
              default="http://download.fedora.redhat.com",
              server_default="http://download.fedora.redhat.com"),
    _flag("publiclist", True),
    sa.Column("geo_dns_domain", sa.Text, nullable=True),
    _flag("admin_only", False, nullable=True),
    _fk("product_id", "product.id", nullable=True),
    _fk("topdir_id", "directory.id", nullable=True),
)

category_directory = sa.Table(
    "category_directory",
    metadata,
    sa.Column("category_id", sa.Integer, sa.ForeignKey("category.id"), primary_key=True),
    sa.Column("directory_id", sa.Integer, sa.ForeignKey("directory.id"), primary_key=True,
              index=True),
)

arch = sa.Table(
    "arch",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    _flag("publiclist", True),
    _flag("primary_arch", True),
)

version = sa.Table(
    "version",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=True),
    sa.Column("codename", sa.Text, nullable=True),
    _flag("is_test", False),
    _flag("display", True),
    sa.Column("display_name", sa.Text, nullable=True),
    _flag("ordered_mirrorlist", True),
    _int("sortorder", 0),
    _fk("product_id", "product.id", nullable=True, index=True),
    sa.UniqueConstraint("name", "product_id", name="version_idx"),
)

repository = sa.Table(
    "repository",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("prefix", sa.Text, nullable=True, index=True),
    _fk("category_id", "category.id", nullable=True),
    _fk("version_id", "version.id", nullable=True),
    _fk("arch_id", "arch.id", nullable=True),
    _fk("directory_id", "directory.id", nullable=True),
    _flag("disabled", False),
    sa.UniqueConstraint("prefix", "arch_id", name="repository_idx"),
    sa.Index("t_repository_category_id_idx", "category_id"),
    sa.Index("t_repository_version_id_idx", "version_id"),
    sa.Index("t_repository_arch_id_idx", "arch_id"),
    sa.Index("t_repository_directory_id_idx", "directory_id"),
)

file_detail = sa.Table(
    "file_detail",
    metadata,
    _id(),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("timestamp", sa.BigInteger, nullable=True, index=True),
    sa.Column("size", sa.BigInteger, nullable=True),
    sa.Column("sha1", sa.Text, nullable=True),
    sa.Column("md5", sa.Text, nullable=True),
    sa.Column("sha256", sa.Text, nullable=True),
    sa.Column("sha512", sa.Text, nullable=True),
    _fk("directory_id", "directory.id", nullable=False, index=True),
)

file_group = sa.Table(
    "file_group",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False, unique=True),
)

file_detail_file_group = sa.Table(
    "file_detail_file_group",
    metadata,
    _id(),
    _fk("file_detail_id", "file_detail.id", nullable=False),
    _fk("file_group_id", "file_group.id", nullable=False),
)

directory_exclusive_host = sa.Table(
    "directory_exclusive_host",
    metadata,
    _id(),
    _fk("directory_id", "directory.id", nullable=False),
    _fk("host_id", "host.id", nullable=False, index=True),
    sa.UniqueConstraint("directory_id", "host_id", name="directory_exclusive_host_idx"),
)

# --------------------------------------------------------------------------------------------
# what a host carries
# --------------------------------------------------------------------------------------------

host_category = sa.Table(
    "host_category",
    metadata,
    _id(),
    _fk("host_id", "host.id", nullable=True),
    _fk("category_id", "category.id", nullable=True, ondelete="CASCADE"),
    _flag("always_up2date", False),
    sa.UniqueConstraint("host_id", "category_id", name="host_category_hcindex"),
    sa.Index("t_hostcategory_host_id_idx", "host_id"),
    sa.Index("t_hostcategory_category_id_idx", "category_id"),
)

# The big one (~5M rows at Fedora scale).  Lookups by host_category_id use the leading column
# of host_category_dir_hcdindex, so it needs no index of its own.
# ix_host_category_dir_directory_up2date_hc (migration 0007) covers the cache writer's aggregate
# of the up-to-date host categories of every directory: a scan of the index in directory order,
# without sorting and without reading the table.  (MirrorManager2's ix_..._directory_id stays.)
host_category_dir = sa.Table(
    "host_category_dir",
    metadata,
    _id(),
    _fk("host_category_id", "host_category.id", nullable=False,
        ondelete="CASCADE", onupdate="CASCADE"),
    sa.Column("path", sa.Text, nullable=True),
    _flag("up2date", True, index=True),
    _fk("directory_id", "directory.id", nullable=True, ondelete="CASCADE", index=True),
    sa.UniqueConstraint("host_category_id", "path", name="host_category_dir_hcdindex"),
    sa.Index("ix_host_category_dir_directory_up2date_hc",
             "directory_id", "up2date", "host_category_id"),
)

# host_category_url_hcdindex (host_category_id, url) serves lookups by host_category_id.
host_category_url = sa.Table(
    "host_category_url",
    metadata,
    _id(),
    _fk("host_category_id", "host_category.id", nullable=False,
        ondelete="CASCADE", onupdate="CASCADE"),
    sa.Column("url", sa.Text, nullable=False, unique=True),
    _flag("private", False, index=True),
    # not in MirrorManager2: the address families the URL answered on at its last crawl
    # (NULL: not offered or not checked yet)
    sa.Column("ipv4", sa.Boolean, nullable=True, info=OURS),
    sa.Column("ipv6", sa.Boolean, nullable=True, info=OURS),
    sa.UniqueConstraint("host_category_id", "url", name="host_category_url_hcdindex"),
)

# --------------------------------------------------------------------------------------------
# redirects and overrides
# --------------------------------------------------------------------------------------------

repository_redirect = sa.Table(
    "repository_redirect",
    metadata,
    _id(),
    sa.Column("to_repo", sa.Text, nullable=True),
    sa.Column("from_repo", sa.Text, nullable=False, unique=True),
    sa.UniqueConstraint("from_repo", "to_repo", name="repository_redirect_idx"),
)

country_continent_redirect = sa.Table(
    "country_continent_redirect",
    metadata,
    _id(),
    sa.Column("country", sa.Text, nullable=False, unique=True),
    sa.Column("continent", sa.Text, nullable=False),
)

embargoed_country = sa.Table(
    "embargoed_country",
    metadata,
    _id(),
    sa.Column("country_code", sa.Text, nullable=False, unique=True),
)

netblock_country = sa.Table(
    "netblock_country",
    metadata,
    _id(),
    sa.Column("netblock", sa.Text, nullable=False, unique=True),
    sa.Column("country", sa.Text, nullable=False),
)

# --------------------------------------------------------------------------------------------
# local authentication
# --------------------------------------------------------------------------------------------

mm_user = sa.Table(
    "mm_user",
    metadata,
    _id(),
    sa.Column("user_name", sa.String(16), nullable=False, unique=True),
    sa.Column("email_address", sa.String(255), nullable=False, unique=True),
    sa.Column("display_name", sa.String(255), nullable=True),
    sa.Column("password", sa.Text, nullable=True),
    sa.Column("token", sa.String(50), nullable=True),
    sa.Column("created", sa.DateTime, nullable=False, default=sa.func.now(),
              server_default=sa.func.current_timestamp()),
    sa.Column("updated_on", sa.DateTime, nullable=False, default=sa.func.now(),
              onupdate=sa.func.now(), server_default=sa.func.current_timestamp()),
)

mm_group = sa.Table(
    "mm_group",
    metadata,
    _id(),
    sa.Column("group_name", sa.String(16), nullable=False, unique=True),
    sa.Column("display_name", sa.String(255), nullable=True),
    sa.Column("created", sa.DateTime, nullable=False, default=_utcnow,
              server_default=sa.func.current_timestamp()),
)

mm_user_group = sa.Table(
    "mm_user_group",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("mm_user.id"), primary_key=True),
    sa.Column("group_id", sa.Integer, sa.ForeignKey("mm_group.id"), primary_key=True),
    sa.UniqueConstraint("user_id", "group_id"),
)

mm_user_visit = sa.Table(
    "mm_user_visit",
    metadata,
    _id(),
    _fk("user_id", "mm_user.id", nullable=False, index=True),
    # unique=True + index=True upstream: one unique index, no separate constraint
    sa.Column("visit_key", sa.String(40), nullable=False),
    sa.Column("user_ip", sa.String(50), nullable=False),
    sa.Column("created", sa.DateTime, nullable=False, default=_utcnow,
              server_default=sa.func.current_timestamp()),
    sa.Column("expiry", sa.DateTime, nullable=True),
    sa.Index("ix_mm_user_visit_visit_key", "visit_key", unique=True),
)

# --------------------------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------------------------

access_stat_category = sa.Table(
    "access_stat_category",
    metadata,
    _id(),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
)

access_stat = sa.Table(
    "access_stat",
    metadata,
    sa.Column("category_id", sa.Integer, sa.ForeignKey("access_stat_category.id"),
              primary_key=True, index=True),
    sa.Column("date", sa.Date, primary_key=True, index=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("percent", sa.Float, nullable=True),
    sa.Column("requests", sa.Integer, nullable=True, index=True),
)

# repository_id is nullable in the upstream model, but it is part of the primary key, which
# makes it NOT NULL in PostgreSQL; we declare what the database actually enforces.
propagation_stat = sa.Table(
    "propagation_stat",
    metadata,
    sa.Column("repository_id", sa.Integer, sa.ForeignKey("repository.id"), primary_key=True),
    sa.Column("datetime", sa.DateTime, primary_key=True),
    _int("same_day", 0),
    _int("one_day", 0),
    _int("two_day", 0),
    _int("older", 0),
    _int("no_info", 0),
    # the names upstream's migration gave them (not what the naming convention would)
    sa.Index("ix_propagation_stat_date", "datetime"),
    sa.Index("ix_propagation_stat_repository_id", "repository_id"),
)

# the ledger of ``stats import`` (ours, not MirrorManager2's): one row per imported log
# content, with that log's own counts, so importing the same log twice counts it once and two
# logs of one day add up; ``access_stat`` is rebuilt from these for the days a log touched
access_stat_import = sa.Table(
    "access_stat_import",
    metadata,
    _id(),
    # sha256 of the decompressed log
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("imported_at", sa.DateTime, nullable=False, default=_utcnow,
              server_default=sa.func.current_timestamp()),
    _int("lines", 0, big=True),
    _int("garbage", 0, big=True),
)

access_stat_import_count = sa.Table(
    "access_stat_import_count",
    metadata,
    sa.Column("import_id", sa.Integer, sa.ForeignKey("access_stat_import.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("category_id", sa.Integer, sa.ForeignKey("access_stat_category.id"),
              primary_key=True),
    sa.Column("date", sa.Date, primary_key=True, index=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("requests", sa.BigInteger, nullable=False),
)

# --------------------------------------------------------------------------------------------
# this project's additions (migration 0003): server-side sessions, one-time tokens, the log-in
# throttle, the audit log of the web UI and API, and the crawl history
# --------------------------------------------------------------------------------------------

mm_session = sa.Table(
    "mm_session",
    metadata,
    _id(),
    # SHA-256 of the cookie's session key; the key itself is never stored
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_name", sa.Text, nullable=False),
    # JSON list of group names
    sa.Column("groups", sa.Text, nullable=False, default="[]", server_default="[]"),
    sa.Column("email", sa.Text, nullable=True),
    sa.Column("display_name", sa.Text, nullable=True),
    sa.Column("provider", sa.String(32), nullable=False),
    _fk("user_id", "mm_user.id", nullable=True, ondelete="CASCADE", index=True),
    sa.Column("user_ip", sa.String(50), nullable=False, default="", server_default=""),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("expiry", sa.DateTime, nullable=False, index=True),
)

mm_user_token = sa.Table(
    "mm_user_token",
    metadata,
    _id(),
    _fk("user_id", "mm_user.id", nullable=False, ondelete="CASCADE", index=True),
    # ``confirm`` (e-mail confirmation) or ``reset`` (password reset)
    sa.Column("purpose", sa.String(16), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created", sa.DateTime, nullable=False, default=_utcnow,
              server_default=sa.func.current_timestamp()),
    sa.Column("expiry", sa.DateTime, nullable=False),
)

mm_login_failure = sa.Table(
    "mm_login_failure",
    metadata,
    _id(),
    # ``user:NAME`` or ``ip:ADDRESS``
    sa.Column("key", sa.String(128), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Index("ix_mm_login_failure_key_at", "key", "at"),
)

mm_audit_log = sa.Table(
    "mm_audit_log",
    metadata,
    _id(),
    sa.Column("at", sa.DateTime, nullable=False, default=_utcnow,
              server_default=sa.func.current_timestamp(), index=True),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("object_type", sa.String(64), nullable=False),
    sa.Column("object_id", sa.Integer, nullable=True),
    # plain numbers, no foreign keys: the entry outlives the site or host it names
    sa.Column("site_id", sa.Integer, nullable=True, index=True),
    sa.Column("host_id", sa.Integer, nullable=True, index=True),
    sa.Column("summary", sa.Text, nullable=False, default="", server_default=""),
)

host_crawl = sa.Table(
    "host_crawl",
    metadata,
    _id(),
    _fk("host_id", "host.id", nullable=False, ondelete="CASCADE"),
    sa.Column("finished_at", sa.DateTime, nullable=False),
    sa.Column("duration", sa.Integer, nullable=False, default=0, server_default=sa.text("0")),
    sa.Column("status", sa.String(16), nullable=False),
    _int("crawl_failures", 0),
    sa.Column("reason", sa.Text, nullable=True),
    # ``scheme=outcome`` per category checked, space-separated
    sa.Column("protocols", sa.Text, nullable=False, default="", server_default=""),
    sa.Index("ix_host_crawl_host_id_finished_at", "host_id", "finished_at"),
)

# --------------------------------------------------------------------------------------------
# migration 0006: API tokens (the JSON API's ``Authorization: Bearer``)
# --------------------------------------------------------------------------------------------

mm_api_token = sa.Table(
    "mm_api_token",
    metadata,
    _id(),
    # no foreign key: an OpenID Connect user has no mm_user row
    sa.Column("user_name", sa.Text, nullable=False, index=True),
    sa.Column("name", sa.String(64), nullable=False),
    # ``read``, ``write`` or ``admin``
    sa.Column("scope", sa.String(8), nullable=False),
    # SHA-256 of the token; the token itself is never stored
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    # its first characters, shown in lists
    sa.Column("prefix", sa.String(16), nullable=False),
    # JSON list of the creating identity's groups
    sa.Column("groups", sa.Text, nullable=False, default="[]", server_default="[]"),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("expiry", sa.DateTime, nullable=False),
    sa.Column("last_used", sa.DateTime, nullable=True),
    sa.Column("revoked", sa.DateTime, nullable=True),
)

#: every table, in an order where referenced tables come first
ALL_TABLES: tuple[str, ...] = tuple(t.name for t in metadata.sorted_tables)

