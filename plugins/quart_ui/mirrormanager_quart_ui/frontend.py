"""The ``ui`` frontend: hypercorn's trio worker serving the Quart app (run by the core's
``mirrormanager serve ui``), in this process or, with ``[ui] workers`` above 1, in that many
worker processes on the same port (:mod:`mirrormanager_quart_ui.worker`, supervised by
:mod:`mmcore.workers`).  Quart and hypercorn are imported when it serves."""

from __future__ import annotations

import argparse
import socket
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    import trio

    from mmcore.frontend import FrontendStarted, ServeControl
    from mmcore.runtime import Runtime

    from mirrormanager_quart_ui.config import UiConfig

#: seconds hypercorn gets to finish open requests once asked to stop
STOP_GRACE = 5.0


def ui_settings(runtime: Runtime, overrides: Mapping[str, Any]) -> UiConfig:
    """``[ui]`` with the command line's keys set (a bad value is a usage error)."""
    from mmcore.commands import UsageError

    from mirrormanager_quart_ui.config import UiConfig

    try:
        return attrs.evolve(runtime.section("ui", UiConfig), **dict(overrides))
    except (TypeError, ValueError) as exc:
        raise UsageError(f"serve ui: {exc}") from None


async def serve_app(
    runtime: Runtime,
    settings: UiConfig,
    sockets: Sequence[socket.socket] | None,
    stop: trio.Event,
    task_status: trio.TaskStatus[str],
) -> None:
    """Serve the app until ``stop`` is set (then finish open requests for :data:`STOP_GRACE`
    seconds); reports the URL it answers on.

    :param sockets: listening sockets to take over (a worker's), else ``settings.listen``.
    """
    import trio
    from hypercorn.config import Config as HypercornConfig
    from hypercorn.trio import serve as hypercorn_serve

    from mirrormanager_quart_ui.app import create_app

    hyper = HypercornConfig()
    # a socket handed over is hypercorn's from now on (it closes it)
    hyper.bind = ([f"fd://{sock.detach()}" for sock in sockets] if sockets is not None
                  else [settings.listen])
    hyper.accesslog = None
    app = create_app(runtime, settings)
    async with trio.open_nursery() as nursery:
        binds = await nursery.start(
            lambda task_status: hypercorn_serve(
                app, hyper, shutdown_trigger=stop.wait, task_status=task_status))
        task_status.started(binds[0].rstrip("/"))
        await stop.wait()
        nursery.cancel_scope.deadline = trio.current_time() + STOP_GRACE


@attrs.frozen
class UiFrontend:
    name: str = "ui"
    help: str = "run the web UI and JSON API"

    def configure(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--workers", type=int, help="processes serving the UI ([ui] workers)")

    def overrides(self, args: argparse.Namespace) -> dict[str, Any]:
        workers = getattr(args, "workers", None)
        return {} if workers is None else {"workers": workers}

    async def serve(
        self,
        runtime: Runtime,
        *,
        overrides: Mapping[str, Any],
        control: ServeControl,
        task_status: trio.TaskStatus[FrontendStarted],
    ) -> None:
        from mmcore.frontend import FrontendStarted

        settings = ui_settings(runtime, overrides)
        if settings.workers > 1:
            await _supervise(runtime, settings, overrides, control, task_status)
            return
        import trio

        async with trio.open_nursery() as nursery:
            url = await nursery.start(serve_app, runtime, settings, None, control.stop)
            task_status.started(FrontendStarted(url=url))


async def _supervise(runtime: Runtime, settings: UiConfig, overrides: Mapping[str, Any],
                     control: ServeControl,
                     task_status: trio.TaskStatus[FrontendStarted]) -> None:
    """``settings.workers`` worker processes on the port held here (bound, not listening)."""
    import logging
    import sys
    from pathlib import Path

    from mmcore import workers
    from mmcore.frontend import FrontendStarted
    from mmcore.listeners import address_text, bound_endpoints, endpoints, open_sockets

    from mirrormanager_quart_ui.secret_key import secret_key
    from mirrormanager_quart_ui.worker import spec_json

    # made here once: workers that each made a key would not accept each other's cookies
    secret_key(settings, Path(runtime.config.data_dir))
    where = endpoints([settings.listen])
    reservations = open_sockets(where, listen=False, reuse_port=True)
    try:
        host, port = bound_endpoints(where, reservations)[0]
        listen = address_text(host, port)
        url = f"http://{listen}"

        def ready(_word: str) -> None:
            logging.getLogger(__name__).info(
                "event=listening url=%s workers=%d", url, settings.workers)
            task_status.started(FrontendStarted(url=url, details={"workers": settings.workers}))

        await workers.supervise(
            [sys.executable, "-m", "mirrormanager_quart_ui.worker",
             spec_json(runtime.config.source, overrides, listen)],
            settings.workers, stop=control.stop, ready=ready, grace=STOP_GRACE)
    finally:
        for reservation in reservations:
            reservation.close()
