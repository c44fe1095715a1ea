"""``stats import`` and ``expire-stats``."""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path
from typing import Any

from mmcore.commands import CommandError
from mmcore.progress import Progress

from .accesslog import AccessLogError, read_access_log
from .common import locked, ops_config, summary


def stats_import(runtime: Any, args: argparse.Namespace) -> int:
    config = ops_config(runtime)

    def work() -> int:
        store = runtime.open_store()
        embargoed = set(config.embargoed_countries) | store.embargoed_countries()
        paths = [Path(name) for name in args.logs]
        logs = []
        for path in paths:
            with Progress(f"read {path.name}", None, stream=runtime.err) as progress:
                def advance(read: int, progress: Progress = progress) -> None:
                    progress.advance(read - progress.done, note="bytes decompressed")
                try:
                    logs.append(read_access_log(path, embargoed=embargoed, progress=advance))
                except AccessLogError as exc:
                    raise CommandError(str(exc)) from None
        unique = {log.digest: log for log in logs}
        outcome = store.import_access_logs(list(unique.values()), dry_run=args.dry_run)
        for log in logs:
            days = ", ".join(str(day) for day in sorted(log.counts)) or "none"
            print(f"{log.source}: {log.lines} lines, {log.garbage} garbage, days {days}",
                  file=runtime.out)
        summary(runtime, "stats-import", logs=len(logs), lines=sum(g.lines for g in logs),
                garbage=sum(g.garbage for g in logs), days=len(outcome.days),
                replaced=len(outcome.replaced), rows=outcome.rows_written,
                dry_run=args.dry_run)
        return 0

    return locked(runtime, "stats-import", work)


def expire_stats(runtime: Any, args: argparse.Namespace) -> int:
    config = ops_config(runtime)
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)

    def work() -> int:
        report = runtime.open_store().expire_statistics(
            (now - datetime.timedelta(days=config.access_stats_keep_days)).date(),
            now - datetime.timedelta(days=config.propagation_keep_days),
            dry_run=args.dry_run,
        )
        summary(runtime, "expire-stats", access_stats_deleted=report.access_stats_deleted,
                propagation_stats_deleted=report.propagation_stats_deleted,
                dry_run=args.dry_run)
        return 0

    return locked(runtime, "expire-stats", work)
