"""``/metrics`` of the list server: after a known sequence of requests to a server with two
worker processes, every scrape -- whichever worker answers it -- gives the counts of both
workers summed; reloads, the cache generation and the peer check."""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import trio
from listserver_data import CACHE_TIME, service, world, write_inputs
from listserver_process import server_process
from metrics_scrape import samples

from mirrormanager_mirrorlist.httpmessages import Request
from mirrormanager_mirrorlist.metrics import FLUSH_INTERVAL
from mirrormanager_mirrorlist.metrics_export import Scraper, collect
from mmcore.atomic import write_atomically

MIRRORLIST = "/mirrorlist?repo=fedora-40&arch=x86_64"
METALINK = "/metalink?repo=fedora-40&arch=x86_64"
#: (path, X-Forwarded-For, how many times, expected status, tier)
SEQUENCE = [
    (MIRRORLIST, "192.0.2.1", 12, 200, "geoip"),  # DE
    (MIRRORLIST, "10.0.0.5", 6, 200, "netblocks"),  # host 4's private netblock
    (MIRRORLIST + "&country=us", "192.0.2.1", 3, 200, "country"),
    (METALINK, "100.64.0.1", 5, 200, "continent"),  # FR: no host, the rest of Europe
    ("/mirrorlist?repo=nonesuch&arch=x86_64", "192.0.2.1", 2, 404, "none"),
    ("/nothing-here", "192.0.2.1", 4, 404, "none"),
    ("/healthz", None, 3, 200, "none"),
]


def value(scrape: dict, name: str, **labels: str) -> float:
    return scrape.get((name, tuple(sorted(labels.items()))), 0.0)


