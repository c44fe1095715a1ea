"""The synthetic deployment of ``(scale, seed)``: :class:`Dataset` plans it and hands every table
over, in foreign-key order, as :class:`TableRows` generated lazily."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from mirrormanager_devtools.dataset import content_rows, global_rows, host_rows
from mirrormanager_devtools.dataset.plans import Plan, Row
from mirrormanager_devtools.dataset.reference import (
    ARCHES,
    CATEGORIES,
    CONTINENT_REDIRECTS,
    EMBARGOED,
    LOCATIONS,
)


@attrs.frozen
class TableRows:
    """One table of the dataset: its columns, its rows (an iterable, consumed once) and exactly
    how many rows it will yield."""

    columns: tuple[str, ...]
    rows: Iterable[Row]
    expected: int


class Dataset(Plan):
    """The synthetic deployment of ``(scale, seed)``: its :class:`Plan`, and every table
    generated lazily from it by :meth:`tables`."""

    def tables(self) -> dict[str, TableRows]:
        """Every table, in foreign-key order, as ``{name: TableRows}``."""
        t = self.tree
        file_details = sum(len(rows) for rows in content_rows.file_detail_plan(self).values())
        hcds = sum(self.hcd_count(hc) for hc in self.host_categories)
        return {
            "site": TableRows(
                ("id", "name", "password", "org_url", "private", "admin_active", "user_active",
                 "created_at", "created_by", "all_sites_can_pull_from_me",
                 "downstream_comments", "email_on_drop", "email_on_add"),
                host_rows.site_rows(self), len(self.sites)),
            "site_admin": TableRows(("id", "username", "site_id"), host_rows.site_admin_rows(self),
                                    host_rows.site_admin_count(self)),
            "country": _listed(("id", "code"), [(i, c) for c, i in self.country_ids.items()]),
            "arch": _listed(("id", "name", "publiclist", "primary_arch"),
                            [(i, *a) for i, a in enumerate(ARCHES, start=1)]),
            "product": _listed(("id", "name", "publiclist"),
                               [(i, p, True) for p, i in self.product_ids.items()]),
            "version": TableRows(
                ("id", "name", "codename", "is_test", "display", "display_name",
                 "ordered_mirrorlist", "sortorder", "product_id"),
                content_rows.version_rows(self), len(t.versions)),
            "directory": TableRows(("id", "name", "files", "readable", "ctime"),
                                   content_rows.directory_rows(self), len(t.names)),
            "category": TableRows(
                ("id", "name", "canonicalhost", "publiclist", "geo_dns_domain", "admin_only",
                 "product_id", "topdir_id"),
                content_rows.category_rows(self), len(CATEGORIES)),
            "category_directory": TableRows(
                ("category_id", "directory_id"),
                ((cat + 1, i + 1) for i, cat in enumerate(t.categories)), len(t.names)),
            "repository": TableRows(
                ("id", "name", "prefix", "category_id", "version_id", "arch_id", "directory_id",
                 "disabled"),
                content_rows.repository_rows(self), len(t.repos)),
            "file_detail": TableRows(
                ("id", "filename", "timestamp", "size", "sha1", "md5", "sha256", "sha512",
                 "directory_id"),
                content_rows.file_detail_rows(self), file_details),
            "host": TableRows(
                ("id", "name", "site_id", "robot_email", "admin_active", "user_active", "country",
                 "bandwidth_int", "comment", "last_checked_in", "last_crawled", "private",
                 "internet2", "internet2_clients", "asn", "asn_clients", "max_connections",
                 "last_crawl_duration", "crawl_failures", "disable_reason", "latitude",
                 "longitude"),
                host_rows.host_rows(self), len(self.hosts)),
            "host_category": TableRows(
                ("id", "host_id", "category_id", "always_up2date"),
                ((hc.id, hc.host.id, hc.category + 1, hc.host.private and hc.state == "fresh"
                  and hc.id % 17 == 0) for hc in self.host_categories),
                len(self.host_categories)),
            "host_category_url": TableRows(
                ("id", "host_category_id", "url", "private", "ipv4", "ipv6"),
                host_rows.url_rows(self), host_rows.url_count(self)),
            "host_category_dir": TableRows(
                ("id", "host_category_id", "path", "up2date", "directory_id"),
                host_rows.hcd_rows(self), hcds),
            "host_netblock": TableRows(("id", "netblock", "name", "host_id"),
                                       host_rows.netblock_rows(self),
                                       sum(host_rows.netblock_counts(self))),
            "host_peer_asn": _listed(("id", "asn", "name", "host_id"),
                                     host_rows.peer_asn_plan(self)),
            "host_country_allowed": _listed(("id", "country", "host_id"),
                                            host_rows.allowed_plan(self)),
            "host_country": _listed(("id", "country_id", "host_id"),
                                    host_rows.host_country_plan(self)),
            "location": _listed(("id", "name"), list(enumerate(LOCATIONS, start=1))),
            "host_location": _listed(("id", "location_id", "host_id"),
                                     host_rows.host_location_plan(self)),
            "repository_redirect": _listed(("id", "from_repo", "to_repo"),
                                           global_rows.redirect_plan(self)),
            "country_continent_redirect": _listed(
                ("id", "country", "continent"),
                [(i, c, k) for i, (c, k) in enumerate(CONTINENT_REDIRECTS, start=1)]),
            "embargoed_country": _listed(("id", "country_code"),
                                         list(enumerate(EMBARGOED, start=1))),
            "netblock_country": _listed(("id", "netblock", "country"),
                                        global_rows.netblock_country_plan(self)),
            "propagation_stat": _listed(
                ("repository_id", "datetime", "same_day", "one_day", "two_day", "older",
                 "no_info"),
                global_rows.propagation_plan(self)),
            "access_stat_category": _listed(
                ("id", "name"), [(1, "countries"), (2, "archs"), (3, "repositories")]),
            "access_stat": _listed(("category_id", "date", "name", "percent", "requests"),
                                   global_rows.access_stat_plan(self)),
        }


def _listed(columns: tuple[str, ...], rows: list[Row]) -> TableRows:
    """A table whose rows are planned up front as a list."""
    return TableRows(columns, rows, len(rows))
