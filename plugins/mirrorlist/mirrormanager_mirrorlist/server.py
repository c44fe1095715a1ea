"""Running the list server: one worker in this process, or N worker processes on one port.

:func:`run_worker` serves from the current process (loads the inputs, answers, reloads on SIGHUP
and on file changes, flushes the access log).  :func:`run_server` with ``workers > 1`` starts
``python -m mirrormanager_mirrorlist.worker`` processes that each bind the same address with
``SO_REUSEPORT`` (the kernel spreads connections over them), forwards SIGHUP to them, restarts a
worker that dies, and stops them with SIGTERM (then SIGKILL after a grace period).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import cattrs
import trio

from mirrormanager_mirrorlist.app import ListService
from mirrormanager_mirrorlist.httpserver import HttpLimits, HttpServer, bound_port, make_listener
from mirrormanager_mirrorlist.inputs import AccessLog, InputPaths, Inputs, LoadError

log = logging.getLogger(__name__)


@attrs.frozen
class ServerSettings:
    cache: str
    host: str = "127.0.0.1"
    port: int = 3000
    workers: int = 1
    minimum: int = 5
    geoip: str | None = None
    netblocks: str | None = None
    continents: str | None = None
    access_log: str | None = None
    #: seconds between checks of the input files for changes (0: only on SIGHUP)
    watch_interval: float = 2.0
    #: host entries kept in prepared directory views (the per-directory LRU bound)
    view_capacity: int = 4_000_000
    #: parse every entry at load time to reject schema violations (slower load)
    validate: bool = True
    trust_forwarded_for: bool = True
    #: start without a loadable cache (answer 503 until one appears) instead of failing
    allow_missing_cache: bool = False
    limits: HttpLimits = HttpLimits()

    def input_paths(self) -> InputPaths:
        def opt(value: str | None) -> Path | None:
            return Path(value) if value else None

        return InputPaths(
            cache=Path(self.cache),
            geoip=opt(self.geoip),
            netblocks=opt(self.netblocks),
            continents=opt(self.continents),
        )

    def url(self, port: int | None = None) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port if port is None else port}"


_converter = cattrs.Converter()


def settings_to_json(settings: ServerSettings) -> str:
    return json.dumps(_converter.unstructure(settings))


def settings_from_json(text: str) -> ServerSettings:
    return _converter.structure(json.loads(text), ServerSettings)


@attrs.frozen
class Started:
    """What ``task_status.started()`` reports: where the server answers."""

    url: str
    port: int
    generation: str | None


async def run_worker(
    settings: ServerSettings,
    *,
    listener: socket.socket | None = None,
    stop: trio.Event | None = None,
    handle_signals: bool = True,
    reloads: trio.MemoryReceiveChannel[None] | None = None,
    task_status: trio.TaskStatus[Started] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve from this process until ``stop`` is set (or SIGINT/SIGTERM when ``handle_signals``).

    :param reloads: each item received re-reads the inputs (as SIGHUP does when
        ``handle_signals``); the core's ``serve`` command sends one per SIGHUP.
    """
    stop = trio.Event() if stop is None else stop
    inputs = Inputs(
        settings.input_paths(), view_capacity=settings.view_capacity, validate=settings.validate
    )
    try:
        await trio.to_thread.run_sync(inputs.load_all)
    except LoadError as exc:
        if not settings.allow_missing_cache or inputs.index is not None:
            raise
        log.error("event=start_without_cache error=%r", str(exc))
    access = AccessLog(Path(settings.access_log)) if settings.access_log else None
    service = ListService(
        inputs,
        minimum=settings.minimum,
        access_log=access,
        trust_forwarded_for=settings.trust_forwarded_for,
    )

    def handler(method: bytes, path: str, query: str, xff: str | None, peer: str) -> Any:
        return service.answer(path, query, xff, peer)

    server = HttpServer(handler, settings.limits)
    own_listener = listener is None
    if listener is None:
        listener = make_listener(settings.host, settings.port)
    port = bound_port(listener)
    try:
        async with trio.open_nursery() as nursery:

            async def serve(task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
                await server.serve(listener, stop, task_status=task_status)
                nursery.cancel_scope.cancel()

            if settings.watch_interval > 0:
                nursery.start_soon(inputs.watch, settings.watch_interval)
            if access is not None:
                nursery.start_soon(_flush_every_second, access)
            if handle_signals:
                nursery.start_soon(_worker_signals, stop, inputs, access)
            if reloads is not None:
                nursery.start_soon(_reload_on_request, reloads, inputs, access)
            await nursery.start(serve)
            generation = inputs.index.generation if inputs.index else None
            log.info("event=listening url=%s generation=%s", settings.url(port), generation)
            task_status.started(Started(settings.url(port), port, generation))
    finally:
        if access is not None:
            access.close()
        if own_listener:
            listener.close()


async def _flush_every_second(access: AccessLog) -> None:
    while True:
        await trio.sleep(1)
        access.flush()


async def _reload(inputs: Inputs, access: AccessLog | None) -> None:
    log.info("event=reload_requested action=reload")
    if access is not None:
        access.reopen()
    await inputs.refresh_in_thread(["cache", "geoip", "netblocks", "continents"])


async def _reload_on_request(
    reloads: trio.MemoryReceiveChannel[None], inputs: Inputs, access: AccessLog | None
) -> None:
    async for _ in reloads:
        await _reload(inputs, access)


async def _worker_signals(stop: trio.Event, inputs: Inputs, access: AccessLog | None) -> None:
    with trio.open_signal_receiver(signal.SIGHUP, signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            if signum == signal.SIGHUP:
                await _reload(inputs, access)
            else:
                log.info("event=stopping signal=%s", signal.Signals(signum).name)
                stop.set()
                return


# ---------------------------------------------------------------------------------------------
# several worker processes
# ---------------------------------------------------------------------------------------------


class _Worker:
    def __init__(self, number: int) -> None:
        self.number = number
        self.process: trio.Process | None = None
        self.stopping = False


async def _spawn(settings: ServerSettings, port: int) -> tuple[trio.Process, str]:
    """Start one worker; returns it once it reported ``READY`` (its generation)."""
    child = attrs.evolve(settings, port=port, workers=1)
    process = await trio.lowlevel.open_process(
        [sys.executable, "-m", "mirrormanager_mirrorlist.worker", settings_to_json(child)],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
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
        await process.wait()
        raise
    finally:
        await process.stdout.aclose()
    line = buffer.split(b"\n", 1)[0].decode()
    if not line.startswith("READY"):
        process.kill()
        raise RuntimeError(f"worker said {line!r}")
    return process, line.partition(" ")[2]


async def run_server(
    settings: ServerSettings,
    *,
    stop: trio.Event | None = None,
    handle_signals: bool = True,
    reloads: trio.MemoryReceiveChannel[None] | None = None,
    task_status: trio.TaskStatus[Started] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve with ``settings.workers`` processes (in this process when it is 1).

    :param reloads: each item received makes every worker re-read its inputs.
    """
    if settings.workers <= 1:
        await run_worker(settings, stop=stop, handle_signals=handle_signals, reloads=reloads,
                         task_status=task_status)
        return
    stop = trio.Event() if stop is None else stop
    # hold the port (bound, not listening, so it gets no connections) for the workers
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    reservation = socket.socket(family, socket.SOCK_STREAM)
    reservation.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    reservation.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    reservation.bind((settings.host, settings.port))
    port = bound_port(reservation)
    workers = [_Worker(n) for n in range(settings.workers)]
    try:
        async with trio.open_nursery() as nursery:
            started = await _start_all(nursery, settings, port, workers)
            log.info("event=listening url=%s workers=%d", settings.url(port), len(workers))
            if handle_signals:
                nursery.start_soon(_supervisor_signals, stop, workers)
            if reloads is not None:
                nursery.start_soon(_forward_reloads, reloads, workers)
            task_status.started(Started(settings.url(port), port, started))
            await stop.wait()
            await _stop_all(workers, settings.limits.shutdown_grace + 5)
            nursery.cancel_scope.cancel()
    finally:
        for worker in workers:
            if worker.process is not None and worker.process.returncode is None:
                worker.process.kill()
        reservation.close()


async def _start_all(
    nursery: trio.Nursery, settings: ServerSettings, port: int, workers: list[_Worker]
) -> str | None:
    generations: list[str] = []

    async def start_one(worker: _Worker) -> None:
        worker.process, generation = await _spawn(settings, port)
        generations.append(generation)

    async with trio.open_nursery() as starting:
        for worker in workers:
            starting.start_soon(start_one, worker)
    for worker in workers:
        nursery.start_soon(_keep_alive, settings, port, worker)
    return generations[0] if generations else None


async def _keep_alive(settings: ServerSettings, port: int, worker: _Worker) -> None:
    """Restart a worker that exits on its own (at most once every 5 seconds)."""
    while True:
        assert worker.process is not None
        status = await worker.process.wait()
        if worker.stopping:
            return
        log.error("event=worker_exited number=%d status=%s action=restart", worker.number, status)
        await trio.sleep(5)
        try:
            worker.process, _ = await _spawn(settings, port)
        except (RuntimeError, OSError, trio.TooSlowError) as exc:
            log.error("event=worker_restart_failed number=%d error=%r", worker.number, str(exc))


async def _stop_all(workers: list[_Worker], grace: float) -> None:
    for worker in workers:
        worker.stopping = True
    for worker in workers:
        if worker.process is not None and worker.process.returncode is None:
            worker.process.send_signal(signal.SIGTERM)
    with trio.move_on_after(grace):
        for worker in workers:
            if worker.process is not None:
                await worker.process.wait()
    for worker in workers:
        if worker.process is not None and worker.process.returncode is None:
            log.warning("event=worker_killed number=%d", worker.number)
            worker.process.kill()
            await worker.process.wait()


def _signal_workers_to_reload(workers: list[_Worker]) -> None:
    for worker in workers:
        if worker.process is not None and worker.process.returncode is None:
            worker.process.send_signal(signal.SIGHUP)


async def _forward_reloads(reloads: trio.MemoryReceiveChannel[None], workers: list[_Worker]) -> None:
    async for _ in reloads:
        _signal_workers_to_reload(workers)


async def _supervisor_signals(stop: trio.Event, workers: list[_Worker]) -> None:
    with trio.open_signal_receiver(signal.SIGHUP, signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            if signum == signal.SIGHUP:
                _signal_workers_to_reload(workers)
            else:
                stop.set()
                return


def worker_main(argv: list[str]) -> int:
    """Entry point of a worker process: serve and print ``READY <generation>`` when listening."""
    settings = settings_from_json(argv[0])
    logging.basicConfig(
        level=os.environ.get("MIRRORLIST_LOG_LEVEL", "INFO"),
        format=f"%(asctime)s worker={os.getpid()} %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    listener = make_listener(settings.host, settings.port, reuse_port=True)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            started: Started = await nursery.start(
                lambda task_status: run_worker(settings, listener=listener, task_status=task_status)
            )
            sys.stdout.write(f"READY {started.generation}\n")
            sys.stdout.flush()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.close(devnull)

    try:
        trio.run(main)
    except BaseException as exc:
        load_error = _find_load_error(exc)
        if load_error is None:
            raise
        sys.stdout.write(f"FAILED {load_error}\n")
        sys.stdout.flush()
        return 1
    finally:
        listener.close()
    return 0


def _find_load_error(exc: BaseException) -> LoadError | None:
    if isinstance(exc, LoadError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _find_load_error(inner)
            if found is not None:
                return found
    return None
