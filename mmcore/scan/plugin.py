"""The scanner's built-in plugin: the ``[umdl]`` section, the ``directory`` and
``fullfiletimelist`` sources, and the ``mirrormanager umdl`` command."""

from __future__ import annotations

import argparse
import sys

import trio

from mmcore import hookimpl
from mmcore.commands import CliCommand, CommandContext, CommandError, UsageError
from mmcore.scan.config import UmdlConfig


@hookimpl
def mm_config_sections() -> dict[str, type]:
    return {"umdl": UmdlConfig}


@hookimpl
def mm_scanner_sources() -> list:
    from mmcore.scan.sources import DirectorySource, FullFileTimeListSource

    return [DirectorySource(), FullFileTimeListSource()]


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--category", action="append", default=[], metavar="NAME",
        help="scan only this category (repeatable); ^NAME skips it",
    )
    parser.add_argument(
        "--delete-directories", action="store_true",
        help="delete directories that vanished from the master (never a top directory, never "
             "one still in another category)",
    )
    parser.add_argument(
        "--full", action="store_true",
        help="re-read every directory, even those whose ctime did not change",
    )


def _run(ctx: CommandContext, args: argparse.Namespace) -> int:
    from mmcore.scan.run import SelectionError, collect_rules, collect_sources, run_umdl

    config = ctx.config.section("umdl", UmdlConfig)
    if not config.master:
        raise UsageError("no [[umdl.master]] configured: nothing to scan")
    store = ctx.open_store()
    sources = collect_sources(ctx.plugin_manager)
    rules = collect_rules(config, ctx.plugin_manager)

    async def main() -> object:
        return await run_umdl(
            config, store, sources=sources, rules=rules, categories=args.category,
            delete_directories=args.delete_directories, force=args.full,
            pm=ctx.plugin_manager, progress_stream=sys.stderr,
        )

    try:
        report = trio.run(main)
    except SelectionError as exc:
        raise UsageError(str(exc)) from None
    for outcome in report.outcomes:
        if outcome.error is not None:
            ctx.out.write(f"{outcome.category}: FAILED: {outcome.error}\n")
        else:
            s = outcome.stats
            ctx.out.write(
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


@hookimpl
def mm_cli_commands() -> list[CliCommand]:
    return [CliCommand(("umdl",), "scan the master tree into the database", _run, _configure)]
