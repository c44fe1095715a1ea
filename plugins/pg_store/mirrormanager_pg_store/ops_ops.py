"""The operations commands' storage (:class:`mmcore.ops.store.OpsStore`): release moves,
emergency expiry, products, single file details, the world map and the rsync filter.  The
statistics part is in :mod:`.stats_ops`.

Mixed into ``SqlStore``.  Each changing operation is one transaction (:func:`transaction`); a dry
run does the same statements and rolls back, so what it reports is exactly what would change.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from mmcore.ops.store import (
    AddProductReport,
    ArchiveSelection,
    ExpireReport,
    MapHost,
    MoveReport,
    NewProduct,
    OpsRefused,
    RepositoryMove,
)

from mmcore.scan.metadata import Digests

from . import schema as t

CHUNK = 500
REPOMD = "repomd.xml"


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def subtree(column: sa.ColumnElement[str], name: str) -> sa.ColumnElement[bool]:
    """``column`` is ``name`` or below it (LIKE wildcards in ``name`` escaped)."""
    escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.or_(column == name, column.like(escaped + "/%", escape="\\"))


@contextlib.contextmanager
def transaction(store: Any, doing: str, dry_run: bool) -> Iterator[sa.Connection]:
    """One transaction on ``store``'s engine, committed unless ``dry_run`` or an exception."""
    with store._errors(doing), store.engine.connect() as conn:
        trans = conn.begin()
        try:
            yield conn
        except BaseException:
            trans.rollback()
            raise
        if dry_run:
            trans.rollback()
        else:
            trans.commit()


def _one_id(conn: sa.Connection, table: sa.Table, what: str, **where: Any) -> int:
    row = conn.execute(
        sa.select(table.c.id).where(*(table.c[k] == v for k, v in where.items()))
    ).first()
    if row is None:
        names = sorted(
            str(n) for n in conn.execute(sa.select(table.c.name).distinct()).scalars() if n
        )
        shown = ", ".join(names[:30]) + (" ..." if len(names) > 30 else "")
        raise OpsRefused(f"unknown {what} {next(iter(where.values()))!r} (known: {shown})")
    return int(row[0])


