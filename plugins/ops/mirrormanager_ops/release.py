"""Release engineering: ``move-devel-to-release``, ``move-to-archive``, ``expire-repo``,
``add-product`` and ``update-file-detail`` (MirrorManager2's tools of the same names)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mmcore.commands import CommandError, UsageError
from mmcore.ops.store import ArchiveSelection, MoveReport, NewProduct
from mmcore.scan.config import UmdlConfig
from mmcore.scan.metadata import MetadataError, digests, repomd_timestamp

from .common import locked, ops_config, summary


def _print_moves(runtime: Any, report: MoveReport, dry_run: bool) -> None:
    verb = "would move" if dry_run else "moved"
    for move in report.moved:
        where = f" [{move.old_category} -> {move.new_category}]" if (
            move.old_category != move.new_category) else ""
        print(f"{verb} {move.prefix or '-'} {move.arch or '-'}: {move.old_directory} -> "
              f"{move.new_directory}{where}", file=runtime.out)
    for name, why in report.skipped:
        print(f"skipped {name}: {why}", file=runtime.out)


def move_devel_to_release(runtime: Any, args: argparse.Namespace) -> int:
    def work() -> int:
        report = runtime.open_store().move_devel_to_release(
            args.category, args.version, skip_missing=args.skip_missing, dry_run=args.dry_run)
        _print_moves(runtime, report, args.dry_run)
        summary(runtime, "move-devel-to-release", category=args.category,
                version=args.version, moved=len(report.moved), skipped=len(report.skipped),
                dry_run=args.dry_run)
        return 0

    return locked(runtime, "move-devel-to-release", work)


def move_to_archive(runtime: Any, args: argparse.Namespace) -> int:
    if args.product and not args.version:
        raise UsageError("--product needs --version")
    config = ops_config(runtime)
    archive = args.archive_category or config.archive_category
    selection = ArchiveSelection(prefix=args.repository, product=args.product,
                                 version=args.version)

    def work() -> int:
        report = runtime.open_store().move_to_archive(
            selection, archive, skip_missing=args.skip_missing, dry_run=args.dry_run,
            skip_categories=config.archive_skip_categories)
        _print_moves(runtime, report, args.dry_run)
        summary(runtime, "move-to-archive", archive_category=archive,
                moved=len(report.moved), skipped=len(report.skipped), dry_run=args.dry_run)
        return 0

    return locked(runtime, "move-to-archive", work)


def expire_repo(runtime: Any, args: argparse.Namespace) -> int:
    def work() -> int:
        report = runtime.open_store().expire_repository_details(
            args.product, args.version, dry_run=args.dry_run)
        for name in report.repositories:
            print(f"{'would expire' if args.dry_run else 'expired'} {name}", file=runtime.out)
        summary(runtime, "expire-repo", product=args.product, version=args.version,
                repositories=len(report.repositories), directories=report.directories,
                file_details_deleted=report.file_details_deleted,
                file_details_kept=report.file_details_kept,
                mirrors_marked_stale=report.mirrors_marked_stale, dry_run=args.dry_run)
        return 0

    return locked(runtime, "expire-repo", work)


def add_product(runtime: Any, args: argparse.Namespace) -> int:
    config = ops_config(runtime)
    topdir = (args.topdir or f"pub/{args.name.lower()}").strip("/")
    master_host = args.master_host if args.master_host is not None else config.master_host
    product = NewProduct(
        name=args.name,
        versions=tuple(args.versions),
        category=args.category or f"{config.category_prefix} {args.name}".strip(),
        topdir=topdir,
        canonicalhost=config.canonicalhost,
        master_host=master_host or None,
        master_url=f"{config.canonicalhost.rstrip('/')}/{topdir}" if master_host else None,
    )

    def work() -> int:
        report = runtime.open_store().add_product(product, dry_run=args.dry_run)
        verb = "would create" if args.dry_run else "created"
        for kind, name in report.created:
            print(f"{verb} {kind} {name}", file=runtime.out)
        for kind, name in report.existing:
            print(f"exists {kind} {name}", file=runtime.out)
        summary(runtime, "add-product", product=args.name, created=len(report.created),
                existing=len(report.existing), dry_run=args.dry_run)
        return 0

    return locked(runtime, "add-product", work)


def _locate(path: Path, umdl: UmdlConfig, category: str | None) -> str:
    """The ``directory.name`` of the directory holding ``path``, from ``[[umdl.master]]``."""
    resolved = path.resolve()
    for master in umdl.master:
        if category and master.category != category:
            continue
        root = master.resolved_path(umdl.prefix)
        if not root:
            continue
        try:
            relative = resolved.parent.relative_to(Path(root).resolve())
        except ValueError:
            continue
        topdir = master.resolved_topdir(umdl.prefix)
        return topdir if str(relative) == "." else f"{topdir}/{relative.as_posix()}"
    raise UsageError(f"{path} is under no [[umdl.master]] path"
                     + (f" of category {category!r}" if category else ""))


def update_file_detail(runtime: Any, args: argparse.Namespace) -> int:
    umdl = runtime.config.section("umdl", UmdlConfig)
    path = Path(args.file)
    directory = _locate(path, umdl, args.category)
    try:
        size = path.stat().st_size
        if size > umdl.max_metadata_bytes:
            raise CommandError(f"{path}: {size} bytes, more than [umdl] max_metadata_bytes")
        data = path.read_bytes()
        mtime = int(path.stat().st_mtime)
    except OSError as exc:
        raise CommandError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        timestamp = repomd_timestamp(data) if path.name == "repomd.xml" else mtime
    except MetadataError as exc:
        raise CommandError(f"{path}: {exc}") from None
    sums = digests(data)

    def work() -> int:
        added = runtime.open_store().record_file_detail(directory, path.name, timestamp, sums,
                                                        dry_run=args.dry_run)
        summary(runtime, "update-file-detail", directory=directory, file=path.name,
                timestamp=timestamp, added=added, dry_run=args.dry_run)
        return 0

    return locked(runtime, "update-file-detail", work)
