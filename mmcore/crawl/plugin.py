"""The crawler's built-in plugin: the ``[crawler]`` section and the ``crawl`` commands."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from mmcore import hookimpl
from mmcore.commands import CliCommand, CommandContext, CommandError, UsageError
from mmcore.crawl.config import CrawlerConfig

if TYPE_CHECKING:
    from mmcore.crawl.slices import HostRange


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
    parser.add_argument("--startid", type=int, default=0, metavar="ID",
                        help="crawl only hosts with id >= ID")
    parser.add_argument("--stopid", type=int, default=0, metavar="ID",
                        help="crawl only hosts with id < ID (0: no limit)")
    parser.add_argument("-f", "--fraction", metavar="A:B",
                        help="crawl the A-th of B contiguous slices of the selected hosts' "
                             "sorted ids (1:2 the first half, 2:3 the middle third); not with "
                             "--startid/--stopid")
    parser.add_argument("--processes", type=int, metavar="N",
                        help="split the crawl over N processes, each a --fraction i:N with its "
                             "share of --concurrency (default: [crawler] processes)")
    # a --processes child: progress and results as JSON lines on this file descriptor
    parser.add_argument("--progress-fd", type=int, help=argparse.SUPPRESS)


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
    otherwise.

    With ``--processes N`` the parent feeds it the children's progress: ``parts`` children each
    call :meth:`started` with the total so far, and the line is final only when all have."""

    def __init__(self, stream: TextIO, parts: int = 1) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.total = 0
        self.running = 0
        self.done = 0
        self.failed = 0
        self.pending_parts = parts
        self.ended = False
        self.started_at = time.monotonic()
        self.last = 0.0

    def started(self, total: int) -> None:
        self.total = total
        self.pending_parts = max(0, self.pending_parts - 1)
        self._show(force=True)

    def host_started(self, host: object) -> None:
        self.running += 1
        self._show()

    def host_finished(self, result) -> None:
        from mmcore.crawl.store import CrawlStatus

        self.running = max(0, self.running - 1)
        self.done += 1
        if result.status in (CrawlStatus.FAILURE, CrawlStatus.TIMEOUT) or result.record_error:
            self.failed += 1
        self._show(force=self._complete())

    def finish(self) -> None:
        """The last line, if the crawl ended before every host was reported (interrupted)."""
        if not self.ended:
            self.pending_parts = 0
            self.running = 0
            self._show(force=True, end=True)

    def _complete(self) -> bool:
        return self.pending_parts == 0 and self.done >= self.total

    def _show(self, force: bool = False, end: bool = False) -> None:
        now = time.monotonic()
        interval = 0.2 if self.tty else 10.0
        if not force and now - self.last < interval:
            return
        self.last = now
        end = end or self._complete()
        self.ended = self.ended or end
        line = (f"crawl: {self.done}/{self.total} hosts done, {self.running} running, "
                f"{self.failed} failed, {now - self.started_at:.0f}s")
        if self.tty:
            self.stream.write("\r\x1b[K" + line + ("\n" if end else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _host_range(args: argparse.Namespace, child: bool) -> HostRange:
    """``--startid``/``--stopid``/``--fraction`` checked as MirrorManager2 checks them."""
    from mmcore.crawl.slices import Fraction, HostRange

    try:
        fraction = Fraction.parse(args.fraction) if args.fraction else Fraction(1, 1)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.startid < 0 or args.stopid < 0:
        raise UsageError("--startid and --stopid must not be negative")
    if args.stopid and args.stopid <= args.startid:
        raise UsageError(f"--stopid {args.stopid} must be greater than --startid "
                         f"{args.startid} (the range is [startid, stopid))")
    # a --processes child gets the user's id range and its fraction of it
    if not fraction.whole and (args.startid or args.stopid) and not child:
        raise UsageError("--fraction cannot be used with --startid or --stopid")
    return HostRange(start_id=args.startid, stop_id=args.stopid, fraction=fraction)


def _child_argv(ctx: CommandContext, args: argparse.Namespace, concurrencies: list[int],
                timeout: float) -> Callable[[int, int], list[str]]:
    """The command line of child ``index`` of ``--processes``: this command with every option
    passed through, ``--fraction index:N``, its share of ``--concurrency`` and the progress
    pipe."""
    head = [sys.executable, "-m", "mmcore.cli"]
    if ctx.config.source is not None:
        head += ["--config", str(ctx.config.source)]
    elif args.config:
        head += ["--config", args.config]
    head += ["-v"] * (args.verbose or 0) + (["-q"] if args.quiet else [])
    options = ["crawl", "--timeout", repr(timeout)]
    for host in args.host:
        options += ["--host", str(host)]
    for category in args.category:
        options += ["--category", category]
    for continent in args.continent:
        options += [f"--continent={continent}"]  # "=": a value may start with ^
    options += ["--include-private"] * args.include_private
    options += ["--include-disabled"] * args.include_disabled
    options += ["--dry-run"] * args.dry_run
    if args.startid:
        options += ["--startid", str(args.startid)]
    if args.stopid:
        options += ["--stopid", str(args.stopid)]

    def argv_for(index: int, progress_fd: int) -> list[str]:
        return head + options + [
            "--fraction", f"{index}:{len(concurrencies)}",
            "--concurrency", str(concurrencies[index - 1]),
            "--processes", "1", "--progress-fd", str(progress_fd),
        ]

    return argv_for


def _print_summary(out: TextIO, summary, dry_run: bool, processes: int = 1) -> None:
    from mmcore.crawl.store import CrawlStatus

    seconds = (summary.finished or time.monotonic()) - summary.started
    out.write(
        f"crawled {summary.hosts} hosts in {seconds:.1f}s"
        f"{f' ({processes} processes)' if processes > 1 else ''}: "
        f"{summary.count(CrawlStatus.OK)} ok, {summary.count(CrawlStatus.FAILURE)} failed, "
        f"{summary.count(CrawlStatus.TIMEOUT)} timed out, "
        f"{summary.count(CrawlStatus.UNKNOWN)} skipped, {len(summary.disabled)} disabled"
        f"{' (dry run: nothing written)' if dry_run else ''}\n"
    )
    for result in sorted(summary.results, key=lambda r: r.host_id):
        if result.status is CrawlStatus.OK and not result.record_error:
            detail = (f"{result.up2date} up to date, {result.not_up2date} not, "
                      f"{result.unknown} unknown via {','.join(dict.fromkeys(result.protocols)) or '-'}")
        else:
            detail = result.record_error or result.reason
        out.write(f"  {result.host_id:>6} {result.host_name:<40} {result.status.value:<8} {detail}\n")


def _run_crawl(ctx: CommandContext, args: argparse.Namespace) -> int:
    import trio

    from mmcore.crawl.engine import ContinentFilter, CrawlOptions, crawl
    from mmcore.crawl.store import CrawlSelection

    config = ctx.config.section("crawler", CrawlerConfig)
    child = args.progress_fd is not None
    concurrency = args.concurrency or config.concurrency
    if concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    timeout = args.timeout if args.timeout is not None else config.host_timeout
    if timeout <= 0:
        raise UsageError("--timeout must be positive")
    processes = 1 if child else (args.processes if args.processes is not None else config.processes)
    if processes < 1:
        raise UsageError("--processes must be at least 1")
    host_range = _host_range(args, child)
    if processes > 1:
        if not host_range.fraction.whole:
            raise UsageError("--fraction cannot be used with --processes (which splits the "
                             "hosts into fractions itself)")
        if processes > concurrency:
            raise UsageError(f"--processes {processes} needs --concurrency of at least "
                             f"{processes} (hosts crawled at once, shared by the processes)")
    try:
        ContinentFilter(args.continent, {})  # checked here, before any child starts
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    store = ctx.open_store()
    if not hasattr(store, "select_crawl_hosts"):
        raise CommandError(f"the storage backend {type(store).__name__} has no crawler operations")
    if processes > 1:
        return _run_processes(ctx, args, processes, concurrency, timeout)
    options = CrawlOptions(
        selection=CrawlSelection(
            host_ids=tuple(args.host), categories=tuple(args.category),
            include_private=args.include_private, include_disabled=args.include_disabled,
        ),
        host_range=host_range,
        continents=tuple(args.continent),
        concurrency=concurrency,
        host_timeout=timeout,
        auto_disable=config.auto_disable,
        dry_run=args.dry_run,
        log_dir=None if args.dry_run else config.log_path(ctx.config.data_dir),
        log_max_lines=config.log_max_lines,
    )
    if child:
        return _run_child(ctx, store, config, options, args.progress_fd)
    display = LiveDisplay(ctx.err)
    summary = trio.run(lambda: crawl(
        store, _protocols(ctx), config.limits(concurrency), options,
        hook=ctx.plugin_manager.hook, monitor=display,
    ))
    _print_summary(ctx.out, summary, args.dry_run)
    if summary.record_errors:
        raise CommandError(f"{len(summary.record_errors)} hosts' results could not be recorded")
    return 0


def _run_child(ctx: CommandContext, store, config: CrawlerConfig, options, progress_fd: int) -> int:
    """A ``--processes`` child: crawl its fraction, progress and results as JSON lines to the
    parent, no display and no summary of its own."""
    import trio

    from mmcore.crawl.engine import crawl
    from mmcore.crawl.processes import ParentGone, ProgressWriter, run_as_child

    writer = ProgressWriter(progress_fd)
    try:
        summary = trio.run(lambda: run_as_child(lambda: crawl(
            store, _protocols(ctx), config.limits(options.concurrency), options,
            hook=ctx.plugin_manager.hook, monitor=writer,
        )))
    except ParentGone as exc:
        raise CommandError(str(exc)) from None
    finally:
        writer.close()
    if summary.record_errors:
        raise CommandError(f"{len(summary.record_errors)} hosts' results could not be recorded")
    return 0


def _run_processes(ctx: CommandContext, args: argparse.Namespace, processes: int,
                   concurrency: int, timeout: float) -> int:
    """``--processes N``: N children, one display, one summary, the worst exit status."""
    import trio

    from mmcore.crawl.processes import run_children, split_concurrency

    ctx.close()  # the children open their own connections; the parent needs none
    concurrencies = split_concurrency(concurrency, processes)
    display = LiveDisplay(ctx.err, parts=processes)
    outcome = trio.run(lambda: run_children(
        _child_argv(ctx, args, concurrencies, timeout), concurrencies, timeout, display,
    ))
    display.finish()
    _print_summary(ctx.out, outcome.summary, args.dry_run, processes)
    for child in outcome.children:
        status = child.returncode
        if child.timed_out:
            ctx.err.write(f"mirrormanager: crawl process {child.label} passed its deadline "
                          "and was stopped\n")
        elif status:
            ctx.err.write(f"mirrormanager: crawl process {child.label} exited with status "
                          f"{status}\n")
    if outcome.summary.record_errors:
        ctx.err.write(f"mirrormanager: {len(outcome.summary.record_errors)} hosts' results "
                      "could not be recorded\n")
    if outcome.signal is not None:
        ctx.err.write("mirrormanager: interrupted\n")
    return outcome.exit_status


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
