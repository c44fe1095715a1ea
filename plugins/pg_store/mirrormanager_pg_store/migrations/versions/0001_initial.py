"""Initial schema: every MirrorManager2 table, as of upstream revision 3264c6353b51.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28

Written out table by table (rather than ``metadata.create_all``) so that what this revision
creates never changes when ``schema.py`` evolves; later revisions chain on this one.

Adopting an existing MirrorManager2 database in place: a table that already exists is left as
it is, and only the indexes it lacks are added.  MirrorManager2 keeps its own
``alembic_version`` table; ours is ``mirrormanager_alembic_version``, so neither disturbs the
other.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _existing_tables() -> set[str]:
    return set(sa.inspect(op.get_bind()).get_table_names())


def _create_table(name: str, *elements: sa.SchemaItem) -> None:
    """Create a table unless an adopted MirrorManager2 database already has it."""
    if name in _EXISTING:
        return
    op.create_table(name, *elements)


def _create_index(name: str, table: str, columns: list[str], unique: bool = False) -> None:
    """Create an index unless the table already has one of that name."""
    if table in _EXISTING:
        present = {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes(table)}
        if name in present:
            return
    op.create_index(name, table, columns, unique=unique)


_EXISTING: set[str] = set()


def upgrade() -> None:
    _EXISTING.clear()
    _EXISTING.update(_existing_tables())
    _create_table("access_stat_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_stat_category"),
        sa.UniqueConstraint("name", name="uq_access_stat_category_name")
    )
    _create_table("arch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("publiclist", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("primary_arch", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_arch"),
        sa.UniqueConstraint("name", name="uq_arch_name")
    )
    _create_table("country",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_country"),
        sa.UniqueConstraint("code", name="uq_country_code")
    )
    _create_table("country_continent_redirect",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.Text(), nullable=False),
        sa.Column("continent", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_country_continent_redirect"),
        sa.UniqueConstraint("country", name="uq_country_continent_redirect_country")
    )
    _create_table("directory",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("files", sa.LargeBinary(), nullable=True),
        sa.Column("readable", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("ctime", sa.BigInteger(), server_default=sa.text("0"), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_directory"),
        sa.UniqueConstraint("name", name="uq_directory_name")
    )
    _create_index("ix_directory_readable", "directory", ["readable"], unique=False)
    _create_table("embargoed_country",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_embargoed_country"),
        sa.UniqueConstraint("country_code", name="uq_embargoed_country_country_code")
    )
    _create_table("file_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_file_group"),
        sa.UniqueConstraint("name", name="uq_file_group_name")
    )
    _create_table("location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_location"),
        sa.UniqueConstraint("name", name="uq_location_name")
    )
    _create_table("mm_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_name", sa.String(length=16), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("created", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mm_group"),
        sa.UniqueConstraint("group_name", name="uq_mm_group_group_name")
    )
    _create_table("mm_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=16), nullable=False),
        sa.Column("email_address", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("password", sa.Text(), nullable=True),
        sa.Column("token", sa.String(length=50), nullable=True),
        sa.Column("created", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_on", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mm_user"),
        sa.UniqueConstraint("email_address", name="uq_mm_user_email_address"),
        sa.UniqueConstraint("user_name", name="uq_mm_user_user_name")
    )
    _create_table("netblock_country",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("netblock", sa.Text(), nullable=False),
        sa.Column("country", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_netblock_country"),
        sa.UniqueConstraint("netblock", name="uq_netblock_country_netblock")
    )
    _create_table("product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("publiclist", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_product"),
        sa.UniqueConstraint("name", name="uq_product_name")
    )
    _create_table("repository_redirect",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("to_repo", sa.Text(), nullable=True),
        sa.Column("from_repo", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_repository_redirect"),
        sa.UniqueConstraint("from_repo", "to_repo", name="repository_redirect_idx"),
        sa.UniqueConstraint("from_repo", name="uq_repository_redirect_from_repo")
    )
    _create_table("site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("password", sa.Text(), nullable=True),
        sa.Column("org_url", sa.Text(), nullable=True),
        sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("admin_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("user_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("all_sites_can_pull_from_me", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("downstream_comments", sa.Text(), nullable=True),
        sa.Column("email_on_drop", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("email_on_add", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_site")
    )
    _create_index("ix_site_admin_active", "site", ["admin_active"], unique=False)
    _create_index("ix_site_created_at", "site", ["created_at"], unique=False)
    _create_index("ix_site_name", "site", ["name"], unique=False)
    _create_index("ix_site_private", "site", ["private"], unique=False)
    _create_index("ix_site_user_active", "site", ["user_active"], unique=False)
    _create_table("access_stat",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("percent", sa.Float(), nullable=True),
        sa.Column("requests", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["category_id"], ["access_stat_category.id"], name="fk_access_stat_category_id_access_stat_category"),
        sa.PrimaryKeyConstraint("category_id", "date", "name", name="pk_access_stat")
    )
    _create_index("ix_access_stat_category_id", "access_stat", ["category_id"], unique=False)
    _create_index("ix_access_stat_date", "access_stat", ["date"], unique=False)
    _create_index("ix_access_stat_requests", "access_stat", ["requests"], unique=False)
    _create_table("category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("canonicalhost", sa.Text(), server_default="http://download.fedora.redhat.com", nullable=True),
        sa.Column("publiclist", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("geo_dns_domain", sa.Text(), nullable=True),
        sa.Column("admin_only", sa.Boolean(), server_default=sa.false(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("topdir_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name="fk_category_product_id_product"),
        sa.ForeignKeyConstraint(["topdir_id"], ["directory.id"], name="fk_category_topdir_id_directory"),
        sa.PrimaryKeyConstraint("id", name="pk_category"),
        sa.UniqueConstraint("name", name="uq_category_name")
    )
    _create_table("file_detail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha1", sa.Text(), nullable=True),
        sa.Column("md5", sa.Text(), nullable=True),
        sa.Column("sha256", sa.Text(), nullable=True),
        sa.Column("sha512", sa.Text(), nullable=True),
        sa.Column("directory_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["directory_id"], ["directory.id"], name="fk_file_detail_directory_id_directory"),
        sa.PrimaryKeyConstraint("id", name="pk_file_detail")
    )
    _create_index("ix_file_detail_directory_id", "file_detail", ["directory_id"], unique=False)
    _create_index("ix_file_detail_timestamp", "file_detail", ["timestamp"], unique=False)
    _create_table("host",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("robot_email", sa.Text(), nullable=True),
        sa.Column("admin_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("user_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("country", sa.Text(), nullable=False),
        sa.Column("bandwidth_int", sa.Integer(), server_default=sa.text("100"), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("config", sa.LargeBinary(), nullable=True),
        sa.Column("last_checked_in", sa.DateTime(), nullable=True),
        sa.Column("last_crawled", sa.DateTime(), nullable=True),
        sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("internet2", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("internet2_clients", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("asn", sa.Integer(), nullable=True),
        sa.Column("asn_clients", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("max_connections", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("last_crawl_duration", sa.BigInteger(), server_default=sa.text("0"), nullable=True),
        sa.Column("crawl_failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("disable_reason", sa.Text(), nullable=True),
        sa.Column("push_ssh_private_key", sa.Text(), nullable=True),
        sa.Column("push_ssh_host", sa.Text(), nullable=True),
        sa.Column("push_ssh_command", sa.Text(), nullable=True),
        sa.Column("last_crawls", sa.LargeBinary(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name="fk_host_site_id_site"),
        sa.PrimaryKeyConstraint("id", name="pk_host"),
        sa.UniqueConstraint("site_id", "name", name="host_idx")
    )
    _create_index("ix_host_admin_active", "host", ["admin_active"], unique=False)
    _create_index("ix_host_country", "host", ["country"], unique=False)
    _create_index("ix_host_last_crawl_duration", "host", ["last_crawl_duration"], unique=False)
    _create_index("ix_host_name", "host", ["name"], unique=False)
    _create_index("ix_host_private", "host", ["private"], unique=False)
    _create_index("ix_host_user_active", "host", ["user_active"], unique=False)
    _create_table("mm_user_group",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["mm_group.id"], name="fk_mm_user_group_group_id_mm_group"),
        sa.ForeignKeyConstraint(["user_id"], ["mm_user.id"], name="fk_mm_user_group_user_id_mm_user"),
        sa.PrimaryKeyConstraint("user_id", "group_id", name="pk_mm_user_group"),
        sa.UniqueConstraint("user_id", "group_id", name="uq_mm_user_group_user_id")
    )
    _create_table("mm_user_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("visit_key", sa.String(length=40), nullable=False),
        sa.Column("user_ip", sa.String(length=50), nullable=False),
        sa.Column("created", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("expiry", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["mm_user.id"], name="fk_mm_user_visit_user_id_mm_user"),
        sa.PrimaryKeyConstraint("id", name="pk_mm_user_visit")
    )
    _create_index("ix_mm_user_visit_user_id", "mm_user_visit", ["user_id"], unique=False)
    _create_index("ix_mm_user_visit_visit_key", "mm_user_visit", ["visit_key"], unique=True)
    _create_table("site_admin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name="fk_site_admin_site_id_site"),
        sa.PrimaryKeyConstraint("id", name="pk_site_admin")
    )
    _create_index("ix_site_admin_site_id", "site_admin", ["site_id"], unique=False)
    _create_table("site_to_site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("password", sa.Text(), nullable=True),
        sa.Column("upstream_site_id", sa.Integer(), nullable=False),
        sa.Column("downstream_site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["downstream_site_id"], ["site.id"], name="fk_site_to_site_downstream_site_id_site"),
        sa.ForeignKeyConstraint(["upstream_site_id"], ["site.id"], name="fk_site_to_site_upstream_site_id_site"),
        sa.PrimaryKeyConstraint("id", name="pk_site_to_site"),
        sa.UniqueConstraint("upstream_site_id", "downstream_site_id", name="site_to_site_idx"),
        sa.UniqueConstraint("upstream_site_id", "username", name="site_to_site_username_idx")
    )
    _create_table("version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("codename", sa.Text(), nullable=True),
        sa.Column("is_test", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("display", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("ordered_mirrorlist", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("sortorder", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name="fk_version_product_id_product"),
        sa.PrimaryKeyConstraint("id", name="pk_version"),
        sa.UniqueConstraint("name", "product_id", name="version_idx")
    )
    _create_index("ix_version_product_id", "version", ["product_id"], unique=False)
    _create_table("category_directory",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("directory_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["category.id"], name="fk_category_directory_category_id_category"),
        sa.ForeignKeyConstraint(["directory_id"], ["directory.id"], name="fk_category_directory_directory_id_directory"),
        sa.PrimaryKeyConstraint("category_id", "directory_id", name="pk_category_directory")
    )
    _create_index("ix_category_directory_directory_id", "category_directory", ["directory_id"], unique=False)
    _create_table("directory_exclusive_host",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("directory_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["directory_id"], ["directory.id"], name="fk_directory_exclusive_host_directory_id_directory"),
        sa.ForeignKeyConstraint(["host_id"], ["host.id"], name="fk_directory_exclusive_host_host_id_host"),
        sa.PrimaryKeyConstraint("id", name="pk_directory_exclusive_host"),
        sa.UniqueConstraint("directory_id", "host_id", name="directory_exclusive_host_idx")
    )
    _create_index("ix_directory_exclusive_host_host_id", "directory_exclusive_host", ["host_id"], unique=False)
    _create_table("file_detail_file_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_detail_id", sa.Integer(), nullable=False),
        sa.Column("file_group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["file_detail_id"], ["file_detail.id"], name="fk_file_detail_file_group_file_detail_id_file_detail"),
        sa.ForeignKeyConstraint(["file_group_id"], ["file_group.id"], name="fk_file_detail_file_group_file_group_id_file_group"),
        sa.PrimaryKeyConstraint("id", name="pk_file_detail_file_group")
    )
    _create_table("host_acl_ip",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ip", sa.Text(), nullable=True),
        sa.Column("host_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["host_id"], ["host.id"], name="fk_host_acl_ip_host_id_host"),
        sa.PrimaryKeyConstraint("id", name="pk_host_acl_ip"),
        sa.UniqueConstraint("host_id", "ip", name="host_acl_ip_hipindex"),
        sa.UniqueConstraint("ip", name="uq_host_acl_ip_ip")
    )
    _create_table("host_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("always_up2date", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["category.id"], name="fk_host_category_category_id_category", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["host_id"], ["host.id"], name="fk_host_category_host_id_host"),
        sa.PrimaryKeyConstraint("id", name="pk_host_category"),
        sa.UniqueConstraint("host_id", "category_id", name="host_category_hcindex")
    )
    _create_index("t_hostcategory_category_id_idx", "host_category", ["category_id"], unique=False)
    _create_index("t_hostcategory_host_id_idx", "host_category", ["host_id"], unique=False)
    _create_table("host_country",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["country_id"], ["country.id"], name="fk_host_country_country_id_country"),
        sa.ForeignKeyConstraint(["host_id"], ["host.id"], name="fk_host_country_host_id_host"),
        sa.PrimaryKeyConstraint("id", name="pk_host_country"),
        sa.UniqueConstraint("host_id", "country_id", name="host_country_hlidx")
    )
    _create_table("host_country_allowed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.Text(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["host_id"], ["host.id"], name="fk_host_country_allowed_host_id_host"),
        sa.PrimaryKeyConstraint("id", name="pk_host_country_allowed"),
        sa.UniqueConstraint("country", name="uq_host_country_allowed_country")
    )
    _create_index("ix_host_country_allowed_host_id", "host_country_allowed", ["host_id"], unique=False)
    _create_table("host_location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["host_id"], ["host.id"], name="fk_host_location_host_id_host"),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"], name="fk_host_location_location_id_location"),
        sa.PrimaryKeyConstraint("id", name="pk_host_location"),
        sa.UniqueConstraint("location_id", "host_id", name="host_location_hlidx")
    )
    _create_index("ix_host_location_host_id", "host_location", ["host_id"], unique=False)
    _create_table("host_netblock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("netblock", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("host_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["host_id"], ["host.id"], name="fk_host_netblock_host_id_host"),
        sa.PrimaryKeyConstraint("id", name="pk_host_netblock")
    )
    _create_index("ix_host_netblock_host_id", "host_netblock", ["host_id"], unique=False)
    _create_table("host_peer_asn",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asn", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("host_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["host_id"], ["host.id"], name="fk_host_peer_asn_host_id_host"),
        sa.PrimaryKeyConstraint("id", name="pk_host_peer_asn"),
        sa.UniqueConstraint("host_id", "asn", name="host_peer_asn_idx")
    )
    _create_table("host_stats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("type", sa.Text(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("host_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["host_id"], ["host.id"], name="fk_host_stats_host_id_host"),
        sa.PrimaryKeyConstraint("id", name="pk_host_stats")
    )
    _create_index("ix_host_stats_host_id", "host_stats", ["host_id"], unique=False)
    _create_table("repository",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("arch_id", sa.Integer(), nullable=True),
        sa.Column("directory_id", sa.Integer(), nullable=True),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(["arch_id"], ["arch.id"], name="fk_repository_arch_id_arch"),
        sa.ForeignKeyConstraint(["category_id"], ["category.id"], name="fk_repository_category_id_category"),
        sa.ForeignKeyConstraint(["directory_id"], ["directory.id"], name="fk_repository_directory_id_directory"),
        sa.ForeignKeyConstraint(["version_id"], ["version.id"], name="fk_repository_version_id_version"),
        sa.PrimaryKeyConstraint("id", name="pk_repository"),
        sa.UniqueConstraint("name", name="uq_repository_name"),
        sa.UniqueConstraint("prefix", "arch_id", name="repository_idx")
    )
    _create_index("ix_repository_prefix", "repository", ["prefix"], unique=False)
    _create_index("t_repository_arch_id_idx", "repository", ["arch_id"], unique=False)
    _create_index("t_repository_category_id_idx", "repository", ["category_id"], unique=False)
    _create_index("t_repository_directory_id_idx", "repository", ["directory_id"], unique=False)
    _create_index("t_repository_version_id_idx", "repository", ["version_id"], unique=False)
    _create_table("host_category_dir",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host_category_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("up2date", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("directory_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["directory_id"], ["directory.id"], name="fk_host_category_dir_directory_id_directory", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["host_category_id"], ["host_category.id"], name="fk_host_category_dir_host_category_id_host_category", onupdate="CASCADE", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_host_category_dir"),
        sa.UniqueConstraint("host_category_id", "path", name="host_category_dir_hcdindex")
    )
    _create_index("ix_host_category_dir_directory_id", "host_category_dir", ["directory_id"], unique=False)
    _create_index("ix_host_category_dir_up2date", "host_category_dir", ["up2date"], unique=False)
    _create_table("host_category_url",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host_category_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(["host_category_id"], ["host_category.id"], name="fk_host_category_url_host_category_id_host_category", onupdate="CASCADE", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_host_category_url"),
        sa.UniqueConstraint("host_category_id", "url", name="host_category_url_hcdindex"),
        sa.UniqueConstraint("url", name="uq_host_category_url_url")
    )
    _create_index("ix_host_category_url_private", "host_category_url", ["private"], unique=False)
    _create_table("propagation_stat",
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("datetime", sa.DateTime(), nullable=False),
        sa.Column("same_day", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("one_day", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("two_day", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("older", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("no_info", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(["repository_id"], ["repository.id"], name="fk_propagation_stat_repository_id_repository"),
        sa.PrimaryKeyConstraint("repository_id", "datetime", name="pk_propagation_stat")
    )
    _create_index("ix_propagation_stat_date", "propagation_stat", ["datetime"], unique=False)
    _create_index("ix_propagation_stat_repository_id", "propagation_stat", ["repository_id"], unique=False)


def downgrade() -> None:
    for table in reversed(_TABLES_IN_ORDER):
        op.drop_table(table)


_TABLES_IN_ORDER = (
    "access_stat_category",
    "arch",
    "country",
    "country_continent_redirect",
    "directory",
    "embargoed_country",
    "file_group",
    "location",
    "mm_group",
    "mm_user",
    "netblock_country",
    "product",
    "repository_redirect",
    "site",
    "access_stat",
    "category",
    "file_detail",
    "host",
    "mm_user_group",
    "mm_user_visit",
    "site_admin",
    "site_to_site",
    "version",
    "category_directory",
    "directory_exclusive_host",
    "file_detail_file_group",
    "host_acl_ip",
    "host_category",
    "host_country",
    "host_country_allowed",
    "host_location",
    "host_netblock",
    "host_peer_asn",
    "host_stats",
    "repository",
    "host_category_dir",
    "host_category_url",
    "propagation_stat",
)
