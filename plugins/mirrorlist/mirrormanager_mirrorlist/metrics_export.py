"""``/metrics``: every worker's counts (``metrics.py``) read, summed and written in Prometheus'
text format with ``prometheus_client``.

Counters and histograms are summed over every file of the run, those of exited workers too;
gauges (the loaded cache, open connections) come from the live workers, one series per worker
(label ``pid``) where they can differ.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.utils import floatToGoString

from mirrormanager_mirrorlist.metrics import (
    ENDPOINTS,
    FILE_SIZE,
    HOSTS_BOUNDS,
    LATENCY_BOUNDS,
    LAYOUT,
    MAGIC,
    STATUSES,
    TIERS,
    Slot,
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_workers(directory: Path) -> list[tuple[memoryview, bool]]:
    """Each worker file of the run: its values and whether the worker still serves."""
    workers = []
    for path in sorted(directory.glob("worker-*.counts")):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if len(data) != FILE_SIZE:
            continue
        values = memoryview(data).cast("q")
        if values[Slot.MAGIC] != MAGIC:
            continue
        workers.append((values, not values[Slot.STOPPED] and _alive(values[Slot.PID])))
    return workers


def _histogram(name: str, documentation: str, workers: Sequence[memoryview], start: int,
               stride: int, bounds: Sequence[float], endpoints: Sequence[int],
               scale: float) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation, labels=["endpoint"])
    for endpoint in endpoints:
        base = start + endpoint * stride
        sums = [sum(v[base + i] for v in workers) for i in range(len(bounds) + 2)]
        cumulative, buckets = 0, []
        for bound, count in zip([*map(floatToGoString, bounds), "+Inf"], sums, strict=False):
            cumulative += count
            buckets.append((bound, cumulative))
        family.add_metric([ENDPOINTS[endpoint]], buckets, sums[-1] * scale)
    return family


def collect(directory: Path, now: float | None = None) -> Iterator[Metric]:
    """The run's metrics, from every worker file in ``directory``."""
    now = time.time() if now is None else now
    workers = read_workers(directory)
    every = [values for values, _ in workers]
    live = [values for values, alive in workers if alive]

    requests = CounterMetricFamily(
        "mirrorlist_requests", "Requests answered, by endpoint, HTTP status and the tier the "
        "first host of the answer came from", labels=["endpoint", "status", "tier"])
    for e, endpoint in enumerate(ENDPOINTS):
        for s, status in enumerate(STATUSES):
            for t, tier in enumerate(TIERS):
                slot = LAYOUT.request(e, s, t)
                total = sum(v[slot] for v in every)
                if total:
                    requests.add_metric([endpoint, str(status or "other"), tier], total)
    yield requests
    yield _histogram(
        "mirrorlist_request_duration_seconds", "Time to compute an answer in the worker "
        "(request parsed to answer made, without the network)", every, LAYOUT.latency,
        LAYOUT.latency_stride, LATENCY_BOUNDS, range(len(ENDPOINTS)), 1e-9)
    yield _histogram(
        "mirrorlist_answer_hosts", "Hosts the selection put in an answer (answers that made "
        "a selection)", every, LAYOUT.hosts, LAYOUT.hosts_stride, HOSTS_BOUNDS, (0, 1), 1.0)

    reloads = CounterMetricFamily(
        "mirrorlist_cache_reloads", "Cache reloads per worker: a new generation swapped in "
        "(ok) or the file rejected (rejected), summed over the workers", labels=["result"])
    reloads.add_metric(["ok"], sum(v[Slot.RELOADS] for v in every))
    reloads.add_metric(["rejected"], sum(v[Slot.RELOADS_REJECTED] for v in every))
    yield reloads
    yield CounterMetricFamily(
        "mirrorlist_handler_errors", "Answers that failed inside the server (answered 500)",
        value=sum(v[Slot.HANDLER_ERRORS] for v in every))
    yield CounterMetricFamily(
        "mirrorlist_connections_evicted", "Idle connections closed to make room at the "
        "connection bound", value=sum(v[Slot.EVICTED] for v in every))

    yield GaugeMetricFamily("mirrorlist_workers", "Worker processes serving",
                            value=len(live))
    yield GaugeMetricFamily("mirrorlist_open_connections", "Open client connections",
                            value=sum(v[Slot.OPEN_CONNECTIONS] for v in live))
    generation = GaugeMetricFamily(
        "mirrorlist_cache_generation", "The cache generation a worker serves (always 1)",
        labels=["pid", "generation"])
    created = GaugeMetricFamily(
        "mirrorlist_cache_created_timestamp_seconds", "When the cache a worker serves was "
        "written (its generation's time)", labels=["pid"])
    age = GaugeMetricFamily(
        "mirrorlist_cache_age_seconds", "Age of the cache a worker serves", labels=["pid"])
    loaded = GaugeMetricFamily(
        "mirrorlist_cache_loaded_timestamp_seconds", "When a worker loaded the cache it "
        "serves", labels=["pid"])
    for values in live:
        if not values[Slot.CACHE_TIME]:
            continue
        pid = str(values[Slot.PID])
        text = f"{values[Slot.CACHE_TIME]}-{values[Slot.CACHE_CHECKSUM]:08x}"
        generation.add_metric([pid, text], 1)
        created.add_metric([pid], values[Slot.CACHE_TIME])
        age.add_metric([pid], max(0.0, now - values[Slot.CACHE_TIME]))
        loaded.add_metric([pid], values[Slot.CACHE_LOADED_AT])
    yield from (generation, created, age, loaded)


class _RunCollector:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def collect(self) -> Iterator[Metric]:
        return collect(self.directory)


class Scraper:
    """Who may read ``/metrics`` and what it answers."""

    def __init__(self, directory: Path, allow: Sequence[str]) -> None:
        self.networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(n, strict=False) for n in allow
        )
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_RunCollector(directory))

    def allows(self, peer: str) -> bool:
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)

    def exposition(self) -> tuple[str, str]:
        """(Content-Type, body) of the scrape."""
        return CONTENT_TYPE_LATEST, generate_latest(self.registry).decode("utf-8")
