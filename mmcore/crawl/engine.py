"""The crawl engine: which hosts, in what order, how many at once, until when; recording results.

One nursery owns the crawl.  Hosts are started slowest first (``last_crawl_duration``, as
MirrorManager2 orders them, for the shortest wall time); a :class:`trio.CapacityLimiter` bounds
how many are crawled at once; each host runs under its own deadline (``host_timeout``).  For each
host category the URLs are tried in protocol preference order (rsync, HTTP(S), FTP) until one
answers; the first protocol answer decides the category.

The expected state of a category's directories is read once per crawl from the store, page by
page, and shared read-only by every host carrying the category, so memory grows with the
categories, not with hosts times directories.  Each host's result is written in one transaction
as soon as the host is done (a database error leaves that host's previous state intact and is
reported), then announced through the event hooks.
"""

from __future__ import annotations

import datetime
import logging
import math
import time
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import attrs
import trio

from mmcore.crawl.config import CrawlerConfig
from mmcore.crawl.families import FamilyProbe, UrlFamilies
from mmcore.crawl.hostlog import HostLog
from mmcore.crawl.slices import HostRange
from mmcore.crawl.protocol import (
    CrawlProtocol,
    DirectoryExpectation,
    ProtocolSession,
)
from mmcore.crawl.store import (
    CategoryRecord,
    CrawlSelection,
    CrawlStatus,
    CrawlStore,
    HostCategoryTarget,
    HostCrawlRecord,
    HostRecordOutcome,
    HostTarget,
)
from mmcore.db import run_db
from mmcore.events import HostCrawled, HostDisabled
from mmcore.geo import CONTINENTS, country_continents
from mmcore.logs import kv

if TYPE_CHECKING:
    from mmcore.runtime import Runtime

log = logging.getLogger("mmcore.crawl")

DIRECTORY_PAGE = 2000


@attrs.frozen
class CrawlOptions:
    selection: CrawlSelection = CrawlSelection()
    #: ``--startid``/``--stopid``/``--fraction``: the part of the selected hosts crawled
    host_range: HostRange = HostRange()
    #: continent codes to crawl; ``^XX`` excludes one (MirrorManager2's ``--continent``)
    continents: tuple[str, ...] = ()
    concurrency: int = 50
    host_timeout: float = 900.0
    auto_disable: int = 4
    dry_run: bool = False
    #: where host logs go; ``None``: none written
    log_dir: Path | None = None
    log_max_lines: int = 5000


@attrs.frozen
class HostResult:
    host_id: int
    host_name: str
    status: CrawlStatus
    duration: float
    reason: str = ""
    up2date: int = 0
    not_up2date: int = 0
    unknown: int = 0
    categories_ok: int = 0
    categories_failed: int = 0
    #: URL used per checked category
    protocols: tuple[str, ...] = ()
    #: every URL check in order, ``scheme=ok`` or ``scheme=failed``
    checks: tuple[str, ...] = ()
    outcome: HostRecordOutcome | None = None
    #: the result could not be recorded (the database said why)
    record_error: str | None = None


@attrs.define
class CrawlSummary:
    hosts: int = 0
    started: float = attrs.field(factory=time.monotonic)
    finished: float | None = None
    results: list[HostResult] = attrs.field(factory=list)

    def count(self, status: CrawlStatus) -> int:
        """Hosts whose crawl ended with ``status`` and whose result was recorded."""
        return sum(1 for r in self.results if r.status is status and not r.record_error)

    @property
    def disabled(self) -> list[HostResult]:
        return [r for r in self.results if r.outcome is not None and r.outcome.disabled]

    @property
    def record_errors(self) -> list[HostResult]:
        return [r for r in self.results if r.record_error]


class CrawlMonitor:
    """Receives progress; the CLI's live display implements it.  The default does nothing."""

    def started(self, total: int) -> None: ...

    def host_started(self, host: HostTarget) -> None: ...

    def host_finished(self, result: HostResult) -> None: ...


