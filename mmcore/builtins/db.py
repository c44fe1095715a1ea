"""``mirrormanager db upgrade`` and ``db current``, for any storage backend (through
:class:`mmcore.store.StoreLifecycle`)."""

from __future__ import annotations

import argparse

from mmcore.runtime import Runtime
from mmcore.store import StoreMissing


def run_upgrade(runtime: Runtime, args: argparse.Namespace) -> int:
    store = runtime.open_store(create=True)
    revision = store.upgrade()
    print(f"database {store.display_url} at revision {revision}", file=runtime.out)
    return 0


def run_current(runtime: Runtime, args: argparse.Namespace) -> int:
    try:
        store = runtime.open_store()
    except StoreMissing as exc:
        print(f"{exc}", file=runtime.out)
        return 1
    revision = store.current_revision()
    if revision is None:
        print(f"database {store.display_url} is empty", file=runtime.out)
        return 1
    print(revision, file=runtime.out)
    return 0
