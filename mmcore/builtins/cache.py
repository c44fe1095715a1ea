"""``mirrormanager cache write [-o FILE] [--format NAME]``: run the installed cache writers,
then announce each file written."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from mmcore.cache import CacheWriteError, CacheWriter
from mmcore.commands import CommandError, UsageError
from mmcore.events import CacheWritten
from mmcore.joblock import run_locked
from mmcore.logs import kv
from mmcore.runtime import Runtime

log = logging.getLogger(__name__)


def select_writers(installed: list[CacheWriter], names: list[str]) -> list[CacheWriter]:
    """The writers named (in the order given), or every installed one when none is named.

    :raises UsageError: an unknown name, or no writer installed.
    """
    by_name = {writer.name: writer for writer in installed}
    if not by_name:
        raise UsageError("no cache writer is installed (mirrormanager-mirrorlist provides "
                         "the protobuf cache of the list server)")
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise UsageError(f"unknown cache format {', '.join(map(repr, unknown))} "
                         f"(available: {', '.join(sorted(by_name))})")
    return [by_name[name] for name in dict.fromkeys(names)] if names else [
        by_name[name] for name in sorted(by_name)
    ]


def run(runtime: Runtime, args: argparse.Namespace) -> int:
    """One cache write at a time (the ``cache-write`` job lock)."""
    return run_locked(runtime, "cache-write", lambda: _write(runtime, args))


def _write(runtime: Runtime, args: argparse.Namespace) -> int:
    import trio

    writers = select_writers(runtime.collect("mm_cache_writers"), args.format)
    if args.output and len(writers) > 1:
        raise UsageError(f"-o names one file, but {len(writers)} writers would run "
                         f"({', '.join(w.name for w in writers)}); choose one with --format")
    for writer in writers:
        path = Path(args.output) if args.output else writer.default_path(runtime)
        try:
            result = trio.run(writer.write, runtime, path)
        except CacheWriteError as exc:
            raise CommandError(f"cache {writer.name}: {exc}") from None
        log.info(kv(event="cache_written", writer=writer.name, path=result.path,
                    bytes=result.bytes, generation=result.generation,
                    seconds=f"{result.seconds:.2f}"))
        runtime.announce(CacheWritten(
            writer=writer.name, path=str(result.path), size=result.bytes,
            generation=result.generation, duration=result.seconds,
        ))
        print(f"wrote {result.path} ({result.bytes} bytes, format {writer.name}, "
              f"generation {result.generation}) in {result.seconds:.1f}s", file=runtime.out)
    return 0
