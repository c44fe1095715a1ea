"""``netblocks update OUTPUT --rib FILE|URL...`` (see :mod:`.netblocks`)."""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from mmcore.commands import CommandError, UsageError
from mmcore.progress import Progress

from .common import locked, ops_config, summary
from .mrt import MrtError
from .netblocks import NetblockBuilder, NetblocksRefused, write_netblocks

DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=20.0)


@contextlib.contextmanager
def local_dump(source: str, workdir: Path, limit: int, runtime: Any) -> Iterator[Path]:
    """``source`` as a local file: itself, or downloaded into ``workdir`` (removed after)."""
    if not source.startswith(("http://", "https://")):
        yield Path(source)
        return
    with tempfile.NamedTemporaryFile(dir=workdir, prefix=".rib-", suffix=".mrt") as target:
        try:
            with httpx.stream("GET", source, timeout=DOWNLOAD_TIMEOUT,
                              follow_redirects=True) as response:
                if response.status_code != 200:
                    raise CommandError(f"{source}: HTTP {response.status_code}")
                length = response.headers.get("content-length")
                total = int(length) if length and length.isdigit() else None
                with Progress(f"download {source.rsplit('/', 1)[-1]}", total,
                              stream=runtime.err) as progress:
                    for chunk in response.iter_bytes(1 << 20):
                        progress.advance(len(chunk))
                        if progress.done > limit:
                            raise CommandError(f"{source}: larger than [ops] "
                                               f"netblocks_max_download ({limit} bytes)")
                        target.write(chunk)
        except httpx.HTTPError as exc:
            raise CommandError(f"{source}: download failed: {exc}") from None
        target.flush()
        yield Path(target.name)


def run(runtime: Any, args: argparse.Namespace) -> int:
    config = ops_config(runtime)
    sources = args.rib or list(config.netblock_ribs)
    if not sources:
        raise UsageError("no RIB dump: give --rib FILE|URL (or set [ops] netblock_ribs)")
    output = Path(args.output)

    def work() -> int:
        builder = NetblockBuilder(min_prefix_v4=config.min_prefix_v4,
                                  min_prefix_v6=config.min_prefix_v6)
        output.parent.mkdir(parents=True, exist_ok=True)
        for source in sources:
            with local_dump(source, output.parent, config.netblocks_max_download,
                            runtime) as path:
                with Progress(f"read {Path(source).name}", None, stream=runtime.err) as bar:
                    try:
                        builder.add_rib(path, progress=bar.advance)
                    except FileNotFoundError:
                        raise CommandError(f"{source}: no such file") from None
                    except MrtError as exc:
                        raise CommandError(f"{exc}; {output} left as it is") from None
        try:
            result = write_netblocks(output, builder, max_shrink=config.netblocks_max_shrink,
                                     force=args.force, dry_run=args.dry_run)
        except NetblocksRefused as exc:
            raise CommandError(str(exc)) from None
        summary(runtime, "netblocks-update", output=output, prefixes=result.written,
                ipv4=result.ipv4, ipv6=result.ipv6, duplicates=result.duplicates,
                bogons=result.bogons, too_broad=result.too_broad, no_origin=result.no_origin,
                previous=result.previous if result.previous is not None else "none",
                dry_run=args.dry_run)
        return 0

    return locked(runtime, "netblocks-update", work)
