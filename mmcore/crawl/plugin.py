"""The crawler's built-in plugin: the ``[crawler]`` section and the ``crawl`` commands."""

from __future__ import annotations

import argparse
import time
from typing import TextIO

from mmcore import hookimpl
from mmcore.commands import CliCommand, CommandContext, CommandError, UsageError
from mmcore.crawl.config import CrawlerConfig


@hookimpl
def mm_config_sections() -> dict[str, type]:
    return {"crawler": CrawlerConfig}


def _configure_crawl(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", action="append", type=int, default=[], metavar="ID",
                        help="crawl only this host id (repeatable)")
    parser.add_argument("--category", action="append", default=[], metavar="NAME",
                        help="crawl only this category (repeatable)")
    parser.add_argument("--continent", action="append", default=[], metavar="XX",
                        help="only hosts in this continent (AF AN AS EU NA OC SA); ^XX excludes")
    parser.add_argument("--include-private", action="store_true", help="also crawl private hosts")
    parser.add_argument("--include-disabled", action="store_true",
                        help="also crawl hosts that are disabled (user_active false)")
    parser.add_argument("--concurrency", type=int, metavar="N",
                        help="hosts crawled at once (default: [crawler] concurrency)")
    parser.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="deadline per host (default: [crawler] host_timeout)")
    parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")


def _configure_propagation(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--product", help="only this product (default: every product in "
                                          "[crawler] propagation_repos)")
    parser.add_argument("--version", help="only this version (needs --product)")
    parser.add_argument("--concurrency", type=int, metavar="N")
    parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")


def _protocols(ctx: CommandContext) -> list:
    protocols = [p for group in ctx.plugin_manager.hook.mm_crawl_protocols() for p in group]
    if not protocols:
        raise CommandError("no crawl protocol plugin is installed (mirrormanager-http, -rsync, -ftp)")
    return protocols


class LiveDisplay:
    """Hosts done / running / failed: one redrawn line on a terminal, a line every 10 s
    otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.total = 0
        self.running = 0
        self.done = 0
        self.failed = 0
        self.started_at = time.monotonic()
        self.last = 0.0

    def started(self, total: int) -> None:
        self.total = total
        self._show(force=True)

    def host_started(self, host: object) -> None:
        self.running += 1
        self._show()

    def host_finished(self, result) -> None:
        from mmcore.crawl.store import CrawlStatus

        self.running -= 1
        self.done += 1
        if result.status in (CrawlStatus.FAILURE, CrawlStatus.TIMEOUT) or result.record_error:
            self.failed += 1
        self._show(force=self.done == self.total)

    def _show(self, force: bool = False) -> None:
        now = time.monotonic()
        interval = 0.2 if self.tty else 10.0
        if not force and now - self.last < interval:
            return
        self.last = now
        line = (f"crawl: {self.done}/{self.total} hosts done, {self.running} running, "
                f"{self.failed} failed, {now - self.started_at:.0f}s")
        if self.tty:
            end = "\n" if self.done == self.total and force else ""
            self.stream.write("\r\x1b[K" + line + end)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _run_crawl(ctx: CommandContext, args: argparse.Namespace) -> int:
    import trio

    from mmcore.crawl.engine import CrawlOptions, crawl
    from mmcore.crawl.store import CrawlSelection, CrawlStatus

    config = ctx.config.section("crawler", CrawlerConfig)
    concurrency = args.concurrency or config.concurrency
    if concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    timeout = args.timeout if args.timeout is not None else config.host_timeout
    if timeout <= 0:
        raise UsageError("--timeout must be positive")
    store = ctx.open_store()
    if not hasattr(store, "select_crawl_hosts"):
        raise CommandError(f"the storage backend {type(store).__name__} has no crawler operations")
    options = CrawlOptions(
        selection=CrawlSelection(
            host_ids=tuple(args.host), categories=tuple(args.category),
            include_private=args.include_private, include_disabled=args.include_disabled,
        ),
        continents=tuple(args.continent),
        concurrency=concurrency,
        host_timeout=timeout,
        auto_disable=config.auto_disable,
        dry_run=args.dry_run,
        log_dir=None if args.dry_run else config.log_path(ctx.config.data_dir),
        log_max_lines=config.log_max_lines,
    )
    display = LiveDisplay(ctx.err)
    try:
        summary = trio.run(lambda: crawl(
            store, _protocols(ctx), config.limits(concurrency), options,
            hook=ctx.plugin_manager.hook, monitor=display,
        ))
    except ValueError as exc:  # e.g. an unknown continent
        raise UsageError(str(exc)) from None
    out = ctx.out
    seconds = (summary.finished or time.monotonic()) - summary.started
    out.write(
        f"crawled {summary.hosts} hosts in {seconds:.1f}s: "
        f"{summary.count(CrawlStatus.OK)} ok, {summary.count(CrawlStatus.FAILURE)} failed, "
        f"{summary.count(CrawlStatus.TIMEOUT)} timed out, "
        f"{summary.count(CrawlStatus.UNKNOWN)} skipped, {len(summary.disabled)} disabled"
        f"{' (dry run: nothing written)' if args.dry_run else ''}\n"
    )
    for result in sorted(summary.results, key=lambda r: r.host_id):
        if result.status is CrawlStatus.OK and not result.record_error:
            detail = (f"{result.up2date} up to date, {result.not_up2date} not, "
                      f"{result.unknown} unknown via {','.join(dict.fromkeys(result.protocols)) or '-'}")
        else:
            detail = result.record_error or result.reason
        out.write(f"  {result.host_id:>6} {result.host_name:<40} {result.status.value:<8} {detail}\n")
    if summary.record_errors:
        raise CommandError(f"{len(summary.record_errors)} hosts' results could not be recorded")
    return 0


def _run_propagation(ctx: CommandContext, args: argparse.Namespace) -> int:
    import trio

    from mmcore.crawl.propagation import measure_propagation

    config = ctx.config.section("crawler", CrawlerConfig)
    if args.version and not args.product:
        raise UsageError("--version needs --product")
    templates = dict(config.propagation_repos)
    versions = None
    if args.product:
        if args.product not in templates:
            raise UsageError(f"no repository template for product {args.product!r} in "
                             f"[crawler] propagation_repos (known: {', '.join(sorted(templates))})")
        templates = {args.product: templates[args.product]}
        if args.version:
            versions = [(args.product, args.version)]
    store = ctx.open_store()
    result = trio.run(lambda: measure_propagation(
        store, _protocols(ctx), config.limits(args.concurrency), templates=templates,
        arch=config.propagation_arch, max_stale_days=config.max_stale_days, versions=versions,
        dry_run=args.dry_run,
    ))
    for repo, count in zip(result.repositories, result.counts, strict=True):
        ctx.out.write(f"{repo.prefix}: same day {count.same_day}, one day {count.one_day}, "
                      f"two days {count.two_day}, older {count.older}, no info {count.no_info}\n")
    if not result.repositories:
        ctx.out.write("no repository to measure (check [crawler] propagation_repos)\n")
    return 0


@hookimpl
def mm_cli_commands() -> list[CliCommand]:
    return [
        CliCommand(("crawl",), "check mirrors over rsync, HTTP(S) and FTP; record which "
                   "directories are up to date", _run_crawl, _configure_crawl),
        CliCommand(("crawl", "propagation"), "record how far each release's newest "
                   "repomd.xml has spread", _run_propagation, _configure_propagation),
    ]
