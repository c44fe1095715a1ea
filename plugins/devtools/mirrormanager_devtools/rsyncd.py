"""A real ``rsync --daemon`` on loopback serving directories as read-only modules: the one
starter of the tests, the benchmarks and the demo."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import attrs

from mirrormanager_devtools.loopback import ServerStartError, free_port

STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0
#: how often a port taken between choosing it and the daemon binding it is tried again
PORT_ATTEMPTS = 5


@attrs.frozen
class RsyncDaemon:
    """A running daemon: where it listens."""

    host: str
    port: int

    def url(self, module: str, path: str = "") -> str:
        """``rsync://HOST:PORT/<module>[/<path>]``."""
        return f"rsync://{self.host}:{self.port}/{module}" + (f"/{path}" if path else "")


def write_rsyncd_config(modules: Mapping[str, Path], work: Path) -> Path:
    """An ``rsyncd.conf`` in ``work`` serving each directory as a read-only, listed module, read
    as the user running the daemon (as root, rsync would otherwise read as ``nobody``)."""
    work.mkdir(parents=True, exist_ok=True)
    lines = [
        f"pid file = {work / 'rsyncd.pid'}",
        f"log file = {work / 'rsyncd.log'}",
        "use chroot = no",
        f"uid = {os.geteuid()}",
        f"gid = {os.getegid()}",
        "read only = yes",
        "list = yes",
    ]
    for name, path in modules.items():
        lines += [f"[{name}]", f"    path = {path}", f"    comment = mirror {name}"]
    config = work / "rsyncd.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


@contextlib.contextmanager
def rsync_daemon(
    modules: Mapping[str, Path], work: Path, host: str = "127.0.0.1"
) -> Iterator[RsyncDaemon]:
    """Serve each of ``modules`` as ``rsync://HOST:PORT/<name>/``; yield the daemon once it
    accepts connections; stop its process group (SIGTERM, then SIGKILL) when the block ends,
    however it ends.  Starting takes a tenth of a second; from trio it is called directly.

    :raises ServerStartError: the daemon did not accept connections within
        :data:`STARTUP_TIMEOUT` (rsync missing, a bad module path, every port taken).
    """
    config = write_rsyncd_config(modules, work)
    for _attempt in range(PORT_ATTEMPTS):
        port = free_port(host)
        process = subprocess.Popen(
            ["rsync", "--daemon", "--no-detach", f"--config={config}", f"--port={port}",
             f"--address={host}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if _accepts(host, port, process):
            break
        _stop(process)  # exited at once: most likely the port was taken meanwhile
    else:
        log = work / "rsyncd.log"
        tail = log.read_text(errors="replace")[-400:] if log.exists() else ""
        raise ServerStartError(f"rsync --daemon did not start on {host}: {tail.strip()}")
    try:
        yield RsyncDaemon(host, port)
    finally:
        _stop(process)


def _accepts(host: str, port: int, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.02)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_TIMEOUT)
    process.wait()
