"""What one report changes in one host category, computed as MirrorManager2 counts it.

MirrorManager2 looked at each reported directory in turn (committing after each row): a path with
a row counts as *updated* (and the row is set up to date: "a directory is up to date if it exists
on the client"); a path without one gets a row, counted *added*, when the master tree has that
directory, and is skipped otherwise; then every row whose path the report does not list is
deleted.  :func:`plan_category` gives the same counts and the same end state without a query per
path, so the store can write it in a few batched statements.

One difference: MirrorManager2 compared stored paths with the reported keys *before* stripping
``/``, so a key written ``"releases/"`` created the row ``releases`` and then deleted it again.
Here the stripped path is used throughout (report_mirror never sends such keys).
"""

from __future__ import annotations

from collections.abc import Sequence

from mmcore.checkin.store import CategoryChange, CategoryState


def plan_category(state: CategoryState, paths: Sequence[str]) -> CategoryChange:
    """The change ``paths`` (stripped, in report order, duplicates possible) makes to ``state``."""
    stored = {row.path: row for row in state.stored}
    present: set[str] = set()
    mark: list[int] = []
    add: list[tuple[str, int]] = []
    updated = 0
    for path in paths:
        row = stored.get(path)
        if row is not None or path in present:
            updated += 1
            if row is not None and not row.up2date and path not in present:
                mark.append(row.id)
            present.add(path)
            continue
        directory_id = state.directories.get(path)
        if directory_id is not None:
            add.append((path, directory_id))
            present.add(path)
    reported = set(paths)
    delete = tuple(row.id for row in state.stored if row.path not in reported)
    return CategoryChange(
        host_category_id=state.host_category_id,
        category_name=state.category_name,
        mark_up2date=tuple(mark),
        add=tuple(add),
        delete=delete,
        updated=updated,
        added=len(add),
        deleted=len(delete),
    )


def category_message(change: CategoryChange) -> str:
    """MirrorManager2's line for one category (two spaces, no colon after "deleted")."""
    return (
        f"Category {change.category_name} directories updated: {change.updated}  "
        f"added: {change.added}  deleted {change.deleted}\n"
    )