class ContinentFilter:
    """MirrorManager2's ``--continent XX`` / ``^XX`` on the host's country."""

    def __init__(self, spec: Sequence[str], overrides: Mapping[str, str]) -> None:
        self.include = {c.upper() for c in spec if not c.startswith("^")}
        self.exclude = {c[1:].upper() for c in spec if c.startswith("^")}
        unknown = (self.include | self.exclude) - set(CONTINENTS) - {"--"}
        if unknown:
            raise ValueError(
                f"unknown continent {', '.join(sorted(unknown))} "
                f"(known: {', '.join(CONTINENTS)})"
            )
        self.table = {**country_continents(), **overrides}

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)

    def continent(self, country: str) -> str:
        return self.table.get(country.upper(), "--")

    def allows(self, country: str) -> bool:
        continent = self.continent(country)
        if continent in self.exclude:
            return False
        return not self.include or continent in self.include


class Expectations:
    """Each category's directories, read once per crawl and shared by every host."""

    def __init__(self, store: CrawlStore) -> None:
        self.store = store
        self._loaded: dict[int, tuple[DirectoryExpectation, ...]] = {}
        self._locks: dict[int, trio.Lock] = {}

    async def get(self, category_id: int) -> tuple[DirectoryExpectation, ...]:
        lock = self._locks.setdefault(category_id, trio.Lock())
        async with lock:
            if category_id not in self._loaded:
                self._loaded[category_id] = await self._load(category_id)
            return self._loaded[category_id]

    async def _load(self, category_id: int) -> tuple[DirectoryExpectation, ...]:
        directories: list[DirectoryExpectation] = []
        after = 0
        while True:
            page = await run_db(
                self.store, self.store.category_directories, category_id, after, DIRECTORY_PAGE
            )
            directories.extend(page)
            if len(page) < DIRECTORY_PAGE:
                break
            after = page[-1].directory_id
        directories.sort(key=lambda d: d.path)
        log.info(kv(event="category_loaded", category_id=category_id, directories=len(directories)))
        return tuple(directories)


class ProtocolTable:
    """URL scheme -> open protocol session (lowest preference wins a scheme)."""

    def __init__(self, protocols: Sequence[CrawlProtocol]) -> None:
        self.by_scheme: dict[str, CrawlProtocol] = {}
        for protocol in sorted(protocols, key=lambda p: p.preference, reverse=True):
            for scheme in protocol.schemes:
                self.by_scheme[scheme] = protocol
        self.sessions: dict[str, ProtocolSession] = {}

    async def open(self, stack: AsyncExitStack, limits: CrawlerConfig) -> None:
        opened: dict[int, ProtocolSession] = {}
        for scheme, protocol in self.by_scheme.items():
            if id(protocol) not in opened:
                opened[id(protocol)] = await stack.enter_async_context(protocol.session(limits))
            self.sessions[scheme] = opened[id(protocol)]

    def ordered(self, urls: Sequence[str]) -> list[tuple[str, CrawlProtocol]]:
        """The URLs this crawl can check, in preference order (then as given)."""
        usable = []
        for index, url in enumerate(urls):
            protocol = self.by_scheme.get(urlsplit(url).scheme.lower())
            if protocol is not None:
                usable.append((protocol.preference, index, url, protocol))
        return [(url, protocol) for _, _, url, protocol in sorted(usable, key=lambda u: u[:2])]


