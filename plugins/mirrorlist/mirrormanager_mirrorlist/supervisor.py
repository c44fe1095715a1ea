"""The supervisor of several list-server worker processes on the same ports.

It holds the ports (bound, not listening), one per address, and runs
``python -m mirrormanager_mirrorlist.worker`` processes under :func:`mmcore.workers.supervise`:
each listens on them with ``SO_REUSEPORT`` (the kernel spreads connections over them), says
``READY <generation>`` once it serves, re-reads its inputs on SIGHUP and stops when it reads EOF
on its stdin, a pipe from here, however the supervisor ended.
"""

from __future__ import annotations

import logging
import os
import sys

import attrs
import trio

from mirrormanager_mirrorlist.config import MirrorlistConfig
from mirrormanager_mirrorlist.serving import Started, settings_to_json, signal_receiver, started
from mmcore import workers
from mmcore.listeners import address_text, bound_endpoints, endpoints, open_sockets

log = logging.getLogger(__name__)


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
    with signal_receiver(handle_signals) as signals:
        # hold the ports (bound, not listening, so they get no connections) for the workers
        where = endpoints(settings.listen)
        reservations = open_sockets(where, listen=False, reuse_port=True)
        try:
            where = bound_endpoints(where, reservations)
            child = attrs.evolve(settings, listen=tuple(address_text(*e) for e in where),
                                 workers=1)

            def ready(generation: str) -> None:
                report = started(where, generation or None)
                log.info("event=listening urls=%s workers=%d", ",".join(report.urls),
                         settings.workers)
                task_status.started(report)

            await workers.supervise(
                [sys.executable, "-m", "mirrormanager_mirrorlist.worker", settings_to_json(child)],
                settings.workers, stop=stop, ready=ready, grace=settings.shutdown_grace + 5,
                env={**os.environ, "MIRRORLIST_LOG_LEVEL": logging.getLevelName(
                    logging.getLogger().getEffectiveLevel())},
                signals=signals, reloads=reloads)
        finally:
            for reservation in reservations:
                reservation.close()
