"""What the frontend, the supervisor and the workers share, without the application: the
``Started`` report, the signal receiver, the settings as JSON for a worker process, and
:func:`run_server`, which serves in this process or under a supervisor.

Light on purpose: with several workers the supervisor never imports the application (the
protobuf cache code, the HTTP parser), so the workers start sooner.
"""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import AsyncIterator, Iterator

import attrs
import trio

from mirrormanager_mirrorlist.config import MirrorlistConfig
from mmcore.listeners import Endpoint

SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM)

@attrs.frozen
class Started:
    """What ``task_status.started()`` reports: where the server answers."""

    #: the first address's URL
    url: str
    #: the first address's port
    port: int
    generation: str | None
    #: every address's URL, in the order of ``listen``
    urls: tuple[str, ...] = ()


def url_of(endpoint: Endpoint) -> str:
    host, port = endpoint
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def started(where: list[Endpoint], generation: str | None) -> Started:
    urls = tuple(url_of(endpoint) for endpoint in where)
    return Started(urls[0], where[0][1], generation, urls)


def settings_to_json(settings: MirrorlistConfig) -> str:
    return json.dumps(attrs.asdict(settings))


def settings_from_json(text: str) -> MirrorlistConfig:
    """The settings a supervisor passed (checked again by the class's validators; every
    value is a JSON scalar or a list its converter takes; no cattrs to import)."""
    return MirrorlistConfig(**json.loads(text))


@contextlib.contextmanager
def signal_receiver(handle: bool) -> Iterator[AsyncIterator[int] | None]:
    """SIGHUP, SIGINT and SIGTERM caught from now on and kept until read (when ``handle``)."""
    if not handle:
        yield None
        return
    with trio.open_signal_receiver(*SIGNALS) as receiver:
        yield receiver


async def run_server(
    settings: MirrorlistConfig,
    *,
    stop: trio.Event | None = None,
    handle_signals: bool = True,
    reloads: trio.MemoryReceiveChannel[None] | None = None,
    task_status: trio.TaskStatus[Started] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve with ``settings.workers`` processes: in this process when it is 1
    (``server.run_worker``), else worker processes under a supervisor (``supervisor.py``).

    :param reloads: each item received re-reads the inputs, in every worker.
    """
    from mirrormanager_mirrorlist.metrics import run_directory

    with run_directory(settings) as settings:
        if settings.workers <= 1:
            from mirrormanager_mirrorlist.server import run_worker

            await run_worker(settings, stop=stop, handle_signals=handle_signals,
                             reloads=reloads, task_status=task_status)
            return
        from mirrormanager_mirrorlist.supervisor import supervise

        await supervise(settings, stop=stop, handle_signals=handle_signals, reloads=reloads,
                        task_status=task_status)
