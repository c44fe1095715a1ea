"""The list server as a separate process (``mirrormanager serve mirrorlist``), for tests whose
failure could take the test process down with it (a worker killed by SIGBUS), and for signals."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import attrs
import trio

from mirrormanager_mirrorlist.inputs import InputPaths



async def first_line(process: trio.Process, exited: Callable[[], str]) -> str:
    """The first line the process prints (within 60 s); ``exited()`` says why it ended first."""
    assert process.stdout is not None
    line = b""
    with trio.fail_after(60):
        while b"\n" not in line:
            chunk = await process.stdout.receive_some(1024)
            assert chunk, exited()
            line += chunk
    return line.decode()

@attrs.frozen
class ServerProcess:
    process: trio.Process
    url: str
    #: stderr of the server (its log), read after it stopped
    log: Path


def command(paths: InputPaths, directory: Path, *, workers: int, config: Path,
            listen: str = "127.0.0.1:0") -> list[str]:
    return [
        str(Path(sys.executable).parent / "mirrormanager"), "--config", str(config),
        "serve", "mirrorlist", "--cache", str(paths.cache), "--listen", listen,
        "--workers", str(workers), "--geoip", str(paths.geoip or ""),
        "--netblocks", str(paths.netblocks or ""), "--log", str(directory / "access.log"),
    ]


def write_config(directory: Path, *, watch_interval: float = 0.1) -> Path:
    config = directory / "mirrormanager.toml"
    config.write_text(f"[mirrorlist]\nwatch_interval = {watch_interval}\n")
    return config


@contextlib.asynccontextmanager
async def server_process(
    paths: InputPaths, directory: Path, *, workers: int = 1, watch_interval: float = 0.1
) -> AsyncIterator[ServerProcess]:
    """Start the server, yield once it printed ``Listening on URL``; stop it (SIGTERM, then
    SIGKILL) afterwards."""
    log = directory / "server.log"
    config = write_config(directory, watch_interval=watch_interval)
    with log.open("wb") as stderr:
        process = await trio.lowlevel.open_process(
            command(paths, directory, workers=workers, config=config),
            stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, cwd=directory,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    assert process.stdout is not None
    try:
        line = await first_line(process, lambda: f"the server exited: {log.read_text()[-2000:]}")
        url = line.split("Listening on ", 1)[1].strip()
        yield ServerProcess(process, url, log)
    finally:
        if process.returncode is None:
            process.terminate()
            with trio.move_on_after(15):
                await process.wait()
        if process.returncode is None:
            process.kill()
            await process.wait()
        await process.stdout.aclose()
