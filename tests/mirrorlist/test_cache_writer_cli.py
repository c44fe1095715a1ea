"""``mirrormanager cache write`` through the real command line and plugin manager."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from mirrormanager_pg_store.store import SqlStore
from cache_writer_data import populate
from mirrormanager_mirrorlist import mirrormanager_pb2 as pb

from broken_notifier import NAME as BROKEN_NAME
from broken_notifier import BrokenNotifier, assert_logged

from mmcore import hookimpl
from mmcore.cli import main
from mmcore.plugins import get_plugin_manager


class StoreAndEvents:
    """Test plugin: opens the store with the cache reads mixed in, records cache events."""

    def __init__(self) -> None:
        self.events: list = []

    @hookimpl
    def mm_open_store(self, url: str, create: bool):
        return SqlStore(url, create=create)

    @hookimpl
    def mm_event_cache_written(self, event) -> None:
        self.events.append(event)


@pytest.fixture
def setup(tmp_path: Path):
    db = tmp_path / "mm.db"
    store = SqlStore(f"sqlite:///{db}")
    store.upgrade()
    populate(store.engine)
    store.close()
    config = tmp_path / "mirrormanager.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{db}"\n\n'
        f'[mirrorlist]\ncache_path = "{tmp_path / "var" / "cache.proto"}"\ndns_timeout = 1.0\n'
    )
    recorder = StoreAndEvents()
    pm = get_plugin_manager(extra_plugins=[recorder])
    return tmp_path, config, pm, recorder


def run(pm, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err, plugin_manager=pm)
    return status, out.getvalue(), err.getvalue()


def test_cache_write_default_path_and_event(setup) -> None:
    tmp_path, config, pm, recorder = setup
    status, out, err = run(pm, "--config", str(config), "cache", "write")
    assert status == 0, err
    path = tmp_path / "var" / "cache.proto"
    message = pb.MirrorList.FromString(path.read_bytes())
    assert len(message.MirrorListCache) == 7
    assert f"wrote {path}" in out
    [event] = recorder.events
    assert (event.writer, event.path, event.size) == ("protobuf", str(path), path.stat().st_size)
    assert event.generation == message.Time


def test_cache_write_output_option_and_growing_generation(setup) -> None:
    tmp_path, config, pm, recorder = setup
    target = tmp_path / "elsewhere.proto"
    assert run(pm, "--config", str(config), "cache", "write", "-o", str(target))[0] == 0
    assert run(pm, "--config", str(config), "cache", "write", "-o", str(target))[0] == 0
    first, second = (e.generation for e in recorder.events)
    assert second > first  # even within the same second
    assert pb.MirrorList.FromString(target.read_bytes()).Time == second
    assert not (tmp_path / "var" / "cache.proto").exists()


def test_unknown_format_is_a_usage_error(setup) -> None:
    _, config, pm, recorder = setup
    status, _, err = run(pm, "--config", str(config), "cache", "write", "--format", "nope")
    assert status == 2
    assert "unknown cache format 'nope'" in err and "protobuf" in err
    assert recorder.events == []


def test_a_raising_event_handler_does_not_break_the_write(setup, caplog) -> None:
    tmp_path, config, pm, recorder = setup
    broken = BrokenNotifier()
    pm.register(broken, name=BROKEN_NAME)
    with caplog.at_level("ERROR"):
        status, out, err = run(pm, "--config", str(config), "cache", "write")
    assert status == 0, err
    assert (tmp_path / "var" / "cache.proto").exists() and "wrote" in out
    assert broken.calls == 1 and len(recorder.events) == 1  # the other handler still ran
    assert_logged(caplog, "mm_event_cache_written")
