"""``mirrormanager dataset --scale small|fedora [--seed N]``: load the dataset into the store
(the command's arguments are in :mod:`mirrormanager_devtools.plugin`)."""

from __future__ import annotations

import argparse

from mirrormanager_devtools.dataset.load import DatasetRefused, load_dataset
from mirrormanager_devtools.dataset.scales import SCALES
from mmcore.commands import CommandError
from mmcore.runtime import Runtime
from mmcore.store import StoreError


def run(runtime: Runtime, args: argparse.Namespace) -> int:
    store = runtime.open_store()
    try:
        report = load_dataset(store, SCALES[args.scale], args.seed, runtime.err)
    except (DatasetRefused, StoreError) as exc:
        raise CommandError(str(exc)) from exc
    print(report.summary(), file=runtime.out)
    return 0
