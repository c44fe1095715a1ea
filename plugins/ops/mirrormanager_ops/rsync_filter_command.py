"""``mirrormanager rsync-filter``: the rules of :mod:`mmcore.ops.rsync_filter` on stdout."""

from __future__ import annotations

import argparse
from typing import Any

from mmcore.ops.rsync_filter import rsync_filter

from .common import refusals


def run(runtime: Any, args: argparse.Namespace) -> int:
    with refusals():
        rules = rsync_filter(runtime.open_store(), args.categories, args.since,
                             args.strip_prefix)
    runtime.out.write("".join(f"{rule}\n" for rule in rules))
    return 0
