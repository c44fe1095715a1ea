"""Helpers of the scanner tests: running a scan, dumping what it stored."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from mmcore.mastertree import MasterTree
from mmcore.scan.config import MasterDirectory, UmdlConfig
from mmcore.scan.run import UmdlReport, run_umdl
from mmcore.scan.sources import DirectorySource, FullFileTimeListSource
from mmcore.model import decode_file_list
from mirrormanager_pg_store import schema as s
from mirrormanager_rsync.source import FileListingSource, RsyncSource

ARCHES = ("x86_64", "aarch64", "source")
SOURCES = {s.name: s for s in (DirectorySource(), FullFileTimeListSource(), RsyncSource(),
                               FileListingSource())}


def next_second() -> None:
    """Directory ctimes have one-second resolution: make sure the next change is visible."""
    time.sleep(1.05 - (time.time() % 1.0))


def masters(tree: MasterTree, source: str = "directory", **extra: Any) -> tuple[MasterDirectory, ...]:
    out = []
    for category in tree.categories:
        fields: dict[str, Any] = dict(category=category.name, product=category.product,
                                      topdir=category.topdir, source=source)
        if source in ("directory", "fullfiletimelist"):
            fields["path"] = str(tree.root / category.topdir)
        fields.update(extra.get(category.name, {}))
        out.append(MasterDirectory(**fields))
    return tuple(out)


async def scan(store: Any, config_masters: Sequence[MasterDirectory], **kwargs: Any) -> UmdlReport:
    config = UmdlConfig(master=tuple(config_masters))
    kwargs.setdefault("sources", SOURCES)
    report = await run_umdl(config, store, **kwargs)
    return report


def dump(store: Any, *, with_ctime: bool = False) -> dict[str, Any]:
    """Everything the scanner writes, by names (ids differ between runs)."""
    with store.engine.connect() as conn:
        dirs = {}
        for name, files, readable, ctime in conn.execute(
            sa.select(s.directory.c.name, s.directory.c.files, s.directory.c.readable,
                      s.directory.c.ctime)
        ):
            decoded = tuple((f.name, f.size, f.timestamp) for f in decode_file_list(files))
            dirs[name] = (bool(readable), decoded) + ((ctime,) if with_ctime else ())
        links = set(map(tuple, conn.execute(
            sa.select(s.category.c.name, s.directory.c.name)
            .join(s.category_directory, s.category_directory.c.category_id == s.category.c.id)
            .join(s.directory, s.directory.c.id == s.category_directory.c.directory_id)
        )))
        repos = set(map(tuple, conn.execute(
            sa.select(s.repository.c.name, s.repository.c.prefix, s.arch.c.name,
                      s.version.c.name, s.category.c.name, s.directory.c.name)
            .join(s.arch, s.arch.c.id == s.repository.c.arch_id)
            .join(s.version, s.version.c.id == s.repository.c.version_id)
            .join(s.category, s.category.c.id == s.repository.c.category_id)
            .join(s.directory, s.directory.c.id == s.repository.c.directory_id)
        )))
        details = sorted(map(tuple, conn.execute(
            sa.select(s.directory.c.name, s.file_detail.c.filename, s.file_detail.c.timestamp,
                      s.file_detail.c.size, s.file_detail.c.md5, s.file_detail.c.sha1,
                      s.file_detail.c.sha256, s.file_detail.c.sha512)
            .join(s.directory, s.directory.c.id == s.file_detail.c.directory_id)
        )))
        versions = set(map(tuple, conn.execute(
            sa.select(s.product.c.name, s.version.c.name)
            .join(s.product, s.product.c.id == s.version.c.product_id)
        )))
    return {"directories": dirs, "links": links, "repositories": repos,
            "file_details": details, "versions": versions}


class WriteCounter:
    """Counts INSERT/UPDATE/DELETE statements executed on a store's engine."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        head = statement.lstrip().split(None, 1)[0].upper()
        if head in ("INSERT", "UPDATE", "DELETE"):
            self.statements.append(statement)

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)
