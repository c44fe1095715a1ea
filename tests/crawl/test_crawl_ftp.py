"""The FTP crawl protocol against pyftpdlib on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest
import trio
from crawl_trees import expected_verdicts
from mirrormanager_ftp.protocol import FtpProtocol, parse_list_line, parse_mlsd_line

from mmcore.crawl.config import CrawlerConfig
from mmcore.crawl.protocol import CategoryCheck


async def check(limits: CrawlerConfig, url: str, trees, host_log) -> CategoryCheck:
    async with FtpProtocol().session(limits) as session:
        return await session.check_category(url, trees.directories, host_log)


def by_path(result: CategoryCheck, trees) -> dict[str, bool | None]:
    paths = {d.directory_id: d.path for d in trees.directories}
    return {paths[v.directory_id]: v.up2date for v in result.verdicts}


@pytest.mark.parametrize("kind", ["full", "stale", "stale_same_size", "missing_repo"])
async def test_directories_of_each_mirror_copy(kind, ftp_mirrors, trees, limits, host_log):
    result = await check(limits, ftp_mirrors.url(kind), trees, host_log)
    assert result.failure is None
    assert by_path(result, trees) == expected_verdicts(kind, trees.directories, checksums=False)


async def test_hanging_listing_is_cut_off(ftp_mirrors, trees, limits, host_log):
    start = trio.current_time()
    result = await check(limits, ftp_mirrors.url("hang"), trees, host_log)
    assert trio.current_time() - start < limits.operation_timeout + limits.connect_timeout + 2
    assert result.failure is not None and "timeout" in result.failure


async def test_many_hosts_at_once_share_the_thread_limiter(ftp_mirrors, trees, limits, host_log):
    results = []
    async with FtpProtocol().session(limits) as session:

        async def one() -> None:
            results.append(await session.check_category(ftp_mirrors.url("full"), trees.directories, host_log))

        async with trio.open_nursery() as nursery:
            for _ in range(20):
                nursery.start_soon(one)
    assert len(results) == 20
    assert all(r.failure is None and all(v.up2date for v in r.verdicts) for r in results)


async def test_host_deadline_cancels_a_blocked_thread(ftp_mirrors, trees, host_log):
    limits = CrawlerConfig(connect_timeout=30, operation_timeout=30, concurrency=2)
    start = trio.current_time()
    with trio.move_on_after(1):
        await check(limits, ftp_mirrors.url("hang"), trees, host_log)
    assert trio.current_time() - start < 10  # cancelled after 1 s, not the 30 s timeouts


async def test_connection_refused(trees, limits, host_log):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = await check(limits, f"ftp://127.0.0.1:{port}/fedora/linux", trees, host_log)
    assert result.failure is not None and "connection refused" in result.failure


async def test_silent_server_never_greets(nursery, trees, limits, host_log):
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]

    async def silent(stream):
        await trio.sleep(30)

    nursery.start_soon(trio.serve_listeners, silent, listeners)
    result = await check(limits, f"ftp://127.0.0.1:{port}/fedora/linux", trees, host_log)
    assert result.failure is not None and "timeout" in result.failure


def test_listing_parsers():
    assert parse_mlsd_line("type=file;size=12;modify=20240101000000; a b.rpm") == ("a b.rpm", "file", 12)
    assert parse_mlsd_line("type=dir; Packages")[1] == "dir"
    assert parse_list_line("-rw-r--r--    1 0  0   3000 Nov 28 17:35 repomd.xml") == ("repomd.xml", "file", 3000)
    assert parse_list_line("lrwxrwxrwx 1 0 0 11 Nov 28 17:35 latest -> releases/40") == ("latest", "symlink", None)
    assert parse_list_line("total 12") is None
