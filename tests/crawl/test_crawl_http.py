"""The HTTP(S) crawl protocol against the simulated mirror server on 127.0.0.1."""

from __future__ import annotations

import socket
import ssl

import pytest
import trio
from crawl_trees import expected_verdicts
from mirrormanager_http.protocol import HttpProtocol

from mmcore.crawl.config import CrawlerConfig
from mmcore.crawl.protocol import CategoryCheck


async def check(limits: CrawlerConfig, url: str, trees, host_log, verify=True) -> CategoryCheck:
    async with HttpProtocol(verify=verify).session(limits) as session:
        return await session.check_category(url, trees.directories, host_log)


def by_path(result: CategoryCheck, trees) -> dict[str, bool | None]:
    paths = {d.directory_id: d.path for d in trees.directories}
    return {paths[v.directory_id]: v.up2date for v in result.verdicts}


@pytest.mark.parametrize("kind", ["full", "stale", "stale_same_size", "missing_repo"])
async def test_directories_of_each_mirror_copy(kind, http_mirrors, trees, limits, host_log):
    result = await check(limits, http_mirrors.url(kind), trees, host_log)
    assert result.failure is None
    assert by_path(result, trees) == expected_verdicts(kind, trees.directories, checksums=True)


async def test_stale_repomd_reason_names_the_checksum(http_mirrors, trees, limits, host_log):
    result = await check(limits, http_mirrors.url("stale_same_size"), trees, host_log)
    reasons = {v.reason for v in result.verdicts if v.up2date is False}
    assert reasons == {"repomd.xml sha256 differs from master"}


async def test_keep_alive_one_connection_per_mirror(http_mirrors, trees, limits, host_log):
    before = http_mirrors.server.stats.connections
    result = await check(limits, http_mirrors.url("full"), trees, host_log)
    assert result.operations > 10
    assert http_mirrors.server.stats.connections - before == 1


async def test_every_file_checked_once_repomd_by_get_alone(http_mirrors, trees, limits, host_log):
    # the full mirror: no directory short-circuits, so every file of every list is asked for,
    # each exactly once -- a HEAD, or for a checksummed repomd.xml one GET (no HEAD before it)
    stats = http_mirrors.server.stats
    before = dict(stats.methods)
    result = await check(limits, http_mirrors.url("full"), trees, host_log)
    assert result.failure is None
    checksummed = sum(1 for d in trees.directories if d.repomd_sha256)
    assert checksummed > 0
    files = sum(len(d.files) or 1 for d in trees.directories)  # a directory without files: 1
    gets = stats.methods.get("GET", 0) - before.get("GET", 0)
    heads = stats.methods.get("HEAD", 0) - before.get("HEAD", 0)
    assert gets == checksummed
    assert heads == 1 + files - checksummed  # the probe, then the files
    assert result.operations == gets + heads


# The operation timeout is 2 s; a hostile mirror must be cut off long before the 60 s the
# simulated server would keep it going.  The bound leaves room for a loaded CI machine.
CUT_OFF_SECONDS = 8


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ("hang", "timeout after 2s"),
        ("trickle", "timeout after 2s"),
        ("endless", "body larger than 65536 bytes"),
        ("redirect_loop", "redirect loop"),
        ("redirect_offhost", "redirect to another host"),
        ("bad_length", "size"),
        ("soft_404", "answers 200 for a file that does not exist"),
    ],
)
async def test_hostile_mirrors_fail_with_reason(
    behaviour, reason, http_mirrors, trees, limits, host_log
):
    start = trio.current_time()
    result = await check(limits, http_mirrors.url(behaviour), trees, host_log)
    elapsed = trio.current_time() - start
    assert elapsed < CUT_OFF_SECONDS
    if behaviour == "bad_length":
        # every answer claims the wrong size: every directory with files is judged not up to
        # date on the headers alone -- the repomd.xml GET too, whose body is then not read
        assert result.failure is None
        with_files = {d.directory_id for d in trees.directories if d.files}
        judged = {v.directory_id: v for v in result.verdicts if v.directory_id in with_files}
        assert set(judged) == with_files
        assert all(v.up2date is False and "has size" in v.reason for v in judged.values())
        return
    assert result.failure is not None
    assert reason in result.failure
    assert result.verdicts == ()


async def test_server_errors_make_directories_unknown(http_mirrors, trees, limits, host_log):
    # a 500 on the probe is not a 2xx: the mirror is reachable, every file answers 500
    result = await check(limits, http_mirrors.url("error"), trees, host_log)
    assert result.failure is None
    with_files = {d.directory_id for d in trees.directories if d.files}
    assert {v.up2date for v in result.verdicts if v.directory_id in with_files} == {None}


async def test_connection_refused(trees, limits, host_log):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = await check(limits, f"http://127.0.0.1:{port}/fedora/linux", trees, host_log)
    assert result.failure is not None and "connection failed" in result.failure


async def test_invalid_url_fails_the_url(trees, limits, host_log):
    result = await check(limits, "http://[::1/fedora/linux", trees, host_log)
    assert result.failure is not None and "invalid URL" in result.failure


class _NoSuchName(trio.abc.HostnameResolver):
    async def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        if host == "mirror.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return await trio.to_thread.run_sync(
            socket.getaddrinfo, host, port, family, type, proto, flags
        )

    async def getnameinfo(self, sockaddr, flags):
        raise NotImplementedError


async def test_dns_failure(trees, limits, host_log):
    # resolved by a local resolver so no query leaves the machine
    previous = trio.socket.set_custom_hostname_resolver(_NoSuchName())
    try:
        result = await check(limits, "http://mirror.invalid/fedora/linux", trees, host_log)
    finally:
        trio.socket.set_custom_hostname_resolver(previous)
    assert result.failure is not None and "DNS failure" in result.failure


async def test_tls_error(nursery, trees, limits, host_log, localhost_cert, http_mirrors):
    cert, key = localhost_cert
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    listeners = await trio.open_ssl_over_tcp_listeners(0, context, host="127.0.0.1")
    port = listeners[0].transport_listener.socket.getsockname()[1]

    async def handler(stream):
        with trio.move_on_after(5):
            try:
                await stream.do_handshake()
            except trio.BrokenResourceError:
                pass

    nursery.start_soon(trio.serve_listeners, handler, listeners)
    result = await check(limits, f"https://127.0.0.1:{port}/full/fedora/linux", trees, host_log)
    assert result.failure is not None and "TLS error" in result.failure


async def test_fetch_sha256_for_propagation(http_mirrors, trees, limits, host_log):
    import hashlib

    from crawl_trees import UPDATES

    repomd = trees.mirrors["full"] / UPDATES / "repodata" / "repomd.xml"
    async with HttpProtocol().session(limits) as session:
        sha = await session.fetch_sha256(
            http_mirrors.url("full") + f"/{UPDATES}/repodata/repomd.xml", host_log
        )
        missing = await session.fetch_sha256(http_mirrors.url("missing_repo") + f"/{UPDATES}/repodata/repomd.xml", host_log)
        endless = await session.fetch_sha256(http_mirrors.url("endless") + f"/{UPDATES}/repodata/repomd.xml", host_log)
    assert sha == hashlib.sha256(repomd.read_bytes()).hexdigest()
    assert missing is None and endless is None
