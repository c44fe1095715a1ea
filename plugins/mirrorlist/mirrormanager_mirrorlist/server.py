"""Running the list server: one worker in this process, or N worker processes on one port.

:func:`run_worker` serves from the current process (loads the inputs, answers, reloads on SIGHUP
and on file changes, flushes the access log); :func:`worker_main` is a worker process's entry
point.  :func:`run_server` with ``workers > 1`` hands over to ``supervisor.supervise``.

With ``handle_signals``, the signal handlers are installed first, before anything is loaded,
started or listening: a SIGHUP (a reload: systemd, logrotate) that arrives while the server
starts is kept and acted on once it serves, never the end of the process.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from functools import partial
from pathlib import Path

import attrs
import cattrs
import trio

from mmcore.errors import first_of

from mirrormanager_mirrorlist.app import ListService
from mirrormanager_mirrorlist.httpserver import HttpLimits, HttpServer
from mirrormanager_mirrorlist.inputs import AccessLog, InputPaths, Inputs, LoadError
from mirrormanager_mirrorlist.listeners import bound_port, make_listener

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


SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def signal_receiver(handle: bool) -> Iterator[AsyncIterator[int] | None]:
    """SIGHUP, SIGINT and SIGTERM caught from now on and kept until read (when ``handle``)."""
    if not handle:
        yield None
        return
    with trio.open_signal_receiver(*SIGNALS) as receiver:
        yield receiver


async def run_worker(
    settings: ServerSettings,
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
            settings.input_paths(), view_capacity=settings.view_capacity,
            validate=settings.validate,
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
        server = HttpServer(service.answer, settings.limits)
        try:
            listener = make_listener(settings.host, settings.port, reuse_port=reuse_port)
        except BaseException:
            if access is not None:
                access.close()
            raise
        port = bound_port(listener)
        try:
            async with trio.open_nursery() as nursery:

                async def serve(
                    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
                ) -> None:
                    await server.serve(listener, stop, task_status=task_status)
                    nursery.cancel_scope.cancel()

                if signals is not None:
                    nursery.start_soon(_worker_signals, signals, stop, inputs, access)
                if reloads is not None:
                    nursery.start_soon(_reload_on_request, reloads, inputs, access)
                if settings.watch_interval > 0:
                    nursery.start_soon(inputs.watch, settings.watch_interval)
                if access is not None:
                    nursery.start_soon(_flush_every_second, access)
                await nursery.start(serve)
                nursery.start_soon(partial(trio.to_thread.run_sync, inputs.check_first_generation,
                                           abandon_on_cancel=True))
                generation = inputs.index.generation if inputs.index else None
                log.info("event=listening url=%s generation=%s", settings.url(port), generation)
                task_status.started(Started(settings.url(port), port, generation))
        finally:
            if access is not None:
                access.close()
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


async def run_server(
    settings: ServerSettings,
    *,
    stop: trio.Event | None = None,
    handle_signals: bool = True,
    reloads: trio.MemoryReceiveChannel[None] | None = None,
    task_status: trio.TaskStatus[Started] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve with ``settings.workers`` processes: in this process when it is 1
    (:func:`run_worker`), else worker processes under a supervisor (``supervisor.py``).

    :param reloads: each item received re-reads the inputs, in every worker.
    """
    if settings.workers <= 1:
        await run_worker(settings, stop=stop, handle_signals=handle_signals, reloads=reloads,
                         task_status=task_status)
        return
    from mirrormanager_mirrorlist.supervisor import supervise

    await supervise(settings, stop=stop, handle_signals=handle_signals, reloads=reloads,
                    task_status=task_status)


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

            nursery.start_soon(_stop_when_orphaned, stop)
            started: Started = await nursery.start(serve)
            sys.stdout.write(f"READY {started.generation}\n")
            sys.stdout.flush()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.close(devnull)

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


async def _stop_when_orphaned(stop: trio.Event) -> None:
    """Stop when the supervisor is gone (it never writes to our stdin: EOF means it exited,
    however it ended), so no worker goes on serving the port on its own."""
    async with trio.lowlevel.FdStream(os.dup(0)) as stdin:
        while await stdin.receive_some(4096):
            pass
    log.warning("event=supervisor_gone action=stop")
    stop.set()
