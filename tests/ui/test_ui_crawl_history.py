"""The host page's crawl history: what the crawler records for each crawl of the host."""

from __future__ import annotations

import datetime
from typing import Any

from mmcore.crawl.store import CRAWL_HISTORY, CrawlStatus, HostCrawlRecord

from tests.ui.conftest import World


def _crawl(store: Any, host_id: int, status: CrawlStatus, minutes: int, **kwargs: Any) -> None:
    store.record_host_crawl(HostCrawlRecord(
        host_id=host_id, status=status,
        finished_at=datetime.datetime(2026, 12, 1, 10, 0) + datetime.timedelta(minutes=minutes),
        duration=7, auto_disable=0, **kwargs))


async def test_host_page_shows_the_crawl_history(actors: dict, world: World,
                                                 store: Any) -> None:
    _crawl(store, world.host_id, CrawlStatus.OK, 0, protocols="rsync=failed https=ok")
    _crawl(store, world.host_id, CrawlStatus.FAILURE, 1, reason="connection refused",
           protocols="rsync=failed https=failed")
    _crawl(store, world.host_id, CrawlStatus.TIMEOUT, 2, reason="host timeout after 900s")
    page = (await actors["owner"].get(f"/host/{world.host_id}")).text
    history = page.split('id="crawl-history"')[1].split("</table>")[0]
    rows = history.split("<tr>")[2:]
    assert [r.split("<td>")[2].split("<")[0] for r in rows] == ["timeout", "failed", "ok"]
    assert "rsync=failed https=ok" in rows[2] and "connection refused" in rows[1]
    assert '<dd id="crawl-failures">2</dd>' in page  # consecutive failures
    assert "crawl-history" not in (await actors["anonymous"].get(
        f"/mirror/{world.host_id}")).text


def test_history_keeps_the_newest_crawls(store: Any, world: World) -> None:
    for minute in range(CRAWL_HISTORY + 5):
        _crawl(store, world.host_id, CrawlStatus.OK, minute)
    crawls = store.host_detail(world.host_id, crawls=100).crawls
    assert len(crawls) == CRAWL_HISTORY
    assert crawls[0].finished_at == datetime.datetime(2026, 12, 1, 10, 0) + datetime.timedelta(
        minutes=CRAWL_HISTORY + 4)
