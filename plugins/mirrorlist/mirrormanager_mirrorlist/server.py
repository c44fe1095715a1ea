"""Running the list server in this process: one worker.

:func:`run_worker` serves from the current process (loads the inputs, answers, reloads on SIGHUP
and on file changes, flushes the access log); :func:`worker_main` is a worker process's entry
point.  ``serving.run_server`` picks this or the supervisor of several worker processes.

With ``handle_signals``, the signal handlers are installed first, before anything is loaded,
started or listening: a SIGHUP (a reload: systemd, logrotate) that arrives while the server
starts is kept and acted on once it serves, never the end of the process.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import trio

from mmcore.errors import first_of
from mmcore.listeners import bound_endpoints, endpoints, open_sockets
from mmcore.workers import announce_ready, stop_when_orphaned

from mirrormanager_mirrorlist.app import ListService
from mirrormanager_mirrorlist.config import MirrorlistConfig
from mirrormanager_mirrorlist.heap import FrozenHeap
from mirrormanager_mirrorlist.httpserver import HttpServer
from mirrormanager_mirrorlist.inputs import AccessLog, InputPaths, Inputs, LoadError
from mirrormanager_mirrorlist.metrics import WorkerMetrics
from mirrormanager_mirrorlist.proxies import ForwardedFor
from mirrormanager_mirrorlist.serving import (
    Started,
    settings_from_json,
    signal_receiver,
    started,
)

log = logging.getLogger(__name__)


def input_paths(settings: MirrorlistConfig) -> InputPaths:
    def optional(value: str) -> Path | None:
        return Path(value) if value else None

    return InputPaths(
        cache=Path(settings.cache_path),
        geoip=optional(settings.geoip),
        netblocks=optional(settings.netblocks),
        continents=optional(settings.continents),
    )


async def run_worker(
    settings: MirrorlistConfig,
    *,
    reuse_port: bool = False,
    stop: trio.Event | None = None,
    handle_signals: bool = True,
    reloads: trio.MemoryReceiveChannel[None] | None = None,
    task_status: trio.TaskStatus[Started] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve from this process until ``stop`` is set (or SIGINT/SIGTERM when ``handle_signals``;
    the handlers are installed before the inputs are loaded and the port listens).

    :param reloads: each item received re-reads the inputs (as SIGHUP does when
        ``handle_signals``); the core's ``serve`` command sends one per SIGHUP.
    """
    stop = trio.Event() if stop is None else stop
    with signal_receiver(handle_signals) as signals:
        inputs = Inputs(
            input_paths(settings), view_capacity=settings.view_capacity,
            validate=settings.validate_cache,
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
            forwarded_for=ForwardedFor.from_settings(settings),
        )
        metrics = WorkerMetrics(settings, inputs, service) if settings.metrics_dir else None
        heap = FrozenHeap(settings.gc_freeze_interval, lambda: inputs.reloads)
        server = HttpServer(service.answer if metrics is None else metrics.wrap(service.answer),
                            settings)
        where = endpoints(settings.listen)
        try:
            listeners = open_sockets(where, listen=True, reuse_port=reuse_port)
        except BaseException:
            if access is not None:
                access.close()
            if metrics is not None:
                metrics.close()
            raise
        if metrics is not None:
            metrics.server = server
        where = bound_endpoints(where, listeners)
        try:
            async with trio.open_nursery() as nursery:

                async def serve(
                    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
                ) -> None:
                    await server.serve(listeners, stop, task_status=task_status)
                    nursery.cancel_scope.cancel()

                if signals is not None:
                    nursery.start_soon(_worker_signals, signals, stop, inputs, access)
                if reloads is not None:
                    nursery.start_soon(_reload_on_request, reloads, inputs, access)
                if settings.watch_interval > 0:
                    nursery.start_soon(inputs.watch, settings.watch_interval)
                if access is not None:
                    nursery.start_soon(_flush_every_second, access)
                if metrics is not None:
                    nursery.start_soon(metrics.flush_every)
                nursery.start_soon(heap.run)
                await nursery.start(serve)
                nursery.start_soon(partial(trio.to_thread.run_sync, inputs.check_first_generation,
                                           abandon_on_cancel=True))
                generation = inputs.index.generation if inputs.index else None
                report = started(where, generation)
                log.info("event=listening urls=%s generation=%s", ",".join(report.urls),
                         generation)
                task_status.started(report)
        finally:
            if access is not None:
                access.close()
            if metrics is not None:
                metrics.close()
            for listener in listeners:
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


async def _worker_signals(
    signals: AsyncIterator[int],
    stop: trio.Event,
    inputs: Inputs,
    access: AccessLog | None,
) -> None:
    async for signum in signals:
        if signum == signal.SIGHUP:
            log.info("event=sighup")
            await _reload(inputs, access)
        else:
            log.info("event=stopping signal=%s", signal.Signals(signum).name)
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

    async def main() -> None:
        stop = trio.Event()
        async with trio.open_nursery() as nursery:

            async def serve(task_status: trio.TaskStatus[Started]) -> None:
                await run_worker(settings, reuse_port=True, stop=stop, task_status=task_status)
                nursery.cancel_scope.cancel()

            nursery.start_soon(stop_when_orphaned, stop)
            started: Started = await nursery.start(serve)
            announce_ready(started.generation or "")

    try:
        trio.run(main)
    except BaseException as exc:
        load_error = first_of(exc, LoadError)
        if load_error is None:
            raise
        sys.stdout.write(f"FAILED {load_error}\n")
        sys.stdout.flush()
        return 1
    return 0
