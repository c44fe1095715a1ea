"""The HTTP crawl protocol's connection handling (httpcore, one keep-alive connection per mirror)
and the simulated mirror server's modeled round trip, against real servers on 127.0.0.1."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
from collections.abc import Awaitable, Callable

import httpcore
import pytest
import trio
from crawl_servers import read_port, stop_process
from crawl_trees import UPDATES, expected_verdicts
from mirrormanager_http.protocol import HttpProtocol, describe_error

from mmcore.crawl.config import CrawlerConfig
from mmcore.crawl.mirrorserver import MirrorServer, MirrorSite, load_sites


# -- a raw HTTP/1.1 server whose answers the test scripts ----------------------------------------

Handler = Callable[[str], Awaitable[tuple[bytes, bool]]]


async def _serve_scripted(
    handler: Handler,
    connections: list[int],
    *,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Answer each request with ``handler(target) -> (raw answer, keep the connection)``."""

    async def connection(stream: trio.SocketStream) -> None:
        connections.append(1)
        buffer = b""
        try:
            while True:
                with trio.fail_after(10):
                    while b"\r\n\r\n" not in buffer:
                        chunk = await stream.receive_some(65536)
                        if not chunk:
                            return
                        buffer += chunk
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode()
                answer, keep = await handler(target)
                await stream.send_all(answer)
                if not keep:
                    return
        except (trio.BrokenResourceError, trio.ClosedResourceError, trio.TooSlowError):
            return
        finally:
            await stream.aclose()

    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    task_status.started(listeners[0].socket.getsockname()[1])
    await trio.serve_listeners(connection, listeners)


