"""The SQLAlchemy store (plugins/pg_store) on SQLite and PostgreSQL: schema and migrations,
the declarative deployment round trip, bulk loading.  Real databases, no mocks."""

from __future__ import annotations

import io
import logging
import pickle
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mirrormanager_pg_store import plugin, schema
from mirrormanager_pg_store.migrate import VERSION_TABLE
from mirrormanager_pg_store.store import SqlStore
from mmcore.cli import main
from mmcore.deployment import (
    ArchSpec,
    CategorySpec,
    CountryContinentRedirectSpec,
    Deployment,
    HostCategorySpec,
    HostSpec,
    ProductSpec,
    RepositoryRedirectSpec,
    SiteSpec,
)
from mmcore.model import FileEntry, decode_file_list, encode_file_list
from mmcore.plugins import get_plugin_manager
from mmcore.store import (
    BulkStore,
    DeploymentStore,
    SchemaOutOfDate,
    StoreConfigError,
    StoreError,
    StoreLifecycle,
    StoreMissing,
)

# Every table of MirrorManager2 (mm2.md section 1), written out rather than taken from schema.py
# so that a table dropped from the schema by mistake fails here.
MM2_TABLES = {
    "site", "site_admin", "site_to_site", "country", "host", "directory", "category_directory",
    "product", "category", "host_category", "host_category_dir", "host_category_url",
    "host_acl_ip", "host_country_allowed", "host_netblock", "host_peer_asn", "host_country",
    "host_stats", "arch", "version", "repository", "file_detail", "file_group",
    "file_detail_file_group", "repository_redirect", "country_continent_redirect",
    "embargoed_country", "directory_exclusive_host", "location", "host_location",
    "netblock_country", "mm_user", "mm_group", "mm_user_group", "mm_user_visit",
    "access_stat_category", "access_stat", "propagation_stat",
}  # fmt: skip
#: tables of ours beside MirrorManager2's (the ``stats import`` ledger)
OWN_TABLES = {"access_stat_import", "access_stat_import_count",
              "mm_session", "mm_user_token", "mm_login_failure", "mm_audit_log", "host_crawl",
              "mm_api_token"}

SAMPLE_COLUMNS = {
    "host": {
        "id", "name", "site_id", "robot_email", "admin_active", "user_active", "country",
        "bandwidth_int", "comment", "config", "last_checked_in", "last_crawled", "private",
        "internet2", "internet2_clients", "asn", "asn_clients", "max_connections",
        "last_crawl_duration", "crawl_failures", "disable_reason", "push_ssh_private_key",
        "push_ssh_host", "push_ssh_command", "last_crawls", "latitude", "longitude",
    },
    "site": {
        "id", "name", "password", "org_url", "private", "admin_active", "user_active",
        "created_at", "created_by", "all_sites_can_pull_from_me", "downstream_comments",
        "email_on_drop", "email_on_add",
    },
    "directory": {"id", "name", "files", "readable", "ctime"},
    "host_category_dir": {"id", "host_category_id", "path", "up2date", "directory_id"},
    "category": {"id", "name", "canonicalhost", "publiclist", "geo_dns_domain", "admin_only",
                 "product_id", "topdir_id"},
    "version": {"id", "name", "codename", "is_test", "display", "display_name",
                "ordered_mirrorlist", "sortorder", "product_id"},
    "repository": {"id", "name", "prefix", "category_id", "version_id", "arch_id",
                   "directory_id", "disabled"},
    "file_detail": {"id", "filename", "timestamp", "size", "sha1", "md5", "sha256", "sha512",
                    "directory_id"},
    "access_stat": {"category_id", "date", "name", "percent", "requests"},
    "propagation_stat": {"repository_id", "datetime", "same_day", "one_day", "two_day",
                         "older", "no_info"},
    "mm_user": {"id", "user_name", "email_address", "display_name", "password", "token",
                "created", "updated_on"},
}  # fmt: skip

