"""The ``protobuf`` cache writer: the database as one ``mirrormanager.MirrorList`` file.

The file is what Fedora's ``generate-mirrorlist-cache`` writes and ``mirrorlist-server`` reads
(spec ``mirrorlist.md`` sections 1 and 5).  This module is the writer's frame: the snapshot, the
atomic replacement, the generation; :mod:`~.cache_build` writes the sections, from the records
of :mod:`~.cache_records`.

Every element order is fixed (ids, or code-point order of text sorted in Python), so the same
database content gives the same bytes on SQLite and PostgreSQL; only ``Time`` changes between
runs.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import trio

from mmcore.atomic import atomic_writer
from mmcore.cache import CacheSource, CacheWriteError, CacheWriteResult
from mirrormanager_mirrorlist import varint
from mirrormanager_mirrorlist.cache_build import CacheBuild, CountingOutput
from mirrormanager_mirrorlist.config import MirrorlistConfig
from mirrormanager_mirrorlist.host_netblocks import Resolver, system_resolver

if TYPE_CHECKING:
    from mmcore.runtime import Runtime

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# the writer
# --------------------------------------------------------------------------------------------


@attrs.frozen
class ProtobufCacheWriter:
    """``mirrormanager cache write`` in the mirrorlist-server format (the ``protobuf`` writer).

    :param resolver: looks up netblocks given as DNS names (tests inject a fake one).
    :param clock: the unix time written as ``Time`` (tests freeze it).
    """

    name: str = "protobuf"
    resolver: Resolver = system_resolver
    clock: Callable[[], float] = time.time

    def default_path(self, runtime: Runtime) -> Path:
        return Path(runtime.section("mirrorlist", MirrorlistConfig).cache_path)

    async def write(self, runtime: Runtime, path: Path) -> CacheWriteResult:
        """Write from the runtime's store (which must provide :class:`CacheSource`)."""
        store = runtime.open_store()
        store.check_schema()
        if not isinstance(store, CacheSource):
            raise CacheWriteError(
                f"the storage backend {type(store).__name__} provides no cache reads"
            )
        settings = runtime.section("mirrorlist", MirrorlistConfig)
        return await trio.to_thread.run_sync(
            functools.partial(self.write_blocking, store, path, settings)
        )

    def write_blocking(
        self, source: CacheSource, path: Path, settings: MirrorlistConfig | None = None
    ) -> CacheWriteResult:
        """Build the cache and replace ``path`` atomically (blocking)."""
        settings = settings or MirrorlistConfig()
        path = Path(path)
        started = time.monotonic()
        generation = next_generation(int(self.clock()), previous_generation(path))
        log.info("cache_write_start path=%s generation=%d", path, generation)
        try:
            with source.cache_snapshot() as snapshot, atomic_writer(path) as raw:
                out = CountingOutput(raw)
                build = CacheBuild(snapshot, settings, self.resolver, generation)
                build.write_to(out)
        except OSError as exc:
            raise CacheWriteError(f"cannot write {path}: {exc.strerror or exc}") from exc
        seconds = time.monotonic() - started
        result = CacheWriteResult(
            path=path, bytes=out.bytes, counts=build.counts, seconds=seconds, generation=generation
        )
        log.info(
            "cache_written path=%s bytes=%d seconds=%.2f generation=%d %s",
            path,
            out.bytes,
            seconds,
            generation,
            " ".join(f"{k}={v}" for k, v in build.counts.items()),
        )
        return result


def previous_generation(path: Path) -> int | None:
    """The ``Time`` of the cache file at ``path`` (its first field), ``None`` if unreadable."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 + varint.MAX_BYTES)
    except OSError:
        return None
    if len(head) < 2 or head[0] != 0x08:  # field 1, varint
        return None
    try:
        return varint.decode(head, 1, len(head))[0]
    except varint.VarintError:
        return None


def next_generation(now: int, previous: int | None) -> int:
    """``now``, unless the file being replaced is as new or newer: then one more than it, so a
    list server always sees the generation change when the file is replaced."""
    if previous is not None and previous >= now and previous - now < 3600:
        return previous + 1
    return now
