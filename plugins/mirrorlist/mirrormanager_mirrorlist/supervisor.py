"""The supervisor of several list-server worker processes on the same ports.

It holds the ports (bound, not listening), one per address, starts
``python -m mirrormanager_mirrorlist.worker`` processes that each listen on them with ``SO_REUSEPORT`` (the kernel spreads connections over
them), forwards reloads (SIGHUP) to them -- to a worker still starting once it is ready --,
restarts a worker that dies, and stops them with SIGTERM (then SIGKILL after a grace period).
Each worker reads EOF on its stdin, a pipe from here, when the supervisor is gone however it
ended, and stops.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator

import attrs
import trio

from mirrormanager_mirrorlist.config import MirrorlistConfig
from mirrormanager_mirrorlist.listeners import (
    address_text,
    bound_endpoints,
    endpoints,
    open_sockets,
)
from mirrormanager_mirrorlist.serving import Started, settings_to_json, signal_receiver, started

log = logging.getLogger(__name__)


class _Worker:
    def __init__(self, number: int) -> None:
        self.number = number
        #: the running process, once it said READY (the previous one while it restarts)
        self.process: trio.Process | None = None
        self.stopping = False
        #: a SIGHUP arrived while the process was starting: forwarded once it is ready
        self.reload_pending = False

    @property
    def ready(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def started(self, process: trio.Process) -> None:
        self.process = process
        if self.reload_pending:
            self.reload_pending = False
            process.send_signal(signal.SIGHUP)

    def reload(self) -> None:
        if self.ready:
            assert self.process is not None
            self.process.send_signal(signal.SIGHUP)
        else:
            self.reload_pending = True


async def _spawn(child: MirrorlistConfig) -> tuple[trio.Process, str]:
    """Start one worker (``child``: its settings); returns it once it reported ``READY``
    (its generation)."""
    process = await trio.lowlevel.open_process(
        [sys.executable, "-m", "mirrormanager_mirrorlist.worker", settings_to_json(child)],
        stdout=subprocess.PIPE,
        # never written: the worker stops when it reads EOF, i.e. when this process is gone
        stdin=subprocess.PIPE,
        env={
            **os.environ,
            "MIRRORLIST_LOG_LEVEL": logging.getLevelName(logging.getLogger().getEffectiveLevel()),
        },
    )
    assert process.stdout is not None
    buffer = b""
    try:
        with trio.fail_after(120):
            while b"\n" not in buffer:
                chunk = await process.stdout.receive_some(4096)
                if not chunk:
                    raise RuntimeError(f"worker exited with status {await process.wait()}")
                buffer += chunk
    except BaseException:
        process.kill()
        with trio.CancelScope(shield=True):
            await process.wait()
            await _release(process)
        raise
    finally:
        with trio.CancelScope(shield=True):
            await process.stdout.aclose()
    line = buffer.split(b"\n", 1)[0].decode()
    if not line.startswith("READY"):
        process.kill()
        with trio.CancelScope(shield=True):
            await process.wait()
            await _release(process)
        raise RuntimeError(f"worker said {line!r}")
    return process, line.partition(" ")[2]


async def _release(process: trio.Process) -> None:
    """Close our end of an exited worker's stdin pipe."""
    if process.stdin is not None:
        await process.stdin.aclose()


