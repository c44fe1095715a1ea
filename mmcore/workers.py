"""Several worker processes of one server, supervised: started, kept alive, reloaded, stopped.

A server that answers from more than one process (the list server, the web UI) holds its ports
in the supervising process (bound, not listening: :func:`mmcore.listeners.open_sockets` with
``listen=False, reuse_port=True``) and runs :func:`supervise` with the command line of one
worker.  Each worker listens on the same ports with ``SO_REUSEPORT`` (the kernel spreads the
connections over them) and speaks a two-line protocol:

* it writes ``READY`` (optionally followed by a space and one word, e.g. a cache generation)
  and a newline on its standard output once it accepts connections;
* it stops when it reads end-of-file on its standard input (a pipe from the supervisor, never
  written): however the supervisor ended, its workers follow.

SIGTERM asks a worker to stop gracefully, SIGHUP to re-read its inputs.  The supervisor
forwards reloads (to a worker still starting once it is ready), restarts a worker that exits
on its own (at most once every :data:`RESTART_DELAY` seconds) and, when stopping, sends
SIGTERM and then SIGKILL after a grace period.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence

import trio

log = logging.getLogger(__name__)

#: seconds a worker has to say READY
START_TIMEOUT = 120.0
#: seconds between a worker's exit and its restart
RESTART_DELAY = 5.0


class _Worker:
    def __init__(self, number: int) -> None:
        self.number = number
        #: the running process, once it said READY (the previous one while it restarts)
        self.process: trio.Process | None = None
        self.stopping = False
        #: a reload arrived while the process was starting: forwarded once it is ready
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


async def spawn(command: Sequence[str], env: Mapping[str, str] | None = None) -> tuple[trio.Process, str]:
    """Start one worker; returns it once it said ``READY`` (and the word after it, or ``""``).

    :raises RuntimeError: the worker exited or said something else first.
    :raises trio.TooSlowError: no answer within :data:`START_TIMEOUT` seconds.
    """
    process = await trio.lowlevel.open_process(
        list(command),
        stdout=subprocess.PIPE,
        # never written: the worker stops when it reads EOF, i.e. when this process is gone
        stdin=subprocess.PIPE,
        env=None if env is None else dict(env),
    )
    assert process.stdout is not None
    buffer = b""
    try:
        with trio.fail_after(START_TIMEOUT):
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
    line = buffer.split(b"\n", 1)[0].decode(errors="replace")
    if line != "READY" and not line.startswith("READY "):
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
    command: Sequence[str],
    count: int,
    *,
    stop: trio.Event,
    ready: Callable[[str], None],
    grace: float,
    env: Mapping[str, str] | None = None,
    signals: AsyncIterator[int] | None = None,
    reloads: trio.MemoryReceiveChannel[None] | None = None,
) -> None:
    """Run ``count`` workers of ``command`` until ``stop`` is set, then stop them.

    :param ready: called once, with the first worker's word after ``READY``, when every
        worker is ready; not called when ``stop`` is set before.
    :param grace: seconds the workers get to exit after SIGTERM before they are killed.
    :param env: the workers' environment (default: this process's).
    :param signals: SIGHUP received here reaches every worker, SIGINT and SIGTERM stop them
        (received from the start, so a signal while they start is not lost).
    :param reloads: each item received makes every worker re-read its inputs (SIGHUP).
    :raises RuntimeError: a worker failed to start (the others are stopped).
    """
    workers = [_Worker(n) for n in range(count)]
    try:
        async with trio.open_nursery() as nursery:
            if signals is not None:
                nursery.start_soon(_forward_signals, signals, stop, workers)
            if reloads is not None:
                nursery.start_soon(_forward_reloads, reloads, workers)
            with trio.CancelScope() as starting:
                nursery.start_soon(_cancel_when_set, stop, starting)
                word = await _start_all(nursery, command, env, workers)
            if not starting.cancelled_caught:
                ready(word)
            await stop.wait()
            await _stop_all(workers, grace)
            nursery.cancel_scope.cancel()
    finally:
        for worker in workers:
            if worker.ready:
                assert worker.process is not None
                worker.process.kill()


async def _cancel_when_set(event: trio.Event, scope: trio.CancelScope) -> None:
    await event.wait()
    scope.cancel()


async def _start_all(nursery: trio.Nursery, command: Sequence[str],
                     env: Mapping[str, str] | None, workers: list[_Worker]) -> str:
    words: list[str] = []

    async def start_one(worker: _Worker) -> None:
        process, word = await spawn(command, env)
        worker.started(process)
        words.append(word)

    async with trio.open_nursery() as starting:
        for worker in workers:
            starting.start_soon(start_one, worker)
    for worker in workers:
        nursery.start_soon(_keep_alive, command, env, worker)
    return words[0] if words else ""


async def _keep_alive(command: Sequence[str], env: Mapping[str, str] | None,
                      worker: _Worker) -> None:
    """Restart a worker that exits on its own (at most once every RESTART_DELAY seconds)."""
    while True:
        assert worker.process is not None
        status = await worker.process.wait()
        await _release(worker.process)
        if worker.stopping:
            return
        log.error("event=worker_exited number=%d status=%s action=restart", worker.number, status)
        await trio.sleep(RESTART_DELAY)
        try:
            process, _ = await spawn(command, env)
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


async def _forward_signals(signals: AsyncIterator[int], stop: trio.Event,
                           workers: list[_Worker]) -> None:
    async for signum in signals:
        if signum == signal.SIGHUP:
            log.info("event=sighup action=forward workers=%d", len(workers))
            for worker in workers:
                worker.reload()
        else:
            log.info("event=stopping signal=%s", signal.Signals(signum).name)
            stop.set()
            return


# -- the worker's side -----------------------------------------------------------------------


def announce_ready(word: str = "") -> None:
    """Tell the supervisor this worker accepts connections (``READY`` and ``word``), then send
    standard output to ``/dev/null``: nobody reads that pipe any more."""
    sys.stdout.write(f"READY {word}\n" if word else "READY\n")
    sys.stdout.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)


async def stop_when_orphaned(stop: trio.Event) -> None:
    """Set ``stop`` when the supervisor is gone (it never writes to our stdin: EOF means it
    exited, however it ended), so no worker goes on serving the port on its own."""
    async with trio.lowlevel.FdStream(os.dup(0)) as stdin:
        while await stdin.receive_some(4096):
            pass
    log.warning("event=supervisor_gone action=stop")
    stop.set()
