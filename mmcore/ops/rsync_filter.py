"""rsync filter rules that let a downstream mirror fetch only the directories changed since its
last run (MirrorManager2's ``/rsyncFilter``): the ``rsync-filter`` command (ops plugin) and the
web UI's ``/rsyncFilter`` give the same answer from :func:`rsync_filter`::

    + pub/
    + pub/fedora/
    + pub/fedora/linux/updates/40/
    + pub/fedora/linux/updates/40/*
    - *

Every changed directory is included with its files (``dir/*``), every parent of it so rsync
descends that far; everything else is excluded.  ``strip_prefix`` removes leading directories
(whole components) so the rules match paths relative to the rsync module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mmcore.ops.store import OpsStore

EXCLUDE_REST = "- *"


def filter_rules(directories: Iterable[str], strip_prefix: str = "") -> list[str]:
    """The filter lines for these changed directory names (see the module docs)."""
    prefix = [part for part in strip_prefix.strip("/").split("/") if part]
    included: set[str] = set()
    changed: set[str] = set()
    for name in directories:
        parts = [part for part in name.strip("/").split("/") if part]
        if parts[: len(prefix)] != prefix:
            continue
        parts = parts[len(prefix) :]
        if not parts:
            continue
        changed.add("/".join(parts))
        for depth in range(1, len(parts) + 1):
            included.add("/".join(parts[:depth]))
    rules = []
    for path in sorted(included):
        rules.append(f"+ {path}/")
        if path in changed:
            rules.append(f"+ {path}/*")
    rules.append(EXCLUDE_REST)
    return rules


def rsync_filter(
    store: OpsStore, categories: Sequence[str], since: int, strip_prefix: str
) -> list[str]:
    """The rules for the directories of ``categories`` changed after ``since`` (epoch seconds).

    :raises mmcore.ops.store.OpsRefused: an unknown category.
    """
    return filter_rules(store.directories_changed_since(categories, since), strip_prefix)
