"""Servers the core can run: what a plugin returns from ``mm_frontends``.

A frontend is run by ``mirrormanager serve NAME`` (one process, signals handled by the core) and
by the demo, which runs several in one trio nursery::

    control, reload = ServeControl.open()
    started = await nursery.start(partial(frontend.serve, runtime, overrides={}, control=control))
    print(started.url)
    ...
    control.stop.set()          # or cancel the nursery

``serve`` answers until ``control.stop`` is set (then stops gracefully, within a bounded time,
and returns) or until it is cancelled.  It calls ``task_status.started(FrontendStarted(...))``
once it accepts requests.  Each item received from ``control.reloads`` asks it to re-read its
inputs (the core sends one per SIGHUP); a frontend with nothing to reload drains them or ignores
the channel.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

if TYPE_CHECKING:
    import trio

    from mmcore.runtime import Runtime


@attrs.frozen
class FrontendStarted:
    #: base URL the frontend answers on, e.g. ``http://127.0.0.1:3000`` (no trailing slash)
    url: str
    #: anything else worth printing (``generation`` of a loaded cache, ...)
    details: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class ServeControl:
    """How the core steers a running frontend."""

    #: set to stop serving
    stop: trio.Event
    #: one item per reload request (SIGHUP); at most one waits, further ones are coalesced
    reloads: trio.MemoryReceiveChannel[None]

    @classmethod
    def open(cls) -> tuple[ServeControl, trio.MemorySendChannel[None]]:
        """A control and the sending end of its reload channel (``send_nowait`` one item per
        request; a full channel means a reload is already pending)."""
        import trio

        send, receive = trio.open_memory_channel[None](1)
        return cls(stop=trio.Event(), reloads=receive), send


@runtime_checkable
class Frontend(Protocol):
    #: the word after ``mirrormanager serve``
    name: str
    #: one line for ``mirrormanager serve --help``
    help: str

    def configure(self, parser: argparse.ArgumentParser) -> None:
        """Add the options of ``serve NAME`` beyond ``--listen`` (argparse only: this runs
        whenever the command line is built)."""
        ...

    def overrides(self, args: argparse.Namespace) -> dict[str, Any]:
        """The configuration keys set by those options (and ``--listen``), for :meth:`serve`."""
        ...

    async def serve(
        self,
        runtime: Runtime,
        *,
        overrides: Mapping[str, Any],
        control: ServeControl,
        task_status: trio.TaskStatus[FrontendStarted],
    ) -> None:
        """Serve until ``control.stop`` is set or the surrounding scope is cancelled.

        :param runtime: configuration, store and events of the process.
        :param overrides: settings that win over the configuration file (command-line flags,
            the demo's ports), keyed by the frontend's configuration key names; invalid values
            raise :class:`mmcore.commands.UsageError` before anything is bound.
        :param control: stop and reload requests.
        :param task_status: receives :class:`FrontendStarted` once requests are accepted.
        """
        ...


def find_frontend(frontends: list[Frontend], name: str) -> Frontend:
    """The frontend called ``name``.

    :raises mmcore.commands.UsageError: none is installed under that name.
    """
    from mmcore.commands import UsageError

    for frontend in frontends:
        if frontend.name == name:
            return frontend
    known = ", ".join(sorted(f.name for f in frontends)) or "none installed"
    raise UsageError(f"no frontend {name!r} (installed: {known})")
