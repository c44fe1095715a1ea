"""The scanner's storage operations (:class:`mmcore.scan.store.ScanStore`) on SQLAlchemy Core.

Mixed into ``SqlStore`` (it uses ``self.engine``, ``self.dialect`` and ``self._errors``).  Bulk
statements only: the engine's batches are merged into rounds of a few thousand writes, each kind
of write is one multi-row statement per chunk (never a statement per row), and an unchanged tree
costs no statement at all.  See "Performance of the database writes" in ``docs/scanner.md``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from mmcore.logs import kv
from mmcore.model import encode_file_list
from mmcore.scan.store import (
    CategorySnapshot,
    CategoryTarget,
    DirectoryWrite,
    FileDetailWrite,
    KnownDirectory,
    RepositoryWrite,
    ScanBatch,
    ScanWriteResult,
)
from mmcore.store import StoreError

from . import schema as s

log = logging.getLogger("mirrormanager_pg_store.scan")

#: rows per multi-row statement (SQLite allows 32766 parameters per statement; the widest row,
#: file_detail's, takes 8)
_CHUNK = 3000
#: writes gathered from the engine's batches before they are applied: every statement costs the
#: writing thread a GIL hand-over with the scan's busy threads (up to the 5 ms switch interval),
#: so fewer, larger statements are what makes a first scan's 100k inserts cheap
_FLUSH_ROWS = 6000
DAY = 86400


def _chunks(items: Sequence[Any], size: int | None = None) -> Iterator[Sequence[Any]]:
    """``items`` in slices of at most ``size`` (default ``_CHUNK``) rows: one statement each."""
    size = size or _CHUNK
    for start in range(0, len(items), size):
        yield items[start:start + size]


def age_file_details(
    rows: Iterable[tuple[int, int, str, int | None]], max_stale_days: int, now: int
) -> list[int]:
    """Ids of file_detail rows to delete (MirrorManager2's ``age_file_details``).

    ``rows`` are ``(id, directory_id, filename, timestamp)`` ordered by directory, filename and
    newest first.  Per (directory, filename): the newest row stays; the second newest stays
    unless the newest is older than ``max_stale_days - 1`` days; older rows go once they are
    older than ``max_stale_days`` days.
    """
    doomed: list[int] = []
    stale = now - max_stale_days * DAY
    settled = now - (max_stale_days - 1) * DAY
    key: tuple[int, str] | None = None
    position = 0
    newest = 0
    for row_id, directory_id, filename, timestamp in rows:
        ts = timestamp or 0
        if (directory_id, filename) != key:
            key = (directory_id, filename)
            position = 0
            newest = ts
        elif position == 1:
            if newest < settled:
                doomed.append(row_id)
        elif ts < stale:
            doomed.append(row_id)
        position += 1
    return doomed


class ScanOpsMixin:
    """:class:`mmcore.scan.store.ScanStore` for ``SqlStore``."""

    engine: sa.Engine
    dialect: str

    # ----------------------------------------------------------------------------------------
    # opening a category
    # ----------------------------------------------------------------------------------------

    def scan_open_category(self, target: CategoryTarget) -> CategorySnapshot:
        with self._errors(f"open category {target.category!r} for scanning in"):  # type: ignore[attr-defined]
            with self.engine.begin() as conn:
                created = self._scan_ensure_category(conn, target)
            with self.engine.connect() as conn:
                return self._scan_snapshot(conn, target, created)

    def _scan_ensure_category(self, conn: sa.Connection, target: CategoryTarget) -> tuple[str, ...]:
        created: list[str] = []
        product_id = conn.execute(
            sa.select(s.product.c.id).where(s.product.c.name == target.product)
        ).scalar()
        if product_id is None:
            product_id = conn.execute(
                sa.insert(s.product).values(name=target.product).returning(s.product.c.id)
            ).scalar_one()
            created.append("product")
        topdir_id = conn.execute(
            sa.select(s.directory.c.id).where(s.directory.c.name == target.topdir)
        ).scalar()
        row = conn.execute(
            sa.select(s.category.c.id, s.category.c.product_id, s.category.c.topdir_id)
            .where(s.category.c.name == target.category)
        ).first()
        if row is not None and row.product_id not in (None, product_id):
            other = conn.execute(
                sa.select(s.product.c.name).where(s.product.c.id == row.product_id)
            ).scalar()
            raise StoreError(f"category {target.category!r} belongs to product {other!r} in the "
                             f"database, the configuration says {target.product!r}")
        if row is not None and row.topdir_id is not None and row.topdir_id != topdir_id:
            other = conn.execute(
                sa.select(s.directory.c.name).where(s.directory.c.id == row.topdir_id)
            ).scalar()
            raise StoreError(f"category {target.category!r} has the top directory {other!r} in "
                             f"the database, the configuration says {target.topdir!r}")
        if topdir_id is None:
            topdir_id = conn.execute(
                sa.insert(s.directory).values(name=target.topdir, readable=True, ctime=0)
                .returning(s.directory.c.id)
            ).scalar_one()
            created.append("topdir")
        if row is None:
            category_id = conn.execute(
                sa.insert(s.category).values(
                    name=target.category, product_id=product_id, topdir_id=topdir_id
                ).returning(s.category.c.id)
            ).scalar_one()
            created.append("category")
        else:
            category_id = row.id
            if row.product_id is None or row.topdir_id is None:
                conn.execute(sa.update(s.category).where(s.category.c.id == category_id)
                             .values(product_id=product_id, topdir_id=topdir_id))
        linked = conn.execute(
            sa.select(sa.func.count()).select_from(s.category_directory).where(
                s.category_directory.c.category_id == category_id,
                s.category_directory.c.directory_id == topdir_id,
            )
        ).scalar_one()
        if not linked:
            conn.execute(sa.insert(s.category_directory).values(
                category_id=category_id, directory_id=topdir_id))
        return tuple(created)

    def _scan_snapshot(
        self, conn: sa.Connection, target: CategoryTarget, created: tuple[str, ...]
    ) -> CategorySnapshot:
        cat = conn.execute(
            sa.select(s.category.c.id, s.category.c.product_id)
            .where(s.category.c.name == target.category)
        ).one()
        topdir = target.topdir
        below = topdir + "/"
        cut = len(below)

        def relative(name: str) -> str | None:
            """``name`` relative to the top directory; ``None`` when not under it."""
            if name == topdir:
                return ""
            return name[cut:] if name.startswith(below) else None

        d, cd = s.directory, s.category_directory
        other = cd.alias("other_category_directory")
        # the directory is also another category's (its ctime may come from that one's scan)
        in_other_category = sa.exists().where(
            other.c.directory_id == d.c.id, other.c.category_id != cat.id
        ).label("shared")
        directories: dict[str, KnownDirectory] = {}
        shared = set()
        rows = conn.execute(
            sa.select(d.c.id, d.c.name, d.c.ctime, d.c.readable, in_other_category)
            .join(cd, cd.c.directory_id == d.c.id)
            .where(cd.c.category_id == cat.id)
        )
        for row_id, name, ctime, readable, is_shared in rows:
            rel = relative(name)
            if rel is None:
                continue
            directories[rel] = KnownDirectory(row_id, ctime or 0, bool(readable))
            if is_shared:
                shared.add(rel)
        r = s.repository
        repo_dirs = set()
        for (name,) in conn.execute(
            sa.select(d.c.name).join(r, r.c.directory_id == d.c.id)
            .join(cd, cd.c.directory_id == d.c.id).where(cd.c.category_id == cat.id)
        ):
            rel = relative(name)
            if rel is not None:
                repo_dirs.add(rel)
        keys = frozenset(
            (prefix, arch) for prefix, arch in conn.execute(
                sa.select(r.c.prefix, s.arch.c.name).join(s.arch, s.arch.c.id == r.c.arch_id)
                .where(r.c.prefix.is_not(None))
            )
        )
        arches = tuple(conn.execute(sa.select(s.arch.c.name).order_by(s.arch.c.id)).scalars())
        versions = tuple(
            v for v in conn.execute(
                sa.select(s.version.c.name).where(s.version.c.product_id == cat.product_id)
                .order_by(s.version.c.id.desc())
            ).scalars() if v is not None
        )
        return CategorySnapshot(
            category_id=cat.id, category=target.category, product_id=cat.product_id,
            topdir=topdir, created=created, directories=directories,
            repository_directories=frozenset(repo_dirs), repository_keys=keys,
            arches=arches, versions=versions, shared_directories=frozenset(shared),
        )

    # ----------------------------------------------------------------------------------------
    # applying a scan
    # ----------------------------------------------------------------------------------------

    def scan_apply(
        self,
        snapshot: CategorySnapshot,
        batches: Iterable[ScanBatch],
        *,
        max_stale_days: int,
        now: int,
    ) -> ScanWriteResult:
        counts: dict[str, int] = defaultdict(int)
        new_ids: dict[str, int] = {}
        with self._errors(f"write the scan of {snapshot.category!r} to"):  # type: ignore[attr-defined]
            with self.engine.begin() as conn:
                writer = _Writer(conn, snapshot, new_ids, counts)
                pending = _Pending()
                for batch in batches:
                    pending.add(batch)
                    if pending.size() >= _FLUSH_ROWS:
                        writer.flush(pending)
                        pending = _Pending()
                writer.flush(pending)
                counts["file_details_aged"] = writer.age(max_stale_days, now)
        return ScanWriteResult(**counts)


# --------------------------------------------------------------------------------------------
# the bulk statements, per dialect
# --------------------------------------------------------------------------------------------

DirectoryRow = tuple[str, int, bool, bytes]
"""A new directory row: name, ctime, readable, files."""


class _Bulk:
    """Multi-row statements for the scan's hot writes, through the driver (``exec_driver_sql``:
    no per-row SQLAlchemy work; the statement events still fire)."""

    #: the driver's positional parameter marker
    marker = "?"

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def insert_rows(self, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
        """One multi-row INSERT of ``rows`` (dicts with the same keys) into ``table``."""
        columns = list(rows[0])
        quote = self.conn.dialect.identifier_preparer.quote
        row_marks = "(" + ",".join([self.marker] * len(columns)) + ")"
        self.conn.exec_driver_sql(
            f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))}) VALUES "
            + ",".join([row_marks] * len(rows)),
            tuple(row[c] for row in rows for c in columns),
        )

    def insert_directories(
        self, rows: Sequence[DirectoryRow], category_id: int
    ) -> tuple[dict[str, int], dict[str, int]]:
        """Insert the rows whose name is free and link every row to the category.  Returns
        (inserted: name -> id, existing: name -> id of the row that already had that name)."""
        raise NotImplementedError

    def update_directories(self, rows: Sequence[tuple[Any, ...]], *, with_files: bool) -> None:
        """Update ctime, readable (and files) of rows given as (id, ctime, readable[, files])."""
        raise NotImplementedError


class _SqliteBulk(_Bulk):
    """SQLite: multi-row ``VALUES``.  New rows get their ids from the writer (max + 1 onwards,
    what SQLite itself would assign): ``RETURNING`` would cost a step, and a GIL hand-over, per
    row.  This is safe because the transaction holds SQLite's write lock from its first write
    on, and a stale read before it makes that write fail (busy) rather than collide."""

    def __init__(self, conn: sa.Connection) -> None:
        super().__init__(conn)
        self.next_id: int | None = None

    def insert_directories(
        self, rows: Sequence[DirectoryRow], category_id: int
    ) -> tuple[dict[str, int], dict[str, int]]:
        if self.next_id is None:
            self.next_id = int(self.conn.exec_driver_sql(
                "SELECT coalesce(max(id), 0) + 1 FROM directory").scalar_one())
        first = self.next_id
        params: list[Any] = []
        for offset, row in enumerate(rows):
            params.append(first + offset)
            params.extend(row)
        result = self.conn.exec_driver_sql(
            "INSERT INTO directory (id, name, ctime, readable, files) VALUES "
            + ",".join(["(?,?,?,?,?)"] * len(rows)) + " ON CONFLICT (name) DO NOTHING",
            tuple(params),
        )
        self.next_id = first + len(rows)
        assigned = {row[0]: first + offset for offset, row in enumerate(rows)}
        existing: dict[str, int] = {}
        if result.rowcount != len(rows):
            # some names exist already (another category's directories): which, and their ids
            names = [row[0] for row in rows]
            for name, row_id in self.conn.exec_driver_sql(
                "SELECT name, id FROM directory WHERE name IN ("
                + ",".join(["?"] * len(names)) + ")", tuple(names)
            ):
                if assigned[name] != row_id:
                    existing[name] = row_id
                    del assigned[name]
        ids = [*assigned.values(), *existing.values()]
        self.conn.exec_driver_sql(
            "INSERT INTO category_directory (category_id, directory_id) VALUES "
            + ",".join(["(?,?)"] * len(ids)) + " ON CONFLICT DO NOTHING",
            tuple(x for row_id in ids for x in (category_id, row_id)),
        )
        return assigned, existing

    def update_directories(self, rows: Sequence[tuple[Any, ...]], *, with_files: bool) -> None:
        width = 4 if with_files else 3
        values = ",".join(["(" + ",".join("?" * width) + ")"] * len(rows))
        files = ", files = v.column4" if with_files else ""
        self.conn.exec_driver_sql(
            f"UPDATE directory SET ctime = v.column2, readable = v.column3{files} "
            f"FROM (VALUES {values}) AS v WHERE directory.id = v.column1",
            tuple(x for row in rows for x in row),
        )


class _PostgresBulk(_Bulk):
    """PostgreSQL: arrays through ``unnest`` (four parameters however many rows; no statement
    text to parse per row count), the insert and the category links in one round trip.  With
    psycopg 3 the arrays travel in binary (``%b``): no text escaping of 100k JSON lists, about a
    fifth of the client's CPU time."""

    marker = "%s"

    def __init__(self, conn: sa.Connection) -> None:
        super().__init__(conn)
        a = "%b" if conn.dialect.driver == "psycopg" else "%s"
        self.insert_sql = (
            "WITH new AS (INSERT INTO directory (name, ctime, readable, files) "
            f"SELECT * FROM unnest({a}::text[], {a}::bigint[], {a}::boolean[], {a}::bytea[]) "
            "ON CONFLICT (name) DO NOTHING RETURNING id, name), "
            "link AS (INSERT INTO category_directory (category_id, directory_id) "
            "SELECT %s, id FROM new) "
            "SELECT name, id FROM new"
        )
        self.lookup_sql = "SELECT name, id FROM directory WHERE name = ANY(%s)"
        self.link_sql = (
            "INSERT INTO category_directory (category_id, directory_id) "
            f"SELECT %s, unnest({a}::integer[]) ON CONFLICT DO NOTHING"
        )
        self.update_files_sql = (
            "UPDATE directory AS d SET ctime = v.ctime, readable = v.readable, files = v.files "
            f"FROM unnest({a}::integer[], {a}::bigint[], {a}::boolean[], {a}::bytea[]) "
            "AS v(id, ctime, readable, files) WHERE d.id = v.id"
        )
        self.update_sql = (
            "UPDATE directory AS d SET ctime = v.ctime, readable = v.readable "
            f"FROM unnest({a}::integer[], {a}::bigint[], {a}::boolean[]) "
            "AS v(id, ctime, readable) WHERE d.id = v.id"
        )

    def insert_directories(
        self, rows: Sequence[DirectoryRow], category_id: int
    ) -> tuple[dict[str, int], dict[str, int]]:
        names, ctimes, readables, files = (list(column) for column in zip(*rows))
        inserted: dict[str, int] = dict(self.conn.exec_driver_sql(  # type: ignore[arg-type]
            self.insert_sql, (names, ctimes, readables, files, category_id)).all())
        existing: dict[str, int] = {}
        if len(inserted) != len(rows):
            others = [name for name in names if name not in inserted]
            existing = dict(self.conn.exec_driver_sql(  # type: ignore[arg-type]
                self.lookup_sql, (others,)).all())
            self.conn.exec_driver_sql(self.link_sql, (category_id, list(existing.values())))
        return inserted, existing

    def update_directories(self, rows: Sequence[tuple[Any, ...]], *, with_files: bool) -> None:
        columns = tuple(list(column) for column in zip(*rows))
        self.conn.exec_driver_sql(self.update_files_sql if with_files else self.update_sql,
                                  columns)


