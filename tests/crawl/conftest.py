"""Fixtures of the crawler tests: a master tree, mirror copies, and real servers on 127.0.0.1
(the simulated HTTP mirror server, pyftpdlib in a subprocess, ``rsync --daemon``)."""

from __future__ import annotations

import logging
import os
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

from crawl_servers import read_port, stop_process
from crawl_trees import build_master, build_mirror, expectations
from mmcore.crawl.config import CrawlerConfig
from mmcore.crawl.mirrorserver import Behaviour, MirrorServer, MirrorSite
from mmcore.crawl.protocol import DirectoryExpectation
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
def limits() -> CrawlerConfig:
    return CrawlerConfig(
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
        yield FtpMirrors(read_port(process))
    finally:
        stop_process(process)


# -- rsync -------------------------------------------------------------------------------------


@attrs.frozen
class RsyncMirrors:
    port: int

    def url(self, name: str) -> str:
        return f"rsync://127.0.0.1:{self.port}/{name}/linux"


@pytest.fixture(scope="session")
def rsync_mirrors(trees: Trees, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RsyncMirrors]:
    """``rsync --daemon`` with one module per mirror copy (module ``full`` = ``.../full/fedora``)."""
    if shutil.which("rsync") is None and not os.environ.get("CI"):
        pytest.skip("rsync is not installed (Debian package rsync; scripts/install installs it)")
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
                stop_process(process)
                raise RuntimeError("rsync daemon did not start") from None
            time.sleep(0.05)
    try:
        yield RsyncMirrors(port)
    finally:
        stop_process(process)


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