async def supervise(
    settings: MirrorlistConfig,
    *,
    stop: trio.Event | None = None,
    handle_signals: bool = True,
    reloads: trio.MemoryReceiveChannel[None] | None = None,
    task_status: trio.TaskStatus[Started] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve with ``settings.workers`` worker processes until ``stop`` is set.

    With ``handle_signals`` the handlers come first: SIGINT/SIGTERM while the workers start
    stop them (so does ``stop``); SIGHUP reaches every worker, a worker still starting once it
    is ready.

    :param reloads: each item received makes every worker re-read its inputs (the same way).
    """
    stop = trio.Event() if stop is None else stop
    workers = [_Worker(n) for n in range(settings.workers)]
    with signal_receiver(handle_signals) as signals:
        # hold the ports (bound, not listening, so they get no connections) for the workers
        where = endpoints(settings.listen)
        reservations = open_sockets(where, listen=False, reuse_port=True)
        where = bound_endpoints(where, reservations)
        child = attrs.evolve(settings, listen=tuple(address_text(*e) for e in where), workers=1)
        try:
            async with trio.open_nursery() as nursery:
                if signals is not None:
                    nursery.start_soon(_supervisor_signals, signals, stop, workers)
                if reloads is not None:
                    nursery.start_soon(_forward_reloads, reloads, workers)
                with trio.CancelScope() as starting:
                    nursery.start_soon(_cancel_when_set, stop, starting)
                    generation = await _start_all(nursery, child, workers)
                if not starting.cancelled_caught:
                    report = started(where, generation)
                    log.info("event=listening urls=%s workers=%d", ",".join(report.urls),
                             len(workers))
                    task_status.started(report)
                await stop.wait()
                await _stop_all(workers, settings.shutdown_grace + 5)
                nursery.cancel_scope.cancel()
        finally:
            for worker in workers:
                if worker.ready:
                    assert worker.process is not None
                    worker.process.kill()
            for reservation in reservations:
                reservation.close()


async def _cancel_when_set(event: trio.Event, scope: trio.CancelScope) -> None:
    await event.wait()
    scope.cancel()


async def _start_all(
    nursery: trio.Nursery, child: MirrorlistConfig, workers: list[_Worker]
) -> str | None:
    generations: list[str] = []

    async def start_one(worker: _Worker) -> None:
        process, generation = await _spawn(child)
        worker.started(process)
        generations.append(generation)

    async with trio.open_nursery() as starting:
        for worker in workers:
            starting.start_soon(start_one, worker)
    for worker in workers:
        nursery.start_soon(_keep_alive, child, worker)
    return generations[0] if generations else None


async def _keep_alive(child: MirrorlistConfig, worker: _Worker) -> None:
    """Restart a worker that exits on its own (at most once every 5 seconds)."""
    while True:
        assert worker.process is not None
        status = await worker.process.wait()
        await _release(worker.process)
        if worker.stopping:
            return
        log.error("event=worker_exited number=%d status=%s action=restart", worker.number, status)
        await trio.sleep(5)
        try:
            process, _ = await _spawn(child)
        except (RuntimeError, OSError, trio.TooSlowError) as exc:
            log.error("event=worker_restart_failed number=%d error=%r", worker.number, str(exc))
        else:
            worker.started(process)


async def _stop_all(workers: list[_Worker], grace: float) -> None:
    for worker in workers:
        worker.stopping = True
    for worker in workers:
        if worker.ready:
            assert worker.process is not None
            worker.process.send_signal(signal.SIGTERM)
    with trio.move_on_after(grace):
        for worker in workers:
            if worker.process is not None:
                await worker.process.wait()
    for worker in workers:
        if worker.ready:
            assert worker.process is not None
            log.warning("event=worker_killed number=%d", worker.number)
            worker.process.kill()
            await worker.process.wait()


async def _forward_reloads(reloads: trio.MemoryReceiveChannel[None], workers: list[_Worker]) -> None:
    async for _ in reloads:
        log.info("event=reload_requested action=forward workers=%d", len(workers))
        for worker in workers:
            worker.reload()


async def _supervisor_signals(
    signals: AsyncIterator[int], stop: trio.Event, workers: list[_Worker]
) -> None:
    async for signum in signals:
        if signum == signal.SIGHUP:
            log.info("event=sighup action=forward workers=%d", len(workers))
            for worker in workers:
                worker.reload()
        else:
            log.info("event=stopping signal=%s", signal.Signals(signum).name)
            stop.set()
            return
