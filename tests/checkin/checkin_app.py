"""The web app for check-in tests: a runtime with every installed plugin and the test limits,
an event recorder, and a handle on the served endpoint."""

from __future__ import annotations

import functools
import xmlrpc.client
from collections.abc import Callable
from typing import Any

import attrs
import trio

from checkin_world import World
from mirrormanager_quart_ui.config import UiConfig
from mmcore import hookimpl
from mmcore.checkin.config import CheckinConfig
from mmcore.cli import collect_config_sections
from mmcore.config import load_config
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


class EventRecorder:
    """A plugin receiving the check-in events the runtime announces."""

    def __init__(self) -> None:
        self.events: list[HostCheckedIn] = []

    @hookimpl
    def mm_event_host_checked_in(self, event: HostCheckedIn, runtime: Runtime) -> None:
        assert isinstance(runtime, Runtime)
        self.events.append(event)


def checkin_runtime(store, data_dir, recorder: EventRecorder | None = None) -> Runtime:
    """A runtime with every installed plugin (the web UI, the check-in endpoint), the test
    limits, and ``recorder`` receiving the events."""
    pm = get_plugin_manager(extra_plugins=[recorder] if recorder else [])
    loaded = load_config(None, collect_config_sections(pm))
    ui = UiConfig(secret_key="test-secret", cookie_secure=False)
    config = attrs.evolve(loaded, sections={**loaded.sections, "checkin": TEST_LIMITS, "ui": ui},
                          paths=attrs.evolve(loaded.paths, data_dir=str(data_dir)))
    return Runtime(config, pm, store=store)
