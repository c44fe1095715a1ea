"""``crawl propagation``: how far the newest repomd.xml of each release has spread.

For every (product, version) -- the displayed, non-test versions of the products named in
``[crawler] propagation_repos``, or those given on the command line -- the repository with the
product's prefix (``updates-released-f{version}``, ...) is looked up, preferring
``propagation_arch``.  Each active public mirror carrying its category gets one GET of
``<http(s) URL>/<repodata path>/repomd.xml`` (byte-capped, under the crawl's concurrency), whose
sha256 is matched against the master's repomd.xml file details of the last ``max_stale_days``:
the same as the newest -> same day; one matching a detail 1, 2 or more days older -> one day,
two days, older; no match -> older; not fetchable -> no info.  One ``propagation_stat`` row per
repository is inserted with the counts.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence

import attrs
import trio

from mmcore.crawl.config import CrawlerConfig
from mmcore.crawl.hostlog import HostLog
from mmcore.crawl.protocol import CrawlProtocol, FetchingSession, join_url
from mmcore.crawl.store import CrawlStore, PropagationCounts, PropagationRepository
from mmcore.db import run_db
from mmcore.logs import kv

log = logging.getLogger("mmcore.crawl.propagation")
DAY = 86400


def classify(sha256: str | None, master: Sequence[tuple[str, int]]) -> str:
    """``same_day`` / ``one_day`` / ``two_day`` / ``older`` / ``no_info``."""
    if sha256 is None or not master:
        return "no_info"
    newest = master[0][1]
    for digest, timestamp in master:
        if digest == sha256.lower():
            age = newest - timestamp
            if age > 3 * DAY:
                return "older"
            if age > 2 * DAY:
                return "two_day"
            if age > DAY:
                return "one_day"
            return "same_day"
    return "older"


@attrs.frozen
class PropagationResult:
    counts: tuple[PropagationCounts, ...]
    repositories: tuple[PropagationRepository, ...]


async def measure_propagation(
    store: CrawlStore,
    protocols: Sequence[CrawlProtocol],
    limits: CrawlerConfig,
    *,
    templates: dict[str, str],
    arch: str,
    max_stale_days: int,
    versions: Sequence[tuple[str, str]] | None = None,
    dry_run: bool = False,
) -> PropagationResult:
    if versions is None:
        versions = await run_db(store, store.propagation_versions, list(templates))
    prefixes = [templates[p].format(version=v) for p, v in versions if p in templates]
    repositories = await run_db(
        store, store.propagation_repositories, prefixes, arch, max_stale_days
    )
    mirrors = await run_db(
        store, store.propagation_mirrors, sorted({r.category_id for r in repositories})
    )
    http = next((p for p in protocols if "https" in p.schemes or "http" in p.schemes), None)
    tallies = {r.repository_id: {k: 0 for k in ("same_day", "one_day", "two_day", "older", "no_info")} for r in repositories}
    if http is not None and repositories:
        limiter = trio.CapacityLimiter(max(1, limits.concurrency))
        async with http.session(limits) as session:
            assert isinstance(session, FetchingSession)

            async def one(repo: PropagationRepository, url: str, host_id: int, name: str) -> None:
                async with limiter:
                    target = join_url(url, repo.repodata_path, "repomd.xml")
                    sha = await session.fetch_sha256(target, HostLog(host_id, name))
                    status = classify(sha, repo.master)
                    tallies[repo.repository_id][status] += 1
                    log.debug(kv(event="propagation", host=host_id, repo=repo.prefix, status=status))

            async with trio.open_nursery() as nursery:
                for repo in repositories:
                    for mirror in mirrors:
                        if mirror.category_id == repo.category_id:
                            nursery.start_soon(one, repo, mirror.url, mirror.host_id, mirror.host_name)
    counts = tuple(PropagationCounts(rid, **tally) for rid, tally in tallies.items())
    if not dry_run and counts:
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        await run_db(store, store.record_propagation, counts, now)
    for repo, count in zip(repositories, counts, strict=True):
        log.info(kv(event="propagation_measured", repo=repo.prefix, same_day=count.same_day,
                    one_day=count.one_day, two_day=count.two_day, older=count.older,
                    no_info=count.no_info))
    return PropagationResult(counts, tuple(repositories))
