"""A MirrorManager2 database as MirrorManager2 itself creates it, written from the schema notes
(``mm2.md`` section 1) -- not from our ``schema.py`` -- with sample rows, for ``db adopt``.

Plain DDL that PostgreSQL and SQLite both accept (explicit ids in every insert).
"""

from __future__ import annotations

import pickle

import sqlalchemy as sa

MM2_REVISION = "3264c6353b51"

DDL = """
CREATE TABLE site (id INTEGER PRIMARY KEY, name TEXT NOT NULL, password TEXT, org_url TEXT,
  private BOOLEAN NOT NULL, admin_active BOOLEAN NOT NULL, user_active BOOLEAN NOT NULL,
  created_at TIMESTAMP NOT NULL, created_by TEXT NOT NULL,
  all_sites_can_pull_from_me BOOLEAN NOT NULL, downstream_comments TEXT,
  email_on_drop BOOLEAN NOT NULL, email_on_add BOOLEAN NOT NULL);
CREATE INDEX ix_site_name ON site (name);
CREATE TABLE site_admin (id INTEGER PRIMARY KEY, username TEXT,
  site_id INTEGER NOT NULL REFERENCES site (id));
CREATE TABLE site_to_site (id INTEGER PRIMARY KEY, username TEXT, password TEXT,
  upstream_site_id INTEGER NOT NULL REFERENCES site (id),
  downstream_site_id INTEGER NOT NULL REFERENCES site (id),
  CONSTRAINT site_to_site_idx UNIQUE (upstream_site_id, downstream_site_id),
  CONSTRAINT site_to_site_username_idx UNIQUE (upstream_site_id, username));
CREATE TABLE country (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
CREATE TABLE host (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
  site_id INTEGER REFERENCES site (id), robot_email TEXT, admin_active BOOLEAN NOT NULL,
  user_active BOOLEAN NOT NULL, country TEXT NOT NULL, bandwidth_int INTEGER, comment TEXT,
  config BYTEA, last_checked_in TIMESTAMP, last_crawled TIMESTAMP, private BOOLEAN NOT NULL,
  internet2 BOOLEAN NOT NULL, internet2_clients BOOLEAN NOT NULL, asn INTEGER,
  asn_clients BOOLEAN NOT NULL, max_connections INTEGER NOT NULL,
  last_crawl_duration BIGINT, crawl_failures INTEGER NOT NULL, disable_reason TEXT,
  push_ssh_private_key TEXT, push_ssh_host TEXT, push_ssh_command TEXT, last_crawls BYTEA,
  latitude FLOAT, longitude FLOAT, CONSTRAINT host_idx UNIQUE (site_id, name));
CREATE TABLE host_acl_ip (id INTEGER PRIMARY KEY, ip TEXT UNIQUE,
  host_id INTEGER REFERENCES host (id), CONSTRAINT host_acl_ip_hipindex UNIQUE (host_id, ip));
CREATE TABLE host_country_allowed (id INTEGER PRIMARY KEY, country TEXT NOT NULL UNIQUE,
  host_id INTEGER REFERENCES host (id));
CREATE TABLE host_netblock (id INTEGER PRIMARY KEY, netblock TEXT, name TEXT,
  host_id INTEGER REFERENCES host (id));
CREATE TABLE host_peer_asn (id INTEGER PRIMARY KEY, asn INTEGER NOT NULL, name TEXT,
  host_id INTEGER REFERENCES host (id), CONSTRAINT host_peer_asn_idx UNIQUE (host_id, asn));
CREATE TABLE host_country (id INTEGER PRIMARY KEY,
  country_id INTEGER NOT NULL REFERENCES country (id),
  host_id INTEGER NOT NULL REFERENCES host (id),
  CONSTRAINT host_country_hlidx UNIQUE (host_id, country_id));
CREATE TABLE host_stats (id INTEGER PRIMARY KEY, timestamp TIMESTAMP NOT NULL, type TEXT,
  data BYTEA, host_id INTEGER REFERENCES host (id));
CREATE TABLE location (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE host_location (id INTEGER PRIMARY KEY,
  location_id INTEGER NOT NULL REFERENCES location (id),
  host_id INTEGER NOT NULL REFERENCES host (id),
  CONSTRAINT host_location_hlidx UNIQUE (location_id, host_id));
CREATE TABLE product (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
  publiclist BOOLEAN NOT NULL);
CREATE TABLE directory (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, files BYTEA,
  readable BOOLEAN NOT NULL, ctime BIGINT);
CREATE TABLE category (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, canonicalhost TEXT,
  publiclist BOOLEAN NOT NULL, geo_dns_domain TEXT, admin_only BOOLEAN,
  product_id INTEGER REFERENCES product (id), topdir_id INTEGER REFERENCES directory (id));
CREATE TABLE category_directory (category_id INTEGER REFERENCES category (id),
  directory_id INTEGER REFERENCES directory (id), PRIMARY KEY (category_id, directory_id));
CREATE TABLE arch (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
  publiclist BOOLEAN NOT NULL, primary_arch BOOLEAN NOT NULL);
CREATE TABLE version (id INTEGER PRIMARY KEY, name TEXT, codename TEXT,
  is_test BOOLEAN NOT NULL, display BOOLEAN NOT NULL, display_name TEXT,
  ordered_mirrorlist BOOLEAN NOT NULL, sortorder INTEGER NOT NULL,
  product_id INTEGER REFERENCES product (id), CONSTRAINT version_idx UNIQUE (name, product_id));
CREATE TABLE repository (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, prefix TEXT,
  category_id INTEGER REFERENCES category (id), version_id INTEGER REFERENCES version (id),
  arch_id INTEGER REFERENCES arch (id), directory_id INTEGER REFERENCES directory (id),
  disabled BOOLEAN NOT NULL, CONSTRAINT repository_idx UNIQUE (prefix, arch_id));
CREATE TABLE file_detail (id INTEGER PRIMARY KEY, filename TEXT NOT NULL, timestamp BIGINT,
  size BIGINT, sha1 TEXT, md5 TEXT, sha256 TEXT, sha512 TEXT,
  directory_id INTEGER NOT NULL REFERENCES directory (id));
CREATE TABLE file_group (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE file_detail_file_group (id INTEGER PRIMARY KEY,
  file_detail_id INTEGER NOT NULL REFERENCES file_detail (id),
  file_group_id INTEGER NOT NULL REFERENCES file_group (id));
CREATE TABLE directory_exclusive_host (id INTEGER PRIMARY KEY,
  directory_id INTEGER NOT NULL REFERENCES directory (id),
  host_id INTEGER NOT NULL REFERENCES host (id),
  CONSTRAINT directory_exclusive_host_idx UNIQUE (directory_id, host_id));
CREATE TABLE host_category (id INTEGER PRIMARY KEY, host_id INTEGER REFERENCES host (id),
  category_id INTEGER REFERENCES category (id) ON DELETE CASCADE,
  always_up2date BOOLEAN NOT NULL, CONSTRAINT host_category_hcindex UNIQUE (host_id, category_id));
CREATE TABLE host_category_dir (id INTEGER PRIMARY KEY,
  host_category_id INTEGER NOT NULL REFERENCES host_category (id)
    ON UPDATE CASCADE ON DELETE CASCADE,
  path TEXT, up2date BOOLEAN NOT NULL,
  directory_id INTEGER REFERENCES directory (id) ON DELETE CASCADE,
  CONSTRAINT host_category_dir_hcdindex UNIQUE (host_category_id, path));
CREATE TABLE host_category_url (id INTEGER PRIMARY KEY,
  host_category_id INTEGER NOT NULL REFERENCES host_category (id)
    ON UPDATE CASCADE ON DELETE CASCADE,
  url TEXT NOT NULL UNIQUE, private BOOLEAN NOT NULL,
  CONSTRAINT host_category_url_hcdindex UNIQUE (host_category_id, url));
CREATE TABLE repository_redirect (id INTEGER PRIMARY KEY, to_repo TEXT,
  from_repo TEXT NOT NULL UNIQUE, CONSTRAINT repository_redirect_idx UNIQUE (from_repo, to_repo));
CREATE TABLE country_continent_redirect (id INTEGER PRIMARY KEY, country TEXT NOT NULL UNIQUE,
  continent TEXT NOT NULL);
CREATE TABLE embargoed_country (id INTEGER PRIMARY KEY, country_code TEXT NOT NULL UNIQUE);
CREATE TABLE netblock_country (id INTEGER PRIMARY KEY, netblock TEXT NOT NULL UNIQUE,
  country TEXT NOT NULL);
CREATE TABLE mm_user (id INTEGER PRIMARY KEY, user_name VARCHAR(16) NOT NULL UNIQUE,
  email_address VARCHAR(255) NOT NULL UNIQUE, display_name VARCHAR(255), password TEXT,
  token VARCHAR(50), created TIMESTAMP NOT NULL, updated_on TIMESTAMP NOT NULL);
CREATE TABLE mm_group (id INTEGER PRIMARY KEY, group_name VARCHAR(16) NOT NULL UNIQUE,
  display_name VARCHAR(255), created TIMESTAMP NOT NULL);
CREATE TABLE mm_user_group (user_id INTEGER REFERENCES mm_user (id),
  group_id INTEGER REFERENCES mm_group (id), PRIMARY KEY (user_id, group_id));
CREATE TABLE mm_user_visit (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL
  REFERENCES mm_user (id), visit_key VARCHAR(40) NOT NULL UNIQUE, user_ip VARCHAR(50) NOT NULL,
  created TIMESTAMP NOT NULL, expiry TIMESTAMP);
CREATE TABLE access_stat_category (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL UNIQUE);
CREATE TABLE access_stat (category_id INTEGER REFERENCES access_stat_category (id),
  date DATE, name VARCHAR(255), percent FLOAT, requests INTEGER,
  PRIMARY KEY (category_id, date, name));
CREATE TABLE propagation_stat (repository_id INTEGER REFERENCES repository (id),
  datetime TIMESTAMP, same_day INTEGER NOT NULL, one_day INTEGER NOT NULL,
  two_day INTEGER NOT NULL, older INTEGER NOT NULL, no_info INTEGER NOT NULL,
  PRIMARY KEY (repository_id, datetime));
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
"""

