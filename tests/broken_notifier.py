"""A notifier plugin whose every event handler raises (its message bus is down, say): the
scan, the crawl and ``cache write`` must finish their work anyway and log the plugin's name."""

from __future__ import annotations

from mmcore import hookimpl

#: the name tests register it under, and expect in the log line
NAME = "broken_notifier"


class BrokenNotifier:
    def __init__(self) -> None:
        self.calls = 0

    def _fail(self) -> None:
        self.calls += 1
        raise RuntimeError("the bus is down")

    @hookimpl
    def mm_event_cache_written(self, event):
        self._fail()

    @hookimpl
    def mm_event_host_crawled(self, event):
        self._fail()

    @hookimpl
    def mm_event_host_disabled(self, event):
        self._fail()

    @hookimpl
    def mm_event_master_tree_changed(self, event):
        self._fail()


def assert_logged(caplog, hook: str) -> None:
    """The runtime logged the failure with the plugin's name."""
    lines = [r.getMessage() for r in caplog.records if "event_handler_failed" in r.getMessage()]
    assert any(f"hook={hook}" in line and f"plugin={NAME}" in line for line in lines), lines
