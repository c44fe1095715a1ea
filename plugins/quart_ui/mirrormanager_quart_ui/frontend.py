"""The ``ui`` frontend: hypercorn's trio worker serving the Quart app (run by the core's
``mirrormanager serve ui``).  Quart and hypercorn are imported when it serves."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    import trio

    from mmcore.frontend import FrontendStarted, ServeControl
    from mmcore.runtime import Runtime

#: seconds hypercorn gets to finish open requests once asked to stop
STOP_GRACE = 5.0


@attrs.frozen
class UiFrontend:
    name: str = "ui"
    help: str = "run the web UI and JSON API"

    def configure(self, parser: argparse.ArgumentParser) -> None:
        """No options beyond ``--listen``."""

    def overrides(self, args: argparse.Namespace) -> dict[str, Any]:
        return {}

    async def serve(
        self,
        runtime: Runtime,
        *,
        overrides: Mapping[str, Any],
        control: ServeControl,
        task_status: trio.TaskStatus[FrontendStarted],
    ) -> None:
        import trio
        from hypercorn.config import Config as HypercornConfig
        from hypercorn.trio import serve as hypercorn_serve

        from mmcore.commands import UsageError
        from mmcore.frontend import FrontendStarted

        from mirrormanager_quart_ui.app import create_app
        from mirrormanager_quart_ui.config import UiConfig

        try:
            settings = attrs.evolve(runtime.section("ui", UiConfig), **dict(overrides))
        except (TypeError, ValueError) as exc:
            raise UsageError(f"serve ui: {exc}") from None
        hyper = HypercornConfig()
        hyper.bind = [settings.listen]
        hyper.accesslog = None
        async with trio.open_nursery() as nursery:
            binds = await nursery.start(
                lambda task_status: hypercorn_serve(
                    create_app(runtime, settings),
                    hyper,
                    shutdown_trigger=control.stop.wait,
                    task_status=task_status,
                )
            )
            task_status.started(FrontendStarted(url=binds[0].rstrip("/")))
            await control.stop.wait()
            nursery.cancel_scope.deadline = trio.current_time() + STOP_GRACE
