"""The server's input files, loaded into one swappable generation, and the access log.

:class:`Inputs` owns the current :class:`~.cacheindex.CacheIndex`, the ASN table and the GeoIP
reader.  :meth:`Inputs.refresh` (run on SIGHUP and by :meth:`Inputs.watch` when a file changes)
loads changed files in a worker thread, validates them and swaps each one in with a single
attribute assignment; a file that fails to load is logged and the previous one keeps serving.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import attrs
import trio

from mmcore.geo import read_country_continent

from mirrormanager_mirrorlist.cacheindex import CacheFormatError, CacheIndex, load_cache
from mirrormanager_mirrorlist.prefixes import AsnTable

log = logging.getLogger(__name__)

Signature = tuple[int, int, int, int]


def file_signature(path: Path) -> Signature | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class GeoIP:
    """Country lookups in a MaxMind GeoIP2/GeoLite2 Country database."""

    def __init__(self, path: Path) -> None:
        """:raises OSError: unreadable; :raises ValueError: not a MaxMind database."""
        import maxminddb  # only with a database configured (a start-up cost otherwise)

        self.path = path
        try:
            self._reader: Any = maxminddb.open_database(str(path))
        except maxminddb.InvalidDatabaseError as exc:
            raise ValueError(str(exc)) from None

    def country(self, address: str) -> str | None:
        try:
            record = self._reader.get(address)
        except ValueError:
            return None
        if not isinstance(record, dict):
            return None
        country = record.get("country")
        if not isinstance(country, dict):
            return None
        code = country.get("iso_code")
        return code if isinstance(code, str) and code else None


@attrs.frozen
class InputPaths:
    cache: Path
    geoip: Path | None = None
    netblocks: Path | None = None
    #: ``None``: the country_continent.csv shipped with the package
    continents: Path | None = None


class LoadError(Exception):
    pass


class Inputs:
    def __init__(self, paths: InputPaths, *, view_capacity: int = 4_000_000, validate: bool = True):
        self.paths = paths
        self.view_capacity = view_capacity
        self.validate = validate
        self.index: CacheIndex | None = None
        self.asn: AsnTable | None = None
        self.geoip: GeoIP | None = None
        self._continents: dict[str, str] = {}
        self._seen: dict[str, Signature | None] = {}
        self.reloads = 0
        self.rejected = 0
        self._refreshing = trio.Lock()

    # -- loading -------------------------------------------------------------------------

    def load_all(self) -> None:
        """Load every input synchronously (start-up).  Raises :class:`LoadError`: a missing,
        empty, truncated file, or one whose top level or small tables do not parse; the
        per-directory entries are checked later (:meth:`check_first_generation`)."""
        self._seen["continents"] = (
            file_signature(self.paths.continents) if self.paths.continents else None
        )
        try:
            self._continents = read_country_continent(self.paths.continents, strict=False)
        except (OSError, ValueError) as exc:
            raise LoadError(f"continents: {exc}") from None
        if self.paths.geoip is not None:
            self._seen["geoip"] = file_signature(self.paths.geoip)
            try:
                self.geoip = GeoIP(self.paths.geoip)
            except (OSError, ValueError) as exc:
                raise LoadError(f"GeoIP database {self.paths.geoip}: {exc}") from None
        if self.paths.netblocks is not None:
            self._seen["netblocks"] = file_signature(self.paths.netblocks)
            try:
                self.asn = AsnTable.from_file(self.paths.netblocks)
            except OSError as exc:
                raise LoadError(f"global netblocks {self.paths.netblocks}: {exc}") from None
        self._seen["cache"] = file_signature(self.paths.cache)
        try:
            # the entries' full check waits for check_first_generation: there is no older
            # generation to keep, and an entry is checked anyway when a request first parses it
            self.index = self._load_cache(validate=False)
        except (OSError, CacheFormatError) as exc:
            raise LoadError(f"cache {self.paths.cache}: {exc}") from None

    def check_first_generation(self) -> None:
        """The full check of the generation :meth:`load_all` loaded (with ``validate``; run in
        a worker thread once the server answers).  A bad entry is logged
        (``event=cache_invalid``); its directory answers "corrupt" as it would without
        validation, the others keep answering until a valid file replaces the generation."""
        index = self.index
        if not self.validate or index is None:
            return
        started = time.monotonic()
        problem = index.check_entries()
        if problem is None:
            log.info("event=cache_checked generation=%s seconds=%.3f", index.generation,
                     time.monotonic() - started)
        else:
            self.rejected += 1
            log.error("event=cache_invalid generation=%s path=%s error=%r", index.generation,
                      self.paths.cache, problem)

    def _load_cache(self, *, validate: bool | None = None) -> CacheIndex:
        index = load_cache(
            self.paths.cache,
            continents_csv=self._continents,
            view_capacity=self.view_capacity,
            validate=self.validate if validate is None else validate,
        )
        log.info(
            "event=cache_loaded path=%s generation=%s directories=%d seconds=%.3f copy=%s",
            self.paths.cache, index.generation, index.directory_count, index.load_seconds,
            index.storage,
        )
        return index

    def changed(self) -> list[str]:
        """Names of the inputs whose file changed since it was last (tried to be) loaded."""
        names = []
        for name in ("cache", "geoip", "netblocks", "continents"):
            path = getattr(self.paths, name)
            if path is None:
                continue
            if file_signature(path) != self._seen.get(name):
                names.append(name)
        return names

    def refresh(self, names: list[str] | None = None) -> bool:
        """Reload the named inputs (default: the changed ones); True when anything was swapped.

        Each file is judged on its own; a bad one is logged and remembered (not retried until
        it changes again), the others still go live.
        """
        swaps = self._load_changed(names)
        self._apply(swaps)
        return bool(swaps)

    def _apply(self, swaps: list[tuple[str, Any]]) -> None:
        """Make loaded inputs live: one attribute assignment each (requests read them once)."""
        for name, value in swaps:
            setattr(self, name, value)
            if name == "index":
                self.reloads += 1
                log.info("event=cache_swapped generation=%s", value.generation)

    def _load_changed(self, names: list[str] | None) -> list[tuple[str, Any]]:
        """Load the named inputs (may run in a worker thread); returns the (attribute, new
        value) pairs to make live."""
        names = self.changed() if names is None else names
        swaps: list[tuple[str, Any]] = []
        if "continents" in names and self.paths.continents is not None:
            self._seen["continents"] = file_signature(self.paths.continents)
            try:
                self._continents = read_country_continent(self.paths.continents, strict=False)
                names = [*names, "cache"] if "cache" not in names else names
            except (OSError, ValueError) as exc:
                log.error("event=reload_rejected input=continents error=%r", str(exc))
        if "geoip" in names and self.paths.geoip is not None:
            self._seen["geoip"] = file_signature(self.paths.geoip)
            try:
                swaps.append(("geoip", GeoIP(self.paths.geoip)))
                log.info("event=geoip_loaded path=%s", self.paths.geoip)
            except (OSError, ValueError) as exc:
                log.error("event=reload_rejected input=geoip error=%r", str(exc))
        if "netblocks" in names and self.paths.netblocks is not None:
            self._seen["netblocks"] = file_signature(self.paths.netblocks)
            try:
                swaps.append(("asn", AsnTable.from_file(self.paths.netblocks)))
            except OSError as exc:
                log.error("event=reload_rejected input=netblocks error=%r", str(exc))
        if "cache" in names:
            self._seen["cache"] = file_signature(self.paths.cache)
            started = time.monotonic()
            try:
                index = self._load_cache()
            except (OSError, CacheFormatError) as exc:
                self.rejected += 1
                log.error(
                    "event=reload_rejected input=cache path=%s error=%r keeping=%s",
                    self.paths.cache, str(exc),
                    self.index.generation if self.index else None,
                )
            except Exception:
                # a bug in the loader (it raises only the two above): never let it stop the
                # worker, which keeps serving the generation it has
                self.rejected += 1
                log.exception(
                    "event=reload_failed input=cache path=%s keeping=%s", self.paths.cache,
                    self.index.generation if self.index else None,
                )
            else:
                if self.index is not None and index.generation == self.index.generation:
                    log.info("event=reload_unchanged generation=%s", index.generation)
                else:
                    swaps.append(("index", index))
                    log.info(
                        "event=cache_loaded_for_swap generation=%s seconds=%.3f",
                        index.generation, time.monotonic() - started,
                    )
        return swaps

    async def refresh_in_thread(self, names: list[str] | None = None) -> bool:
        """:meth:`refresh` with the loading in a worker thread and the swap back in the trio
        thread, between two batches of answers (so every batch uses one generation); one
        refresh at a time."""
        async with self._refreshing:
            swaps = await trio.to_thread.run_sync(self._load_changed, names)
            self._apply(swaps)
            return bool(swaps)

    async def watch(self, interval: float) -> None:
        """Poll the files every ``interval`` seconds and reload what changed, forever."""
        while True:
            await trio.sleep(interval)
            if self.changed():
                await self.refresh_in_thread()


class AccessLog:
    """Upstream's statistics log: one line per repo/arch request, appended.

    Lines are buffered and written at least once a second (and whenever 64 KiB have gathered)
    instead of one write and flush per request; :meth:`reopen` follows a log rotation.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("a", encoding="utf-8", errors="surrogateescape")
        self._pending: list[str] = []
        self._pending_bytes = 0
        self._day: tuple[int, str] = (-1, "")

    def _date(self) -> str:
        now = int(time.time())
        day = now // 86400
        if self._day[0] != day:
            self._day = (day, time.strftime("%Y-%m-%d", time.gmtime(now)))
        return self._day[1]

    def record(self, ip: str, country: str, repo: str, arch: str) -> None:
        line = f"IP: {ip}; DATE: {self._date()}; COUNTRY: {country}; REPO: {repo}; ARCH: {arch}\n"
        self._pending.append(line)
        self._pending_bytes += len(line)
        if self._pending_bytes > 65536:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self._handle.write("".join(self._pending))
            self._handle.flush()
            self._pending.clear()
            self._pending_bytes = 0

    def reopen(self) -> None:
        self.flush()
        self._handle.close()
        self._handle = self.path.open("a", encoding="utf-8", errors="surrogateescape")

    def close(self) -> None:
        self.flush()
        self._handle.close()