UNIQUE_CONSTRAINTS = {
    "host": {"host_idx": ["site_id", "name"]},
    "host_category": {"host_category_hcindex": ["host_id", "category_id"]},
    "host_category_dir": {"host_category_dir_hcdindex": ["host_category_id", "path"]},
    "host_category_url": {"host_category_url_hcdindex": ["host_category_id", "url"],
                          "uq_host_category_url_url": ["url"]},
    "version": {"version_idx": ["name", "product_id"]},
    "repository": {"repository_idx": ["prefix", "arch_id"], "uq_repository_name": ["name"]},
    "site_to_site": {"site_to_site_idx": ["upstream_site_id", "downstream_site_id"],
                     "site_to_site_username_idx": ["upstream_site_id", "username"]},
    "host_country": {"host_country_hlidx": ["host_id", "country_id"]},
    "host_location": {"host_location_hlidx": ["location_id", "host_id"]},
    "host_peer_asn": {"host_peer_asn_idx": ["host_id", "asn"]},
    "host_country_allowed": {"uq_host_country_allowed_country": ["country"]},
    "directory": {"uq_directory_name": ["name"]},
    "repository_redirect": {"repository_redirect_idx": ["from_repo", "to_repo"]},
    "directory_exclusive_host": {"directory_exclusive_host_idx": ["directory_id", "host_id"]},
}  # fmt: skip