@attrs.define
class _Pending:
    """The engine's batches merged until they are worth a round of statements.  Applied in the
    order of a batch (directories, repositories, file details, deletions), which is all the
    order the writes depend on."""

    directories: list[DirectoryWrite] = attrs.field(factory=list)
    repositories: list[RepositoryWrite] = attrs.field(factory=list)
    file_details: list[FileDetailWrite] = attrs.field(factory=list)
    delete_directories: list[str] = attrs.field(factory=list)

    def add(self, batch: ScanBatch) -> None:
        self.directories.extend(batch.directories)
        self.repositories.extend(batch.repositories)
        self.file_details.extend(batch.file_details)
        self.delete_directories.extend(batch.delete_directories)

    def size(self) -> int:
        return (len(self.directories) + len(self.repositories) + len(self.file_details)
                + len(self.delete_directories))


class _Writer:
    """The writes of one category scan, inside its transaction.

    Every write of a round is one multi-row statement per kind (and per at most ``_CHUNK`` rows),
    issued through the driver without per-row SQLAlchemy work: a worker thread that has to win the
    GIL back from the scan's other (busy) threads after every statement or result row pays up to
    the interpreter's switch interval each time, so round trips, not rows, are what costs.
    """

    def __init__(self, conn: sa.Connection, snapshot: CategorySnapshot,
                 new_ids: dict[str, int], counts: dict[str, int]) -> None:
        self.conn = conn
        self.snapshot = snapshot
        self.new_ids = new_ids
        self.counts = counts
        self.bulk: _Bulk = (
            _PostgresBulk(conn) if conn.dialect.name == "postgresql" else _SqliteBulk(conn))
        #: ids of rows that existed under another category and were linked to this one (every
        #: other id in ``new_ids`` is a row this scan inserted: no file details to look up)
        self.adopted_ids: set[int] = set()
        self.arch_ids: dict[str, int] | None = None
        self.version_ids: dict[str, int] | None = None

    def full_name(self, path: str) -> str:
        return f"{self.snapshot.topdir}/{path}" if path else self.snapshot.topdir

    def directory_id(self, path: str) -> int | None:
        known = self.snapshot.directories.get(path)
        return known.id if known is not None else self.new_ids.get(path)

    def flush(self, pending: _Pending) -> None:
        if pending.directories:
            self.directories(pending.directories)
        if pending.repositories:
            self.repositories(pending.repositories)
        if pending.file_details:
            self.file_details(pending.file_details)
        if pending.delete_directories:
            self.delete(pending.delete_directories)

    # -- directories -----------------------------------------------------------------------

    def directories(self, writes: Sequence[DirectoryWrite]) -> None:
        with_files: list[tuple[int, int, bool, bytes | None]] = []
        without_files: list[tuple[int, int, bool]] = []
        fresh: list[DirectoryWrite] = []
        for w in writes:
            known = self.snapshot.directories.get(w.path)
            row_id = known.id if known is not None else self.new_ids.get(w.path)
            if row_id is None:
                fresh.append(w)
                continue
            readable = w.readable if w.readable is not None else (known.readable if known else True)
            if w.files is not None:
                with_files.append((row_id, w.ctime, readable, encode_file_list(w.files)))
            else:
                without_files.append((row_id, w.ctime, readable))
        for chunk in _chunks(fresh):
            with_files.extend(self._insert_directories(chunk))
        for rows in _chunks(with_files):
            self.bulk.update_directories(rows, with_files=True)
        for rows in _chunks(without_files):
            self.bulk.update_directories(rows, with_files=False)
        self.counts["directories_updated"] += len(writes) - len(fresh)

    def _insert_directories(
        self, writes: Sequence[DirectoryWrite]
    ) -> list[tuple[int, int, bool, bytes | None]]:
        """Insert new rows and link them to the category.  A name that exists already (another
        category's directory) is linked too, and returned as an update of that row."""
        rows = [
            (self.full_name(w.path), w.ctime, True if w.readable is None else w.readable,
             encode_file_list(w.files or ()))
            for w in writes
        ]
        inserted, existing = self.bulk.insert_directories(rows, self.snapshot.category_id)
        cut = len(self.snapshot.topdir) + 1
        topdir = self.snapshot.topdir
        updates = []
        for name, ctime, readable, files in rows:
            path = "" if name == topdir else name[cut:]
            row_id = inserted.get(name)
            if row_id is None:
                row_id = existing[name]
                self.adopted_ids.add(row_id)
                updates.append((row_id, ctime, readable, files))
            self.new_ids[path] = row_id
        self.counts["directories_added"] += len(inserted)
        self.counts["directories_updated"] += len(updates)
        return updates

    # -- repositories ------------------------------------------------------------------------

    def _lookups(self) -> tuple[dict[str, int], dict[str, int]]:
        if self.arch_ids is None:
            self.arch_ids = dict(self.conn.execute(sa.select(s.arch.c.name, s.arch.c.id)).all())
        if self.version_ids is None:
            self.version_ids = {
                name: row_id for name, row_id in self.conn.execute(
                    sa.select(s.version.c.name, s.version.c.id)
                    .where(s.version.c.product_id == self.snapshot.product_id)
                ) if name is not None
            }
        return self.arch_ids, self.version_ids

    def repositories(self, writes: Sequence[RepositoryWrite]) -> None:
        arch_ids, version_ids = self._lookups()
        r = s.repository
        wanted = []
        for w in writes:
            arch_id = arch_ids.get(w.arch)
            directory_id = self.directory_id(w.path)
            if arch_id is None or directory_id is None:
                log.warning("repository skipped %s", kv(path=self.full_name(w.path),
                                                        reason="unknown arch or directory"))
                continue
            wanted.append((w, self.full_name(w.path), arch_id, directory_id))
        # what exists already under one of these names or (prefix, arch) pairs: one query
        taken_names: set[str] = set()
        taken_keys: set[tuple[str, int]] = set()
        names = [name for _, name, _, _ in wanted]
        prefixes = sorted({w.prefix for w, _, _, _ in wanted if w.prefix is not None})
        for chunk in _chunks(names):
            condition = r.c.name.in_(chunk)
            if prefixes:
                condition = sa.or_(condition, r.c.prefix.in_(prefixes))
            for name, prefix, arch_id in self.conn.execute(
                sa.select(r.c.name, r.c.prefix, r.c.arch_id).where(condition)
            ):
                taken_names.add(name)
                if prefix is not None:
                    taken_keys.add((prefix, arch_id))
        rows = []
        for w, name, arch_id, directory_id in wanted:
            if w.version not in version_ids:
                version_ids[w.version] = self.conn.execute(
                    sa.insert(s.version).values(
                        name=w.version, product_id=self.snapshot.product_id,
                        is_test=w.version_is_test,
                    ).returning(s.version.c.id)
                ).scalar_one()
                self.counts["versions_added"] += 1
            key = (w.prefix, arch_id) if w.prefix is not None else None
            if name in taken_names or key in taken_keys:
                log.warning("repository exists, not created %s",
                            kv(path=name, prefix=w.prefix, arch=w.arch))
                continue
            taken_names.add(name)
            if key is not None:
                taken_keys.add(key)
            rows.append({
                "name": name, "prefix": w.prefix, "category_id": self.snapshot.category_id,
                "version_id": version_ids[w.version], "arch_id": arch_id,
                "directory_id": directory_id, "disabled": False,
            })
        for chunk in _chunks(rows):
            self.bulk.insert_rows(r, chunk)
        self.counts["repositories_added"] += len(rows)

    # -- file details ------------------------------------------------------------------------

    def file_details(self, writes: Sequence[FileDetailWrite]) -> None:
        fd = s.file_detail
        by_dir: dict[int, list[FileDetailWrite]] = defaultdict(list)
        older: set[int] = set()  # directories that may have details already
        for w in writes:
            known = self.snapshot.directories.get(w.path)
            directory_id = known.id if known is not None else self.new_ids.get(w.path)
            if directory_id is None:
                continue
            by_dir[directory_id].append(w)
            if known is not None or directory_id in self.adopted_ids:
                older.add(directory_id)
        existing: set[tuple[Any, ...]] = set()
        for chunk in _chunks(sorted(older)):
            existing.update(tuple(row) for row in self.conn.execute(
                sa.select(fd.c.directory_id, fd.c.filename, fd.c.timestamp, fd.c.size, fd.c.md5,
                          fd.c.sha1, fd.c.sha256, fd.c.sha512).where(fd.c.directory_id.in_(chunk))
            ))
        rows = []
        for directory_id, items in by_dir.items():
            for w in items:
                key = (directory_id, w.filename, w.timestamp, w.size, w.md5, w.sha1, w.sha256,
                       w.sha512)
                if key in existing:
                    continue
                existing.add(key)
                rows.append({"directory_id": directory_id, "filename": w.filename,
                             "timestamp": w.timestamp, "size": w.size, "md5": w.md5,
                             "sha1": w.sha1, "sha256": w.sha256, "sha512": w.sha512})
        for chunk in _chunks(rows):
            self.bulk.insert_rows(fd, chunk)
        self.counts["file_details_added"] += len(rows)

    # -- deletions ---------------------------------------------------------------------------

    def delete(self, paths: Sequence[str]) -> None:
        ids = [i for i in (self.directory_id(p) for p in paths if p) if i is not None]
        if not ids:
            return
        cd = s.category_directory
        shared = set(self.conn.execute(
            sa.select(cd.c.directory_id).where(cd.c.directory_id.in_(ids))
            .group_by(cd.c.directory_id).having(sa.func.count() > 1)
        ).scalars())
        topdirs = set(self.conn.execute(
            sa.select(s.category.c.topdir_id).where(s.category.c.topdir_id.in_(ids))
        ).scalars())
        doomed = [i for i in ids if i not in shared and i not in topdirs]
        if not doomed:
            return
        r = s.repository
        repo_ids = list(self.conn.execute(
            sa.select(r.c.id).where(r.c.directory_id.in_(doomed))).scalars())
        if repo_ids:
            self.conn.execute(sa.delete(s.propagation_stat)
                              .where(s.propagation_stat.c.repository_id.in_(repo_ids)))
            self.conn.execute(sa.delete(r).where(r.c.id.in_(repo_ids)))
        for table in (s.file_detail, s.host_category_dir, s.directory_exclusive_host):
            self.conn.execute(sa.delete(table).where(table.c.directory_id.in_(doomed)))
        self.conn.execute(sa.delete(cd).where(cd.c.directory_id.in_(doomed)))
        self.conn.execute(sa.delete(s.directory).where(s.directory.c.id.in_(doomed)))
        self.counts["directories_deleted"] += len(doomed)
        log.info("deleted vanished directories %s",
                 kv(category=self.snapshot.category, count=len(doomed)))

    # -- ageing ----------------------------------------------------------------------------

    def age(self, max_stale_days: int, now: int) -> int:
        fd, cd = s.file_detail, s.category_directory
        rows = self.conn.execute(
            sa.select(fd.c.id, fd.c.directory_id, fd.c.filename, fd.c.timestamp)
            .join(cd, cd.c.directory_id == fd.c.directory_id)
            .where(cd.c.category_id == self.snapshot.category_id)
            .order_by(fd.c.directory_id, fd.c.filename, fd.c.timestamp.desc(), fd.c.id.desc())
        )
        doomed = age_file_details(rows, max_stale_days, now)
        for chunk in _chunks(doomed):
            self.conn.execute(sa.delete(fd).where(fd.c.id.in_(chunk)))
        return len(doomed)
