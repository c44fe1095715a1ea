"""The crawl store says who a disabled host is (what HostCrawlerDisabledV1 carries)."""

from __future__ import annotations

import datetime

from ops_data import populate

from mmcore.crawl.store import CrawlStatus, HostCrawlRecord
from mmcore.events import HostInfo, SiteInfo


def test_disabling_record_returns_site_and_host(store) -> None:
    populate(store)
    record = HostCrawlRecord(host_id=2, status=CrawlStatus.FAILURE,
                             finished_at=datetime.datetime(2024, 4, 25), duration=3,
                             auto_disable=1, reason="connection refused")
    outcome = store.record_host_crawl(record)
    assert outcome.disabled
    assert outcome.site == SiteInfo(id=1, name="Alpha", org_url="https://alpha.example",
                                    admins=("ralph",))
    assert outcome.host == HostInfo(id=2, name="stale.example", country="DE", bandwidth=100)
    again = store.record_host_crawl(record)  # already disabled: no event, no details
    assert not again.disabled and again.site is None