INDEXES = {
    "host_category": {"t_hostcategory_host_id_idx", "t_hostcategory_category_id_idx"},
    "host_category_dir": {"ix_host_category_dir_up2date", "ix_host_category_dir_directory_id"},
    "host": {"ix_host_name", "ix_host_country", "ix_host_private", "ix_host_admin_active",
             "ix_host_user_active", "ix_host_last_crawl_duration"},
    "repository": {"ix_repository_prefix", "t_repository_directory_id_idx"},
    "file_detail": {"ix_file_detail_timestamp", "ix_file_detail_directory_id"},
    "propagation_stat": {"ix_propagation_stat_date", "ix_propagation_stat_repository_id"},
}  # fmt: skip


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def dump(store: SqlStore) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order: compares whole databases."""
    result = {}
    with store.engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            order = [c for c in table.primary_key.columns] or list(table.columns)
            result[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
    return result


def sample_deployment() -> Deployment:
    return Deployment(
        arches=[ArchSpec("x86_64"), ArchSpec("aarch64"), ArchSpec("source", primary_arch=False)],
        products=[ProductSpec("Fedora"), ProductSpec("EPEL", publiclist=False)],
        categories=[
            CategorySpec("Fedora Linux", "Fedora", "pub/fedora/linux",
                         canonicalhost="https://dl.fedoraproject.org"),
            CategorySpec("Fedora EPEL", "EPEL", "pub/epel", admin_only=True,
                         geo_dns_domain="epel.example"),
        ],
        sites=[
            SiteSpec(
                "Example University",
                password_hash="pbkdf2$x",
                org_url="https://example.edu",
                admins=["alice", "bob"],
                hosts=[
                    HostSpec(
                        "mirror.example.edu",
                        "DE",
                        bandwidth_int=1000,
                        asn=680,
                        netblocks=["192.0.2.0/24", "2001:db8::/32"],
                        countries_allowed=["DE"],
                        peer_asns=[680, 681],
                        categories=[
                            HostCategorySpec(
                                "Fedora Linux",
                                urls=["https://mirror.example.edu/fedora/linux"],
                                private_urls=["rsync://mirror.example.edu/fedora/linux"],
                            ),
                            HostCategorySpec("Fedora EPEL", always_up2date=True,
                                             urls=["https://mirror.example.edu/epel"]),
                        ],
                    ),
                    HostSpec("private.example.edu", "DE", private=True, comment="internal"),
                ],
            ),
            SiteSpec("Other", created_by="admin", hosts=[HostSpec("m.other.org", "US")]),
        ],
        repository_redirects=[RepositoryRedirectSpec("fedora-rawhide", "rawhide")],
        country_continent_redirects=[CountryContinentRedirectSpec("IL", "EU")],
    )


def host_id(store: SqlStore, name: str) -> int:
    with store.engine.connect() as conn:
        query = sa.select(schema.host.c.id).where(schema.host.c.name == name)
        return conn.execute(query).scalar_one()


# --------------------------------------------------------------------------------------------
# schema and migrations
# --------------------------------------------------------------------------------------------


def test_upgrade_creates_every_mm2_table(store_url: str) -> None:
    store = SqlStore(store_url)
    try:
        assert store.upgrade() == SqlStore.head_revision()
        inspector = sa.inspect(store.engine)
        assert set(inspector.get_table_names()) == MM2_TABLES | OWN_TABLES | {VERSION_TABLE}
        for table, columns in SAMPLE_COLUMNS.items():
            assert {c["name"] for c in inspector.get_columns(table)} == columns, table
        for table, expected in UNIQUE_CONSTRAINTS.items():
            found = {u["name"]: u["column_names"] for u in inspector.get_unique_constraints(table)}
            for name, columns in expected.items():
                assert found.get(name) == columns, (table, name, found)
        for table, names in INDEXES.items():
            assert names <= {i["name"] for i in inspector.get_indexes(table)}, table
        nullable = {c["name"]: c["nullable"] for c in inspector.get_columns("host")}
        assert nullable["site_id"] and not nullable["name"] and not nullable["country"]
        hcd_fks = {
            fk["referred_table"]: fk for fk in inspector.get_foreign_keys("host_category_dir")
        }
        assert hcd_fks["host_category"]["options"].get("ondelete") == "CASCADE"
        assert hcd_fks["directory"]["options"].get("ondelete") == "CASCADE"
        assert hcd_fks["directory"]["name"] == "fk_host_category_dir_directory_id_directory"
        assert inspector.get_pk_constraint("access_stat")["constrained_columns"] == [
            "category_id", "date", "name"
        ]
    finally:
        store.close()


def test_migrations_build_exactly_schema_py(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, schema.metadata)
    diffs = [
        d for d in diffs
        if not (d[0] == "remove_table" and d[1].name == VERSION_TABLE)
        # PostgreSQL drops a UNIQUE identical to the primary key (mm_user_group), as upstream
        and not (d[0] == "add_constraint" and d[1].table.name == "mm_user_group")
    ]  # fmt: skip
    assert diffs == []


def test_upgrade_adopts_an_existing_mm2_database(store_url: str) -> None:
    """Tables MirrorManager2 already created are kept (with their rows); MirrorManager2's own
    alembic_version table is left alone."""
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        schema.metadata.create_all(conn, tables=[schema.site, schema.host, schema.arch])
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.exec_driver_sql("INSERT INTO alembic_version VALUES ('3264c6353b51')")
        conn.execute(sa.insert(schema.arch).values(name="x86_64"))
    engine.dispose()
    store = SqlStore(store_url)
    try:
        store.upgrade()
        assert set(sa.inspect(store.engine).get_table_names()) == (
            MM2_TABLES | OWN_TABLES | {VERSION_TABLE, "alembic_version"}
        )
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == (
                "3264c6353b51"
            )
        assert store.load_deployment().arches == (ArchSpec("x86_64"),)
    finally:
        store.close()


def test_upgrade_twice_is_a_no_op(store: SqlStore) -> None:
    store.apply_deployment(sample_deployment())
    before = dump(store)
    tables = set(sa.inspect(store.engine).get_table_names())
    assert store.upgrade() == SqlStore.head_revision()
    assert dump(store) == before
    assert set(sa.inspect(store.engine).get_table_names()) == tables


def test_revision_and_schema_check(store_url: str) -> None:
    store = SqlStore(store_url)
    try:
        assert store.current_revision() is None
        with pytest.raises(SchemaOutOfDate, match="mirrormanager db upgrade"):
            store.check_schema()
        store.upgrade()
        assert store.current_revision() == SqlStore.head_revision()
        store.check_schema()
    finally:
        store.close()


def test_store_attributes(store_url: str) -> None:
    store = SqlStore(store_url)
    try:
        # the parts this module covers (scan, crawl and cache operations have their own tests)
        for part in (StoreLifecycle, DeploymentStore, BulkStore):
            assert isinstance(store, part)
        assert store.pool_size == 5
        assert store.dialect in ("sqlite", "postgresql")
    finally:
        store.close()
    masked = SqlStore("postgresql://mm:s3cret@db.example:5432/mm")
    assert "s3cret" not in masked.display_url and "***" in masked.display_url
    assert masked.engine.dialect.driver == "psycopg"
    masked.close()


def test_plugin_opens_only_its_urls(tmp_path) -> None:
    opened = plugin.mm_open_store(url=f"sqlite:///{tmp_path}/x.db", create=True)
    assert isinstance(opened, SqlStore)
    opened.close()
    assert plugin.mm_open_store(url="mysql://x@y/z", create=True) is None


def test_missing_sqlite_file_is_not_created_unless_asked(tmp_path) -> None:
    path = tmp_path / "absent.db"
    with pytest.raises(StoreMissing, match="does not exist; run `mirrormanager db upgrade`"):
        SqlStore(f"sqlite:///{path}", create=False)
    assert not path.exists()
    with pytest.raises(StoreConfigError, match="not a valid URL"):
        SqlStore("postgresql://[::1/mm")


def _run_cli(*argv: str) -> tuple[int, str]:
    """Run the command line with only the core's commands and this plugin (other plugins in
    the tree may be half written while it is being developed)."""
    from mmcore.builtins import commands

    pm = get_plugin_manager(load_entry_points=False, extra_plugins=[commands, plugin])
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err, plugin_manager=pm)
    return status, out.getvalue() + err.getvalue()


def test_db_commands(tmp_path) -> None:
    config = tmp_path / "mm.toml"
    db = tmp_path / "cli.db"
    config.write_text(f'[database]\nurl = "sqlite:///{db}"\n')
    head = SqlStore.head_revision()
    # a read-only command never creates the database
    assert _run_cli("--config", str(config), "db", "current") == (
        1, f"database sqlite:///{db} does not exist; run `mirrormanager db upgrade` to create "
           "it\n"
    )
    assert not db.exists()
    db.touch()  # an empty file: a database without schema
    assert _run_cli("--config", str(config), "db", "current") == (
        1, f"database sqlite:///{db} is empty\n"
    )
    assert _run_cli("--config", str(config), "db", "upgrade") == (
        0, f"database sqlite:///{db} at revision {head}\n"
    )
    assert _run_cli("--config", str(config), "db", "current") == (0, f"{head}\n")


# --------------------------------------------------------------------------------------------
# declarative deployment
# --------------------------------------------------------------------------------------------


def test_deployment_round_trip(store: SqlStore) -> None:
    deployment = sample_deployment()
    store.apply_deployment(deployment)
    assert store.load_deployment() == deployment
    with store.engine.connect() as conn:
        topdirs = conn.execute(
            sa.select(schema.category.c.name, schema.directory.c.name)
            .join(schema.category_directory,
                  schema.category_directory.c.category_id == schema.category.c.id)
            .join(schema.directory,
                  schema.directory.c.id == schema.category_directory.c.directory_id)
        ).all()
        urls = dict(conn.execute(sa.select(schema.host_category_url.c.url,
                                           schema.host_category_url.c.private)).all())
        netblocks = conn.execute(sa.select(schema.host_netblock.c.netblock,
                                           schema.host_netblock.c.name)).all()
    assert sorted(topdirs) == [("Fedora EPEL", "pub/epel"), ("Fedora Linux", "pub/fedora/linux")]
    assert urls["rsync://mirror.example.edu/fedora/linux"] is True
    assert urls["https://mirror.example.edu/epel"] is False
    assert all(netblock == name for netblock, name in netblocks)


def test_reads_keep_what_postgresql_prepared(store: SqlStore) -> None:
    """psycopg prepares a statement on its fifth run and forgets them all at a ROLLBACK: a
    read that ended in ROLLBACK made PostgreSQL plan every query of every page again."""
    if store.dialect != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    store.apply_deployment(sample_deployment())
    mirror = host_id(store, "mirror.example.edu")
    for _ in range(8):
        assert store.host_detail(mirror) is not None
    with store._reading("count the prepared statements of") as conn:
        prepared = conn.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements").scalar()
    assert prepared >= 10  # the host page's statements, kept on the one pooled connection


def test_apply_is_idempotent(store: SqlStore) -> None:
    store.apply_deployment(sample_deployment())
    counts, rows = store.table_counts(), dump(store)
    store.apply_deployment(store.load_deployment())
    store.apply_deployment(sample_deployment())
    assert store.table_counts() == counts
    assert dump(store) == rows


def test_products_created_for_categories(store: SqlStore) -> None:
    store.apply_deployment(
        Deployment(categories=[CategorySpec("Fedora Other", "Other", "pub/alt")])
    )
    loaded = store.load_deployment()
    assert loaded.products == (ProductSpec("Other"),)
    assert loaded.categories == (CategorySpec("Fedora Other", "Other", "pub/alt"),)


def test_owned_lists_are_replaced(store: SqlStore) -> None:
    store.apply_deployment(sample_deployment())
    # a host_category_dir under the EPEL host category, which the new deployment drops
    mirror = host_id(store, "mirror.example.edu")
    with store.engine.begin() as conn:
        hc = conn.execute(
            sa.select(schema.host_category.c.id)
            .join(schema.category, schema.category.c.id == schema.host_category.c.category_id)
            .where(schema.host_category.c.host_id == mirror,
                   schema.category.c.name == "Fedora EPEL")
        ).scalar_one()
        conn.execute(sa.insert(schema.host_category_dir).values(host_category_id=hc, path=""))
    site = sample_deployment().sites[0]
    host = site.hosts[0]
    new_host = HostSpec(
        host.name, "FR", netblocks=["198.51.100.0/24"], countries_allowed=["FR", "BE"],
        peer_asns=[681],
        categories=[HostCategorySpec("Fedora Linux",
                                     urls=["https://mirror.example.edu/pub/fedora/linux"],
                                     private_urls=["https://mirror.example.edu/fedora/linux"])],
    )  # fmt: skip
    changed = Deployment(sites=[SiteSpec(site.name, admins=["carol"], hosts=[new_host])])
    store.apply_deployment(changed)
    loaded = store.load_deployment()
    loaded_site = next(s for s in loaded.sites if s.name == site.name)
    assert loaded_site.admins == ("carol",)
    loaded_host = next(h for h in loaded_site.hosts if h.name == host.name)
    assert loaded_host == new_host
    # a named site's hosts are exactly the listed ones (the import adds the hosts it keeps to
    # what it passes here); sites not named are left alone
    assert {h.name for h in loaded_site.hosts} == {"mirror.example.edu"}
    assert {s.name for s in loaded.sites} == {"Example University", "Other"}
    assert store.table_counts()["host_category_dir"] == 0
    # the URL moved from public to private kept its row (no delete + insert)
    assert store.table_counts()["host_category_url"] == 2


def test_hosts_not_listed_are_deleted_with_what_they_own(store: SqlStore) -> None:
    store.apply_deployment(sample_deployment())
    mirror = host_id(store, "mirror.example.edu")
    with store.engine.begin() as conn:
        hc = conn.execute(sa.select(schema.host_category.c.id)
                          .where(schema.host_category.c.host_id == mirror)).scalars().first()
        conn.execute(sa.insert(schema.host_category_dir).values(host_category_id=hc, path=""))
        conn.execute(sa.insert(schema.host_acl_ip).values(host_id=mirror, ip="192.0.2.1"))
        location = conn.execute(sa.insert(schema.location).values(name="lab")).inserted_primary_key[0]
        conn.execute(sa.insert(schema.host_location).values(host_id=mirror, location_id=location))
    site = sample_deployment().sites[0]
    store.apply_deployment(Deployment(sites=[attrs.evolve(site, hosts=site.hosts[1:])]))
    counts = store.table_counts()
    for table in ("host_category", "host_category_dir", "host_category_url", "host_netblock",
                  "host_peer_asn", "host_country_allowed", "host_acl_ip", "host_location"):
        assert counts[table] == 0, table
    assert counts["location"] == 1
    assert {h.name for s in store.load_deployment().sites for h in s.hosts} == {
        "private.example.edu", "m.other.org"}


def test_apply_refuses_what_does_not_read_back(store: SqlStore) -> None:
    """The written entities are read back: a URL listed both public and private can only be
    stored once, so the write is refused and rolled back instead of silently differing."""
    store.apply_deployment(sample_deployment())
    before = dump(store)
    url = "https://mirror.example.edu/fedora/linux"
    site = sample_deployment().sites[0]
    host = attrs.evolve(site.hosts[0], categories=[
        HostCategorySpec("Fedora Linux", urls=[url], private_urls=[url])])
    with pytest.raises(StoreError, match="does not read back as written for site"):
        store.apply_deployment(Deployment(sites=[attrs.evolve(site, hosts=[host, site.hosts[1]])]))
    assert dump(store) == before


def test_urls_may_move_between_hosts(store: SqlStore) -> None:
    store.apply_deployment(sample_deployment())
    deployment = sample_deployment()
    site = deployment.sites[0]
    a, b = site.hosts
    moved = Deployment(sites=[SiteSpec(site.name, hosts=[
        HostSpec(a.name, "DE", categories=[]),
        HostSpec(b.name, "DE", countries_allowed=["DE"], categories=[
            HostCategorySpec("Fedora Linux", urls=["https://mirror.example.edu/fedora/linux"])
        ]),
    ])])  # fmt: skip
    store.apply_deployment(moved)
    loaded = {h.name: h for h in store.load_deployment().sites[0].hosts}
    assert loaded[b.name].categories[0].urls == ("https://mirror.example.edu/fedora/linux",)
    assert loaded[b.name].countries_allowed == ("DE",)
    assert loaded[a.name].categories == ()


def test_failing_apply_changes_nothing(store: SqlStore) -> None:
    store.apply_deployment(sample_deployment())
    before = dump(store)
    site = sample_deployment().sites[0]
    # host_country_allowed.country is globally unique: two hosts cannot both restrict to DE
    clash = Deployment(
        arches=[ArchSpec("ppc64le")],
        sites=[SiteSpec(site.name, admins=["mallory"], hosts=[
            HostSpec(site.hosts[0].name, "DE", countries_allowed=["NL"]),
            HostSpec("third.example.edu", "DE", countries_allowed=["NL"]),
        ])],
    )  # fmt: skip
    with pytest.raises(StoreError, match="cannot apply the deployment"):
        store.apply_deployment(clash)
    assert dump(store) == before
    unknown = Deployment(arches=[ArchSpec("ppc64le")], sites=[SiteSpec("New", hosts=[
        HostSpec("h.new.org", "US", categories=[HostCategorySpec("No Such Category")])
    ])])  # fmt: skip
    with pytest.raises(StoreError, match="No Such Category"):
        store.apply_deployment(unknown)
    assert dump(store) == before


# --------------------------------------------------------------------------------------------
# bulk loading
# --------------------------------------------------------------------------------------------


HCD_COLUMNS = ("id", "host_category_id", "path", "up2date", "directory_id")


def _index_names(store: SqlStore, table: str) -> set[str]:
    return {i["name"] for i in sa.inspect(store.engine).get_indexes(table)}


def test_bulk_load(store: SqlStore) -> None:
    store.apply_deployment(sample_deployment())
    with store.engine.connect() as conn:
        hc_query = sa.select(schema.host_category.c.id).order_by(schema.host_category.c.id)
        hc_ids = list(conn.execute(hc_query).scalars())
        max_dir = conn.execute(sa.select(sa.func.max(schema.directory.c.id))).scalar_one()
    hcd_indexes = _index_names(store, "host_category_dir")
    n_dirs = 1000
    first_dir = max_dir + 1
    directories = (
        (first_dir + i, f"pub/fedora/linux/d{i}", encode_file_list([FileEntry("f", i, 7)]),
         True, i)
        for i in range(n_dirs)
    )
    hcds = (
        (10 * i + j + 1, hc_id, f"d{i}", bool(i % 2), first_dir + i)
        for i in range(n_dirs)
        for j, hc_id in enumerate(hc_ids)
    )
    progress: list[tuple[str, int]] = []
    counts = store.bulk_load(
        {
            "directory": (("id", "name", "files", "readable", "ctime"), directories),
            "host_category_dir": (HCD_COLUMNS, hcds),
        },
        lambda table, done: progress.append((table, done)),
    )
    assert counts == {"directory": n_dirs, "host_category_dir": n_dirs * len(hc_ids)}
    assert progress[-1] == ("host_category_dir", n_dirs * len(hc_ids))
    assert ("directory", n_dirs) in progress
    assert store.table_counts()["host_category_dir"] == n_dirs * len(hc_ids)
    assert _index_names(store, "host_category_dir") == hcd_indexes
    with store.engine.connect() as conn:
        raw = conn.execute(
            sa.select(schema.directory.c.files)
            .where(schema.directory.c.name == "pub/fedora/linux/d5")
        ).scalar_one()
    assert decode_file_list(raw) == (FileEntry("f", 5, 7),)
    # sequences moved past the loaded ids: a normal insert gets a fresh id
    store.apply_deployment(Deployment(categories=[CategorySpec("New", "Fedora", "pub/new")]))
    with store.engine.begin() as conn:
        new_dir = conn.execute(
            sa.select(schema.directory.c.id).where(schema.directory.c.name == "pub/new")
        ).scalar_one()
        new_hcd = conn.execute(
            sa.insert(schema.host_category_dir).values(host_category_id=hc_ids[0], path="new")
        ).inserted_primary_key[0]
    assert new_dir > first_dir + n_dirs - 1
    assert new_hcd == 10 * (n_dirs - 1) + len(hc_ids) + 1


def test_failing_bulk_load_changes_nothing(store: SqlStore) -> None:
    store.apply_deployment(sample_deployment())
    before = dump(store)
    indexes = _index_names(store, "host_category_dir")
    rows = ((1, 999_999, "x", True, None),)  # no such host_category
    with pytest.raises(StoreError):
        store.bulk_load(
            {"host_category_dir": (HCD_COLUMNS, rows)}
        )
    assert dump(store) == before
    assert _index_names(store, "host_category_dir") == indexes
    with pytest.raises(StoreError, match="unknown table"):
        store.bulk_load({"nope": (("id",), [])})
    with pytest.raises(StoreError, match="no column"):
        store.bulk_load({"arch": (("id", "bogus"), [])})


# --------------------------------------------------------------------------------------------
# directory.files
# --------------------------------------------------------------------------------------------


def test_files_codec_is_json_and_never_unpickles(caplog: pytest.LogCaptureFixture) -> None:
    files = (FileEntry("b.rpm", 2, 20), FileEntry("a.rpm", 1, 10))
    encoded = encode_file_list(files)
    assert encoded == (
        b'[{"name":"a.rpm","size":1,"timestamp":10},{"name":"b.rpm","size":2,"timestamp":20}]'
    )
    assert decode_file_list(encoded) == tuple(sorted(files, key=lambda f: f.name))
    legacy = pickle.dumps({"a.rpm": {"size": 1, "stat": 10}}, protocol=2)
    with caplog.at_level(logging.WARNING):
        assert decode_file_list(legacy, "pub/old") == ()
    assert "pub/old" in caplog.text
    assert decode_file_list(None) == ()
