"""The ``ui`` frontend: hypercorn's trio worker serving the Quart app."""

from __future__ import annotations

import signal
from collections.abc import Mapping
from typing import Any

import attrs
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from mmcore.checkin.config import CheckinConfig
from mmcore.config import Config
from mmcore.frontend import FrontendStarted
from mmcore.plugins import get_plugin_manager, open_store

from mirrormanager_quart_ui.app import create_app
from mirrormanager_quart_ui.config import UiConfig


@attrs.frozen
class UiFrontend:
    name: str = "ui"

    async def serve(
        self,
        config: Config,
        *,
        overrides: Mapping[str, Any] | None = None,
        stop: trio.Event | None = None,
        handle_signals: bool = False,
        task_status: trio.TaskStatus[FrontendStarted] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        settings = attrs.evolve(config.section("ui", UiConfig), **(overrides or {}))
        store = open_store(config)
        stop = stop if stop is not None else trio.Event()
        hyper = HypercornConfig()
        hyper.bind = [settings.listen]
        hyper.accesslog = None
        try:
            async with trio.open_nursery() as nursery:
                if handle_signals:
                    nursery.start_soon(_stop_on_signals, stop)
                binds = await nursery.start(
                    lambda task_status: hypercorn_serve(
                        create_app(store, settings, checkin=config.section("checkin", CheckinConfig),
                                   announce=_announcer()),
                        hyper,
                        shutdown_trigger=stop.wait,
                        task_status=task_status,
                    )
                )
                task_status.started(FrontendStarted(url=binds[0]))
                await stop.wait()
                nursery.cancel_scope.deadline = trio.current_time() + 5  # graceful, bounded
        finally:
            store.close()


def _announcer():
    """Events go to every plugin's ``mm_event_*`` hook (until the core's runtime announces)."""
    hook = get_plugin_manager().hook
    return lambda event: hook.mm_event_host_checked_in(event=event)


async def _stop_on_signals(stop: trio.Event) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            stop.set()
            return