async def fresh_get(url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """One request on a new connection (the kernel spreads connections over the workers)."""
    async with httpx.AsyncClient(timeout=5) as client:
        return await client.get(url, headers=headers)


async def scrape(url: str) -> dict:
    response = await fresh_get(f"{url}/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return samples(response.text)


async def test_two_workers_count_a_known_sequence(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path)
    async with server_process(paths, tmp_path, workers=2) as server:
        url_lines = 0
        for path, client, times, status, _tier in SEQUENCE:
            for _ in range(times):
                response = await fresh_get(
                    server.url + path, {"X-Forwarded-For": client} if client else None)
                assert response.status_code == status, (path, response.text)
                if path.startswith(MIRRORLIST):
                    url_lines += sum(1 for line in response.text.splitlines()
                                     if not line.startswith("#"))

        scrapes = []
        for _ in range(8):
            # the other worker copies its counts to its file every FLUSH_INTERVAL
            await trio.sleep(FLUSH_INTERVAL * 3)
            scrapes.append(await scrape(server.url))
        for number, scraped in enumerate(scrapes):
            assert value(scraped, "mirrorlist_workers") == 2
            for path, _client, times, status, tier in SEQUENCE:
                endpoint = ("mirrorlist" if "/mirrorlist" in path else "metalink"
                            if "/metalink" in path else "healthz" if path == "/healthz"
                            else "other")
                counted = value(scraped, "mirrorlist_requests_total", endpoint=endpoint,
                                status=str(status), tier=tier)
                expected = sum(t for p, _, t, s, r in SEQUENCE
                               if p.split("?")[0] == path.split("?")[0]
                               and s == status and r == tier)
                assert counted == expected, (path, tier, counted, scraped)
            # the scrapes before this one, whichever worker answered them
            assert value(scraped, "mirrorlist_requests_total", endpoint="metrics",
                         status="200", tier="none") == number
            mirrorlist_answers = 12 + 6 + 3 + 2
            assert value(scraped, "mirrorlist_request_duration_seconds_count",
                         endpoint="mirrorlist") == mirrorlist_answers
            assert value(scraped, "mirrorlist_request_duration_seconds_bucket",
                         endpoint="mirrorlist", le="+Inf") == mirrorlist_answers
            assert 0 < value(scraped, "mirrorlist_request_duration_seconds_sum",
                             endpoint="mirrorlist") < mirrorlist_answers
            # hosts per answer: only answers that made a selection; their URL lines
            assert value(scraped, "mirrorlist_answer_hosts_count",
                         endpoint="mirrorlist") == 12 + 6 + 3
            assert value(scraped, "mirrorlist_answer_hosts_sum", endpoint="mirrorlist") \
                == url_lines
            assert value(scraped, "mirrorlist_answer_hosts_count", endpoint="metalink") == 5
            pids = {labels for name, labels in scraped
                    if name == "mirrorlist_cache_created_timestamp_seconds"}
            assert len(pids) == 2
            for labels in pids:
                assert scraped[("mirrorlist_cache_created_timestamp_seconds", labels)] \
                    == CACHE_TIME
                assert scraped[("mirrorlist_cache_age_seconds", labels)] > 0
            assert value(scraped, "mirrorlist_cache_reloads_total", result="ok") == 0

        # a new generation, then a file every worker rejects: each worker counts its reload
        world(CACHE_TIME + 60).write(paths.cache)
        after = await until(server.url, lambda s: value(
            s, "mirrorlist_cache_reloads_total", result="ok") == 2)
        generations = {dict(labels)["generation"] for name, labels in after
                       if name == "mirrorlist_cache_generation"}
        assert len(generations) == 1 and generations.pop().startswith(f"{CACHE_TIME + 60}-")
        write_atomically(paths.cache, b"\xff" * 100)
        after = await until(server.url, lambda s: value(
            s, "mirrorlist_cache_reloads_total", result="rejected") == 2)
        assert value(after, "mirrorlist_cache_reloads_total", result="ok") == 2


async def until(url: str, condition, seconds: float = 20.0) -> dict:
    """Scrape until ``condition`` holds (the workers poll the file every 0.1 s and copy their
    reload counts to the shared counts every second)."""
    with trio.fail_after(seconds):
        while True:
            scraped = await scrape(url)
            if condition(scraped):
                return scraped
            await trio.sleep(0.2)


async def test_metrics_only_for_allowed_peers(tmp_path: Path) -> None:
    scraper = Scraper(tmp_path, ["127.0.0.0/8", "2001:db8::/32"])
    assert scraper.allows("127.0.0.1") and scraper.allows("::ffff:127.0.0.2")
    assert scraper.allows("2001:db8::1")
    assert not scraper.allows("192.0.2.1") and not scraper.allows("::1")
    assert not scraper.allows("not an address")


async def test_in_process_counts_and_the_peer_check(tmp_path: Path) -> None:
    """One worker in this process: the plan path and the general path count the same tier."""
    import attrs

    from mirrormanager_mirrorlist.metrics import WorkerMetrics
    from mirrormanager_mirrorlist.config import MirrorlistConfig

    directory = tmp_path / "metrics"
    directory.mkdir()
    for use_plans in (True, False):
        svc = service(tmp_path / f"inputs-{use_plans}", minimum=5, use_plans=use_plans)
        svc.rng = random.Random(3)
        settings = MirrorlistConfig(metrics_dir=str(directory))
        metrics = WorkerMetrics(settings, svc.inputs, svc)
        handler = metrics.wrap(svc.answer)
        for _ in range(3):
            assert handler(Request("/mirrorlist", "repo=fedora-40&arch=x86_64", "192.0.2.1",
                                   "127.0.0.1")).status == 200
        denied = handler(Request("/metrics", "", None, "192.0.2.1"))
        assert denied.status == 404
        metrics.close()
    scraped = {(m.name, tuple(sorted(s.labels.items()))): s.value
               for m in collect(directory) for s in m.samples}
    assert scraped[("mirrorlist_requests", (("endpoint", "mirrorlist"), ("status", "200"),
                                            ("tier", "geoip")))] == 6
    assert scraped[("mirrorlist_requests", (("endpoint", "metrics"), ("status", "404"),
                                            ("tier", "none")))] == 2
    assert ("mirrorlist_workers", ()) in scraped and scraped[("mirrorlist_workers", ())] == 0


def test_bucket_tables_agree_with_bisecting_the_bounds() -> None:
    """The answer path looks buckets up in tables; they give what bisecting the bounds (in
    seconds, ``le`` semantics) gives, at and around every bound."""
    from bisect import bisect_left

    from mirrormanager_mirrorlist import metrics as m

    table = m._latency_buckets()
    probes = {0, 1, 999, 1000, 1001, m.LATENCY_TABLE_MICROS * 1000}
    for bound in m.LATENCY_BOUNDS:
        ns = round(bound * 1e9)
        probes |= {ns - 1, ns, ns + 1}
    for ns in sorted(probes):
        micros = -(-ns // 1000)
        if micros <= m.LATENCY_TABLE_MICROS:
            assert table[micros] == bisect_left(m.LATENCY_BOUNDS, ns / 1e9), ns
    for count in range(m.HOSTS_BOUNDS[-1] + 1):
        assert m._HOSTS_BUCKETS[count] == bisect_left(m.HOSTS_BOUNDS, count)
