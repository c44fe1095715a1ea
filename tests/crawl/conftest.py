"""Fixtures of the crawler tests: a master tree, mirror copies, and real servers on 127.0.0.1
(the simulated HTTP mirror server, pyftpdlib in a subprocess, ``rsync --daemon``)."""

from __future__ import annotations

import logging
import select
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
import trio

from crawl_trees import build_master, build_mirror, expectations
from mmcore.crawl.mirrorserver import Behaviour, MirrorServer, MirrorSite
from mmcore.crawl.protocol import CrawlLimits, DirectoryExpectation
from mmcore.demo.loopback import free_port, write_rsyncd_config

HERE = Path(__file__).parent
MIRROR_KINDS = ("full", "stale", "stale_same_size", "missing_repo")


@attrs.frozen
class Trees:
    master_top: Path
    mirrors: dict[str, Path]
    directories: list[DirectoryExpectation]


@pytest.fixture(scope="session")
def trees(tmp_path_factory: pytest.TempPathFactory) -> Trees:
    base = tmp_path_factory.mktemp("crawl-trees")
    master_top = build_master(base / "master")
    mirrors = {
        kind: build_mirror(master_top, base / "mirrors" / kind / "fedora" / "linux", kind)
        for kind in MIRROR_KINDS
    }
    return Trees(master_top, mirrors, expectations(master_top))


@pytest.fixture
def limits() -> CrawlLimits:
    return CrawlLimits(
        connect_timeout=2,
        operation_timeout=2,
        listing_timeout=6,
        max_body_bytes=64 * 1024,
        max_listing_bytes=1024 * 1024,
        concurrency=8,
    )


@pytest.fixture
def host_log() -> logging.LoggerAdapter:
    return logging.LoggerAdapter(logging.getLogger("tests.crawl"), {})


# -- HTTP --------------------------------------------------------------------------------------


@attrs.frozen
class HttpMirrors:
    port: int
    server: MirrorServer

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}/fedora/linux"


@pytest.fixture
async def http_mirrors(nursery: trio.Nursery, trees: Trees) -> HttpMirrors:
    sites: dict[str, MirrorSite] = {
        kind: MirrorSite(root.parent.parent) for kind, root in trees.mirrors.items()
    }
    full_root = trees.mirrors["full"].parent.parent
    for behaviour in Behaviour:
        if behaviour is not Behaviour.NORMAL:
            sites[behaviour.value] = MirrorSite(full_root, behaviour, other_host="127.0.0.2:9")
    server = MirrorServer(sites)
    port = await nursery.start(server.serve, "127.0.0.1", 0)
    return HttpMirrors(port, server)


# -- FTP ---------------------------------------------------------------------------------------


def _read_port(process: subprocess.Popen[str], timeout: float = 15) -> int:
    """The port a server subprocess announces with ``listening PORT`` on stdout."""
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while (remaining := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([process.stdout], [], [], remaining)
        if not ready:
            break
        line = process.stdout.readline()
        if line.startswith("listening "):
            return int(line.split()[1])
        if not line and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
    raise TimeoutError("server did not start")


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@attrs.frozen
class FtpMirrors:
    port: int

    def url(self, name: str) -> str:
        return f"ftp://127.0.0.1:{self.port}/{name}/fedora/linux"


@pytest.fixture(scope="session")
def ftp_mirrors(trees: Trees, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FtpMirrors]:
    """pyftpdlib serving every mirror copy; ``hang`` lists nothing and never finishes."""
    root = trees.mirrors["full"].parent.parent.parent
    hang = root / "hang"
    if not hang.exists():
        shutil.copytree(trees.mirrors["full"].parent.parent, hang)
    process = subprocess.Popen(
        [sys.executable, str(HERE / "ftpd.py"), str(root)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield FtpMirrors(_read_port(process))
    finally:
        _stop(process)


# -- rsync -------------------------------------------------------------------------------------


@attrs.frozen
class RsyncMirrors:
    port: int

    def url(self, name: str) -> str:
        return f"rsync://127.0.0.1:{self.port}/{name}/linux"


@pytest.fixture(scope="session")
def rsync_mirrors(trees: Trees, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RsyncMirrors]:
    """``rsync --daemon`` with one module per mirror copy (module ``full`` = ``.../full/fedora``)."""
    if shutil.which("rsync") is None:
        pytest.skip("rsync is not installed (apt-get install -y rsync)")
    port = free_port()
    modules = {kind: root.parent for kind, root in trees.mirrors.items()}
    config = write_rsyncd_config(modules, tmp_path_factory.mktemp("rsyncd"), "127.0.0.1", port)
    process = subprocess.Popen(
        ["rsync", "--daemon", "--no-detach", f"--config={config}"], text=True
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                _stop(process)
                raise RuntimeError("rsync daemon did not start") from None
            time.sleep(0.05)
    try:
        yield RsyncMirrors(port)
    finally:
        _stop(process)


async def stalling_proxy(
    target_port: int,
    pass_bytes: int,
    *,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """A TCP proxy to ``127.0.0.1:target_port`` that forwards the first ``pass_bytes`` of the
    server's answer and then stalls forever: a server hanging mid-listing."""

    async def handle(client: trio.SocketStream) -> None:
        server = await trio.open_tcp_stream("127.0.0.1", target_port)

        async def upstream() -> None:
            while data := await client.receive_some(65536):
                await server.send_all(data)

        async def downstream() -> None:
            sent = 0
            while data := await server.receive_some(65536):
                room = pass_bytes - sent
                if room <= 0:
                    await trio.sleep_forever()
                await client.send_all(data[:room])
                sent += min(room, len(data))

        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(upstream)
                nursery.start_soon(downstream)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            await server.aclose()

    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    task_status.started(listeners[0].socket.getsockname()[1])
    await trio.serve_listeners(handle, listeners)


@pytest.fixture(scope="session")
def localhost_cert(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate valid for 127.0.0.1 (subjectAltName), and its key."""
    work = tmp_path_factory.mktemp("tls-san")
    cert, key = work / "cert.pem", work / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )
    return cert, key
