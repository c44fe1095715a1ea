"""Loading a dataset into a store: :func:`load_dataset` refuses a database that holds data,
streams every table into ``bulk_load`` with progress, and checks every count."""

from __future__ import annotations

import io
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO

import attrs

from mirrormanager_devtools.dataset.scales import Scale
from mirrormanager_devtools.dataset.tables import Dataset, Row
from mmcore.progress import Progress
from mmcore.store import Store, StoreError

log = logging.getLogger(__name__)

#: every table the dataset fills (it refuses a database where any of them holds rows)
DATASET_TABLES: tuple[str, ...] = (
    "site", "site_admin", "country", "arch", "product", "version", "directory", "category",
    "category_directory", "repository", "file_detail", "host", "host_category",
    "host_category_url", "host_category_dir", "host_netblock", "host_peer_asn",
    "host_country_allowed", "host_country", "location", "host_location", "repository_redirect",
    "country_continent_redirect", "embargoed_country", "netblock_country", "propagation_stat",
    "access_stat_category", "access_stat",
)


class DatasetRefused(Exception):
    """The database already holds data the dataset would collide with."""


@attrs.frozen
class LoadReport:
    scale: str
    seed: int
    rows: dict[str, int]
    seconds: float
    #: seconds between the last row handed over and ``bulk_load`` returning (indexes, checks)
    finish_seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def summary(self) -> str:
        per_table = " ".join(f"{t}={n}" for t, n in self.rows.items())
        return (f"dataset scale={self.scale} seed={self.seed} rows={self.total_rows} "
                f"seconds={self.seconds:.1f} {per_table}")


class _Tracked:
    """Wraps a table's rows to note when the loader has taken the last one."""

    def __init__(self, table: str, rows: Iterable[Row], done: Callable[[str], None]) -> None:
        self.table = table
        self.rows = rows
        self.done = done

    def __iter__(self) -> Iterator[Row]:
        return itertools.chain(self.rows, self._finished())

    def _finished(self) -> Iterator[Row]:
        self.done(self.table)
        return
        yield


class _LoadProgress:
    """Feeds ``bulk_load``'s ``progress(table, rows)`` callbacks into one
    :class:`mmcore.progress.Progress` per table (a bar on a terminal, plain lines otherwise)."""

    def __init__(self, stream: TextIO, expected: dict[str, int]) -> None:
        self.stream = stream
        self.expected = expected
        self.current: Progress | None = None
        self.last_row_at = time.monotonic()

    def _for(self, table: str) -> Progress:
        if self.current is None or self.current.label != f"dataset {table}":
            self.current = Progress(
                f"dataset {table}", self.expected.get(table, 0), stream=self.stream
            )
        return self.current

    def __call__(self, table: str, done: int) -> None:
        progress = self._for(table)
        progress.advance(done - progress.done)

    def table_done(self, table: str) -> None:
        progress = self._for(table)
        progress.advance(self.expected.get(table, 0) - progress.done)
        progress.finish()
        self.last_row_at = time.monotonic()
        log.info("dataset table=%s rows=%d seconds=%.2f", table, progress.done,
                 self.last_row_at - progress.started)


def load_dataset(store: Store, scale: Scale, seed: int,
                 progress_stream: TextIO | None = None) -> LoadReport:
    """Fill ``store`` (upgraded, empty) with the dataset of ``(scale, seed)``.

    :raises DatasetRefused: if any dataset table already holds rows.
    :raises StoreError: schema out of date, or the load failed (nothing is written then).
    """
    store.check_schema()
    counts = store.table_counts()
    occupied = {t: counts[t] for t in DATASET_TABLES if counts.get(t)}
    if occupied:
        listed = ", ".join(f"{t} ({n} rows)" for t, n in occupied.items())
        raise DatasetRefused(
            f"database {store.display_url} already holds data: {listed}; the dataset only fills "
            "an empty database (its ids would collide) -- point [database] url at a new database "
            "and run `mirrormanager db upgrade` first"
        )
    started = time.monotonic()
    dataset = Dataset(scale, seed)
    tables = dataset.tables()
    expected = {name: t.expected for name, t in tables.items()}
    progress = _LoadProgress(progress_stream or _NullStream(), expected)
    log.info("dataset scale=%s seed=%d directories=%d hosts=%d planned_seconds=%.2f", scale.name,
             seed, len(dataset.tree.names), len(dataset.hosts), time.monotonic() - started)
    feed = {name: (t.columns, _Tracked(name, t.rows, progress.table_done))
            for name, t in tables.items()}
    written = store.bulk_load(feed, progress)
    finished = time.monotonic()
    for name, n in written.items():
        if n != expected[name]:
            raise StoreError(f"dataset: {name} got {n} rows, {expected[name]} were generated")
    return LoadReport(scale.name, seed, dict(written), finished - started,
                      finished - progress.last_row_at)


class _NullStream(io.StringIO):
    """Progress nobody asked to see."""

    def write(self, _text: str) -> int:
        return 0