def _ok(body: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


async def test_server_closing_an_idle_connection_is_replaced(nursery, limits, host_log):
    # the server closes after each answer without saying so (an idle keep-alive timeout): the
    # next request notices before sending and opens a new connection instead of failing
    connections: list[int] = []

    async def close_after_answer(target: str) -> tuple[bytes, bool]:
        return _ok(), False

    port = await nursery.start(_serve_scripted, close_after_answer, connections)
    async with HttpProtocol().session(limits) as session, session.mirror() as client:
        first = await client.head(f"http://127.0.0.1:{port}/a")
        await trio.sleep(0.1)  # the FIN arrives
        second = await client.head(f"http://127.0.0.1:{port}/b")
    assert (first.status, second.status) == (200, 200)
    assert len(connections) == 2


async def test_same_host_redirect_is_followed_on_the_same_connection(nursery, limits, host_log):
    connections: list[int] = []

    async def redirect_once(target: str) -> tuple[bytes, bool]:
        if target == "/old/f.txt":
            return b"HTTP/1.1 302 Found\r\nLocation: /new/f.txt\r\nContent-Length: 0\r\n\r\n", True
        return _ok(b"hello"), True

    port = await nursery.start(_serve_scripted, redirect_once, connections)
    async with HttpProtocol().session(limits) as session, session.mirror() as client:
        answer, sha = await client.get_sha256(f"http://127.0.0.1:{port}/old/f.txt")
    assert answer.status == 200 and answer.url == f"http://127.0.0.1:{port}/new/f.txt"
    assert sha == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert len(connections) == 1


async def test_body_not_worth_reading_drops_the_connection(http_mirrors, limits, host_log):
    # a GET answered 404 is not drained: the connection is closed and the next request opens
    # another; a body read to its end keeps the connection for the next request
    stats = http_mirrors.server.stats
    repomd = http_mirrors.url("full") + f"/{UPDATES}/repodata/repomd.xml"
    missing = http_mirrors.url("missing_repo") + f"/{UPDATES}/repodata/repomd.xml"
    async with HttpProtocol().session(limits) as session:
        before = stats.connections
        async with session.mirror() as client:
            _, sha = await client.get_sha256(repomd)
            assert sha is not None
            assert (await client.head(repomd)).status == 200
        assert stats.connections - before == 1
        before = stats.connections
        async with session.mirror() as client:
            answer, sha = await client.get_sha256(missing)
            assert (answer.status, sha) == (404, None)
            assert (await client.head(repomd)).status == 200
        assert stats.connections - before == 2


async def test_body_shorter_than_content_length_is_a_malformed_response(
    http_mirrors, limits, host_log
):
    # bad_length claims 1000 bytes more than it sends, then closes: reading the body to its
    # claimed end fails the URL (httpcore's RemoteProtocolError, described)
    url = http_mirrors.url("bad_length") + f"/{UPDATES}/repodata/repomd.xml"
    async with HttpProtocol().session(limits) as session:
        sha = await session.fetch_sha256(url, host_log)
        async with session.mirror() as client:
            with pytest.raises(Exception) as failure:
                await client.get_sha256(url)
    assert sha is None
    assert "malformed response" in str(failure.value)


def test_describe_error_names_httpcore_failures():
    limits = CrawlerConfig(connect_timeout=3, operation_timeout=7)
    url = "http://mirror.example/x"
    assert describe_error(httpcore.ConnectTimeout(), url, limits).startswith(
        "timeout after 3s connecting"
    )
    assert describe_error(httpcore.ReadTimeout(), url, limits).startswith("timeout after 7s")
    assert describe_error(trio.TooSlowError(), url, limits).startswith("timeout after 7s")
    refused = httpcore.ConnectError("all attempts failed")
    refused.__cause__ = ConnectionRefusedError(111, "Connection refused")
    assert describe_error(refused, url, limits) == f"connection failed: Connection refused: {url}"
    lost = httpcore.ReadError("")
    lost.__cause__ = ConnectionResetError(104, "Connection reset by peer")
    assert "connection lost" in describe_error(lost, url, limits)
    assert describe_error(httpcore.RemoteProtocolError("bad"), url, limits).startswith(
        "malformed response: bad"
    )


# -- TLS with verification -------------------------------------------------------------------------


async def test_https_mirror_checked_with_verification(
    nursery, trees, limits, host_log, localhost_cert
):
    cert, key = localhost_cert
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    server = MirrorServer({"full": MirrorSite(trees.mirrors["full"].parent.parent)})
    port = await nursery.start(
        lambda task_status: server.serve("127.0.0.1", 0, ssl_context=server_context,
                                         task_status=task_status)
    )
    url = f"https://127.0.0.1:{port}/full/fedora/linux"
    trusting = ssl.create_default_context(cafile=str(cert))
    async with HttpProtocol(verify=trusting).session(limits) as session:
        result = await session.check_category(url, trees.directories, host_log)
    assert result.failure is None
    paths = {d.directory_id: d.path for d in trees.directories}
    got = {paths[v.directory_id]: v.up2date for v in result.verdicts}
    assert got == expected_verdicts("full", trees.directories, checksums=True)
    assert server.stats.connections == 1  # one TLS connection, kept alive throughout
    # the same server with the default trust store: the certificate is not trusted
    async with HttpProtocol().session(limits) as session:
        result = await session.check_category(url, trees.directories, host_log)
    assert result.failure is not None and "TLS error" in result.failure


# -- the simulated mirrors' modeled round trip -----------------------------------------------------


async def test_latency_delays_every_answer(nursery, trees, limits, host_log):
    root = trees.mirrors["full"].parent.parent
    latency = 0.05
    server = MirrorServer(
        {"far": MirrorSite(root), "near": MirrorSite(root, latency=0.0)}, latency=latency
    )
    port = await nursery.start(server.serve, "127.0.0.1", 0)
    files = [f"{UPDATES}/repodata/repomd.xml", f"{UPDATES}/repodata/primary.xml.gz", "README"]
    async with HttpProtocol().session(limits) as session:
        timings = {}
        for name in ("far", "near"):
            async with session.mirror() as client:
                start = trio.current_time()
                for file in files:
                    answer = await client.head(f"http://127.0.0.1:{port}/{name}/fedora/linux/{file}")
                    assert answer.status == 200
                timings[name] = trio.current_time() - start
    # one round trip per request plus one for the connection's handshake, and nothing near
    assert timings["far"] >= latency * (len(files) + 1)
    assert timings["far"] < latency * (len(files) + 1) + 2
    assert timings["near"] < latency


async def test_latency_answers_concurrent_mirrors_at_once(nursery, trees, limits, host_log):
    # the wait is a sleep, not work: 20 mirrors at once take about one mirror's time
    root = trees.mirrors["full"].parent.parent
    server = MirrorServer({f"m{i}": MirrorSite(root) for i in range(20)}, latency=0.1)
    port = await nursery.start(server.serve, "127.0.0.1", 0)

    async with HttpProtocol().session(limits) as session:

        async def one(index: int) -> None:
            async with session.mirror() as client:
                answer = await client.head(f"http://127.0.0.1:{port}/m{index}/fedora/linux/README")
                assert answer.status == 200

        start = trio.current_time()
        async with trio.open_nursery() as inner:
            for index in range(20):
                inner.start_soon(one, index)
        elapsed = trio.current_time() - start
    assert 0.2 <= elapsed < 1.5


def test_latency_from_mirrors_json_and_command_line(tmp_path, trees):
    root = trees.mirrors["full"].parent.parent
    spec = tmp_path / "mirrors.json"
    spec.write_text(json.dumps({"a": {"root": str(root), "latency_ms": 250}, "b": {"root": str(root)}}))
    sites = load_sites(spec)
    assert sites["a"].latency == 0.25 and sites["b"].latency is None
    server = MirrorServer(sites, latency=0.02)
    assert server.site_latency("/a/x") == 0.25 and server.site_latency("/b/x") == 0.02
    with pytest.raises(ValueError):
        MirrorServer(sites, latency=-1)
    bad = subprocess.run(
        [sys.executable, "-m", "mmcore.crawl.mirrorserver", "--mirrors", str(spec),
         "--latency-ms", "-5"],
        capture_output=True, text=True, timeout=30,
    )
    assert bad.returncode == 2 and "latency" in bad.stderr


async def test_latency_option_of_the_standalone_server(trees, limits, tmp_path):
    root = trees.mirrors["full"].parent.parent
    spec = tmp_path / "mirrors.json"
    spec.write_text(json.dumps({"full": {"root": str(root)}}))
    process = subprocess.Popen(
        [sys.executable, "-m", "mmcore.crawl.mirrorserver", "--mirrors", str(spec),
         "--latency-ms", "150"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        port = await trio.to_thread.run_sync(read_port, process)
        async with HttpProtocol().session(limits) as session, session.mirror() as client:
            start = trio.current_time()
            await client.head(f"http://127.0.0.1:{port}/full/fedora/linux/README")
            first = trio.current_time() - start
            start = trio.current_time()
            await client.head(f"http://127.0.0.1:{port}/full/fedora/linux/README")
            second = trio.current_time() - start
    finally:
        stop_process(process)
    assert 0.3 <= first < 2.3  # handshake + request
    assert 0.15 <= second < 2.15
