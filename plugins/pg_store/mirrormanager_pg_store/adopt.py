"""Adopting a MirrorManager2 database in place: ``mirrormanager db adopt URL [--dry-run]``.

In one transaction:

1. check that the database is MirrorManager2's (its ``alembic_version`` table and its core
   tables) and not adopted already (no ``mirrormanager_alembic_version``), and that every
   column this store reads exists (an older MirrorManager2 must be upgraded first);
2. hash the site passwords MirrorManager2 keeps in clear (report_mirror check-ins go on working:
   the same password verifies against the hash);
3. rewrite legacy pickled ``directory.files`` rows as MirrorManager2's JSON, read by
   :mod:`mmcore.safe_pickle` (never ``pickle.loads``).  A row that is not plain data (a pickle
   naming code) refuses the adoption with the row named -- or, with ``clear_unreadable``, has its
   file list cleared (the next ``umdl --full`` reads the directory again);
4. run our migrations, which create only what is missing, and stamp our revision.

A dry run does all of it and rolls back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
import sqlalchemy as sa

from mmcore.model import encode_file_list
from mmcore.passwords import hash_password, is_password_hash
from mmcore.safe_pickle import PickleRefused, loads

from . import migrate, schema
from .ops_ops import transaction

#: MirrorManager2's own migration table
MM2_VERSION_TABLE = "alembic_version"
#: without these it is not a MirrorManager2 database
MM2_CORE_TABLES = (
    "site", "host", "directory", "category", "product", "version", "arch", "repository",
    "file_detail", "host_category", "host_category_dir", "host_category_url",
)  # fmt: skip
#: tables of ours, not MirrorManager2's (created by the migrations)
OWN_TABLES = ("access_stat_import", "access_stat_import_count")
BATCH = 1000


class AdoptError(Exception):
    """The database cannot be adopted; the message says what is wrong, nothing was written."""


@attrs.frozen
class AdoptReport:
    mm2_revision: str | None
    #: tables the migrations created (MirrorManager2 tables it lacked, and ours)
    tables_created: tuple[str, ...]
    passwords_hashed: int
    file_lists_converted: int
    #: ``(directory id, name, why)`` of file lists cleared (``clear_unreadable``)
    file_lists_cleared: tuple[tuple[int, str, str], ...]
    revision: str


def check_mm2(conn: sa.Connection) -> str | None:
    """The MirrorManager2 revision of the database, after checking it can be adopted.

    :raises AdoptError: not MirrorManager2's, already adopted, or missing columns.
    """
    inspector = sa.inspect(conn)
    tables = set(inspector.get_table_names())
    if migrate.VERSION_TABLE in tables:
        raise AdoptError(
            f"already adopted (revision {migrate.current_revision(conn)}); "
            "use `mirrormanager db upgrade`"
        )
    missing = [name for name in MM2_CORE_TABLES if name not in tables]
    if MM2_VERSION_TABLE not in tables or missing:
        what = ", ".join(missing or [MM2_VERSION_TABLE])
        raise AdoptError(f"not a MirrorManager2 database: no table {what}")
    problems = []
    for name, table in schema.metadata.tables.items():
        if name not in tables:
            continue
        present = {column["name"] for column in inspector.get_columns(name)}
        problems.extend(f"{name}.{c.name}" for c in table.columns
                        if c.name not in present and c.info.get("mm2", True))
    if problems:
        raise AdoptError(
            "the MirrorManager2 schema is older than this code reads (upgrade MirrorManager2 "
            f"first); missing columns: {', '.join(problems)}"
        )
    return conn.exec_driver_sql(f"SELECT version_num FROM {MM2_VERSION_TABLE}").scalar()


def hash_site_passwords(conn: sa.Connection, *, dry_run: bool) -> int:
    site = schema.site
    rows = conn.execute(
        sa.select(site.c.id, site.c.password).where(site.c.password.is_not(None),
                                                    site.c.password != "")
    ).all()
    clear = [(row.id, row.password) for row in rows if not is_password_hash(row.password)]
    if not dry_run:  # the same rows either way; a dry run skips only the scrypt cost
        for site_id, password in clear:
            conn.execute(sa.update(site).where(site.c.id == site_id)
                         .values(password=hash_password(password)))
    return len(clear)


def file_list_json(raw: bytes) -> bytes | None:
    """The JSON a legacy ``directory.files`` value should hold; ``None`` when it is JSON already.

    :raises PickleRefused: not JSON and not a plain-data pickle of a file list.
    """
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        value = None
    else:
        if isinstance(value, list):
            return None
    value = loads(raw)
    entries = []
    if isinstance(value, dict):  # MirrorManager1: {name: {"size": .., "stat": ..}}
        for name, details in value.items():
            if not (isinstance(name, str) and isinstance(details, dict)):
                raise PickleRefused("not a {name: {size, stat}} file list")
            entries.append((name, _number(details.get("size")),
                            _number(details.get("stat", details.get("timestamp")))))
    elif isinstance(value, list):
        for item in value:
            if not (isinstance(item, dict) and isinstance(item.get("name"), str)):
                raise PickleRefused("not a list of {name, size, timestamp}")
            entries.append((item["name"], _number(item.get("size")),
                            _number(item.get("timestamp"))))
    else:
        raise PickleRefused(f"a {type(value).__name__}, not a file list")
    return encode_file_list(entries)


def _number(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise PickleRefused(f"size or time {value!r} is not a number")
    try:
        return int(float(value))
    except ValueError:
        raise PickleRefused(f"size or time {value!r} is not a number") from None


def convert_file_lists(conn: sa.Connection, *, clear_unreadable: bool,
                       progress: Callable[[int], None] | None = None
                       ) -> tuple[int, list[tuple[int, str, str]]]:
    d = schema.directory
    converted = 0
    refused: list[tuple[int, str, str]] = []
    last = 0
    while True:
        rows = conn.execute(
            sa.select(d.c.id, d.c.name, d.c.files)
            .where(d.c.id > last, d.c.files.is_not(None)).order_by(d.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        for row in rows:
            try:
                replacement = file_list_json(bytes(row.files))
            except PickleRefused as exc:
                refused.append((row.id, row.name, str(exc)))
                continue
            if replacement is not None:
                conn.execute(sa.update(d).where(d.c.id == row.id).values(files=replacement))
                converted += 1
        if progress is not None:
            progress(len(rows))
    if refused and not clear_unreadable:
        shown = "; ".join(f"directory id {i} ({name}): {why}" for i, name, why in refused[:5])
        raise AdoptError(
            f"{len(refused)} directory.files rows are not plain data and were not read "
            f"(--clear-unreadable clears them for the next scan): {shown}"
        )
    for chunk_start in range(0, len(refused), BATCH):
        ids = [i for i, _, _ in refused[chunk_start : chunk_start + BATCH]]
        conn.execute(sa.update(d).where(d.c.id.in_(ids)).values(files=None))
    return converted, refused


def adopt(store: Any, *, dry_run: bool, clear_unreadable: bool = False,
          progress: Callable[[int], None] | None = None) -> AdoptReport:
    """Adopt the database of ``store`` (a ``SqlStore``; see the module docs) in one
    transaction."""
    with transaction(store, "adopt", dry_run) as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7242351)")
        mm2_revision = check_mm2(conn)
        before = set(sa.inspect(conn).get_table_names())
        hashed = hash_site_passwords(conn, dry_run=dry_run)
        converted, cleared = convert_file_lists(conn, clear_unreadable=clear_unreadable,
                                                progress=progress)
        migrate.upgrade(conn)
        revision = migrate.current_revision(conn)
        created = sorted(set(sa.inspect(conn).get_table_names()) - before
                         - {migrate.VERSION_TABLE})
    assert revision is not None
    return AdoptReport(mm2_revision=mm2_revision, tables_created=tuple(created),
                       passwords_hashed=hashed, file_lists_converted=converted,
                       file_lists_cleared=tuple(cleared), revision=revision)
