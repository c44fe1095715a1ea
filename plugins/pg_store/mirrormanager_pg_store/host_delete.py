"""Deleting rows together with every row that refers to them (hosts with their categories, URLs,
directories, netblocks...; host categories with their URLs and directories).

Done explicitly rather than through ``ON DELETE CASCADE``: a database adopted from MirrorManager2
lacks most of those clauses.  The referring tables are found in the schema's foreign keys, so a
table added later is covered without a change here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from . import schema as s


def delete_hosts(conn: sa.Connection, host_ids: Sequence[int]) -> None:
    """Delete hosts and everything that hangs off them."""
    delete_rows(conn, s.host, host_ids)


def delete_rows(conn: sa.Connection, table: sa.Table, ids: Sequence[int]) -> None:
    """Delete ``table``'s rows ``ids`` after, recursively, the rows of every table that refers
    to them."""
    if not ids:
        return
    for child, column in _referring(table):
        if "id" in child.c:
            rows = conn.execute(sa.select(child.c.id).where(column.in_(ids))).scalars()
            delete_rows(conn, child, list(rows))
        else:  # an association table: nothing refers to its rows
            conn.execute(sa.delete(child).where(column.in_(ids)))
    conn.execute(sa.delete(table).where(table.c.id.in_(ids)))


def _referring(table: sa.Table) -> list[tuple[sa.Table, sa.Column]]:
    return [
        (child, fk.parent)
        for child in s.metadata.sorted_tables
        for fk in child.foreign_keys
        if fk.column.table is table
    ]
