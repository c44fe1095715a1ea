"""The list server's metrics, counted cheaply: plain integers in a file each worker maps.

Every worker process owns one file in the run's metrics directory (made by :func:`run_directory`
when the server starts, removed when it stops) holding fixed slots of 64-bit integers
(:class:`Layout`): requests by endpoint, status and answering tier, latency and hosts-per-answer
histogram buckets, and a few values copied from the worker's state once a second (cache
generation, reloads, connections).  Counting a request is a few list-like increments on a
``memoryview`` of the shared mapping: no lock (each file has one writer) and no
``prometheus_client`` call on the answer path.  A scrape of ``/metrics``, answered by whichever
worker the kernel hands the connection, reads every worker's file and sums them
(``metrics_export.py``), so the values are exact across workers at the moment of the scrape.

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
#: seconds between two copies of the worker's slow-changing state into its file
SYNC_INTERVAL = 1.0


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


class WorkerMetrics:
    """The counting of one worker: :meth:`wrap` the service's handler, run :meth:`sync_every`,
    :meth:`close` at the end."""

    def __init__(self, settings: MirrorlistConfig, inputs: Inputs, service: ListService) -> None:
        from mirrormanager_mirrorlist.metrics_export import Scraper

        assert settings.metrics_dir
        self.inputs = inputs
        self.service = service
        self.server: HttpServer | None = None
        self.counts = WorkerCounts(Path(settings.metrics_dir))
        self.scraper = Scraper(Path(settings.metrics_dir), settings.metrics_allow)
        self._cache_generation: str | None = None
        self.sync()

    def wrap(self, answer: Callable[[Request], Answer]) -> Callable[[Request], Answer]:
        """``answer`` counted, and ``/metrics`` answered (before the service sees it).

        The answer path's cost: two clock reads, five increments, two bisections, no call
        besides ``answer`` (``bench/mirrorlist.py --inprocess`` measures it)."""
        values = self.counts.values
        service = self.service
        clock = time.perf_counter
        status_offset = _STATUS_INDEX.get
        other_status = _STATUS_INDEX[0]
        tier_offset = {tier: LAYOUT.request(0, 0, t) - LAYOUT.requests
                       for tier, t in _TIER_INDEX.items()}.__getitem__
        none_tier = tier_offset("none")
        base_of = [LAYOUT.request(e, 0, 0) for e in range(len(ENDPOINTS))]
        latency_of = [LAYOUT.latency + e * LAYOUT.latency_stride for e in range(len(ENDPOINTS))]
        latency_sum = len(LATENCY_BOUNDS) + 1
        hosts_of = [LAYOUT.hosts + e * LAYOUT.hosts_stride for e in range(len(ENDPOINTS))]
        hosts_sum = len(HOSTS_BOUNDS) + 1
        scrape = self.scrape

        def counted(request: Request) -> Answer:
            started = clock()
            path = request.path
            if path.endswith("/mirrorlist"):
                endpoint = 0
            elif path.endswith("/metalink"):
                endpoint = 1
            else:
                endpoint = 2 if path == "/healthz" else 3 if path == "/metrics" else 4
            service.last_choice = None
            result = scrape(request) if endpoint == 3 else answer(request)
            elapsed = clock() - started
            choice = service.last_choice
            if choice is None:
                slot = base_of[endpoint] + none_tier
            else:
                slot = base_of[endpoint] + tier_offset(choice.tier)
                bases = choice.bases
                count = len(choice.hosts) if bases is None else len(bases) - bases.count("")
                base = hosts_of[endpoint]
                values[base + bisect_left(HOSTS_BOUNDS, count)] += 1
                values[base + hosts_sum] += count
            values[slot + status_offset(result.status, other_status)] += 1
            base = latency_of[endpoint]
            values[base + bisect_left(LATENCY_BOUNDS, elapsed)] += 1
            values[base + latency_sum] += int(elapsed * 1e9)
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
        """Copy the worker's slow-changing state (cache, reloads, connections) to its file."""
        values = self.counts.values
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

    async def sync_every(self, interval: float = SYNC_INTERVAL) -> None:
        import trio

        while True:
            await trio.sleep(interval)
            self.sync()

    def close(self) -> None:
        self.sync()
        self.counts.close()
