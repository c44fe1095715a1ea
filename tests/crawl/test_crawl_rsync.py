"""The rsync crawl protocol against ``rsync --daemon`` on 127.0.0.1."""

from __future__ import annotations

import socket
from functools import partial

import pytest
import psutil
import trio
from crawl_servers import stalling_proxy
from crawl_trees import expected_verdicts
from mirrormanager_rsync.protocol import RsyncProtocol

from mmcore.crawl.config import CrawlerConfig
from mmcore.crawl.protocol import CategoryCheck


async def check(limits: CrawlerConfig, url: str, trees, host_log) -> CategoryCheck:
    async with RsyncProtocol().session(limits) as session:
        return await session.check_category(url, trees.directories, host_log)


def by_path(result: CategoryCheck, trees) -> dict[str, bool | None]:
    paths = {d.directory_id: d.path for d in trees.directories}
    return {paths[v.directory_id]: v.up2date for v in result.verdicts}


@pytest.mark.parametrize("kind", ["full", "stale", "stale_same_size", "missing_repo"])
async def test_directories_of_each_mirror_copy(kind, rsync_mirrors, trees, limits, host_log):
    result = await check(limits, rsync_mirrors.url(kind), trees, host_log)
    assert result.failure is None
    assert by_path(result, trees) == expected_verdicts(kind, trees.directories, checksums=False)


async def test_unknown_module(rsync_mirrors, trees, limits, host_log):
    url = f"rsync://127.0.0.1:{rsync_mirrors.port}/nosuchmodule/linux"
    result = await check(limits, url, trees, host_log)
    assert result.failure is not None
    assert "rsync exit 5" in result.failure and "nosuchmodule" in result.failure


async def test_connection_refused(trees, limits, host_log):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = await check(limits, f"rsync://127.0.0.1:{port}/full/linux", trees, host_log)
    assert result.failure is not None and "rsync exit 10" in result.failure


async def test_server_hanging_mid_listing_is_cut_off(nursery, rsync_mirrors, trees, limits, host_log):
    # the proxy passes the daemon's greeting and the start of the file list, then stalls
    port = await nursery.start(partial(stalling_proxy, rsync_mirrors.port, 300))
    start = trio.current_time()
    result = await check(limits, f"rsync://127.0.0.1:{port}/full/linux", trees, host_log)
    assert trio.current_time() - start < limits.listing_timeout + 1
    assert result.failure is not None
    assert "timeout" in result.failure or "longer than" in result.failure


async def test_listing_byte_cap(rsync_mirrors, trees, host_log):
    limits = CrawlerConfig(max_listing_bytes=200, operation_timeout=5, listing_timeout=5)
    start = trio.current_time()
    result = await check(limits, rsync_mirrors.url("full"), trees, host_log)
    assert result.failure is not None and "larger than 200 bytes" in result.failure
    # rsync forks: the whole process group is killed at once, nothing keeps listing (a child
    # left behind used to hold the pipes open for seconds)
    assert trio.current_time() - start < 2
    assert not _listing_processes(rsync_mirrors.url("full"))


def _listing_processes(url: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if "--list-only" in cmdline and any(url in arg for arg in cmdline):
            found.append(process)
    return found


async def test_cancellation_kills_rsync(nursery, rsync_mirrors, trees, host_log):
    port = await nursery.start(partial(stalling_proxy, rsync_mirrors.port, 0))
    limits = CrawlerConfig(operation_timeout=60, connect_timeout=60, listing_timeout=60)
    start = trio.current_time()
    with trio.move_on_after(1):
        await check(limits, f"rsync://127.0.0.1:{port}/full/linux", trees, host_log)
    assert trio.current_time() - start < 10  # cancelled after 1 s, not the 60 s timeouts
