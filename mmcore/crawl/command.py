"""``mirrormanager crawl`` and ``crawl propagation``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

import attrs
import trio

from mmcore.commands import CommandError, UsageError
from mmcore.crawl.config import CrawlerConfig
from mmcore.crawl.display import LiveDisplay
from mmcore.crawl.protocol import CrawlProtocol
from mmcore.crawl.slices import Fraction, HostRange
from mmcore.crawl.store import CrawlStatus
from mmcore.events import CrawlFinished, CrawlStarted
from mmcore.joblock import run_locked
from mmcore.runtime import Runtime


def _protocols(runtime: Runtime) -> list[CrawlProtocol]:
    protocols = runtime.collect("mm_crawl_protocols")
    if not protocols:
        raise CommandError("no crawl protocol plugin is installed (mirrormanager-http, -rsync, -ftp)")
    return protocols


def _host_range(args: argparse.Namespace, child: bool) -> HostRange:
    """``--startid``/``--stopid``/``--fraction`` checked as MirrorManager2 checks them."""
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


def _child_argv(runtime: Runtime, args: argparse.Namespace, concurrencies: list[int],
                timeout: float) -> Callable[[int, int], list[str]]:
    """The command line of child ``index`` of ``--processes``: this command with every option
    passed through, ``--fraction index:N``, its share of ``--concurrency`` and the progress
    pipe."""
    head = [sys.executable, "-m", "mmcore.cli"]
    if runtime.config.source is not None:
        head += ["--config", str(runtime.config.source)]
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
    seconds = (summary.finished or time.monotonic()) - summary.started
    out.write(
        f"crawled {summary.hosts} hosts in {seconds:.1f}s"
        f"{f' ({processes} processes)' if processes > 1 else ''}: "
        f"{summary.count(CrawlStatus.OK)} ok, {summary.count(CrawlStatus.FAILURE)} failed, "
        f"{summary.count(CrawlStatus.TIMEOUT)} timed out, "
        f"{summary.count(CrawlStatus.UNKNOWN)} skipped, {len(summary.disabled)} disabled"
        f"{f', {len(summary.record_errors)} NOT RECORDED' if summary.record_errors else ''}"
        f"{' (dry run: nothing written)' if dry_run else ''}\n"
    )
    for result in sorted(summary.results, key=lambda r: r.host_id):
        if result.status is CrawlStatus.OK and not result.record_error:
            detail = (f"{result.up2date} up to date, {result.not_up2date} not, "
                      f"{result.unknown} unknown via {','.join(dict.fromkeys(result.protocols)) or '-'}")
        elif result.record_error:
            detail = f"crawled {result.status.value}, NOT RECORDED: {result.record_error}"
        else:
            detail = result.reason
        status = "error" if result.record_error else result.status.value
        out.write(f"  {result.host_id:>6} {result.host_name:<40} {status:<8} {detail}\n")


def _finished(summary, processes: int, part: str | None) -> CrawlFinished:
    """The :class:`CrawlFinished` of a crawl that ended with ``summary`` (``None``: it ended
    before it had one)."""
    if summary is None:
        return CrawlFinished(processes=processes, part=part)
    return CrawlFinished(
        processes=processes, part=part, hosts=summary.hosts,
        ok=summary.count(CrawlStatus.OK), failed=summary.count(CrawlStatus.FAILURE),
        timeout=summary.count(CrawlStatus.TIMEOUT), unknown=summary.count(CrawlStatus.UNKNOWN),
        disabled=len(summary.disabled),
        duration=(summary.finished or time.monotonic()) - summary.started,
    )


def _announced(runtime: Runtime, processes: int, part: str | None, dry_run: bool,
               run: Callable[[], Any], summary_of: Callable[[Any], Any]) -> Any:
    """``run()`` between :class:`CrawlStarted` and :class:`CrawlFinished` (announced also when
    it raises)."""
    runtime.announce(CrawlStarted(processes=processes, part=part, dry_run=dry_run,
                                  started_at=time.time()))
    result = None
    try:
        result = run()
    finally:
        runtime.announce(_finished(summary_of(result) if result is not None else None,
                                   processes, part))
    return result


def run_crawl(runtime: Runtime, args: argparse.Namespace) -> int:
    """One crawl at a time (the ``crawl`` job lock); a dry run writes nothing and a
    ``--processes`` child runs under its parent's lock, so neither takes it."""
    if args.dry_run or args.progress_fd is not None:
        return _crawl(runtime, args)
    return run_locked(runtime, "crawl", lambda: _crawl(runtime, args))


