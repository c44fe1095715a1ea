"""The crawl engine end to end: real database (SQLite and PostgreSQL), real servers on 127.0.0.1
for every protocol, results read back from the database."""

from __future__ import annotations

import socket
from functools import partial

import pytest
import sqlalchemy as sa
import trio
from crawl_servers import stalling_proxy
from mirrormanager_pg_store.store import SqlStore
from crawl_db import MirrorSpec, hcd_state, host_row, populate
from crawl_trees import expected_hcds
from mirrormanager_ftp.protocol import FtpProtocol
from mirrormanager_http.protocol import HttpProtocol
from mirrormanager_pg_store import schema as t
from mirrormanager_rsync.protocol import RsyncProtocol

from mmcore.crawl.config import CrawlerConfig
from broken_notifier import NAME as BROKEN_NAME
from broken_notifier import BrokenNotifier, assert_logged

from mmcore import hookimpl
from mmcore.config import Config
from mmcore.plugins import get_plugin_manager
from mmcore.runtime import Runtime
from mmcore.crawl.engine import CrawlOptions, crawl

from mmcore.crawl.store import CategoryRecord, CrawlSelection, CrawlStatus, HostCrawlRecord

PROTOCOLS = [HttpProtocol(), FtpProtocol(), RsyncProtocol()]


@pytest.fixture
def crawl_store(store_url):
    store = SqlStore(store_url)
    store.upgrade()
    yield store
    store.close()


class Recorder:
    def __init__(self) -> None:
        self.crawled = []
        self.disabled = []

    @hookimpl
    def mm_event_host_crawled(self, event):
        self.crawled.append(event)

    @hookimpl
    def mm_event_host_disabled(self, event):
        self.disabled.append(event)


def recording_runtime(recorder: Recorder, store) -> Runtime:
    """A runtime whose only plugin is ``recorder`` (the store is the test's)."""
    pm = get_plugin_manager(load_entry_points=False, extra_plugins=[recorder])
    return Runtime(Config(), pm, store=store)


def refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
async def test_crawl_every_protocol_against_real_servers(
    nursery, crawl_store, trees, http_mirrors, ftp_mirrors, rsync_mirrors, tmp_path
):
    rsync_hang_port = await nursery.start(partial(stalling_proxy, rsync_mirrors.port, 300))
    dead = refused_port()
    kinds = ("full", "stale", "missing_repo")
    mirrors = []
    for kind in kinds:
        mirrors.append(MirrorSpec(f"http-{kind}", (http_mirrors.url(kind),)))
        mirrors.append(MirrorSpec(f"ftp-{kind}", (ftp_mirrors.url(kind),)))
        mirrors.append(MirrorSpec(f"rsync-{kind}", (rsync_mirrors.url(kind),)))
    mirrors += [
        MirrorSpec("http-hang", (http_mirrors.url("hang"),)),
        MirrorSpec("ftp-hang", (ftp_mirrors.url("hang"),)),
        MirrorSpec("rsync-hang", (f"rsync://127.0.0.1:{rsync_hang_port}/full/linux",)),
        # rsync refused: falls back to HTTP, which says the mirror is stale
        MirrorSpec("fallback", (f"rsync://127.0.0.1:{dead}/full/linux", http_mirrors.url("stale_same_size"))),
        MirrorSpec("always", (f"http://127.0.0.1:{dead}/x",), always_up2date=True),
        MirrorSpec("private", (http_mirrors.url("full").replace("127.0.0.1", "localhost"),),
                   private=True),
        # (URLs are unique in the database: the same mirror with a trailing slash)
        MirrorSpec("new-full", (http_mirrors.url("full") + "/",), seed_hcds=False),
    ]
    ids = populate(crawl_store, trees.master_top, trees.directories, mirrors)
    recorder = Recorder()
    limits = CrawlerConfig(connect_timeout=5, operation_timeout=20, listing_timeout=20, concurrency=8)
    options = CrawlOptions(concurrency=8, host_timeout=3, auto_disable=4, log_dir=tmp_path / "logs")

    start = trio.current_time()
    summary = await crawl(crawl_store, PROTOCOLS, limits, options,
                          runtime=recording_runtime(recorder, crawl_store))
    elapsed = trio.current_time() - start

    by_name = {r.host_name: r for r in summary.results}
    assert "private" not in by_name and len(summary.results) == len(mirrors) - 1
    for kind in kinds:
        for proto, checksums in (("http", True), ("ftp", False), ("rsync", False)):
            name = f"{proto}-{kind}"
            assert by_name[name].status is CrawlStatus.OK, (name, by_name[name].reason)
            assert by_name[name].protocols == (proto,)
            expected = expected_hcds(kind, trees.directories, checksums)
            assert hcd_state(crawl_store, ids[name]) == expected, name
            assert host_row(crawl_store, ids[name]).crawl_failures == 0
    for name in ("http-hang", "ftp-hang", "rsync-hang"):
        assert by_name[name].status is CrawlStatus.TIMEOUT, name
        assert by_name[name].duration < 3 + 1.5
        assert set(hcd_state(crawl_store, ids[name]).values()) == {False}, name
        row = host_row(crawl_store, ids[name])
        assert row.crawl_failures == 1 and row.last_crawled is not None
    assert elapsed < 3 + 4  # the hanging hosts run side by side, each cut at its deadline

    assert by_name["fallback"].protocols == ("http",)
    assert hcd_state(crawl_store, ids["fallback"]) == expected_hcds(
        "stale_same_size", trees.directories, True)
    assert by_name["always"].status is CrawlStatus.OK
    assert set(hcd_state(crawl_store, ids["always"]).values()) == {True}
    # a mirror without rows gets one per directory it carries up to date
    assert hcd_state(crawl_store, ids["new-full"]) == expected_hcds("full", trees.directories, True)
    assert hcd_state(crawl_store, ids["private"]) == {d.path: True for d in trees.directories}

    # events after the records, one per crawled host
    assert {e.host_name for e in recorder.crawled} == set(by_name)
    assert {e.status for e in recorder.crawled if e.host_name.endswith("-hang")} == {"timeout"}
    # one log file per host, naming what was wrong
    log_text = (tmp_path / "logs" / f"{ids['http-stale']}.log").read_text()
    assert "repomd.xml sha256 differs" in log_text or "c-2.0-1.x86_64.rpm" in log_text
    assert "host timeout" in (tmp_path / "logs" / f"{ids['rsync-hang']}.log").read_text()


async def test_auto_disable_after_configured_failures_and_reenable(crawl_store, trees, http_mirrors, tmp_path):
    dead = refused_port()
    ids = populate(crawl_store, trees.master_top, trees.directories, [
        MirrorSpec("broken", (f"http://127.0.0.1:{dead}/fedora/linux",)),
        MirrorSpec("fine", (http_mirrors.url("full"),)),
    ])
    recorder = Recorder()
    runtime = recording_runtime(recorder, crawl_store)
    limits = CrawlerConfig(connect_timeout=2, operation_timeout=2, concurrency=4)
    options = CrawlOptions(concurrency=4, host_timeout=10, auto_disable=3)
    for expected_failures in (1, 2, 3):
        summary = await crawl(crawl_store, PROTOCOLS, limits, options, runtime=runtime)
        result = next(r for r in summary.results if r.host_name == "broken")
        assert result.status is CrawlStatus.FAILURE
        assert "connection failed" in result.reason
        assert host_row(crawl_store, ids["broken"]).crawl_failures == expected_failures
    row = host_row(crawl_store, ids["broken"])
    assert row.user_active is False and "3 consecutive crawl failures" in row.disable_reason
    assert [e.host_name for e in recorder.disabled] == ["broken"]
    # the failing host's directories were left as they were (MirrorManager2 only counts)
    assert set(hcd_state(crawl_store, ids["broken"]).values()) == {True}

    summary = await crawl(crawl_store, PROTOCOLS, limits, options, runtime=runtime)
    assert [r.host_name for r in summary.results] == ["fine"]

    # the owner fixes the mirror; a crawl including disabled hosts re-enables it
    with crawl_store.engine.begin() as conn:
        conn.execute(sa.update(t.host_category_url)
                     .values(url=http_mirrors.url("full").replace("127.0.0.1", "localhost"))
                     .where(t.host_category_url.c.url.like(f"%:{dead}/%")))
    options = CrawlOptions(concurrency=4, host_timeout=10, auto_disable=3,
                           selection=CrawlSelection(include_disabled=True))
    await crawl(crawl_store, PROTOCOLS, limits, options, runtime=runtime)
    row = host_row(crawl_store, ids["broken"])
    assert row.user_active is True and row.crawl_failures == 0 and row.disable_reason is None


