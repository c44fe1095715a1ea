"""The runtime: one plugin manager, one store, and events that a broken handler cannot break."""

from __future__ import annotations

import logging

import pytest

from mmcore import hookimpl
from mmcore.config import Config
from mmcore.events import CacheWritten
from mmcore.plugins import get_plugin_manager
from mmcore.runtime import Runtime
from mmcore.store import StoreConfigError

from broken_notifier import NAME, BrokenNotifier, assert_logged

EVENT = CacheWritten(writer="w", path="/x", size=1, generation=2)


class Recorder:
    def __init__(self) -> None:
        self.events: list[object] = []

    @hookimpl
    def mm_event_cache_written(self, event, runtime):
        self.events.append((event, runtime))


def runtime_with(*plugins: object) -> Runtime:
    pm = get_plugin_manager(load_entry_points=False)
    for plugin in plugins:
        pm.register(plugin, name=NAME if isinstance(plugin, BrokenNotifier) else None)
    return Runtime(Config(), pm)


@pytest.mark.parametrize("order", ["broken first", "broken last"])
def test_a_raising_handler_is_logged_with_its_plugin_and_the_others_still_run(order, caplog):
    recorder = Recorder()
    broken = BrokenNotifier()
    plugins = [broken, recorder] if order == "broken first" else [recorder, broken]
    runtime = runtime_with(*plugins)
    with caplog.at_level(logging.ERROR, logger="mmcore.runtime"):
        runtime.announce(EVENT)  # raises nothing
    assert recorder.events == [(EVENT, runtime)] and broken.calls == 1
    assert_logged(caplog, "mm_event_cache_written")
    assert "the bus is down" in caplog.text


def test_open_store_without_a_backend_is_a_configuration_error():
    runtime = runtime_with()
    with pytest.raises(StoreConfigError, match="no installed storage plugin handles 'mysql'"):
        Runtime(_config("mysql://db/mm"),
                runtime.plugin_manager).open_store()


def test_collect_joins_the_lists_of_every_plugin():
    class Frontends:
        @hookimpl
        def mm_frontends(self):
            return ["a", "b"]

    class More:
        @hookimpl
        def mm_frontends(self):
            return ["c"]

    runtime = runtime_with(Frontends(), More())
    assert sorted(runtime.collect("mm_frontends")) == ["a", "b", "c"]


def _config(url: str) -> Config:
    from mmcore.config import DatabaseConfig

    return Config(database=DatabaseConfig(url=url))


def test_closing_tells_every_plugin_even_when_one_raises(caplog):
    closed: list[Runtime] = []

    class Flusher:
        @hookimpl
        def mm_runtime_closing(self, runtime):
            closed.append(runtime)

    class Broken:
        @hookimpl
        def mm_runtime_closing(self):
            raise RuntimeError("cannot flush")

    runtime = runtime_with(Flusher(), Broken())
    with caplog.at_level(logging.ERROR, logger="mmcore.runtime"):
        runtime.close()
    assert closed == [runtime]
    assert "hook=mm_runtime_closing" in caplog.text and "cannot flush" in caplog.text
