"""``mirrormanager cache write [-o FILE] [--format NAME]``: run a cache writer, then announce it."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import trio

from mmcore.cache import CacheSource, CacheWriteError, CacheWriter
from mmcore.commands import CliCommand, CommandContext, CommandError, UsageError

log = logging.getLogger(__name__)

DEFAULT_FORMAT = "protobuf"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="where to write the cache (default: [mirrorlist] cache_path)",
    )
    parser.add_argument(
        "--format",
        default=DEFAULT_FORMAT,
        metavar="NAME",
        help=f"cache writer to use (default: {DEFAULT_FORMAT}; see `mirrormanager plugins`)",
    )


def find_writer(ctx: CommandContext, name: str) -> CacheWriter:
    writers = [w for batch in ctx.plugin_manager.hook.mm_cache_writers() for w in batch]
    for writer in writers:
        if writer.name == name:
            return writer
    known = ", ".join(sorted(w.name for w in writers)) or "none installed"
    raise UsageError(f"unknown cache format {name!r} (available: {known})")


def run(ctx: CommandContext, args: argparse.Namespace) -> int:
    writer = find_writer(ctx, args.format)
    store = ctx.open_store()
    if not isinstance(store, CacheSource):
        raise CommandError(f"the storage backend {type(store).__name__} cannot feed cache writers")
    path = Path(args.output) if args.output else writer.default_path(ctx.config)
    try:
        result = trio.run(writer.write, store, path, ctx.config)
    except CacheWriteError as exc:
        raise CommandError(str(exc)) from None
    from mmcore.events import CacheWritten

    ctx.plugin_manager.hook.mm_event_cache_written(
        event=CacheWritten(
            writer=writer.name,
            path=str(result.path),
            size=result.bytes,
            generation=result.generation,
            duration=result.seconds,
        )
    )
    print(
        f"wrote {result.path} ({result.bytes} bytes, format {writer.name}, "
        f"generation {result.generation}) in {result.seconds:.1f}s",
        file=ctx.out,
    )
    return 0


def cache_write_command() -> CliCommand:
    return CliCommand(
        path=("cache", "write"),
        help="write the list-server cache atomically",
        run=run,
        configure=configure,
    )
