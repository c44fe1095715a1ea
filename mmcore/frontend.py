"""Servers the core can run: what a plugin returns from ``mm_frontends``.

A frontend is run by ``mirrormanager serve NAME`` and by the demo, which runs several of them in
one trio nursery::

    started = await nursery.start(partial(frontend.serve, config, stop=stop))
    print(started.url)
    ...
    stop.set()          # or cancel the nursery

``serve`` answers until ``stop`` is set (then stops gracefully and returns) or until it is
cancelled.  It calls ``task_status.started(FrontendStarted(...))`` once it accepts requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import trio

if TYPE_CHECKING:
    from mmcore.config import Config


@attrs.frozen
class FrontendStarted:
    #: base URL the frontend answers on, e.g. ``http://127.0.0.1:3000``
    url: str
    #: anything else worth printing (``generation`` of a loaded cache, ...)
    details: Mapping[str, Any] = attrs.field(factory=dict)


class Frontend(Protocol):
    #: the word after ``mirrormanager serve``
    name: str

    async def serve(
        self,
        config: Config,
        *,
        overrides: Mapping[str, Any] | None = None,
        stop: trio.Event | None = None,
        handle_signals: bool = False,
        task_status: trio.TaskStatus[FrontendStarted] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Serve until ``stop`` is set or the surrounding scope is cancelled.

        :param overrides: settings that win over the configuration file (command-line flags,
            the demo's ports), keyed by the frontend's configuration key names.
        :param handle_signals: install SIGINT/SIGTERM (stop) and SIGHUP (reload) handlers; only
            for a process that runs this frontend alone.
        """
        ...
