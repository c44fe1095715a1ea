"""Mirror copies served on loopback over HTTP and FTP, for the demo and the benchmarks, and the
one free-port helper (rsync: :mod:`mirrormanager_devtools.rsyncd`).

Each server runs under the caller's nursery: HTTP in process (the simulated mirror server of
:mod:`mirrormanager_devtools.mirrorserver`), FTP as a child process that is terminated when the
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

from mirrormanager_devtools.mirrorserver import MirrorServer, MirrorSite

STARTUP_TIMEOUT = 20.0


class ServerStartError(Exception):
    """A loopback server did not come up; the message says which and why."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on at the moment (for a server to bind, or for a test's
    connection to be refused)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


async def serve_http(
    nursery: trio.Nursery, mirrors: Mapping[str, Path], host: str = "127.0.0.1"
) -> int:
    """Serve ``http://HOST:PORT/<name>/...`` from each mirror's directory; return the port."""
    server = MirrorServer({name: MirrorSite(root=root) for name, root in mirrors.items()})
    return await nursery.start(lambda task_status: server.serve(host, 0, task_status=task_status))


@contextlib.asynccontextmanager
async def child_process(
    command: Sequence[str], ready: re.Pattern[str], what: str
) -> AsyncIterator[re.Match[str]]:
    """Start ``command``; wait (bounded) for its stdout to match ``ready`` and yield the match;
    terminate the process group (SIGTERM, then SIGKILL after 5 s) when the block ends, however
    it ends."""
    process = await trio.lowlevel.open_process(
        list(command), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        match = None
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
        yield match
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
    command = [sys.executable, "-m", "mirrormanager_devtools.ftpd", str(root), host]
    async with child_process(command, re.compile(r"listening (\d+)"), "the FTP server") as match:
        yield int(match.group(1))