#: the ``directory.files`` formats a MirrorManager2 database may hold
JSON_FILES = b'[{"name":"repomd.xml","size":3000,"timestamp":1714000300}]'
MM1_FILES = {"Packages.rpm": {"size": 123, "stat": 1250000000},
             "repomd.xml": {"size": 77, "stat": 1250000001}}


class Exploit:
    """A pickle that runs a shell command when unpickled."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):  # type: ignore[no-untyped-def]
        import os

        return (os.system, (f"touch {self.target}",))


def create_mm2_database(url: str, *, exploit_target: str | None = None) -> None:
    """Create the MirrorManager2 schema at ``url`` with sample rows: clear-text site passwords,
    ``directory.files`` as JSON, as a Python 2 pickle, as a Python 3 pickle, empty, and (with
    ``exploit_target``) a pickle that would ``touch`` that file if unpickled."""
    engine = sa.create_engine(url)
    files = [JSON_FILES, pickle.dumps(MM1_FILES, protocol=0), pickle.dumps(MM1_FILES, protocol=2),
             None]
    if exploit_target is not None:
        files.append(pickle.dumps({"x": Exploit(exploit_target)}, protocol=2))
    with engine.begin() as conn:
        for statement in DDL.split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
        conn.exec_driver_sql(f"INSERT INTO alembic_version VALUES ('{MM2_REVISION}')")
        t = "TRUE"
        f = "FALSE"
        conn.exec_driver_sql(
            "INSERT INTO site (id, name, password, org_url, private, admin_active, user_active, "
            "created_at, created_by, all_sites_can_pull_from_me, email_on_drop, email_on_add) "
            f"VALUES (1, 'Alpha', 'hunter2', 'https://alpha.example', {f}, {t}, {t}, "
            f"'2015-01-01 00:00:00', 'ralph', {f}, {f}, {f}), "
            f"(2, 'Beta', NULL, NULL, {f}, {t}, {t}, '2015-01-01 00:00:00', 'kevin', {f}, {f}, {f})"
        )
        # host.config is a pickle upstream: adoption leaves it alone (we never read it)
        conn.execute(sa.text(
            "INSERT INTO host (id, name, site_id, admin_active, user_active, country, "
            "bandwidth_int, private, internet2, internet2_clients, asn_clients, max_connections, "
            f"crawl_failures, config) VALUES (1, 'mirror.alpha.example', 1, {t}, {t}, 'DE', 100, "
            f"{f}, {f}, {f}, {t}, 1, 0, :config)"), {"config": pickle.dumps({"a": 1})})
        conn.exec_driver_sql("INSERT INTO product (id, name, publiclist) VALUES (1, 'Fedora', "
                             f"{t})")
        for index, value in enumerate(files, start=1):
            conn.execute(sa.text(
                "INSERT INTO directory (id, name, files, readable, ctime) "
                f"VALUES (:id, :name, :files, {t}, 0)"),
                {"id": index, "name": f"pub/fedora/linux/d{index}", "files": value})
        conn.exec_driver_sql(
            "INSERT INTO category (id, name, canonicalhost, publiclist, product_id, topdir_id) "
            f"VALUES (1, 'Fedora Linux', 'https://dl.example', {t}, 1, 1)")
        conn.exec_driver_sql("INSERT INTO arch (id, name, publiclist, primary_arch) "
                             f"VALUES (1, 'x86_64', {t}, {t})")
    engine.dispose()
