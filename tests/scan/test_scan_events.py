"""A scan announces what changed through the runtime; a notifier that raises does not stop it."""

from __future__ import annotations

import logging

from broken_notifier import NAME, BrokenNotifier, assert_logged
from scan_helpers import dump, masters, scan

from mmcore import hookimpl
from mmcore.config import Config
from mmcore.mastertree import MasterTree
from mmcore.plugins import get_plugin_manager
from mmcore.runtime import Runtime


class Recorder:
    def __init__(self) -> None:
        self.events: list[object] = []

    @hookimpl
    def mm_event_master_tree_changed(self, event):
        self.events.append(event)


async def test_a_raising_handler_does_not_stop_the_scan(scan_store, tree: MasterTree, caplog):
    broken, recorder = BrokenNotifier(), Recorder()
    pm = get_plugin_manager(load_entry_points=False, extra_plugins=[recorder])
    pm.register(broken, name=NAME)
    runtime = Runtime(Config(), pm, store=scan_store)
    with caplog.at_level(logging.ERROR):
        report = await scan(scan_store, masters(tree, "directory"), runtime=runtime)
    assert not report.failed
    categories = {c.name for c in tree.categories}
    assert {e.category for e in recorder.events} == categories  # every category announced
    assert broken.calls == len(categories)
    assert_logged(caplog, "mm_event_master_tree_changed")
    # and every category was written in full
    assert len(dump(scan_store)["directories"]) > len(categories)
