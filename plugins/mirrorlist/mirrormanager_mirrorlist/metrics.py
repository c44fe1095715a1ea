"""The list server's metrics, counted cheaply: plain integers in a file each worker maps.

Every worker process owns one file in the run's metrics directory (made by :func:`run_directory`
when the server starts, removed when it stops) holding fixed slots of 64-bit integers
(:class:`Layout`): requests by endpoint, status and answering tier, latency and hosts-per-answer
histogram buckets, and a few values copied from the worker's state (cache generation, reloads,
connections).  Counting a request is five increments of a Python list, its histogram buckets
looked up in tables: no lock, no system call and no ``prometheus_client`` call on the answer
path.  The worker copies the list into its file every :data:`FLUSH_INTERVAL` seconds (and
before it answers a scrape itself).  A scrape of ``/metrics``, answered by whichever worker the
kernel hands the connection, reads every worker's file and sums them (``metrics_export.py``):
exact for the worker that answers, at most :data:`FLUSH_INTERVAL` behind for the others.

A worker that exits leaves its file: its counts stay in the totals (counters never go back),
its gauges are no longer reported.
"""

from __future__ import annotations

import contextlib
import itertools
import mmap
import os
import shutil
import tempfile
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from mirrormanager_mirrorlist.httpmessages import REASONS, Answer, Request

if TYPE_CHECKING:
    from mirrormanager_mirrorlist.app import ListService
    from mirrormanager_mirrorlist.httpserver import HttpServer
    from mirrormanager_mirrorlist.inputs import Inputs
    from mirrormanager_mirrorlist.config import MirrorlistConfig

#: written first in every worker file (format version 1)
MAGIC = 0x4D4C4D0001
ENDPOINTS = ("mirrorlist", "metalink", "healthz", "metrics", "other")
STATUSES = (*REASONS, 0)  # 0: any other status
TIERS = ("netblocks", "asn", "country", "geoip", "continent", "global", "none")
#: upper bounds (seconds) of the latency buckets; one more bucket for +Inf
LATENCY_BOUNDS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                  0.1, 0.25, 1.0)
#: upper bounds of the hosts-per-answer buckets; one more for +Inf
HOSTS_BOUNDS = (0, 1, 2, 3, 5, 10, 20, 50, 100)
#: seconds between two copies of the worker's counts (and state) into its file
FLUSH_INTERVAL = 0.05
#: latencies up to this many microseconds find their bucket in a table (slower ones bisect)
LATENCY_TABLE_MICROS = 10_000


class Slot:
    """Positions of the single values at the start of a worker file."""

    MAGIC = 0
    PID = 1
    #: 1 once the worker stopped cleanly
    STOPPED = 2
    #: the loaded cache: its creation time (the first part of its generation), its checksum
    #: (the second), when this worker loaded it (epoch seconds); 0: no cache loaded
    CACHE_TIME = 3
    CACHE_CHECKSUM = 4
    CACHE_LOADED_AT = 5
    RELOADS = 6
    RELOADS_REJECTED = 7
    HANDLER_ERRORS = 8
    EVICTED = 9
    OPEN_CONNECTIONS = 10
    COUNT = 16


@attrs.frozen
class Layout:
    """Where each counter lives in a worker file (the same in every worker of a run)."""

    requests: int = Slot.COUNT
    latency: int = requests + len(ENDPOINTS) * len(STATUSES) * len(TIERS)
    #: per endpoint: the buckets, then the sum in nanoseconds
    latency_stride: int = len(LATENCY_BOUNDS) + 2
    hosts: int = latency + len(ENDPOINTS) * latency_stride
    #: per endpoint: the buckets, then the sum of hosts
    hosts_stride: int = len(HOSTS_BOUNDS) + 2
    size: int = hosts + len(ENDPOINTS) * hosts_stride

    def request(self, endpoint: int, status: int, tier: int) -> int:
        return self.requests + (endpoint * len(TIERS) + tier) * len(STATUSES) + status


