"""A real ``rsync --daemon`` on 127.0.0.1 serving one directory, for tests."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def rsync_daemon(root: Path, workdir: Path, module: str = "master") -> Iterator[str]:
    """Serve ``root`` as ``rsync://127.0.0.1:PORT/<module>``; yields that URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "rsyncd.conf"
    config.write_text(
        f"pid file = {workdir / 'rsyncd.pid'}\n"
        f"log file = {workdir / 'rsyncd.log'}\n"
        "use chroot = no\nuid = 0\ngid = 0\n"
        f"[{module}]\n  path = {root}\n  read only = yes\n"
    )
    for _attempt in range(5):
        port = free_port()
        process = subprocess.Popen(
            ["rsync", "--daemon", "--no-detach", f"--config={config}", f"--port={port}",
             "--address=127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            with socket.socket() as probe:
                probe.settimeout(0.2)
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        if process.poll() is None:
            break
    else:
        raise RuntimeError("rsync --daemon did not start")
    try:
        yield f"rsync://127.0.0.1:{port}/{module}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