async def test_a_raising_event_handler_does_not_stop_the_crawl(
    crawl_store, trees, http_mirrors, caplog
):
    ids = populate(crawl_store, trees.master_top, trees.directories, [
        MirrorSpec("a", (http_mirrors.url("full"),)),
        MirrorSpec("b", (http_mirrors.url("stale"),)),
    ])
    recorder, broken = Recorder(), BrokenNotifier()
    runtime = recording_runtime(recorder, crawl_store)
    runtime.plugin_manager.register(broken, name=BROKEN_NAME)
    limits = CrawlerConfig(connect_timeout=2, operation_timeout=5, concurrency=4)
    with caplog.at_level("ERROR"):
        summary = await crawl(crawl_store, PROTOCOLS, limits, CrawlOptions(concurrency=4),
                              runtime=runtime)
    assert sorted((r.host_name, r.status) for r in summary.results) == [
        ("a", CrawlStatus.OK), ("b", CrawlStatus.OK)]
    assert not summary.record_errors
    assert {e.host_name for e in recorder.crawled} == {"a", "b"} and broken.calls == 2
    assert_logged(caplog, "mm_event_host_crawled")
    assert host_row(crawl_store, ids["a"]).last_crawled is not None  # recorded all the same


async def test_dry_run_writes_nothing_and_selection_filters(crawl_store, trees, http_mirrors):
    ids = populate(crawl_store, trees.master_top, trees.directories, [
        MirrorSpec("stale", (http_mirrors.url("stale"),)),
        MirrorSpec("other", (http_mirrors.url("missing_repo"),), country="US"),
    ])
    limits = CrawlerConfig(connect_timeout=2, operation_timeout=2, concurrency=4)
    summary = await crawl(crawl_store, PROTOCOLS, limits,
                          CrawlOptions(dry_run=True, continents=("EU",)))
    assert [(r.host_name, r.status) for r in summary.results] == [
        ("other", CrawlStatus.UNKNOWN), ("stale", CrawlStatus.OK)] or sorted(
        (r.host_name, r.status.value) for r in summary.results) == [("other", "unknown"), ("stale", "ok")]
    stale = next(r for r in summary.results if r.host_name == "stale")
    assert stale.not_up2date == 3  # Packages/c, repodata, and the repository it belongs to
    assert set(hcd_state(crawl_store, ids["stale"]).values()) == {True}
    assert host_row(crawl_store, ids["stale"]).last_crawled is None

    summary = await crawl(crawl_store, PROTOCOLS, limits,
                          CrawlOptions(selection=CrawlSelection(host_ids=(ids["other"],))))
    assert [r.host_name for r in summary.results] == ["other"]
    summary = await crawl(crawl_store, PROTOCOLS, limits,
                          CrawlOptions(selection=CrawlSelection(categories=("Nope",))))
    assert {r.status for r in summary.results} == {CrawlStatus.UNKNOWN}


async def test_database_error_leaves_previous_state(crawl_store, trees, http_mirrors):
    ids = populate(crawl_store, trees.master_top, trees.directories, [
        MirrorSpec("m", (http_mirrors.url("full"),)),
    ])
    before = hcd_state(crawl_store, ids["m"])
    import datetime

    record = HostCrawlRecord(
        host_id=ids["m"], status=CrawlStatus.OK,
        finished_at=datetime.datetime(2030, 1, 1), duration=5,
        categories=(CategoryRecord(1, (
            (trees.directories[1].directory_id, trees.directories[1].path, False),
            (999_999, "no/such/directory", True),  # violates the directory foreign key
        )),),
    )
    with pytest.raises(Exception):
        crawl_store.record_host_crawl(record)
    assert hcd_state(crawl_store, ids["m"]) == before
    assert host_row(crawl_store, ids["m"]).last_crawled is None
