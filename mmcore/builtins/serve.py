"""``mirrormanager serve NAME [--listen HOST:PORT] ...``: run any installed frontend with one
loop that handles signals and prints readiness.

The signal handlers are installed before the frontend binds its port, so a SIGHUP (systemd,
logrotate) or SIGTERM that arrives the moment the server answers is handled, never fatal:
SIGINT/SIGTERM stop the frontend gracefully (bounded by :data:`STOP_GRACE` seconds), SIGHUP asks
it to reload.
"""

from __future__ import annotations

import argparse
import signal
from collections.abc import Mapping
from typing import Any

from mmcore.frontend import Frontend, FrontendStarted, ServeControl, find_frontend
from mmcore.runtime import Runtime

#: seconds a stopping frontend gets to finish what it is doing before it is cancelled
STOP_GRACE = 10.0


def run(runtime: Runtime, args: argparse.Namespace) -> int:
    import trio

    frontend = find_frontend(runtime.collect("mm_frontends"), args._frontend)
    overrides = frontend.overrides(args)
    if args.listen:
        # one address as a string (every frontend takes one), several as a list (the
        # frontend's configuration says whether it takes several)
        overrides["listen"] = args.listen[0] if len(args.listen) == 1 else list(args.listen)
    trio.run(serve_until_signalled, runtime, frontend, overrides)
    return 0


async def serve_until_signalled(
    runtime: Runtime, frontend: Frontend, overrides: Mapping[str, Any]
) -> None:
    """Serve ``frontend`` until SIGINT or SIGTERM (a second one stops it at once); SIGHUP asks
    it to reload."""
    import trio

    control, reloads = ServeControl.open()
    relay_scope = trio.CancelScope()
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM, signal.SIGHUP) as signals:
        async with trio.open_nursery() as nursery:

            async def relay_signals() -> None:
                with relay_scope:
                    async for signum in signals:
                        if signum == signal.SIGHUP:
                            try:
                                reloads.send_nowait(None)
                            except trio.WouldBlock:
                                pass  # a reload is already pending
                        elif control.stop.is_set():
                            nursery.cancel_scope.cancel()  # asked twice: stop now
                        else:
                            control.stop.set()
                            nursery.cancel_scope.deadline = trio.current_time() + STOP_GRACE

            async def run_frontend(task_status: trio.TaskStatus[FrontendStarted]) -> None:
                try:
                    await frontend.serve(runtime, overrides=overrides, control=control,
                                         task_status=task_status)
                finally:
                    control.stop.set()
                    relay_scope.cancel()

            nursery.start_soon(relay_signals)
            started: FrontendStarted = await nursery.start(run_frontend)
            print(f"Listening on {started.url}", file=runtime.out, flush=True)
