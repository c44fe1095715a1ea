"""Check-in fixtures: the populated store (each backend) and the real web app serving it over
HTTP (hypercorn on 127.0.0.1, port 0, in the test's nursery)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from checkin_app import CheckinServer, EventRecorder, checkin_runtime
from checkin_world import World, populate
from mirrormanager_quart_ui.app import create_app


@pytest.fixture
def world(store) -> World:
    return populate(store)


@pytest.fixture
async def checkin_server(store, world: World, nursery: trio.Nursery,
                         tmp_path) -> AsyncIterator[CheckinServer]:
    recorder = EventRecorder()
    app = create_app(checkin_runtime(store, tmp_path / "var", recorder))
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
