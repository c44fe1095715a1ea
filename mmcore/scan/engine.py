"""The scan of one category: stream the tree from a source, decide what changed, hand the writes
to the store in one transaction.

Per directory (see ``docs/scanner.md``):

* unknown -> inserted with its short file list and linked to the category;
* known with another ctime -> ctime, readable and short file list updated, its checksum files and
  repomd.xml read and new file details recorded;
* known with the same ctime -> nothing, unless its readability changed;
* a ``repodata/`` (yum) or ``summary`` + ``objects/`` (ostree) directory without a repository gets
  one, with a version and arch guessed from its path and a prefix from the rule table.

Writes go to the store through a memory channel read by :meth:`ScanStore.scan_apply` in a worker
thread: one transaction per category, committed only when the whole tree was read.
"""

from __future__ import annotations

import contextlib
import logging
import operator
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs
import trio

from mmcore.db import run_db
from mmcore.errors import first_of
from mmcore.logs import kv
from mmcore.store import StoreError
from mmcore.scan.metadata import (
    MetadataError,
    checksum_file_algorithm,
    digests,
    parse_checksum_file,
    repomd_timestamp,
)
from mmcore.scan.repomap import RepositoryRule, choose_prefix, guess_arch, guess_version
from mmcore.scan.source import (
    ScannedDirectory,
    ScannedFile,
    ScannerSource,
    SourceError,
    SourceRequest,
    UNSETTLED_CTIME,
)
from mmcore.scan.store import (
    CategorySnapshot,
    DirectoryWrite,
    FileDetailWrite,
    RepositoryWrite,
    ScanBatch,
    ScanStore,
    ScanWriteResult,
)

log = logging.getLogger("mmcore.scan")

#: MirrorManager2: a directory with more than 10 files of one of these kinds keeps only the 3
#: newest files in its short list
SHORT_LIST_KINDS = (".html", ".rpm", ".hdr", ".drpm")
SHORT_LIST_THRESHOLD = 10
SHORT_LIST_KEEP = 3


_BY_NAME = operator.itemgetter(0)
_NEWEST_FIRST = operator.itemgetter(2, 0)


def short_filelist(files: Sequence[ScannedFile]) -> tuple[ScannedFile, ...]:
    """The files the crawler compares against mirrors, sorted by name: all of them, or the 3
    newest when the directory holds more than 10 packages (or .html, .hdr, .drpm files) of one
    kind.  The entries are the source's own tuples (no copy per file: a first scan lists every
    file of the tree)."""
    if len(files) > SHORT_LIST_THRESHOLD:
        counts = dict.fromkeys(SHORT_LIST_KINDS, 0)
        for f in files:
            name = f[0]
            dot = name.rfind(".")
            if dot >= 0:
                ext = name[dot:]
                if ext in counts:
                    counts[ext] += 1
        if max(counts.values()) > SHORT_LIST_THRESHOLD:
            files = sorted(files, key=_NEWEST_FIRST, reverse=True)[:SHORT_LIST_KEEP]
    return tuple(sorted(files, key=_BY_NAME))


@attrs.frozen
class ScanPolicy:
    """The category-independent settings of a scan (from ``[umdl]``)."""

    rules: tuple[RepositoryRule, ...]
    skip_paths_for_version: tuple[str, ...] = ("pub/alt",)
    skip_repository_dirs: tuple[str, ...] = ("Cloud", "Workstation", "Server")
    max_stale_days: int = 4
    max_metadata_bytes: int = 16 * 1024 * 1024
    delete_directories: bool = False


@attrs.define
class CategoryScanStats:
    directories_seen: int = 0
    directories_changed: int = 0
    metadata_errors: int = 0
    write: ScanWriteResult = ScanWriteResult()
    seconds: float = 0.0


class _Abort(Exception):
    """The producing side failed; the store must roll back."""


