"""Signals that arrive while the server starts: a SIGHUP (systemd's or logrotate's reload) sent
the moment the port accepts must reload, never end the process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest
import trio
from listserver_data import CACHE_TIME, write_inputs
from listserver_process import command, write_config
from mirrormanager_devtools.loopback import free_port

NORMAL = "/mirrorlist?repo=fedora-40&arch=x86_64&country=us"


def accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


@pytest.mark.parametrize("workers", [1, 2])
async def test_sighup_as_soon_as_the_port_accepts(tmp_path: Path, workers: int) -> None:
    paths = write_inputs(tmp_path)
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as stderr:
        process = await trio.lowlevel.open_process(
            command(paths, tmp_path, workers=workers, config=write_config(tmp_path),
                    listen=f"127.0.0.1:{port}"),
            stdout=subprocess.DEVNULL, stderr=stderr, stdin=subprocess.DEVNULL, cwd=tmp_path,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        with trio.fail_after(60):
            while not accepts(port):
                assert process.returncode is None, log.read_text()[-2000:]
                await trio.sleep(0.001)
        for _ in range(10):  # at once, then while the rest of the workers start
            process.send_signal(signal.SIGHUP)
            await trio.sleep(0.02)
        async with httpx.AsyncClient(timeout=5) as client:
            with trio.fail_after(30):
                for _ in range(20):
                    response = await client.get(f"http://127.0.0.1:{port}{NORMAL}")
                    assert response.status_code == 200
                    generation = response.headers["x-mirrorlist-generation"]
                    assert generation.startswith(f"{CACHE_TIME}-")
        assert process.returncode is None
        process.send_signal(signal.SIGTERM)
        with trio.fail_after(20):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert "event=reload_requested" in log.read_text()


async def test_workers_stop_when_their_supervisor_is_killed(tmp_path: Path) -> None:
    """A supervisor that dies without stopping its workers (SIGKILL, a crash) takes them along:
    no worker goes on serving the port on its own."""
    paths = write_inputs(tmp_path)
    port = free_port()
    process = await trio.lowlevel.open_process(
        command(paths, tmp_path, workers=2, config=write_config(tmp_path),
                listen=f"127.0.0.1:{port}"),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    assert process.stdout is not None
    try:
        with trio.fail_after(60):
            assert b"Listening on" in await process.stdout.receive_some(1024)
        assert accepts(port)
        process.kill()
        await process.wait()
        with trio.fail_after(15):
            while accepts(port):
                await trio.sleep(0.05)
        out = subprocess.run(["pgrep", "-f", "mirrormanager_mirrorlist.worker"],
                             capture_output=True, text=True)
        assert str(tmp_path) not in out.stdout
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await process.stdout.aclose()