def stale_metadata_marks_repository(
    verdicts: tuple[tuple[int, str, bool | None], ...], host_log: Any = None
) -> tuple[tuple[int, str, bool | None], ...]:
    """A repository whose ``repodata/`` is out of date is out of date as a whole.

    ``/mirrorlist`` answers from the repository's own directory, ``/metalink`` from its
    ``repodata``; MirrorManager2 judged them separately, so a mirror with stale metadata stayed
    in mirrorlist answers.  Here the repository directory follows its ``repodata``.
    """
    stale_parents = {
        path.rpartition("/")[0]
        for _, path, up2date in verdicts
        if up2date is False and (path == "repodata" or path.endswith("/repodata"))
    }
    if not stale_parents:
        return verdicts
    marked = []
    for directory_id, path, up2date in verdicts:
        if up2date and path in stale_parents:
            up2date = False
            if host_log is not None:
                host_log.info(kv(event="directory", path=path, up2date=False,
                                 reason="repodata out of date"))
        marked.append((directory_id, path, up2date))
    return tuple(marked)


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Crawler:
    """One crawl.  ``await Crawler(...).run()`` returns the :class:`CrawlSummary`."""

    def __init__(
        self,
        store: CrawlStore,
        protocols: Sequence[CrawlProtocol],
        limits: CrawlerConfig,
        options: CrawlOptions,
        *,
        runtime: Runtime | None = None,
        monitor: CrawlMonitor | None = None,
    ) -> None:
        self.store = store
        self.table = ProtocolTable(protocols)
        self.limits = limits
        self.options = options
        self.runtime = runtime
        self.monitor = monitor or CrawlMonitor()
        self.expectations = Expectations(store)
        self.summary = CrawlSummary()
        #: one host's results are written at a time: writes are short, and SQLite allows only
        #: one writer (concurrent upgrades of read locks fail with "database is locked")
        self.record_lock = trio.Lock()

    async def run(self) -> CrawlSummary:
        hosts = await run_db(self.store, self.store.select_crawl_hosts, self.options.selection)
        if not self.options.host_range.everything:
            hosts = self.options.host_range.select(hosts)
        continents = ContinentFilter(
            self.options.continents,
            await run_db(self.store, self.store.continent_overrides)
            if self.options.continents else {},
        )
        self.summary.hosts = len(hosts)
        self.monitor.started(len(hosts))
        log.info(kv(event="crawl_started", hosts=len(hosts),
                    concurrency=self.options.concurrency, dry_run=self.options.dry_run))
        limiter = trio.CapacityLimiter(max(1, self.options.concurrency))
        async with AsyncExitStack() as stack:
            await self.table.open(stack, self.limits)
            async with trio.open_nursery() as nursery:
                for host in hosts:
                    # acquire before starting the task: at most `concurrency` host tasks exist
                    token = object()
                    await limiter.acquire_on_behalf_of(token)
                    nursery.start_soon(self._host_task, host, continents, limiter, token)
        self.summary.finished = time.monotonic()
        log.info(kv(event="crawl_finished", hosts=len(hosts),
                    ok=self.summary.count(CrawlStatus.OK),
                    failed=self.summary.count(CrawlStatus.FAILURE),
                    timeout=self.summary.count(CrawlStatus.TIMEOUT),
                    unknown=self.summary.count(CrawlStatus.UNKNOWN),
                    disabled=len(self.summary.disabled),
                    seconds=round(self.summary.finished - self.summary.started, 1)))
        return self.summary

    async def _host_task(
        self,
        host: HostTarget,
        continents: ContinentFilter,
        limiter: trio.CapacityLimiter,
        token: object,
    ) -> None:
        try:
            self.monitor.host_started(host)
            host_log = HostLog(host.id, host.name, self.options.log_max_lines)
            try:
                result, record = await self.crawl_host(host, continents, host_log)
            except Exception as exc:  # a bug or a store read failing: only this host is lost
                host_log.exception(kv(event="host_crashed", error=repr(exc)))
                result = HostResult(host.id, host.name, CrawlStatus.UNKNOWN, 0.0,
                                    reason=f"internal error: {exc!r}")
            else:
                result = await self._record(host, result, record, host_log)
            try:
                # a file write with fsyncs: off the event loop
                await trio.to_thread.run_sync(host_log.write, self.options.log_dir)
            except OSError as exc:
                log.warning(kv(event="host_log_not_written", host=host.id, error=exc))
            self.summary.results.append(result)
            self.monitor.host_finished(result)
            self._announce(result)
        finally:
            limiter.release_on_behalf_of(token)

    async def crawl_host(
        self, host: HostTarget, continents: ContinentFilter, host_log: HostLog
    ) -> tuple[HostResult, HostCrawlRecord]:
        """Check every category of ``host`` under its deadline; nothing is written here."""
        started = time.monotonic()
        host_log.info(kv(event="host_started", name=host.name, country=host.country,
                         categories=len(host.categories)))
        records: list[CategoryRecord] = []
        counts = {"up2date": 0, "not_up2date": 0, "unknown": 0}
        reasons: list[str] = []
        used: list[str] = []
        tried: list[str] = []
        families: list[UrlFamilies] = []
        succeeded = 0
        status: CrawlStatus | None = None

        if not host.categories:
            status, reasons = CrawlStatus.UNKNOWN, ["no categories to crawl"]
        elif continents and not continents.allows(host.country):
            status = CrawlStatus.UNKNOWN
            reasons = [f"continent {continents.continent(host.country)} not selected"]
        else:
            with trio.move_on_after(self.options.host_timeout) as scope:
                if self.limits.address_families:
                    await self._probe_families(host, families, host_log)
                for category in host.categories:
                    record, reason, url = await self._crawl_category(category, host_log, counts,
                                                                     tried)
                    if record is not None or category.always_up2date:
                        succeeded += 1
                    if record is not None:
                        records.append(record)
                        used.append(url)
                    if reason:
                        reasons.append(f"{category.category_name}: {reason}")
            if scope.cancelled_caught:
                status = CrawlStatus.TIMEOUT
                reasons.append(f"host timeout after {self.options.host_timeout:g}s")
                records = []
            elif succeeded:
                status = CrawlStatus.OK
            else:
                status = CrawlStatus.FAILURE

        duration = time.monotonic() - started
        reason = "; ".join(reasons)
        host_log.log(
            logging.INFO if status is CrawlStatus.OK else logging.WARNING,
            kv(event="host_crawled", status=status.value, seconds=round(duration, 2),
               up2date=counts["up2date"], not_up2date=counts["not_up2date"],
               unknown=counts["unknown"], reason=reason or "-"),
        )
        result = HostResult(
            host_id=host.id,
            host_name=host.name,
            status=status,
            duration=duration,
            reason=reason,
            up2date=counts["up2date"],
            not_up2date=counts["not_up2date"],
            unknown=counts["unknown"],
            categories_ok=succeeded,
            categories_failed=len(host.categories) - succeeded,
            protocols=tuple(urlsplit(u).scheme for u in used),
            checks=tuple(tried),
        )
        record = HostCrawlRecord(
            host_id=host.id,
            status=status,
            finished_at=_utcnow(),
            duration=math.ceil(duration),
            categories=tuple(records),
            auto_disable=self.options.auto_disable,
            reason=reason,
            protocols=" ".join(tried),
            url_families=tuple(families),
        )
        return result, record

    async def _probe_families(
        self, host: HostTarget, families: list[UrlFamilies], host_log: HostLog
    ) -> None:
        """Which address families each URL of ``host`` answers on (see
        :mod:`mmcore.crawl.families`); one probe per host name and port."""
        probe = FamilyProbe(self.limits.connect_timeout)
        urls = sorted({u for c in host.categories for u in c.urls})
        async with trio.open_nursery() as nursery:  # every endpoint at once: one timeout
            for url in urls:
                nursery.start_soon(probe.warm, url)
        for url in urls:
            answered = await probe.probe(url)  # from what warm() found
            if answered is None:
                continue
            families.append(answered)
            host_log.info(kv(event="address_families", url=url, ipv4=answered.ipv4,
                             ipv6=answered.ipv6))

    async def _crawl_category(
        self, category: HostCategoryTarget, host_log: HostLog, counts: dict[str, int],
        tried: list[str] | None = None,
    ) -> tuple[CategoryRecord | None, str, str]:
        """``(record or None, failure reason, URL used)``; each URL tried is appended to
        ``tried`` as ``scheme=ok`` or ``scheme=failed``."""
        tried = tried if tried is not None else []
        if category.always_up2date:
            host_log.info(kv(event="category_skipped", category=category.category_name,
                             reason="always_up2date"))
            return None, "", ""
        candidates = self.table.ordered(category.urls)
        if not candidates:
            return None, "no URL with a supported protocol", ""
        directories = await self.expectations.get(category.category_id)
        paths = {d.directory_id: d.path for d in directories}
        failures = []
        for url, protocol in candidates:
            session = self.table.sessions[urlsplit(url).scheme.lower()]
            host_log.info(kv(event="category_check", category=category.category_name, url=url,
                             protocol=protocol.name, directories=len(directories)))
            check = await session.check_category(url.rstrip("/"), directories, host_log)
            if check.failure is not None:
                failures.append(check.failure)
                tried.append(f"{urlsplit(url).scheme.lower()}=failed")
                continue
            tried.append(f"{urlsplit(url).scheme.lower()}=ok")
            verdicts = stale_metadata_marks_repository(
                tuple(
                    (v.directory_id, paths[v.directory_id], v.up2date)
                    for v in check.verdicts
                    if v.directory_id in paths
                ),
                host_log,
            )
            for _, _, up2date in verdicts:
                key = "unknown" if up2date is None else "up2date" if up2date else "not_up2date"
                counts[key] += 1
            return CategoryRecord(category.host_category_id, verdicts, complete=True), "", url
        return None, " | ".join(failures), ""

    async def _record(
        self, host: HostTarget, result: HostResult, record: HostCrawlRecord, host_log: HostLog
    ) -> HostResult:
        if self.options.dry_run or record.status is CrawlStatus.UNKNOWN:
            return result
        try:
            async with self.record_lock:
                outcome = await run_db(self.store, self.store.record_host_crawl, record)
        except Exception as exc:  # the store's errors: the host keeps its previous state
            host_log.error(kv(event="record_failed", error=str(exc) or type(exc).__name__))
            return attrs.evolve(result, record_error=str(exc) or type(exc).__name__)
        if outcome.disabled:
            host_log.warning(kv(event="host_disabled", failures=outcome.crawl_failures,
                                reason=outcome.disable_reason))
        return attrs.evolve(result, outcome=outcome)

    def _announce(self, result: HostResult) -> None:
        if self.runtime is None or self.options.dry_run or result.record_error:
            return
        if result.status is CrawlStatus.UNKNOWN:
            return
        self.runtime.announce(HostCrawled(
            host_id=result.host_id,
            host_name=result.host_name,
            status=result.status.value,
            directories_up2date=result.up2date,
            directories_not_up2date=result.not_up2date,
            directories_unknown=result.unknown,
            duration=result.duration,
            reason=result.reason or None,
            protocols=result.protocols,
            checks=result.checks,
            crawl_failures=result.outcome.crawl_failures if result.outcome is not None else None,
        ))
        if result.outcome is not None and result.outcome.disabled:
            self.runtime.announce(HostDisabled(
                host_id=result.host_id,
                host_name=result.host_name,
                reason=result.outcome.disable_reason or result.reason,
                site=result.outcome.site,
                host=result.outcome.host,
                crawled_at=time.time(),
            ))


async def crawl(
    store: CrawlStore,
    protocols: Sequence[CrawlProtocol],
    limits: CrawlerConfig,
    options: CrawlOptions,
    *,
    runtime: Runtime | None = None,
    monitor: CrawlMonitor | None = None,
) -> CrawlSummary:
    """Run one crawl (see :class:`Crawler`).

    :param runtime: announces :class:`HostCrawled` and :class:`HostDisabled` (``None``: no
        events, for tests and benchmarks driving the engine directly).
    """
    return await Crawler(store, protocols, limits, options, runtime=runtime,
                         monitor=monitor).run()