@attrs.define
class _Planner:
    """Decisions for one category (pure: no I/O besides the metadata the session reads)."""

    snapshot: CategorySnapshot
    policy: ScanPolicy
    versions: list[str]
    repository_keys: set[tuple[str, str]]
    repository_paths: set[str]
    seen: set[str] = attrs.field(factory=set)
    unlisted: list[str] = attrs.field(factory=list)
    stats: CategoryScanStats = attrs.field(factory=CategoryScanStats)
    changed_paths: list[str] = attrs.field(factory=list)

    def full_name(self, path: str) -> str:
        return f"{self.snapshot.topdir}/{path}" if path else self.snapshot.topdir

    # -- directories -----------------------------------------------------------------------

    def directory(self, scanned: ScannedDirectory, force: bool) -> tuple[DirectoryWrite | None, bool]:
        """The row write for a directory and whether its metadata must be read."""
        self.seen.add(scanned.path)
        self.stats.directories_seen += 1
        known = self.snapshot.directories.get(scanned.path)
        if not scanned.listed:
            self.unlisted.append(scanned.path)
            if known is None:
                return DirectoryWrite(scanned.path, 0, False, ()), False
            if known.readable:
                return DirectoryWrite(scanned.path, known.ctime, False, None), False
            return None, False
        if known is None:
            files = short_filelist(scanned.files or ())
            readable = True if scanned.readable is None else scanned.readable
            return DirectoryWrite(scanned.path, scanned.ctime, readable, files), True
        changed = force or known.ctime != scanned.ctime or scanned.ctime == UNSETTLED_CTIME
        readable = scanned.readable
        readable_changed = readable is not None and readable != known.readable
        if changed and scanned.files is not None:
            files = short_filelist(scanned.files)
            return DirectoryWrite(scanned.path, scanned.ctime, readable, files), True
        if changed or readable_changed:
            return DirectoryWrite(scanned.path, scanned.ctime, readable, None), False
        return None, False

    # -- repositories ----------------------------------------------------------------------

    def repository(self, scanned: ScannedDirectory) -> RepositoryWrite | None:
        yum = "repodata" in scanned.subdirs
        # an unlisted (unchanged) directory has no file names; see stored_subdirs
        ostree = (scanned.file_names is not None and "summary" in scanned.file_names
                  and "objects" in scanned.subdirs)
        if not (yum or ostree) or scanned.path in self.repository_paths:
            return None
        name = self.full_name(scanned.path)
        parts = name.split("/")
        if any(skip in parts for skip in self.policy.skip_repository_dirs):
            return None
        if yum:
            if any(name == p or name.startswith(p.rstrip("/") + "/")
                   for p in self.policy.skip_paths_for_version):
                return None
            arch = guess_arch(name, self.snapshot.arches)
            guess = guess_version(name, self.versions)
            if arch is None or guess is None:
                log.debug("no repository: arch or version not recognised %s",
                          kv(path=name, arch=arch, version=guess and guess.name))
                return None
            version, is_test = guess.name, guess.is_test
        else:
            arch, version, is_test = "x86_64", parts[-1], False
        decision = choose_prefix(
            self.policy.rules, self.snapshot.category, scanned.path, version, arch
        )
        prefix = decision.prefix
        if prefix is not None and (prefix, arch) in self.repository_keys:
            log.warning("repository prefix already used, directory gets none %s",
                        kv(path=name, prefix=prefix, arch=arch))
            self.repository_paths.add(scanned.path)
            return None
        if prefix is not None:
            self.repository_keys.add((prefix, arch))
        self.repository_paths.add(scanned.path)
        if version not in self.versions:
            self.versions.insert(0, version)
        return RepositoryWrite(scanned.path, prefix, arch, version, is_test)

    # -- metadata ----------------------------------------------------------------------------

    @staticmethod
    def metadata_paths(scanned: ScannedDirectory) -> list[str]:
        wanted = []
        for name in scanned.file_names or ():
            if name == "repomd.xml" or checksum_file_algorithm(name) is not None:
                wanted.append(f"{scanned.path}/{name}" if scanned.path else name)
        return wanted

    def file_details(
        self, scanned: ScannedDirectory, contents: dict[str, bytes]
    ) -> list[FileDetailWrite]:
        details: list[FileDetailWrite] = []
        files = {f.name: f for f in scanned.files or ()}
        checksums: dict[str, dict[str, str]] = {}
        for name in scanned.file_names or ():
            rel = f"{scanned.path}/{name}" if scanned.path else name
            data = contents.get(rel)
            if data is None:
                continue
            if name == "repomd.xml":
                try:
                    timestamp = repomd_timestamp(data)
                except MetadataError as exc:
                    self.stats.metadata_errors += 1
                    log.warning("bad repomd.xml, no file detail %s",
                                kv(path=self.full_name(rel), error=exc))
                    continue
                d = digests(data)
                details.append(FileDetailWrite(
                    scanned.path, name, timestamp, d.size, d.md5, d.sha1, d.sha256, d.sha512))
            elif checksum_file_algorithm(name) is not None:
                count = 0
                for listed, algorithm, digest in parse_checksum_file(data):
                    if listed in files:
                        checksums.setdefault(listed, {})[algorithm] = digest
                        count += 1
                if count == 0:
                    log.info("checksum file lists no file of its directory %s",
                             kv(path=self.full_name(rel)))
        for listed, sums in sorted(checksums.items()):
            f = files[listed]
            details.append(FileDetailWrite(
                scanned.path, listed, f.mtime, f.size, sums.get("md5"), sums.get("sha1"),
                sums.get("sha256"), sums.get("sha512")))
        return details

    # -- deletions ---------------------------------------------------------------------------

    def vanished(self, excluded: Callable[[str], bool]) -> tuple[str, ...]:
        gone = []
        for path in self.snapshot.directories:
            if not path or path in self.seen or excluded(path):
                continue
            if any(path.startswith(u + "/") or not u for u in self.unlisted):
                continue
            gone.append(path)
        return tuple(sorted(gone, reverse=True))


