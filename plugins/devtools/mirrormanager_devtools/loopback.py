"""Mirror copies served on loopback over HTTP, FTP and rsync, for the demo.

Each server runs under the caller's nursery: HTTP in process (the simulated mirror server of
:mod:`mmcore.crawl.mirrorserver`), FTP and rsync as child processes that are terminated when the
nursery's scope ends, so nothing outlives the demo.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

import trio

from mmcore.crawl.mirrorserver import MirrorServer, MirrorSite

STARTUP_TIMEOUT = 20.0


class ServerStartError(Exception):
    """A loopback server did not come up; the message says which and why."""


async def serve_http(
    nursery: trio.Nursery, mirrors: Mapping[str, Path], host: str = "127.0.0.1"
) -> int:
    """Serve ``http://HOST:PORT/<name>/...`` from each mirror's directory; return the port."""
    server = MirrorServer({name: MirrorSite(root=root) for name, root in mirrors.items()})
    return await nursery.start(lambda task_status: server.serve(host, 0, task_status=task_status))


@contextlib.asynccontextmanager
async def child_process(
    command: Sequence[str], ready: re.Pattern[str] | None, what: str
) -> AsyncIterator[tuple[trio.Process, re.Match[str] | None]]:
    """Start ``command``; wait (bounded) for its stdout to match ``ready`` (when given);
    terminate the process group (SIGTERM, then SIGKILL after 5 s) when the block ends, however
    it ends."""
    process = await trio.lowlevel.open_process(
        list(command), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        match = None
        if ready is not None:
            buffer = b""
            with trio.move_on_after(STARTUP_TIMEOUT) as scope:
                while match is None:
                    chunk = await process.stdout.receive_some(4096)
                    if not chunk:
                        break
                    buffer += chunk
                    match = ready.search(buffer.decode("utf-8", "replace"))
            if match is None:
                reason = "timed out" if scope.cancelled_caught else f"exited {process.poll()}"
                raise ServerStartError(f"{what} did not start ({reason}): {' '.join(command)}")
        yield process, match
    finally:
        with trio.CancelScope(shield=True):
            await _terminate(process)


async def _terminate(process: trio.Process) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with trio.move_on_after(5):
            await process.wait()
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
    if process.stdout is not None:
        await process.stdout.aclose()


@contextlib.asynccontextmanager
async def serving_ftp(root: Path, host: str = "127.0.0.1") -> AsyncIterator[int]:
    """Anonymous FTP of ``root`` (``ftp://HOST:PORT/<name>/...``); yields the port."""
    command = [sys.executable, "-m", "mmcore.demo.ftpd", str(root), host]
    async with child_process(command, re.compile(r"listening (\d+)"), "the FTP server") as (_, m):
        yield int(m.group(1))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def write_rsyncd_config(modules: Mapping[str, Path], work: Path, host: str, port: int) -> Path:
    """An ``rsyncd.conf`` in ``work`` serving each directory as a read-only module."""
    work.mkdir(parents=True, exist_ok=True)
    lines = [
        f"pid file = {work / 'rsyncd.pid'}",
        f"log file = {work / 'rsyncd.log'}",
        f"port = {port}",
        f"address = {host}",
        "use chroot = no",
        "read only = yes",
        "list = yes",
    ]
    for name, path in modules.items():
        lines += [f"[{name}]", f"    path = {path}", f"    comment = demo mirror {name}"]
    config = work / "rsyncd.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


@contextlib.asynccontextmanager
async def serving_rsync(
    modules: Mapping[str, Path], work: Path, host: str = "127.0.0.1"
) -> AsyncIterator[int]:
    """``rsync --daemon`` with one read-only module per mirror (``rsync://HOST:PORT/<name>/``);
    yields the port once the daemon accepts connections."""
    port = free_port(host)
    config = write_rsyncd_config(modules, work, host, port)
    command = ["rsync", "--daemon", "--no-detach", f"--config={config}"]
    async with child_process(command, None, "rsync --daemon") as (process, _):
        await _wait_for_rsync(host, port, process)
        yield port


async def _wait_for_rsync(host: str, port: int, process: trio.Process) -> None:
    with trio.move_on_after(STARTUP_TIMEOUT):
        while process.poll() is None:
            with contextlib.suppress(OSError):
                stream = await trio.open_tcp_stream(host, port)
                await stream.aclose()
                return
            await trio.sleep(0.05)
    raise ServerStartError(f"rsync --daemon did not start on {host}:{port}")
