"""Scanner sources ``rsync`` (list a module live) and ``file`` (a saved listing).

``rsync``: runs ``rsync --list-only -r --no-motd [scan_args] URL/`` with ``TZ=UTC`` under a trio
deadline (``[rsync] scan_timeout``), spooling the listing to a temporary file, then streams it
through :func:`mirrormanager_rsync.listing.parse_listing` and
:func:`mmcore.scan.listing.group_listing`.  The change token of a directory is its mtime (rsync
shows no ctime).  repomd.xml and checksum files of changed directories are fetched with one
``rsync --files-from`` per batch, so the rsync source records the same file details as a disk scan.
A non-zero exit (other than 24, "some files vanished") or a timeout fails the category; nothing is
written.

``file``: reads a listing saved with ``TZ=UTC rsync --list-only -r URL/ > FILE`` from ``url``.
It cannot read file contents unless ``path`` names a local copy of the tree.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import attrs
import trio

from mirrormanager_rsync.config import RsyncSettings
from mirrormanager_rsync.listing import EntryType, parse_listing
from mirrormanager_rsync.process import NEW_GROUP, deliver_kill_group
from mmcore.logs import kv
from mmcore.scan.listing import Kind, ListingOrderError, group_listing
from mmcore.scan.source import (
    ScannedDirectory,
    SourceError,
    SourceRequest,
    batches_in_thread,
    read_local_files,
)

log = logging.getLogger("mirrormanager_rsync.source")

_KINDS = {EntryType.DIR: Kind.DIR, EntryType.FILE: Kind.FILE, EntryType.SYMLINK: Kind.LINK,
          EntryType.OTHER: Kind.OTHER}
#: rsync exit status meaning "some files vanished before they could be transferred"
VANISHED = 24


def rsync_environment() -> dict[str, str]:
    """rsync prints times in the local zone and sizes in the locale: pin both."""
    return {**os.environ, "TZ": "UTC", "LC_ALL": "C"}


def listing_entries(path: Path, request: SourceRequest) -> Iterator[tuple]:
    bad = 0

    def on_bad_line(number: int, line: str) -> None:
        nonlocal bad
        bad += 1
        if bad <= 5:
            log.warning("rsync listing: line skipped %s", kv(file=str(path), line=number,
                                                                text=line[:120]))

    with open(path, "rb") as handle:
        for entry in parse_listing(handle, on_bad_line=on_bad_line):
            if entry.type is EntryType.FILE and request.ignored_file(entry.name):
                continue
            yield (
                _KINDS[entry.type], entry.path, entry.size, entry.mtime,
                entry.world_readable if entry.type is EntryType.DIR else None,
            )
    if bad > 5:
        log.warning("rsync listing: lines skipped %s", kv(file=str(path), count=bad))


def listing_directories(path: Path, request: SourceRequest) -> Iterator[ScannedDirectory]:
    try:
        yield from group_listing(listing_entries(path, request), excluded=request.excluded)
    except ListingOrderError as exc:
        raise SourceError(f"{path}: listing not in tree order ({exc})") from None


async def run_rsync(args: Sequence[str], *, stdout: int | object, timeout: float,
                    what: str) -> int:
    """Run rsync under a deadline; return its exit status.  A timeout kills it."""
    with trio.move_on_after(timeout) as scope:
        result = await trio.run_process(
            list(args), stdout=stdout, capture_stderr=True, check=False,
            env=rsync_environment(), stdin=subprocess.DEVNULL,
            deliver_cancel=deliver_kill_group, **NEW_GROUP,
        )
    if scope.cancelled_caught:
        raise SourceError(f"{what}: rsync did not finish within {timeout:g}s (killed)")
    if result.returncode not in (0, VANISHED):
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = lines[-1] if lines else "no message"
        raise SourceError(f"{what}: rsync exited with status {result.returncode}: {detail}")
    return result.returncode


def split_module(url: str) -> tuple[str, str]:
    """``rsync://host/module/sub/dir/`` -> (``rsync://host/module/``, ``sub/dir``).

    ``--files-from`` against a daemon is given the module's root and module-relative paths:
    rsync 3.4+ daemons report files under a module *subdirectory* as vanished.
    """
    if url.startswith("rsync://"):
        rest = url[len("rsync://"):]
        host, _, path = rest.partition("/")
        module, _, sub = path.partition("/")
        return f"rsync://{host}/{module}/", sub.strip("/")
    if "::" in url:
        host, _, path = url.partition("::")
        module, _, sub = path.partition("/")
        return f"{host}::{module}/", sub.strip("/")
    return url.rstrip("/") + "/", ""


@attrs.define
class ListingSession:
    listing: Path
    request: SourceRequest
    rsync_url: str | None = None
    workdir: Path | None = None
    settings: RsyncSettings = RsyncSettings()

    def batches(self) -> AsyncIterator[list[ScannedDirectory]]:
        return batches_in_thread(listing_directories(self.listing, self.request),
                                 self.request.batch_size)

    async def read_files(self, paths: Sequence[str], max_bytes: int) -> dict[str, bytes]:
        if self.rsync_url is None or self.workdir is None:
            local = self.request.local_root
            if not local:
                return {}
            return await trio.to_thread.run_sync(read_local_files, local, paths, max_bytes)
        target = self.workdir / "files"
        target.mkdir(exist_ok=True)
        base, sub = split_module(self.rsync_url)
        prefix = sub + "/" if sub else ""
        file_list = self.workdir / "files-from"
        file_list.write_text("".join(prefix + p + "\n" for p in paths), encoding="utf-8",
                             errors="surrogateescape")
        args = [self.settings.command, "--no-motd", f"--files-from={file_list}",
                f"--max-size={max_bytes}", *self.settings.scan_args, base, str(target) + "/"]
        try:
            await run_rsync(args, stdout=subprocess.DEVNULL,
                            timeout=self.settings.scan_timeout,
                            what=f"fetching metadata from {self.rsync_url}")
        except SourceError as exc:  # some files missing: read those that came
            log.warning("metadata fetch incomplete %s", kv(error=exc))
        root = target / sub if sub else target
        contents = await trio.to_thread.run_sync(read_local_files, str(root), paths, max_bytes)
        for path in paths:
            with contextlib.suppress(OSError):
                os.unlink(root / path)
        return contents


@attrs.frozen
class RsyncSource:
    settings: RsyncSettings = RsyncSettings()
    name: str = "rsync"

    @contextlib.asynccontextmanager
    async def open(self, request: SourceRequest) -> AsyncIterator[ListingSession]:
        url = request.master.url.rstrip("/") + "/"
        with tempfile.TemporaryDirectory(prefix="mm-umdl-rsync-") as tmp:
            workdir = Path(tmp)
            listing = workdir / "listing"
            args = [self.settings.command, "--list-only", "-r", "--no-motd",
                    *self.settings.scan_args, url]
            started = trio.current_time()
            with open(listing, "wb") as out:
                await run_rsync(args, stdout=out, timeout=self.settings.scan_timeout,
                                what=f"listing {url}")
            log.info("rsync listing received %s", kv(
                url=url, bytes=listing.stat().st_size,
                seconds=f"{trio.current_time() - started:.2f}"))
            yield ListingSession(listing, request, url, workdir, self.settings)


@attrs.frozen
class FileListingSource:
    name: str = "file"

    @contextlib.asynccontextmanager
    async def open(self, request: SourceRequest) -> AsyncIterator[ListingSession]:
        listing = Path(request.master.url)
        if not listing.is_file():
            raise SourceError(f"rsync listing file {listing} not found")
        yield ListingSession(listing, request)
