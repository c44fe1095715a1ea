"""Servers and helpers of the crawler tests that test modules import (fixtures stay in
``conftest.py``, which test modules must not import: another test directory has one too)."""

from __future__ import annotations

import select
import subprocess
import time

import trio


def read_port(process: subprocess.Popen[str], timeout: float = 15) -> int:
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


def stop_process(process: subprocess.Popen[str]) -> None:
    """SIGTERM, then SIGKILL if it is still there after 5 s."""
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


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