def stored_subdirs(snapshot: CategorySnapshot) -> dict[str, tuple[str, ...]]:
    """The stored subdirectory names of each known directory (sorted), offered to the source as
    :attr:`SourceRequest.known_subdirs` so that it need not list an unchanged directory.

    Left out, so always listed:

    * the category's top directory (one listing; its row may predate this category's scans);
    * a directory another category holds too: its stored ctime may come from that category's
      scan, which did not record the subdirectories its own excludes skipped;
    * a directory with an ``objects`` subdirectory and no repository (ostree detection needs
      its file names)."""
    children: dict[str, list[str]] = {path: [] for path in snapshot.directories}
    for path in snapshot.directories:
        if path:
            parent, _, name = path.rpartition("/")
            siblings = children.get(parent)
            if siblings is not None:
                siblings.append(name)
    repositories = snapshot.repository_directories
    shared = snapshot.shared_directories
    return {
        path: tuple(sorted(names)) for path, names in children.items()
        if path and path not in shared and ("objects" not in names or path in repositories)
    }


async def plan_batch(
    planner: _Planner, session: Any, batch: list[ScannedDirectory], force: bool
) -> ScanBatch:
    directories: list[DirectoryWrite] = []
    repositories: list[RepositoryWrite] = []
    metadata_dirs: list[ScannedDirectory] = []
    metadata_files: list[str] = []
    for scanned in batch:
        write, read_metadata = planner.directory(scanned, force)
        if write is not None:
            directories.append(write)
            planner.stats.directories_changed += 1
            if len(planner.changed_paths) < 1000:
                planner.changed_paths.append(planner.full_name(scanned.path))
        if read_metadata:
            wanted = planner.metadata_paths(scanned)
            if wanted:
                metadata_dirs.append(scanned)
                metadata_files.extend(wanted)
        repository = planner.repository(scanned)
        if repository is not None:
            repositories.append(repository)
    details: list[FileDetailWrite] = []
    if metadata_dirs:
        contents = await session.read_files(metadata_files, planner.policy.max_metadata_bytes)
        for scanned in metadata_dirs:
            details.extend(planner.file_details(scanned, contents))
    return ScanBatch(tuple(directories), tuple(details), tuple(repositories))


def _channel_batches(receive: trio.MemoryReceiveChannel[Any]) -> Iterator[ScanBatch]:
    """The store's side of the channel (runs in the store's worker thread)."""
    while True:
        try:
            item = trio.from_thread.run(receive.receive)
        except trio.EndOfChannel:
            return
        if isinstance(item, _Abort):
            raise item
        yield item


async def scan_category(
    store: ScanStore,
    snapshot: CategorySnapshot,
    source: ScannerSource,
    request: SourceRequest,
    policy: ScanPolicy,
    *,
    progress: Callable[[int], None] | None = None,
    now: Callable[[], float] = time.time,
) -> tuple[CategoryScanStats, list[str]]:
    """Scan one category and commit it; returns its figures and changed directory names.

    :raises mmcore.scan.source.SourceError: the source failed; nothing was written.
    """
    started = time.monotonic()
    planner = _Planner(
        snapshot, policy, list(snapshot.versions), set(snapshot.repository_keys),
        set(snapshot.repository_directories),
    )
    send, receive = trio.open_memory_channel[Any](2)
    result: list[ScanWriteResult] = []

    async def write() -> None:
        with receive:
            result.append(await run_db(
                store, store.scan_apply, snapshot, _channel_batches(receive),
                max_stale_days=policy.max_stale_days, now=int(now()),
            ))

    async def produce() -> None:
        async with send:
            try:
                async with source.open(request) as session:
                    async for batch in session.batches():
                        planned = await plan_batch(planner, session, batch, request.force)
                        if progress is not None:
                            progress(len(batch))
                        if planned:
                            await send.send(planned)
                if policy.delete_directories:
                    gone = planner.vanished(request.excluded)
                    for start in range(0, len(gone), 1000):
                        await send.send(ScanBatch(delete_directories=gone[start:start + 1000]))
            except BaseException as exc:
                with trio.CancelScope(shield=True), contextlib.suppress(
                    trio.BrokenResourceError, trio.ClosedResourceError
                ):
                    await send.send(_Abort(repr(exc)))
                raise

    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(write)
            nursery.start_soon(produce)
    except BaseExceptionGroup as group:
        # the first cause, not its echo on the other side of the channel
        cause = first_of(group, SourceError) or first_of(group, StoreError)
        if cause is not None:
            raise cause from None
        raise
    planner.stats.write = result[0]
    planner.stats.seconds = time.monotonic() - started
    return planner.stats, planner.changed_paths
