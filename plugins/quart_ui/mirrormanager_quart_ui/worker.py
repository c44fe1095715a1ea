"""``python -m mirrormanager_quart_ui.worker SPEC_JSON``: one of ``serve ui --workers N``'s
processes (see :mod:`mmcore.workers` for the protocol with its supervisor).

``SPEC_JSON`` says which configuration file to read (the supervisor's own, or none), the
``[ui]`` keys set on the command line, the supervisor's log level and the address to listen on
(the port the supervisor holds).  The worker builds its own runtime and app from that, listens
with ``SO_REUSEPORT``, says ``READY`` and serves until SIGTERM, SIGINT or its supervisor is gone.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import trio

from mmcore.cli import collect_config_sections
from mmcore.config import load_config
from mmcore.listeners import endpoints, open_sockets
from mmcore.logs import setup_logging
from mmcore.plugins import get_plugin_manager
from mmcore.runtime import Runtime
from mmcore.workers import announce_ready, stop_when_orphaned

from mirrormanager_quart_ui.config import UiConfig
from mirrormanager_quart_ui.frontend import serve_app, ui_settings

log = logging.getLogger(__name__)


def spec_json(config: Path | None, overrides: Mapping[str, Any], listen: str) -> str:
    """What a worker is started with (read back by :func:`main`)."""
    level = logging.getLogger().getEffectiveLevel()
    verbosity = 1 if level <= logging.DEBUG else -1 if level >= logging.WARNING else 0
    return json.dumps({"config": str(config) if config is not None else None,
                       "overrides": dict(overrides), "verbosity": verbosity, "listen": listen})


async def _serve(runtime: Runtime, settings: UiConfig) -> None:
    stop = trio.Event()
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
        sockets = open_sockets(endpoints([settings.listen]), listen=True, reuse_port=True)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(stop_when_orphaned, stop)

            async def stop_on_signal() -> None:
                async for signum in signals:
                    if signum != signal.SIGHUP:  # nothing to reload: the UI reads the store
                        stop.set()
                        return

            nursery.start_soon(stop_on_signal)
            await nursery.start(serve_app, runtime, settings, sockets, stop)
            announce_ready()
            await stop.wait()
            nursery.cancel_scope.cancel()


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    setup_logging(int(spec["verbosity"]))
    pm = get_plugin_manager()
    source = Path(spec["config"]) if spec["config"] else None
    runtime = Runtime(load_config(source, collect_config_sections(pm)), pm)
    settings = ui_settings(runtime, {**spec["overrides"], "listen": spec["listen"], "workers": 1})
    try:
        trio.run(_serve, runtime, settings)
    finally:
        runtime.close()
    return 0


if __name__ == "__main__":
    # a SIGHUP before the handler is installed must not end the process
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    sys.exit(main(sys.argv[1:]))