def _crawl(runtime: Runtime, args: argparse.Namespace) -> int:
    from mmcore.crawl.engine import ContinentFilter, CrawlOptions, crawl
    from mmcore.crawl.store import CrawlSelection

    config = runtime.section("crawler", CrawlerConfig)
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
    store = runtime.open_store()
    store.check_schema()
    if not hasattr(store, "select_crawl_hosts"):
        raise CommandError(f"the storage backend {type(store).__name__} has no crawler operations")
    if processes > 1:
        return _run_processes(runtime, args, processes, concurrency, timeout)
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
        log_dir=None if args.dry_run else config.log_path(runtime.config.data_dir),
        log_max_lines=config.log_max_lines,
    )
    settings = attrs.evolve(config, concurrency=concurrency)
    if child:
        return _run_child(runtime, store, settings, options, args.progress_fd, args.fraction)
    display = LiveDisplay(runtime.err)
    summary = _announced(runtime, 1, None, args.dry_run, lambda: trio.run(lambda: crawl(
        store, _protocols(runtime), settings, options, runtime=runtime, monitor=display,
    )), lambda summary: summary)
    _print_summary(runtime.out, summary, args.dry_run)
    if summary.record_errors:
        raise CommandError(f"{len(summary.record_errors)} hosts' results could not be recorded")
    return 0


def _run_child(runtime: Runtime, store, settings: CrawlerConfig, options,
               progress_fd: int, part: str) -> int:
    """A ``--processes`` child: crawl its fraction, progress and results as JSON lines to the
    parent, no display and no summary of its own."""
    from mmcore.crawl.engine import crawl
    from mmcore.crawl.processes import ParentGone, ProgressWriter, run_as_child

    writer = ProgressWriter(progress_fd)
    try:
        summary = _announced(runtime, int(part.split(":")[1]), part, options.dry_run,
                             lambda: trio.run(lambda: run_as_child(lambda: crawl(
                                 store, _protocols(runtime), settings, options,
                                 runtime=runtime, monitor=writer,
                             ))), lambda summary: summary)
    except ParentGone as exc:
        raise CommandError(str(exc)) from None
    finally:
        writer.close()
    if summary.record_errors:
        raise CommandError(f"{len(summary.record_errors)} hosts' results could not be recorded")
    return 0


def _run_processes(runtime: Runtime, args: argparse.Namespace, processes: int,
                   concurrency: int, timeout: float) -> int:
    """``--processes N``: N children, one display, one summary, the worst exit status."""
    from mmcore.crawl.processes import run_children, split_concurrency

    runtime.close()  # the children open their own connections; the parent needs none
    concurrencies = split_concurrency(concurrency, processes)
    display = LiveDisplay(runtime.err, parts=processes)
    outcome = _announced(runtime, processes, None, args.dry_run, lambda: trio.run(
        lambda: run_children(_child_argv(runtime, args, concurrencies, timeout),
                             concurrencies, timeout, display)
    ), lambda outcome: outcome.summary)
    display.finish()
    _print_summary(runtime.out, outcome.summary, args.dry_run, processes)
    for child in outcome.children:
        status = child.returncode
        if child.timed_out:
            runtime.err.write(f"mirrormanager: crawl process {child.label} passed its deadline "
                          "and was stopped\n")
        elif status:
            runtime.err.write(f"mirrormanager: crawl process {child.label} exited with status "
                          f"{status}\n")
    if outcome.summary.record_errors:
        runtime.err.write(f"mirrormanager: {len(outcome.summary.record_errors)} hosts' results "
                      "could not be recorded\n")
    if outcome.signal is not None:
        runtime.err.write("mirrormanager: interrupted\n")
    return outcome.exit_status


def run_propagation(runtime: Runtime, args: argparse.Namespace) -> int:
    """One propagation run at a time (the ``crawl-propagation`` job lock)."""
    if args.dry_run:
        return _propagation(runtime, args)
    return run_locked(runtime, "crawl-propagation", lambda: _propagation(runtime, args))


def _propagation(runtime: Runtime, args: argparse.Namespace) -> int:
    from mmcore.crawl.propagation import measure_propagation

    config = runtime.section("crawler", CrawlerConfig)
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
    store = runtime.open_store()
    store.check_schema()
    settings = attrs.evolve(config, concurrency=args.concurrency or config.concurrency)
    result = trio.run(lambda: measure_propagation(
        store, _protocols(runtime), settings, templates=templates,
        arch=config.propagation_arch, max_stale_days=config.max_stale_days, versions=versions,
        dry_run=args.dry_run,
    ))
    for repo, count in zip(result.repositories, result.counts, strict=True):
        runtime.out.write(f"{repo.prefix}: same day {count.same_day}, one day {count.one_day}, "
                      f"two days {count.two_day}, older {count.older}, no info {count.no_info}\n")
    if not result.repositories:
        runtime.out.write("no repository to measure (check [crawler] propagation_repos)\n")
    return 0
