"""The crawler's metrics (plugins/metrics): ``/metrics`` on ``[metrics] crawler_listen`` while
``mirrormanager crawl`` runs, in one process and over two (the parent sums its children), and
the final values in ``[metrics] crawler_textfile``, after a crawl of loopback HTTP mirrors."""

from __future__ import annotations

import httpx
import pytest
import trio
from crawl_db import MirrorSpec, populate
from mirrormanager_devtools.loopback import free_port
from mirrormanager_pg_store.store import SqlStore
from metrics_scrape import samples

from crawl_cli import crawl_config, run_cli


def value(scraped: dict, name: str, **labels: str) -> float | None:
    return scraped.get((name, tuple(sorted(labels.items()))))


@pytest.mark.parametrize("processes", [1, 2])
async def test_crawl_metrics(tmp_path, store_url, trees, http_mirrors, processes):
    store = SqlStore(store_url)
    store.upgrade()
    http_mirrors.server.sites["full2"] = http_mirrors.server.sites["full"]
    ids = populate(store, trees.master_top, trees.directories, [
        MirrorSpec("full.example", (http_mirrors.url("full"),)),
        MirrorSpec("stale.example", (http_mirrors.url("stale"),)),
        MirrorSpec("full2.example", (http_mirrors.url("full2"),)),
        MirrorSpec("hang.example", (http_mirrors.url("hang"),)),  # keeps the crawl running
        MirrorSpec("refused.example", (f"http://127.0.0.1:{free_port()}/none/fedora/linux",)),
    ])
    store.close()
    config = crawl_config(tmp_path, store_url, auto_disable=0)
    port = free_port()
    textfile = tmp_path / "crawl.prom"
    with open(config, "a") as handle:
        handle.write(f'[metrics]\ncrawler_listen = "127.0.0.1:{port}"\n'
                     f'crawler_textfile = "{textfile}"\n')
    during: list[dict] = []
    result: list[tuple[int, str, str]] = []

    async def crawl() -> None:
        result.append(await run_cli(["--config", config, "crawl", "--timeout", "3",
                                     "--concurrency", "4", "--processes", str(processes)]))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(crawl)
        async with httpx.AsyncClient(timeout=2) as client:
            with trio.fail_after(60):
                while not result:
                    try:
                        response = await client.get(f"http://127.0.0.1:{port}/metrics")
                    except httpx.HTTPError:
                        await trio.sleep(0.05)
                        continue
                    during.append(samples(response.text))
                    await trio.sleep(0.1)
    code, out, err = result[0]
    assert code == 0, err
    assert "3 ok, 1 failed, 1 timed out" in out

    # served while it ran: the hosts done so far, before the hanging one timed out
    # (a scrape between the end and the port's closing may already say it is not running)
    assert during and all(value(s, "mirrormanager_crawl_running") == 1 for s in during[:-1])
    assert all(value(s, "mirrormanager_crawl_processes") == processes for s in during)
    assert any(value(s, "mirrormanager_crawl_hosts_total", status="ok") == 3
               and not value(s, "mirrormanager_crawl_hosts_total", status="timeout")
               for s in during)
    done = [sum(value(s, "mirrormanager_crawl_hosts_total", status=status) or 0
                for status in ("ok", "failed", "timeout")) for s in during]
    assert done == sorted(done) and done[-1] <= 5
    with pytest.raises(httpx.ConnectError):  # and no longer once it ended
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)

    final = samples(textfile.read_text())
    assert value(final, "mirrormanager_crawl_running") == 0
    assert value(final, "mirrormanager_crawl_hosts_selected") == 5
    assert value(final, "mirrormanager_crawl_hosts_total", status="ok") == 3
    assert value(final, "mirrormanager_crawl_hosts_total", status="failed") == 1
    assert value(final, "mirrormanager_crawl_hosts_total", status="timeout") == 1
    assert value(final, "mirrormanager_crawl_host_duration_seconds_count",
                 protocol="http", status="ok") == 3
    assert value(final, "mirrormanager_crawl_host_duration_seconds_count",
                 protocol="http", status="failed") == 1
    assert value(final, "mirrormanager_crawl_checks_total", protocol="http",
                 outcome="ok") == 3
    assert value(final, "mirrormanager_crawl_checks_total", protocol="http",
                 outcome="failed") == 1

    def host(name: str, metric: str, **labels: str) -> float | None:
        return value(final, f"mirrormanager_crawl_host_{metric}", host=name,
                     host_id=str(ids[name]), **labels)

    directories = len(trees.directories)
    for name in ("full.example", "full2.example"):
        assert host(name, "freshness_ratio") == 1.0
        assert host(name, "directories", state="up2date") == directories
        assert host(name, "consecutive_failures") == 0
        assert host(name, "last_success_timestamp_seconds") > 0
    assert 0 < host("stale.example", "freshness_ratio") < 1
    up = host("stale.example", "directories", state="up2date")
    stale = host("stale.example", "directories", state="not_up2date")
    assert up + stale + host("stale.example", "directories", state="unknown") == directories
    assert host("stale.example", "freshness_ratio") == pytest.approx(up / directories)
    for name in ("hang.example", "refused.example"):
        assert host(name, "consecutive_failures") == 1
        assert host(name, "last_success_timestamp_seconds") is None
        assert host(name, "freshness_ratio") is None
    assert host("hang.example", "last_duration_seconds") >= 3
    # the children's run directory is gone with the crawl
    assert not list((tmp_path / "var" / "run").glob("crawl-metrics-*"))
