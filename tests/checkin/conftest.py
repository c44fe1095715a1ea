"""Check-in fixtures: the populated store (each backend) and the real web app serving it over
HTTP (hypercorn on 127.0.0.1, port 0, in the test's nursery)."""

from __future__ import annotations

import functools
import xmlrpc.client
from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs
import pytest
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from checkin_world import World, populate
from mirrormanager_quart_ui.app import create_app
from mirrormanager_quart_ui.config import UiConfig
from mmcore import hookimpl
from mmcore.checkin.config import CheckinConfig
from mmcore.config import Config
from mmcore.events import HostCheckedIn
from mmcore.plugins import get_plugin_manager
from mmcore.runtime import Runtime

#: small limits, so the limit tests stay small
TEST_LIMITS = CheckinConfig(max_request_bytes=64 * 1024, max_payload_bytes=1024 * 1024,
                            max_directories=1000, max_failures=3, failure_window=600)


@attrs.define
class CheckinServer:
    url: str
    events: list[HostCheckedIn]
    world: World

    async def call(self, *args: Any, method: str = "checkin") -> Any:
        """Call the endpoint with ``xmlrpc.client`` (blocking, so in a thread)."""
        def blocking() -> Any:
            with xmlrpc.client.ServerProxy(self.url) as proxy:
                return getattr(proxy, method)(*args)
        return await trio.to_thread.run_sync(blocking)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking client function (MirrorManager2's, ours) in a thread."""
        return await trio.to_thread.run_sync(functools.partial(fn, *args))


@pytest.fixture
def world(store) -> World:
    return populate(store)


class EventRecorder:
    """A plugin receiving the check-in events the runtime announces."""

    def __init__(self) -> None:
        self.events: list[HostCheckedIn] = []

    @hookimpl
    def mm_event_host_checked_in(self, event: HostCheckedIn, runtime: Runtime) -> None:
        assert isinstance(runtime, Runtime)
        self.events.append(event)


@pytest.fixture
async def checkin_server(store, world: World, nursery: trio.Nursery) -> AsyncIterator[CheckinServer]:
    recorder = EventRecorder()
    runtime = Runtime(Config(), get_plugin_manager(load_entry_points=False,
                                                   extra_plugins=[recorder]))
    app = create_app(store, UiConfig(), checkin=TEST_LIMITS, announce=runtime.announce)
    config = HypercornConfig()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    stop = trio.Event()
    binds = await nursery.start(
        lambda task_status: hypercorn_serve(app, config, shutdown_trigger=stop.wait,
                                            task_status=task_status)
    )
    yield CheckinServer(url=f"{binds[0]}/xmlrpc", events=recorder.events, world=world)
    stop.set()
