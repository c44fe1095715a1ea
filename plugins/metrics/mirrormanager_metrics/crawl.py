"""The crawler's metrics: made of the crawl events, served on ``[metrics] crawler_listen`` while
``mirrormanager crawl`` runs and written to ``[metrics] crawler_textfile`` when it ends.

One process: the metrics live in this process's registry.  ``--processes N``: each child
writes its values to the run's directory (``prometheus_client``'s multiprocess mode, a
directory per run under ``<data_dir>/run`` named after the parent's pid, which the children
find as their parent's), and the parent -- which serves the port and writes the file -- sums
them with a ``MultiProcessCollector``.  Per-host gauges keep the most recent value written
(``mostrecent``): each host is crawled by one child.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmcore.atomic import write_atomically
from mmcore.logs import kv
from mmcore.validators import parse_listen

if TYPE_CHECKING:
    from mmcore.events import CrawlFinished, CrawlStarted, HostCrawled, HostDisabled

    from .config import MetricsConfig

log = logging.getLogger(__name__)

#: seconds: the buckets of the host crawl duration histogram
DURATION_BUCKETS = (1, 2, 5, 10, 30, 60, 120, 300, 600, 900, 1800)
HOST_LABELS = ("host_id", "host")


class CrawlMetrics:
    """The metrics one crawling process updates from its events."""

    def __init__(self, registry: Any) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        def gauge(name: str, documentation: str, labels: tuple[str, ...] = HOST_LABELS) -> Any:
            return Gauge(name, documentation, labels, registry=registry,
                         multiprocess_mode="mostrecent")

        self.hosts = Counter(
            "mirrormanager_crawl_hosts", "Hosts crawled, by how their crawl ended",
            ["status"], registry=registry)
        self.duration = Histogram(
            "mirrormanager_crawl_host_duration_seconds", "Time one host's crawl took, by the "
            "protocol that answered (else the first one tried) and how it ended",
            ["protocol", "status"], buckets=DURATION_BUCKETS, registry=registry)
        self.checks = Counter(
            "mirrormanager_crawl_checks", "Category checks over one URL, by protocol and "
            "outcome", ["protocol", "outcome"], registry=registry)
        self.disabled = Counter(
            "mirrormanager_crawl_hosts_disabled", "Hosts disabled after repeated failures",
            registry=registry)
        self.directories = gauge(
            "mirrormanager_crawl_host_directories", "Directories of a host by state, as its "
            "last successful crawl of this run found them",
            (*HOST_LABELS, "state"))
        self.freshness = gauge(
            "mirrormanager_crawl_host_freshness_ratio", "Directories up to date / directories "
            "checked, as the host's last successful crawl of this run found them")
        self.last_success = gauge(
            "mirrormanager_crawl_host_last_success_timestamp_seconds", "When a crawl of this "
            "run last succeeded for the host")
        self.last_duration = gauge(
            "mirrormanager_crawl_host_last_duration_seconds", "Time the host's last crawl "
            "took")
        self.failures = gauge(
            "mirrormanager_crawl_host_consecutive_failures", "The host's consecutive failed "
            "crawls after its last crawl (0 after a success)")

    def host_crawled(self, event: HostCrawled) -> None:
        host = (str(event.host_id), event.host_name)
        self.hosts.labels(event.status).inc()
        if event.protocols:
            protocol = event.protocols[0]
        else:
            protocol = event.checks[0].partition("=")[0] if event.checks else "none"
        self.duration.labels(protocol, event.status).observe(event.duration)
        for check in event.checks:
            scheme, _, outcome = check.partition("=")
            self.checks.labels(scheme, outcome).inc()
        self.last_duration.labels(*host).set(event.duration)
        if event.crawl_failures is not None:
            self.failures.labels(*host).set(event.crawl_failures)
        if event.status == "ok":
            self.last_success.labels(*host).set(time.time())
            states = {"up2date": event.directories_up2date,
                      "not_up2date": event.directories_not_up2date,
                      "unknown": event.directories_unknown}
            for state, count in states.items():
                self.directories.labels(*host, state).set(count)
            checked = sum(states.values())
            self.freshness.labels(*host).set(
                event.directories_up2date / checked if checked else 1.0)

    def host_disabled(self, event: HostDisabled) -> None:
        self.disabled.inc()


class RunCollector:
    """The crawl as a whole: when it started, over how many processes, whether it runs."""

    def __init__(self, started: CrawlStarted) -> None:
        self.started = started
        self.finished: CrawlFinished | None = None

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        yield GaugeMetricFamily("mirrormanager_crawl_started_timestamp_seconds",
                                "When the crawl started", value=self.started.started_at)
        yield GaugeMetricFamily("mirrormanager_crawl_processes",
                                "Processes the crawl is split over",
                                value=self.started.processes)
        yield GaugeMetricFamily("mirrormanager_crawl_running", "1 while the crawl runs",
                                value=0 if self.finished else 1)
        if self.finished is not None:
            yield GaugeMetricFamily("mirrormanager_crawl_duration_seconds",
                                    "Time the whole crawl took", value=self.finished.duration)
            yield GaugeMetricFamily("mirrormanager_crawl_hosts_selected",
                                    "Hosts the crawl selected", value=self.finished.hosts)


class Exporter:
    """The registry of this run, the HTTP server answering ``/metrics`` and the final file."""

    def __init__(self, config: MetricsConfig, registry: Any, run: RunCollector,
                 directory: Path | None) -> None:
        self.config = config
        self.registry = registry
        self.run = run
        self.directory = directory
        self.server: Any = None
        self.thread: Any = None
        if config.crawler_listen:
            from prometheus_client import start_http_server

            host, port = parse_listen(config.crawler_listen)
            self.server, self.thread = start_http_server(port, host, registry)
            log.info(kv(event="crawl_metrics_listening", address=config.crawler_listen,
                        port=self.server.server_port))

    def finish(self, event: CrawlFinished) -> None:
        self.run.finished = event
        if self.config.crawler_textfile:
            from prometheus_client import generate_latest

            try:
                write_atomically(Path(self.config.crawler_textfile),
                                 generate_latest(self.registry))
            except OSError as exc:
                log.error(kv(event="crawl_metrics_not_written",
                             path=self.config.crawler_textfile, error=exc))

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(5)
            self.server = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None


#: the metrics this process's crawl updates (``None``: no crawl with metrics runs here)
current: CrawlMetrics | None = None
#: what this process serves (the crawl as a whole: a single process, or the parent)
_exporter: Exporter | None = None


def run_directory(data_dir: Path, parent_pid: int) -> Path:
    """Where the children of the crawl process ``parent_pid`` write their values."""
    return data_dir / "run" / f"crawl-metrics-{parent_pid}"


def crawl_started(event: CrawlStarted, config: MetricsConfig, data_dir: Path) -> None:
    global current, _exporter
    stop_serving()
    from_parent = event.part is not None
    if from_parent:
        directory = run_directory(data_dir, os.getppid())
        if not directory.is_dir():
            log.warning(kv(event="crawl_metrics_off", reason=f"no directory {directory}"))
            return
        if "prometheus_client" in sys.modules:  # its value class is chosen on import
            log.warning(kv(event="crawl_metrics_off",
                           reason="prometheus_client was imported before the crawl started"))
            return
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
        current = CrawlMetrics(registry=None)  # the values go to the run directory
        return
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry(auto_describe=True)
    directory = None
    if event.processes > 1:
        from prometheus_client.multiprocess import MultiProcessCollector

        directory = run_directory(data_dir, os.getpid())
        shutil.rmtree(directory, ignore_errors=True)  # a crashed run's, with this pid
        directory.mkdir(parents=True, mode=0o700)
        MultiProcessCollector(registry, path=str(directory))
    else:
        current = CrawlMetrics(registry)
    run = RunCollector(event)
    registry.register(run)
    try:
        _exporter = Exporter(config, registry, run, directory)
    except OSError as exc:
        log.error(kv(event="crawl_metrics_not_served", address=config.crawler_listen,
                     error=exc))
        current = None
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)


def crawl_finished(event: CrawlFinished) -> None:
    global current
    current = None
    if event.part is None and _exporter is not None:
        _exporter.finish(event)
        stop_serving()


def stop_serving() -> None:
    global _exporter
    if _exporter is not None:
        exporter, _exporter = _exporter, None
        exporter.stop()
