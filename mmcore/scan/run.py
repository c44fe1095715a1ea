"""``mirrormanager umdl``: scan every configured master directory, one category at a time.

A category that fails (bad source, truncated list, rsync error, database error) is rolled back,
logged with the reason, and the others still run; the command then exits with status 1.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import re
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, TextIO

import attrs

from mmcore.db import run_db
from mmcore.events import MasterTreeChanged
from mmcore.logs import kv
from mmcore.progress import Progress
from mmcore.scan.config import MasterDirectory, RepositoryRuleConfig, UmdlConfig
from mmcore.scan.engine import CategoryScanStats, ScanPolicy, scan_category, stored_subdirs
from mmcore.scan.repomap import BUILTIN_RULES, RepositoryRule
from mmcore.scan.source import ScannerSource, SourceError, SourceRequest
from mmcore.scan.store import CategoryTarget, ScanStore
from mmcore.store import StoreError

if TYPE_CHECKING:
    from mmcore.runtime import Runtime

log = logging.getLogger("mmcore.scan")


class SelectionError(ValueError):
    """``--category`` names a category that is not configured."""


@attrs.frozen
class CategoryOutcome:
    category: str
    stats: CategoryScanStats | None
    error: str | None = None


@attrs.frozen
class UmdlReport:
    outcomes: tuple[CategoryOutcome, ...]
    seconds: float

    @property
    def failed(self) -> tuple[CategoryOutcome, ...]:
        return tuple(o for o in self.outcomes if o.error is not None)


def select_masters(masters: Sequence[MasterDirectory], names: Sequence[str]) -> list[MasterDirectory]:
    """``--category NAME`` keeps NAME, ``--category ^NAME`` drops it (MirrorManager2's syntax)."""
    configured = {m.category for m in masters}
    wanted = [n for n in names if not n.startswith("^")]
    dropped = [n[1:] for n in names if n.startswith("^")]
    unknown = sorted(set(wanted + dropped) - configured)
    if unknown:
        raise SelectionError(
            f"no [[umdl.master]] for category {', '.join(map(repr, unknown))} "
            f"(configured: {', '.join(sorted(configured)) or 'none'})"
        )
    return [m for m in masters
            if (not wanted or m.category in wanted) and m.category not in dropped]


def rule_from_config(rule: RepositoryRuleConfig) -> RepositoryRule:
    return RepositoryRule.of(rule.categories, rule.match, rule.prefix, rule.unless)


def collect_rules(config: UmdlConfig, runtime: Runtime | None) -> tuple[RepositoryRule, ...]:
    """Config rules first, then plugins' (``mm_repository_rules``), then the built-in table."""
    rules = [rule_from_config(r) for r in config.repository_rule]
    if runtime is not None:
        for rule in runtime.collect("mm_repository_rules"):
            rules.append(rule if isinstance(rule, RepositoryRule) else rule_from_config(rule))
    return tuple(rules) + BUILTIN_RULES


def collect_sources(runtime: Runtime) -> dict[str, ScannerSource]:
    sources: dict[str, ScannerSource] = {}
    for source in runtime.collect("mm_scanner_sources"):
        sources.setdefault(source.name, source)
    return sources


async def run_umdl(
    config: UmdlConfig,
    store: ScanStore,
    *,
    sources: dict[str, ScannerSource],
    rules: tuple[RepositoryRule, ...] = BUILTIN_RULES,
    categories: Sequence[str] = (),
    delete_directories: bool = False,
    force: bool = False,
    runtime: Runtime | None = None,
    progress_stream: TextIO | None = None,
) -> UmdlReport:
    """Scan the selected categories in turn.

    :param runtime: announces :class:`MasterTreeChanged` for each category that changed
        (``None``: no events, for tests and benchmarks driving the engine directly).

    :raises SelectionError: ``categories`` names an unconfigured category.
    """
    started = time.monotonic()
    policy = ScanPolicy(
        rules=rules,
        skip_paths_for_version=config.skip_paths_for_version,
        skip_repository_dirs=config.skip_repository_dirs,
        max_stale_days=config.max_stale_days,
        max_metadata_bytes=config.max_metadata_bytes,
        delete_directories=delete_directories,
    )
    outcomes = []
    with _rare_collections():
        for master in select_masters(config.master, categories):
            outcome = await _scan_one(config, store, master, sources, policy, force, runtime,
                                      progress_stream)
            outcomes.append(outcome)
    report = UmdlReport(tuple(outcomes), time.monotonic() - started)
    totals = _totals(report)
    log.info("umdl finished %s", kv(categories=len(outcomes), failed=len(report.failed),
                                    **totals, seconds=f"{report.seconds:.2f}"))
    return report


@contextlib.contextmanager
def _rare_collections() -> Iterator[None]:
    """A scan allocates millions of short-lived, acyclic tuples; the cyclic garbage collector's
    frequent passes over them cost ~20 % of a fullfiletimelist scan.  Collect a hundred times
    less often while scanning (memory stays bounded: the tuples are freed by reference count)."""
    threshold = gc.get_threshold()
    gc.set_threshold(threshold[0] * 100, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


def _totals(report: UmdlReport) -> dict[str, int]:
    totals = dict.fromkeys(("directories_seen", "directories_changed", "directories_added",
                            "directories_deleted", "repositories_added",
                            "file_details_added"), 0)
    for outcome in report.outcomes:
        if outcome.stats is None:
            continue
        s = outcome.stats
        totals["directories_seen"] += s.directories_seen
        totals["directories_changed"] += s.directories_changed
        totals["directories_added"] += s.write.directories_added
        totals["directories_deleted"] += s.write.directories_deleted
        totals["repositories_added"] += s.write.repositories_added
        totals["file_details_added"] += s.write.file_details_added
    return totals


async def _scan_one(
    config: UmdlConfig,
    store: ScanStore,
    master: MasterDirectory,
    sources: dict[str, ScannerSource],
    policy: ScanPolicy,
    force: bool,
    runtime: Runtime | None,
    progress_stream: TextIO | None,
) -> CategoryOutcome:
    name = master.category
    problems = master.check()
    source = sources.get(master.source)
    if source is None:
        problems.append(f"unknown source {master.source!r} (installed: "
                        f"{', '.join(sorted(sources)) or 'none'})")
    if not master.product:
        problems.append("product is required")
    if problems:
        message = "; ".join(problems)
        log.error("category not scanned %s", kv(category=name, error=message))
        return CategoryOutcome(name, None, message)
    assert source is not None
    try:
        excludes = tuple(re.compile(p) for p in (*config.excludes, *master.excludes))
    except re.error as exc:
        return CategoryOutcome(name, None, f"bad exclude pattern: {exc}")
    topdir = master.resolved_topdir(config.prefix)
    target = CategoryTarget(name, master.product, topdir)
    try:
        snapshot = await run_db(store, store.scan_open_category, target)
    except StoreError as exc:
        log.error("category not scanned %s", kv(category=name, error=exc))
        return CategoryOutcome(name, None, str(exc))
    if snapshot.created:
        log.info("created %s", kv(category=name, created=",".join(snapshot.created)))
    if not snapshot.arches:
        log.warning("no arches in the database: no repository can be recognised %s",
                    kv(category=name))
    known = snapshot.directories

    def known_ctime(path: str) -> int | None:
        entry = known.get(path)
        return None if entry is None else entry.ctime

    offered: dict[str, tuple[str, ...]] | None = None

    def known_subdirs(path: str) -> tuple[str, ...] | None:
        # only a source that lists directories one by one asks: built on its first question
        nonlocal offered
        if offered is None:
            offered = stored_subdirs(snapshot)
        return offered.get(path)

    request = SourceRequest(
        master=master,
        local_root=master.resolved_path(config.prefix) or None,
        excludes=excludes,
        known_ctime=known_ctime,
        known_subdirs=known_subdirs,
        force=force,
        batch_size=config.batch_size,
    )
    total = len(known) if len(known) > 1 else None
    try:
        with Progress(f"umdl {name}", total, stream=progress_stream) as bar:
            stats, changed = await scan_category(
                store, snapshot, source, request, policy, progress=bar.advance
            )
    except SourceError as exc:
        log.error("category scan failed, nothing written %s", kv(category=name, error=exc))
        return CategoryOutcome(name, None, str(exc))
    except StoreError as exc:
        log.error("category scan failed, rolled back %s", kv(category=name, error=exc))
        return CategoryOutcome(name, None, str(exc))
    w = stats.write
    log.info("category scanned %s", kv(
        category=name, source=master.source, directories_seen=stats.directories_seen,
        directories_changed=stats.directories_changed, directories_added=w.directories_added,
        directories_deleted=w.directories_deleted, repositories_added=w.repositories_added,
        file_details_added=w.file_details_added, file_details_aged=w.file_details_aged,
        metadata_errors=stats.metadata_errors, seconds=f"{stats.seconds:.2f}"))
    if w.wrote and runtime is not None:
        event = MasterTreeChanged(
            category=name,
            directories_added=w.directories_added,
            directories_changed=w.directories_updated,
            directories_deleted=w.directories_deleted,
            repositories_added=w.repositories_added,
            file_details_added=w.file_details_added,
            changed_paths=tuple(changed),
            truncated=len(changed) >= 1000,
        )
        runtime.announce(event)
    return CategoryOutcome(name, stats)


