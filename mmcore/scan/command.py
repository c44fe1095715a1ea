"""``mirrormanager umdl``: scan the configured master directories into the database."""

from __future__ import annotations

import argparse

import trio

from mmcore.commands import CommandError, UsageError
from mmcore.joblock import run_locked
from mmcore.runtime import Runtime
from mmcore.scan.config import UmdlConfig
from mmcore.scan.run import SelectionError, collect_rules, collect_sources, run_umdl


def run(runtime: Runtime, args: argparse.Namespace) -> int:
    """One scan at a time: a second ``umdl`` exits at once (the ``umdl`` job lock)."""
    return run_locked(runtime, "umdl", lambda: _scan(runtime, args))


def _scan(runtime: Runtime, args: argparse.Namespace) -> int:
    config = runtime.section("umdl", UmdlConfig)
    if not config.master:
        raise UsageError("no [[umdl.master]] configured: nothing to scan")
    store = runtime.open_store()
    store.check_schema()
    sources = collect_sources(runtime)
    rules = collect_rules(config, runtime)

    async def main() -> object:
        return await run_umdl(
            config, store, sources=sources, rules=rules, categories=args.category,
            delete_directories=args.delete_directories, force=args.full,
            runtime=runtime, progress_stream=runtime.err,
        )

    try:
        report = trio.run(main)
    except SelectionError as exc:
        raise UsageError(str(exc)) from None
    for outcome in report.outcomes:
        if outcome.error is not None:
            runtime.out.write(f"{outcome.category}: FAILED: {outcome.error}\n")
        else:
            s = outcome.stats
            runtime.out.write(
                f"{outcome.category}: {s.directories_seen} directories, "
                f"{s.directories_changed} changed, {s.write.directories_added} added, "
                f"{s.write.directories_deleted} deleted, {s.write.repositories_added} "
                f"repositories added, {s.write.file_details_added} file details added "
                f"({s.seconds:.1f}s)\n"
            )
    if report.failed:
        raise CommandError(
            f"{len(report.failed)} of {len(report.outcomes)} categories failed: "
            + ", ".join(o.category for o in report.failed)
        )
    return 0