LAYOUT = Layout()
FILE_SIZE = LAYOUT.size * 8
_STATUS_INDEX = {status: index for index, status in enumerate(STATUSES)}
_TIER_INDEX = {tier: index for index, tier in enumerate(TIERS)}
_opened = itertools.count()
#: peers allowed to read /metrics when nothing else is configured


@contextlib.contextmanager
def run_directory(settings: MirrorlistConfig) -> Iterator[MirrorlistConfig]:
    """The settings with a fresh metrics directory for this run (when metrics are on and none
    is given), removed again when the server stops; shared memory when the system has it."""
    if not settings.metrics or settings.metrics_dir:
        yield settings
        return
    shm = Path("/dev/shm")
    base = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    directory = tempfile.mkdtemp(prefix="mirrorlist-metrics-", dir=base)
    try:
        yield attrs.evolve(settings, metrics_dir=directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


class WorkerCounts:
    """This worker's file, mapped: ``values[slot] += 1`` counts."""

    def __init__(self, directory: Path) -> None:
        # one file per server a process runs (tests and embedders may run several)
        self.path = directory / f"worker-{os.getpid()}-{next(_opened)}.counts"
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.ftruncate(fd, FILE_SIZE)
            self._map = mmap.mmap(fd, FILE_SIZE)
        finally:
            os.close(fd)
        self.values = memoryview(self._map).cast("q")
        self.values[Slot.PID] = os.getpid()
        self.values[Slot.MAGIC] = MAGIC

    def close(self) -> None:
        self.values[Slot.STOPPED] = 1
        self.values.release()
        self._map.close()


def _latency_buckets() -> list[int]:
    """Bucket of a latency by its microseconds rounded up: ``ns <= bound`` exactly when
    ``ceil(ns / 1000) <= bound_us``, the bounds being whole microseconds."""
    bounds = [round(bound * 1e6) for bound in LATENCY_BOUNDS]
    return [bisect_left(bounds, micros) for micros in range(LATENCY_TABLE_MICROS + 1)]


#: bucket of a hosts count, for counts up to the last bound
_HOSTS_BUCKETS = [bisect_left(HOSTS_BOUNDS, count) for count in range(HOSTS_BOUNDS[-1] + 1)]


class WorkerMetrics:
    """The counting of one worker: :meth:`wrap` the service's handler, run
    :meth:`flush_every`, :meth:`close` at the end."""

    def __init__(self, settings: MirrorlistConfig, inputs: Inputs, service: ListService) -> None:
        from mirrormanager_mirrorlist.metrics_export import Scraper

        assert settings.metrics_dir
        self.inputs = inputs
        self.service = service
        self.server: HttpServer | None = None
        self.counts = WorkerCounts(Path(settings.metrics_dir))
        #: the counters and histograms, counted here and copied to the file by :meth:`sync`
        self.counted = [0] * (LAYOUT.size - LAYOUT.requests)
        self.scraper = Scraper(Path(settings.metrics_dir), settings.metrics_allow)
        self._cache_generation: str | None = None
        self.sync()

    def wrap(self, answer: Callable[[Request], Answer]) -> Callable[[Request], Answer]:
        """``answer`` counted, and ``/metrics`` answered (before the service sees it).

        The answer path's cost: two clock reads, five list increments whose slots come from
        tables, no call besides ``answer`` (``bench/mirrorlist.py --features-ab 1
        --instructions N`` counts it)."""
        counts = self.counted
        service = self.service
        clock = time.perf_counter_ns
        first = LAYOUT.requests
        # every slot an answer touches, looked up rather than computed: per endpoint, the
        # request slots by tier name then HTTP status (0-599; STATUSES' catch-all slot for a
        # status it does not name), the histogram bucket slots by value, the sums
        endpoints = range(len(ENDPOINTS))
        shared: dict[int, int] = {}  # one int object per slot number in the big tables
        request_slots = [
            {tier: [shared.setdefault(v, v) for v in (
                LAYOUT.request(e, _STATUS_INDEX.get(status, _STATUS_INDEX[0]), t) - first
                for status in range(600))]
             for tier, t in _TIER_INDEX.items()}
            for e in endpoints
        ]
        latency_base = [LAYOUT.latency - first + e * LAYOUT.latency_stride for e in endpoints]
        hosts_base = [LAYOUT.hosts - first + e * LAYOUT.hosts_stride for e in endpoints]
        slow_bounds = [round(bound * 1e9) for bound in LATENCY_BOUNDS]
        # per endpoint, unpacked in one step: request slots, latency bucket slots by
        # microseconds (up to LATENCY_TABLE_MICROS), the latency buckets' base and sum slot,
        # hosts bucket slots by count (up to the last bound), the +Inf and the sum slot
        tables = [
            (request_slots[e],
             [shared.setdefault(latency_base[e] + b, latency_base[e] + b)
              for b in _latency_buckets()],
             latency_base[e], latency_base[e] + len(LATENCY_BOUNDS) + 1,
             [hosts_base[e] + b for b in _HOSTS_BUCKETS],
             hosts_base[e] + len(HOSTS_BOUNDS), hosts_base[e] + len(HOSTS_BOUNDS) + 1)
            for e in endpoints
        ]
        exact_paths = {"/mirrorlist": 0, "/metalink": 1, "/healthz": 2, "/metrics": 3}.get
        scrape = self.scrape

        def counted(request: Request) -> Answer:
            started = clock()
            path = request.path
            endpoint = exact_paths(path)
            if endpoint is None:
                endpoint = (0 if path.endswith("/mirrorlist")
                            else 1 if path.endswith("/metalink") else 4)
            service.last_choice = None
            result = scrape(request) if endpoint == 3 else answer(request)
            elapsed = clock() - started
            by_tier, latency, slow_base, latency_sum, hosts, hosts_over, hosts_sum = \
                tables[endpoint]
            choice = service.last_choice
            if choice is None:
                statuses = by_tier["none"]
            else:
                statuses = by_tier[choice.tier]
                count = len(choice.hosts) if choice.bases is None else service.last_listed
                try:
                    counts[hosts[count]] += 1
                except IndexError:  # more than the last bound
                    counts[hosts_over] += 1
                counts[hosts_sum] += count
            try:
                counts[statuses[result.status]] += 1
            except IndexError:  # not an HTTP status: the catch-all
                counts[statuses[0]] += 1
            try:
                counts[latency[(elapsed + 999) // 1000]] += 1  # microseconds, rounded up
            except IndexError:  # slower than the table: bisect
                counts[slow_base + bisect_left(slow_bounds, elapsed)] += 1
            counts[latency_sum] += elapsed
            return result

        return counted

    def scrape(self, request: Request) -> Answer:
        """``/metrics``: every worker's counts summed, in Prometheus' text format (404 for a
        peer not allowed to read them, as for any unknown path)."""
        if not self.scraper.allows(request.peer):
            from mirrormanager_mirrorlist.app import NOT_OUR_KIND

            return Answer(404, None, NOT_OUR_KIND)
        self.sync()
        content_type, body = self.scraper.exposition()
        return Answer(200, content_type, body)

    def sync(self) -> None:
        """Copy the counts and the worker's slow-changing state (cache, reloads, connections)
        to its file."""
        values = self.counts.values
        values[LAYOUT.requests:] = array("q", self.counted)
        index = self.inputs.index
        generation = index.generation if index is not None else None
        if generation != self._cache_generation:
            self._cache_generation = generation
            if index is not None:
                created, _, checksum = generation.partition("-")
                values[Slot.CACHE_TIME] = int(created)
                values[Slot.CACHE_CHECKSUM] = int(checksum, 16)
                values[Slot.CACHE_LOADED_AT] = int(time.time())
        values[Slot.RELOADS] = self.inputs.reloads
        values[Slot.RELOADS_REJECTED] = self.inputs.rejected
        server = self.server
        if server is not None:
            values[Slot.HANDLER_ERRORS] = server.errors
            values[Slot.EVICTED] = server.evicted
            values[Slot.OPEN_CONNECTIONS] = server.open_connections

    async def flush_every(self, interval: float = FLUSH_INTERVAL) -> None:
        import trio

        while True:
            await trio.sleep(interval)
            self.sync()

    def close(self) -> None:
        self.sync()
        self.counts.close()