def _directory_ids(conn: sa.Connection, names: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(sorted(set(names))):
        found.update(
            (name, did)
            for did, name in conn.execute(
                sa.select(t.directory.c.id, t.directory.c.name).where(
                    t.directory.c.name.in_(chunk)
                )
            )
        )
    return found


class OpsOpsMixin:
    """:class:`mmcore.ops.store.OpsStore` (without statistics) for ``SqlStore``."""

    engine: sa.Engine

    # -- release moves --------------------------------------------------------------------------

    def _repositories(self, conn: sa.Connection, *where: sa.ColumnElement[bool]) -> list[Any]:
        r, d, a, c = t.repository, t.directory, t.arch, t.category
        return conn.execute(
            sa.select(r.c.id, r.c.name, r.c.prefix, a.c.name.label("arch"),
                      d.c.name.label("directory"), c.c.name.label("category"),
                      r.c.category_id)
            .select_from(r.outerjoin(d, r.c.directory_id == d.c.id)
                         .outerjoin(a, r.c.arch_id == a.c.id)
                         .outerjoin(c, r.c.category_id == c.c.id))
            .where(*where)
            .order_by(r.c.id)
        ).all()

    def _apply_moves(
        self, conn: sa.Connection, planned: list[tuple[Any, str]], skip_missing: bool,
        values: Mapping[str, Any], new_category: str | None,
    ) -> MoveReport:
        """Repoint each ``(repository row, target directory name)``; shared by both moves."""
        r = t.repository
        targets = _directory_ids(conn, [target for _, target in planned])
        taken = {
            directory_id
            for chunk in chunks(list(targets.values()))
            for directory_id in conn.execute(
                sa.select(r.c.directory_id).where(r.c.directory_id.in_(chunk))
            ).scalars()
        }
        missing = [(row.name, target) for row, target in planned if target not in targets]
        if missing and not skip_missing:
            shown = "; ".join(f"{name} -> {target}" for name, target in missing[:10])
            raise OpsRefused(
                f"{len(missing)} target directories are not in the database (scan them first, "
                f"or --skip-missing): {shown}"
            )
        moved: list[RepositoryMove] = []
        skipped: list[tuple[str, str]] = [
            (name, f"target directory {target} is not in the database")
            for name, target in missing
        ]
        for row, target in planned:
            if target not in targets:
                continue
            if targets[target] in taken:
                skipped.append((row.name, f"{target} already has a repository"))
                continue
            conn.execute(
                sa.update(r).where(r.c.id == row.id)
                .values(name=target, directory_id=targets[target], **values)
            )
            taken.add(targets[target])
            moved.append(RepositoryMove(
                repository_id=row.id, name=row.name, prefix=row.prefix, arch=row.arch,
                old_directory=row.directory, new_directory=target,
                old_category=row.category, new_category=new_category or row.category,
            ))
        return MoveReport(moved=tuple(moved), skipped=tuple(skipped))

    def move_devel_to_release(self, category: str, version: str, *, skip_missing: bool,
                              dry_run: bool) -> MoveReport:
        with transaction(self, "move repositories to release in", dry_run) as conn:
            category_id = _one_id(conn, t.category, "category", name=category)
            product_id = conn.execute(
                sa.select(t.category.c.product_id).where(t.category.c.id == category_id)
            ).scalar()
            version_id = conn.execute(
                sa.select(t.version.c.id).where(t.version.c.name == version,
                                                t.version.c.product_id == product_id)
            ).scalar()
            if version_id is None:
                raise OpsRefused(f"category {category!r}: its product has no version {version!r}")
            development, release = f"development/{version}", f"releases/{version}"
            planned = []
            for row in self._repositories(conn, t.repository.c.category_id == category_id):
                if row.directory and f"/{development}/" in f"/{row.directory}/":
                    planned.append((row, row.directory.replace(development, release, 1)))
            return self._apply_moves(conn, planned, skip_missing, {"version_id": version_id},
                                     None)

    def move_to_archive(self, selection: ArchiveSelection, archive_category: str, *,
                        skip_missing: bool, dry_run: bool,
                        skip_categories: Sequence[str] = ()) -> MoveReport:
        r, v, p, d, c = t.repository, t.version, t.product, t.directory, t.category
        with transaction(self, "move repositories to the archive in", dry_run) as conn:
            archive_id = _one_id(conn, c, "archive category", name=archive_category)
            archive_top = conn.execute(
                sa.select(d.c.name).select_from(c.join(d, c.c.topdir_id == d.c.id))
                .where(c.c.id == archive_id)
            ).scalar()
            if archive_top is None:
                raise OpsRefused(f"archive category {archive_category!r} has no top directory")
            if selection.prefix:
                where = [r.c.prefix == selection.prefix]
            elif selection.product and selection.version:
                product_id = _one_id(conn, p, "product", name=selection.product)
                version_id = conn.execute(
                    sa.select(v.c.id).where(v.c.product_id == product_id,
                                            v.c.name == selection.version)
                ).scalar()
                if version_id is None:
                    raise OpsRefused(
                        f"product {selection.product!r} has no version {selection.version!r}"
                    )
                where = [r.c.version_id == version_id]
            else:
                raise OpsRefused("select repositories by prefix, or by product and version")
            rows = self._repositories(conn, *where)
            if not rows:
                raise OpsRefused(f"no repository matches {_describe(selection)}")
            planned, skipped = [], []
            for row in rows:
                if row.directory is None:
                    skipped.append((row.name, "has no directory"))
                elif row.category in skip_categories:
                    skipped.append((row.name, f"category {row.category} is never archived"))
                elif row.category_id == archive_id or row.directory.startswith(archive_top + "/"):
                    skipped.append((row.name, "already archived"))
                else:
                    rest = row.directory.split("/", 1)[1] if "/" in row.directory else ""
                    planned.append((row, f"{archive_top}/{rest}" if rest else archive_top))
            report = self._apply_moves(conn, planned, skip_missing,
                                       {"category_id": archive_id}, archive_category)
            return MoveReport(report.moved, tuple(skipped) + report.skipped)

    # -- emergency expiry ----------------------------------------------------------------------

    def expire_repository_details(self, product: str, version: str, *,
                                  dry_run: bool) -> ExpireReport:
        r, v, d, fd = t.repository, t.version, t.directory, t.file_detail
        with transaction(self, "expire file details in", dry_run) as conn:
            product_id = _one_id(conn, t.product, "product", name=product)
            version_id = conn.execute(
                sa.select(v.c.id).where(v.c.product_id == product_id, v.c.name == version)
            ).scalar()
            if version_id is None:
                raise OpsRefused(f"product {product!r} has no version {version!r}")
            repositories = [row for row in self._repositories(conn, r.c.version_id == version_id)
                            if row.directory]
            if not repositories:
                raise OpsRefused(f"{product} {version} has no repository with a directory")
            details: dict[int, Any] = {}
            for row in repositories:
                for detail in conn.execute(
                    sa.select(fd.c.id, fd.c.directory_id, fd.c.filename, fd.c.timestamp)
                    .select_from(fd.join(d, fd.c.directory_id == d.c.id))
                    .where(subtree(d.c.name, row.directory))
                ):
                    details[detail.id] = detail
            newest: dict[tuple[int, str], Any] = {}
            for detail in details.values():
                key = (detail.directory_id, detail.filename)
                best = newest.get(key)
                if best is None or (detail.timestamp or 0, detail.id) > (best.timestamp or 0,
                                                                         best.id):
                    newest[key] = detail
            keep = {detail.id for detail in newest.values()}
            doomed = sorted(set(details) - keep)
            for chunk in chunks(doomed):
                conn.execute(sa.delete(fd).where(fd.c.id.in_(chunk)))
            stale = self._mark_stale_mirrors(conn, [row.directory for row in repositories])
            return ExpireReport(
                repositories=tuple(sorted(row.name for row in repositories)),
                directories=len({detail.directory_id for detail in details.values()}),
                file_details_deleted=len(doomed),
                file_details_kept=len(keep),
                mirrors_marked_stale=stale,
            )

    def _mark_stale_mirrors(self, conn: sa.Connection, repo_dirs: Sequence[str]) -> int:
        d, fd, hcd, hc, h = (t.directory, t.file_detail, t.host_category_dir, t.host_category,
                             t.host)
        ids = _directory_ids(conn, [*repo_dirs, *(f"{name}/repodata" for name in repo_dirs)])
        stale: list[int] = []
        for name in repo_dirs:
            repodata = ids.get(f"{name}/repodata")
            if repodata is None:
                continue
            newest = conn.execute(
                sa.select(sa.func.max(fd.c.timestamp))
                .where(fd.c.directory_id == repodata, fd.c.filename == REPOMD)
            ).scalar()
            if newest is None:
                continue
            pushed = datetime.datetime.fromtimestamp(newest, datetime.UTC).replace(tzinfo=None)
            directories = [i for i in (ids.get(name), repodata) if i is not None]
            stale.extend(conn.execute(
                sa.select(hcd.c.id)
                .select_from(hcd.join(hc, hcd.c.host_category_id == hc.c.id)
                             .join(h, hc.c.host_id == h.c.id))
                .where(hcd.c.directory_id.in_(directories), hcd.c.up2date.is_(True),
                       hc.c.always_up2date.is_(False),
                       sa.or_(h.c.last_crawled.is_(None), h.c.last_crawled < pushed))
            ).scalars())
        for chunk in chunks(stale):
            conn.execute(sa.update(hcd).where(hcd.c.id.in_(chunk)).values(up2date=False))
        return len(stale)

    # -- products --------------------------------------------------------------------------------

    def add_product(self, product: NewProduct, *, dry_run: bool) -> AddProductReport:
        p, v, c, d = t.product, t.version, t.category, t.directory
        created: list[tuple[str, str]] = []
        existing: list[tuple[str, str]] = []

        def get_or_create(table: sa.Table, what: str, label: str, where: Mapping[str, Any],
                          values: Mapping[str, Any]) -> int:
            found = conn.execute(
                sa.select(table.c.id).where(*(table.c[k] == x for k, x in where.items()))
            ).scalar()
            if found is not None:
                existing.append((what, label))
                return int(found)
            created.append((what, label))
            return int(conn.execute(
                sa.insert(table).values(**where, **values).returning(table.c.id)
            ).scalar_one())

        with transaction(self, "add a product to", dry_run) as conn:
            master_id = None
            if product.master_host:
                master_id = conn.execute(
                    sa.select(t.host.c.id).where(t.host.c.name == product.master_host)
                    .order_by(t.host.c.id)
                ).scalar()
                if master_id is None:
                    raise OpsRefused(f"no host named {product.master_host!r}")
            product_id = get_or_create(p, "product", product.name, {"name": product.name}, {})
            for name in product.versions:
                get_or_create(v, "version", name, {"name": name, "product_id": product_id}, {})
            topdir_id = get_or_create(d, "directory", product.topdir, {"name": product.topdir},
                                      {"readable": True, "ctime": 0, "files": b"[]"})
            category = conn.execute(
                sa.select(c.c.id, c.c.product_id).where(c.c.name == product.category)
            ).first()
            if category is not None and category.product_id not in (None, product_id):
                raise OpsRefused(f"category {product.category!r} belongs to another product")
            category_id = get_or_create(
                c, "category", product.category, {"name": product.category},
                {"product_id": product_id, "topdir_id": topdir_id,
                 "canonicalhost": product.canonicalhost},
            )
            cd = t.category_directory
            if conn.execute(sa.select(cd.c.category_id).where(
                    cd.c.category_id == category_id, cd.c.directory_id == topdir_id)).first() is None:
                conn.execute(sa.insert(cd).values(category_id=category_id,
                                                  directory_id=topdir_id))
            if master_id is not None:
                hc_id = get_or_create(
                    t.host_category, "host category", f"{product.master_host} {product.category}",
                    {"host_id": master_id, "category_id": category_id},
                    {"always_up2date": True},
                )
                if product.master_url:
                    get_or_create(t.host_category_url, "url", product.master_url,
                                  {"url": product.master_url},
                                  {"host_category_id": hc_id, "private": False})
            return AddProductReport(created=tuple(created), existing=tuple(existing))

    # -- one file detail -------------------------------------------------------------------------

    def record_file_detail(self, directory: str, filename: str, timestamp: int,
                           sums: Digests, *, dry_run: bool) -> bool:
        fd = t.file_detail
        with transaction(self, "record a file detail in", dry_run) as conn:
            directory_id = conn.execute(
                sa.select(t.directory.c.id).where(t.directory.c.name == directory)
            ).scalar()
            if directory_id is None:
                raise OpsRefused(f"directory {directory!r} is not in the database (run umdl)")
            values = {
                "filename": filename, "timestamp": timestamp, "size": sums.size,
                "md5": sums.md5, "sha1": sums.sha1, "sha256": sums.sha256,
                "sha512": sums.sha512, "directory_id": directory_id,
            }
            same = conn.execute(sa.select(fd.c.id).where(
                *(fd.c[k].is_(None) if x is None else fd.c[k] == x for k, x in values.items())
            )).first()
            if same is not None:
                return False
            conn.execute(sa.insert(fd).values(**values))
            return True

    # -- world map -------------------------------------------------------------------------------

    def embargoed_countries(self) -> frozenset[str]:
        with self._reading("read embargoed countries from") as conn:
            return frozenset(
                code.upper()
                for code in conn.execute(sa.select(t.embargoed_country.c.country_code)).scalars()
            )

    def map_hosts(self) -> list[MapHost]:
        h, s, hc, u = t.host, t.site, t.host_category, t.host_category_url
        with self._reading("read the mirror hosts of") as conn:
            rows = conn.execute(
                sa.select(h.c.id, h.c.name, h.c.country, h.c.latitude, h.c.longitude, u.c.url)
                .select_from(h.join(s, h.c.site_id == s.c.id)
                             .join(hc, hc.c.host_id == h.c.id)
                             .join(u, u.c.host_category_id == hc.c.id))
                .where(h.c.private.is_(False), s.c.private.is_(False),
                       h.c.admin_active.is_(True), h.c.user_active.is_(True),
                       s.c.admin_active.is_(True), s.c.user_active.is_(True),
                       u.c.private.is_(False),
                       sa.or_(u.c.url.like("http://%"), u.c.url.like("https://%")))
                .order_by(h.c.id, u.c.id)
            ).all()
        hosts: dict[int, MapHost] = {}
        for row in rows:
            known = hosts.get(row.id)
            urls = (known.urls if known else ()) + (row.url,)
            hosts[row.id] = MapHost(row.id, row.name, (row.country or "").upper(), urls,
                                    row.latitude, row.longitude)
        return list(hosts.values())

    def set_host_coordinates(self, coordinates: Mapping[int, tuple[float, float] | None], *,
                             dry_run: bool) -> int:
        h = t.host
        changed = 0
        with transaction(self, "store host coordinates in", dry_run) as conn:
            for host_id, where in sorted(coordinates.items()):
                latitude, longitude = where if where is not None else (None, None)
                result = conn.execute(
                    sa.update(h).where(
                        h.c.id == host_id,
                        sa.or_(h.c.latitude.is_distinct_from(latitude),
                               h.c.longitude.is_distinct_from(longitude)),
                    ).values(latitude=latitude, longitude=longitude)
                )
                changed += result.rowcount
        return changed

    # -- rsync filter ----------------------------------------------------------------------------

    def directories_changed_since(self, categories: Sequence[str], since: int) -> list[str]:
        c, cd, d = t.category, t.category_directory, t.directory
        with self._reading("read changed directories from") as conn:
            ids = [_one_id(conn, c, "category", name=name) for name in categories]
            names = conn.execute(
                sa.select(d.c.name).distinct()
                .select_from(d.join(cd, cd.c.directory_id == d.c.id))
                .where(cd.c.category_id.in_(ids), d.c.ctime > since)
            ).scalars()
            return sorted(names)


def _describe(selection: ArchiveSelection) -> str:
    if selection.prefix:
        return f"prefix {selection.prefix!r}"
    return f"{selection.product} {selection.version}"
