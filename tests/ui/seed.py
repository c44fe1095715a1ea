"""Content for UI tests that need a master tree: a category with a repository, and the crawl
and propagation results the crawler would record (through the crawler's own store calls)."""

from __future__ import annotations

import datetime
from typing import Any

import attrs

from mmcore.crawl.store import CategoryRecord, CrawlStatus, HostCrawlRecord, PropagationCounts

TOPDIR = "pub/fedora/linux"
REPO_DIR = "pub/fedora/linux/releases/40/Everything/x86_64/os"


@attrs.frozen
class Content:
    product_id: int
    category_id: int
    directory_id: int
    repository_id: int


def seed_content(store: Any) -> Content:
    """Fedora 40 x86_64 in category "Fedora Linux", with 8 propagation runs."""
    store.bulk_load({
        "product": (("id", "name", "publiclist"), [(1, "Fedora", True)]),
        "directory": (("id", "name", "readable", "ctime"),
                      [(1, TOPDIR, True, 0), (2, REPO_DIR, True, 0)]),
        "category": (("id", "name", "product_id", "topdir_id", "publiclist", "admin_only"),
                     [(1, "Fedora Linux", 1, 1, True, False)]),
        "category_directory": (("category_id", "directory_id"), [(1, 1), (1, 2)]),
        "arch": (("id", "name", "publiclist", "primary_arch"), [(1, "x86_64", True, True)]),
        "version": (("id", "name", "product_id", "display", "is_test", "ordered_mirrorlist",
                     "sortorder"), [(1, "40", 1, True, False, True, 0)]),
        "repository": (("id", "name", "prefix", "category_id", "version_id", "arch_id",
                        "directory_id", "disabled"),
                       [(1, REPO_DIR, "fedora-40", 1, 1, 1, 2, False)]),
    })
    start = datetime.datetime(2026, 11, 20, 6, 0)
    for run in range(8):
        store.record_propagation(
            [PropagationCounts(1, same_day=3 + run, one_day=4 - run // 2, two_day=2,
                               older=1, no_info=run % 2)],
            start + datetime.timedelta(hours=12 * run))
    return Content(1, 1, 2, 1)


def record_up_to_date(store: Any, host_id: int, host_category_id: int,
                      directory_id: int = 2) -> None:
    """What a successful crawl of the host records: the repository directory up to date."""
    path = REPO_DIR[len(TOPDIR) + 1:]
    store.record_host_crawl(HostCrawlRecord(
        host_id=host_id, status=CrawlStatus.OK,
        finished_at=datetime.datetime.now(datetime.UTC).replace(tzinfo=None), duration=3,
        categories=(CategoryRecord(host_category_id, ((directory_id, path, True),)),),
    ))
